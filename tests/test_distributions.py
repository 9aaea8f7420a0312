"""bayesforge.distributions: the LAPACK-free MultivariateNormal against NumPyro's, and the Gaussian mixtures that
replace NumPyro's MixtureSameFamily (their fused log-density itself: tests/test_likelihood.py)."""
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
import pytest

import bayesforge.distributions as bf_distributions
from bayesforge.distributions import (REPLACEMENTS, GaussianMixture, IncompleteGaussianMixture, MultivariateNormal,
                                      mixture_same_family)


def _mvn_problem(dim, batch=3, n=4):
    """K = batch locations and covariances, N x K values; made with NumPy (no XLA compiles)."""
    rng = np.random.default_rng(dim)
    a = rng.normal(size=(batch, dim, dim))
    covariance = a @ np.swapaxes(a, -1, -2) + dim * np.eye(dim)
    loc = rng.normal(size=(batch, dim))
    values = loc + rng.normal(size=(n, batch, dim))
    return (jnp.asarray(x, dtype=jnp.float32) for x in (loc, covariance, values))


def _log_probs(parameterisation, loc, parameter, values):
    """Both log-densities and both Cholesky factors, from one jitted computation (one XLA compile, not dozens)."""
    ours = MultivariateNormal(loc, **{parameterisation: parameter})
    theirs = npd.MultivariateNormal(loc, **{parameterisation: parameter})
    assert ours.batch_shape == theirs.batch_shape == loc.shape[:1]
    assert ours.event_shape == theirs.event_shape == loc.shape[-1:]
    return ours.log_prob(values), theirs.log_prob(values), ours.scale_tril, theirs.scale_tril


@pytest.mark.parametrize("dim", [1, 2, 5, 20])
@pytest.mark.parametrize("parameterisation", ["covariance_matrix", "scale_tril"])
def test_multivariate_normal_log_prob_matches_numpyro(dim, parameterisation):
    loc, covariance, values = _mvn_problem(dim)  # (K, D), (K, D, D), (N, K, D)
    parameter = covariance if parameterisation == "covariance_matrix" else np.linalg.cholesky(covariance)
    ours, theirs, ours_tril, theirs_tril = jax.jit(_log_probs, static_argnums=0)(
        parameterisation, loc, parameter, values)
    assert ours.shape == theirs.shape == (4, 3)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    np.testing.assert_allclose(ours_tril, theirs_tril, rtol=1e-5, atol=1e-6)


def test_multivariate_normal_small_dimensions_avoid_lapack_and_large_fall_back(monkeypatch):
    """D ≤ 16 uses the unrolled arithmetic of bayesforge.linalg; D = 20 is NumPyro's own (LAPACK) path."""
    calls = []

    def spy(function):
        def wrapped(*args, **kwargs):
            calls.append(function.__name__)
            return function(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(bf_distributions, "cholesky_lower", spy(bf_distributions.cholesky_lower))
    monkeypatch.setattr(bf_distributions, "solve_lower", spy(bf_distributions.solve_lower))

    def ours_and_theirs(loc, covariance, values):  # traced afresh: a local function has no jit cache entry
        return (MultivariateNormal(loc, covariance_matrix=covariance).log_prob(values),
                npd.MultivariateNormal(loc, covariance_matrix=covariance).log_prob(values))

    ours, theirs = jax.jit(ours_and_theirs)(*_mvn_problem(20))
    assert calls == []  # numpyro's own path, not the unrolled one
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)

    jax.jit(ours_and_theirs)(*_mvn_problem(2))
    assert calls == ["cholesky_lower", "solve_lower"]


def _two_components(dim=2):
    loc, covariance, _ = _mvn_problem(dim, batch=2)
    return npd.Categorical(probs=jnp.array([0.3, 0.7])), MultivariateNormal(loc, covariance_matrix=covariance)


# Each check below is one jitted computation: run op by op, every NumPyro operation compiles on its own (seconds).
def test_mixture_same_family_is_the_fused_mixture_only_for_categorical_times_multivariate_normal():
    categorical, components = _two_components()
    assert type(mixture_same_family(categorical, components)) is GaussianMixture
    assert type(mixture_same_family(categorical, npd.Normal(jnp.zeros(2), 1.0))) is npd.MixtureSameFamily
    assert REPLACEMENTS == {"MultivariateNormal": MultivariateNormal, "MixtureSameFamily": mixture_same_family}

    @jax.jit
    def both(x):
        categorical, components = _two_components()
        return (mixture_same_family(categorical, components).log_prob(x),
                npd.MixtureSameFamily(categorical, components).log_prob(x))

    np.testing.assert_allclose(*both(jnp.array([[0.5, -1.0], [2.0, 0.1]])), rtol=1e-5)


def test_a_batch_of_mixtures_falls_back_to_numpyros_computation():
    def mixtures():
        loc, covariance, _ = _mvn_problem(2, batch=2)
        categorical = npd.Categorical(probs=jnp.full((3, 2), 0.5))  # 3 mixtures of 2 components
        components = MultivariateNormal(jnp.broadcast_to(loc, (3, 2, 2)), covariance_matrix=covariance)
        return mixture_same_family(categorical, components), npd.MixtureSameFamily(categorical, components)

    assert jax.eval_shape(lambda: mixtures()[0]._fused_parameters()) is None
    ours, theirs = jax.jit(lambda x: tuple(d.log_prob(x) for d in mixtures()))(jnp.array([0.5, -1.0]))
    assert ours.shape == (3,)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_incomplete_mixture_scores_a_row_on_its_observed_coordinates():
    row = np.array([[np.nan, 0.4]])  # closed over: its missingness patterns are found from the concrete values

    @jax.jit
    def both():
        categorical, components = _two_components()
        marginal = npd.MixtureSameFamily(categorical, npd.Normal(components.loc[:, 1],
                                                                 jnp.sqrt(components.covariance_matrix[:, 1, 1])))
        return (IncompleteGaussianMixture(categorical, components).log_prob(row),
                marginal.log_prob(row[:, 1]))

    ours, marginal = both()
    np.testing.assert_allclose(ours, marginal, rtol=1e-5)


def test_incomplete_mixture_refuses_components_the_kernel_cannot_take():
    def build():  # traced only (jax.eval_shape): nothing is computed
        categorical = npd.Categorical(probs=jnp.full((3, 2), 0.5))
        components = MultivariateNormal(jnp.zeros((3, 2, 2)), scale_tril=jnp.broadcast_to(jnp.eye(2), (3, 2, 2, 2)))
        IncompleteGaussianMixture(categorical, components)

    with pytest.raises(ValueError, match=r"missing values need one set of K multivariate normal components .* batch "
                                         r"shape \(3, 2\)"):
        jax.eval_shape(build)
