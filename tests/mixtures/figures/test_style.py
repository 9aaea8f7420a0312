"""bayesforge.mixtures.figures.style: component colours (never grey, never repeated), weights as printed, point
certainty and alpha, the uncertainty colour scale; the negligible style in a drawn figure."""
import numpy as np
import pytest

from bayesforge.mixtures.figures import NEGLIGIBLE_WEIGHT, plot_mixture
from bayesforge.mixtures.figures.style import format_weight, memberships, uncertainty_norm
from bayesforge.mixtures.memberships import membership_probabilities
from figure_support import by_gid, is_grey, synthetic_data, synthetic_draws


@pytest.mark.parametrize("k", [1, 8, 9, 10, 18, 19, 30])
def test_component_palette_has_no_grey_and_no_repeats(k):
    from bayesforge.mixtures.figures.style import component_colours

    colours = component_colours(k)
    assert colours.shape == (k, 4)
    assert not any(is_grey(c) for c in colours)
    assert len({tuple(np.round(c, 3)) for c in colours}) == k


def test_an_ordinary_eighth_component_is_not_grey_and_only_negligible_ones_are_dashed():
    rng = np.random.default_rng(8)
    centres = rng.uniform(-20, 20, (9, 2))
    weights = np.r_[np.full(8, 0.124), 0.008]
    draws = synthetic_draws(centres, weights, num_draws=10)
    X = synthetic_data(centres[:8], per_component=5)
    figure = plot_mixture(X, draws, membership_probabilities(draws, X))
    main, = by_gid(figure.axes, "mixture")
    for k in range(9):
        ellipse, = by_gid(main.patches, f"ellipse-{k}-1sigma")
        label, = by_gid(main.texts, f"label-{k}")
        negligible = k == 8
        assert not is_grey(ellipse.get_edgecolor())
        assert (ellipse.get_linestyle() in ("--", "dashed")) == negligible
        assert (ellipse.get_alpha() <= 0.3) == negligible
        assert (label.get_bbox_patch().get_linestyle() in ("--", "dashed")) == negligible
    points, = by_gid(main.collections, "points")
    assert not any(is_grey(c) for c in points.get_facecolors())


def test_uncertainty_scale_of_all_certain_points_is_the_full_zero_to_one_range():
    norm = uncertainty_norm(np.array([0.0, 1e-9, 2e-4]))
    assert (norm.vmin, norm.vmax) == (0.0, 1.0)  # nothing to tell apart: no stretched noise
    norm = uncertainty_norm(np.array([0.2, 0.3, 0.6]))
    assert (norm.vmin, norm.vmax, norm(0.6)) == (0.2, 0.6, 1.0)


@pytest.mark.parametrize("weight, text", [(0.4975, "0.50"), (0.01, "0.01"), (0.0049, "0.005"), (0.0, "0.00"),
                                          (1.0, "1.00")])
def test_a_weight_reads_with_two_decimals_or_one_significant_digit(weight, text):
    assert format_weight(weight) == text


def test_memberships_certainty_uncertainty_and_point_alpha():
    probabilities = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.6, 0.4]])
    shared = memberships(np.array([[0.5, 0.49, 0.01], [0.5, 0.49, 0.01]]), probabilities, NEGLIGIBLE_WEIGHT)
    assert shared.num_components == 3 and shared.negligible.tolist() == [False, False, True]
    assert shared.labels.tolist() == [0, 0, 1] and shared.present() == [0, 1]
    np.testing.assert_allclose(shared.uncertainty[:2], [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(shared.point_alpha(), [1.0, 0.15, 0.15 + 0.85 * (0.6 - 1 / 3) / (2 / 3)])
    colours = shared.point_colours()
    np.testing.assert_array_equal(colours[2, :3], shared.colours[1, :3])
    np.testing.assert_allclose(colours[:, 3], shared.point_alpha())
    single = memberships(np.ones((2, 1)), np.ones((4, 1)), NEGLIGIBLE_WEIGHT)
    assert single.point_alpha().tolist() == [1.0] * 4 and single.uncertainty.tolist() == [0.0] * 4
