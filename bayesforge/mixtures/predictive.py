"""The posterior predictive of a fitted Gaussian mixture: log densities of new points, new points drawn.

For S posterior draws θ_s of a K-component mixture, the log predictive density of a point is

    log p(x | data) ≈ log (1/S) Σ_s Σ_k w_sk N(x | μ_sk, Σ_sk)

(log-sum-exp over components, then log-mean-exp over draws). :func:`log_densities` computes
it in batches of points, reusing the per-draw, per-component quadratic coefficients of
:mod:`bayesforge.mixtures.memberships`, so memory stays O(batch × S × K) for any number of points; the
same pass gives each draw's total log-likelihood of the points (for AIC/BIC).
:func:`sample_points` draws new points: per point a posterior draw, a component by that
draw's weights, then the component's normal.

>>> import numpy as np
>>> from bayesforge.mixtures.draws import MixtureDraws
>>> draws = MixtureDraws("obs", np.array([[0.5, 0.5]]), np.array([[[0.0], [10.0]]]), np.ones((1, 2, 1, 1)))
>>> density, per_draw = log_densities(draws, np.array([[0.0], [10.0]]))
>>> np.round(density, 3).tolist()     # log(0.5 · N(0 | 0, 1)) for both points
[-1.612, -1.612]
>>> points, labels = sample_points(draws, 4, seed=0)
>>> points.shape, labels.shape
((4, 1), (4,))
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .draws import MixtureDraws
from .memberships import _batches, _component_terms, _log_joint, incomplete_parts

__all__ = ["log_densities", "sample_points"]


@jax.jit
def _batch_log_densities(points: jax.Array, valid: jax.Array, coefficients: jax.Array):
    """For B (centred, padded) points: log predictive density (B,) and each draw's log-likelihood sum (S,)."""
    per_draw = jax.nn.logsumexp(_log_joint(points, coefficients), axis=-1)  # S × B: log p(x_b | θ_s)
    per_draw = jnp.where(valid[None, :], per_draw, 0.0)
    log_mean = jax.nn.logsumexp(per_draw, axis=0) - jnp.log(per_draw.shape[0])
    return log_mean, per_draw.sum(axis=1)


def log_densities(draws: MixtureDraws, X: Any, batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Log predictive density of each point of ``X`` (N,) and each draw's log-likelihood Σ_i log p(x_i | θ_s) (S,).

    ``X`` is N×D with D the mixture's dimension. Points go through in batches (size chosen
    from the number of draws and components unless given); the per-draw sums are accumulated
    in float64. A row with missing cells (NaN) gets the density of its observed coordinates
    (the mixture of the components' marginals over them).
    """
    parts = incomplete_parts(draws, X)
    if parts is not None:
        densities, totals = np.empty(len(X)), np.zeros(draws.weights.shape[0])
        for rows, marginal, points in parts:
            densities[rows], per_draw = log_densities(marginal, points, batch_size)
            totals += per_draw
        return densities, totals
    centre, coefficients = _component_terms(draws)
    densities, totals = [], np.zeros(draws.weights.shape[0])
    for n, points in _batches(X, draws, centre, batch_size):
        valid = jnp.arange(points.shape[0]) < n
        log_mean, per_draw = _batch_log_densities(points, valid, coefficients)
        densities.append(np.asarray(log_mean, dtype=float)[:n])
        totals += np.asarray(per_draw, dtype=float)
    return np.concatenate(densities), totals


def sample_points(draws: MixtureDraws, n_samples: int, seed: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` points from the posterior predictive (n×D) and the component each came from (n,).

    Each point picks one of the S draws uniformly, a component by that draw's weights, then
    a point from the component's multivariate normal. ``seed``: an int, None, or a NumPy
    ``Generator``.
    """
    rng = np.random.default_rng(seed)
    weights = np.asarray(draws.weights, dtype=float)
    means = np.asarray(draws.means, dtype=float)
    scale_tril = np.linalg.cholesky(np.asarray(draws.covariances, dtype=float))
    s, k, d = means.shape
    which = rng.integers(s, size=n_samples)
    cumulative = np.cumsum(weights[which], axis=1)
    uniform = rng.random(n_samples) * cumulative[:, -1]
    component = np.minimum((cumulative <= uniform[:, None]).sum(axis=1), k - 1)
    noise = rng.standard_normal((n_samples, d))
    points = means[which, component] + np.einsum("nij,nj->ni", scale_tril[which, component], noise)
    return points, component.astype(np.int64)
