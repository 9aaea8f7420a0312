"""The GMM figures of bayesforge.plot, checked through their artists, on synthetic posterior draws (no fitting)."""
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from bayesforge.mixture import MixtureDraws, membership_probabilities
from bayesforge.plot import NEGLIGIBLE_WEIGHT, plot_gmm, plot_k_selection, plot_mixture

NUM_DRAWS = 50
# two visible components and, far away, a negligible one whose mean wanders from draw to draw
CENTRES = np.array([[-4.0, 0.0], [4.0, 0.0], [40.0, -40.0]])
WEIGHTS = np.array([0.4975, 0.4975, 0.005])
FAR = 2
MIDPOINT, AT_CENTRE = 0, 1  # rows of the data: halfway between components 0 and 1, and on component 0's mean


def synthetic_draws(centres, weights, covariance=None, num_draws=NUM_DRAWS, jitter=0.05, wandering=(), seed=0):
    """MixtureDraws around ``centres``/``weights``; components in ``wandering`` have widely scattered means."""
    rng = np.random.default_rng(seed)
    k, d = centres.shape
    scale = np.full((k, 1), jitter)
    scale[list(wandering)] = 5.0
    means = centres + scale * rng.standard_normal((num_draws, k, d))
    w = np.abs(weights * (1 + 0.01 * rng.standard_normal((num_draws, k))))
    w /= w.sum(axis=1, keepdims=True)
    covariance = np.eye(d) if covariance is None else covariance
    covariances = np.broadcast_to(covariance, (num_draws, k, d, d))
    return MixtureDraws("obs", w.astype(np.float32), means.astype(np.float32), covariances.astype(np.float32))


def synthetic_data(centres, per_component=30, seed=1):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(c, 1.0, (per_component, len(c))) for c in centres])


def by_gid(artists, gid):
    return [a for a in artists if a.get_gid() == gid]


@pytest.fixture(scope="module")
def mixture():
    draws = synthetic_draws(CENTRES, WEIGHTS, wandering=[FAR])
    X = np.concatenate([[[0.0, 0.0], CENTRES[0]], synthetic_data(CENTRES[:2])])
    probabilities = membership_probabilities(draws, X)
    return X, draws, probabilities


@pytest.fixture(scope="module")
def figure(mixture):
    return plot_mixture(*mixture)


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
    # the first PathCollection is the data (what tests/test_gmm_seed.py reads)
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
    assert panel.get_title() == "membership uncertainty"
    scatter, = by_gid(panel.collections, "uncertainty")
    assert scatter.colorbar is not None and scatter.colorbar.ax in figure.axes
    values = np.asarray(scatter.get_array())
    assert values.shape == (len(X),)
    assert values[MIDPOINT] > 0.5 and values[AT_CENTRE] < 0.05
    assert np.argmax(values) == np.argmin(probabilities.max(axis=1))


def test_axes_frame_the_data_even_when_a_faint_component_is_far_away(mixture, figure, main_axes):
    X, draws, _ = mixture
    assert np.abs(draws.means[:, FAR]).min() > 20  # the far component is well outside the data
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (high - low)
    for axes in (main_axes, by_gid(figure.axes, "membership-uncertainty")[0]):
        (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
        assert low[0] - margin[0] <= x0 <= low[0] and high[0] <= x1 <= high[0] + margin[0]
        assert low[1] - margin[1] <= y0 <= low[1] and high[1] <= y1 <= high[1] + margin[1]


def test_title_is_the_given_one_or_says_what_is_drawn(mixture):
    X, draws, probabilities = mixture
    assert plot_mixture(X, draws, probabilities, title="my mixture").get_suptitle() == "my mixture"
    assert plot_mixture(X, draws, probabilities).get_suptitle() == f"Gaussian mixture: K=3, N={len(X)}, D=2"


def test_negligible_weight_threshold_is_an_option(mixture):
    figure = plot_mixture(*mixture, negligible_weight=0.6)  # every component is now "negligible"
    ellipse, = by_gid(by_gid(figure.axes, "mixture")[0].patches, "ellipse-0-1sigma")
    assert ellipse.get_alpha() <= 0.3 and ellipse.get_linestyle() in ("--", "dashed")


def test_path_writes_a_png(mixture, tmp_path):
    path = tmp_path / "mixture.png"
    figure = plot_mixture(*mixture, path=path)
    assert isinstance(figure, Figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- more dimensions ----------------------------------------------------------------------------------------
def correlated_four_dimensional():
    centres = np.array([[-4.0, 0.0, 2.0, 0.0], [4.0, 1.0, -2.0, 3.0]])
    covariance = np.eye(4)
    covariance[0, 1] = covariance[1, 0] = 0.6
    draws = synthetic_draws(centres, np.array([0.5, 0.5]), covariance=covariance)
    X = synthetic_data(centres, per_component=20)
    return X, draws, membership_probabilities(draws, X)


def test_four_dimensions_give_a_pair_grid_with_marginal_ellipses():
    X, draws, probabilities = correlated_four_dimensional()
    figure = plot_mixture(X, draws, probabilities)
    panels = [a for a in figure.axes if (a.get_gid() or "").startswith("pair-")]
    histograms = [a for a in figure.axes if (a.get_gid() or "").startswith("histogram-")]
    assert len(panels) == 4 * 3 // 2 and len(histograms) == 4 and len(figure.axes) == 10
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


def test_dims_selects_one_two_dimensional_view():
    X, draws, probabilities = correlated_four_dimensional()
    figure = plot_mixture(X, draws, probabilities, dims=(3, 0))
    main, = by_gid(figure.axes, "mixture")
    assert by_gid(figure.axes, "membership-uncertainty")
    assert main.get_xlabel() == "dimension 3" and main.get_ylabel() == "dimension 0"
    np.testing.assert_allclose(by_gid(main.collections, "points")[0].get_offsets(), X[:, [3, 0]])
    ellipse, = by_gid(main.patches, "ellipse-1-1sigma")
    np.testing.assert_allclose(ellipse.center, draws.means[:, 1, [3, 0]].mean(axis=0), atol=1e-5)


def test_more_than_six_dimensions_give_a_pca_projection():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    centres = rng.normal(0.0, 5.0, (2, 8))
    draws = synthetic_draws(centres, np.array([0.6, 0.4]))
    X = synthetic_data(centres, per_component=20)
    figure = plot_mixture(X, draws, membership_probabilities(draws, X))
    main, = by_gid(figure.axes, "mixture")
    assert "PCA projection" in figure.get_suptitle() and "PCA projection" in main.get_title()
    assert main.get_xlabel().startswith("PC1 (") and main.get_xlabel().endswith("% var)")
    assert main.get_ylabel().startswith("PC2 (")
    pca = PCA(n_components=2).fit(X)
    np.testing.assert_allclose(np.abs(by_gid(main.collections, "points")[0].get_offsets()),
                               np.abs(pca.transform(X)), rtol=1e-6, atol=1e-6)
    ellipse, = by_gid(main.patches, "ellipse-0-1sigma")
    np.testing.assert_allclose(np.abs(ellipse.center), np.abs(pca.transform(draws.means.mean(axis=0)[:1])[0]),
                               atol=1e-4)
    np.testing.assert_allclose([ellipse.width, ellipse.height], [2.0, 2.0], rtol=1e-4)  # W I Wᵀ = I


def integral(y, x):
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def test_one_dimensional_mixture_is_drawn():
    centres = np.array([[-3.0], [3.0]])
    draws = synthetic_draws(centres, np.array([0.3, 0.7]))
    X = synthetic_data(centres, per_component=25)
    figure = plot_mixture(X, draws, membership_probabilities(draws, X))
    main, = by_gid(figure.axes, "mixture")
    assert len(by_gid(main.collections, "points")[0].get_offsets()) == len(X)
    curves = {line.get_gid(): line for line in main.lines}
    assert {"density-0", "density-1", "density-mixture"} <= set(curves)
    x, total = curves["density-mixture"].get_data()
    assert integral(total, x) == pytest.approx(1.0, abs=0.02)
    assert integral(curves["density-0"].get_ydata(), x) == pytest.approx(0.3, abs=0.02)
    assert len(main.patches) > 0  # the histogram
    assert by_gid(by_gid(figure.axes, "membership-uncertainty")[0].collections, "uncertainty")


# -- errors ------------------------------------------------------------------------------------------------
def test_x_must_have_the_mixtures_dimension(mixture):
    X, draws, probabilities = mixture
    with pytest.raises(ValueError, match="X has 3 columns but the mixture has 2 dimensions"):
        plot_mixture(np.c_[X, X[:, 0]], draws, probabilities)
    with pytest.raises(ValueError, match="X has 1 NaN/inf"):
        plot_mixture(np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), draws, probabilities)


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
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="X has 1 NaN/inf"):
        plot_gmm(bad, posterior)


# -- plot_k_selection ----------------------------------------------------------------------------------------
def k_table():
    return pd.DataFrame({"elpd_loo": [-900.0, -850.0, -849.0, -851.0], "se_loo": [20.0, 18.0, 18.0, 18.5],
                         "elpd_waic": [-899.0, -849.5, -848.0, -850.0], "se_waic": [20.0, 18.0, 18.0, 18.5],
                         "bic": [1810.0, 1725.0, 1740.0, 1760.0]}, index=pd.Index([4, 1, 2, 3], name="K"))


def test_k_selection_draws_elpd_and_bic_with_the_selected_k_marked(tmp_path):
    path = tmp_path / "k.png"
    figure = plot_k_selection(k_table(), selected_k=2, path=path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    elpd_axes, bic_axes = figure.axes
    assert "higher is better" in elpd_axes.get_ylabel() and "lower is better" in bic_axes.get_ylabel()
    for axes in (elpd_axes, bic_axes):
        line, = by_gid(axes.lines, "selected-k")
        assert set(line.get_xdata()) == {2}
        assert list(axes.get_xticks()) == [1, 2, 3, 4]
        assert [t.get_text() for t in axes.get_xticklabels()] == ["1", "2", "3", "4"]
    errorbars = [c for c in elpd_axes.containers if isinstance(c, ErrorbarContainer)]
    assert len(errorbars) == 2 and all(c.has_yerr for c in errorbars)
    loo = errorbars[0]
    np.testing.assert_allclose(loo.lines[0].get_xdata(), [1, 2, 3, 4])  # sorted by K
    np.testing.assert_allclose(loo.lines[0].get_ydata(), [-850.0, -849.0, -851.0, -900.0])
    (_, low), (_, high) = loo.lines[2][0].get_segments()[0]  # the bar at K=1: elpd ± se
    assert (low, high) == pytest.approx((-868.0, -832.0))
    bic, = by_gid(bic_axes.lines, "bic")
    np.testing.assert_allclose(bic.get_ydata(), [1725.0, 1740.0, 1760.0, 1810.0])


def test_k_selection_errors():
    with pytest.raises(ValueError, match="missing the column.*se_waic, bic"):
        plot_k_selection(k_table().drop(columns=["se_waic", "bic"]), selected_k=2)
    with pytest.raises(ValueError, match="selected_k=7 is not a K in the table"):
        plot_k_selection(k_table(), selected_k=7)
