"""m.fit: argument matching, reproducibility, diagnostics, errors, failed fits, summaries, independence of workspaces."""
import re

import numpy as np
import pytest

from bayesforge import bf


def normal_model_for(m):
    def model(y, prior_scale=10.0):
        mu = m.dist.normal(0.0, prior_scale, name="mu")
        sigma = m.dist.half_normal(2.0, name="sigma")
        with m.dist.plate("data", y.shape[0]):
            m.dist.normal(mu, sigma, name="y", obs=y)
    return model


Y = np.random.default_rng(0).normal(1.5, 0.5, size=100)
SMALL = dict(num_warmup=200, num_samples=200, num_chains=2, progress_bar=False)


@pytest.fixture(scope="module")
def fitted():
    """A workspace fitted with SMALL (seed 0, the default): the tests that only read a fit share this one."""
    m = bf(platform="cpu")
    m.data_on_model = {"y": Y}
    assert m.fit(normal_model_for(m), **SMALL) is m
    return m


def test_fit_recovers_a_normal_mean_and_exposes_sampler_and_draws(fitted):
    m = fitted
    assert m.sampler.num_chains == 2 and m.sampler.chain_method == "parallel"
    assert set(m.posteriors) == {"mu", "sigma"} and m.posteriors["mu"].shape == (400,)
    assert abs(m.posteriors["mu"].mean() - Y.mean()) < 0.1
    assert isinstance(m.posteriors["mu"], np.ndarray)


def test_same_seed_gives_identical_draws_and_another_seed_does_not(m, fitted):
    m.data_on_model = {"y": Y}
    model = normal_model_for(m)
    first = fitted.posteriors["mu"]  # seed 0, in another workspace
    second = m.fit(model, seed=0, **SMALL).posteriors["mu"]
    third = m.fit(model, seed=4, **SMALL).posteriors["mu"]
    assert np.array_equal(first, second)
    assert not np.array_equal(first, third)


def test_integral_float_counts_are_accepted(m):
    m.data_on_model = {"y": Y}
    # the settings of test_a_failed_fit_leaves_no_stale_results's fits (one program per run), given as floats
    m.fit(normal_model_for(m), num_warmup=50.0, num_samples=50.0, num_chains=1.0, seed=2.0, progress_bar=False)
    assert m.posteriors["mu"].shape == (50,)


def test_summary_is_an_arviz_table(fitted):
    m = fitted
    table = m.summary()
    assert list(table.index) == ["mu", "sigma"]
    for column in ["mean", "sd", "hdi_5.5%", "hdi_94.5%", "ess_bulk", "ess_tail", "r_hat"]:
        assert column in table.columns
    assert table.loc["mu", "r_hat"] <= 1.05
    assert (table["mcse_mean"] > 0).all()  # significant figures, not 2 decimals that make an MCSE of 0.003 read 0.0
    assert m.summary(round_to=3, hdi_prob=0.5).columns[2] == "hdi_25%"


def test_to_arviz_has_pointwise_log_likelihood(fitted):
    idata = fitted.to_arviz()
    for group in ["posterior", "sample_stats", "observed_data", "log_likelihood"]:
        assert group in idata.groups()
    assert idata.log_likelihood["y"].shape == (2, 200, 100)
    assert np.isfinite(idata.log_likelihood["y"].values).all()


def test_divergences_are_counted_and_warned_about(m):
    import jax.numpy as jnp

    # Neal's funnel in its centred parameterisation: NUTS diverges in the neck.
    def funnel():
        v = m.dist.normal(0.0, 3.0, name="v")
        m.dist.normal(0.0, jnp.exp(v / 2), shape=(9,), event=1, name="x")
    m.data_on_model = {}
    with pytest.warns(RuntimeWarning, match="divergent transitions"):
        m.fit(funnel, num_warmup=100, num_samples=200, num_chains=1, progress_bar=False, target_accept_prob=0.6)
    assert m.posterior.num_divergences > 0


def test_missing_argument_is_named(m):
    m.data_on_model = {}
    with pytest.raises(ValueError, match=r"data_on_model has no 'y', needed by model\(y, prior_scale=10.0\)"):
        m.fit(normal_model_for(m), **SMALL)


def test_extra_key_is_named(m):
    m.data_on_model = {"y": Y, "z": 1}
    with pytest.raises(ValueError, match=r"data_on_model has 'z', which is not an argument of model"):
        m.fit(normal_model_for(m), **SMALL)


def test_defaults_can_be_overridden_from_data_on_model(m):
    m.data_on_model = {"y": Y, "prior_scale": 0.01}
    m.fit(normal_model_for(m), **SMALL)
    assert abs(m.posteriors["mu"].mean()) < 0.1  # the tight prior at 0 wins


@pytest.mark.parametrize("kwargs, error, match", [
    ({"num_samples": 10.5}, ValueError, "num_samples must be a whole number"),
    ({"num_chains": 0}, ValueError, "num_chains must be at least 1"),
    ({"chain_method": "fast"}, ValueError, "chain_method must be one of"),
    ({"target_accept_prob": 1.5}, ValueError, "target_accept_prob must be a number strictly between 0 and 1"),
    ({"thinning": 0}, ValueError, "thinning must be at least 1"),
    ({"max_tree_dept": 5}, TypeError, r"unexpected argument\(s\) \['max_tree_dept'\]; NUTS options are: .*max_tree_depth"),
])
def test_bad_fit_arguments(m, kwargs, error, match):
    m.data_on_model = {"y": Y}
    with pytest.raises(error, match=match):
        m.fit(normal_model_for(m), **{**SMALL, **kwargs})


def test_a_failed_fit_leaves_no_stale_results(m):
    m.data_on_model = {"y": Y}
    m.fit(normal_model_for(m), num_warmup=50, num_samples=50, num_chains=1, progress_bar=False)

    def broken(y):
        raise FloatingPointError("the model broke")

    with pytest.raises(FloatingPointError):
        m.fit(broken)
    reads = {"summary()": lambda: m.summary(), "posteriors": lambda: m.posteriors, "sampler": lambda: m.sampler,
             "to_arviz()": lambda: m.to_arviz(), "plot()": lambda: m.plot(np.c_[Y, Y]), "posterior": lambda: m.posterior}
    for name, read in reads.items():
        with pytest.raises(RuntimeError, match=rf"^m\.{re.escape(name)}: the last fit failed: FloatingPointError: "
                                               "the model broke$"):
            read()
    assert "last fit failed" in repr(m)
    with pytest.raises(ValueError, match="column 1 has the same value"):  # a library fit that fails, likewise
        m.gmm(np.c_[Y, np.ones_like(Y)], K=2)
    with pytest.raises(RuntimeError, match="the last fit failed: ValueError: data: column 1 has the same value"):
        m.summary()
    m.fit(normal_model_for(m), num_warmup=50, num_samples=50, num_chains=1, progress_bar=False)
    assert list(m.summary().index) == ["mu", "sigma"]  # the next fit that succeeds is the last fit


def test_nuts_options_reach_nuts(m):
    from numpyro.infer import init_to_value

    m.data_on_model = {"y": Y}
    m.fit(normal_model_for(m), max_tree_depth=3, init_strategy=init_to_value(values={"mu": 1.5}), **SMALL)
    assert m.sampler.sampler._max_tree_depth == 3


def test_x64_fit_starts_at_float32_values_given_with_init_to_value():
    import jax.numpy as jnp
    from numpyro.infer import init_to_value

    m64 = bf(platform="cpu", x64=True)
    m64.data_on_model = {"y": Y}
    start = init_to_value(values={"mu": np.float32(1.5), "sigma": jnp.asarray(0.5, dtype=jnp.float32)})
    m64.fit(normal_model_for(m64), init_strategy=start, **{**SMALL, "num_chains": 1, "num_warmup": 100,
                                                            "num_samples": 100})
    assert m64.posteriors["mu"].dtype == np.float64 and abs(m64.posteriors["mu"].mean() - Y.mean()) < 0.15


def test_two_workspaces_do_not_interfere():
    a, b = bf(platform="cpu"), bf(platform="cpu", x64=True)
    a.data_on_model = {"y": Y}
    b.data_on_model = {"y": Y + 100}
    a.ml.KMEANS(np.c_[Y, Y], n_clusters=2)
    a.fit(normal_model_for(a), **SMALL)
    b.fit(normal_model_for(b), **{**SMALL, "num_chains": 1})
    assert a.data_on_model["y"] is not b.data_on_model["y"]
    assert b.ml.results == {} and "centroids" in a.ml.results
    assert abs(a.posteriors["mu"].mean() - 1.5) < 0.2 and abs(b.posteriors["mu"].mean() - 101.5) < 0.5
    assert a.posteriors["mu"].dtype == np.float32 and b.posteriors["mu"].dtype == np.float64
    assert a.sampler is not b.sampler and a.sampler.num_chains == 2


def test_pandas_data_becomes_arrays(m):
    import pandas as pd

    m.data_on_model = {"y": pd.Series(Y)}
    m.fit(normal_model_for(m), **SMALL)
    assert abs(m.posteriors["mu"].mean() - Y.mean()) < 0.1
