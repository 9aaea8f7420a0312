"""Choosing the number of mixture components: PSIS-LOO, WAIC and BIC for each K, one K selected.

Each K's fit gets a ``status`` from its largest r̂ (:func:`convergence_status`):
"converged" (≤ 1.1), "not converged", "collapsed" (> 1e3: chains in different
modes; the number itself means nothing) or "single chain" (r̂ needs ≥ 2 chains).
Only converged K are selected. When none converged, K is selected among those
that did not collapse, with a warning (the documented fallback; none left is an
error); with one chain per fit convergence cannot be judged, and K is selected
among all fits, with one warning saying so.

>>> import pandas as pd
>>> table = pd.DataFrame({"elpd": [-900.0, -850.0, -840.0], "se_diff": [30.0, 12.0, 0.0]}, index=[1, 2, 3])
>>> smallest_as_good_as_best(table["elpd"], table["se_diff"])     # 10 below the best, within its SE of 12
2
>>> smallest_as_good_as_best(table["elpd"] + [0, 7, 0], table["se_diff"] * 0.1)  # 3 below: a small difference
2
>>> [convergence_status(r, chains) for r, chains in [(1.01, 4), (1.6, 4), (2e4, 4), (float("nan"), 1)]]
['converged', 'not converged', 'collapsed', 'single chain']
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from ..posterior import arviz
from ..defaults import COLLAPSED_R_HAT, CRITERIA, R_HAT_LIMIT, SMALL_ELPD_DIFFERENCE
from .fitting import prefixed_warnings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .result import MixtureFit

__all__ = ["CRITERIA", "R_HAT_LIMIT", "COLLAPSED_R_HAT", "STATUSES", "KComparison", "KSelection", "convergence_status",
           "select_k",
           "SMALL_ELPD_DIFFERENCE", "smallest_as_good_as_best"]

#: The values of the K table's ``status`` column.
STATUSES = ("converged", "not converged", "collapsed", "single chain")


def convergence_status(max_r_hat: float, num_chains: int) -> str:
    """One of :data:`STATUSES` for a fit with this largest r̂ and number of chains."""
    if num_chains < 2:
        return "single chain"
    if np.isnan(max_r_hat):
        return "not converged"
    if max_r_hat > COLLAPSED_R_HAT:
        return "collapsed"
    return "converged" if max_r_hat <= R_HAT_LIMIT else "not converged"


@dataclass(frozen=True, eq=False)
class KComparison:
    """The comparison of fits with different K, without the fits: ``table`` (indexed by K), ``selected_k``,
    ``criterion`` and :meth:`plot`. A fit chosen with ``K="auto"`` carries it as ``fit.selection``.

    The table has, per K: ``elpd_loo``, ``se_loo``, ``p_loo``, ``pareto_k_bad``,
    ``elpd_waic``, ``se_waic``, ``bic``, ``max_r_hat``, ``divergences``,
    ``seconds``, ``status`` (:data:`STATUSES`), ``converged`` (bool) and the
    standard errors of the elpd differences ``dse_loo``, ``dse_waic``.
    """

    table: pd.DataFrame
    selected_k: int
    criterion: str

    def plot(self, path: Any = None) -> "Figure":
        """The criteria against K, the selected K marked (:func:`bayesforge.mixtures.figures.plot_k_selection`)."""
        from .figures import plot_k_selection

        return plot_k_selection(self.table, self.selected_k, path=path)


@dataclass(frozen=True, eq=False)
class KSelection(KComparison):
    """A :class:`KComparison` with every fit compared (``fits``, by K; ``best``: the selected K's), as
    ``m.choose_k`` returns it. The fits carry no selection: nothing points back at this object."""

    fits: Mapping[int, "MixtureFit"]

    @property
    def best(self) -> "MixtureFit":
        """The fit with the selected K."""
        return self.fits[self.selected_k]

    @property
    def comparison(self) -> KComparison:
        """The comparison alone (table, selected K, criterion), without the fits."""
        return KComparison(table=self.table, selected_k=self.selected_k, criterion=self.criterion)

    def selected_fit(self) -> "MixtureFit":
        """A copy of :attr:`best` whose ``selection`` is :attr:`comparison` (what ``m.gmm(K="auto")`` returns).

        The copy shares the best fit's posterior and computed results; ``best`` itself is left as it was.
        """
        chosen = copy.copy(self.best)
        chosen.selection = self.comparison
        return chosen


def smallest_as_good_as_best(elpd: pd.Series, se_of_difference: pd.Series) -> int:
    """The smallest K whose elpd is as good as the best's: below it by at most one standard error of the
    difference, or by less than :data:`SMALL_ELPD_DIFFERENCE`.

    (Nearly equal fits, e.g. K=10 with two empty components against K=8, have a tiny
    standard error of their difference: one standard error alone would pick K=10 for
    an elpd 1 higher.)
    """
    best = elpd.max()
    within = elpd.index[(best - elpd) <= np.maximum(se_of_difference, SMALL_ELPD_DIFFERENCE)]
    return int(min(within))


def _criteria_row(fit: "MixtureFit") -> dict[str, Any]:
    loo, waic = fit.loo(), fit.waic()
    diagnostics = fit.diagnostics
    num_chains = int(diagnostics.get("num_chains", 2))
    return {
        "elpd_loo": float(loo.elpd_loo), "se_loo": float(loo.se), "p_loo": float(loo.p_loo),
        "pareto_k_bad": int((np.asarray(loo.pareto_k) > 0.7).sum()),
        "elpd_waic": float(waic.elpd_waic), "se_waic": float(waic.se), "bic": float(fit.bic()),
        "max_r_hat": float(diagnostics["max_r_hat"]), "divergences": int(diagnostics["divergences"]),
        "seconds": float(diagnostics["seconds"]),
        # A variational fit (method="vi") has no r̂: its optimisation says whether it converged.
        "status": (("converged" if diagnostics["converged"] else "not converged") if diagnostics.get("method") == "vi"
                   else convergence_status(float(diagnostics["max_r_hat"]), num_chains)),
    }


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def _candidates(table: pd.DataFrame) -> list[int]:
    """The K that may be selected, warning about each K left out (prefixed "K=5: ") and about any fallback."""
    status = table["status"]
    if (status == "single chain").all():
        _warn(f"r̂ needs ≥ 2 chains: with one chain per fit convergence cannot be judged, so K was selected "
              f"among all {len(table)} fits; fit with num_chains ≥ 2 to check it")
        return list(table.index)
    converged = list(table.index[status == "converged"])
    for k in table.index[status != "converged"]:
        left_out = ": left out of the selection" if converged else ""
        if np.isnan(table.loc[k, "max_r_hat"]):  # no r̂ (a variational fit)
            _warn(f"K={k}: the fit did not converge{left_out}")
        elif status[k] == "collapsed":
            _warn(f"K={k}: chains collapsed (max r̂ > {COLLAPSED_R_HAT:g}: they found different modes){left_out}")
        else:
            _warn(f"K={k}: chains did not converge (max r̂ {table.loc[k, 'max_r_hat']:.3g} > {R_HAT_LIMIT})"
                  f"{left_out}. More warmup or draws may help.")
    if converged:
        return converged
    fallback = list(table.index[status == "not converged"])
    if not fallback:
        raise RuntimeError(f"no K can be selected: the chains of every K ({', '.join(map(str, table.index))}) "
                           f"collapsed (max r̂ > {COLLAPSED_R_HAT:g}); try more warmup, other K or rescaled data")
    _warn(f"no K converged (max r̂ ≤ {R_HAT_LIMIT}): K was selected among K = {fallback}, which did not collapse; "
          "its results are not reliable. More warmup or draws may help.")
    return fallback


def select_k(fits: Mapping[int, "MixtureFit"], criterion: str = "loo") -> KSelection:
    """Tabulate LOO, WAIC and BIC for fits by K and select K by ``criterion`` ("loo", "waic" or "bic").

    LOO/WAIC: the smallest K as good as the best (:func:`smallest_as_good_as_best`:
    within one standard error of the best elpd, the standard error being that of
    the pointwise difference, ``arviz.compare``'s ``dse``, or less than 4 below
    it). BIC: the lowest. Only converged fits are compared (see the module
    docstring for the fallbacks); the table's ``status`` and ``converged``
    columns say which. The fits are not changed.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    if not fits:
        raise ValueError("fits is empty: nothing to compare")
    rows = {}
    for k in sorted(fits):
        with prefixed_warnings(f"K={k}: "):
            rows[int(k)] = _criteria_row(fits[k])
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "K"
    table["converged"] = table["status"] == "converged"
    candidates = {k: fits[k] for k in _candidates(table)}
    for name in ("loo", "waic"):
        table[f"dse_{name}"] = _se_of_difference(candidates, name).reindex(table.index)
    chosen = table.loc[sorted(candidates)]
    if criterion == "bic":
        selected = int(chosen["bic"].idxmin())
    else:
        selected = smallest_as_good_as_best(chosen[f"elpd_{criterion}"], chosen[f"dse_{criterion}"])
    return KSelection(table=table, selected_k=selected, criterion=criterion, fits=dict(fits))


def _se_of_difference(fits: Mapping[int, "MixtureFit"], criterion: str) -> pd.Series:
    """Per K, the standard error of its elpd's difference from the best K's (0 for the best)."""
    if len(fits) == 1:
        return pd.Series(0.0, index=list(fits))
    weights = getattr(next(iter(fits.values())), "sample_weight", None)
    if weights is not None:  # weighted rows: ArviZ has no weights; the same standard error over weighted rows
        from .weights import weighted_se_of_difference

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = {int(k): fit.loo() if criterion == "loo" else fit.waic() for k, fit in fits.items()}
        return pd.Series(weighted_se_of_difference(results, weights[weights > 0]))  # the rows loo/waic cover
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = arviz().compare({str(k): fit.to_arviz() for k, fit in fits.items()}, ic=criterion)
    return pd.Series({int(k): float(v) for k, v in comparison["dse"].items()})
