"""Memberships of points in a fitted Gaussian mixture: p(z_i = k | x_i), per draw or averaged, and occupied clusters.

Computed from :class:`~bayesforge.mixtures.draws.MixtureDraws` in batches of points
(compiled once per shape), so memory stays O(batch × draws × K) for any number of
points; rows with missing cells (NaN) are seen through their observed coordinates.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..missing import Missingness, check_observed_rows
from .draws import MixtureDraws, marginal_draws

__all__ = ["incomplete_parts", "membership_probabilities", "memberships_per_draw", "occupied_components"]


#: Points per batch are chosen so one batch's S×B×K log-joint holds about this many numbers.
BATCH_ELEMENTS = 2**20  # measured: cache-sized batches are fastest (0.75 s per 10⁵ points, S=400, K=8)


def _float() -> np.dtype:
    """JAX's float: float32, or float64 inside ``jax.enable_x64`` (a fit with ``bf(x64=True)``)."""
    return jnp.result_type(float)


def _component_terms(draws: MixtureDraws) -> tuple[np.ndarray, jax.Array]:
    """The centre c and, per draw and component, the coefficients of log p(x, z=k | draw) in features of x − c.

    log w_k + log N(x | μ_k, Σ_k) is a quadratic in x: written as coefficients
    of the features (x_i x_j for i ≤ j, x_i, 1), the log-joint of a batch of
    points for every draw and component is one matrix product. Working in
    float64 here and centring the data keeps float32 batches accurate.
    """
    covariances = np.asarray(draws.covariances, dtype=float)
    scale_tril = np.linalg.cholesky(covariances)
    precision = np.linalg.inv(covariances)
    precision = 0.5 * (precision + np.swapaxes(precision, -1, -2))
    d = draws.means.shape[-1]
    centre = np.asarray(draws.means, dtype=float).reshape(-1, d).mean(axis=0)
    means = np.asarray(draws.means, dtype=float) - centre
    with np.errstate(divide="ignore"):
        log_weights = np.log(np.asarray(draws.weights, dtype=float))
    log_diagonal = np.log(np.diagonal(scale_tril, axis1=-2, axis2=-1)).sum(axis=-1)
    precision_mean = np.einsum("skij,skj->ski", precision, means)
    constant = log_weights - log_diagonal - 0.5 * d * np.log(2 * np.pi) - 0.5 * (means * precision_mean).sum(-1)
    rows, cols = np.triu_indices(d)
    quadratic = -0.5 * precision[..., rows, cols] * np.where(rows == cols, 1.0, 2.0)
    coefficients = np.concatenate([quadratic, precision_mean, constant[..., None]], axis=-1)  # S × K × F
    return centre, jnp.asarray(coefficients, dtype=_float())


def _features(points: jax.Array) -> jax.Array:
    d = points.shape[-1]
    rows, cols = np.triu_indices(d)
    return jnp.concatenate([points[:, rows] * points[:, cols], points, jnp.ones_like(points[:, :1])], axis=-1)


@jax.jit
def _log_joint(points: jax.Array, coefficients: jax.Array) -> jax.Array:
    """log p(x_b, z_b = k | draw s): an S×B×K array for B (centred) points."""
    return jnp.einsum("bf,skf->sbk", _features(points), coefficients)


@jax.jit
def _batch_probabilities(points, coefficients):
    log_joint = _log_joint(points, coefficients)
    unnormalised = jnp.exp(log_joint - log_joint.max(axis=-1, keepdims=True))  # one exp per entry
    return (unnormalised / unnormalised.sum(axis=-1, keepdims=True)).mean(axis=0)


@jax.jit
def _batch_assignment_counts(key, points, valid, coefficients):
    log_joint = _log_joint(points, coefficients)
    labels = jax.random.categorical(key, log_joint, axis=-1)  # S × B: one assignment per draw
    return (jax.nn.one_hot(labels, log_joint.shape[-1]) * valid[None, :, None]).sum(axis=1)


def _points_and_batch_size(X: Any, draws: MixtureDraws, batch_size: int | None) -> tuple[np.ndarray, int]:
    points = np.asarray(X, dtype=float)
    if points.ndim != 2 or points.shape[1] != draws.means.shape[-1]:
        raise ValueError(f"X must be an N×{draws.means.shape[-1]} array (the mixture's dimension), got shape {points.shape}")
    s, k, _ = draws.means.shape
    return points, batch_size or max(1, min(points.shape[0], max(64, BATCH_ELEMENTS // (s * k))))


def _batches(X: Any, draws: MixtureDraws, centre: np.ndarray, batch_size: int | None, group: int | None = None):
    """``(n, points)``: the points of ``X`` minus ``centre``, B at a time (zero-padded: one shape, compiled once),
    n of them real. ``group``: G batches at a time instead, as a G×B×D array (:data:`BATCHES_PER_CALL`)."""
    points, size = _points_and_batch_size(X, draws, batch_size)
    d = points.shape[1]
    per_call = size * (group or 1)
    dtype = _float()
    for start in range(0, points.shape[0], per_call):
        chunk = points[start:start + per_call]
        padded = np.zeros((per_call, d), dtype=dtype)
        padded[: len(chunk)] = chunk - centre
        yield len(chunk), jnp.asarray(padded if group is None else padded.reshape(group, size, d))


#: Most batches of points per compiled call of :func:`membership_probabilities` (G×B×D at once, a power of two):
#: 10⁶ points were 1 500 calls, each with its Python round trip.
BATCHES_PER_CALL = 64


def _group_size(X: Any, draws: MixtureDraws, batch_size: int | None) -> int:
    """Batches per call: the batches of ``X`` rounded up to a power of two, at most :data:`BATCHES_PER_CALL`
    (a handful of shapes to compile, whatever N)."""
    points, size = _points_and_batch_size(X, draws, batch_size)
    batches = max(1, -(-points.shape[0] // size))
    return min(BATCHES_PER_CALL, 1 << (batches - 1).bit_length())


@jax.jit
def _grouped_probabilities(groups, coefficients):
    """:func:`_batch_probabilities` of each batch of ``groups`` (G×B×D) in one compiled loop: G×B×K."""
    return jax.lax.map(lambda points: _batch_probabilities(points, coefficients), groups)


@jax.jit
def _per_draw_memberships(points, coefficients):
    return jax.nn.softmax(_log_joint(points, coefficients), axis=-1)



def incomplete_parts(draws: MixtureDraws, X: Any):
    """For N×D ``X`` with missing cells (NaN): per missingness pattern, its rows, the mixture's marginal over the
    pattern's observed columns and those rows' observed values; None when no cell is missing.

    Whatever is computed from a mixture and points (memberships, densities) is computed
    for each part and put back in row order: each row is seen through its observed
    coordinates only. A row with every value missing is an error naming it.
    """
    points = np.asarray(X, dtype=float)
    if points.ndim != 2 or not np.isnan(points).any():
        return None
    if points.shape[1] != draws.means.shape[-1]:
        raise ValueError(f"X must be an N×{draws.means.shape[-1]} array (the mixture's dimension), got shape "
                         f"{points.shape}")
    check_observed_rows(points, "X")
    patterns = Missingness.of(points)
    return [(rows, marginal_draws(draws, columns), points[np.ix_(rows, columns)])
            for columns, rows in zip(patterns.observed, patterns.rows)]


def memberships_per_draw(draws: MixtureDraws, X: Any) -> np.ndarray:
    """S×N×K: p(z_i = k | x_i, draw s) for every draw, not averaged (for a few hundred points).

    Rows with missing cells (NaN): p(z_i = k | observed part of x_i, draw s).
    """
    parts = incomplete_parts(draws, X)
    if parts is not None:
        out = np.empty((draws.weights.shape[0], len(X), draws.num_components))
        for rows, marginal, points in parts:
            out[:, rows] = memberships_per_draw(marginal, points)
        return out
    centre, coefficients = _component_terms(draws)
    points = np.asarray(X, dtype=float) - centre
    return np.asarray(_per_draw_memberships(jnp.asarray(points, dtype=_float()), coefficients))


def membership_probabilities(draws: MixtureDraws, X: Any, batch_size: int | None = None) -> np.ndarray:
    """N×K matrix of p(z_i = k | x_i), averaged over the posterior draws.

    Computed in batches of points so memory stays O(batch × K × draws), never
    O(N × draws); the batch size is chosen from the number of draws unless given.
    Rows with missing cells (NaN): p(z_i = k | observed part of x_i), from the
    components' marginals over those coordinates. Up to :data:`BATCHES_PER_CALL`
    batches go through one compiled call.

    >>> rng = np.random.default_rng(0)
    >>> d = MixtureDraws("obs", np.array([[0.3, 0.7], [0.5, 0.5]]), rng.normal(size=(2, 2, 1)), np.ones((2, 2, 1, 1)))
    >>> x = rng.normal(size=(150, 1))
    >>> p = membership_probabilities(d, x, batch_size=2)  # 75 batches: 64 in one call, 11 (padded) in the next
    >>> p.shape, bool(np.allclose(p, memberships_per_draw(d, x).mean(axis=0), atol=1e-6))
    ((150, 2), True)
    """
    parts = incomplete_parts(draws, X)
    if parts is not None:
        out = np.empty((len(X), draws.num_components))
        for rows, marginal, points in parts:
            out[rows] = membership_probabilities(marginal, points, batch_size)
        return out
    centre, coefficients = _component_terms(draws)
    group, k = _group_size(X, draws, batch_size), draws.num_components
    parts = [np.asarray(_grouped_probabilities(groups, coefficients)).reshape(-1, k)[:n]
             for n, groups in _batches(X, draws, centre, batch_size, group)]
    return np.concatenate(parts, axis=0)


def occupied_components(draws: MixtureDraws, X: Any, seed: int = 0, batch_size: int | None = None) -> np.ndarray:
    """Per posterior draw, the number of components with at least one of the points ``X``.

    Each draw assigns every point to a component at random with its membership
    probabilities under that draw (``z_i ~ p(z_i | x_i, θ_s)``); the count of
    distinct components is that draw's number of occupied clusters. Rows with missing
    cells are assigned by the memberships of their observed coordinates.
    """
    parts = incomplete_parts(draws, X)
    if parts is None:
        return (_assignment_counts(draws, X, seed, batch_size) > 0).sum(axis=1)
    counts = sum(_assignment_counts(marginal, points, seed + index, batch_size)
                 for index, (_, marginal, points) in enumerate(parts))
    return (counts > 0).sum(axis=1)


def _assignment_counts(draws: MixtureDraws, X: Any, seed: int, batch_size: int | None) -> np.ndarray:
    """S×K: per draw, how many points of (complete) ``X`` a random assignment puts in each component."""
    centre, coefficients = _component_terms(draws)
    counts = np.zeros(draws.weights.shape, dtype=np.int64)
    key = jax.random.PRNGKey(seed)
    for index, (n, points) in enumerate(_batches(X, draws, centre, batch_size)):
        valid = jnp.arange(points.shape[0]) < n
        counts += np.asarray(_batch_assignment_counts(jax.random.fold_in(key, index), points, valid, coefficients)).astype(np.int64)
    return counts

