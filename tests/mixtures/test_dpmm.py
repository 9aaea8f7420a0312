"""bayesforge.mixtures.dpmm: the truncated stick-breaking DPMM: its weights, parameter count and start values on
hand-made data, and one real fit that finds the number of clusters."""
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from bayesforge.mixtures.dpmm import DPMM, initial_values, num_parameters, stick_breaking_weights


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.01, 0.99), min_size=1, max_size=6))
def test_stick_breaking_weights_are_positive_and_sum_to_one(sticks):
    weights = np.asarray(stick_breaking_weights(np.asarray(sticks, np.float32)))
    assert weights.shape == (len(sticks) + 1,) and np.all(weights > 0)
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(weights[0], sticks[0], rtol=1e-6)


def test_stick_breaking_weights_broadcast_over_draws():
    weights = stick_breaking_weights(jnp.array([[0.5, 0.5], [1.0, 0.3]]))
    np.testing.assert_allclose(np.asarray(weights), [[0.5, 0.25, 0.25], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("T, D, expected", [(2, 1, 1 + 1 + 2 + 2), (20, 2, 120), (5, 3, 4 + 1 + 15 + 30)])
def test_num_parameters_counts_sticks_alpha_means_and_covariances(T, D, expected):
    assert num_parameters(T, D) == expected == DPMM(T).num_parameters(D)


def test_start_values_put_the_found_clusters_first_and_the_spare_components_at_the_data():
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal([-10.0, 0.0], 1.0, (120, 2)), rng.normal([10.0, 5.0], 1.0, (60, 2))])
    values = initial_values(data, T=6)
    assert values["v"].shape == (5,) and values["mu"].shape == (6, 2) and values["Lcorr"].shape == (6, 2, 2)
    np.testing.assert_allclose(values["mu"][:2], [[-10.0, 0.0], [10.0, 5.0]], atol=0.4)  # heaviest first
    np.testing.assert_allclose(values["mu"][2:], np.broadcast_to(data.mean(axis=0), (4, 2)))
    weights = np.asarray(stick_breaking_weights(values["v"]))
    np.testing.assert_allclose(weights[:2], [2 / 3 * 0.999, 1 / 3 * 0.999], atol=0.01)
    assert np.all((values["v"] > 0) & (values["v"] < 1)) and float(values["alpha"]) == 1.0
    assert "Lcorr" not in initial_values(data[:, :1], T=3)


def test_the_model_object_is_named_and_rebuilt_from_its_arguments():
    model = DPMM(7)
    assert model.num_components == 7 and DPMM.from_arguments({"T": 7}) == model


def test_dpmm_finds_the_number_of_clusters(m):
    # three well-separated blobs, truncated at T = 6: three empty components to show. (The 8 seed-data blobs need
    # N = 500, T = 12 and 2 x 200 + 200 draws, three times the sampling; at 150 + 150 draws and T = 10 their r-hat
    # reached 1.6 at seeds 0 and 2; here it was 1.02-1.04 at seeds 0, 1, 2)
    # (r/tests/testthat/test-mixture-models.R fits the same data with the same settings: one compilation for both)
    data, labels = make_blobs(n_samples=200, centers=[[-6, 0], [0, 6], [6, 0]], cluster_std=1.0, random_state=3)
    fit = m.dpmm(data, T=6, num_warmup=150, num_samples=150, num_chains=2)
    assert fit.kind == "dpmm" and fit.K == 6
    # 2 chains × 150 draws: r̂ of the used components and α varies from machine to machine
    assert fit.diagnostics["max_r_hat"] <= 1.2
    assert adjusted_rand_score(labels, fit.predict()) >= 0.9
    counts = np.bincount(fit.occupied_clusters(), minlength=7)
    assert counts.argmax() == 3, counts
    assert "alpha" in fit.summary().index
    assert fit.num_parameters == 5 + 1 + 6 * 2 + 6 * 3  # sticks, α, means, covariances: not a 6-component GMM's
    weights = fit.weights
    assert np.all(np.diff(np.sort(weights)[::-1][:3]) <= 0) and weights[np.argsort(weights)[:3]].sum() < 0.02
