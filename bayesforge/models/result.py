"""A fitted mixture (GMM or DPMM): memberships, relabelled summary, model criteria, figure.

The draws behind everything here are relabelled (:mod:`bayesforge.relabel`):
component k means the same cluster in every chain and draw.

>>> from bayesforge import bf
>>> from bayesforge.models.gmm import seed_data
>>> m = bf(platform="cpu")
>>> data, _ = seed_data(n_samples=150)
>>> fit = m.gmm(data, K=3, num_warmup=100, num_samples=100, num_chains=2)
>>> fit.predict_proba().shape, fit.predict(data[:5]).shape
((150, 3), (5,))
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..interop import as_int
from ..mixture import MixtureDraws, gaussian_mixture_draws, membership_probabilities, occupied_components
from ..ml import as_data_matrix
from ..posterior import Posterior, arviz

if TYPE_CHECKING:
    import arviz as az
    from matplotlib.figure import Figure

    from .selection import KSelection

__all__ = ["MixtureFit"]


@dataclass
class MixtureFit:
    """One fitted mixture: ``posterior`` (relabelled), the training ``data`` (N×D) and the fit's wall time."""

    posterior: Posterior
    data: np.ndarray
    seconds: float
    kind: str  # "gmm" or "dpmm"
    max_draws: int = 400
    #: Sites shown by :meth:`summary` by default.
    summary_sites: tuple[str, ...] = ("weights", "mu", "sigma")
    #: For ``K="auto"``: the comparison this fit was selected from.
    selection: "KSelection | None" = field(default=None, repr=False)
    #: Column names of the data (a DataFrame's columns), or None.
    feature_names: tuple[str, ...] | None = None
    #: The model's free parameters for BIC, when not those of a K-component full-covariance GMM.
    parameter_count: int | None = field(default=None, repr=False)

    # -- the mixture ----------------------------------------------------------------------------
    @cached_property
    def draws(self) -> MixtureDraws:
        """Weights, means and covariances of up to ``max_draws`` evenly spaced (relabelled) posterior draws."""
        with self.posterior.devices.context():
            return gaussian_mixture_draws(self.posterior.model, self.posterior.model_kwargs, self.posterior.draws,
                                          self.max_draws)

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

    # -- memberships ----------------------------------------------------------------------------
    def _points(self, X: Any) -> np.ndarray:
        if X is None:
            return self.data
        points = as_data_matrix(X, "X")
        if points.shape[1] != self.data.shape[1]:
            raise ValueError(f"X has {points.shape[1]} columns but the mixture was fitted to {self.data.shape[1]}")
        return points

    def predict_proba(self, X: Any = None, batch_size: Any = None) -> np.ndarray:
        """N×K matrix of p(z_i = k | x_i), averaged over posterior draws; ``X`` defaults to the training data."""
        size = None if batch_size is None else as_int(batch_size, "batch_size", minimum=1)
        with self.posterior.devices.context():
            return membership_probabilities(self.draws, self._points(X), batch_size=size)

    def predict(self, X: Any = None) -> np.ndarray:
        """Most probable component of each point (N,)."""
        return self.predict_proba(X).argmax(axis=1)

    def occupied_clusters(self, X: Any = None, seed: Any = 0) -> np.ndarray:
        """Per posterior draw, how many components hold at least one point of ``X`` (default: the data).

        The posterior of the number of clusters: ``np.bincount(fit.occupied_clusters())``.
        """
        with self.posterior.devices.context():
            return occupied_components(self.draws, self._points(X), seed=as_int(seed, "seed"))

    # -- tables and criteria ---------------------------------------------------------------------
    def summary(self, round_to: Any = "auto", hdi_prob: float = 0.89, var_names: Any = None) -> pd.DataFrame:
        """ArviZ summary of the relabelled draws (default: weights, means and scales of the components)."""
        names = var_names if var_names is not None else [s for s in self.summary_sites if s in self.posterior.draws]
        return self.posterior.summary(round_to=round_to, hdi_prob=hdi_prob, var_names=names)

    @cached_property
    def diagnostics(self) -> dict[str, Any]:
        """``max_r_hat``, ``min_ess_bulk``, ``divergences``, ``seconds``, ``chain_method``, ``num_chains``."""
        table = self.summary(round_to=None)
        return {
            "max_r_hat": float(np.nanmax(table["r_hat"])),
            "min_ess_bulk": float(np.nanmin(table["ess_bulk"])),
            "divergences": self.posterior.num_divergences,
            "seconds": float(self.seconds),
            "chain_method": self.posterior.mcmc.chain_method,
            "num_chains": self.posterior.mcmc.num_chains,
        }

    def to_arviz(self) -> "az.InferenceData":
        """ArviZ InferenceData (relabelled posterior, pointwise log-likelihood of every point)."""
        return self.posterior.to_arviz()

    def loo(self) -> Any:
        """PSIS-LOO (``arviz.loo``) from the pointwise log-likelihood."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
            return arviz().loo(self.to_arviz(), pointwise=True)

    def waic(self) -> Any:
        """WAIC (``arviz.waic``) from the pointwise log-likelihood."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="For one or more samples the posterior variance")
            return arviz().waic(self.to_arviz(), pointwise=True)

    @property
    def observed_site(self) -> str:
        """Name of the site that observes the data (the mixture)."""
        return self.draws.site

    @property
    def num_parameters(self) -> int:
        """Free parameters of the model (``parameter_count``); by default a K-component, D-dimensional
        full-covariance GMM's: (K−1) + K·D + K·D(D+1)/2."""
        if self.parameter_count is not None:
            return self.parameter_count
        k, d = self.K, self.data.shape[1]
        return (k - 1) + k * d + k * d * (d + 1) // 2

    def bic(self) -> float:
        """BIC = −2 · max log-likelihood over the posterior draws + parameters · log N (lower is better)."""
        log_likelihood = self.to_arviz().log_likelihood[self.observed_site]
        point_dims = [d for d in log_likelihood.dims if d not in ("chain", "draw")]
        best = float(log_likelihood.sum(point_dims).max())
        return -2.0 * best + self.num_parameters * float(np.log(self.data.shape[0]))

    # -- figure ---------------------------------------------------------------------------------
    def plot(self, X: Any = None, path: Any = None, **options: Any) -> "Figure":
        """The GMM figure (:func:`bayesforge.plot.plot_mixture`) of ``X`` (default: the data)."""
        from ..plot import plot_mixture

        points = self._points(X)
        return plot_mixture(points, self.draws, self.predict_proba(points), path=path, **options)

    def __repr__(self) -> str:
        n, d = self.data.shape
        return (f"<MixtureFit {self.kind.upper()} K={self.K} on {n}×{d} data; "
                f"{self.posterior.mcmc.num_chains} chain(s) × {self.posterior.mcmc.num_samples} draws>")
