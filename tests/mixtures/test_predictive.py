"""bayesforge.mixtures.predictive: log predictive densities of new points and new points drawn, from hand-made
mixture draws (no sampler), against SciPy."""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from bayesforge.mixtures.draws import MixtureDraws
from bayesforge.mixtures.predictive import log_densities, sample_points


def _draws(s=5, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[-3.0, 0.0], [3.0, 1.0]]) + rng.normal(0, 0.1, (s, 2, 2))
    a = rng.normal(0, 0.3, (s, 2, 2, 2))
    covariances = np.eye(2) + a @ np.swapaxes(a, -1, -2)
    weights = rng.dirichlet([30.0, 20.0], size=s)
    return MixtureDraws("obs", weights, means, covariances)


def _scipy(draws, points):
    per_draw = np.array([[logsumexp([np.log(draws.weights[s, k]) + multivariate_normal(draws.means[s, k],
                                                                                        draws.covariances[s, k]).logpdf(x)
                                     for k in range(draws.num_components)]) for x in points]
                         for s in range(len(draws.weights))])  # S × N
    return logsumexp(per_draw, axis=0) - np.log(len(per_draw)), per_draw.sum(axis=1)


def test_log_densities_are_the_log_mean_over_draws_of_the_mixture_density():
    draws = _draws()
    points = np.random.default_rng(1).normal(0, 3, (37, 2))
    density, per_draw = log_densities(draws, points, batch_size=8)  # 37 points: the last batch is padded
    expected_density, expected_per_draw = _scipy(draws, points)
    np.testing.assert_allclose(density, expected_density, rtol=1e-4)
    np.testing.assert_allclose(per_draw, expected_per_draw, rtol=1e-4)
    np.testing.assert_allclose(log_densities(draws, points)[0], density, rtol=1e-5)  # the batch size is invisible


def test_a_row_with_missing_cells_gets_the_density_of_its_observed_coordinates():
    draws = _draws()
    points = np.array([[0.5, np.nan], [1.0, 2.0]])
    density, _ = log_densities(draws, points)
    marginal = MixtureDraws("obs", draws.weights, draws.means[..., :1], draws.covariances[..., :1, :1])
    np.testing.assert_allclose(density[0], _scipy(marginal, points[:1, :1])[0][0], rtol=1e-4)
    np.testing.assert_allclose(density[1], _scipy(draws, points[1:])[0][0], rtol=1e-4)


def test_sample_points_are_reproducible_and_follow_the_mixture():
    draws = _draws(s=3)
    points, components = sample_points(draws, 4000, seed=5)
    again, same = sample_points(draws, 4000, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(points, again)
    np.testing.assert_array_equal(components, same)
    assert points.shape == (4000, 2) and components.dtype == np.int64 and set(components) == {0, 1}
    assert np.mean(components == 0) == pytest.approx(draws.weights[:, 0].mean(), abs=0.03)
    np.testing.assert_allclose(points[components == 1].mean(axis=0), draws.means[:, 1].mean(axis=0), atol=0.1)
    assert not np.array_equal(sample_points(draws, 10, seed=6)[0], points[:10])
