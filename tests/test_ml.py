import numpy as np
import pytest

DATA = np.r_[np.random.default_rng(0).normal(0, 0.1, (20, 2)), np.random.default_rng(1).normal(5, 0.1, (30, 2))]


def test_kmeans_results(m):
    results = m.ml.KMEANS(DATA, n_clusters=2.0)
    assert results is m.ml.results
    assert results["centroids"].shape == (2, 2) and results["labels"].shape == (50,)
    assert sorted(np.bincount(results["labels"])) == [20, 30]
    np.testing.assert_allclose(sorted(results["centroids"][:, 0]), [0, 5], atol=0.1)
    assert results["inertia"] > 0


def test_kmeans_is_reproducible_and_accepts_data_frames(m):
    import pandas as pd

    first = m.ml.KMEANS(pd.DataFrame(DATA, columns=["a", "b"]), n_clusters=3)["centroids"].copy()
    second = m.ml.KMEANS(DATA, n_clusters=3, random_state=0)["centroids"]
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("data, k, error, match", [
    (DATA, 2.5, ValueError, "n_clusters must be a whole number"),
    (DATA, 0, ValueError, "n_clusters must be at least 1"),
    (DATA, 51, ValueError, "n_clusters=51 is more than the 50 points"),
    (DATA[:, 0], 2, ValueError, r"data must be a 2-D array .* got shape \(50,\)"),
    (np.where(np.arange(100).reshape(50, 2) == 7, np.inf, DATA), 2, ValueError, "first at row 3, column 1"),
    ([["a", "b"]], 1, TypeError, "data must be a numeric N×D array"),
])
def test_kmeans_bad_input(m, data, k, error, match):
    with pytest.raises(error, match=match):
        m.ml.KMEANS(data, n_clusters=k)


def test_kmeans_function_stores_nothing(m):
    from bayesforge.ml import kmeans

    kept = m.ml.KMEANS(DATA, n_clusters=2)
    result = kmeans(DATA * 1e6, n_clusters=3)
    assert m.ml.results is kept and result["centroids"].shape == (3, 2)
    np.testing.assert_array_equal(kmeans(DATA, 2)["centroids"], kept["centroids"])
