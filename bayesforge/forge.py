"""``bf()``: one BayesForge workspace — devices, ``m.dist``, ``m.ml``, data, fit and results.

Each ``bf()`` object keeps its own data, sampler, results and fit steps
(``m.fit_steps``: where chains start and what is done to the draws, by default a
Gaussian mixture's k-means start and relabelling): two of them in one process do
not interfere.

>>> from bayesforge import bf
>>> m = bf(platform="cpu")
>>> def model(y):
...     mu = m.dist.normal(0.0, 10.0, name="mu")
...     m.dist.normal(mu, 1.0, name="y", obs=y)
>>> m.data_on_model = {"y": [0.9, 1.1, 1.0]}
>>> m.fit(model, num_warmup=100, num_samples=100, num_chains=1, progress_bar=False)  # doctest: +ELLIPSIS
<BayesForge fitted model() ...>
>>> bool(0.0 < m.posteriors["mu"].mean() < 2.0)
True
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
import pandas as pd

from . import device as _device
from .defaults import DEFAULT_K, DEFAULT_TRUNCATION, NUTS_DEFAULTS, TARGET_ACCEPT_PROB
from .dist import Distributions
from .fit import match_arguments
from .ml import MachineLearning
from .inference import nuts_posterior
from .posterior import Posterior
from .mixtures.relabel import MIXTURE_FIT_STEPS, Relabel
from .steps import FitStep, check_fit_steps, without
from .validation import as_bool

if TYPE_CHECKING:
    from .mixtures.result import MixtureFit
    from .mixtures.selection import KSelection

__all__ = ["BayesForge", "bf"]


class BayesForge:
    """A modelling workspace. Build it with :func:`bf`.

    ``fit_steps``: the steps this workspace adds to every fit (:mod:`bayesforge.steps`;
    default :data:`bayesforge.mixtures.relabel.MIXTURE_FIT_STEPS`: a model observing a Gaussian
    mixture starts at k-means and its draws are relabelled).
    """

    def __init__(self, devices: _device.Devices, fit_steps: tuple[FitStep, ...] = MIXTURE_FIT_STEPS):
        self.devices = devices
        self._fit_steps = check_fit_steps(fit_steps)
        self.dist = Distributions(precision=devices.context)
        self.ml = MachineLearning()
        self._data_on_model: dict[str, Any] = {}
        self._posterior: Posterior | None = None
        self._failure: str | None = None  # why the last fit failed, if it did

    # -- data ---------------------------------------------------------------------------------
    @property
    def data_on_model(self) -> dict[str, Any]:
        """The model's arguments by name; ``m.fit`` matches them to the model's signature."""
        return self._data_on_model

    @data_on_model.setter
    def data_on_model(self, value: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            raise TypeError(
                f"data_on_model must be a dict (R: a named list) of the model's arguments, got {type(value).__name__}"
            )
        self._data_on_model = dict(value)

    @property
    def fit_steps(self) -> tuple[FitStep, ...]:
        """The steps this workspace adds to every fit (a tuple; assign another tuple to change them)."""
        return self._fit_steps

    @fit_steps.setter
    def fit_steps(self, value: tuple[FitStep, ...]) -> None:
        self._fit_steps = check_fit_steps(value)

    def steps_for_fit(self, relabel: Any = True) -> tuple[FitStep, ...]:
        """The fit steps of one fit: :attr:`fit_steps`, less relabelling when ``relabel`` is False."""
        return self._fit_steps if as_bool(relabel, "relabel") else without(self._fit_steps, Relabel.name)

    # -- fitting ------------------------------------------------------------------------------
    def fit(
        self,
        model: Callable[..., Any],
        num_warmup: Any = NUTS_DEFAULTS["num_warmup"],
        num_samples: Any = NUTS_DEFAULTS["num_samples"],
        num_chains: Any = NUTS_DEFAULTS["num_chains"],
        chain_method: str = "auto",
        seed: Any = 0,
        progress_bar: bool = True,
        target_accept_prob: float = TARGET_ACCEPT_PROB,
        thinning: Any = 1,
        relabel: bool = True,
        **nuts: Any,
    ) -> "BayesForge":
        """Fit ``model`` with NUTS, its arguments taken from ``m.data_on_model``.

        Chains run in parallel when there is a device per chain. Afterwards
        ``m.sampler`` is the NumPyro ``MCMC`` and ``m.posteriors`` the draws.
        When the model observes a Gaussian mixture (``mixture_same_family`` of
        ``multivariate_normal``), the draws of ``m.posteriors``, ``m.summary()``
        and ``m.to_arviz()`` are relabelled to one common labelling of the
        components (label switching; ``relabel=False`` keeps the sampler's
        labels, which ``m.sampler`` always has). Without ``init_strategy`` such a model starts at k-means.
        (Both are :attr:`fit_steps`.) Extra keywords go to ``numpyro.infer.NUTS`` (e.g. ``init_strategy``,
        ``max_tree_depth``, ``dense_mass``). Returns ``m``.
        """
        with self._fitting():
            kwargs = match_arguments(model, self._data_on_model)
            self._posterior = nuts_posterior(
                model, kwargs, self.devices, fit_steps=self.steps_for_fit(relabel),
                num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains,
                chain_method=chain_method, seed=seed, progress_bar=progress_bar,
                target_accept_prob=target_accept_prob, thinning=thinning, **nuts,
            )
        return self

    @contextlib.contextmanager
    def _fitting(self):
        """A fit: if it raises, no earlier fit's results stay behind (m.summary() etc. say it failed)."""
        try:
            yield
        except BaseException as error:
            self._posterior = None
            self._failure = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise
        self._failure = None

    # -- library models -------------------------------------------------------------------------
    def gmm(self, data: Any, K: Any = DEFAULT_K, **options: Any) -> "MixtureFit":
        """Fit a Gaussian mixture to N×D ``data`` (``K="auto"``: choose K); see :func:`bayesforge.mixtures.gmm.fit`.

        Returns a :class:`~bayesforge.mixtures.result.MixtureFit`; the fit also becomes
        this object's last fit (``m.summary()``, ``m.plot(X=data)``, ``m.posteriors``).
        ``m.data_on_model`` and ``m.ml.results`` are left as they were.
        """
        from .mixtures import gmm

        with self._fitting():
            return self._adopt(gmm.fit(self, data, K, **options))

    def choose_k(self, data: Any, ks: Any = range(1, 11), criterion: str = "loo", **options: Any) -> "KSelection":
        """Fit the GMM for each K in ``ks``; a table of LOO, WAIC, BIC and the selected K.

        See :func:`bayesforge.mixtures.gmm.choose_k` (``on_fit=`` reports each K's fit as it
        finishes); the selected fit becomes this object's last fit.
        """
        from .mixtures import gmm

        with self._fitting():
            selection = gmm.choose_k(self, data, ks=ks, criterion=criterion, **options)
            self._adopt(selection.best)
        return selection

    def dpmm(self, data: Any, T: Any = DEFAULT_TRUNCATION, **options: Any) -> "MixtureFit":
        """Fit a truncated Dirichlet-process mixture of Gaussians; see :func:`bayesforge.mixtures.dpmm.fit`."""
        from .mixtures import dpmm

        with self._fitting():
            return self._adopt(dpmm.fit(self, data, T, **options))

    def _adopt(self, result: "MixtureFit") -> "MixtureFit":
        self._posterior = result.posterior
        return result

    def _fitted(self, what: str) -> Posterior:
        if self._posterior is None:
            if self._failure is not None:
                raise RuntimeError(f"m.{what}: the last fit failed: {self._failure}")
            raise RuntimeError(f"m.{what} needs a fitted model: call m.fit(model) first")
        return self._posterior

    @property
    def sampler(self):
        """The NumPyro ``MCMC`` of the last fit (None for a variational fit; an error for a fit loaded from a file)."""
        posterior = self._fitted("sampler")
        source = getattr(posterior, "source", None)  # bayesforge.mixtures.persist.LoadedPosterior
        if source:
            raise RuntimeError(f"m.sampler: the last fit was loaded from {source}, which keeps its draws but not "
                               "NumPyro's MCMC object (it cannot be run further); fit the model again for a sampler")
        return posterior.mcmc

    @property
    def posteriors(self) -> dict[str, np.ndarray]:
        """Posterior draws of the last fit, chains stacked: ``{site: array}``."""
        return self._fitted("posteriors").draws

    @property
    def posterior(self) -> Posterior:
        """The last fit as a :class:`~bayesforge.posterior.Posterior`."""
        return self._fitted("posterior")

    def summary(self, round_to: Any = "auto", hdi_prob: float = 0.89, var_names: Any = None) -> pd.DataFrame:
        """Summary table of the last fit (ArviZ): mean, sd, HDI, MCSE, ESS bulk/tail, r̂.

        ``round_to="auto"`` rounds to significant figures (readable in any unit, MCSE
        included); an int rounds to that many decimals; ``None`` keeps every digit.
        """
        return self._fitted("summary()").summary(round_to=round_to, hdi_prob=hdi_prob, var_names=var_names)

    def to_arviz(self):
        """ArviZ ``InferenceData`` of the last fit, with pointwise log-likelihood."""
        return self._fitted("to_arviz()").to_arviz()

    def sample(self, n: Any = 1, seed: Any = None, site: str | None = None) -> np.ndarray:
        """``n`` new observations from the last fit's posterior predictive (n, ...): one posterior draw and one
        new value of the observed ``site`` each; see :meth:`~bayesforge.posterior.Posterior.sample_predictive`.

        ``site`` is needed only when the model observes several sites.
        """
        return self._fitted("sample()").sample_predictive(n, seed=seed, site=site)

    def score_samples(self, X: Any, site: str | None = None, max_draws: Any = None) -> np.ndarray:
        """Log posterior predictive density of each row of ``X`` under the last fit, averaged over its draws
        (log-mean-exp); see :meth:`~bayesforge.posterior.Posterior.score_samples`."""
        return self._fitted("score_samples()").score_samples(X, site=site, max_draws=max_draws)

    def save(self, path: Any, *, overwrite: bool = False):
        """Save the last fit's InferenceData (``m.to_arviz()``) to ``path``, an ArviZ NetCDF file; returns the path.

        The model function is code and is not saved (a UserWarning says so):
        ``bayesforge.load(path)`` returns the ``arviz.InferenceData`` (draws,
        sample_stats, pointwise log-likelihood, observed data). A library fit
        (``m.gmm``, ``m.dpmm``) is saved whole with ``fit.save(path)`` instead. An
        existing file is replaced only with ``overwrite=True``.
        """
        from .mixtures.persist import save_inference_data

        return save_inference_data(self, path, overwrite=overwrite)

    def plot(self, X: Any, sampler: Any = None, path: Any = None, **options: Any):
        """Draw a fitted Gaussian mixture over ``X``; see :func:`bayesforge.mixtures.figures.plot_gmm`."""
        from .mixtures.figures import plot_gmm

        posterior = self._fitted("plot()")
        if sampler is not None and sampler is not posterior.mcmc:
            raise ValueError("sampler must be the sampler of this object's last fit (m.sampler)")
        return plot_gmm(X, posterior, path=path, **options)

    @property
    def is_main_process(self) -> bool:
        """True in the process that writes files: process 0 of a distributed fit, or the only one."""
        from .distributed import is_main_process

        return is_main_process()

    def __repr__(self) -> str:
        state = "not fitted" if self._failure is None else "last fit failed"
        if self._posterior is not None:
            mcmc = self._posterior.mcmc
            name = getattr(self._posterior.model, "__name__", "model")
            if mcmc is None:  # a variational fit
                draws = len(next(iter(self._posterior.draws.values())))
                state = f"fitted {name}() by {self._posterior.method.upper()} ({draws} draws)"
            else:
                state = f"fitted {name}() with {mcmc.num_chains} chain(s) × {mcmc.num_samples} draws ({mcmc.chain_method})"
                if getattr(mcmc, "start", None):  # bayesforge.fit.Sampler: how the chains started
                    state += f", started at {mcmc.start}"
        devices = self.devices.describe().replace("\n", "; ")
        return f"<BayesForge {state}; {devices}>"


def bf(platform: str | None = None, cores: Any = None, x64: bool = False, distributed: Any = None) -> BayesForge:
    """Create a BayesForge workspace.

    ``platform``: ``None`` (JAX's default), ``"cpu"``, ``"gpu"`` or ``"tpu"``.
    ``cores``: host devices for parallel chains on the CPU (set only before JAX
    starts; default: enough for the default 4 chains). ``x64``: fit in float64.
    ``distributed``: one fit over the rows of several processes (README "Many
    machines"): ``True`` (the cluster's environment: SLURM, Open MPI, ...) or
    ``{"coordinator_address": "host:port", "num_processes": P, "process_id": i}``;
    each process then passes only its own rows, and only ``m.is_main_process``
    should write files.
    """
    return BayesForge(_device.configure(platform=platform, cores=cores, x64=x64, distributed=distributed))
