"""bayesforge.replay: a model replayed compiled at given parameter values, once or over a batch of draws."""
import numpy as np
import numpyro
import numpyro.distributions as npd
import pytest

from bayesforge.replay import compiled_replay


def model(y, scale=1.0):
    mu = numpyro.sample("mu", npd.Normal(0.0, 10.0))
    numpyro.sample("y", npd.Normal(mu, scale), obs=y)


def _loc_and_log_density(trace):
    site = trace["y"]
    return site["fn"].loc, site["fn"].log_prob(site["value"]).sum()


def test_replays_at_the_given_values_with_static_arguments_kept():
    y = np.array([0.0, 1.0, 2.0])
    loc, log_density = compiled_replay(model, {"y": y, "scale": 2.0}, {"mu": 1.0}, _loc_and_log_density)
    assert float(loc) == 1.0
    np.testing.assert_allclose(float(log_density), npd.Normal(1.0, 2.0).log_prob(y).sum(), rtol=1e-6)


def test_batched_replays_each_draw():
    draws = np.array([-1.0, 0.0, 3.0], np.float32)
    loc, log_density = compiled_replay(model, {"y": np.zeros(2)}, {"mu": draws}, _loc_and_log_density, batched=True)
    np.testing.assert_array_equal(np.asarray(loc), draws)
    np.testing.assert_allclose(np.asarray(log_density), [npd.Normal(d, 1.0).log_prob(np.zeros(2)).sum()
                                                         for d in draws], rtol=1e-6)


def test_a_model_that_needs_its_data_concrete_gets_them_as_constants():
    def concrete(y):  # NumPy on the data: fails on a traced argument
        centre = float(np.median(y))
        mu = numpyro.sample("mu", npd.Normal(centre, 1.0))
        numpyro.sample("y", npd.Normal(mu, 1.0), obs=y)

    prior_loc = compiled_replay(concrete, {"y": np.array([1.0, 5.0, 9.0])}, {"mu": np.zeros(2)},
                                lambda trace: trace["mu"]["fn"].loc, batched=True)
    np.testing.assert_array_equal(np.asarray(prior_loc), [5.0, 5.0])


def test_the_sites_not_given_are_drawn_with_a_fixed_seed():
    first = compiled_replay(model, {"y": None}, {"mu": 0.5}, lambda trace: trace["y"]["value"])
    again = compiled_replay(model, {"y": None}, {"mu": 0.5}, lambda trace: trace["y"]["value"])
    assert float(first) == float(again)
    with pytest.raises(KeyError):
        compiled_replay(model, {"y": np.zeros(1)}, {"mu": 0.5}, lambda trace: trace["sigma"])
