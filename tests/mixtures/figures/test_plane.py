"""bayesforge.mixtures.figures.plane: a mixture seen in a plane (two columns or two principal components), its
ellipses, its frame and the words for incomplete rows."""
import numpy as np
import pytest

from bayesforge.mixtures.draws import MixtureDraws
from bayesforge.mixtures.figures import covariance_ellipse
from bayesforge.mixtures.figures.plane import coordinate_view, frame, incomplete_label, pca_view

COVARIANCE = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.5], [0.0, 0.5, 3.0]])
DRAWS = MixtureDraws("obs", np.full((4, 2), 0.5), np.arange(24.0).reshape(4, 2, 3),
                     np.broadcast_to(COVARIANCE, (4, 2, 3, 3)).copy())
DATA = np.random.default_rng(0).normal(size=(10, 3))


@pytest.mark.parametrize("covariance, width, height, angle", [
    (np.diag([1.0, 9.0]), 6.0, 2.0, 90.0), (np.array([[2.0, 1.0], [1.0, 2.0]]), 2 * np.sqrt(3.0), 2.0, 45.0),
    (np.zeros((2, 2)), 0.0, 0.0, None),
])
def test_the_ellipse_has_the_covariances_axes_times_n_std(covariance, width, height, angle):
    ellipse = covariance_ellipse(np.array([1.0, -1.0]), covariance, 2.0, gid="e")
    assert tuple(ellipse.center) == (1.0, -1.0) and ellipse.get_gid() == "e"
    assert (ellipse.width, ellipse.height) == pytest.approx((2 * width, 2 * height))
    if angle is not None:
        assert ellipse.angle % 180 == pytest.approx(angle)


def test_a_pair_of_columns_is_the_mixtures_marginal_named_after_them():
    missing = np.zeros_like(DATA, dtype=bool)
    missing[3, 1] = True
    view = coordinate_view(DATA, DRAWS, (2, 0), ["a", "b", "c"], missing=missing)
    np.testing.assert_array_equal(view.points, DATA[:, [2, 0]])
    np.testing.assert_array_equal(view.mean_draws, DRAWS.means[..., [2, 0]])
    np.testing.assert_allclose(view.covariances[0], COVARIANCE[np.ix_([2, 0], [2, 0])], atol=1e-12)
    assert (view.xlabel, view.ylabel, view.description) == ("c", "a", " (marginal in c, a)")
    assert view.incomplete is None  # the missing cell is not in this plane
    assert coordinate_view(DATA, DRAWS, (1, 0), "abc", missing=missing).incomplete[3]


def test_the_pca_plane_projects_means_and_covariances_and_needs_two_rows():
    view = pca_view(DATA, DRAWS)
    assert view.points.shape == (10, 2) and view.mean_draws.shape == (4, 2, 2)
    assert view.xlabel.startswith("PC1 (explains ") and "PCA projection of 3 dimensions" in view.description
    with pytest.raises(ValueError, match="X needs at least 2 rows for a PCA projection of its 3 dimensions"):
        pca_view(DATA[:1], DRAWS)


def test_frame_adds_a_margin_even_when_every_value_is_the_same():
    assert frame(np.array([0.0, 10.0])) == pytest.approx((-0.8, 10.8))
    assert frame(np.array([3.0, 3.0])) == (2.5, 3.5)
    assert frame(np.array([100.0])) == (90.0, 110.0)


def test_the_incomplete_rows_are_counted_in_words():
    assert incomplete_label(1).startswith("hollow: 1 incomplete row (")
    assert incomplete_label(2).startswith("hollow: 2 incomplete rows (")
