"""Rows split over the 4 host devices of one process (bayesforge.sharding): the same draws as unsharded, padded
rows left out of the pointwise log-likelihood, which arguments are rows, and the chain method of a sharded run.
Over several processes: tests/e2e/test_distributed.py."""
import numpy as np
import pytest


# -- one process, rows over 4 host devices ----------------------------------------------------------------

@pytest.fixture(scope="module")
def regression_fits():
    """One chain of a small regression (203 rows: padded to 204 on 4 devices) unsharded and sharded, float64."""
    from bayesforge import bf

    m = bf(platform="cpu", x64=True)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(203, 2))
    y = 1.0 + X @ np.array([0.5, -1.0]) + rng.normal(size=203)

    def regression(X, y):
        beta = m.dist.normal(0.0, 5.0, shape=(2,), name="beta")
        alpha = m.dist.normal(0.0, 5.0, name="alpha")
        m.dist.normal(alpha + X @ beta, 1.0, name="y", obs=y)

    m.data_on_model = {"X": X, "y": y}
    fits = {}
    for shard in (False, True):
        m.fit(regression, num_warmup=60, num_samples=50, num_chains=1, seed=3, progress_bar=False,
              shard_rows=shard)
        fits[shard] = m.posterior
    return m, regression, fits


def test_one_chain_over_four_devices_gives_the_unsharded_draws(regression_fits):
    m, regression, fits = regression_fits
    assert m.devices.count == 4
    assert fits[True].mcmc.sampler.model.__wrapped__ is regression  # the run saw the sharded, masked model
    assert fits[False].mcmc.sampler.model is regression
    for site in ("alpha", "beta"):
        np.testing.assert_allclose(fits[True].draws[site], fits[False].draws[site], rtol=1e-6, atol=1e-9)


def test_padded_rows_are_not_in_the_pointwise_log_likelihood(regression_fits):
    _, _, fits = regression_fits
    sharded, plain = (fits[s].to_arviz().log_likelihood["y"].values for s in (True, False))
    assert sharded.shape == plain.shape == (1, 50, 203)
    np.testing.assert_allclose(sharded, plain, rtol=1e-6)


def test_rows_and_the_chain_method_of_a_sharded_run():
    from bayesforge.device import configure
    from bayesforge.sharding import plan_sharding, row_arguments

    import numpyro
    import numpyro.distributions as dist

    def regression(X, y, K):
        beta = numpyro.sample("beta", dist.Normal(0, 1).expand([X.shape[1]]))
        numpyro.sample("y", dist.Normal(X @ beta, 1.0), obs=y)

    def needs_numpy(y):
        numpyro.sample("y", dist.Normal(float(np.mean(y)), 1.0), obs=y)

    arguments = {"X": np.ones((6, 2)), "y": np.ones(6), "K": 3}
    assert row_arguments(regression, arguments) == (6, ("X", "y"))
    assert row_arguments(needs_numpy, {"y": np.ones(6)}) is None
    devices = configure(platform="cpu")
    run = plan_sharding(regression, arguments, devices, num_chains=3, chain_method="auto",
                        resolved_chain_method="vectorized", shard_rows=True)
    assert run.sharded and run.chain_method == "vectorized" and run.padded_rows == 8
    assert run.model_kwargs["X"].sharding.spec[0] == "data"
    small = plan_sharding(regression, arguments, devices, num_chains=1, chain_method="auto")
    assert not small.sharded  # automatic: too few rows to be worth it
    with pytest.raises(ValueError, match="chain_method='parallel'"):
        plan_sharding(regression, arguments, devices, num_chains=2, chain_method="parallel",
                      resolved_chain_method="parallel", shard_rows=True)
    with pytest.raises(TypeError, match="shard_rows"):
        plan_sharding(regression, arguments, devices, num_chains=1, chain_method="auto", shard_rows="yes")


def test_a_sharded_gaussian_mixture_keeps_xlas_path_and_its_rows_split():
    """The native likelihood kernel is a custom call XLA cannot split by rows: the sharded model traces the XLA scan
    (no all-gather of the rows), the same model unsharded calls the kernel (when it is built)."""
    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer.util import log_density

    from bayesforge import native
    from bayesforge.device import configure
    from bayesforge.distributions import MultivariateNormal, mixture_same_family
    from bayesforge.sharding import plan_sharding

    def gmm(data):
        loc = numpyro.sample("loc", dist.Normal(0.0, 3.0).expand([2, 2]).to_event(2))
        mixing = dist.Categorical(probs=jax.numpy.array([0.5, 0.5]))
        numpyro.sample("x", mixture_same_family(mixing, MultivariateNormal(loc, scale_tril=jax.numpy.eye(2))),
                       obs=data)

    data = np.random.default_rng(0).normal(size=(203, 2)).astype(np.float32)
    run = plan_sharding(gmm, {"data": data}, configure(platform="cpu"), num_chains=1, chain_method="auto",
                        shard_rows=True)
    assert run.sharded

    def compiled(model, kwargs):
        def grad(loc):
            return jax.grad(lambda loc: log_density(model, (), kwargs, {"loc": loc})[0])(loc)
        return jax.jit(grad).lower(np.zeros((2, 2), np.float32)).compile().as_text()

    sharded = compiled(run.model, run.model_kwargs)
    assert "bayesforge_gmm" not in sharded and "all-gather" not in sharded
    if native.gmm_targets() is not None:
        assert "bayesforge_gmm" in compiled(gmm, {"data": data})


def test_rows_already_spread_over_devices_keep_xlas_path(monkeypatch):
    """Called outside jit on an array whose rows lie on 4 devices, the likelihood never asks for the kernel."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    from bayesforge import likelihood
    from bayesforge.device import configure
    from bayesforge.sharding import ROW_AXIS, data_mesh

    def no_kernel(dtype):
        raise AssertionError("the native kernel was asked for rows spread over devices")

    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 2)).astype(np.float32)
    params = (np.log(np.array([0.3, 0.7], np.float32)), rng.normal(size=(2, 2)).astype(np.float32),
              np.stack([np.eye(2, dtype=np.float32)] * 2))
    spread = jax.device_put(x, NamedSharding(data_mesh(configure(platform="cpu")), PartitionSpec(ROW_AXIS)))
    monkeypatch.setattr(likelihood, "_native_target", no_kernel)
    np.testing.assert_allclose(likelihood.mixture_log_prob(*params, spread),
                               likelihood.mixture_log_prob_reference(*params, x), rtol=1e-5)
