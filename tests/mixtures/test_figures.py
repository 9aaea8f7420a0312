"""The mixture figures as a whole (bayesforge.mixtures.figures), checked through their artists on synthetic posterior
draws (no fitting): the figures every layout shares (module-scoped, drawn once). Tests of one figure module on its own
(k_selection, style, pair_grid, the argument checks of mixture_figure, ...): tests/mixtures/figures/."""
import re
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.stats
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from bayesforge.mixtures.memberships import membership_probabilities
from bayesforge.mixtures.figures import NEGLIGIBLE_WEIGHT, plot_gmm, plot_mixture
from figure_support import (assert_certainty_histogram, assert_no_text_overlaps, by_gid, correlated_four_dimensional,
                            rendered, synthetic_data, synthetic_draws)

# two visible components and, far away, a negligible one whose mean wanders from draw to draw
CENTRES = np.array([[-4.0, 0.0], [4.0, 0.0], [40.0, -40.0]])
WEIGHTS = np.array([0.4975, 0.4975, 0.005])
FAR = 2
MIDPOINT, AT_CENTRE = 0, 1  # rows of the data: halfway between components 0 and 1, and on component 0's mean


@pytest.fixture(scope="module")
def mixture():
    draws = synthetic_draws(CENTRES, WEIGHTS, wandering=[FAR])
    X = np.concatenate([[[0.0, 0.0], CENTRES[0]], synthetic_data(CENTRES[:2])])
    probabilities = membership_probabilities(draws, X)
    return X, draws, probabilities


@pytest.fixture(scope="module")
def figure(mixture):
    return plot_mixture(*mixture, feature_names=["eruptions", "waiting"])


@pytest.fixture(scope="module")
def main_axes(figure):
    return by_gid(figure.axes, "mixture")[0]


def test_returns_a_figure_whose_first_axes_is_the_mixture_panel(figure, main_axes):
    assert isinstance(figure, Figure)
    assert figure.axes[0] is main_axes


def test_two_ellipses_per_component_the_negligible_one_faint_and_dashed(mixture, main_axes):
    _, draws, _ = mixture
    ellipses = [p for p in main_axes.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 2 * draws.num_components
    for k in range(draws.num_components):
        pair = [p for p in ellipses if p.get_gid() in (f"ellipse-{k}-1sigma", f"ellipse-{k}-2sigma")]
        assert len(pair) == 2
        for ellipse in pair:
            if WEIGHTS[k] < NEGLIGIBLE_WEIGHT:
                assert ellipse.get_alpha() <= 0.3 and ellipse.get_linestyle() in ("--", "dashed")
            else:
                assert ellipse.get_alpha() > 0.3 and ellipse.get_linestyle() in ("-", "solid")


def test_ellipses_sit_on_the_posterior_mean_with_one_and_two_sigma(mixture, main_axes):
    _, draws, _ = mixture
    means = draws.means.mean(axis=0)
    for k in range(draws.num_components):
        one, = by_gid(main_axes.patches, f"ellipse-{k}-1sigma")
        two, = by_gid(main_axes.patches, f"ellipse-{k}-2sigma")
        np.testing.assert_allclose(one.center, means[k], atol=1e-5)
        np.testing.assert_allclose([one.width, one.height], [2.0, 2.0], rtol=1e-5)  # unit covariance
        np.testing.assert_allclose([two.width, two.height], [4.0, 4.0], rtol=1e-5)


def test_points_are_coloured_by_their_most_probable_component(mixture, main_axes):
    X, _, probabilities = mixture
    points, = by_gid(main_axes.collections, "points")
    assert isinstance(points, PathCollection) and len(points.get_offsets()) == len(X)
    # the first PathCollection is the data (what tests/e2e/test_seed_example.py reads)
    assert [c for c in main_axes.collections if isinstance(c, PathCollection)][0] is points
    rgb = points.get_facecolors()[:, :3]
    labels = probabilities.argmax(axis=1)
    for k in np.unique(labels):
        ellipse, = by_gid(main_axes.patches, f"ellipse-{k}-1sigma")
        np.testing.assert_allclose(rgb[labels == k], np.tile(ellipse.get_edgecolor()[:3], ((labels == k).sum(), 1)))
    assert len({tuple(c) for c in rgb}) == len(np.unique(labels)) == 2


def test_point_alpha_follows_membership_certainty(mixture, main_axes):
    _, _, probabilities = mixture
    points, = by_gid(main_axes.collections, "points")
    alpha = points.get_facecolors()[:, 3]
    assert probabilities[MIDPOINT].max() < 0.6 < 0.99 < probabilities[AT_CENTRE].max()
    assert alpha[MIDPOINT] < 0.4 < 0.95 < alpha[AT_CENTRE]  # K=3: an even split of two is 0.15 + 0.85 / 4
    assert np.all((alpha >= 0.15 - 1e-6) & (alpha <= 1.0 + 1e-6))
    order = np.argsort(probabilities.max(axis=1))
    assert np.all(np.diff(alpha[order]) >= -1e-6)  # more certain, more opaque


def test_one_cloud_of_mean_draws_per_component(mixture, main_axes):
    _, draws, _ = mixture
    for k in range(draws.num_components):
        cloud, = by_gid(main_axes.collections, f"mean-draws-{k}")
        assert cloud.get_label() == f"draws of mean {k}"
        np.testing.assert_allclose(cloud.get_offsets(), draws.means[:, k], atol=1e-5)
    far, near = by_gid(main_axes.collections, f"mean-draws-{FAR}")[0], by_gid(main_axes.collections, "mean-draws-0")[0]
    assert far.get_alpha() < near.get_alpha()


def test_components_are_labelled_with_their_weight(main_axes):
    texts = {t.get_gid(): t.get_text() for t in main_axes.texts}
    assert texts["label-0"] == "0: w=0.50" and texts["label-1"] == "1: w=0.50"
    assert re.fullmatch(rf"{FAR}: w=0\.00[1-9] \(mean off-axes\)", texts[f"label-{FAR}"])


def test_uncertainty_panel_colours_points_by_membership_entropy_with_a_colorbar(mixture, figure):
    X, _, probabilities = mixture
    panel, = by_gid(figure.axes, "membership-uncertainty")
    assert panel.get_title().startswith("membership uncertainty")
    scatter, = by_gid(panel.collections, "uncertainty")
    assert scatter.colorbar is not None and scatter.colorbar.ax in figure.axes
    values = np.asarray(scatter.get_array())
    assert values.shape == (len(X),)
    entropy = scipy.stats.entropy(probabilities, axis=1) / np.log(3)
    np.testing.assert_allclose(np.sort(values), np.sort(entropy), atol=1e-6)  # drawn most uncertain last
    np.testing.assert_allclose(values[-1], entropy.max(), atol=1e-6)
    assert entropy[MIDPOINT] > 0.5 and entropy[AT_CENTRE] < 0.05


def test_axes_frame_the_data_even_when_a_faint_component_is_far_away(mixture, figure, main_axes):
    X, draws, _ = mixture
    assert np.abs(draws.means[:, FAR]).min() > 20  # the far component is well outside the data
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (high - low)
    for axes in (main_axes, by_gid(figure.axes, "membership-uncertainty")[0]):
        (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
        assert low[0] - margin[0] <= x0 <= low[0] and high[0] <= x1 <= high[0] + margin[0]
        assert low[1] - margin[1] <= y0 <= low[1] and high[1] <= y1 <= high[1] + margin[1]


def test_title_is_the_given_one_or_says_what_is_drawn(mixture, figure):
    X, draws, probabilities = mixture
    assert figure.get_suptitle() == f"Gaussian mixture: K=3, N={len(X)}, D=2"
    assert plot_mixture(X, draws, probabilities, title="my mixture").get_suptitle() == "my mixture"


# -- more dimensions ----------------------------------------------------------------------------------------
FOUR_NAMES = ["alcohol", "flavanoids", "color_intensity", "proline"]


@pytest.fixture(scope="module")
def grid_figure():
    return plot_mixture(*correlated_four_dimensional(), feature_names=FOUR_NAMES)


@pytest.fixture(scope="module")
def pca_case():
    """8 dimensions, two overlapping components: some points are uncertain."""
    rng = np.random.default_rng(3)
    centres = rng.normal(0.0, 0.4, (2, 8))
    draws = synthetic_draws(centres, np.array([0.6, 0.4]))
    X = synthetic_data(centres, per_component=20)
    probabilities = membership_probabilities(draws, X)
    return X, draws, probabilities, plot_mixture(X, draws, probabilities)


@pytest.fixture(scope="module")
def line_case():
    centres = np.array([[-3.0], [3.0]])
    draws = synthetic_draws(centres, np.array([0.3, 0.7]))
    X = synthetic_data(centres, per_component=25)
    probabilities = membership_probabilities(draws, X)
    return X, draws, probabilities, plot_mixture(X, draws, probabilities, feature_names=("eruptions",))


def test_four_dimensions_give_a_pair_grid_with_marginal_ellipses(grid_figure):
    X, draws, probabilities = correlated_four_dimensional()
    figure = grid_figure
    panels = [a for a in figure.axes if (a.get_gid() or "").startswith("pair-")]
    histograms = [a for a in figure.axes if (a.get_gid() or "").startswith("histogram-")]
    assert len(panels) == 4 * 3 // 2 and len(histograms) == 4
    assert len(by_gid(figure.axes, "key")) == len(by_gid(figure.axes, "membership-certainty")) == 1
    assert len(figure.axes) == 12
    for panel in panels:
        assert len([p for p in panel.patches if isinstance(p, Ellipse)]) == 2 * draws.num_components
        assert len(by_gid(panel.collections, "points")[0].get_offsets()) == len(X)
    for histogram in histograms:
        assert len(histogram.patches) > 0
    # the (0, 1) panel shows the marginal covariance [[1, .6], [.6, 1]]: a tilted ellipse
    panel, = by_gid(figure.axes, "pair-0-1")
    ellipse, = by_gid(panel.patches, "ellipse-0-1sigma")
    np.testing.assert_allclose(ellipse.center, draws.means[:, 0, [0, 1]].mean(axis=0), atol=1e-5)
    np.testing.assert_allclose([ellipse.width, ellipse.height], 2 * np.sqrt([1.6, 0.4]), rtol=1e-4)
    assert ellipse.angle % 180 == pytest.approx(45.0, abs=1e-3)


def test_more_than_six_dimensions_give_a_pca_projection(pca_case):
    from sklearn.decomposition import PCA

    X, draws, _, figure = pca_case
    main, = by_gid(figure.axes, "mixture")
    assert "PCA projection" in figure.get_suptitle() and "PCA projection" in main.get_title()
    pca = PCA(n_components=2).fit(X)
    share = np.round(100 * pca.explained_variance_ratio_).astype(int)
    assert main.get_xlabel() == f"PC1 (explains {share[0]} %)" and main.get_ylabel() == f"PC2 (explains {share[1]} %)"
    np.testing.assert_allclose(np.abs(by_gid(main.collections, "points")[0].get_offsets()),
                               np.abs(pca.transform(X)), rtol=1e-6, atol=1e-6)
    ellipse, = by_gid(main.patches, "ellipse-0-1sigma")
    np.testing.assert_allclose(np.abs(ellipse.center), np.abs(pca.transform(draws.means.mean(axis=0)[:1])[0]),
                               atol=1e-4)
    np.testing.assert_allclose([ellipse.width, ellipse.height], [2.0, 2.0], rtol=1e-4)  # W I Wᵀ = I


def integral(y, x):
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def test_one_dimensional_mixture_is_drawn(line_case):
    X, _, _, figure = line_case
    main, = by_gid(figure.axes, "mixture")
    assert len(by_gid(main.collections, "points")[0].get_offsets()) == len(X)
    curves = {line.get_gid(): line for line in main.lines}
    assert {"density-0", "density-1", "density-mixture"} <= set(curves)
    x, total = curves["density-mixture"].get_data()
    assert integral(total, x) == pytest.approx(1.0, abs=0.02)
    assert integral(curves["density-0"].get_ydata(), x) == pytest.approx(0.3, abs=0.02)
    assert len(main.patches) > 0  # the histogram
    assert by_gid(by_gid(figure.axes, "membership-uncertainty")[0].collections, "uncertainty")


# -- plot_gmm: a fitted model, read through posterior.draws -------------------------------------------------
def gmm_posterior(X):
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    def model(X):
        w = numpyro.sample("w", dist.Dirichlet(jnp.ones(2)))
        mu = numpyro.sample("mu", dist.Normal(0.0, 5.0).expand([2, 2]).to_event(2))
        components = dist.MultivariateNormal(mu, jnp.eye(2))
        numpyro.sample("obs", dist.MixtureSameFamily(dist.Categorical(w), components), obs=X)

    rng = np.random.default_rng(4)
    draws = {"w": np.tile([0.5, 0.5], (20, 1)), "mu": CENTRES[:2] + 0.05 * rng.standard_normal((20, 2, 2))}
    return SimpleNamespace(model=model, model_kwargs={"X": X}, draws=draws)  # no .mcmc: draws are what is read


def test_plot_gmm_draws_a_fitted_mixture_from_its_draws(tmp_path):
    X = synthetic_data(CENTRES[:2], per_component=15)
    posterior = gmm_posterior(X)
    figure = plot_gmm(X, posterior, path=tmp_path / "gmm.png", max_draws=10)
    main = figure.axes[0]
    assert len([p for p in main.patches if isinstance(p, Ellipse)]) == 4
    assert len(by_gid(main.collections, "mean-draws-0")[0].get_offsets()) == 10
    assert (tmp_path / "gmm.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="X has 3 columns but the mixture has 2"):
        plot_gmm(np.c_[X, X[:, 0]], posterior)
    bad = X.copy()
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="X has 1 infinite value"):  # NaN is a missing value (drawn hollow)
        plot_gmm(bad, posterior)


# -- honest figures: nothing overlaps, every mark visible and explained -------------------------------------
def crowded_mixture():
    """Five components, three of them nearly on top of each other: naive labels would print over each other."""
    centres = np.array([[0.0, 0.0], [0.4, 0.2], [0.2, -0.3], [6.0, 5.0], [-6.0, 4.0]])
    draws = synthetic_draws(centres, np.full(5, 0.2), covariance=0.3 * np.eye(2), jitter=0.1)
    X = synthetic_data(centres, per_component=40)
    return X, draws, membership_probabilities(draws, X)


@pytest.fixture(scope="module")
def crowded():
    X, draws, probabilities = crowded_mixture()
    return X, draws, plot_mixture(X, draws, probabilities)


@pytest.mark.parametrize("case", ["fixture", "crowded"])
def test_labels_overlap_no_text_and_no_mean_marker(figure, crowded, case):
    figure = figure if case == "fixture" else crowded[-1]
    renderer, boxes = assert_no_text_overlaps(figure)
    main, = by_gid(figure.axes, "mixture")
    frame = main.get_window_extent(renderer)
    labels = [(t, box) for t, box in boxes if (t.get_gid() or "").startswith("label-")]
    assert len(labels) == len([line for line in main.lines if line.get_gid().startswith("mean-")]) in (3, 5)
    for text, box in labels:
        assert text.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0)  # a white box behind the text
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def test_labels_cover_few_points(crowded):
    X, _, figure = crowded
    renderer = rendered(figure)
    main, = by_gid(figure.axes, "mixture")
    points = main.transData.transform(X)
    covered = 0
    for text in main.texts:
        if (text.get_gid() or "").startswith("label-"):
            box = text.get_bbox_patch().get_window_extent(renderer)
            covered += int(((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
                            & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)).sum())
    assert covered <= 0.05 * len(X)


@pytest.mark.parametrize("layout", ["line", "grid", "pca"])
def test_no_text_overlaps_in_other_layouts(line_case, grid_figure, pca_case, layout):
    assert_no_text_overlaps({"line": line_case[-1], "grid": grid_figure, "pca": pca_case[-1]}[layout])


def test_pair_grid_key_sits_in_its_own_axes_and_covers_no_panel(grid_figure):
    figure = grid_figure
    renderer = rendered(figure)
    key, = by_gid(figure.axes, "key")
    legend = key.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["component 0: weight 0.50", "component 1: weight 0.50"]
    assert any("posterior draws of the mean" in t for t in texts) and any("ring: posterior mean" in t for t in texts)
    extent = legend.get_window_extent(renderer)
    for axes in figure.axes:
        if axes is not key:
            assert not extent.overlaps(axes.get_window_extent(renderer)), axes.get_gid()
    assert [t.get_text() for t in figure.texts] == [figure.get_suptitle()]  # no free-floating caption


def test_mean_draws_are_drawn_above_a_hollow_mean_marker(mixture, main_axes):
    points, = by_gid(main_axes.collections, "points")
    for k in range(3):
        marker, = by_gid(main_axes.lines, f"mean-{k}")
        cloud, = by_gid(main_axes.collections, f"mean-draws-{k}")
        assert marker.get_markerfacecolor() == "none" and marker.get_marker() == "o"
        assert cloud.get_zorder() > marker.get_zorder() > points.get_zorder()
        ellipse, = by_gid(main_axes.patches, f"ellipse-{k}-1sigma")
        assert cloud.get_zorder() > ellipse.get_zorder()
        # darker than the component's colour, so the cloud shows over points of that colour
        assert cloud.get_facecolors()[0][:3].sum() < 0.6 * np.asarray(ellipse.get_edgecolor()[:3]).sum()
    title = main_axes.get_title()
    assert "ring: posterior mean" in title and "posterior draws of the mean" in title


def test_uncertainty_colours_span_the_observed_range_with_a_colourbar(mixture, figure):
    _, _, probabilities = mixture
    scatter, = by_gid(by_gid(figure.axes, "membership-uncertainty")[0].collections, "uncertainty")
    values = np.asarray(scatter.get_array())
    norm = scatter.norm
    assert norm.vmin == pytest.approx(values.min()) and norm.vmax == pytest.approx(values.max())
    assert norm(values.min()) == pytest.approx(0.0) and norm(values.max()) == pytest.approx(1.0)
    # most points are almost certain: the scale stretches them apart instead of painting them one colour
    typical = np.median(values)
    assert norm(typical) > 2 * (typical - values.min()) / (values.max() - values.min())
    assert scatter.colorbar is not None


def test_one_dimension_uncertainty_strip_uses_the_observed_range(line_case):
    figure = line_case[-1]
    strip, = by_gid(figure.axes, "membership-uncertainty")
    scatter, = by_gid(strip.collections, "uncertainty")
    values = np.asarray(scatter.get_array())
    assert scatter.norm.vmin == pytest.approx(values.min()) and scatter.norm.vmax == pytest.approx(values.max())
    assert scatter.colorbar is not None
    main, = by_gid(figure.axes, "mixture")
    renderer = rendered(figure)
    main_box, strip_box = main.get_window_extent(renderer), strip.get_window_extent(renderer)
    assert (main_box.x0, main_box.x1) == pytest.approx((strip_box.x0, strip_box.x1))  # shared x stays aligned


def test_a_pca_projection_has_an_uncertainty_panel_and_a_certainty_histogram(pca_case):
    X, _, probabilities, figure = pca_case
    assert 0 < assert_certainty_histogram(figure, probabilities) < len(X)
    scatter, = by_gid(by_gid(figure.axes, "membership-uncertainty")[0].collections, "uncertainty")
    assert scatter.colorbar is not None


# -- axes named after the columns --------------------------------------------------------------------------
def test_feature_names_name_the_axes_in_every_layout(figure, grid_figure, line_case):
    for axes in by_gid(figure.axes, "mixture") + by_gid(figure.axes, "membership-uncertainty"):
        assert (axes.get_xlabel(), axes.get_ylabel()) == ("eruptions", "waiting")  # default names: see dims

    X, draws, probabilities = correlated_four_dimensional()
    names, grid = FOUR_NAMES, grid_figure
    assert [by_gid(grid.axes, f"pair-0-{row}")[0].get_ylabel() for row in (1, 2, 3)] == names[1:]
    assert [a.get_xlabel() for a in grid.axes if a.get_xlabel() and "certainty" not in a.get_xlabel()] == names
    marginal = plot_mixture(X, draws, probabilities, dims=(3, 1), feature_names=names)
    main, = by_gid(marginal.axes, "mixture")
    assert (main.get_xlabel(), main.get_ylabel()) == ("proline", "flavanoids")
    assert "marginal in proline, flavanoids" in main.get_title()

    strip, = by_gid(line_case[-1].axes, "membership-uncertainty")
    assert strip.get_xlabel() == "eruptions"


