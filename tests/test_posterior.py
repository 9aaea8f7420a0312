"""bayesforge.posterior.Posterior on draws given by hand (no sampler): its summary rounds to significant figures in
any unit; post-processing steps make a new posterior; a result starts no sampler. Posteriors of real fits (summary, to_arviz, divergences) through m: tests/test_fit.py."""
import numpy as np
import pytest

from hand_made import Shift, Three


def _posterior_of(m, draws):
    from bayesforge.posterior import Posterior

    return Posterior(mcmc=None, model=None, model_kwargs={}, devices=m.devices, samples_by_chain=draws)


def test_summary_rounds_to_significant_figures_in_any_unit(m):
    rng = np.random.default_rng(0)
    posterior = _posterior_of(m, {"tiny": rng.normal(2.5e-6, 1e-8, (2, 500)), "huge": rng.normal(3e7, 1e5, (2, 500))})
    table = posterior.summary()
    assert table.loc["tiny", "mean"] == pytest.approx(2.5e-6, rel=1e-3) and table.loc["tiny", "mcse_mean"] > 0
    mcse = table.loc["tiny", "mcse_mean"]
    assert mcse == float(f"{mcse:.2g}") and table.loc["tiny", "sd"] == float(f"{table.loc['tiny', 'sd']:.4g}")
    assert table.loc["huge", "sd"] == pytest.approx(1e5, rel=0.1) and float(table.loc["huge", "ess_bulk"]).is_integer()
    assert posterior.summary(round_to=2).loc["tiny", "mcse_mean"] == 0  # a number of decimals still works
    raw = posterior.summary(round_to=None)
    assert raw.loc["huge", "mean"] != round(raw.loc["huge", "mean"], 6)
    with pytest.raises(ValueError, match="round_to must be 'auto', a number of decimals, or None"):
        posterior.summary(round_to="sig")


def test_postprocessed_applies_the_post_steps_in_order_to_a_new_posterior(m):
    from bayesforge.posterior import Posterior

    posterior = Posterior(mcmc=None, model=None, model_kwargs={}, devices=m.devices,
                          samples_by_chain={"mu": np.zeros((1, 4))})
    shifted = posterior.postprocessed((Shift(), Three()))  # start steps are the sampler's: skipped here
    assert shifted.draws["mu"].tolist() == [100.0] * 4 and shifted.details == {"shift": "shifted by 100"}
    assert posterior.draws["mu"].tolist() == [0.0] * 4 and posterior.details == {}  # the original is unchanged
    twice = shifted.postprocessed((Shift(),))
    assert twice.draws["mu"].tolist() == [200.0] * 4
    with pytest.raises(TypeError, match="steps must be a tuple"):
        posterior.postprocessed("relabel")


def test_results_start_no_sampler():
    """A Posterior holds draws; bayesforge.inference runs NUTS or VI and makes it."""
    from bayesforge.posterior import Posterior

    assert not hasattr(Posterior, "sample") and not hasattr(Posterior, "variational_fit")
