"""A fitted mixture (GMM or DPMM): memberships, relabelled summary, model criteria, figure.

The draws behind everything here are relabelled (:mod:`bayesforge.mixtures.relabel`):
component k means the same cluster in every chain and draw.

>>> from bayesforge import bf
>>> from bayesforge.mixtures.gmm import seed_data
>>> m = bf(platform="cpu")
>>> data, _ = seed_data(n_samples=150)
>>> fit = m.gmm(data, K=3, num_warmup=100, num_samples=100, num_chains=2)
>>> fit.predict_proba().shape, fit.predict(data[:5]).shape
((150, 3), (5,))

scikit-learn's names work too (``weights_``, ``means_``, ``covariances_``, ``n_components``,
``score_samples``, ``score``, ``sample``, ``aic``, ``bic``); ``score_samples`` is the log
posterior predictive density, averaged over the draws:

>>> fit.n_components, fit.means_.shape, fit.score_samples(data[:4]).shape
(3, (3, 2), (4,))
>>> points, components = fit.sample(10, seed=0)
>>> points.shape, components.shape
((10, 2), (10,))
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..defaults import MAX_DRAWS
from ..validation import as_data_matrix, as_int
from .draws import MixtureDraws, gaussian_mixture_draws
from .memberships import membership_probabilities, occupied_components
from ..posterior import Posterior, arviz
from .predictive import log_densities, sample_points

if TYPE_CHECKING:
    from .imputation import Imputation
    from pathlib import Path

    import arviz as az
    from matplotlib.figure import Figure

    from .model import MixtureModel
    from .selection import KComparison

__all__ = ["MixtureFit"]


@dataclass
class MixtureFit:
    """One fitted mixture: ``posterior`` (relabelled), the training ``data`` (N×D) and the fit's wall time.

    Built by :meth:`from_posterior`, which computes :attr:`draws` and :attr:`diagnostics`
    once; reading the fit afterwards replays no model and starts no sampler.
    """

    posterior: Posterior
    data: np.ndarray
    seconds: float
    #: The library model fitted (:class:`~bayesforge.mixtures.model.MixtureModel`: ``GMM(K=8)``, ``DPMM(T=20)``):
    #: its summary sites, parameter count and name.
    model: "MixtureModel"
    #: Weights, means and covariances of up to ``max_draws`` evenly spaced (relabelled) posterior draws.
    draws: MixtureDraws = field(repr=False, compare=False)
    #: ``max_r_hat``, ``min_ess_bulk``, ``divergences``, ``seconds``, ``chain_method``, ``num_chains``; a
    #: variational fit (``method="vi"``): those keys (r̂ and ESS NaN) with ``method``, ``converged``,
    #: ``num_steps`` and the rest of :attr:`bayesforge.vi.VIFit.diagnostics`.
    diagnostics: dict = field(repr=False, compare=False)
    max_draws: int = MAX_DRAWS
    #: For ``K="auto"``: the comparison this fit was selected by (the K table, not the other fits).
    selection: "KComparison | None" = field(default=None, repr=False)
    #: Column names of the data (a DataFrame's columns), or None.
    feature_names: tuple[str, ...] | None = None
    #: ``"marginalize"`` when the data had missing cells (NaN) and each row was scored on the values it has
    #: (``missing="marginalize"``); then points with NaN cells are welcome in predictions too.
    missing: str = "error"
    _inference_data: "az.InferenceData | None" = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_posterior(cls, posterior: Posterior, data: np.ndarray, model: "MixtureModel", *,
                       seconds: float = float("nan"), max_draws: int = MAX_DRAWS, diagnostics: dict | None = None,
                       **fields: Any) -> "MixtureFit":
        """The fit of ``model`` whose (relabelled) ``posterior`` was drawn from ``data`` in ``seconds``.

        Computes, once, :attr:`draws` (the model replayed at up to ``max_draws`` evenly spaced
        draws) and, unless given, :attr:`diagnostics` (from the summary of the model's sites).
        ``fields``: the other fields (``feature_names``, ``missing``, ``selection``). Fits the
        library makes, fits loaded from a file and fits built from a posterior by hand are all
        made here.
        """
        with posterior.devices.context():
            draws = gaussian_mixture_draws(posterior.model, posterior.model_kwargs, posterior.draws, max_draws)
        if diagnostics is None:
            diagnostics = _diagnostics(posterior, model, draws, seconds)
        return cls(posterior=posterior, data=data, seconds=seconds, model=model, draws=draws,
                   diagnostics=diagnostics, max_draws=max_draws, **fields)

    # -- the mixture ----------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """The library model's name: ``"gmm"`` or ``"dpmm"``."""
        return self.model.name

    @property
    def K(self) -> int:
        """Number of components (for a DPMM: the truncation)."""
        return self.draws.num_components

    @property
    def weights(self) -> np.ndarray:
        """Posterior mean weight of each component (K,)."""
        return self.draws.weights.mean(axis=0)

    @property
    def means(self) -> np.ndarray:
        """Posterior mean location of each component (K×D)."""
        return self.draws.means.mean(axis=0)

    @property
    def covariances(self) -> np.ndarray:
        """Each component's covariance (K×D×D), averaged over draws in log space (robust to heavy tails)."""
        return self.draws.central_covariances()

    # scikit-learn's names (as in ``sklearn.mixture.GaussianMixture``)
    @property
    def n_components(self) -> int:
        """Number of components, ``K``."""
        return self.K

    @property
    def weights_(self) -> np.ndarray:
        """:attr:`weights` (K,)."""
        return self.weights

    @property
    def means_(self) -> np.ndarray:
        """:attr:`means` (K×D)."""
        return self.means

    @property
    def covariances_(self) -> np.ndarray:
        """:attr:`covariances` (K×D×D)."""
        return self.covariances

    @property
    def feature_labels(self) -> tuple[str, ...]:
        """``feature_names``, or ``("x1", "x2", ...)`` when the data had none (axis labels, ArviZ coords)."""
        if self.feature_names is not None:
            return tuple(str(name) for name in self.feature_names)
        return tuple(f"x{j + 1}" for j in range(self.data.shape[1]))

    # -- memberships ----------------------------------------------------------------------------
    def _points(self, X: Any) -> np.ndarray:
        """``X`` as an N×D matrix (None: the data); a DataFrame's columns are taken by ``feature_names``."""
        if X is None:
            return self.data
        if self.feature_names is not None and isinstance(X, pd.DataFrame):
            columns = {str(column): column for column in X.columns}
            missing = [name for name in self.feature_names if str(name) not in columns]
            if missing:
                raise ValueError(f"X has no column(s) {missing}; the mixture was fitted to {list(self.feature_names)}")
            X = X[[columns[str(name)] for name in self.feature_names]]
        points = as_data_matrix(X, "X", missing="marginalize" if self.missing == "marginalize" else None)
        if points.shape[1] != self.data.shape[1]:
            raise ValueError(f"X has {points.shape[1]} columns but the mixture was fitted to {self.data.shape[1]}")
        return points

    def predict_proba(self, X: Any = None, batch_size: Any = None) -> np.ndarray | pd.DataFrame:
        """N×K matrix of p(z_i = k | x_i), averaged over posterior draws; ``X`` defaults to the training data.

        For a DataFrame ``X`` a DataFrame with its index (columns: components 0..K−1).
        """
        size = None if batch_size is None else as_int(batch_size, "batch_size", minimum=1)
        with self.posterior.devices.context():
            probabilities = membership_probabilities(self.draws, self._points(X), batch_size=size)
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(probabilities, index=X.index, columns=pd.RangeIndex(self.K, name="component"))
        return probabilities

    def predict(self, X: Any = None) -> np.ndarray | pd.Series:
        """Most probable component of each point (N,), numbered from 0; for a DataFrame ``X`` a Series with its index."""
        probabilities = self.predict_proba(X)
        if isinstance(probabilities, pd.DataFrame):
            return pd.Series(probabilities.to_numpy().argmax(axis=1), index=probabilities.index, name="component")
        return probabilities.argmax(axis=1)

    # -- the posterior predictive ----------------------------------------------------------------
    def score_samples(self, X: Any = None, batch_size: Any = None) -> np.ndarray | pd.Series:
        """Log posterior predictive density of each point, log (1/S) Σ_s p(x_i | θ_s) over the kept draws.

        ``X`` defaults to the training data; for a DataFrame a Series with its index. Computed
        in batches of points (memory independent of N).
        """
        size = None if batch_size is None else as_int(batch_size, "batch_size", minimum=1)
        with self.posterior.devices.context():
            densities, _ = log_densities(self.draws, self._points(X), batch_size=size)
        if isinstance(X, pd.DataFrame):
            return pd.Series(densities, index=X.index, name="log_density")
        return densities

    def score(self, X: Any = None) -> float:
        """Mean log posterior predictive density of the points of ``X`` (default: the data); higher is better."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: Any = 1, seed: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """``n_samples`` new points from the posterior predictive (n×D) and their components (n,).

        Each point takes a random kept posterior draw, a component by that draw's weights,
        then a point from the component's multivariate normal. ``seed``: an int, None, or a
        NumPy ``Generator``.
        """
        count = as_int(n_samples, "n_samples", minimum=1)
        if seed is not None and not isinstance(seed, np.random.Generator):
            seed = as_int(seed, "seed", minimum=0)
        return sample_points(self.draws, count, seed=seed)

    def occupied_clusters(self, X: Any = None, seed: Any = 0) -> np.ndarray:
        """Per posterior draw, how many components hold at least one point of ``X`` (default: the data).

        The posterior of the number of clusters: ``np.bincount(fit.occupied_clusters())``.
        """
        with self.posterior.devices.context():
            return occupied_components(self.draws, self._points(X), seed=as_int(seed, "seed"))

    # -- tables and criteria ---------------------------------------------------------------------
    def summary(self, round_to: Any = "auto", hdi_prob: float = 0.89, var_names: Any = None) -> pd.DataFrame:
        """ArviZ summary of the relabelled draws (default: weights, means and scales of the components)."""
        names = var_names if var_names is not None else [s for s in self.model.summary_sites
                                                          if s in self.posterior.draws]
        return self.posterior.summary(round_to=round_to, hdi_prob=hdi_prob, var_names=names)

    def to_arviz(self) -> "az.InferenceData":
        """ArviZ InferenceData: relabelled posterior, observed data, pointwise log-likelihood, named dims.

        Axes that index components are ``component`` (coords 0..K−1), axes of features
        ``feature`` (coords :attr:`feature_labels`; a D×D matrix's second axis
        ``feature_bis``), the data's rows ``observation`` (coords 0..N−1).
        """
        if self._inference_data is None:
            self._inference_data = _with_named_dims(
                self.posterior.to_arviz(), self._component_axes(), self.observed_site,
                {"component": np.arange(self.K), "feature": list(self.feature_labels),
                 "feature_bis": list(self.feature_labels), "observation": np.arange(self.data.shape[0])})
        return self._inference_data

    def _component_axes(self) -> dict[str, int]:
        """Per posterior site, the (negative) axis of one draw's value that indexes components."""
        from .relabel import find_mixture_layout, relabelling_of

        relabelling = relabelling_of(self.posterior)
        layout = None if relabelling is None else relabelling.layout
        if layout is None:

            first = {name: value[0] for name, value in self.posterior.draws.items()}
            with self.posterior.devices.context():
                layout = find_mixture_layout(self.posterior.model, self.posterior.model_kwargs, first)
        return {} if layout is None else dict(layout.component_axes)

    def loo(self) -> Any:
        """PSIS-LOO (``arviz.loo``) from the pointwise log-likelihood.

        With :attr:`sample_weight`: over the rows of positive weight (the others are not in
        the posterior), elpd_loo, se and p_loo summed with the weights (those of the repeated
        rows for integer weights; :mod:`bayesforge.mixtures.weights`); ``loo_i`` and
        ``pareto_k`` are those rows'.
        """
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
            return self._weighted(arviz().loo(self._counted_rows(), pointwise=True))

    def waic(self) -> Any:
        """WAIC (``arviz.waic``) from the pointwise log-likelihood; weighted as :meth:`loo` with :attr:`sample_weight`."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="For one or more samples the posterior variance")
            return self._weighted(arviz().waic(self._counted_rows(), pointwise=True))

    @property
    def sample_weight(self) -> np.ndarray | None:
        """The rows' weights (``m.gmm(..., sample_weight=w)``), or None for an unweighted fit."""
        weights = self.posterior.model_kwargs.get("sample_weight")
        return None if weights is None else np.asarray(weights, dtype=float)

    def _counted_rows(self) -> "az.InferenceData":
        """:meth:`to_arviz`, without the rows of weight 0 when the fit is weighted."""
        weights = self.sample_weight
        if weights is None:
            return self.to_arviz()
        return self.to_arviz().isel(observation=np.flatnonzero(weights > 0))

    def _pointwise_log_likelihood(self) -> np.ndarray:
        """log p(x_i | θ_s) of the data: draws (chains stacked) × rows."""
        log_likelihood = self.to_arviz().log_likelihood[self.observed_site]
        point_dims = [d for d in log_likelihood.dims if d not in ("chain", "draw")]
        values = np.asarray(log_likelihood.transpose("chain", "draw", *point_dims), dtype=float)
        return values.reshape(values.shape[0] * values.shape[1], -1)

    def _weighted(self, result: Any) -> Any:
        """An ArviZ loo/waic result over the rows of positive weight, summed with their weights (weighted fits)."""
        weights = self.sample_weight
        if weights is None:
            return result
        from scipy.special import logsumexp

        from .weights import weighted_criterion

        counted = weights > 0
        pointwise = self._pointwise_log_likelihood()[:, counted]
        lppd = logsumexp(pointwise, axis=0) - np.log(pointwise.shape[0])
        return weighted_criterion(result, lppd, weights[counted])

    @property
    def observed_site(self) -> str:
        """Name of the site that observes the data (the mixture)."""
        return self.draws.site

    @property
    def num_parameters(self) -> int:
        """Free parameters of the model fitted, counted by the model itself (a DPMM's sticks and α, not a GMM's
        weights)."""
        return self.model.num_parameters(self.data.shape[1])

    def _best_log_likelihood(self, X: Any) -> tuple[float, float]:
        """The largest total log-likelihood of the points over the draws, and the number of points.

        ``X=None``: the data, over every posterior draw (the pointwise log-likelihood of
        :meth:`to_arviz`); otherwise the points of ``X`` over the kept draws (``max_draws``).
        With :attr:`sample_weight`, the data's total is Σ_i w_i log p(x_i | θ) and its
        number of points Σ_i w_i.
        """
        weights = self.sample_weight
        if X is None and weights is not None:
            return float((self._pointwise_log_likelihood() @ weights).max()), float(weights.sum())
        if X is None:
            log_likelihood = self.to_arviz().log_likelihood[self.observed_site]
            point_dims = [d for d in log_likelihood.dims if d not in ("chain", "draw")]
            return float(log_likelihood.sum(point_dims).max()), self.data.shape[0]
        points = self._points(X)
        with self.posterior.devices.context():
            _, per_draw = log_densities(self.draws, points)
        return float(per_draw.max()), points.shape[0]

    def aic(self, X: Any = None) -> float:
        """AIC = −2 · max log-likelihood over the posterior draws + 2 · parameters (lower is better).

        ``X`` defaults to the data (every draw); new points are scored over the kept draws.
        """
        best, _ = self._best_log_likelihood(X)
        return -2.0 * best + 2.0 * self.num_parameters

    def bic(self, X: Any = None) -> float:
        """BIC = −2 · max log-likelihood over the posterior draws + parameters · log N (lower is better).

        For a weighted fit the data's log-likelihood is weighted and N is Σ w (:attr:`sample_weight`).

        ``X`` defaults to the data (every draw); new points are scored over the kept draws.
        """
        best, n = self._best_log_likelihood(X)
        return -2.0 * best + self.num_parameters * float(np.log(n))

    # -- missing values ---------------------------------------------------------------------------
    def impute(self, X: Any = None, prob: float = 0.95) -> "Imputation":
        """``X`` (default: the data) with each missing cell (NaN) filled in from the posterior.

        Each missing cell gets its posterior mean given the row's observed values
        (the conditional mean of each component's normal, averaged over components by
        the row's memberships and over the kept draws), its posterior predictive sd and
        a central ``prob`` interval; see :mod:`bayesforge.mixtures.imputation`. Returns an
        :class:`~bayesforge.mixtures.imputation.Imputation`: ``mean`` (the completed data, N×D),
        ``sd``, ``lower``, ``upper``, ``missing`` (the mask), ``cells()`` (one row per
        missing cell) and ``to_frame()``. For a DataFrame ``X`` the arrays keep its row order.
        (A worked example without a fit: :mod:`bayesforge.mixtures.imputation`; with one: README, "Missing values".)
        """
        from .imputation import impute

        points = self._points(X)
        with np.errstate(invalid="ignore"):
            return impute(self.draws, points, prob=prob, feature_names=self.feature_labels)

    # -- figure ---------------------------------------------------------------------------------
    def plot(self, X: Any = None, path: Any = None, **options: Any) -> "Figure":
        """The GMM figure (:func:`bayesforge.mixtures.figures.plot_mixture`) of ``X`` (default: the data).

        Axes are named after the data's columns (``feature_names``) unless ``feature_names=`` is given.
        """
        from .figures import plot_mixture

        points = self._points(X)
        options.setdefault("feature_names", self.feature_labels)
        return plot_mixture(points, self.draws, self.predict_proba(points), path=path, **options)

    # -- saving ---------------------------------------------------------------------------------
    def save(self, path: Any, *, overwrite: bool = False, log_likelihood: bool | None = None) -> "Path":
        """Save this fit to ``path`` (ArviZ NetCDF); ``bayesforge.load(path)`` gives it back.

        An existing file is replaced only with ``overwrite=True``. The draws, the
        model's arguments (K, priors, ``reg_covar``), the data with its fingerprint,
        the diagnostics and the bayesforge version go into the file; see
        :mod:`bayesforge.mixtures.persist` (``log_likelihood``: None saves the pointwise
        log-likelihood unless it is very large). Returns the path written.
        """
        from .persist import save_fit

        return save_fit(self, path, overwrite=overwrite, log_likelihood=log_likelihood)

    def __repr__(self) -> str:
        n, d = self.data.shape
        if self.posterior.mcmc is None:
            return (f"<MixtureFit {self.model.display_name} K={self.K} on {n}×{d} data; "
                    f"{self.posterior.method.upper()}: {len(next(iter(self.posterior.draws.values())))} draws>")
        return (f"<MixtureFit {self.model.display_name} K={self.K} on {n}×{d} data; "
                f"{self.posterior.mcmc.num_chains} chain(s) × {self.posterior.mcmc.num_samples} draws>")


def _diagnostics(posterior: Posterior, model: "MixtureModel", draws: MixtureDraws, seconds: float) -> dict[str, Any]:
    """:attr:`MixtureFit.diagnostics` of a posterior of ``model``: r̂ and ESS over the model's summary sites.

    Components whose posterior mean weight (over ``draws``) is below the model's
    ``diagnostic_min_weight`` are left out of r̂ and ESS. A posterior without a sampler
    (built by hand) reports no chain method and its own number of chains.
    """
    if posterior.variational is not None:
        return {**posterior.variational.diagnostics, "seconds": float(seconds)}
    names = [site for site in model.summary_sites if site in posterior.draws]
    table = posterior.summary(round_to=None, var_names=names or None)
    if model.diagnostic_min_weight:
        unused = {str(k) for k in np.flatnonzero(draws.weights.mean(axis=0) < model.diagnostic_min_weight)}
        component = table.index.str.extract(r"^(?:weights|mu|sigma)\[(\d+)", expand=False)
        table = table[~np.asarray(component.isin(unused))]
    mcmc = posterior.mcmc
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)  # r̂ of one chain: NaN
        max_r_hat = float(np.nanmax(table["r_hat"]))
    return {
        "max_r_hat": max_r_hat,
        "min_ess_bulk": float(np.nanmin(table["ess_bulk"])),
        "divergences": posterior.num_divergences,
        "seconds": float(seconds),
        "chain_method": None if mcmc is None else mcmc.chain_method,
        "num_chains": len(next(iter(posterior.by_chain().values()))) if mcmc is None else mcmc.num_chains,
    }


def _with_named_dims(idata: "az.InferenceData", component_axes: dict[str, int], site: str,
                     coords: dict[str, Any]) -> "az.InferenceData":
    """A copy of ``idata`` whose mixture axes are named ``component``, ``feature``, ``feature_bis``, ``observation``.

    ArviZ names every axis ``<site>_dim_<i>``. Posterior sites indexed by component get
    ``component`` on that axis and ``feature`` (then ``feature_bis``) on following axes of
    length D; the observed site's rows become ``observation`` and its columns ``feature``.
    """
    import xarray as xr

    dimension = len(coords["feature"])

    def posterior_dims(name: str, var: "xr.DataArray") -> dict[str, str]:
        if name not in component_axes:
            return {}
        own = var.dims[2:]
        position = len(own) + component_axes[name]
        mapping = {own[position]: "component"}
        names = iter(("feature", "feature_bis"))
        for dim in own[position + 1:]:
            if var.sizes[dim] != dimension:
                break
            mapping[dim] = next(names, dim)
        return mapping

    def observed_dims(name: str, var: "xr.DataArray") -> dict[str, str]:
        if name != site:
            return {}
        own = [d for d in var.dims if d not in ("chain", "draw")]
        return dict(zip(own, ("observation", "feature")))

    renamers = {"posterior": posterior_dims, "log_likelihood": observed_dims, "observed_data": observed_dims}
    groups = {}
    for group in idata.groups():
        dataset = idata[group]
        if group in renamers:
            variables = {name: var.rename(renamers[group](name, var)) for name, var in dataset.data_vars.items()}
            dataset = xr.Dataset(variables, attrs=dataset.attrs)
            dataset = dataset.assign_coords({dim: values for dim, values in coords.items() if dim in dataset.dims})
        groups[group] = dataset
    return arviz().InferenceData(**groups)
