"""bayesforge.conditioning: the model NUTS samples when it is fitted to many rows."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as npd
from numpyro.infer import init_to_value
from numpyro.infer.util import log_density

from bayesforge.conditioning import ConditionedModel, condition_for_many_rows, posterior_units, start_log_densities


def _normal_model(y):
    mu = numpyro.sample("mu", npd.Normal(0.0, 10.0))
    sigma = numpyro.sample("sigma", npd.HalfNormal(10.0))
    with numpyro.plate("rows", y.shape[0]):
        numpyro.sample("y", npd.Normal(mu, sigma), obs=y)


def _rows(n, seed=0):
    return np.random.default_rng(seed).normal(3.0, 2.0, size=n).astype(np.float32)


START = init_to_value(values={"mu": 2.9, "sigma": 2.1})


def test_start_relative_potential_differs_by_a_constant_and_switches_off():
    kwargs = {"y": jnp.asarray(_rows(120))}
    offsets = start_log_densities(_normal_model, kwargs, START, seed=0, min_terms=100)
    assert list(offsets) == ["y"] and offsets["y"].shape == (120,)
    assert start_log_densities(_normal_model, kwargs, START, seed=0, min_terms=121) == {}
    sampled = ConditionedModel(_normal_model, offsets, {})
    assert sampled.__name__ == _normal_model.__name__
    params = {"mu": jnp.array(3.3), "sigma": jnp.array(1.7)}

    def densities(params):  # one compile: the model, the model while sampling, and after sampling
        plain = log_density(_normal_model, (), kwargs, params)[0]
        shifted = log_density(sampled, (), kwargs, params)[0]
        sampled.active = False  # after sampling: the model's own log-density (LOO, ArviZ)
        return plain, shifted, log_density(sampled, (), kwargs, params)[0]

    plain, shifted, after = jax.jit(densities)(params)
    np.testing.assert_allclose(plain - shifted, float(jnp.sum(offsets["y"])), rtol=1e-5)
    np.testing.assert_allclose(after, plain, rtol=1e-6)


def test_posterior_units_are_the_posterior_sd_at_the_start():
    n = 40_000
    units = posterior_units(_normal_model, {"y": _rows(n)}, START, seed=0)
    assert set(units) == {"mu", "sigma"}
    # At the start (sigma = 2.1): the curvature in mu is n / sigma², in log sigma ≈ 2n (s² / sigma²) with s² the rows'
    # mean squared deviation from mu.
    np.testing.assert_allclose(float(units["mu"].scale), 2.1 / np.sqrt(n), rtol=2e-3)
    assert 0.5 / np.sqrt(2 * n) < float(units["sigma"].scale) < 2 / np.sqrt(2 * n)
    np.testing.assert_allclose(float(units["sigma"].origin), np.log(2.1), rtol=1e-6)  # log: sigma's coordinate
    # a wide posterior (few rows) keeps NumPyro's coordinate: scale 1, never larger
    wide = posterior_units(_normal_model, {"y": _rows(1)}, START, seed=0)
    assert float(wide["sigma"].scale) == 1.0


def test_the_conditioned_model_has_the_same_density_and_draws_in_posterior_units():
    from numpyro.infer import MCMC, NUTS

    n = 40_000
    y = _rows(n)
    conditioned = condition_for_many_rows(_normal_model, {"y": y}, START, seed=0, shift_potential=True)
    assert isinstance(conditioned, ConditionedModel) and set(conditioned.units) == {"mu", "sigma"}
    params = {"mu": jnp.array(3.01), "sigma": jnp.array(1.99)}
    np.testing.assert_allclose(log_density(conditioned, (), {"y": y}, params)[0] + float(conditioned.offsets["y"].sum()),
                               log_density(_normal_model, (), {"y": y}, params)[0], rtol=1e-6)

    def steps_and_draws(model):
        mcmc = MCMC(NUTS(model, init_strategy=START), num_warmup=150, num_samples=150, progress_bar=False)
        mcmc.run(jax.random.PRNGKey(0), y=y, extra_fields=("num_steps",))
        return float(np.mean(mcmc.get_extra_fields()["num_steps"])), mcmc.get_samples()

    plain_steps, _ = steps_and_draws(_normal_model)
    steps, draws = steps_and_draws(conditioned)
    conditioned.active = False
    # measured with bf()'s XLA flags (conftest.py): 4.4 vs 6.2 steps per draw (3.0 vs 11.1 with JAX's default
    # flags, whose float32 sums are rougher); the library GMM's gain is larger (benchmarks/README.md)
    assert steps < 0.75 * plain_steps, (steps, plain_steps)
    # the draws are the parameters themselves (constrained), at the posterior: mean ± 4 posterior sd
    assert abs(float(draws["mu"].mean()) - float(y.mean())) < 4 * 2 / np.sqrt(n)
    assert abs(float(draws["sigma"].mean()) - float(y.std())) < 4 * 2 / np.sqrt(2 * n)
    np.testing.assert_allclose(float(draws["mu"].std()), float(y.std()) / np.sqrt(n), rtol=0.3)


def test_few_rows_leave_the_model_as_it_is():
    assert condition_for_many_rows(_normal_model, {"y": _rows(500)}, START, seed=0, shift_potential=True) \
        is _normal_model


def test_discrete_latent_sites_leave_the_coordinates_alone():
    def model(y):
        z = numpyro.sample("z", npd.Bernoulli(0.5), infer={"enumerate": "parallel"})
        mu = numpyro.sample("mu", npd.Normal(0.0, 10.0))
        numpyro.sample("y", npd.Normal(mu + z, 1.0), obs=y)

    assert posterior_units(model, {"y": _rows(40_000)}, init_to_value(values={"mu": 3.0, "z": 0}), seed=0) == {}


def test_subsampled_rows_leave_the_model_as_it_is():
    def model(y):
        mu = numpyro.sample("mu", npd.Normal(0.0, 10.0))
        with numpyro.plate("rows", y.shape[0], subsample_size=1000) as rows:
            numpyro.sample("y", npd.Normal(mu, 1.0), obs=y[rows])

    kwargs, start = {"y": _rows(40_000)}, init_to_value(values={"mu": 3.0})
    assert start_log_densities(model, kwargs, start, seed=0, min_terms=500) == {}
    assert posterior_units(model, kwargs, start, seed=0) == {}


def test_one_chain_over_four_devices_is_conditioned_as_unsharded():
    """Rows split over the 4 host devices: coordinates in posterior units too, and the unsharded fit's draws."""
    from bayesforge import bf

    m = bf(platform="cpu", x64=True)
    m.data_on_model = {"y": _rows(40_000).astype(np.float64)}
    draws, steps = {}, {}
    for shard in (False, True):
        m.fit(_normal_model, num_warmup=80, num_samples=60, num_chains=1, seed=1, progress_bar=False,
              shard_rows=shard, init_strategy=START)
        draws[shard] = m.posterior.draws
        steps[shard] = float(np.mean(np.asarray(m.sampler.get_extra_fields()["num_steps"])))
    assert steps[True] == steps[False] <= 4
    for name in ("mu", "sigma"):
        np.testing.assert_allclose(draws[True][name], draws[False][name], rtol=1e-6)
