"""What a finished fit offers: draws, the ArviZ InferenceData and the summary table.

``m.fit`` keeps one :class:`Posterior` (made by :mod:`bayesforge.inference`: a result
starts no sampler); ``m.summary()``, ``m.to_arviz()`` and ``m.posteriors`` read it::

    m.summary(hdi_prob=0.89)                  # pandas DataFrame, rounded to significant figures
    m.to_arviz().log_likelihood                # pointwise, for LOO / WAIC

:meth:`Posterior.postprocessed` applies post-processing steps (:mod:`bayesforge.steps`) that
turn the draws into other draws, giving a new Posterior whose ``details`` record what each did;
the fit does it once, when it ends. This module knows nothing of what the steps are: the
workspace passes its own (``m.fit_steps``; by default a Gaussian mixture's draws are relabelled,
:mod:`bayesforge.mixtures.relabel`). Reading a Posterior does no work beyond reshaping its draws.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

import warnings

import numpy as np
import pandas as pd
from numpyro.infer import MCMC

from .device import Devices
from .replay import compiled_replay
from .steps import FitStep, check_fit_steps, post_steps
from .validation import check_round_to

if TYPE_CHECKING:
    import arviz as az

__all__ = ["Posterior", "arviz", "round_summary"]

#: ArviZ's names for NumPyro's per-draw statistics (as ``arviz.from_numpyro`` gives them).
_ARVIZ_SAMPLE_STATS = {"potential_energy": "lp", "adapt_state.step_size": "step_size", "num_steps": "n_steps",
                       "accept_prob": "acceptance_rate"}


def arviz():
    """Import ArviZ without its import-time FutureWarning about its coming refactor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    return az


@dataclass
class Posterior:
    """One fit: the NumPyro ``MCMC`` (None for a variational fit), the model and the arguments it was called with."""

    mcmc: MCMC | None
    model: Callable[..., Any]
    model_kwargs: dict[str, Any]
    devices: Devices
    #: Draws by chain ``{site: array(chains, draws, ...)}`` when they differ from the sampler's (post-processed).
    samples_by_chain: dict[str, np.ndarray] | None = field(default=None, repr=False)
    #: What each applied post-processing step did, by step name (e.g. ``"relabel"``).
    details: dict[str, Any] = field(default_factory=dict, repr=False)
    _idata: "az.InferenceData | None" = field(default=None, repr=False)
    #: "nuts", or "vi" for draws from a variational approximation (:mod:`bayesforge.vi`; no ``mcmc``).
    method: str = "nuts"
    #: The variational fit (:class:`bayesforge.vi.VIFit`) when ``method == "vi"``.
    variational: Any = field(default=None, repr=False)
    #: Compiled posterior-predictive functions of this fit, kept for the next call (sample_predictive, score_samples).
    _predictive_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def note(self) -> str | None:
        """What the reader of a variational fit's summary must know (None for NUTS)."""
        if self.method != "vi":
            return None
        return ("variational fit (minibatch VI): the draws come from an approximation of the posterior that "
                "understates its uncertainty (sds and intervals too narrow); r̂, ESS and MCSE describe MCMC "
                "chains and are left empty (NaN)")

    def by_chain(self) -> dict[str, np.ndarray]:
        """Posterior draws by chain: ``{site: array(num_chains, num_samples, ...)}`` (post-processed, if it was)."""
        if self.samples_by_chain is not None:
            return self.samples_by_chain
        return {k: np.asarray(v) for k, v in self.mcmc.get_samples(group_by_chain=True).items()}

    @property
    def draws(self) -> dict[str, np.ndarray]:
        """Posterior draws, chains stacked: ``{site: array(num_chains * num_samples, ...)}``."""
        return {k: v.reshape((-1,) + v.shape[2:]) for k, v in self.by_chain().items()}

    def postprocessed(self, steps: tuple[FitStep, ...]) -> "Posterior":
        """This fit with the post-processing steps among ``steps`` applied to its draws, in order: a new
        :class:`Posterior` (this one unchanged) whose ``details`` add what each applied step did (a step that
        does not apply to the model leaves the draws and records nothing). Start steps are skipped."""
        result = self
        for step in post_steps(check_fit_steps(steps, "steps")):
            applied = step.apply(result)
            if applied is not None:
                draws, detail = applied
                result = replace(result, samples_by_chain=draws, details={**result.details, step.name: detail},
                                 _idata=None)
        return result

    @property
    def num_divergences(self) -> int:
        """Divergent transitions after warmup, all chains together (0 for a variational fit)."""
        if self.mcmc is None:
            return 0
        return int(np.asarray(self.mcmc.get_extra_fields()["diverging"]).sum())

    # -- the posterior predictive (any model; see bayesforge.posterior_predictive) -----------------------
    def sample_predictive(self, n: Any = 1, seed: Any = None, site: str | None = None) -> np.ndarray:
        """``n`` new observations of the observed ``site`` from the posterior predictive: an array (n, ...).

        Each takes one posterior draw (uniformly, with replacement) and one value of the
        site drawn at it by NumPyro's ``Predictive``; a site with one value per data row
        gives the value of one row chosen uniformly
        (:func:`bayesforge.posterior_predictive.sample_observed`). ``site``: needed only
        when the model observes several sites. ``seed``: an int, None, or a NumPy
        ``Generator``.
        """
        from .posterior_predictive import sample_observed

        with self.devices.context():
            return sample_observed(self.model, self.model_kwargs, self.draws, n, seed=seed, site=site,
                                   cache=self._predictive_cache)

    def score_samples(self, X: Any, site: str | None = None, max_draws: Any = None) -> np.ndarray:
        """Log posterior predictive density of each row of ``X``: log (1/S) Σ_s p(x | θ_s) (M,).

        ``X`` has the shape of the observed data of ``site`` but for its number of rows;
        the model argument given as that site's ``obs`` is replaced by it
        (:func:`bayesforge.posterior_predictive.log_predictive_density`). ``max_draws``:
        evenly spaced draws used (None: all).
        """
        from .posterior_predictive import evenly_spaced_draws, log_predictive_density

        with self.devices.context():
            return log_predictive_density(self.model, self.model_kwargs, evenly_spaced_draws(self.draws, max_draws),
                                          X, site=site, cache=self._predictive_cache)

    def to_arviz(self) -> "az.InferenceData":
        """InferenceData with posterior, sample_stats, observed_data and pointwise log_likelihood."""
        if self._idata is None:
            import jax

            if any(isinstance(v, jax.Array) and not v.is_fully_addressable for v in self.model_kwargs.values()):
                # rows spread over other processes cannot be replayed here: ArviZ's own path (SPMD) runs
                with self.devices.context():
                    idata = arviz().from_numpyro(self.mcmc, log_likelihood=True)
                self.by_chain()
                for site, values in (self.samples_by_chain or {}).items():
                    if site in idata.posterior:
                        idata.posterior[site] = idata.posterior[site].copy(data=values)
            else:
                idata = self._replayed_arviz()
            self._idata = idata
        return self._idata

    def sample_stats(self) -> dict[str, np.ndarray] | None:
        """The sampler's per-draw statistics by chain, named as ArviZ names them (None without a sampler)."""
        if self.mcmc is None:
            return None
        stats = {}
        for name, value in self.mcmc.get_extra_fields(group_by_chain=True).items():
            if isinstance(value, (dict, tuple)):
                continue
            value = np.asarray(value)
            stats[_ARVIZ_SAMPLE_STATS.get(name, name)] = -value if name == "potential_energy" else value
            if name == "num_steps":
                stats["tree_depth"] = np.log2(np.maximum(value, 1)).astype(int) + 1
        return stats

    def _pointwise_log_likelihood(self) -> dict[str, np.ndarray]:
        """Each observed site's log-likelihood per (chain, draw, row): the model replayed, compiled, on every draw."""
        import jax
        import jax.numpy as jnp
        from numpyro.infer.util import log_likelihood

        chains = next(iter(self.by_chain().values())).shape[:2]
        with self.devices.context():
            draws = {name: jnp.asarray(value) for name, value in self.draws.items()}
            arrays = {k: v for k, v in self.model_kwargs.items() if isinstance(v, (np.ndarray, jax.Array))}
            static = {k: v for k, v in self.model_kwargs.items() if k not in arrays}
            pointwise = jax.jit(lambda draws, arrays: log_likelihood(self.model, draws, **static, **arrays))(
                draws, arrays)
        return {k: np.asarray(v).reshape(chains + v.shape[1:]) for k, v in pointwise.items()}

    def _replayed_arviz(self) -> "az.InferenceData":
        """InferenceData from the draws and the model replayed compiled: posterior, sample_stats (with a
        sampler), observed data, pointwise log-likelihood.

        ArviZ's ``from_numpyro`` traces the model op by op (24 s for the seed GMM, each operation
        compiled alone) and replays it per draw for the log-likelihood; this gives the same groups
        and values from two compiled calls.
        """
        import jax.numpy as jnp

        by_chain = self.by_chain()
        with self.devices.context():
            first = {name: jnp.asarray(value)[0] for name, value in self.draws.items()}
            observed = compiled_replay(self.model, self.model_kwargs, first, lambda trace: {
                name: site["value"] for name, site in trace.items() if site["type"] == "sample" and site["is_observed"]})
        stats = self.sample_stats()
        return arviz().from_dict(
            posterior=by_chain, log_likelihood=self._pointwise_log_likelihood(),
            observed_data={k: self._as_given(np.asarray(v)) for k, v in observed.items()},
            **({"sample_stats": stats} if stats else {}))

    def _as_given(self, observed: np.ndarray) -> np.ndarray:
        """``observed`` as the model argument it came from (its own dtype: the replay computes in the fit's)."""
        for value in self.model_kwargs.values():
            if isinstance(value, np.ndarray) and value.shape == observed.shape and np.array_equal(
                    value.astype(observed.dtype), observed, equal_nan=True):
                return value
        return observed

    def _draws_by_chain(self) -> "az.InferenceData":
        # The summary needs the draws alone: the pointwise log-likelihood of to_arviz() costs
        # seconds for a mixture (it replays the model per draw), the summary 0.06 s without it.
        if self._idata is not None:
            return self._idata
        return arviz().from_dict(posterior=self.by_chain())

    def summary(self, round_to: Any = "auto", hdi_prob: float = 0.89, var_names: Any = None) -> pd.DataFrame:
        """ArviZ summary table: mean, sd, HDI, MCSE, ESS bulk/tail and r̂ for every parameter.

        ``round_to``: ``"auto"`` (see :func:`round_summary`), a number of decimals,
        or ``None`` / ``"none"`` for unrounded numbers.
        """
        if not 0 < float(hdi_prob) < 1:
            raise ValueError(f"hdi_prob must be strictly between 0 and 1, got {hdi_prob!r}")
        rounding = check_round_to(round_to)
        with warnings.catch_warnings():
            # r̂ of a constant (e.g. the unit diagonal of a Cholesky factor) is NaN, which the table shows.
            warnings.filterwarnings("ignore", message="invalid value encountered", category=RuntimeWarning)
            table = arviz().summary(self._draws_by_chain(), group="posterior", var_names=var_names,
                                    round_to="none", hdi_prob=float(hdi_prob),
                                    kind="all" if self.note is None else "stats")
        if self.note is not None:  # MCMC's columns, empty: the draws are not a Markov chain
            table = table.assign(**{column: np.nan for column in MCMC_COLUMNS})
        table = round_summary(table, rounding)
        if self.note is not None:
            table.attrs["note"] = self.note
        return table


#: The summary's columns that describe Markov chains (NaN for a variational fit).
MCMC_COLUMNS = ("mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat")
#: Significant figures of "auto" rounding, by column: estimates, their Monte Carlo standard errors.
ESTIMATE_DIGITS, MCSE_DIGITS = 4, 2


def _significant(values: pd.Series, digits: int) -> pd.Series:
    return values.map(lambda value: float(f"{value:.{digits}g}") if np.isfinite(value) else value)


def round_summary(table: pd.DataFrame, round_to: Any = "auto") -> pd.DataFrame:
    """A summary table rounded for reading, in any unit.

    ``"auto"``: estimates (mean, sd, HDI bounds) to 4 significant figures, MCSEs to 2,
    ESS to whole numbers, r̂ to 2 decimals, so a posterior in units of 1e-6 does not
    round to 0. An int: that many decimals in every column (ArviZ's ``round_to``).
    ``None``: unchanged.

    >>> table = pd.DataFrame({"mean": [2.345678e-6], "mcse_mean": [1.234e-9], "ess_bulk": [812.6], "r_hat": [1.0042]})
    >>> round_summary(table).iloc[0].tolist()
    [2.346e-06, 1.2e-09, 813.0, 1.0]
    """
    if round_to is None:
        return table
    if round_to != "auto":
        return table.round(round_to)
    rounded = table.copy()
    for column in rounded.columns:
        if column.startswith("mcse"):
            rounded[column] = _significant(rounded[column], MCSE_DIGITS)
        elif column.startswith("ess"):
            rounded[column] = rounded[column].round(0)
        elif column == "r_hat":
            rounded[column] = rounded[column].round(2)
        else:
            rounded[column] = _significant(rounded[column], ESTIMATE_DIGITS)
    return rounded
