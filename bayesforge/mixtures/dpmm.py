"""Dirichlet-process mixture of Gaussians, truncated stick-breaking: a GMM that infers how many clusters.

Model (T components, the truncation; D dimensions; column means x̄ and sds s):
concentration α ~ Gamma(1, 1); sticks v_t ~ Beta(1, α), t < T; weights
w_t = v_t ∏_{j<t} (1 − v_j), the last taking what is left; per component
μ_t ~ N(x̄, diag(s²)) (sampled in units of s), σ_t ~ HalfCauchy(s), L_t ~ LKJ(1),
covariance diag(σ_t) L_t L_tᵀ diag(σ_t) + reg_covar · diag(s²); the label is summed out.
Every prior is in the columns' own units, so the unit of the data does not change the
clusters (see :mod:`bayesforge.mixtures.priors`). The number of occupied clusters has
a posterior (:meth:`MixtureFit.occupied_clusters`). For BIC the model has
(T − 1) sticks + α + T·D means + T·D(D+1)/2 covariance parameters (:func:`num_parameters`).

>>> from bayesforge import bf
>>> m = bf(platform="cpu")
>>> model = dpmm_model(m)            # model(data, T, location, scale, reg_covar), for m.fit
>>> fit(m, [[0.0, 1.0], [1.0, 2.0]], T=1)
Traceback (most recent call last):
...
ValueError: T must be at least 2, got 1
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from ..defaults import DEFAULT_TRUNCATION, UNUSED_WEIGHT
from ..validation import as_int, check_reg_covar
from ..missing import column_spread, rows_for_kmeans
from .data import MixtureData, prepare_data
from .fitting import fit_mixture
from .model import MixtureModel
from .priors import REG_COVAR, gaussian_components, observe_gaussian_mixture
from .result import MixtureFit
from .weights import weigh_data, with_sample_weight

__all__ = ["DEFAULT_TRUNCATION", "DPMM", "dpmm_model", "fit", "initial_values", "num_parameters", "stick_breaking_weights"]



def stick_breaking_weights(sticks):
    """Weights from T−1 stick fractions: w_t = v_t ∏_{j<t}(1 − v_j), w_T = ∏_j (1 − v_j).

    >>> import jax.numpy as jnp
    >>> stick_breaking_weights(jnp.array([0.5, 0.5])).tolist()
    [0.5, 0.25, 0.25]
    """
    import jax.numpy as jnp

    remaining = jnp.cumprod(1.0 - sticks, axis=-1)
    ones = jnp.ones(sticks.shape[:-1] + (1,), dtype=sticks.dtype)
    return jnp.concatenate([sticks, ones], axis=-1) * jnp.concatenate([ones, remaining], axis=-1)


def dpmm_model(m) -> Callable[..., Any]:
    """The truncated stick-breaking DPMM with ``m.dist``: ``model(data, T, location, scale, reg_covar)``.

    ``location`` and ``scale``: the columns' means and standard deviations; ``missingness``:
    the patterns of the data's missing cells (``missing="marginalize"``), None for complete data.
    """

    def dpmm(data, T, location, scale, reg_covar=REG_COVAR, missingness=None):
        D = data.shape[1]
        alpha = m.dist.gamma(1.0, 1.0, name="alpha")
        with m.dist.plate("sticks", T - 1):
            v = m.dist.beta(1.0, alpha, name="v")
        w = m.dist.deterministic("weights", stick_breaking_weights(v))
        mu, scale_tril = gaussian_components(m, T, location, scale, scale, reg_covar, D)
        observe_gaussian_mixture(m, w, mu, scale_tril, data, missingness)

    return with_sample_weight(dpmm)  # sample_weight=w: row i's log-likelihood times w_i (models.weights)


def num_parameters(T: int, D: int) -> int:
    """Free parameters of the truncated DPMM: (T − 1) sticks + α + T·D means + T·D(D+1)/2 covariance parameters.

    >>> num_parameters(20, 2)
    120
    """
    return (T - 1) + 1 + T * D + T * D * (D + 1) // 2


#: Points used to find the starting clusters (scikit-learn EM); more add time, not information.
INIT_POINTS = 20_000


def initial_values(data: np.ndarray, T: int, random_state: int = 0) -> dict[str, np.ndarray]:
    """Where chains start: the BIC-best scikit-learn ``GaussianMixture`` with up to T − 1 components.

    Fitted to the standardised columns (scikit-learn's ``reg_covar`` is absolute),
    its components, heaviest first, give the means, per-dimension scales and
    sticks (v_t = w_t / (1 − Σ_{j<t} w_j)); the spare components start at the
    data's mean and scale with a tiny weight; α starts at 1, correlations at the
    identity. (Starting from scikit-learn's variational DP mixture instead, two
    nearby blobs of the seed data began merged and some chains never split them.) With
    missing cells (NaN), the columns' moments are over their observed values and the
    mixture is fitted to the rows :func:`bayesforge.missing.rows_for_kmeans` picks.
    """
    from sklearn.mixture import GaussianMixture

    incomplete = bool(np.isnan(data).any())
    location = np.nanmean(data, axis=0) if incomplete else data.mean(axis=0)
    overall = column_spread(data)
    spread = np.where(overall > 0, overall, 1.0)
    rng = np.random.default_rng(random_state)
    subset = data if len(data) <= INIT_POINTS else data[rng.choice(len(data), INIT_POINTS, replace=False)]
    subset = (subset - location) / spread
    if incomplete:
        subset = rows_for_kmeans(subset, T - 1)[0]
    candidates = [
        GaussianMixture(n_components=k, covariance_type="full", n_init=2, random_state=random_state).fit(subset)
        for k in range(1, min(T - 1, len(subset)) + 1)
    ]
    best = min(candidates, key=lambda model: model.bic(subset))
    order = np.argsort(best.weights_)[::-1]
    k, d = best.n_components, data.shape[1]
    spare = T - k
    weights = np.concatenate([best.weights_[order] * (1 - 1e-3), np.full(spare, 1e-3 / spare)])
    left = 1.0 - np.concatenate([[0.0], np.cumsum(weights)[:-1]])
    sticks = np.clip(weights[:-1] / np.clip(left[:-1], 1e-12, None), 1e-4, 1 - 1e-4)
    scales = spread * np.sqrt(np.diagonal(best.covariances_[order], axis1=-2, axis2=-1))
    values = {
        "alpha": np.array(1.0),
        "v": sticks,
        "mu": np.concatenate([location + spread * best.means_[order], np.broadcast_to(location, (spare, d))]),
        "sigma": np.concatenate([np.maximum(scales, 0.01 * spread), np.broadcast_to(spread, (spare, d))]),
    }
    if d > 1:
        values["Lcorr"] = np.broadcast_to(np.eye(d), (T, d, d)).copy()
    return values


@dataclass(frozen=True)
class DPMM(MixtureModel):
    """The truncated DPMM with ``T`` components (:func:`dpmm_model`) as a model object; its BIC counts its own
    parameters (:func:`num_parameters`), not a T-component GMM's.

    >>> from bayesforge.mixtures.gmm import GMM
    >>> DPMM(T=20).num_parameters(D=2), GMM(K=20).num_parameters(D=2)   # α on top of the GMM's
    (120, 119)
    """

    T: int
    name: ClassVar[str] = "dpmm"
    display_name: ClassVar[str] = "DPMM"
    summary_sites: ClassVar[tuple[str, ...]] = ("alpha", "weights", "mu", "sigma")
    diagnostic_min_weight: ClassVar[float] = UNUSED_WEIGHT

    @property
    def num_components(self) -> int:
        return self.T

    def model(self, m: Any) -> Callable[..., Any]:
        return dpmm_model(m)

    def start_values(self, data: MixtureData, model_kwargs: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
        """:func:`initial_values` of the data (scikit-learn's ``GaussianMixture`` with ``random_state=seed``)."""
        return initial_values(data.matrix, self.T, random_state=seed)

    def num_parameters(self, D: int) -> int:
        return num_parameters(self.T, D)

    @classmethod
    def from_arguments(cls, model_arguments: Mapping[str, Any]) -> "DPMM":
        return cls(T=int(model_arguments["T"]))


def fit(
    m,
    data: Any,
    T: Any = DEFAULT_TRUNCATION,
    *,
    reg_covar: Any = REG_COVAR,
    sample_weight: Any = None,
    missing: str = "error",
    **options: Any,
) -> MixtureFit:
    """Fit the truncated DPMM with ``T`` components to N×D ``data`` (an array or a pandas DataFrame).

    ``sample_weight`` (N,): row i's log-likelihood counts w_i times, as for
    :func:`bayesforge.mixtures.gmm.fit` (:mod:`bayesforge.mixtures.weights`).

    Returns a :class:`~bayesforge.mixtures.result.MixtureFit` (memberships over the T
    components, relabelled summary with ``alpha``, ``occupied_clusters()``). Chains
    start from :func:`initial_values` unless ``init_strategy`` is given.
    ``reg_covar`` and ``options`` as for :func:`bayesforge.mixtures.gmm.fit`
    (``num_warmup``, ``num_samples``, ``num_chains``, ``seed``, ``max_draws``, NUTS options;
    ``method="vi"`` for minibatch variational inference; ``missing="marginalize"`` for rows
    with missing values).
    """
    prepared = prepare_data(data, x64=m.devices.x64, missing=missing)
    prepared = weigh_data(prepared, sample_weight)
    floor = check_reg_covar(reg_covar)
    truncation = as_int(T, "T")
    if truncation < 2:
        raise ValueError(f"T must be at least 2, got {truncation}")
    return _fit(m, prepared, truncation, floor, options)


def _fit(m, data: MixtureData, T: int, reg_covar: float, options: dict) -> MixtureFit:
    model_kwargs = {"T": T, "location": data.location, "scale": data.scale, "reg_covar": reg_covar}
    if data.missingness is not None:
        model_kwargs["missingness"] = data.missingness
    return fit_mixture(m, DPMM(T=T), model_kwargs, data=data, **options)
