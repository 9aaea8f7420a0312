"""Reading a fitted Gaussian mixture back out of any model.

A model is a Gaussian mixture for BayesForge when its observed site is a
``mixture_same_family`` of ``multivariate_normal`` components (the seed's
model, or any variant of it). :func:`gaussian_mixture_draws` replays the model
once per posterior draw (vectorised with ``jax.vmap``) and collects the
weights, means and covariances; :func:`membership_probabilities` gives each
point's posterior probability of belonging to each component.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
from jax.scipy.special import logsumexp
from numpyro import handlers

__all__ = ["MixtureDraws", "gaussian_mixture_draws", "membership_probabilities"]


@dataclass(frozen=True)
class MixtureDraws:
    """Posterior draws of a Gaussian mixture: S draws, K components, D dimensions."""

    site: str
    weights: np.ndarray  # S × K
    means: np.ndarray  # S × K × D
    covariances: np.ndarray  # S × K × D × D

    @property
    def num_components(self) -> int:
        return self.weights.shape[-1]


def _mixture_site(trace: Mapping[str, Any]) -> str:
    for name, site in trace.items():
        fn = site.get("fn")
        if site["type"] == "sample" and site.get("is_observed"):
            while isinstance(fn, (npd.Independent, npd.MaskedDistribution, npd.ExpandedDistribution)):
                fn = fn.base_dist
            if isinstance(fn, npd.MixtureSameFamily) and isinstance(fn.component_distribution, npd.MultivariateNormal):
                return name
    raise ValueError(
        "this model has no Gaussian mixture to draw: its observed site must be "
        "m.dist.mixture_same_family(..., component_distribution=m.dist.multivariate_normal(..., create_obj=True))"
    )


def gaussian_mixture_draws(
    model: Callable[..., Any], model_kwargs: Mapping[str, Any], samples: Mapping[str, Any], max_draws: int = 400
) -> MixtureDraws:
    """Weights, means and covariances of the model's mixture, for up to ``max_draws`` posterior draws."""
    total = len(next(iter(samples.values())))
    index = np.unique(np.linspace(0, total - 1, min(max_draws, total)).astype(int))
    subset = {k: jnp.asarray(np.asarray(v)[index]) for k, v in samples.items()}

    def replay(params):
        with handlers.seed(rng_seed=0):
            return handlers.trace(handlers.substitute(model, data=params)).get_trace(**model_kwargs)

    first = replay({k: v[0] for k, v in subset.items()})
    site = _mixture_site(first)

    def components(params):
        fn = replay(params)[site]["fn"]
        while not isinstance(fn, npd.MixtureSameFamily):
            fn = fn.base_dist
        component = fn.component_distribution
        return fn.mixing_distribution.probs, component.loc, component.covariance_matrix

    weights, means, covariances = jax.vmap(components)(subset)
    k = weights.shape[-1]
    means = jnp.broadcast_to(means, weights.shape + means.shape[-1:])
    covariances = jnp.broadcast_to(covariances, (weights.shape[0], k) + covariances.shape[-2:])
    return MixtureDraws(site, np.asarray(weights), np.asarray(means), np.asarray(covariances))


def membership_probabilities(draws: MixtureDraws, X: Any, batch_size: int = 10_000) -> np.ndarray:
    """N×K matrix of p(z_i = k | x_i), averaged over the posterior draws (batched over N)."""
    X = jnp.asarray(np.asarray(X, dtype=float))
    weights, means = jnp.asarray(draws.weights), jnp.asarray(draws.means)
    scale_tril = jnp.linalg.cholesky(jnp.asarray(draws.covariances))
    log_weights = jnp.log(weights)

    @jax.jit
    def batch(points):
        # points: B × D -> log p(x | k) for every draw: S × B × K
        component = npd.MultivariateNormal(means[:, None], scale_tril=scale_tril[:, None])
        log_joint = log_weights[:, None, :] + component.log_prob(points[None, :, None, :])
        return jnp.exp(log_joint - logsumexp(log_joint, axis=-1, keepdims=True)).mean(axis=0)

    parts = [np.asarray(batch(X[start:start + batch_size])) for start in range(0, X.shape[0], batch_size)]
    return np.concatenate(parts, axis=0)
