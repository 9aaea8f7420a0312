"""What fitting any library mixture shares: chains started at given values, timing, the result object."""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping

import numpy as np

from ..interop import as_int
from ..posterior import Posterior
from .result import MixtureFit

__all__ = ["SAMPLING_DEFAULTS", "component_scale_tril", "fit_mixture", "observe_gaussian_mixture"]

#: Defaults of every library mixture fit; any of them, and any ``m.fit`` / NUTS option, can be passed.
SAMPLING_DEFAULTS = {"num_warmup": 1000, "num_samples": 1000, "num_chains": 4, "seed": 0, "progress_bar": False,
                     "max_draws": 400}


def component_scale_tril(m, sigma, D: int):
    """Inside the components plate: Cholesky factors diag(σ) L with L ~ LKJ(1) ("Lcorr"); for D = 1, σ."""
    if D == 1:
        return sigma[..., None]
    Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
    return sigma[..., None] * Lcorr


def observe_gaussian_mixture(m, weights, mu, scale_tril, data) -> None:
    """The site "obs": ``data`` from the mixture of MVN(mu_k, scale_tril_k) with ``weights``, labels summed out."""
    m.dist.mixture_same_family(
        mixing_distribution=m.dist.categorical(probs=weights, create_obj=True),
        component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True),
        name="obs",
        obs=data,
    )


def fit_mixture(
    m,
    model: Callable[..., Any],
    model_kwargs: Mapping[str, Any],
    initial_values: Callable[[int], Mapping[str, np.ndarray]],
    *,
    kind: str,
    summary_sites: tuple[str, ...] = ("weights", "mu", "sigma"),
    **options: Any,
) -> MixtureFit:
    """Fit ``model(**model_kwargs)`` with NUTS on ``m.devices`` and wrap it as a :class:`MixtureFit`.

    ``options``: :data:`SAMPLING_DEFAULTS` overridden by what is given, and any other
    ``m.fit`` / NUTS option. ``max_draws`` posterior draws (evenly spaced) serve
    memberships and the figure. Chains start at ``initial_values(seed)`` (called
    only when no ``init_strategy`` is given).
    """
    fit_options = {**SAMPLING_DEFAULTS, **options}
    draws_kept = as_int(fit_options.pop("max_draws"), "max_draws", minimum=1)
    if "init_strategy" not in fit_options:
        import jax.numpy as jnp
        from numpyro.infer import init_to_value

        # jnp arrays: NumPyro's inverse transforms index them with traced indices under pmap.
        start = initial_values(as_int(fit_options["seed"], "seed"))
        values = {name: jnp.asarray(value) for name, value in start.items()}
        fit_options["init_strategy"] = init_to_value(values=values)
    started = time.perf_counter()
    posterior = Posterior.sample(model, dict(model_kwargs), m.devices, **fit_options)
    return MixtureFit(posterior=posterior, data=np.asarray(model_kwargs["data"]),
                      seconds=time.perf_counter() - started, kind=kind, max_draws=draws_kept,
                      summary_sites=summary_sites)
