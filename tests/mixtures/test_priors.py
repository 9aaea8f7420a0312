"""bayesforge.mixtures.priors: priors relative to each column's spread, sampled unit-free, and the covariance floor."""
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest
from numpyro import handlers
from numpyro.distributions.transforms import biject_to

from bayesforge.mixtures.priors import (MEAN_PRIOR_SCALE, REG_COVAR, ScaledNormal, component_means,
                                        floored_scale_tril)
from bayesforge import defaults


def test_the_floor_is_the_librarys_default():
    assert REG_COVAR == defaults.REG_COVAR and MEAN_PRIOR_SCALE == 1.0


@pytest.mark.parametrize("loc, scale", [(0.0, 1.0), (1e6, 2e5), (-3e-6, 1e-7)])
def test_scaled_normal_is_sampled_in_units_of_its_scale(loc, scale):
    transform = biject_to(ScaledNormal(loc, scale).support)
    np.testing.assert_allclose(float(transform(1.0)), loc + scale, rtol=1e-6)  # one unconstrained unit = one sd
    assert bool(ScaledNormal(loc, scale).support(loc + 50 * scale))
    np.testing.assert_allclose(float(ScaledNormal(loc, scale).log_prob(loc + scale)),
                               float(numpyro.distributions.Normal(loc, scale).log_prob(loc + scale)), rtol=1e-6)


def test_component_means_centre_on_the_centroids_with_the_columns_spread():
    centre, spread = jnp.array([[0.0, 100.0], [5.0, 200.0]]), jnp.array([1.0, 50.0])

    def model():
        with numpyro.plate("components", 2):
            component_means(centre, spread)

    site = handlers.trace(handlers.seed(model, 0)).get_trace()["mu"]
    assert site["value"].shape == (2, 2)
    np.testing.assert_array_equal(site["fn"].base_dist.loc, centre)
    np.testing.assert_array_equal(jnp.broadcast_to(site["fn"].base_dist.scale, (2, 2)), jnp.broadcast_to(spread, (2, 2)))


class _Dist:
    """The one piece of m.dist floored_scale_tril uses."""

    @staticmethod
    def lkj_cholesky(dimension, concentration, name):
        return numpyro.sample(name, numpyro.distributions.LKJCholesky(dimension, concentration))


@pytest.mark.parametrize("reg_covar", [0.0, 1e-6, 0.5])
def test_the_covariance_is_the_scaled_correlation_plus_the_floor_in_the_columns_units(reg_covar):
    m = type("Workspace", (), {"dist": _Dist()})()
    sigma, scale = jnp.array([[2.0, 30.0], [0.5, 10.0]]), jnp.array([1.0, 20.0])

    def model():
        with numpyro.plate("components", 2):
            return floored_scale_tril(m, sigma, scale, reg_covar, D=2)

    lcorr = np.linalg.cholesky(np.array([[[1.0, 0.6], [0.6, 1.0]], [[1.0, -0.3], [-0.3, 1.0]]]))
    factor = handlers.substitute(model, {"Lcorr": jnp.asarray(lcorr, jnp.float32)})()
    expected = (np.asarray(sigma)[:, :, None] * lcorr @ np.swapaxes(lcorr, -1, -2) * np.asarray(sigma)[:, None, :]
                + reg_covar * np.diag(np.asarray(scale) ** 2))
    got = np.asarray(factor, float)
    np.testing.assert_allclose(got @ np.swapaxes(got, -1, -2), expected, rtol=1e-4)


def test_one_column_floors_the_variance_without_a_correlation_site():
    def model():
        return floored_scale_tril(None, jnp.array([[3.0], [4.0]]), jnp.array([2.0]), 0.25, D=1)

    trace = handlers.trace(model).get_trace()
    assert "Lcorr" not in trace
    np.testing.assert_allclose(np.asarray(model())[:, 0, 0] ** 2, [9.0 + 0.25 * 4.0, 16.0 + 0.25 * 4.0], rtol=1e-6)


def test_the_covariance_floors_gradient_calls_no_lapack():
    """The floored Cholesky factor is in the gradient NUTS takes at every step: no LAPACK there (jax 0.10 deadlocks
    parallel chains on batched LAPACK calls), for D = 2 and 3; the check itself sees LAPACK's factor."""
    import re

    import jax
    from jax.numpy.linalg import cholesky

    lapack_call = re.compile(r"[@\"]lapack_\w+")
    m = type("Workspace", (), {"dist": _Dist()})()
    for dim in (2, 3):
        scale = jnp.ones(dim)

        def total(sigma, lcorr):
            with handlers.substitute(data={"Lcorr": lcorr}), handlers.seed(rng_seed=0):
                with numpyro.plate("components", 3):
                    return floored_scale_tril(m, sigma, scale, 1e-3, dim).sum()

        sigma, lcorr = jnp.ones((3, dim)), jnp.broadcast_to(jnp.eye(dim), (3, dim, dim))
        text = jax.jit(jax.grad(total, argnums=(0, 1))).lower(sigma, lcorr).as_text()
        assert not lapack_call.search(text), lapack_call.search(text)
    assert lapack_call.search(jax.jit(jax.grad(lambda a: cholesky(a).sum())).lower(jnp.eye(2)).as_text())
