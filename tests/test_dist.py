"""``m.dist``: the registry of every NumPyro distribution, the call semantics, and the error messages.

The table ``VALID_ARGUMENTS`` must name every entry of ``bayesforge.dist.registry()``: when NumPyro gains
a distribution, ``test_table_names_exactly_the_registry`` fails until valid arguments for it are added here.

Speed: nearly all the time goes into XLA compiling each new (operation, shape) pair, so the table keeps its
vectors at length 2 and its matrices at 2 x 2 wherever a distribution allows it (compiled kernels are reused).
"""
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
import pytest
from numpyro import handlers

from bayesforge.dist import DistributionFactory, Distributions, registry, snake_case
from bayesforge.distributions import REPLACEMENTS, MultivariateNormal

V2 = jnp.array([0.3, 0.7])  # a probability vector of length 2
Z2 = jnp.zeros(2)
EYE2 = jnp.eye(2)
COV2 = jnp.array([[1.0, 0.3], [0.3, 2.0]])
CORR2 = jnp.array([[1.0, 0.4], [0.4, 1.0]])
ADJ2 = jnp.array([[0.0, 1.0], [1.0, 0.0]])


def _normal():
    return npd.Normal(0.0, 1.0)


def _gamma():
    return npd.Gamma(2.0, 1.0)


def _poisson():
    return npd.Poisson(3.0)


def _mixing():
    return npd.Categorical(probs=V2)


def _ou_drift(x, t):
    return -x, jnp.ones_like(x)


#: snake_case registry name -> (positional args, keyword args) that construct a valid distribution.
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
    "car": ((0.0, 0.5, 2.0, ADJ2), {}),
    "categorical": ((), dict(probs=V2)),
    "categorical_logits": ((Z2,), {}),
    "categorical_probs": ((V2,), {}),
    "cauchy": ((0.0, 1.0), {}),
    "chi2": ((3.0,), {}),
    # the row of a circulant covariance; length 3 because an even length needs a symmetric row
    "circulant_normal": ((jnp.zeros(3),), dict(covariance_row=jnp.array([1.0, 0.3, 0.3]))),
    "dagum": ((2.0, 3.0, 1.0), {}),
    "delta": ((1.5,), {}),
    "dirichlet": ((jnp.ones(2),), {}),
    "dirichlet_multinomial": ((jnp.ones(2),), dict(total_count=5)),
    "discrete_uniform": ((0, 5), {}),
    "doubly_truncated_power_law": ((-1.5, 1.0, 10.0), {}),
    "euler_maruyama": ((jnp.linspace(0.0, 1.0, 3), _ou_drift, _normal()), {}),
    "expanded_distribution": ((_normal(), (2,)), {}),
    "exponential": ((2.0,), {}),
    "folded_distribution": ((_normal(),), {}),
    "gamma": ((2.0, 1.0), {}),
    "gamma_poisson": ((2.0, 1.0), {}),
    "gaussian_copula": ((npd.Normal(Z2, 1.0),), dict(correlation_matrix=CORR2)),
    "gaussian_copula_beta": ((jnp.array([2.0, 3.0]), jnp.array([3.0, 2.0])), dict(correlation_matrix=CORR2)),
    "gaussian_random_walk": ((1.0,), dict(num_steps=2)),
    "gaussian_state_space": ((2, 0.9 * EYE2), dict(covariance_matrix=EYE2)),
    "geometric": ((), dict(probs=0.3)),
    "geometric_logits": ((0.1,), {}),
    "geometric_probs": ((0.3,), {}),
    "gompertz": ((2.0, 1.0), {}),
    "gumbel": ((0.0, 1.0), {}),
    "half_cauchy": ((1.0,), {}),
    "half_normal": ((1.0,), {}),
    "hurdle_distribution": ((_poisson(),), dict(gate=0.3)),
    "hurdle_gamma": ((0.3, 2.0, 1.0), {}),
    "hurdle_log_normal": ((0.3, 0.0, 1.0), {}),
    "hurdle_logits": ((_poisson(), 0.1), {}),
    "hurdle_negative_binomial2": ((0.3, 3.0, 2.0), {}),
    "hurdle_poisson": ((0.3, 3.0), {}),
    "hurdle_probs": ((_poisson(), 0.3), {}),
    "improper_uniform": ((npd.constraints.positive, (), ()), {}),
    "independent": ((npd.Normal(Z2, 1.0), 1), {}),
    "interval_censored_distribution": ((_normal(),), dict(left_censored=False, right_censored=False)),
    "inverse_gamma": ((2.0, 1.0), {}),
    "inverse_wishart": ((4.0,), dict(scale_matrix=COV2)),
    "inverse_wishart_cholesky": ((4.0,), dict(scale_matrix=COV2)),
    "kumaraswamy": ((2.0, 3.0), {}),
    "laplace": ((0.0, 1.0), {}),
    "left_censored_distribution": ((_normal(),), dict(censored=False)),
    "left_truncated_distribution": ((_normal(),), dict(low=-1.0)),
    "left_truncated_gamma": ((_gamma(),), dict(low=0.5)),
    "levy": ((0.0, 1.0), {}),
    "lkj": ((2,), dict(concentration=2.0)),
    "lkj_cholesky": ((2,), dict(concentration=2.0)),
    "log_normal": ((0.0, 1.0), {}),
    "log_uniform": ((1.0, 10.0), {}),
    "logistic": ((0.0, 1.0), {}),
    "low_rank_multivariate_normal": ((Z2, jnp.ones((2, 1)), jnp.ones(2)), {}),
    "lower_truncated_power_law": ((-2.0, 1.0), {}),
    "masked_distribution": ((_normal(), True), {}),
    "matrix_normal": ((jnp.zeros((2, 2)), EYE2, jnp.linalg.cholesky(COV2)), {}),
    "mixture": ((_mixing(), [_normal(), npd.Normal(3.0, 1.0)]), {}),
    "mixture_general": ((_mixing(), [_normal(), npd.Normal(3.0, 1.0)]), {}),
    "mixture_same_family": ((_mixing(), npd.Normal(jnp.array([0.0, 3.0]), 1.0)), {}),
    "multinomial": ((5,), dict(probs=V2)),
    "multinomial_logits": ((Z2,), dict(total_count=5)),
    "multinomial_probs": ((V2,), dict(total_count=5)),
    "multivariate_normal": ((Z2,), dict(covariance_matrix=COV2)),
    "multivariate_student_t": ((4.0, Z2, jnp.linalg.cholesky(COV2)), {}),
    "negative_binomial": ((5.0,), dict(probs=0.4)),
    "negative_binomial2": ((3.0, 2.0), {}),
    "negative_binomial_logits": ((5.0, 0.1), {}),
    "negative_binomial_probs": ((5.0, 0.4), {}),
    "normal": ((0.0, 1.0), {}),
    "ordered_logistic": ((0.5, jnp.array([-1.0, 1.0])), {}),
    "pareto": ((1.0, 3.0), {}),
    "poisson": ((3.0,), {}),
    "projected_normal": ((jnp.array([1.0, 0.5]),), {}),
    "relaxed_bernoulli": ((0.5,), dict(probs=0.3)),
    "relaxed_bernoulli_logits": ((0.5, 0.1), {}),
    "right_censored_distribution": ((_normal(),), dict(censored=False)),
    "right_truncated_distribution": ((_normal(),), dict(high=1.0)),
    "right_truncated_gamma": ((_gamma(),), dict(high=3.0)),
    "sine_bivariate_von_mises": ((0.0, 0.0, 2.0, 2.0, 0.5), {}),
    "sine_skewed": ((npd.VonMises(Z2, 2.0).to_event(1), jnp.array([0.2, -0.1])), {}),
    "soft_laplace": ((0.0, 1.0), {}),
    "student_t": ((4.0, 0.0, 1.0), {}),
    "transformed_distribution": ((_normal(), npd.transforms.ExpTransform()), {}),
    "truncated_cauchy": ((0.0, 1.0), dict(low=-2.0, high=2.0)),
    "truncated_distribution": ((_normal(),), dict(low=-1.0, high=2.0)),
    "truncated_gamma": ((2.0, 1.0), dict(low=0.5, high=3.0)),
    "truncated_normal": ((0.0, 1.0), dict(low=-1.0, high=2.0)),
    "truncated_polya_gamma": (((),), {}),
    "two_sided_truncated_distribution": ((_normal(),), dict(low=-1.0, high=2.0)),
    "two_sided_truncated_gamma": ((_gamma(),), dict(low=0.5, high=3.0)),
    "uniform": ((0.0, 2.0), {}),
    "unit": ((jnp.array(-1.0),), {}),
    "von_mises": ((0.0, 2.0), {}),
    "weibull": ((1.0, 2.0), {}),
    "wishart": ((4.0,), dict(scale_matrix=COV2)),
    "wishart_cholesky": ((4.0,), dict(scale_matrix=COV2)),
    "zero_inflated_distribution": ((_poisson(),), dict(gate=0.3)),
    "zero_inflated_logits": ((_poisson(), 0.1), {}),
    "zero_inflated_negative_binomial2": ((3.0, 2.0), dict(gate=0.3)),
    "zero_inflated_poisson": ((0.3, 3.0), {}),
    "zero_inflated_probs": ((_poisson(), 0.3), {}),
    "zero_sum_normal": ((1.0, (2,)), {}),
}

#: Names whose ``sample`` raises NotImplementedError, with the reason. They are scored at this value instead.
#: ImproperUniform is an improper density (e.g. flat on the positive reals): there is nothing to draw from,
#: but its log-density (0 on the support) is what a model uses it for.
CANNOT_SAMPLE = {"improper_uniform": jnp.array(2.5)}
#: Names whose draw needs an optional package NumPyro does not install (betaincinv from
#: tensorflow_probability): the draw must fail with that ImportError, and the density is scored at this value.
NEEDS_OPTIONAL_PACKAGE = {"gaussian_copula_beta": jnp.array([0.3, 0.6])}
#: Names whose draw is not of the form log_prob takes: IntervalCensoredDistribution draws a point from the base
#: distribution, but scores an interval [low, high] (event shape (2,)); it is scored at this interval.
SCORED_AT = {"interval_censored_distribution": jnp.array([-0.5, 0.5])}
#: Names whose draw shares no sampler with another entry (a rejection loop or matrix algebra of its own): drawn in
#: one jitted program, which compiles faster than each of its eager operations (measured: sine_bivariate_von_mises
#: 12.6 s eager, 5.1 s jitted). The others draw eagerly, where operations compiled for one entry are reused by the
#: next (the gamma sampler behind the negative binomials: each one's jitted draw compiled it anew, 5-14 s).
DRAWN_JITTED = {"sine_bivariate_von_mises", "gaussian_state_space", "circulant_normal", "car", "gaussian_copula",
                "left_truncated_gamma", "right_truncated_gamma"}
#: Unit (NumPyro's "factor" distribution) draws an empty array (event shape (0,)) and scores any value at its
#: log_factor; nothing special is needed, listed here only so the reader is not surprised.


def _finite(x):
    return bool(np.all(np.isfinite(np.asarray(x))))


def test_table_names_exactly_the_registry():
    missing = sorted(set(registry()) - set(VALID_ARGUMENTS))
    extra = sorted(set(VALID_ARGUMENTS) - set(registry()))
    assert set(VALID_ARGUMENTS) == set(registry()), (
        f"VALID_ARGUMENTS is out of date: missing (add valid arguments): {missing}; "
        f"extra (no longer in numpyro.distributions): {extra}"
    )
    assert set(CANNOT_SAMPLE) | set(NEEDS_OPTIONAL_PACKAGE) | set(SCORED_AT) | DRAWN_JITTED <= set(VALID_ARGUMENTS)


def test_registry_holds_the_factory_functions():
    table = registry()
    for name, numpyro_name in [("categorical", "Categorical"), ("bernoulli", "Bernoulli"),
                               ("binomial", "Binomial"), ("multinomial", "Multinomial")]:
        assert name in table, f"{name} missing from registry()"
        assert inspect.isfunction(getattr(npd, numpyro_name))  # a factory, not a class
        assert table[name] is getattr(npd, numpyro_name)


def test_every_exported_distribution_class_is_reachable_under_its_snake_case_name(m):
    exported = [n for n in npd.__all__ if n != "Distribution"
                and inspect.isclass(getattr(npd, n)) and issubclass(getattr(npd, n), npd.Distribution)]
    assert len(exported) >= 90
    table = registry()
    unreachable = sorted(n for n in exported if snake_case(n) not in table)
    assert not unreachable, f"not in registry(): {unreachable}"
    for name in exported:
        # the entry is that class (or BayesForge's drop-in subclass), not another class whose name collides
        expected = REPLACEMENTS.get(name, getattr(npd, name))
        assert table[snake_case(name)] is expected, name
        if inspect.isclass(expected):  # a factory replacement (mixture_same_family) picks among subclasses
            assert issubclass(expected, getattr(npd, name))
        factory = getattr(m.dist, snake_case(name))
        assert isinstance(factory, DistributionFactory) and factory.constructor is expected
    assert "Distribution" not in table and "distribution" not in table


def test_snake_case():
    assert [snake_case(n) for n in ["Normal", "HalfCauchy", "LKJCholesky", "CAR", "NegativeBinomial2", "Chi2"]] == [
        "normal", "half_cauchy", "lkj_cholesky", "car", "negative_binomial2", "chi2"]


@pytest.mark.parametrize("name", sorted(VALID_ARGUMENTS))
def test_every_distribution_builds_draws_and_scores(m, name):
    args, kwargs = VALID_ARGUMENTS[name]
    factory = getattr(m.dist, name)
    built = factory(*args, create_obj=True, **kwargs)
    assert isinstance(built, npd.Distribution)
    constructor = registry()[name]
    if inspect.isclass(constructor):  # factory functions (categorical, ...) pick a class from their arguments
        assert isinstance(built, constructor)

    if name in CANNOT_SAMPLE:
        with pytest.raises(NotImplementedError):
            factory(*args, sample=True, seed=0, **kwargs)
        value = CANNOT_SAMPLE[name]
    elif name in NEEDS_OPTIONAL_PACKAGE:
        try:
            draw = factory(*args, sample=True, seed=0, **kwargs)
        except ImportError as error:
            assert "tensorflow_probability" in str(error)
        else:  # the optional package is installed: the draw must then be a proper one
            assert jnp.shape(draw) == built.batch_shape + built.event_shape
        value = NEEDS_OPTIONAL_PACKAGE[name]
    else:
        def draw_from_the_factory():
            return factory(*args, sample=True, seed=0, **kwargs)

        draw = jax.jit(draw_from_the_factory)() if name in DRAWN_JITTED else draw_from_the_factory()
        assert _finite(draw), f"{name} drew {draw}"
        if name in SCORED_AT:
            value = SCORED_AT[name]
        else:
            assert jnp.shape(draw) == built.batch_shape + built.event_shape
            value = draw

    # jitted: one XLA compile for the whole density instead of one per new eager operation (NUTS jits it too)
    log_density = jax.jit(built.log_prob)(value)
    assert jnp.shape(log_density) == built.batch_shape
    assert _finite(log_density), f"{name}: log_prob({value}) = {log_density}"


# --------------------------------------------------------------------------------------------- semantics


def test_shape_expands_the_batch_and_event_moves_it_to_the_event(m):
    d = m.dist.half_cauchy(1, shape=(3,), create_obj=True)
    assert d.batch_shape == (3,) and d.event_shape == ()
    d = m.dist.half_cauchy(1, shape=(3,), event=1, create_obj=True)
    assert d.batch_shape == () and d.event_shape == (3,)
    assert m.dist.normal(0.0, 1.0, shape=4, create_obj=True).batch_shape == (4,)
    d = m.dist.normal(0.0, 1.0, shape=(2, 3), event=1, create_obj=True)
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    assert m.dist.normal(0.0, 1.0, shape=(2, 3), event=0, create_obj=True).batch_shape == (2, 3)
    # an event= shared over a batch: one log-density per remaining batch element
    assert m.dist.normal(0.0, 1.0, shape=(2, 3), event=1, create_obj=True).log_prob(jnp.zeros((2, 3))).shape == (2,)


def test_sizes_accept_integral_floats(m):
    d = m.dist.half_cauchy(1.0, shape=(3.0,), event=1.0, create_obj=True)
    assert d.event_shape == (3,) and all(type(n) is int for n in d.event_shape)
    assert m.dist.normal(0.0, 1.0, shape=3.0, create_obj=True).batch_shape == (3,)
    assert m.dist.normal(0.0, 1.0, shape=np.float64(2.0), create_obj=True).batch_shape == (2,)
    assert m.dist.normal(0.0, 1.0, sample=True, seed=0.0, sample_shape=(2.0,)).shape == (2,)
    assert m.dist.normal(0.0, 1.0, sample=True, seed=0, sample_shape=3.0).shape == (3,)
    plate = m.dist.plate("p", 3.0)
    assert plate.size == 3 and type(plate.size) is int


def test_count_parameters_accept_integral_floats(m):
    # R sends 2 as 2.0; NumPyro builds shapes from these, so they must reach it as Python ints
    assert m.dist.lkj_cholesky(dimension=2.0, concentration=1.0, create_obj=True).event_shape == (2, 2)
    assert m.dist.gaussian_random_walk(1.0, num_steps=4.0, create_obj=True).event_shape == (4,)
    with pytest.raises(ValueError, match="dimension must be a whole number"):
        m.dist.lkj_cholesky(dimension=2.5, create_obj=True)


@pytest.mark.parametrize("options, message", [
    (dict(shape=(3.5,), create_obj=True), r"shape\[0\] must be a whole number, got 3\.5"),
    (dict(shape=(2, 3.5), create_obj=True), r"shape\[1\] must be a whole number, got 3\.5"),
    (dict(shape=3.5, create_obj=True), r"^shape must be a whole number, got 3\.5"),
    (dict(event=1.5, create_obj=True), r"^event must be a whole number, got 1\.5"),
    (dict(event=-1, create_obj=True), r"^event must be at least 0"),
    (dict(sample_shape=(3.5,), sample=True), r"sample_shape\[0\] must be a whole number, got 3\.5"),
    (dict(sample_shape=3.5, sample=True), r"^sample_shape must be a whole number, got 3\.5"),
    (dict(seed=0.5, sample=True), r"^seed must be a whole number, got 0\.5"),
])
def test_sizes_refuse_fractions_naming_the_argument(m, options, message):
    with pytest.raises(ValueError, match=message):
        m.dist.normal(0.0, 1.0, **options)


def test_plate_size_refuses_fractions(m):
    with pytest.raises(ValueError, match=r"^size must be a whole number, got 3\.5"):
        m.dist.plate("p", 3.5)
    with pytest.raises(ValueError, match=r"^subsample_size must be a whole number"):
        m.dist.plate("p", 4, subsample_size=1.5)
    with pytest.raises(ValueError, match="size must be at least 1"):
        m.dist.plate("p", 0)


def test_sizes_refuse_non_numbers(m):
    with pytest.raises(TypeError, match="shape must be a whole number or a sequence of whole numbers"):
        m.dist.normal(0.0, 1.0, shape="3", create_obj=True)
    with pytest.raises(TypeError, match="event must be a whole number"):
        m.dist.normal(0.0, 1.0, shape=3, event=True, create_obj=True)


def test_mask_gives_a_masked_distribution(m):
    d = m.dist.normal(0.0, 1.0, shape=(2,), mask=jnp.array([True, False]), create_obj=True)
    assert isinstance(d, npd.MaskedDistribution)
    log_density = d.log_prob(jnp.zeros(2))
    assert log_density[0] == pytest.approx(-0.5 * np.log(2 * np.pi), abs=1e-6) and log_density[1] == 0.0
    assert isinstance(m.dist.normal(0.0, 1.0, mask=False, create_obj=True), npd.MaskedDistribution)
    assert not isinstance(m.dist.normal(0.0, 1.0, create_obj=True), npd.MaskedDistribution)


def test_create_obj_returns_the_numpyro_object_with_these_parameters(m):
    d = m.dist.normal(1.5, 2.0, create_obj=True)
    assert type(d) is npd.Normal and float(d.loc) == 1.5 and float(d.scale) == 2.0
    # lists of numbers reach NumPyro as arrays
    d = m.dist.dirichlet([1.0, 2.0, 3.0], create_obj=True)
    assert d.event_shape == (3,) and isinstance(d.concentration, jax.Array)
    # every registry entry is a factory whose constructor is the registry's
    assert m.dist.normal.constructor is npd.Normal


def test_same_seed_same_draw_other_seed_other_draw(m):
    a = m.dist.normal(0.0, 1.0, sample=True, seed=1, sample_shape=(5,))
    b = m.dist.normal(0.0, 1.0, sample=True, seed=1, sample_shape=(5,))
    c = m.dist.normal(0.0, 1.0, sample=True, seed=2, sample_shape=(5,))
    assert a.shape == (5,)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # the draw is NumPyro's own draw with jax.random.PRNGKey(seed)
    expected = npd.Normal(0.0, 1.0).sample(jax.random.PRNGKey(1), (5,))
    np.testing.assert_array_equal(a, expected)


def test_sample_shape_comes_before_the_batch_and_event_shapes(m):
    draw = m.dist.normal(0.0, 1.0, shape=(2, 3), event=1, sample=True, seed=0, sample_shape=(4,))
    assert draw.shape == (4, 2, 3)


def _trace(model, *args, **kwargs):
    return handlers.trace(handlers.seed(model, rng_seed=0)).get_trace(*args, **kwargs)


def test_obs_conditions_a_site_inside_a_model(m):
    def model(y):
        mu = m.dist.normal(0.0, 1.0, name="mu")
        sigma = m.dist.half_normal(1.0, name="sigma")
        m.dist.normal(mu, sigma, name="y", obs=y)

    y = jnp.array([0.1, 0.2, 0.3])
    trace = _trace(model, y)
    assert trace["y"]["type"] == "sample" and trace["y"]["is_observed"]
    np.testing.assert_array_equal(trace["y"]["value"], y)
    assert not trace["mu"]["is_observed"] and not trace["sigma"]["is_observed"]
    assert isinstance(trace["sigma"]["fn"], npd.HalfNormal)
    assert list(trace) == ["mu", "sigma", "y"]


def test_shape_event_mask_and_infer_reach_the_site(m):
    def model():
        m.dist.half_cauchy(1.0, shape=(3,), event=1, name="sigma")
        m.dist.normal(0.0, 1.0, shape=(2,), mask=jnp.array([True, False]), name="masked")
        m.dist.bernoulli(probs=0.5, name="z", infer={"enumerate": "parallel"})

    trace = _trace(model)
    assert trace["sigma"]["fn"].event_shape == (3,) and trace["sigma"]["value"].shape == (3,)
    assert isinstance(trace["masked"]["fn"], npd.MaskedDistribution)
    assert trace["z"]["infer"] == {"enumerate": "parallel"}


def test_plate_with_an_integral_float_size_inside_a_model(m):
    def model():
        with m.dist.plate("p", 3.0):
            m.dist.normal(0.0, 1.0, name="x")

    trace = _trace(model)
    assert trace["p"]["type"] == "plate" and trace["p"]["args"][0] == 3
    assert trace["x"]["value"].shape == (3,)
    assert trace["x"]["fn"].batch_shape == (3,)
    assert [frame.name for frame in trace["x"]["cond_indep_stack"]] == ["p"]


def test_deterministic_records_a_site(m):
    def model():
        mu = m.dist.normal(0.0, 1.0, name="mu")
        returned = m.dist.deterministic("twice", 2 * mu)
        assert returned is not None

    trace = _trace(model)
    assert trace["twice"]["type"] == "deterministic"
    np.testing.assert_allclose(trace["twice"]["value"], 2 * trace["mu"]["value"])


def test_factor_adds_to_the_log_density(m):
    def model():
        m.dist.factor("penalty", -3.0)

    trace = _trace(model)
    assert float(trace["penalty"]["fn"].log_prob(trace["penalty"]["value"])) == -3.0


# ------------------------------------------------------------------------------------ multivariate normal


def test_m_dist_multivariate_normal_is_bayesforges(m):
    assert registry()["multivariate_normal"] is MultivariateNormal
    d = m.dist.multivariate_normal(Z2, covariance_matrix=COV2, create_obj=True)
    assert isinstance(d, MultivariateNormal) and isinstance(d, npd.MultivariateNormal)
    expected = npd.MultivariateNormal(Z2, covariance_matrix=COV2).log_prob(jnp.array([0.5, -1.0]))
    np.testing.assert_allclose(d.log_prob(jnp.array([0.5, -1.0])), expected, rtol=1e-5)


# ------------------------------------------------------------------------------------------------ errors


def test_unknown_name_lists_close_names(m):
    with pytest.raises(AttributeError, match=r"m\.dist has no distribution 'normall'; did you mean .*\bnormal\b"):
        m.dist.normall
    with pytest.raises(AttributeError, match=r"see dir\(m\.dist\)"):
        m.dist.qqqqqqqq
    assert not hasattr(m.dist, "nope")
    assert not hasattr(m.dist, "__array__")


def test_argument_the_distribution_does_not_take_lists_its_parameters(m):
    with pytest.raises(TypeError, match=r"m\.dist\.normal\(\) got unexpected argument\(s\) \['mean'\]; "
                                        r"it takes: loc, scale$"):
        m.dist.normal(mean=0.0, create_obj=True)
    with pytest.raises(TypeError, match=r"it takes: df, loc, scale$"):
        m.dist.student_t(4.0, sd=1.0, create_obj=True)


def test_too_many_positional_arguments(m):
    with pytest.raises(TypeError, match=r"m\.dist\.normal\(\): too many positional arguments; it takes: loc, scale"):
        m.dist.normal(0.0, 1.0, 2.0, create_obj=True)


def test_a_sample_site_inside_a_model_needs_a_name(m):
    def model():
        m.dist.normal(0.0, 1.0)

    with pytest.raises(ValueError, match=r"m\.dist\.normal\(\) needs name='\.\.\.'"):
        _trace(model)
    with pytest.raises(ValueError, match="name="):  # outside a model too: nothing to return
        m.dist.normal(0.0, 1.0)


def test_a_named_site_outside_a_model_says_to_use_sample_true(m):
    with pytest.raises(RuntimeError, match=r"m\.dist\.normal\(name='x'\) is a sample site.*sample=True"):
        m.dist.normal(0.0, 1.0, name="x")


def test_name_must_be_a_string(m):
    with pytest.raises(TypeError, match="name must be a string, got int"):
        _trace(lambda: m.dist.normal(0.0, 1.0, name=3))
    with pytest.raises(TypeError, match="name must be a string, got int"):
        m.dist.normal(0.0, 1.0, name=3)


# ---------------------------------------------------------------------------------------- dir and repr


def test_dir_lists_every_distribution_plus_plate_and_deterministic(m):
    names = dir(m.dist)
    assert set(registry()) <= set(names)
    assert {"plate", "deterministic", "factor"} <= set(names)
    assert names == sorted(names)


def test_repr_shows_the_parameters(m):
    text = repr(m.dist.normal)
    assert "m.dist.normal(" in text and "loc" in text and "scale" in text and "numpyro Normal" in text
    assert "numpyro MultivariateNormal" in repr(m.dist.multivariate_normal)
    assert f"{len(registry())} distributions" in repr(m.dist)
    assert m.dist.normal.__doc__ == npd.Normal.__doc__


def test_distributions_without_a_workspace():
    # m.dist is a plain Distributions(); it works on its own too (doctests and the R/Julia front ends use it)
    d = Distributions()
    assert d.normal(0.0, 1.0, shape=(3,), event=1, create_obj=True).event_shape == (3,)


# -------------------------------------------------------------------------------- shape-valued parameters


def test_shape_valued_parameters_stay_tuples_of_ints(m):
    # regression: tuples used to be turned into jax arrays, so batch_shape came back as Array([3])
    d = m.dist.improper_uniform(npd.constraints.real, (3,), (), create_obj=True)
    assert d.batch_shape == (3,) and type(d.batch_shape) is tuple and type(d.batch_shape[0]) is int
    assert type(m.dist.zero_sum_normal(1.0, (3,), create_obj=True).event_shape[0]) is int
    assert m.dist.zero_sum_normal(1.0, (3,), sample=True, seed=0).shape == (3,)
    assert m.dist.truncated_polya_gamma((3,), sample=True, seed=0).shape == (3,)
    assert m.dist.expanded_distribution(_normal(), (3,), create_obj=True).batch_shape == (3,)
    # lists of numbers for ordinary parameters still become arrays
    assert m.dist.normal([0.0, 1.0], 1.0, create_obj=True).batch_shape == (2,)


def test_shape_valued_parameters_accept_integral_floats_and_lists(m):
    d = m.dist.zero_sum_normal(1.0, (3.0,), create_obj=True)
    assert d.event_shape == (3,) and type(d.event_shape[0]) is int
    assert m.dist.expanded_distribution(_normal(), (3.0,), sample=True, seed=0).shape == (3,)
    assert m.dist.improper_uniform(npd.constraints.real, [3], [], create_obj=True).batch_shape == (3,)


def test_binomial_total_count_accepts_an_integral_float(m):
    assert m.dist.binomial(total_count=10.0, probs=0.4, sample=True, seed=0).shape == ()
