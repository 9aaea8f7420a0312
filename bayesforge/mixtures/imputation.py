"""Missing cells filled in from a fitted Gaussian mixture: each cell's posterior mean and predictive interval.

For a row with observed coordinates o and missing coordinates m, under posterior draw
s and component k the missing values are normal given the observed ones:

    x_m | x_o, k, θ_s ~ N(μ_m + Σ_mo Σ_oo⁻¹ (x_o − μ_o),  Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om),

and the component is k with probability r_sk ∝ w_k N(x_o | μ_o, Σ_oo) (the row's
membership given what it observed). Averaged over components by r_sk and over the
S draws, this is the posterior predictive distribution of the missing cells given the
row's observed values and the data: a mixture of S·K normals per cell. Its mean is
the imputed value; its sd and central ``prob`` interval (quantiles of that mixture,
found by bisection) say how well the row's observed values and the fit pin the cell
down. Cells that were observed keep their value (sd 0, interval the value itself).

>>> import numpy as np
>>> from bayesforge.mixtures.draws import MixtureDraws
>>> cov = np.array([[[[1.0, 0.8], [0.8, 1.0]]]])          # one draw, one component, correlation 0.8
>>> draws = MixtureDraws("obs", np.ones((1, 1)), np.zeros((1, 1, 2)), cov)
>>> filled = impute(draws, np.array([[1.0, np.nan], [0.5, 0.5]]), prob=0.95)
>>> filled.mean.tolist()                                 # E[x2 | x1 = 1] = 0.8
[[1.0, 0.8], [0.5, 0.5]]
>>> np.round(filled.sd[0, 1], 3), np.round([filled.lower[0, 1], filled.upper[0, 1]], 3).tolist()
(np.float64(0.6), [-0.376, 1.976])
>>> filled.cells().round(3)
   row column  mean   sd  lower  upper
0    0     x2   0.8  0.6 -0.376  1.976
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..missing import Missingness

__all__ = ["Imputation", "impute", "conditional_means"]

#: Rows per batch are chosen so one batch's S×B×K×d arrays hold about this many numbers.
BATCH_ELEMENTS = 2**21
#: Bisection steps for the interval's ends: the bracket (±12 predictive sds) shrinks to ~1e-5 of an sd.
BISECTION_STEPS = 42


@dataclass(frozen=True)
class Imputation:
    """The data with each missing cell filled in: posterior means, predictive sds and central intervals (N×D).

    ``mean`` is the completed data (observed cells as given); ``sd``, ``lower`` and
    ``upper`` describe each missing cell's posterior predictive distribution (``sd``
    0 and ``lower == upper ==`` the value at observed cells); ``missing`` marks the
    missing cells; ``prob`` is the intervals' probability. :meth:`cells` lists the
    missing cells one per row, :meth:`to_frame` gives the completed data as a table.
    """

    mean: np.ndarray
    sd: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    missing: np.ndarray
    prob: float
    feature_names: tuple[str, ...]

    def cells(self) -> pd.DataFrame:
        """One row per missing cell: ``row`` (from 0), ``column`` (its name), ``mean``, ``sd``, ``lower``, ``upper``."""
        rows, columns = np.nonzero(self.missing)
        return pd.DataFrame({"row": rows, "column": [self.feature_names[j] for j in columns],
                             "mean": self.mean[rows, columns], "sd": self.sd[rows, columns],
                             "lower": self.lower[rows, columns], "upper": self.upper[rows, columns]})

    def to_frame(self) -> pd.DataFrame:
        """The completed data (:attr:`mean`) as a DataFrame with the columns' names."""
        return pd.DataFrame(self.mean, columns=list(self.feature_names))


def _default_names(dimension: int) -> tuple[str, ...]:
    return tuple(f"x{j + 1}" for j in range(dimension))


def _pattern_terms(means: np.ndarray, covariances: np.ndarray, log_weights: np.ndarray, observed: list[int],
                   missing: list[int]):
    """Per draw and component: what the rows of one pattern need (marginal of o, regression of m on o)."""
    mu_o, mu_m = means[..., observed], means[..., missing]
    cov_oo = covariances[..., observed, :][..., observed]
    cov_mo = covariances[..., missing, :][..., observed]
    cov_mm = covariances[..., missing, :][..., missing]
    scale_tril = np.linalg.cholesky(cov_oo)
    inverse = np.linalg.inv(scale_tril)  # S×K×d_o×d_o, L⁻¹
    gain = cov_mo @ np.swapaxes(inverse, -1, -2) @ inverse  # Σ_mo Σ_oo⁻¹
    variance = np.diagonal(cov_mm - gain @ np.swapaxes(cov_mo, -1, -2), axis1=-2, axis2=-1)
    constant = (log_weights - np.log(np.diagonal(scale_tril, axis1=-2, axis2=-1)).sum(-1)
                - 0.5 * len(observed) * np.log(2 * np.pi))
    return mu_o, mu_m, inverse, gain, np.clip(variance, 1e-300, None), constant


def _batch(points_o: np.ndarray, terms):
    """For B rows of one pattern: responsibilities S×B×K, conditional means S×B×K×d_m."""
    mu_o, mu_m, inverse, gain, _, constant = terms
    residual = points_o[None, :, None, :] - mu_o[:, None]  # S×B×K×d_o
    z = np.einsum("skij,sbkj->sbki", inverse, residual)
    log_joint = constant[:, None, :] - 0.5 * (z * z).sum(-1)
    log_joint -= log_joint.max(axis=-1, keepdims=True)
    responsibility = np.exp(log_joint)
    responsibility /= responsibility.sum(axis=-1, keepdims=True)
    conditional = mu_m[:, None] + np.einsum("skij,sbkj->sbki", gain, residual)
    return responsibility, conditional


def _quantiles(targets: np.ndarray, weights: np.ndarray, centres: np.ndarray, scales: np.ndarray,
               low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Where the mixture Σ_i weights_i N(centres_i, scales_i²) (per cell; last axis: S·K terms) has CDF ``targets``."""
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (low + high)
        below = (weights * ndtr((middle[:, None] - centres) / scales)).sum(axis=-1) < targets
        low = np.where(below, middle, low)
        high = np.where(below, high, middle)
    return 0.5 * (low + high)


def impute(draws: Any, X: Any, prob: float | None = 0.95, feature_names: Sequence[str] | None = None) -> Imputation:
    """``X`` (N×D, NaN marking missing cells) completed from the mixture ``draws`` (a :class:`MixtureDraws`).

    See the module docstring. ``prob``: the probability of the central intervals
    (``None``: no intervals; ``lower`` and ``upper`` are then the means). A row with
    every value missing is an error.
    """
    from ..missing import check_observed_rows

    points = np.array(X, dtype=float)
    if points.ndim != 2 or points.shape[1] != draws.means.shape[-1]:
        raise ValueError(f"X must be an N×{draws.means.shape[-1]} array (the mixture's dimension), got shape "
                         f"{points.shape}")
    if prob is not None and not 0.0 < float(prob) < 1.0:
        raise ValueError(f"prob must be strictly between 0 and 1 (the intervals' probability), got {prob!r}")
    check_observed_rows(points, "X")
    missing = np.isnan(points)
    mean, sd = points.copy(), np.zeros_like(points)
    lower, upper = points.copy(), points.copy()
    if missing.any():
        means = np.asarray(draws.means, dtype=float)
        covariances = np.asarray(draws.covariances, dtype=float)
        with np.errstate(divide="ignore"):
            log_weights = np.log(np.asarray(draws.weights, dtype=float))
        s, k, _ = means.shape
        for part, observed, absent, terms in _incomplete_batches(points, means, covariances, log_weights):
            responsibility, conditional = _batch(points[np.ix_(part, observed)], terms)
            weight = responsibility / s  # S×B×K, summing to 1 over draws and components
            first = np.einsum("sbk,sbkj->bj", weight, conditional)
            second = np.einsum("sbk,sbkj->bj", weight, conditional**2 + terms[4][:, None])
            spread = np.sqrt(np.clip(second - first**2, 0.0, None))
            mean[np.ix_(part, absent)], sd[np.ix_(part, absent)] = first, spread
            if prob is None:
                lower[np.ix_(part, absent)] = upper[np.ix_(part, absent)] = first
                continue
            # cells × (S·K) terms of each cell's predictive mixture
            w = np.moveaxis(weight, 1, 0).reshape(len(part), 1, s * k).repeat(len(absent), axis=1)
            centres = np.moveaxis(conditional, (1, 3), (0, 1)).reshape(len(part), len(absent), s * k)
            scales = np.broadcast_to(np.sqrt(terms[4]).reshape(s * k, len(absent)).T,
                                     centres.shape)
            w, centres, scales = (a.reshape(-1, s * k) for a in (w, centres, scales))
            reach = 12.0 * np.maximum(spread.reshape(-1), scales.max(axis=-1))
            tail = 0.5 * (1.0 - float(prob))
            ends = [_quantiles(np.full(len(w), q), w, centres, scales, first.reshape(-1) - reach,
                               first.reshape(-1) + reach) for q in (tail, 1.0 - tail)]
            lower[np.ix_(part, absent)] = ends[0].reshape(len(part), len(absent))
            upper[np.ix_(part, absent)] = ends[1].reshape(len(part), len(absent))
    names = tuple(feature_names) if feature_names is not None else _default_names(points.shape[1])
    return Imputation(mean=mean, sd=sd, lower=lower, upper=upper, missing=missing,
                      prob=float(prob) if prob is not None else float("nan"), feature_names=names)


def _incomplete_patterns(points: np.ndarray) -> tuple[list[tuple[int, ...]], list[np.ndarray]]:
    patterns = Missingness.of(points)
    chosen = [(o, r) for o, r in zip(patterns.observed, patterns.rows) if len(o) < points.shape[1]]
    return [o for o, _ in chosen], [r for _, r in chosen]


def _incomplete_batches(points: np.ndarray, means: np.ndarray, covariances: np.ndarray, log_weights: np.ndarray):
    """``(rows, observed, absent, terms)`` for batches of the incomplete rows of ``points``, one missingness
    pattern at a time (``terms``: that pattern's conditional Gaussians, :func:`_pattern_terms`), each batch
    small enough that its S×B×K×d arrays hold about :data:`BATCH_ELEMENTS` numbers."""
    s, k, _ = means.shape
    for observed, rows in zip(*_incomplete_patterns(points)):
        absent = [j for j in range(points.shape[1]) if j not in observed]
        terms = _pattern_terms(means, covariances, log_weights, list(observed), absent)
        size = max(1, BATCH_ELEMENTS // (s * k * max(len(observed), len(absent))))
        for start in range(0, len(rows), size):
            yield rows[start:start + size], list(observed), absent, terms


def conditional_means(draws: Any, X: Any, components: Any = None) -> np.ndarray:
    """``X`` with each missing cell (NaN) at its posterior mean given the row's observed values (no intervals).

    ``components`` (N,): instead, each row's missing cells at their mean *within* that
    component (its conditional normal's mean, averaged over the draws): where a figure
    puts a row it colours by its most probable component, inside that cluster rather
    than between the clusters an ambiguous row could belong to.

    >>> from bayesforge.mixtures.draws import MixtureDraws
    >>> draws = MixtureDraws("obs", np.full((1, 2), 0.5), np.array([[[0.0, 0.0], [0.0, 10.0]]]),
    ...                      np.tile(np.eye(2), (1, 2, 1, 1)))
    >>> x = np.array([[0.0, np.nan]])                   # x1 = 0 fits both components equally
    >>> conditional_means(draws, x).tolist(), conditional_means(draws, x, components=[1]).tolist()
    ([[0.0, 5.0]], [[0.0, 10.0]])
    """
    if components is None:
        return impute(draws, X, prob=None).mean
    points = np.array(X, dtype=float)
    chosen = np.asarray(components, dtype=int)
    if chosen.shape != points.shape[:1]:
        raise ValueError(f"components must give one component per row of X ({points.shape[0]}), got shape "
                         f"{chosen.shape}")
    means = np.asarray(draws.means, dtype=float)
    covariances = np.asarray(draws.covariances, dtype=float)
    log_weights = np.zeros(np.shape(draws.weights))
    for part, observed, absent, terms in _incomplete_batches(points, means, covariances, log_weights):
        _, conditional = _batch(points[np.ix_(part, observed)], terms)  # S×B×K×d_m
        own = conditional[:, np.arange(len(part)), chosen[part]]  # S×B×d_m
        points[np.ix_(part, absent)] = own.mean(axis=0)
    return points
