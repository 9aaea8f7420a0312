"""What a finished fit offers: draws, the ArviZ InferenceData and the summary table.

``m.fit`` keeps one :class:`Posterior`; ``m.summary()``, ``m.to_arviz()`` and
``m.posteriors`` read it::

    m.summary(round_to=2, hdi_prob=0.89)      # pandas DataFrame
    m.to_arviz().log_likelihood                # pointwise, for LOO / WAIC
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import warnings

import numpy as np
import pandas as pd
from numpyro.infer import MCMC

from .device import Devices
from .interop import as_int

if TYPE_CHECKING:
    import arviz as az

__all__ = ["Posterior", "arviz"]


def arviz():
    """Import ArviZ without its import-time FutureWarning about its coming refactor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    return az


@dataclass
class Posterior:
    """One fit: the NumPyro ``MCMC``, the model and the arguments it was called with."""

    mcmc: MCMC
    model: Callable[..., Any]
    model_kwargs: dict[str, Any]
    devices: Devices
    _idata: "az.InferenceData | None" = field(default=None, repr=False)

    @property
    def draws(self) -> dict[str, np.ndarray]:
        """Posterior draws, chains stacked: ``{site: array(num_chains * num_samples, ...)}``."""
        return {k: np.asarray(v) for k, v in self.mcmc.get_samples().items()}

    @property
    def num_divergences(self) -> int:
        """Divergent transitions after warmup, all chains together."""
        return int(np.asarray(self.mcmc.get_extra_fields()["diverging"]).sum())

    def to_arviz(self) -> "az.InferenceData":
        """InferenceData with posterior, sample_stats, observed_data and pointwise log_likelihood."""
        if self._idata is None:
            with self.devices.context():
                self._idata = arviz().from_numpyro(self.mcmc, log_likelihood=True)
        return self._idata

    def _draws_by_chain(self) -> "az.InferenceData":
        # The summary needs the draws alone: the pointwise log-likelihood of to_arviz() costs
        # seconds for a mixture (it replays the model per draw), the summary 0.06 s without it.
        if self._idata is not None:
            return self._idata
        samples = {k: np.asarray(v) for k, v in self.mcmc.get_samples(group_by_chain=True).items()}
        return arviz().from_dict(posterior=samples)

    def summary(self, round_to: Any = 2, hdi_prob: float = 0.89, var_names: Any = None) -> pd.DataFrame:
        """ArviZ summary table: mean, sd, HDI, MCSE, ESS bulk/tail and r̂ for every parameter."""
        if not 0 < float(hdi_prob) < 1:
            raise ValueError(f"hdi_prob must be strictly between 0 and 1, got {hdi_prob!r}")
        if round_to is not None and round_to != "none":
            round_to = as_int(round_to, "round_to", minimum=0)
        with warnings.catch_warnings():
            # r̂ of a constant (e.g. the unit diagonal of a Cholesky factor) is NaN, which the table shows.
            warnings.filterwarnings("ignore", message="invalid value encountered", category=RuntimeWarning)
            return arviz().summary(self._draws_by_chain(), group="posterior", var_names=var_names,
                                   round_to=round_to, hdi_prob=float(hdi_prob))
