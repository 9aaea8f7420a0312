"""bayesforge.mixtures.figures.mixture_figure: the public mixture figure's arguments, checked once (X, probabilities,
dims, feature names, the negligible threshold, the path), and the choice of one 2-D view."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from bayesforge.mixtures.figures import plot_mixture
from bayesforge.mixtures.figures.mixture_figure import default_feature_names
from bayesforge.mixtures.memberships import membership_probabilities
from figure_support import (assert_certainty_histogram, by_gid, correlated_four_dimensional, synthetic_data,
                            synthetic_draws)

CENTRES = np.array([[-4.0, 0.0], [4.0, 0.0], [40.0, -40.0]])
WEIGHTS = np.array([0.4975, 0.4975, 0.005])


@pytest.fixture(scope="module")
def mixture():
    """Synthetic draws (no fit), data around two of the three components, their memberships."""
    draws = synthetic_draws(CENTRES, WEIGHTS, wandering=[2], num_draws=10)
    X = np.concatenate([[[0.0, 0.0], CENTRES[0]], synthetic_data(CENTRES[:2], per_component=10)])
    return X, draws, membership_probabilities(draws, X)


def test_default_feature_names_count_from_1():
    assert default_feature_names(1) == ("x1",) and default_feature_names(3) == ("x1", "x2", "x3")


def test_dims_selects_one_two_dimensional_view():
    X, draws, probabilities = correlated_four_dimensional()
    figure = plot_mixture(X, draws, probabilities, dims=(3, 0))
    main, = by_gid(figure.axes, "mixture")
    assert by_gid(figure.axes, "membership-uncertainty")
    assert_certainty_histogram(figure, probabilities)  # memberships are over all 4 dimensions
    assert main.get_xlabel() == "x4" and main.get_ylabel() == "x1"  # default names: x1, x2, ...
    np.testing.assert_allclose(by_gid(main.collections, "points")[0].get_offsets(), X[:, [3, 0]])
    ellipse, = by_gid(main.patches, "ellipse-1-1sigma")
    np.testing.assert_allclose(ellipse.center, draws.means[:, 1, [3, 0]].mean(axis=0), atol=1e-5)


def test_x_must_have_the_mixtures_dimension(mixture):
    X, draws, probabilities = mixture
    with pytest.raises(ValueError, match="X has 3 columns but the mixture has 2 dimensions"):
        plot_mixture(np.c_[X, X[:, 0]], draws, probabilities)
    with pytest.raises(ValueError, match="X has 1 infinite value"):  # NaN is a missing value (drawn hollow)
        plot_mixture(np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X), draws, probabilities)


@pytest.mark.parametrize("shape_change", ["rows", "components"])
def test_probabilities_must_be_n_by_k(mixture, shape_change):
    X, draws, probabilities = mixture
    bad = probabilities[1:] if shape_change == "rows" else probabilities[:, :2]
    with pytest.raises(ValueError, match=r"probabilities must be an N×K array with N=\d+ .* K=3"):
        plot_mixture(X, draws, bad)


@pytest.mark.parametrize("dims", [(0, 0), (0, 2), (-1, 1), (1,), "ab", (0.5, 1)])
def test_bad_dims(mixture, dims):
    with pytest.raises(ValueError, match="dims"):
        plot_mixture(*mixture, dims=dims)


def test_dims_on_a_one_dimensional_mixture():
    centres = np.array([[-3.0], [3.0]])
    draws = synthetic_draws(centres, np.array([0.5, 0.5]))
    X = synthetic_data(centres, per_component=5)
    with pytest.raises(ValueError, match="dims selects a 2-D view"):
        plot_mixture(X, draws, membership_probabilities(draws, X), dims=(0, 1))


@pytest.mark.parametrize("names, error, message", [
    (["a"], ValueError, r"feature_names must name the 2 columns of X, got 1"),
    (["a", "b", "c"], ValueError, r"feature_names must name the 2 columns of X, got 3"),
    ("ab", TypeError, r"feature_names must be a sequence of 2 column names, got str"),
    ([1, 2], TypeError, r"feature_names must be strings"),
])
def test_bad_feature_names(mixture, names, error, message):
    with pytest.raises(error, match=message):
        plot_mixture(*mixture, feature_names=names)


def test_negligible_weight_threshold_is_an_option(mixture):
    figure = plot_mixture(*mixture, negligible_weight=0.6)  # every component is now "negligible"
    ellipse, = by_gid(by_gid(figure.axes, "mixture")[0].patches, "ellipse-0-1sigma")
    assert ellipse.get_alpha() <= 0.3 and ellipse.get_linestyle() in ("--", "dashed")


def test_path_writes_a_png(mixture, tmp_path):
    path = tmp_path / "mixture.png"
    figure = plot_mixture(*mixture, path=path)
    assert isinstance(figure, Figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
