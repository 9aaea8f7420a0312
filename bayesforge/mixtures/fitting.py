"""Fitting a library mixture: NUTS (or minibatch VI) from the model's start values, wrapped as a MixtureFit.

Every library fit takes :data:`SAMPLING_DEFAULTS` (or, with ``method="vi"``,
:data:`VI_DEFAULTS` and :data:`VI_OPTIONS`); warnings about one K of a comparison
start with "K=k: " (:func:`prefixed_warnings`).
"""
from __future__ import annotations

import contextlib
import time
import warnings
from typing import Any, Iterator, Mapping

from .. import defaults
from ..distributed import refuse_distributed
from ..inference import nuts_posterior, vi_posterior
from ..validation import as_int, check_method
from .data import MixtureData
from .model import MixtureModel
from .result import MixtureFit

__all__ = ["SAMPLING_DEFAULTS", "VI_DEFAULTS", "VI_OPTIONS", "fit_mixture", "fit_variational", "prefixed_warnings"]

#: Defaults of every library mixture fit (:mod:`bayesforge.defaults`); any of them, and any ``m.fit`` / NUTS
#: option, can be passed.
SAMPLING_DEFAULTS = {**defaults.NUTS_DEFAULTS, "progress_bar": False, "max_draws": defaults.MAX_DRAWS}
#: Defaults of a variational library fit (``method="vi"``, :data:`bayesforge.defaults.VI_DEFAULTS`).
VI_DEFAULTS = {**defaults.VI_DEFAULTS, "progress_bar": False}
#: The other options of a variational library fit (see :func:`bayesforge.vi.fit_vi`).
VI_OPTIONS = ("guide", "batch_size", "max_steps", "learning_rate", "tolerance", "check_every")


def _arguments(data: MixtureData, model_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The model's arguments: the data, ``model_kwargs`` and, for weighted rows, ``sample_weight``."""
    weights = {} if data.sample_weight is None else {"sample_weight": data.sample_weight}
    return {"data": data.matrix, **model_kwargs, **weights}


@contextlib.contextmanager
def prefixed_warnings(prefix: str) -> Iterator[None]:
    """Issue the warnings raised inside again, with ``prefix`` (e.g. ``"K=5: "``) before their message.

    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     with prefixed_warnings("K=5: "):
    ...         warnings.warn("3 divergent transitions", RuntimeWarning)
    >>> str(caught[0].message)
    'K=5: 3 divergent transitions'
    """
    recorded: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                recorded = list(caught)
    finally:  # also when the fit fails: its warnings may say why
        for warning in recorded:
            warnings.warn_explicit(f"{prefix}{warning.message}", warning.category, warning.filename, warning.lineno)


def fit_mixture(m, model: MixtureModel, model_kwargs: Mapping[str, Any], *, data: MixtureData,
                **options: Any) -> MixtureFit:
    """Fit the library ``model`` (its NumPyro model called with ``data=data.matrix, **model_kwargs``) with NUTS on
    ``m.devices`` and wrap it as a :class:`MixtureFit`.

    ``options``: :data:`SAMPLING_DEFAULTS` overridden by what is given, and any other
    ``m.fit`` / NUTS option. ``method="vi"``: minibatch variational inference instead
    (:func:`fit_variational`). ``max_draws`` posterior draws (evenly spaced) serve
    memberships and the figure. Unless an ``init_strategy`` is given, every chain starts at
    the model's start values (:meth:`MixtureModel.init_strategy`).
    """
    if check_method(options.pop("method", "nuts")) == "vi":
        return fit_variational(m, model, model_kwargs, data=data, **options)
    fit_options = {**SAMPLING_DEFAULTS, **options}
    draws_kept = as_int(fit_options.pop("max_draws"), "max_draws", minimum=1)
    if "init_strategy" not in fit_options:
        seed = as_int(fit_options["seed"], "seed")
        fit_options["init_strategy"] = model.init_strategy(m.devices, data, model_kwargs, seed)
    started = time.perf_counter()
    steps = m.steps_for_fit(fit_options.pop("relabel", True))
    posterior = nuts_posterior(model.model(m), _arguments(data, model_kwargs), m.devices, fit_steps=steps,
                               **fit_options)
    seconds = time.perf_counter() - started
    return MixtureFit.from_posterior(posterior, data.matrix, model, seconds=seconds, max_draws=draws_kept,
                                     feature_names=data.feature_names, missing=data.missing)


def fit_variational(m, model: MixtureModel, model_kwargs: Mapping[str, Any], *, data: MixtureData,
                    **options: Any) -> MixtureFit:
    """:func:`fit_mixture` by minibatch variational inference (:func:`bayesforge.vi.fit_vi`), from the model's
    start values (:meth:`MixtureModel.start_values`).

    ``options``: :data:`VI_DEFAULTS` (``num_samples`` draws from the fitted guide, one
    chain) overridden by what is given, and :data:`VI_OPTIONS`. The result is the
    same :class:`MixtureFit` as NUTS gives; its summary carries a note that the
    approximation understates the uncertainty.
    """
    unknown = sorted(set(options) - set(VI_DEFAULTS) - set(VI_OPTIONS))
    if unknown:
        raise TypeError(f"method='vi' got option(s) {unknown} it does not take (NUTS settings such as num_warmup "
                        f"or num_chains do not apply); it takes: {', '.join([*VI_DEFAULTS, *VI_OPTIONS])}")
    refuse_distributed("variational inference (method='vi')")
    fit_options = {**VI_DEFAULTS, **options}
    draws_kept = as_int(fit_options.pop("max_draws"), "max_draws", minimum=1)
    start = model.start_values(data, model_kwargs, as_int(fit_options["seed"], "seed"))
    fit_options["num_draws"] = fit_options.pop("num_samples")
    if data.sample_weight is not None:  # minibatches draw rows uniformly, each carrying its weight
        fit_options["data_argument"] = ("data", "sample_weight")
    started = time.perf_counter()
    posterior = vi_posterior(model.model(m), _arguments(data, model_kwargs), m.devices, fit_steps=m.steps_for_fit(),
                             init_values=start, **fit_options)
    seconds = time.perf_counter() - started
    return MixtureFit.from_posterior(posterior, data.matrix, model, seconds=seconds, max_draws=draws_kept,
                                     feature_names=data.feature_names, missing=data.missing)
