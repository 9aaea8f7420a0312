"""m.dist: every NumPyro distribution reachable and buildable; call semantics; error messages."""
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as npd
import pytest
from numpyro import handlers

from bayesforge.dist import Distributions, registry, snake_case
from bayesforge.distributions import MultivariateNormal

EYE2 = jnp.eye(2)
COV2 = jnp.array([[1.0, 0.3], [0.3, 2.0]])
P2 = jnp.array([0.3, 0.7])
ADJ = jnp.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def normal():
    return npd.Normal(0.0, 1.0)


def gamma():
    return npd.Gamma(2.0, 1.0)


def poisson():
    return npd.Poisson(3.0)


def ou_drift(x, t):
    return -x, jnp.ones_like(x)


#: snake_case name -> (positional args, keyword args), valid for that distribution.
VALID_ARGUMENTS = {
    "asymmetric_laplace": ((), dict(loc=0.0, scale=1.0, asymmetry=1.5)),
    "asymmetric_laplace_quantile": ((), dict(loc=0.0, scale=1.0, quantile=0.3)),
    "bernoulli": ((), dict(probs=0.3)),
    "bernoulli_logits": ((), dict(logits=0.2)),
    "bernoulli_probs": ((), dict(probs=0.3)),
    "beta": ((2.0, 3.0), {}),
    "beta_binomial": ((2.0, 3.0), dict(total_count=10)),
    "beta_negative_binomial": ((2.0, 3.0), dict(n=4.0)),
    "beta_proportion": ((0.4, 5.0), {}),
    "binomial": ((), dict(total_count=10, probs=0.4)),
    "binomial_logits": ((0.1,), dict(total_count=10)),
    "binomial_probs": ((0.4,), dict(total_count=10)),
    "car": ((0.0, 0.5, 2.0, ADJ), {}),
    "categorical": ((), dict(probs=P2)),
    "categorical_logits": ((jnp.zeros(3),), {}),
    "categorical_probs": ((P2,), {}),
    "cauchy": ((0.0, 1.0), {}),
    "chi2": ((3.0,), {}),
    "circulant_normal": ((jnp.zeros(4),), dict(covariance_row=jnp.array([1.0, 0.5, 0.2, 0.5]))),
    "dagum": ((2.0, 3.0, 1.0), {}),
    "delta": ((1.5,), {}),
    "dirichlet": ((jnp.ones(3),), {}),
    "dirichlet_multinomial": ((jnp.ones(3),), dict(total_count=5)),
    "discrete_uniform": ((0, 5), {}),
    "doubly_truncated_power_law": ((-1.5, 1.0, 10.0), {}),
    "euler_maruyama": ((jnp.linspace(0.0, 1.0, 5), ou_drift, npd.Normal(0.0, 1.0)), {}),
    "expanded_distribution": ((normal(), (3,)), {}),
    "exponential": ((2.0,), {}),
    "folded_distribution": ((normal(),), {}),
    "gamma": ((2.0, 1.0), {}),
    "gamma_poisson": ((2.0, 1.0), {}),
    "gaussian_copula": ((npd.Normal(jnp.zeros(2), 1.0),), dict(correlation_matrix=jnp.array([[1.0, 0.4], [0.4, 1.0]]))),
    "gaussian_copula_beta": ((jnp.array([2.0, 3.0]), jnp.array([3.0, 2.0])),
                             dict(correlation_matrix=jnp.array([[1.0, 0.4], [0.4, 1.0]]))),
    "gaussian_random_walk": ((1.0,), dict(num_steps=5)),
    "gaussian_state_space": ((4, 0.9 * EYE2), dict(covariance_matrix=EYE2)),
    "geometric": ((), dict(probs=0.3)),
    "geometric_logits": ((0.1,), {}),
    "geometric_probs": ((0.3,), {}),
    "gompertz": ((2.0, 1.0), {}),
    "gumbel": ((0.0, 1.0), {}),
    "half_cauchy": ((1.0,), {}),
    "half_normal": ((1.0,), {}),
    "hurdle_distribution": ((poisson(),), dict(gate=0.3)),
    "hurdle_gamma": ((0.3, 2.0, 1.0), {}),
    "hurdle_log_normal": ((0.3, 0.0, 1.0), {}),
    "hurdle_logits": ((poisson(), 0.1), {}),
    "hurdle_negative_binomial2": ((0.3, 3.0, 2.0), {}),
    "hurdle_poisson": ((0.3, 3.0), {}),
    "hurdle_probs": ((poisson(), 0.3), {}),
    "improper_uniform": ((npd.constraints.positive, (), ()), {}),
    "independent": ((npd.Normal(jnp.zeros(3), 1.0), 1), {}),
    "interval_censored_distribution": ((normal(),), dict(left_censored=False, right_censored=False)),
    "inverse_gamma": ((2.0, 1.0), {}),
    "inverse_wishart": ((4.0,), dict(scale_matrix=COV2)),
    "inverse_wishart_cholesky": ((4.0,), dict(scale_matrix=COV2)),
    "kumaraswamy": ((2.0, 3.0), {}),
    "laplace": ((0.0, 1.0), {}),
    "left_censored_distribution": ((normal(),), dict(censored=False)),
    "left_truncated_distribution": ((normal(),), dict(low=-1.0)),
    "left_truncated_gamma": ((gamma(),), dict(low=0.5)),
    "levy": ((0.0, 1.0), {}),
    "lkj": ((3,), dict(concentration=2.0)),
    "lkj_cholesky": ((3,), dict(concentration=2.0)),
    "log_normal": ((0.0, 1.0), {}),
    "log_uniform": ((1.0, 10.0), {}),
    "logistic": ((0.0, 1.0), {}),
    "low_rank_multivariate_normal": ((jnp.zeros(3), jnp.ones((3, 1)), jnp.ones(3)), {}),
    "lower_truncated_power_law": ((-2.0, 1.0), {}),
    "masked_distribution": ((normal(), True), {}),
    "matrix_normal": ((jnp.zeros((2, 3)), EYE2, jnp.eye(3)), {}),
    "mixture": ((npd.Categorical(probs=P2), [normal(), npd.Normal(3.0, 1.0)]), {}),
    "mixture_general": ((npd.Categorical(probs=P2), [normal(), npd.Normal(3.0, 1.0)]), {}),
    "mixture_same_family": ((npd.Categorical(probs=P2), npd.Normal(jnp.array([0.0, 3.0]), 1.0)), {}),
    "multinomial": ((5,), dict(probs=jnp.array([0.2, 0.3, 0.5]))),
    "multinomial_logits": ((jnp.zeros(3),), dict(total_count=5)),
    "multinomial_probs": ((jnp.array([0.2, 0.3, 0.5]),), dict(total_count=5)),
    "multivariate_normal": ((jnp.zeros(2),), dict(covariance_matrix=COV2)),
    "multivariate_student_t": ((4.0, jnp.zeros(2), jnp.linalg.cholesky(COV2)), {}),
    "negative_binomial": ((5.0,), dict(probs=0.4)),
    "negative_binomial2": ((3.0, 2.0), {}),
    "negative_binomial_logits": ((5.0, 0.1), {}),
    "negative_binomial_probs": ((5.0, 0.4), {}),
    "normal": ((0.0, 1.0), {}),
    "ordered_logistic": ((0.5, jnp.array([-1.0, 0.0, 1.0])), {}),
    "pareto": ((1.0, 3.0), {}),
    "poisson": ((3.0,), {}),
    "projected_normal": ((jnp.array([1.0, 0.5, -0.2]),), {}),
    "relaxed_bernoulli": ((0.5,), dict(probs=0.3)),
    "relaxed_bernoulli_logits": ((0.5, 0.1), {}),
    "right_censored_distribution": ((normal(),), dict(censored=False)),
    "right_truncated_distribution": ((normal(),), dict(high=1.0)),
    "right_truncated_gamma": ((gamma(),), dict(high=3.0)),
    "sine_bivariate_von_mises": ((0.0, 0.0, 2.0, 2.0, 0.5), {}),
    "sine_skewed": ((npd.VonMises(jnp.zeros(2), 2.0).to_event(1), jnp.array([0.2, -0.1])), {}),
    "soft_laplace": ((0.0, 1.0), {}),
    "student_t": ((4.0, 0.0, 1.0), {}),
    "transformed_distribution": ((normal(), npd.transforms.ExpTransform()), {}),
    "truncated_cauchy": ((0.0, 1.0), dict(low=-2.0, high=2.0)),
    "truncated_distribution": ((normal(),), dict(low=-1.0, high=2.0)),
    "truncated_gamma": ((2.0, 1.0), dict(low=0.5, high=3.0)),
    "truncated_normal": ((0.0, 1.0), dict(low=-1.0, high=2.0)),
    "truncated_polya_gamma": (((),), {}),
    "two_sided_truncated_distribution": ((normal(),), dict(low=-1.0, high=2.0)),
    "two_sided_truncated_gamma": ((gamma(),), dict(low=0.5, high=3.0)),
    "uniform": ((0.0, 2.0), {}),
    "unit": ((jnp.array(-1.0),), {}),
    "von_mises": ((0.0, 2.0), {}),
    "weibull": ((1.0, 2.0), {}),
    "wishart": ((4.0,), dict(scale_matrix=COV2)),
    "wishart_cholesky": ((4.0,), dict(scale_matrix=COV2)),
    "zero_inflated_distribution": ((poisson(),), dict(gate=0.3)),
    "zero_inflated_logits": ((poisson(), 0.1), {}),
    "zero_inflated_negative_binomial2": ((3.0, 2.0), dict(gate=0.3)),
    "zero_inflated_poisson": ((0.3, 3.0), {}),
    "zero_inflated_probs": ((poisson(), 0.3), {}),
    "zero_sum_normal": ((1.0, (3,)), {}),
}
#: Cannot draw: an improper density.
CANNOT_SAMPLE = {"improper_uniform"}
#: Draws need tensorflow_probability (betaincinv), not a NumPyro dependency: scored at a fixed value.
SCORE_ONLY = {"gaussian_copula_beta": jnp.array([0.3, 0.6])}
#: Values whose form is not a draw: an interval-censored observation is [low, high].
SCORE_AT = {"interval_censored_distribution": jnp.array([-0.5, 0.5]), **SCORE_ONLY}
#: No log-density to evaluate at a draw: Pólya-Gamma's is a truncated series only defined for sampling checks.
NO_LOG_PROB = {"truncated_polya_gamma"}


@pytest.fixture(scope="module")
def dist():
    return Distributions()


def test_the_table_covers_exactly_the_registry():
    missing = sorted(set(registry()) - set(VALID_ARGUMENTS))
    extra = sorted(set(VALID_ARGUMENTS) - set(registry()))
    assert not missing and not extra, f"add to VALID_ARGUMENTS: {missing}; no longer in numpyro: {extra}"


def test_every_numpyro_distribution_and_factory_is_reachable():
    exported = [n for n in npd.__all__ if n != "Distribution"
                and isinstance(getattr(npd, n), type) and issubclass(getattr(npd, n), npd.Distribution)]
    assert len(exported) >= 100
    for name in exported:
        assert snake_case(name) in registry(), name
    for factory in ["categorical", "bernoulli", "binomial", "multinomial", "geometric", "negative_binomial"]:
        assert factory in registry()


@pytest.mark.parametrize("name", sorted(VALID_ARGUMENTS))
def test_builds_samples_and_scores(dist, name):
    args, kwargs = VALID_ARGUMENTS[name]
    built = getattr(dist, name)(*args, create_obj=True, **kwargs)
    assert isinstance(built, npd.Distribution)
    if name in CANNOT_SAMPLE:
        with pytest.raises(NotImplementedError):
            getattr(dist, name)(*args, sample=True, seed=0, **kwargs)
        return
    if name not in SCORE_ONLY:
        draw = getattr(dist, name)(*args, sample=True, seed=0, **kwargs)
        if name not in SCORE_AT:
            assert jnp.shape(draw) == built.batch_shape + built.event_shape
    if name not in NO_LOG_PROB:
        value = SCORE_AT.get(name, draw if name not in SCORE_ONLY else None)
        assert np.all(np.isfinite(np.asarray(built.log_prob(value)))), name


def test_shape_expands_the_batch_and_event_moves_it(dist):
    assert dist.half_cauchy(1.0, shape=(3,), create_obj=True).batch_shape == (3,)
    d = dist.half_cauchy(1.0, shape=(3,), event=1, create_obj=True)
    assert d.batch_shape == () and d.event_shape == (3,)
    assert dist.normal(0.0, 1.0, shape=4, create_obj=True).batch_shape == (4,)


@pytest.mark.parametrize("keyword, value, message", [
    ("shape", (3.5,), r"shape\[0\] must be a whole number"),
    ("shape", "3", "shape must be a whole number or a sequence"),
    ("event", 1.5, "event must be a whole number"),
    ("event", -1, "event must be at least 0"),
    ("sample_shape", (2.5,), r"sample_shape\[0\] must be a whole number"),
])
def test_sizes_refuse_non_integers(dist, keyword, value, message):
    options = {keyword: value}
    if keyword == "sample_shape":
        options["sample"] = True
    else:
        options["create_obj"] = True
    with pytest.raises((ValueError, TypeError), match=message):
        dist.normal(0.0, 1.0, **options)


def test_sizes_accept_integral_floats(dist):
    d = dist.half_cauchy(1.0, shape=(3.0,), event=1.0, create_obj=True)
    assert d.event_shape == (3,)
    assert dist.normal(0.0, 1.0, sample=True, seed=0.0, sample_shape=(2.0,)).shape == (2,)
    assert dist.plate("p", 3.0).size == 3
    with pytest.raises(ValueError, match="size must be a whole number"):
        dist.plate("p", 3.5)


def test_count_parameters_accept_integral_floats(dist):
    # R sends 2 as 2.0: NumPyro needs a Python int for dimensions and step counts
    assert dist.lkj_cholesky(dimension=2.0, concentration=1.0, sample=True, seed=0).shape == (2, 2)
    assert dist.gaussian_random_walk(1.0, num_steps=4.0, create_obj=True).event_shape == (4,)
    with pytest.raises(ValueError, match="dimension must be a whole number"):
        dist.lkj_cholesky(dimension=2.5, create_obj=True)


def test_mask_and_sample_seeds(dist):
    assert isinstance(dist.normal(0.0, 1.0, mask=False, create_obj=True), npd.MaskedDistribution)
    a = dist.normal(0.0, 1.0, sample=True, seed=1, sample_shape=(5,))
    b = dist.normal(0.0, 1.0, sample=True, seed=1, sample_shape=(5,))
    c = dist.normal(0.0, 1.0, sample=True, seed=2, sample_shape=(5,))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_sites_inside_a_model(dist):
    def model(y):
        mu = dist.normal(0.0, 1.0, name="mu")
        with dist.plate("data", 3.0):
            dist.normal(mu, 1.0, name="y", obs=y)
        dist.deterministic("twice", 2 * mu)

    y = jnp.array([0.1, 0.2, 0.3])
    trace = handlers.trace(handlers.seed(model, rng_seed=0)).get_trace(y)
    assert trace["y"]["is_observed"] and np.array_equal(trace["y"]["value"], y)
    assert not trace["mu"]["is_observed"]
    assert trace["twice"]["type"] == "deterministic"
    assert trace["data"]["args"] == (3, None)


@pytest.mark.parametrize("dim", [1, 2, 5, 20])
@pytest.mark.parametrize("parameterisation", ["covariance_matrix", "scale_tril"])
def test_multivariate_normal_matches_numpyro(dim, parameterisation):
    key_a, key_b, key_c = jax.random.split(jax.random.PRNGKey(dim), 3)
    a = jax.random.normal(key_a, (4, dim, dim))
    covariance = a @ jnp.swapaxes(a, -1, -2) + dim * jnp.eye(dim)
    loc = jax.random.normal(key_b, (4, dim))
    values = jax.random.normal(key_c, (7, 4, dim))
    parameter = covariance if parameterisation == "covariance_matrix" else jnp.linalg.cholesky(covariance)
    ours = MultivariateNormal(loc, **{parameterisation: parameter}).log_prob(values)
    theirs = npd.MultivariateNormal(loc, **{parameterisation: parameter}).log_prob(values)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)


def test_m_dist_multivariate_normal_is_the_lapack_free_one(dist):
    assert isinstance(dist.multivariate_normal(jnp.zeros(2), EYE2, create_obj=True), MultivariateNormal)


def test_unknown_distribution_lists_close_names(dist):
    with pytest.raises(AttributeError, match="did you mean normal"):
        dist.normall
    assert not hasattr(dist, "nope")


def test_argument_the_distribution_does_not_take(dist):
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['mean'\]; it takes: loc, scale"):
        dist.normal(mean=0.0, create_obj=True)
    with pytest.raises(TypeError, match="it takes: loc, scale"):
        dist.normal(0.0, 1.0, 2.0, 3.0, create_obj=True)


def test_sample_site_without_name_or_outside_a_model(dist):
    def model():
        dist.normal(0.0, 1.0)

    with pytest.raises(ValueError, match=r"needs name='...'"):
        handlers.seed(model, rng_seed=0)()
    with pytest.raises(RuntimeError, match="sample=True"):
        dist.normal(0.0, 1.0, name="x")
    with pytest.raises(TypeError, match="name must be a string"):
        handlers.seed(lambda: dist.normal(0.0, 1.0, name=3), rng_seed=0)()


def test_dir_and_repr(dist):
    names = dir(dist)
    assert set(registry()) <= set(names) and {"plate", "deterministic", "factor"} <= set(names)
    assert "loc, scale" in repr(dist.normal)
    assert numpyro.distributions.Normal.__doc__ == dist.normal.__doc__
