"""Choosing K on stand-in fits with known pointwise log-likelihoods: the rule, convergence statuses, warnings."""
import warnings

import numpy as np
import pytest

from bayesforge.mixtures.selection import COLLAPSED_R_HAT, STATUSES, convergence_status, select_k


class _StandInFit:
    """What select_k reads from a fit: pointwise log-likelihood, diagnostics, BIC."""

    def __init__(self, mean_log_likelihood, r_hat, seed, num_chains=2):
        from bayesforge.posterior import arviz

        rng = np.random.default_rng(seed)
        pointwise = mean_log_likelihood + rng.normal(0, 0.05, size=(num_chains, 100, 200))
        self.idata = arviz().from_dict(posterior={"x": rng.normal(size=(num_chains, 100))},
                                       log_likelihood={"obs": pointwise})
        self.diagnostics = {"max_r_hat": r_hat, "divergences": 0, "seconds": 1.0, "num_chains": num_chains}

    def to_arviz(self):
        return self.idata

    def loo(self):
        from bayesforge.posterior import arviz

        with warnings.catch_warnings():  # as MixtureFit.loo
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
            return arviz().loo(self.idata, pointwise=True)

    def waic(self):
        from bayesforge.posterior import arviz

        return arviz().waic(self.idata, pointwise=True)

    def bic(self):
        return -2.0 * float(self.idata.log_likelihood["obs"].sum("obs_dim_0").max())


BASE = np.random.default_rng(0).normal(-2.0, 0.5, size=200)
NOISE = np.random.default_rng(1).normal(0, 0.3, size=200)


def _fits(r_hats, num_chains=2):
    """K=1..4: K=2 the smallest within one SE of K=3, K=4 far better."""
    means = [BASE - 1.0, BASE, BASE + 0.002 + NOISE, BASE + 0.5]
    return {k: _StandInFit(mean, r_hat, k, num_chains) for k, (mean, r_hat) in enumerate(zip(means, r_hats), start=1)}


def _select(fits, criterion="loo"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        selection = select_k(fits, criterion)
    return selection, [str(w.message) for w in caught]


def test_selection_takes_the_smallest_k_within_one_se_among_converged_fits():
    selection, messages = _select(_fits([1.01, 1.01, 1.01, 2.3]))
    assert selection.selected_k == 2  # 3 is better by less than its SE, 4 far better but did not converge
    table = selection.table
    assert table["converged"].tolist() == [True, True, True, False] and table["converged"].dtype == bool
    assert table["status"].tolist() == ["converged"] * 3 + ["not converged"]
    assert messages == ["K=4: chains did not converge (max r̂ 2.3 > 1.1): left out of the selection. "
                        "More warmup or draws may help."]
    dse = table["dse_loo"]
    assert np.isnan(dse[4]) and min(dse[2], dse[3]) == 0.0 and 2 < max(dse[2], dse[3]) < 8
    converged = _fits([1.01, 1.01, 1.01, 1.02])
    assert _select(converged, "waic")[0].selected_k == 4  # converged and clearly better
    assert _select(converged, "bic")[0].selected_k == 4


@pytest.mark.parametrize("r_hats, num_chains, statuses, selected, messages", [
    # a collapsed K is reported as collapsed, never with its r̂
    ([1.01, 1.01, 1.01, 5e4], 2, ["converged"] * 3 + ["collapsed"], 2,
     ["K=4: chains collapsed (max r̂ > 1000: they found different modes): left out of the selection"]),
    # none converged: the documented fallback selects among those that did not collapse, and says so
    ([1.5, 1.4, 2e4, 1.3], 2, ["not converged", "not converged", "collapsed", "not converged"], 4,
     ["K=1: chains did not converge (max r̂ 1.5 > 1.1). More warmup or draws may help.",
      "K=2: chains did not converge (max r̂ 1.4 > 1.1). More warmup or draws may help.",
      "K=3: chains collapsed (max r̂ > 1000: they found different modes)",
      "K=4: chains did not converge (max r̂ 1.3 > 1.1). More warmup or draws may help.",
      "no K converged (max r̂ ≤ 1.1): K was selected among K = [1, 2, 4], which did not collapse; its results "
      "are not reliable. More warmup or draws may help."]),
    # one chain: r̂ is NaN and says nothing; one warning, and K selected among all
    ([np.nan] * 4, 1, ["single chain"] * 4, 4,
     ["r̂ needs ≥ 2 chains: with one chain per fit convergence cannot be judged, so K was selected among all 4 "
      "fits; fit with num_chains ≥ 2 to check it"]),
])
def test_statuses_warnings_and_fallbacks(r_hats, num_chains, statuses, selected, messages):
    selection, caught = _select(_fits(r_hats, num_chains))
    assert selection.table["status"].tolist() == statuses
    assert selection.table["converged"].tolist() == [s == "converged" for s in statuses]
    assert selection.selected_k == selected
    assert caught == messages


def test_every_k_collapsed_is_an_error():
    with pytest.raises(RuntimeError, match=r"no K can be selected: the chains of every K \(1, 2\) collapsed"), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        select_k({k: fit for k, fit in _fits([2e3, 3e3, 1.0, 1.0]).items() if k < 3})
    assert [str(w.message)[:22] for w in caught] == ["K=1: chains collapsed "] + ["K=2: chains collapsed "]


def test_select_k_does_not_change_the_fits():
    fits = _fits([1.01] * 4)
    before = {k: dict(vars(fit)) for k, fit in fits.items()}
    selection, _ = _select(fits)
    assert {k: dict(vars(fit)) for k, fit in fits.items()} == before
    assert selection.fits == fits and selection.best is fits[4]


def test_convergence_status():
    assert [convergence_status(r, 4) for r in (1.0, 1.1, 1.11, COLLAPSED_R_HAT, 1.5e3, np.inf, np.nan)] == [
        "converged", "converged", "not converged", "not converged", "collapsed", "collapsed", "not converged"]
    assert convergence_status(1.0, 1) == "single chain"
    assert set(STATUSES) == {"converged", "not converged", "collapsed", "single chain"}


def test_a_small_elpd_difference_keeps_the_smaller_k_even_with_a_tiny_standard_error():
    # K=2 is K=1 plus an empty component: 1 elpd better over 200 points, with a standard error far below 1
    fits = {1: _StandInFit(BASE, 1.01, 1), 2: _StandInFit(BASE + 0.005, 1.01, 2)}
    selection, _ = _select(fits)
    assert selection.table.loc[1, "dse_loo"] < 0.5 and selection.selected_k == 1
    assert _select({1: fits[1], 2: _StandInFit(BASE + 0.03, 1.01, 2)})[0].selected_k == 2  # 6 better: not small


def test_the_selected_fit_carries_the_comparison_not_the_fits():
    """What m.gmm(K="auto") returns: a copy of the best fit whose selection holds the table, the criterion and the
    selected K only; the fits compared are left as they were (no cycle fit -> selection -> fit)."""
    from bayesforge.mixtures.selection import KComparison

    selection, _ = _select(_fits([1.01, 1.01, 1.01, 2.3]))
    chosen = selection.selected_fit()
    assert type(chosen.selection) is KComparison and not hasattr(chosen.selection, "fits")
    assert chosen.selection.table is selection.table and chosen.selection.selected_k == selection.selected_k == 2
    assert chosen.selection.criterion == "loo" and chosen.idata is selection.best.idata
    assert chosen is not selection.best and not hasattr(selection.best, "selection")
    assert isinstance(selection, KComparison)  # m.choose_k's result is read the same way (R methods, the CLI)
