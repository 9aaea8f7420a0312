"""The Gaussian-mixture figures: the fitted mixture over its data, and the criteria for choosing K.

:func:`plot_mixture` draws posterior draws of a mixture (a
:class:`~bayesforge.mixture.MixtureDraws`) over data ``X``: points coloured by
their most probable component and faded by how uncertain that is, 1σ/2σ
ellipses and the cloud of posterior draws of each component's mean, and a
second panel of membership uncertainty. D = 1 gives a histogram with density
curves, 3 to 6 dimensions a pair grid, more a PCA projection.
:func:`plot_gmm` does the same for a fitted model (``m.plot(X=...)``), and
:func:`plot_k_selection` draws PSIS-LOO, WAIC and BIC against K.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot), so they render
headless and never open a window; in Jupyter the returned figure displays.

>>> import numpy as np
>>> from bayesforge.mixture import MixtureDraws, membership_probabilities
>>> rng = np.random.default_rng(0)
>>> centres = np.array([[-3.0, 0.0], [3.0, 0.0]])
>>> means = (centres + 0.05 * rng.standard_normal((5, 2, 2))).astype(np.float32)  # float32, as fits give
>>> draws = MixtureDraws("obs", weights=np.full((5, 2), 0.5), means=means, covariances=np.tile(np.eye(2), (5, 2, 1, 1)))
>>> X = np.concatenate([rng.normal(c, 1.0, (20, 2)) for c in centres])
>>> figure = plot_mixture(X, draws, membership_probabilities(draws, X))
>>> [axes.get_gid() for axes in figure.axes[:2]]
['mixture', 'membership-uncertainty']
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from .mixture import MixtureDraws, gaussian_mixture_draws, membership_probabilities
from .ml import as_data_matrix

__all__ = ["plot_mixture", "plot_gmm", "plot_k_selection", "covariance_ellipse", "NEGLIGIBLE_WEIGHT"]


def covariance_ellipse(mean: np.ndarray, covariance: np.ndarray, n_std: float, **style: Any) -> Ellipse:
    """The ``n_std``-σ ellipse of a 2-D Gaussian.

    >>> e = covariance_ellipse(np.zeros(2), np.diag([4.0, 1.0]), 1.0)
    >>> float(e.width), float(e.height), float(e.angle % 180)
    (4.0, 2.0, 0.0)
    """
    values, vectors = np.linalg.eigh(covariance)
    values = np.clip(values, 0.0, None)
    order = values.argsort()[::-1]
    values, vectors = values[order], vectors[:, order]
    angle = np.degrees(np.arctan2(vectors[1, 0], vectors[0, 0]))
    width, height = 2 * n_std * np.sqrt(values)
    return Ellipse(xy=mean, width=width, height=height, angle=angle, **style)


#: Components whose posterior mean weight is below this are drawn faint and dashed.
NEGLIGIBLE_WEIGHT = 0.02

#: Up to this many dimensions the figure is a pair grid; beyond it, a PCA projection.
MAX_PAIR_GRID_DIMENSIONS = 6

_FRAME_MARGIN = 0.08  # of the data's range, on each side
_DPI = 120
_MIN_POINT_ALPHA = 0.15  # a point whose membership is uniform over the K components
_UNCERTAINTY_COLOURMAP = "viridis"
# ellipse alpha by n_std: visible components, then negligible ones (faint, dashed)
_ELLIPSE_ALPHA = {1.0: 0.9, 2.0: 0.5}
_NEGLIGIBLE_ELLIPSE_ALPHA = {1.0: 0.3, 2.0: 0.15}
_MEAN_DRAWS_ALPHA, _NEGLIGIBLE_MEAN_DRAWS_ALPHA = 0.35, 0.1

_ELLIPSES_NOTE = "ellipses: 1σ, 2σ at the posterior mean; dots: posterior draws of each mean"


# -- what every view shares: per-component colours and weights, per-point labels and certainty ----------
@dataclass(frozen=True)
class _Memberships:
    """Per component: colour, mean weight, negligible?; per point: most probable component, alpha, uncertainty."""

    colours: np.ndarray  # K × 4 RGBA
    weights: np.ndarray  # K
    negligible: np.ndarray  # K bool
    labels: np.ndarray  # N: argmax of the membership row
    point_alpha: np.ndarray  # N: in [_MIN_POINT_ALPHA, 1], from the largest membership probability
    uncertainty: np.ndarray  # N: entropy of the membership row / log K, in [0, 1]

    def point_colours(self) -> np.ndarray:
        colours = self.colours[self.labels].copy()
        colours[:, 3] = self.point_alpha
        return colours


def _component_colours(k: int) -> np.ndarray:
    palette = colormaps["tab10" if k <= 10 else "tab20"]
    return palette(np.arange(k) % palette.N)


def _certainty_alpha(probabilities: np.ndarray) -> np.ndarray:
    """0.15 for a uniform membership row, 1 for a certain one, linear in the largest probability between."""
    k = probabilities.shape[1]
    if k == 1:
        return np.ones(probabilities.shape[0])
    certainty = (probabilities.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
    return np.clip(_MIN_POINT_ALPHA + (1.0 - _MIN_POINT_ALPHA) * certainty, _MIN_POINT_ALPHA, 1.0)


def _normalised_entropy(probabilities: np.ndarray) -> np.ndarray:
    """Entropy of each membership row divided by log K: 0 when certain, 1 when uniform."""
    k = probabilities.shape[1]
    if k == 1:
        return np.zeros(probabilities.shape[0])
    p = np.clip(probabilities, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return np.clip(terms.sum(axis=1) / np.log(k), 0.0, 1.0)


def _memberships(draws: MixtureDraws, probabilities: np.ndarray, negligible_weight: float) -> _Memberships:
    weights = np.asarray(draws.weights, dtype=float).mean(axis=0)
    return _Memberships(
        colours=_component_colours(draws.num_components), weights=weights, negligible=weights < negligible_weight,
        labels=probabilities.argmax(axis=1), point_alpha=_certainty_alpha(probabilities),
        uncertainty=_normalised_entropy(probabilities))


# -- checking the arguments ----------------------------------------------------------------------------
def _check_columns(data: np.ndarray, draws: MixtureDraws) -> None:
    dimension = draws.means.shape[-1]
    if data.shape[1] != dimension:
        raise ValueError(f"X has {data.shape[1]} columns but the mixture has {dimension} dimensions")


def _checked_probabilities(probabilities: Any, data: np.ndarray, draws: MixtureDraws) -> np.ndarray:
    expected = (data.shape[0], draws.num_components)
    try:
        array = np.asarray(probabilities, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"probabilities must be a numeric N×K array, got {type(probabilities).__name__}") from None
    if array.shape != expected:
        raise ValueError(f"probabilities must be an N×K array with N={expected[0]} (X's rows) and K={expected[1]} "
                         f"(the mixture's components), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("probabilities has NaN/inf values")
    return array


def _checked_dims(dims: Any, dimension: int) -> tuple[int, int] | None:
    if dims is None:
        return None
    if dimension < 2:
        raise ValueError(f"dims selects a 2-D view but the mixture has {dimension} dimension")
    try:
        i, j = (int(d) for d in dims)
        exact = all(int(d) == d for d in dims)
    except (TypeError, ValueError):
        raise ValueError(f"dims must be a pair of column indices, got {dims!r}") from None
    if not exact or i == j or not (0 <= i < dimension and 0 <= j < dimension):
        raise ValueError(f"dims must be two different column indices in 0..{dimension - 1}, got {dims!r}")
    return i, j


def _checked_negligible_weight(negligible_weight: float) -> float:
    weight = float(negligible_weight)
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"negligible_weight must be in [0, 1), got {negligible_weight!r}")
    return weight


# -- the public figures ------------------------------------------------------------------------------------
def plot_mixture(X: Any, draws: MixtureDraws, probabilities: np.ndarray, path: Any = None,
                 dims: Sequence[int] | None = None, title: str | None = None,
                 negligible_weight: float = NEGLIGIBLE_WEIGHT) -> Figure:
    """Draw posterior draws of a Gaussian mixture over data ``X`` (N×D) with membership ``probabilities`` (N×K).

    The layout follows D:

    * D = 1: a histogram of ``X`` stacked by most probable component, each
      component's weighted density (posterior mean parameters) and the mixture's,
      a rug of the points; below, each point's membership uncertainty.
    * D = 2 (or any D with ``dims``, a pair of column indices): points coloured by
      their most probable component and faded as their membership grows uncertain,
      1σ and 2σ ellipses of each component at its posterior mean, the cloud of
      posterior draws of each mean, ``k: w=0.12`` labels; and a second panel,
      "membership uncertainty", of the points coloured by the entropy of their
      membership row (divided by log K) with a colour bar.
    * 3 ≤ D ≤ 6: a pair grid: histograms on the diagonal, 2-D marginal views below it.
    * D > 6: the D = 2 figure in the plane of the first two principal components of ``X``.

    Components whose posterior mean weight is below ``negligible_weight`` are
    drawn faint and dashed; the axes frame the data, not far-away components.
    Artists carry gids: ``"points"``, ``"uncertainty"``, ``"ellipse-{k}-{n}sigma"``,
    ``"mean-draws-{k}"``, ``"mean-{k}"``, ``"label-{k}"`` (``"density-{k}"`` for D = 1).
    Saved to ``path`` when given; the figure is returned.

    >>> import numpy as np
    >>> from bayesforge.mixture import MixtureDraws, membership_probabilities
    >>> rng = np.random.default_rng(1)
    >>> centres = np.array([[0.0, 0.0], [4.0, 4.0]])
    >>> means = (centres + 0.05 * rng.standard_normal((5, 2, 2))).astype(np.float32)
    >>> draws = MixtureDraws("obs", weights=np.tile([0.7, 0.3], (5, 1)), means=means,
    ...                      covariances=np.tile(np.eye(2), (5, 2, 1, 1)))
    >>> X = np.concatenate([rng.normal(c, 1.0, (20, 2)) for c in centres])
    >>> figure = plot_mixture(X, draws, membership_probabilities(draws, X))
    >>> sorted(p.get_gid() for p in figure.axes[0].patches)
    ['ellipse-0-1sigma', 'ellipse-0-2sigma', 'ellipse-1-1sigma', 'ellipse-1-2sigma']
    """
    data = as_data_matrix(X, "X")
    _check_columns(data, draws)
    probabilities = _checked_probabilities(probabilities, data, draws)
    dimension = data.shape[1]
    pair = _checked_dims(dims, dimension)
    memberships = _memberships(draws, probabilities, _checked_negligible_weight(negligible_weight))
    default_title = f"Gaussian mixture: K={draws.num_components}, N={data.shape[0]}, D={dimension}"

    if dimension == 1:
        figure = _line_figure(data[:, 0], draws, memberships)
    elif pair is not None or dimension == 2:
        figure = _plane_figure(_coordinate_view(data, draws, pair or (0, 1)), memberships)
    elif dimension <= MAX_PAIR_GRID_DIMENSIONS:
        figure = _pair_grid_figure(data, draws, memberships)
    else:
        figure = _plane_figure(_pca_view(data, draws), memberships)
        default_title += " — PCA projection onto PC1, PC2"
    figure.suptitle(title if title is not None else default_title)
    if path is not None:
        figure.savefig(Path(path), dpi=_DPI)
    return figure


def plot_gmm(X: Any, posterior: Any, path: Any = None, dims: Sequence[int] | None = None,
             max_draws: int = 400, **options: Any) -> Figure:
    """:func:`plot_mixture` for a fitted model: the figure behind ``m.plot(X=...)``.

    ``posterior`` is a fitted :class:`~bayesforge.posterior.Posterior` (anything
    with ``model``, ``model_kwargs`` and ``draws``, a dict of draws with chains
    stacked) whose model observes a ``mixture_same_family`` of
    ``multivariate_normal``. Up to ``max_draws`` draws are used; ``options``
    (``title``, ``negligible_weight``) go to :func:`plot_mixture`.

    >>> from types import SimpleNamespace
    >>> import numpy as np, jax.numpy as jnp, numpyro, numpyro.distributions as dist
    >>> def model(X):
    ...     w = numpyro.sample("w", dist.Dirichlet(jnp.ones(2)))
    ...     mu = numpyro.sample("mu", dist.Normal(0.0, 5.0).expand([2, 2]).to_event(2))
    ...     components = dist.MultivariateNormal(mu, jnp.eye(2))
    ...     numpyro.sample("obs", dist.MixtureSameFamily(dist.Categorical(w), components), obs=X)
    >>> rng = np.random.default_rng(2)
    >>> X = np.concatenate([rng.normal(-3.0, 1.0, (20, 2)), rng.normal(3.0, 1.0, (20, 2))])
    >>> mu = np.array([[-3.0, -3.0], [3.0, 3.0]]) + 0.05 * rng.standard_normal((5, 2, 2))
    >>> draws = {"w": np.full((5, 2), 0.5), "mu": mu}  # 5 posterior draws, chains stacked
    >>> posterior = SimpleNamespace(model=model, model_kwargs={"X": X}, draws=draws)
    >>> figure = plot_gmm(X, posterior)
    >>> len(figure.axes[0].patches)
    4
    """
    data = as_data_matrix(X, "X")
    draws = gaussian_mixture_draws(posterior.model, posterior.model_kwargs, posterior.draws, max_draws)
    _check_columns(data, draws)
    return plot_mixture(data, draws, membership_probabilities(draws, data), path=path, dims=dims, **options)


_K_SELECTION_COLUMNS = ("elpd_loo", "se_loo", "elpd_waic", "se_waic", "bic")


def plot_k_selection(table: Any, selected_k: int, path: Any = None) -> Figure:
    """The criteria for choosing the number of components K, against K, with ``selected_k`` marked.

    ``table`` is a ``pandas.DataFrame`` indexed by K with columns ``elpd_loo``,
    ``se_loo``, ``elpd_waic``, ``se_waic`` (higher elpd is better) and ``bic``
    (lower is better). Left: both elpds with ±1 standard error bars (WAIC's
    nudged right so the bars do not overlap); right: BIC. A vertical line
    (gid ``"selected-k"``) marks ``selected_k`` in both. Saved to ``path`` when given.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"elpd_loo": [-900.0, -850.0, -849.0], "se_loo": [20.0, 18.0, 18.0],
    ...                       "elpd_waic": [-899.0, -849.5, -848.0], "se_waic": [20.0, 18.0, 18.0],
    ...                       "bic": [1810.0, 1725.0, 1740.0]}, index=pd.Index([1, 2, 3], name="K"))
    >>> figure = plot_k_selection(table, selected_k=2)
    >>> [axes.get_ylabel() for axes in figure.axes]
    ['elpd (higher is better)', 'BIC (lower is better)']
    """
    missing = [column for column in _K_SELECTION_COLUMNS if column not in getattr(table, "columns", ())]
    if missing:
        raise ValueError(f"table is missing the column(s) {', '.join(missing)} "
                         f"(it needs {', '.join(_K_SELECTION_COLUMNS)}, indexed by K)")
    if len(table) == 0:
        raise ValueError("table has no rows: it needs one row per K")
    if selected_k not in set(table.index):
        raise ValueError(f"selected_k={selected_k!r} is not a K in the table (its K: {list(table.index)})")
    table = table.sort_index()
    ks = np.asarray(table.index, dtype=float)

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    elpd_axes, bic_axes = figure.subplots(1, 2)
    column = {name: table[name].to_numpy(dtype=float) for name in _K_SELECTION_COLUMNS}
    elpd_axes.errorbar(ks, column["elpd_loo"], yerr=column["se_loo"], marker="o", capsize=4, gid="elpd-loo",
                       label="elpd PSIS-LOO ± SE")
    elpd_axes.errorbar(ks + 0.08, column["elpd_waic"], yerr=column["se_waic"], marker="s", capsize=4,
                       linestyle="--", gid="elpd-waic", label="elpd WAIC ± SE")
    elpd_axes.set_ylabel("elpd (higher is better)")
    elpd_axes.set_title("expected log predictive density")
    bic_axes.plot(ks, column["bic"], marker="o", color="tab:red", gid="bic", label="BIC")
    bic_axes.set_ylabel("BIC (lower is better)")
    bic_axes.set_title("Bayesian information criterion")
    for axes in (elpd_axes, bic_axes):
        axes.axvline(selected_k, color="black", linestyle=":", linewidth=1.5, gid="selected-k",
                     label=f"selected K={selected_k}")
        axes.set_xticks(ks, [str(int(k)) if float(k).is_integer() else str(k) for k in ks])
        axes.set_xlabel("K (number of components)")
        axes.legend(loc="best", fontsize=8)
    figure.suptitle(f"Choosing K: selected K={selected_k}")
    if path is not None:
        figure.savefig(Path(path), dpi=_DPI)
    return figure


# -- 2-D views: two coordinates, or a PCA plane ---------------------------------------------------------------
@dataclass(frozen=True)
class _PlaneView:
    """The data and the mixture seen in one plane (two coordinates, or a projection)."""

    points: np.ndarray  # N × 2
    mean_draws: np.ndarray  # S × K × 2
    covariances: np.ndarray  # K × 2 × 2, each component's central (log-Euclidean mean) covariance
    xlabel: str
    ylabel: str
    description: str

    @property
    def means(self) -> np.ndarray:
        return self.mean_draws.mean(axis=0)


def _coordinate_view(data: np.ndarray, draws: MixtureDraws, pair: tuple[int, int]) -> _PlaneView:
    index = list(pair)
    covariances = draws.central_covariances()[:, index][:, :, index]
    description = "" if data.shape[1] == 2 else f" (marginal in dimensions {pair[0]}, {pair[1]})"
    return _PlaneView(data[:, index], np.asarray(draws.means, dtype=float)[..., index], covariances,
                      f"dimension {pair[0]}", f"dimension {pair[1]}", description)


def _pca_view(data: np.ndarray, draws: MixtureDraws) -> _PlaneView:
    """The first two principal components of ``data``: means projected, covariances as W Σ Wᵀ."""
    from sklearn.decomposition import PCA

    if data.shape[0] < 2:
        raise ValueError(f"X needs at least 2 rows for a PCA projection of its {data.shape[1]} dimensions")
    pca = PCA(n_components=2).fit(data)
    basis = pca.components_  # 2 × D
    mean_draws = (np.asarray(draws.means, dtype=float) - pca.mean_) @ basis.T
    covariance = draws.central_covariances()
    projected = np.einsum("ad,kde,be->kab", basis, covariance, basis)
    share = 100 * pca.explained_variance_ratio_
    return _PlaneView(pca.transform(data), mean_draws, projected, f"PC1 ({share[0]:.0f}% var)",
                      f"PC2 ({share[1]:.0f}% var)", f" — PCA projection of {data.shape[1]} dimensions")


def _frame(values: np.ndarray) -> tuple[float, float]:
    """The data's range plus a margin on each side (a unit-free margin when every value is the same)."""
    low, high = float(np.min(values)), float(np.max(values))
    margin = _FRAME_MARGIN * (high - low) if high > low else max(0.5, 0.1 * abs(low))
    return low - margin, high + margin


def _draw_components(axes: Axes, points: np.ndarray, mean_draws: np.ndarray, covariances: np.ndarray,
                     memberships: _Memberships) -> None:
    """Points, per-component ellipses, mean draws and labels in one 2-D panel; the axes frame the points."""
    axes.scatter(points[:, 0], points[:, 1], c=memberships.point_colours(), s=10, linewidths=0, gid="points")
    xlim, ylim = _frame(points[:, 0]), _frame(points[:, 1])
    means = mean_draws.mean(axis=0)
    for k in range(len(memberships.weights)):
        _draw_component(axes, k, means[k], covariances[k], mean_draws[:, k], memberships, xlim, ylim)
    axes.set_xlim(*xlim)
    axes.set_ylim(*ylim)


def _draw_component(axes: Axes, k: int, mean: np.ndarray, covariance: np.ndarray, mean_draws: np.ndarray,
                    memberships: _Memberships, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    negligible = bool(memberships.negligible[k])
    colour = memberships.colours[k]
    alphas = _NEGLIGIBLE_ELLIPSE_ALPHA if negligible else _ELLIPSE_ALPHA
    for n_std, alpha in alphas.items():
        axes.add_patch(covariance_ellipse(
            mean, covariance, n_std, fill=False, edgecolor=colour, linewidth=1.5, alpha=alpha,
            linestyle="--" if negligible else "-", gid=f"ellipse-{k}-{n_std:g}sigma",
            label=f"component {k}" if n_std == 1.0 else None))
    axes.scatter(mean_draws[:, 0], mean_draws[:, 1], color=colour, s=4, linewidths=0, zorder=3,
                 alpha=_NEGLIGIBLE_MEAN_DRAWS_ALPHA if negligible else _MEAN_DRAWS_ALPHA,
                 gid=f"mean-draws-{k}", label=f"draws of mean {k}")
    axes.plot(*mean, marker="x", color="black", markersize=8, alpha=0.3 if negligible else 1.0, zorder=4,
              gid=f"mean-{k}")
    _label_component(axes, k, mean, memberships, xlim, ylim)


def _format_weight(weight: float) -> str:
    """Two decimals, or one significant digit below 0.01 (so a negligible weight does not read 0.00)."""
    return f"{weight:.2f}" if weight >= 0.01 or weight == 0 else f"{weight:.1g}"


def _label_component(axes: Axes, k: int, mean: np.ndarray, memberships: _Memberships,
                     xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """``k: w=0.12`` next to the mean, or at the frame's edge (marked off-axes) when the mean is outside it."""
    inside = xlim[0] <= mean[0] <= xlim[1] and ylim[0] <= mean[1] <= ylim[1]
    where = mean if inside else np.array([np.clip(mean[0], *xlim), np.clip(mean[1], *ylim)])
    text = f"{k}: w={_format_weight(memberships.weights[k])}" + ("" if inside else " (mean off-axes)")
    axes.annotate(text, where, textcoords="offset points", xytext=(6, 6) if inside else (0, 0), fontsize=8,
                  alpha=0.5 if memberships.negligible[k] else 1.0, gid=f"label-{k}", annotation_clip=False,
                  ha="left" if inside or mean[0] < xlim[1] else "right")


def _plane_figure(view: _PlaneView, memberships: _Memberships) -> Figure:
    figure = Figure(figsize=(13, 5.5), layout="constrained")
    main, uncertain = figure.subplots(1, 2, sharex=True, sharey=True, gridspec_kw={"width_ratios": [1.0, 1.0]})
    main.set_gid("mixture")
    _draw_components(main, view.points, view.mean_draws, view.covariances, memberships)
    main.set_title(f"points by most probable component{view.description}\n{_ELLIPSES_NOTE}", fontsize=9)
    _draw_uncertainty_panel(figure, uncertain, view, memberships)
    for axes in (main, uncertain):
        axes.set_xlabel(view.xlabel)
        axes.set_ylabel(view.ylabel)
    return figure


def _draw_uncertainty_panel(figure: Figure, axes: Axes, view: _PlaneView, memberships: _Memberships) -> None:
    axes.set_gid("membership-uncertainty")
    shown = axes.scatter(view.points[:, 0], view.points[:, 1], c=memberships.uncertainty,
                         cmap=_UNCERTAINTY_COLOURMAP, vmin=0.0, vmax=1.0, s=10, linewidths=0, gid="uncertainty")
    for k, mean in enumerate(view.means):
        if not memberships.negligible[k]:
            axes.plot(*mean, marker="x", color="black", markersize=8)
    figure.colorbar(shown, ax=axes, label="entropy of membership / log K (0 certain, 1 uniform)")
    axes.set_title("membership uncertainty", fontsize=9)


# -- D = 1 ---------------------------------------------------------------------------------------------------
def _normal_density(x: np.ndarray, mean: float, variance: float) -> np.ndarray:
    return np.exp(-0.5 * (x - mean) ** 2 / variance) / np.sqrt(2 * np.pi * variance)


def _line_figure(values: np.ndarray, draws: MixtureDraws, memberships: _Memberships) -> Figure:
    figure = Figure(figsize=(9, 6.5), layout="constrained")
    main, uncertain = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.0, 1.0]})
    main.set_gid("mixture")
    xlim = _frame(values)
    top = _draw_histogram_and_densities(main, values, draws, memberships, xlim)
    main.scatter(values, np.full(len(values), -0.05 * top), c=memberships.point_colours(), marker="|", s=60,
                 gid="points")
    main.set_xlim(*xlim)
    main.set_ylim(-0.1 * top, 1.1 * top)
    main.set_ylabel("density")
    main.set_title("histogram by most probable component; weighted component densities (posterior means)",
                   fontsize=9)
    uncertain.set_gid("membership-uncertainty")
    uncertain.scatter(values, memberships.uncertainty, c=memberships.uncertainty, cmap=_UNCERTAINTY_COLOURMAP,
                      vmin=0.0, vmax=1.0, s=10, linewidths=0, gid="uncertainty")
    uncertain.set_ylim(-0.05, 1.05)
    uncertain.set_ylabel("entropy / log K\n(0 certain, 1 uniform)")
    uncertain.set_xlabel("x")
    uncertain.set_title("membership uncertainty", fontsize=9)
    return figure


def _draw_histogram_and_densities(axes: Axes, values: np.ndarray, draws: MixtureDraws,
                                  memberships: _Memberships, xlim: tuple[float, float]) -> float:
    """Stacked density histogram by component and the weighted component densities; returns the tallest value."""
    present = [k for k in range(len(memberships.weights)) if (memberships.labels == k).any()]
    heights, _, _ = axes.hist([values[memberships.labels == k] for k in present], bins="auto", density=True,
                              stacked=True, color=[memberships.colours[k] for k in present], alpha=0.45)
    grid = np.linspace(*xlim, 400)
    means = np.asarray(draws.means, dtype=float).mean(axis=0)[:, 0]
    variances = draws.central_covariances()[:, 0, 0]
    total = np.zeros_like(grid)
    for k, weight in enumerate(memberships.weights):
        curve = weight * _normal_density(grid, means[k], variances[k])
        total += curve
        negligible = bool(memberships.negligible[k])
        axes.plot(grid, curve, color=memberships.colours[k], linestyle="--" if negligible else "-",
                  alpha=0.3 if negligible else 1.0, gid=f"density-{k}", label=f"{k}: w={_format_weight(weight)}")
    axes.plot(grid, total, color="black", linewidth=1.5, gid="density-mixture", label="mixture")
    axes.legend(loc="upper right", fontsize=8)
    return float(max(np.max(heights), total.max()))


# -- 3 ≤ D ≤ 6: the pair grid ------------------------------------------------------------------------------------
def _pair_grid_figure(data: np.ndarray, draws: MixtureDraws, memberships: _Memberships) -> Figure:
    """Lower triangle: 2-D marginal views with ellipses; diagonal: per-dimension histograms by component."""
    dimension = data.shape[1]
    figure = Figure(figsize=(2.6 * dimension, 2.6 * dimension), layout="constrained")
    grid = figure.subplots(dimension, dimension, squeeze=False)
    for row in range(dimension):
        for column in range(dimension):
            axes = grid[row, column]
            if column > row:
                figure.delaxes(axes)
            elif column == row:
                _draw_dimension_histogram(axes, data[:, row], memberships, row)
            else:
                view = _coordinate_view(data, draws, (column, row))
                axes.set_gid(f"pair-{column}-{row}")
                _draw_components(axes, view.points, view.mean_draws, view.covariances, memberships)
            if row == dimension - 1:
                axes.set_xlabel(f"dimension {column}")
            if column == 0 and row > 0:
                axes.set_ylabel(f"dimension {row}")
    figure.text(0.97, 0.9, f"pair grid: {_ELLIPSES_NOTE};\ndiagonal: histograms by most probable component",
                ha="right", va="top", fontsize=9)
    return figure


def _draw_dimension_histogram(axes: Axes, values: np.ndarray, memberships: _Memberships, dimension: int) -> None:
    axes.set_gid(f"histogram-{dimension}")
    present = [k for k in range(len(memberships.weights)) if (memberships.labels == k).any()]
    axes.hist([values[memberships.labels == k] for k in present], bins="auto", stacked=True,
              color=[memberships.colours[k] for k in present], alpha=0.7)
    axes.set_xlim(*_frame(values))
    axes.set_yticks([])
