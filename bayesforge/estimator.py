"""``BayesianGMM``: the library's Bayesian Gaussian mixture as a scikit-learn estimator.

It fits ``bf().gmm(X, K=n_components, ...)`` (NUTS, relabelled draws) and answers with
scikit-learn's names, so it goes into a ``Pipeline``, ``GridSearchCV`` (scored by
:meth:`BayesianGMM.score`, the mean log posterior predictive density) and ``clone``.
The full Bayesian result stays available as ``posterior_`` (a
:class:`~bayesforge.mixtures.result.MixtureFit`: summary, r̂, LOO/WAIC, ArviZ, figure).

>>> import numpy as np
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from bayesforge import BayesianGMM
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(8, 1, (40, 2))]
>>> model = make_pipeline(StandardScaler(), BayesianGMM(n_components=2, num_chains=2, num_warmup=100,
...                                                     num_samples=100, random_state=0))
>>> labels = model.fit_predict(X)
>>> sorted(np.bincount(labels).tolist()), model[-1].means_.shape, model.predict_proba(X[:3]).shape
([40, 40], (2, 2), (3, 2))
"""
from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, DensityMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .defaults import DEFAULT_K, MAX_DRAWS, NUTS_DEFAULTS, R_HAT_LIMIT, REG_COVAR, TARGET_ACCEPT_PROB

if TYPE_CHECKING:
    from .mixtures.result import MixtureFit

__all__ = ["BayesianGMM"]

#: Fit options the estimator sets from its own parameters (``fit_options`` may not set them).
_OWN_OPTIONS = ("K", "seed", "num_warmup", "num_samples", "num_chains", "target_accept_prob", "max_draws",
                "initial_means", "reg_covar", "method", "missing")
#: Parameters that only NUTS reads (not passed to a variational fit).
_NUTS_ONLY = ("num_warmup", "num_chains", "target_accept_prob")


class BayesianGMM(ClusterMixin, DensityMixin, BaseEstimator):
    """Bayesian Gaussian mixture with full covariances, fitted with NUTS (scikit-learn API).

    The model is the library GMM of :func:`bayesforge.mixtures.gmm.fit`: Dirichlet(0.5)
    weights, component means around k-means centroids, half-Cauchy scales and LKJ(1)
    correlations in each column's own unit. Predictions average over the posterior draws.

    Parameters
    ----------
    n_components : int, default=8
        Number of mixture components K.
    method : {"nuts", "vi"}, default="nuts"
        How the posterior is fitted: ``"nuts"`` (MCMC) or ``"vi"`` (variational inference,
        passed to ``m.gmm(..., method="vi")``; ``num_warmup``, ``num_chains`` and
        ``target_accept_prob`` are NUTS settings and are not passed to it).
    missing : {"error", "marginalize"}, default="error"
        What a NaN in X means: an error (``"error"``), or a missing value
        (``"marginalize"``): each row's likelihood, memberships and score use the values
        it has (the components' marginals over them), and ``posterior_.impute(X)`` fills
        the missing cells in. Infinite values are always an error.
    num_warmup : int, default=1000
        NUTS warmup (adaptation) iterations per chain.
    num_samples : int, default=1000
        Posterior draws kept per chain.
    num_chains : int, default=4
        Markov chains (in parallel when there is a device per chain); r̂, and so
        ``converged_``, needs at least 2.
    target_accept_prob : float, default=0.8
        NUTS target acceptance probability; raise it (0.9, 0.95) when there are divergences.
    max_draws : int, default=400
        Posterior draws (evenly spaced) used for predictions, scores and samples.
    reg_covar : float, default=1e-6
        Covariance floor added to each component, relative to each column's variance
        (scikit-learn's ``GaussianMixture`` adds it in absolute units).
    means_init : array-like of shape (n_components, n_features), default=None
        Prior means and starting points of the components; None: k-means centroids.
    random_state : int, RandomState instance or None, default=None
        Seed of the sampler (an int is used as the NumPyro seed as is); None draws one.
    platform : {"cpu", "gpu", "tpu"} or None, default=None
        Where to fit (``bf(platform=...)``); None: JAX's default device.
    fit_options : dict, default=None
        Further options of ``m.gmm`` / ``m.fit`` / NUTS (e.g. ``{"chain_method": "vectorized",
        "dense_mass": True}``); not the ones set by the parameters above.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Posterior mean weight of each component.
    means_ : ndarray of shape (n_components, n_features)
        Posterior mean of each component's mean.
    covariances_ : ndarray of shape (n_components, n_features, n_features)
        Each component's covariance, averaged over draws in log space.
    converged_ : bool
        NUTS: True when the chains agree, largest r̂ ≤ 1.1 (False with one chain, which
        cannot be checked); a ``ConvergenceWarning`` says when not. ``method="vi"``: the
        optimiser's own verdict (``posterior_.diagnostics["converged"]``).
    labels_ : ndarray of shape (n_samples,)
        Most probable component of each training point (numbered from 0).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X had string column names.
    posterior_ : MixtureFit
        The full Bayesian result: draws, ``summary()``, ``diagnostics``, ``loo()``,
        ``to_arviz()``, ``plot()``.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"nuts", "vi"})],
        "missing": [StrOptions({"error", "marginalize"})],
        "num_warmup": [Interval(Integral, 0, None, closed="left")],
        "num_samples": [Interval(Integral, 1, None, closed="left")],
        "num_chains": [Interval(Integral, 1, None, closed="left")],
        "target_accept_prob": [Interval(Real, 0, 1, closed="neither")],
        "max_draws": [Interval(Integral, 1, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "means_init": ["array-like", None],
        "random_state": ["random_state"],
        "platform": [StrOptions({"cpu", "gpu", "tpu"}), None],
        "fit_options": [dict, None],
    }

    def __init__(
        self,
        n_components: int = DEFAULT_K,
        *,
        method: str = "nuts",
        missing: str = "error",
        num_warmup: int = NUTS_DEFAULTS["num_warmup"],
        num_samples: int = NUTS_DEFAULTS["num_samples"],
        num_chains: int = NUTS_DEFAULTS["num_chains"],
        target_accept_prob: float = TARGET_ACCEPT_PROB,
        max_draws: int = MAX_DRAWS,
        reg_covar: float = REG_COVAR,
        means_init: Any = None,
        random_state: Any = None,
        platform: str | None = None,
        fit_options: dict | None = None,
    ):
        self.n_components = n_components
        self.method = method
        self.missing = missing
        self.num_warmup = num_warmup
        self.num_samples = num_samples
        self.num_chains = num_chains
        self.target_accept_prob = target_accept_prob
        self.max_draws = max_draws
        self.reg_covar = reg_covar
        self.means_init = means_init
        self.random_state = random_state
        self.platform = platform
        self.fit_options = fit_options

    # -- fitting ------------------------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        """Keyword arguments of ``m.gmm`` from the parameters."""
        extra = dict(self.fit_options or {})
        clashes = sorted(set(extra) & set(_OWN_OPTIONS))
        if clashes:
            raise ValueError(f"fit_options sets {clashes}, which are parameters of BayesianGMM (or K for "
                             "n_components, seed for random_state); set them there")
        options = {
            "num_warmup": self.num_warmup, "num_samples": self.num_samples, "num_chains": self.num_chains,
            "target_accept_prob": self.target_accept_prob, "max_draws": self.max_draws, "reg_covar": self.reg_covar,
            "seed": _seed(self.random_state), **extra,
        }
        if self.missing != "error":
            options["missing"] = self.missing
        if self.means_init is not None:
            options["initial_means"] = self.means_init
        if self.method != "nuts":
            options["method"] = self.method
            for name in _NUTS_ONLY:
                options.pop(name)
        return options

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "BayesianGMM":
        """Fit the mixture to X (n_samples × n_features); ``y`` is ignored. Returns self.

        ``sample_weight`` (n_samples,): row i's log-likelihood counts w_i times (integer
        weights = repeated rows; 0 leaves the row out of the posterior, not out of
        ``labels_``); checked before anything is fitted (:mod:`bayesforge.mixtures.weights`).
        """
        from .forge import bf
        from .validation import check_sample_weight

        options = self._options()
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2, ensure_all_finite=self._finite())
        if X.shape[0] < self.n_components:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = {self.n_components}, "
                             f"n_samples = {X.shape[0]}")
        sample_weight = check_sample_weight(sample_weight, X.shape[0])  # None when absent or all ones
        workspace = bf(platform=self.platform)  # this estimator's own workspace: nothing shared between fits
        try:
            weights = {} if sample_weight is None else {"sample_weight": sample_weight}
            fit = workspace.gmm(X, K=self.n_components, **weights, **options)
        except TypeError as error:
            if self.method != "nuts" and "'method'" in str(error):
                raise ValueError(f"method={self.method!r}: this bayesforge's m.gmm has no variational fit "
                                 "(it does not accept method=); use method='nuts'") from error
            raise
        if hasattr(self, "feature_names_in_"):
            fit.feature_names = tuple(str(name) for name in self.feature_names_in_)
        self.posterior_ = fit
        self.weights_ = np.asarray(fit.weights_, dtype=float)
        self.means_ = np.asarray(fit.means_, dtype=float)
        self.covariances_ = np.asarray(fit.covariances_, dtype=float)
        self.converged_ = self._check_convergence(fit)
        self.labels_ = np.asarray(fit.predict(), dtype=np.int64)
        return self

    def _check_convergence(self, fit: "MixtureFit") -> bool:
        """NUTS: largest r̂ ≤ 1.1 (needs 2 chains); a variational fit: its own ``diagnostics["converged"]``."""
        if self.method != "nuts":
            if not fit.diagnostics.get("converged", False):
                warnings.warn(f"BayesianGMM: the {self.method} optimisation did not report convergence",
                              ConvergenceWarning, stacklevel=3)
                return False
            return True
        if fit.posterior.mcmc.num_chains < 2:
            warnings.warn("BayesianGMM: with one chain r̂ cannot be computed, so convergence is not checked "
                          "(converged_ = False); use num_chains >= 2", ConvergenceWarning, stacklevel=3)
            return False
        r_hat = fit.diagnostics["max_r_hat"]
        if not r_hat <= R_HAT_LIMIT:
            warnings.warn(f"BayesianGMM: the chains did not converge (max r̂ = {r_hat:.3g} > {R_HAT_LIMIT}); "
                          "increase num_warmup and num_samples", ConvergenceWarning, stacklevel=3)
            return False
        return True

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit (with ``sample_weight`` as :meth:`fit`), then the most probable component of each training point
        (numbered from 0)."""
        return self.fit(X, y, sample_weight=sample_weight).labels_

    # -- predictions ---------------------------------------------------------------------------------
    def _check(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False, ensure_all_finite=self._finite())

    def _finite(self) -> bool | str:
        """scikit-learn's ``ensure_all_finite``: NaN allowed when it marks a missing value."""
        return "allow-nan" if self.missing == "marginalize" else True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing == "marginalize"
        return tags

    def predict_proba(self, X: Any) -> np.ndarray:
        """p(component k | x_i), averaged over posterior draws: an (n_samples, n_components) array."""
        X = self._check(X)
        return np.asarray(self.posterior_.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of each point (numbered from 0)."""
        return self.predict_proba(X).argmax(axis=1)

    def score_samples(self, X: Any) -> np.ndarray:
        """Log posterior predictive density of each point: log (1/S) Σ_s p(x_i | θ_s) over the kept draws."""
        X = self._check(X)
        return np.asarray(self.posterior_.score_samples(X))

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log posterior predictive density of the points of X (higher is better); ``y`` is ignored."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """``n_samples`` points from the posterior predictive and their components, as ``(X, y)``.

        Reproducible for an int ``random_state`` (as ``GaussianMixture.sample``).
        """
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a whole number >= 1, got {n_samples!r}")
        return self.posterior_.sample(int(n_samples), seed=_seed(self.random_state))

    def aic(self, X: Any) -> float:
        """Akaike information criterion on X: −2 · max over draws of log p(X | θ) + 2 · parameters."""
        X = self._check(X)
        return self.posterior_.aic(X)

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on X: −2 · max over draws of log p(X | θ) + parameters · log n."""
        X = self._check(X)
        return self.posterior_.bic(X)


def _seed(random_state: Any) -> int:
    """The NumPyro seed of ``random_state``: an int as is, else drawn from its RandomState."""
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
