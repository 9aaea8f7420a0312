"""bayesforge.mixtures.memberships: membership probabilities and occupied components of Gaussian-mixture draws (synthetic draws,
no sampler) against a direct log-sum-exp, far from the origin, and their input checks."""
import numpy as np
import pytest

from bayesforge.mixtures.draws import MixtureDraws
from bayesforge.mixtures.memberships import membership_probabilities, occupied_components


# -- memberships ------------------------------------------------------------------------------------------

def _synthetic_draws(weights=(0.6, 0.4, 0.0), draws=20, seed=0):
    rng = np.random.default_rng(seed)
    k = len(weights)
    means = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 30.0]])[:k] + rng.normal(0, 0.01, (draws, k, 2))
    a = rng.normal(size=(draws, k, 2, 2)) * 0.2
    covariances = np.eye(2) + a @ np.swapaxes(a, -1, -2)
    w = np.broadcast_to(np.asarray(weights, dtype=float), (draws, k))
    return MixtureDraws("obs", w.astype(np.float32), means.astype(np.float32), covariances.astype(np.float32))


def test_membership_probabilities_match_a_direct_log_sum_exp():
    import jax
    import jax.numpy as jnp
    import numpyro.distributions as npd
    from jax.scipy.special import logsumexp

    draws = _synthetic_draws(weights=(0.5, 0.3, 0.2))
    points = np.random.default_rng(1).normal(0, 4, size=(257, 2)) # odd N: padding in the last batch
    got = membership_probabilities(draws, points, batch_size=64)
    with jax.enable_x64(True):
        component = npd.MultivariateNormal(jnp.asarray(draws.means, float)[:, None],
                                           covariance_matrix=jnp.asarray(draws.covariances, float)[:, None])
        log_joint = jnp.log(jnp.asarray(draws.weights, float))[:, None] + component.log_prob(points[None, :, None])
        expected = np.asarray(jnp.exp(log_joint - logsumexp(log_joint, -1, keepdims=True)).mean(0))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(membership_probabilities(draws, points), got, atol=1e-6)  # batch size is invisible


def test_memberships_stay_accurate_far_from_the_origin():
    draws = _synthetic_draws(weights=(0.5, 0.5))
    shifted = MixtureDraws("obs", draws.weights, draws.means + np.float32(1e4), draws.covariances)
    points = np.array([[-3.0, 0.0], [0.0, 0.0], [3.0, 0.1]])
    np.testing.assert_allclose(membership_probabilities(shifted, points + 1e4), membership_probabilities(draws, points),
                               atol=1e-3)


def test_occupied_components_count_only_components_with_points():
    draws = _synthetic_draws(weights=(0.6, 0.4, 0.0))
    points = np.array([[-3.0, 0.0]] * 5 + [[3.0, 0.0]] * 5)
    assert occupied_components(draws, points).tolist() == [2] * 20
    assert occupied_components(draws, points[:5]).tolist() == [1] * 20


def test_memberships_reject_points_of_the_wrong_dimension():
    with pytest.raises(ValueError, match=r"X must be an N×2 array"):
        membership_probabilities(_synthetic_draws(), np.zeros((3, 3)))
