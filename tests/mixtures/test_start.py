"""bayesforge.mixtures.start: the k-means start values and the fit step that uses them (the start found by structure
in any mixture model: tests/test_likelihood.py)."""
import numpy as np
import numpyro
import numpyro.distributions as npd
from numpyro.infer import init_to_median, init_to_value

from bayesforge.mixtures.start import KMeansStart, init_to_kmeans, is_kmeans_start, kmeans_initial_values

X = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0], [10.0, 4.0]])


def test_values_come_from_the_points_nearest_each_centroid():
    values = kmeans_initial_values(X, [[0.0, 1.0], [10.0, 2.0]])
    np.testing.assert_allclose(values["weights"], [2.5 / 6, 3.5 / 6])  # counts + 1/2, normalised
    np.testing.assert_array_equal(values["loc"], [[0.0, 1.0], [10.0, 2.0]])
    spread = X.std(axis=0)
    np.testing.assert_allclose(values["scale"], [[0.01 * spread[0], 1.0], [0.01 * spread[0], np.std([0, 2, 4.0])]])
    np.testing.assert_array_equal(values["corr"], np.broadcast_to(np.eye(2), (2, 2, 2)))


def test_nearness_is_in_units_of_each_columns_sd():
    data = np.array([[0.0, 0.0], [0.0, 1000.0], [1.0, 0.0], [1.0, 1000.0]])
    # in raw units every point is nearest the centroid with its second coordinate; in sd units, its first
    values = kmeans_initial_values(data, [[0.0, 500.0], [1.0, 500.0]])
    np.testing.assert_allclose(values["weights"], [0.5, 0.5])
    np.testing.assert_allclose(values["scale"][:, 1], [500.0, 500.0])


def test_an_empty_component_starts_at_a_tenth_of_the_spread_with_a_small_weight():
    values = kmeans_initial_values(X, [[0.0, 1.0], [10.0, 2.0], [100.0, 100.0]])
    assert values["weights"][2] == 0.5 / 6.5
    np.testing.assert_allclose(values["scale"][2], 0.1 * X.std(axis=0))


def test_missing_cells_are_left_out():
    holes = X.copy()
    holes[4, 1] = np.nan
    values = kmeans_initial_values(holes, [[0.0, 1.0], [10.0, 2.0]])
    np.testing.assert_allclose(values["weights"], [2.5 / 6, 3.5 / 6])
    np.testing.assert_allclose(values["scale"][1, 1], 1.0)  # the sd of 0 and 2


def test_the_fit_step_recognises_only_its_own_start_and_leaves_other_models_alone():
    step = KMeansStart()
    strategy = init_to_kmeans({"mu": np.zeros(2)})
    assert is_kmeans_start(strategy) and step.describe(strategy) == "k-means"
    assert not is_kmeans_start(init_to_value(values={"mu": 0.0})) and step.describe(init_to_median) is None

    def not_a_mixture(y):
        mu = numpyro.sample("mu", npd.Normal(0.0, 1.0))
        numpyro.sample("y", npd.Normal(mu, 1.0), obs=y)

    assert step.start(not_a_mixture, {"y": np.zeros(3)}, seed=0) == (None, None)
