"""The documentation page's Gaussian mixture, and the library GMM built on it: fit it, choose K, read it back.

``m.gmm(data, K=8)`` (or :func:`fit`) fits :func:`library_gmm_model`: the page's
marginalised GMM (:func:`gmm_model`, kept as the page has it for ``m.fit``) with its
priors in each column's own unit and a covariance floor (see
:mod:`bayesforge.mixtures.priors`), k-means centroids (of the standardised columns)
as the components' prior means and the starting point of every chain. It returns
a :class:`~bayesforge.mixtures.result.MixtureFit` (memberships, relabelled summary,
LOO/WAIC/BIC, figure). ``K="auto"`` fits a range of K and keeps the one
:func:`choose_k` selects. Data in any unit (a column multiplied by 1e-6 or 1e6)
give the same clusters.

>>> from bayesforge import bf
>>> from bayesforge.mixtures.gmm import gmm_model, seed_data
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

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Mapping

import numpy as np

from ..distributed import refuse_distributed, same_in_every_process, shared_rows
from ..defaults import DEFAULT_K
from ..ml import fit_kmeans
from ..missing import rows_for_kmeans
from ..validation import check_initial_means, check_k, check_ks, check_on_fit, check_reg_covar
from .data import MixtureData, prepare_data
from .fitting import fit_mixture, prefixed_warnings
from .model import MixtureModel
from .priors import (MEAN_PRIOR_SCALE, REG_COVAR, component_scale_tril, gaussian_components,
                     observe_gaussian_mixture)
from .result import MixtureFit
from .selection import CRITERIA, KSelection, select_k
from .start import KMEANS_POINTS, kmeans_initial_values
from .weights import weigh_data, with_sample_weight

__all__ = ["GMM", "gmm_model", "library_gmm_model", "seed_data", "fit", "choose_k", "initial_values", "num_parameters"]


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


def library_gmm_model(m) -> Callable[..., Any]:
    """The library GMM: ``model(data, K, initial_means, scale, reg_covar)``, priors in units of ``scale``.

    As :func:`gmm_model`, with ``scale`` the columns' standard deviations: per component,
    mean ~ Normal(initial mean, (MEAN_PRIOR_SCALE · scale)²) per column, sampled in units of
    ``scale``; scales ~ HalfCauchy(scale); covariance diag(σ) C diag(σ) + reg_covar · diag(scale²).
    ``missingness``: the patterns of the data's missing cells (NaN), each row then scored on
    the coordinates it has (``missing="marginalize"``); None for complete data.
    """
    import jax.numpy as jnp

    def gmm(data, K, initial_means, scale, reg_covar=REG_COVAR, missingness=None):
        D = data.shape[1]
        w = m.dist.dirichlet(concentration=0.5 * jnp.ones(K), name="weights")
        mu, scale_tril = gaussian_components(m, K, initial_means, MEAN_PRIOR_SCALE * scale, scale, reg_covar, D)
        observe_gaussian_mixture(m, w, mu, scale_tril, data, missingness)

    return with_sample_weight(gmm)  # sample_weight=w: row i's log-likelihood times w_i (models.weights)


def num_parameters(K: int, D: int) -> int:
    """Free parameters of a K-component full-covariance GMM in D dimensions: (K−1) + K·D + K·D(D+1)/2.

    >>> num_parameters(8, 2)
    47
    """
    return (K - 1) + K * D + K * D * (D + 1) // 2


def initial_values(data: np.ndarray, initial_means: np.ndarray) -> dict[str, np.ndarray]:
    """Where every chain starts: means at ``initial_means``, weights and scales of the points nearest each.

    Weights are the shares of points nearest each mean (nearest in units of each
    column's sd), scales their standard deviations per dimension (at least 1 % of
    the column's), correlations the identity. (NumPyro's default, uniform in
    [-2, 2] on the unconstrained scale, put chains in wrong modes at N = 10 000:
    r̂ 191 vs ≤ 1.01 from here.) Missing cells (NaN) are left out: nearness over a
    row's observed columns, standard deviations over observed values.
    """
    by_role = kmeans_initial_values(data, initial_means)  # the start any Gaussian mixture gets (mixtures.start)
    values = {"weights": by_role["weights"], "mu": by_role["loc"], "sigma": by_role["scale"]}
    if initial_means.shape[1] > 1:
        values["Lcorr"] = by_role["corr"]
    return values


@dataclass(frozen=True)
class GMM(MixtureModel):
    """The library GMM with ``K`` full-covariance components (:func:`library_gmm_model`) as a model object.

    >>> GMM(K=3), GMM(K=3).num_parameters(D=2)
    (GMM(K=3), 17)
    """

    K: int
    name: ClassVar[str] = "gmm"
    display_name: ClassVar[str] = "GMM"

    @property
    def num_components(self) -> int:
        return self.K

    def model(self, m: Any) -> Callable[..., Any]:
        return library_gmm_model(m)

    def start_values(self, data: MixtureData, model_kwargs: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
        """:func:`initial_values` at the model's prior means (k-means centroids or the user's ``initial_means``),
        from the rows that enter the likelihood (a sample of every process's rows when distributed)."""
        rows = shared_rows(data.matrix)
        if data.sample_weight is not None:
            rows = rows[data.sample_weight > 0]
        return initial_values(rows, np.asarray(model_kwargs["initial_means"]))

    def num_parameters(self, D: int) -> int:
        return num_parameters(self.K, D)

    @classmethod
    def from_arguments(cls, model_arguments: Mapping[str, Any]) -> "GMM":
        return cls(K=int(model_arguments["K"]))


def _kmeans_means(data: MixtureData, k: int) -> np.ndarray:
    """k-means centroids of the standardised columns (so no column's unit dominates), in the data's units.

    With missing cells: on the complete rows, or every row with NaN at the column's mean
    (:func:`bayesforge.missing.rows_for_kmeans`). Of more than
    :data:`~bayesforge.mixtures.start.KMEANS_POINTS` rows, a random sample of that many.
    """
    rows = (shared_rows(data.matrix) - data.location) / data.scale  # when distributed: a sample of all rows
    weight = data.sample_weight
    if data.missingness is not None:
        rows, chosen = rows_for_kmeans(rows, k)
        weight = None if weight is None else np.asarray(weight)[chosen]
    if len(rows) > KMEANS_POINTS:  # a random sample (k-means with 10 starts on 10⁶ rows: 7 s, on the sample: 1 s)
        chosen = np.random.default_rng(0).choice(len(rows), KMEANS_POINTS, replace=False)
        rows, weight = rows[chosen], None if weight is None else np.asarray(weight)[chosen]
    centroids = fit_kmeans(rows, k, sample_weight=weight)["centroids"]  # weighted: repeated rows'
    centroids = same_in_every_process({"centroids": centroids})["centroids"]
    return data.location + data.scale * centroids


def _fit_k(m, data: MixtureData, k: int, means: np.ndarray | None, reg_covar: float, options: dict) -> MixtureFit:
    """One library GMM fit with K = ``k``; warnings about it start with "K=k: "."""
    with prefixed_warnings(f"K={k}: "):
        means = _kmeans_means(data, k) if means is None else means
        model_kwargs = {"K": k, "initial_means": means, "scale": data.scale, "reg_covar": reg_covar}
        if data.missingness is not None:
            model_kwargs["missingness"] = data.missingness
        return fit_mixture(m, GMM(K=k), model_kwargs, data=data, **options)


def fit(
    m,
    data: Any,
    K: Any = DEFAULT_K,
    *,
    initial_means: Any = None,
    ks: Iterable[Any] = range(1, 11),
    criterion: str = "loo",
    reg_covar: Any = REG_COVAR,
    on_fit: Callable[[int, MixtureFit, int, int], Any] | None = None,
    sample_weight: Any = None,
    missing: str = "error",
    **options: Any,
) -> MixtureFit:
    """Fit the library GMM with K components to N×D ``data``; ``K="auto"`` chooses K with :func:`choose_k`.

    ``data``: an array or a pandas DataFrame (its column names become
    ``fit.feature_names``). ``initial_means`` (K×D) default to k-means
    centroids. ``reg_covar``: the covariance floor, relative to each column's
    variance (:mod:`bayesforge.mixtures.priors`). ``on_fit(k, fit, index, total)``
    is called after each K's fit (once for a fixed K). With ``K="auto"`` the
    returned fit is the selected K's, with ``fit.selection`` the
    :class:`~bayesforge.mixtures.selection.KComparison` it was selected by (the table,
    the selected K, the criterion, ``plot()``; not the other fits: ``m.choose_k`` keeps them). ``options``: ``num_warmup=1000``, ``num_samples=1000``,
    ``num_chains=4``, ``seed=0``, ``progress_bar=False``, ``max_draws=400``
    (draws kept for memberships and the figure; see
    ``models.common.SAMPLING_DEFAULTS``) and any ``m.fit`` / NUTS option; chains
    start from :func:`initial_values` unless ``init_strategy`` is given.
    ``method="vi"``: minibatch variational inference from the same start instead of
    NUTS (faster at large N; understates the uncertainty), with the options of
    :func:`bayesforge.mixtures.fitting.fit_variational`. ``sample_weight`` (N,): row i's
    log-likelihood counts w_i times (integer weights = repeated rows; 0 leaves the row out
    of the posterior but not out of the memberships); see :mod:`bayesforge.mixtures.weights`.
    ``missing``: ``"error"`` (NaN in ``data`` is an error) or ``"marginalize"``: rows with
    missing cells (NaN) are kept, each row's likelihood the mixture of the components'
    marginals over its observed coordinates (``fit.impute()`` then fills the cells in).
    """
    prepared = prepare_data(data, x64=m.devices.x64, missing=missing)
    prepared = weigh_data(prepared, sample_weight)
    floor = check_reg_covar(reg_covar)
    callback = check_on_fit(on_fit)
    if isinstance(K, str):
        if K != "auto":
            raise ValueError(f"K must be a positive whole number or 'auto', got {K!r}")
        if initial_means is not None:
            raise ValueError("initial_means needs a fixed K: with K='auto' each K gets k-means centroids")
        return _choose(m, prepared, ks, criterion, floor, callback, options).selected_fit()
    k = check_k(K, prepared.matrix.shape[0])
    means = None if initial_means is None else check_initial_means(initial_means, k, prepared.matrix.shape[1])
    result = _fit_k(m, prepared, k, means, floor, options)
    if callback is not None:
        callback(k, result, 1, 1)
    return result


def choose_k(
    m,
    data: Any,
    ks: Iterable[Any] = range(1, 11),
    criterion: str = "loo",
    *,
    on_fit: Callable[[int, MixtureFit, int, int], Any] | None = None,
    reg_covar: Any = REG_COVAR,
    sample_weight: Any = None,
    missing: str = "error",
    **fit_options: Any,
) -> KSelection:
    """Fit the GMM for every K in ``ks`` and select K by ``criterion`` ("loo", "waic" or "bic").

    Returns a :class:`~bayesforge.mixtures.selection.KSelection`: a table of
    PSIS-LOO, WAIC (ArviZ, from the pointwise log-likelihood), BIC and the
    convergence ``status`` per K, the selected K, every fit, and ``plot()``. For
    LOO and WAIC the selected K is the smallest whose expected log predictive
    density is within one standard error of the difference from the best, or
    less than 4 below it (a simpler model unless a larger one is clearly
    better); for BIC the lowest.
    Only K whose chains converged are selected (see
    :mod:`bayesforge.mixtures.selection`). ``on_fit(k, fit, index, total)`` is
    called after each K's fit (``index`` from 1); warnings about one K start
    with "K=k: ". ``fit_options`` and ``sample_weight`` as for :func:`fit` (with weights
    the criteria are weighted sums over the rows: :mod:`bayesforge.mixtures.weights`); ``missing``
    as for :func:`fit`.
    """
    prepared = prepare_data(data, x64=m.devices.x64, missing=missing)
    prepared = weigh_data(prepared, sample_weight)
    return _choose(m, prepared, ks, criterion, check_reg_covar(reg_covar), check_on_fit(on_fit), fit_options)


def _choose(m, data: MixtureData, ks, criterion: str, reg_covar: float, on_fit, options: dict) -> KSelection:
    refuse_distributed("choosing K (K='auto', choose_k)")
    candidates = check_ks(ks, data.matrix.shape[0])
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    fits = {}
    for index, k in enumerate(candidates, start=1):
        fits[k] = _fit_k(m, data, k, None, reg_covar, options)
        if on_fit is not None:
            on_fit(k, fits[k], index, len(candidates))
    return select_k(fits, criterion)
