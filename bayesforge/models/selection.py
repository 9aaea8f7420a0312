"""Choosing the number of mixture components: PSIS-LOO, WAIC and BIC for each K, one K selected.

>>> import pandas as pd
>>> table = pd.DataFrame({"elpd": [-900.0, -850.0, -849.5], "se_diff": [30.0, 2.0, 0.0]}, index=[1, 2, 3])
>>> smallest_within_one_se(table["elpd"], table["se_diff"])
2
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from ..posterior import arviz

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .result import MixtureFit

__all__ = ["CRITERIA", "KSelection", "select_k", "smallest_within_one_se"]

CRITERIA = ("loo", "waic", "bic")
#: Fits whose largest r̂ exceeds this did not converge: they are in the table but not selectable.
R_HAT_LIMIT = 1.1


@dataclass
class KSelection:
    """The comparison of fits with different K: ``table`` (indexed by K), ``selected_k``, ``fits``."""

    table: pd.DataFrame
    selected_k: int
    criterion: str
    fits: Mapping[int, "MixtureFit"]

    @property
    def best(self) -> "MixtureFit":
        """The fit with the selected K (its ``selection`` is this comparison)."""
        return self.fits[self.selected_k]

    def plot(self, path: Any = None) -> "Figure":
        """The criteria against K, the selected K marked (:func:`bayesforge.plot.plot_k_selection`)."""
        from ..plot import plot_k_selection

        return plot_k_selection(self.table, self.selected_k, path=path)


def smallest_within_one_se(elpd: pd.Series, se_of_difference: pd.Series) -> int:
    """The smallest K whose elpd is within one standard error (of its difference) of the best elpd."""
    best = elpd.max()
    within = elpd.index[(best - elpd) <= se_of_difference]
    return int(min(within))


def _criteria_row(fit: "MixtureFit") -> dict[str, float]:
    loo, waic = fit.loo(), fit.waic()
    diagnostics = fit.diagnostics
    return {
        "elpd_loo": float(loo.elpd_loo), "se_loo": float(loo.se), "p_loo": float(loo.p_loo),
        "pareto_k_bad": int((np.asarray(loo.pareto_k) > 0.7).sum()),
        "elpd_waic": float(waic.elpd_waic), "se_waic": float(waic.se), "bic": fit.bic(),
        "max_r_hat": diagnostics["max_r_hat"], "divergences": diagnostics["divergences"],
        "seconds": diagnostics["seconds"],
    }


def select_k(fits: Mapping[int, "MixtureFit"], criterion: str = "loo") -> KSelection:
    """Tabulate LOO, WAIC and BIC for fits by K and select K by ``criterion`` ("loo", "waic" or "bic").

    LOO/WAIC: the smallest K within one standard error of the best elpd, the
    standard error being that of the pointwise difference (``arviz.compare``'s
    ``dse``). BIC: the lowest. Only fits that converged (max r̂ ≤ ``R_HAT_LIMIT``)
    are compared, unless none did; the table's ``converged`` column says which.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    if not fits:
        raise ValueError("fits is empty: nothing to compare")
    table = pd.DataFrame({k: _criteria_row(fit) for k, fit in fits.items()}).T.sort_index()
    table.index = table.index.astype(int)
    table.index.name = "K"
    table["converged"] = table["max_r_hat"] <= R_HAT_LIMIT
    candidates = {k: fit for k, fit in fits.items() if table.loc[k, "converged"]}
    if len(candidates) < len(fits):
        unconverged = sorted(set(fits) - set(candidates))
        warnings.warn(f"K = {unconverged}: chains did not converge (max r_hat > {R_HAT_LIMIT}); "
                      + ("left out of the selection" if candidates else "no K converged, selecting among all")
                      + ". More warmup or draws may help.", RuntimeWarning, stacklevel=3)
        candidates = candidates or dict(fits)
    for name in ("loo", "waic"):
        table[f"dse_{name}"] = _se_of_difference(candidates, name).reindex(table.index)
    chosen = table.loc[sorted(candidates)]
    if criterion == "bic":
        selected = int(chosen["bic"].idxmin())
    else:
        selected = smallest_within_one_se(chosen[f"elpd_{criterion}"], chosen[f"dse_{criterion}"])
    selection = KSelection(table=table, selected_k=selected, criterion=criterion, fits=dict(fits))
    for fit in fits.values():
        fit.selection = selection
    return selection


def _se_of_difference(fits: Mapping[int, "MixtureFit"], criterion: str) -> pd.Series:
    """Per K, the standard error of its elpd's difference from the best K's (0 for the best)."""
    if len(fits) == 1:
        return pd.Series(0.0, index=list(fits))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = arviz().compare({str(k): fit.to_arviz() for k, fit in fits.items()}, ic=criterion)
    return pd.Series({int(k): float(v) for k, v in comparison["dse"].items()})
