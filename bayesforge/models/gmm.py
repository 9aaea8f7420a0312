"""The documentation page's Gaussian mixture as a library model: fit it, choose K, read it back.

``m.gmm(data, K=8)`` (or :func:`fit`) fits the page's marginalised GMM with
k-means centroids as the prior means of the components and as the starting
point of every chain, and returns a :class:`~bayesforge.models.result.MixtureFit`
(memberships, relabelled summary, LOO/WAIC/BIC, figure). ``K="auto"`` fits a
range of K and keeps the one :func:`choose_k` selects.

>>> from bayesforge import bf
>>> from bayesforge.models.gmm import gmm_model, seed_data
>>> data, labels = seed_data(n_samples=200)
>>> data.shape, len(set(labels))
((200, 2), 8)
>>> m = bf(platform="cpu")
>>> model = gmm_model(m)              # model(data, K, initial_means), for m.fit
>>> fit(m, data[:, 0], K=2)
Traceback (most recent call last):
...
ValueError: data must be a 2-D array (N points × D features), got shape (200,); for one feature pass data.reshape(-1, 1)
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..interop import as_int
from ..ml import as_data_matrix
from .common import component_scale_tril, fit_mixture, observe_gaussian_mixture
from .result import MixtureFit
from .selection import CRITERIA, KSelection, select_k

__all__ = ["gmm_model", "seed_data", "fit", "choose_k", "check_k", "check_initial_means", "initial_values"]


def seed_data(n_samples: int = 500, random_state: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """The page's data: scikit-learn ``make_blobs`` with 8 centres in [-10, 10]², sd 0.8."""
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=n_samples, centers=8, cluster_std=0.8, center_box=(-10, 10),
                      random_state=random_state)


def gmm_model(m) -> Callable[..., Any]:
    """The page's marginalised GMM written with ``m.dist``: ``model(data, K, initial_means)``.

    Weights ~ Dirichlet(0.5); per component: mean ~ MVN(initial mean, 0.1 I), scales ~
    HalfCauchy(1), correlation Cholesky factor ~ LKJ(1) (for D ≥ 2); the component label
    is summed out.
    """
    import jax.numpy as jnp

    def gmm(data, K, initial_means):
        D = data.shape[1]
        w = m.dist.dirichlet(concentration=0.5 * jnp.ones(K), name="weights")
        with m.dist.plate("components", K):
            mu = m.dist.multivariate_normal(loc=initial_means, covariance_matrix=0.1 * jnp.eye(D), name="mu")
            sigma = m.dist.half_cauchy(1, shape=(D,), event=1, name="sigma")
            scale_tril = component_scale_tril(m, sigma, D)
        observe_gaussian_mixture(m, w, mu, scale_tril, data)

    return gmm


def check_k(K: Any, num_points: int, name: str = "K") -> int:
    """``K`` as an int in 1..N, or a ValueError/TypeError naming ``name``."""
    k = as_int(K, name, minimum=1)
    if k > num_points:
        raise ValueError(f"{name}={k} is more than the {num_points} points in data: each component needs points")
    return k


def check_initial_means(initial_means: Any, k: int, d: int) -> np.ndarray:
    """``initial_means`` as a finite K×D array, or a ValueError naming it."""
    means = as_data_matrix(initial_means, "initial_means")
    if means.shape != (k, d):
        raise ValueError(f"initial_means must be K×D = {k}×{d} (one row per component), got shape {means.shape}")
    return means


def initial_values(data: np.ndarray, initial_means: np.ndarray) -> dict[str, np.ndarray]:
    """Where every chain starts: means at ``initial_means``, weights and scales of the points nearest each.

    Weights are the shares of points nearest each mean, scales their standard
    deviations per dimension, correlations the identity. (NumPyro's default,
    uniform in [-2, 2] on the unconstrained scale, put chains in wrong modes at
    N = 10 000: r̂ 191 vs ≤ 1.01 from here, see DESIGN.md.)
    """
    k, d = initial_means.shape
    nearest = ((data[:, None, :] - initial_means[None]) ** 2).sum(-1).argmin(axis=1)
    counts = np.bincount(nearest, minlength=k)
    weights = (counts + 0.5) / (counts.sum() + 0.5 * k)
    overall = data.std(axis=0)
    floor = np.where(overall > 0, 0.01 * overall, 1e-3)
    scales = np.empty((k, d))
    for component in range(k):
        members = data[nearest == component]
        scales[component] = members.std(axis=0) if len(members) > 1 else 0.1 * overall
    values = {"weights": weights, "mu": initial_means, "sigma": np.maximum(scales, floor)}
    if d > 1:
        values["Lcorr"] = np.broadcast_to(np.eye(d), (k, d, d)).copy()
    return values


def fit(
    m,
    data: Any,
    K: Any = 8,
    *,
    initial_means: Any = None,
    ks: Iterable[Any] = range(1, 11),
    criterion: str = "loo",
    **options: Any,
) -> MixtureFit:
    """Fit the page's GMM with K components to N×D ``data``; ``K="auto"`` chooses K with :func:`choose_k`.

    ``initial_means`` (K×D) default to k-means centroids (``m.ml.KMEANS``). Chains
    start from :func:`initial_values` unless ``init_strategy`` is given.
    ``options``: ``num_warmup=1000``, ``num_samples=1000``, ``num_chains=4``,
    ``seed=0``, ``progress_bar=False``, ``max_draws=400`` (draws kept for
    memberships and the figure; see ``models.common.SAMPLING_DEFAULTS``) and any
    ``m.fit`` / NUTS option.
    """
    matrix = as_data_matrix(data, "data")
    if isinstance(K, str):
        if K != "auto":
            raise ValueError(f"K must be a positive whole number or 'auto', got {K!r}")
        if initial_means is not None:
            raise ValueError("initial_means needs a fixed K: with K='auto' each K gets k-means centroids")
        return choose_k(m, matrix, ks=ks, criterion=criterion, **options).best
    k = check_k(K, matrix.shape[0])
    if initial_means is None:
        means = m.ml.KMEANS(matrix, n_clusters=k)["centroids"]
    else:
        means = check_initial_means(initial_means, k, matrix.shape[1])
    return fit_mixture(
        m, gmm_model(m), {"data": matrix, "K": k, "initial_means": means},
        lambda seed: initial_values(matrix, means), kind="gmm", **options,
    )

def choose_k(
    m,
    data: Any,
    ks: Iterable[Any] = range(1, 11),
    criterion: str = "loo",
    **fit_options: Any,
) -> KSelection:
    """Fit the GMM for every K in ``ks`` and select K by ``criterion`` ("loo", "waic" or "bic").

    Returns a :class:`~bayesforge.models.selection.KSelection`: a table of
    PSIS-LOO, WAIC (ArviZ, from the pointwise log-likelihood) and BIC per K,
    the selected K, every fit, and ``plot()``. For LOO and WAIC the selected K
    is the smallest whose expected log predictive density is within one
    standard error of the difference from the best (a simpler model unless a
    larger one is clearly better); for BIC the lowest.
    """
    matrix = as_data_matrix(data, "data")
    candidates = _check_ks(ks, matrix.shape[0])
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    fits = {k: fit(m, matrix, k, **fit_options) for k in candidates}
    return select_k(fits, criterion)


def _check_ks(ks: Iterable[Any], num_points: int) -> list[int]:
    if isinstance(ks, (str, bytes)) or not isinstance(ks, Iterable):
        raise TypeError(f"ks must be a sequence of positive whole numbers (e.g. range(1, 11)), got {ks!r}")
    values = [check_k(k, num_points, "ks") for k in ks]
    if not values:
        raise ValueError("ks is empty: give the numbers of components to compare, e.g. range(1, 11)")
    if len(set(values)) != len(values):
        raise ValueError(f"ks has repeated values: {values}")
    return sorted(values)

