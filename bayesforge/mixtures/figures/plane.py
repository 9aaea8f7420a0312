"""A mixture seen in a plane (two columns, or the first two principal components) and drawn in one panel.

The panel shows the points in their most probable component's colour, each
component's 1σ and 2σ ellipses at its posterior mean, the posterior mean as a
hollow ring, and above it the cloud of posterior draws of the mean (in a darker
shade, so it shows over points of its own colour).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Ellipse

from ..draws import MixtureDraws
from .labels import LabelSpec
from .style import Memberships, format_weight

__all__ = ["PlaneView", "coordinate_view", "pca_view", "covariance_ellipse", "draw_components", "frame",
           "incomplete_label",
           "ELLIPSES_NOTE", "MEAN_ZORDER", "MEAN_DRAWS_ZORDER"]

ELLIPSES_NOTE = "ellipses: 1σ, 2σ; ring: posterior mean; dots on it: posterior draws of the mean"

_FRAME_MARGIN = 0.08  # of the data's range, on each side
# ellipse alpha by n_std: ordinary components, then negligible ones (faint, dashed)
_ELLIPSE_ALPHA = {1.0: 0.9, 2.0: 0.5}
_NEGLIGIBLE_ELLIPSE_ALPHA = {1.0: 0.3, 2.0: 0.15}
_MEAN_DRAWS_ALPHA, _NEGLIGIBLE_MEAN_DRAWS_ALPHA = 0.45, 0.15
_MEAN_DRAWS_SHADE = 0.55  # the cloud's colour: the component's, this much towards black
POINTS_ZORDER, MEAN_ZORDER, MEAN_DRAWS_ZORDER = 2.0, 4.0, 5.0


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


@dataclass(frozen=True)
class PlaneView:
    """The data and the mixture seen in one plane (two coordinates, or a projection)."""

    points: np.ndarray  # N × 2
    mean_draws: np.ndarray  # S × K × 2
    covariances: np.ndarray  # K × 2 × 2, each component's central (log-Euclidean mean) covariance
    xlabel: str
    ylabel: str
    description: str  # what the plane is, for a title: "" for the data's own two columns
    #: N booleans: rows missing a coordinate of this plane (NaN in the data), their missing value filled in
    #: (at its mean in the row's cluster) and drawn hollow; None when no row is.
    incomplete: np.ndarray | None = None

    @property
    def means(self) -> np.ndarray:
        return self.mean_draws.mean(axis=0)


def _incomplete(missing: np.ndarray | None) -> np.ndarray | None:
    return missing if missing is not None and missing.any() else None


def coordinate_view(data: np.ndarray, draws: MixtureDraws, pair: tuple[int, int],
                    names: Sequence[str], missing: np.ndarray | None = None) -> PlaneView:
    """Columns ``pair`` of the data and the mixture's marginal in them.

    ``missing`` (N×D booleans): cells that were missing, already filled in ``data``;
    rows missing either coordinate of the pair become the view's ``incomplete`` rows.
    """
    index = list(pair)
    covariances = draws.central_covariances()[:, index][:, :, index]
    description = "" if data.shape[1] == 2 else f" (marginal in {names[pair[0]]}, {names[pair[1]]})"
    return PlaneView(data[:, index], np.asarray(draws.means, dtype=float)[..., index], covariances,
                     names[pair[0]], names[pair[1]], description,
                     _incomplete(None if missing is None else missing[:, index].any(axis=1)))


def pca_view(data: np.ndarray, draws: MixtureDraws, missing: np.ndarray | None = None) -> PlaneView:
    """The first two principal components of ``data``: means projected, covariances as W Σ Wᵀ.

    ``missing`` (N×D booleans): cells already filled in ``data``; rows with any become ``incomplete``.
    """
    from sklearn.decomposition import PCA

    if data.shape[0] < 2:
        raise ValueError(f"X needs at least 2 rows for a PCA projection of its {data.shape[1]} dimensions")
    pca = PCA(n_components=2).fit(data)
    basis = pca.components_  # 2 × D
    mean_draws = (np.asarray(draws.means, dtype=float) - pca.mean_) @ basis.T
    projected = np.einsum("ad,kde,be->kab", basis, draws.central_covariances(), basis)
    share = 100 * pca.explained_variance_ratio_
    return PlaneView(pca.transform(data), mean_draws, projected, f"PC1 (explains {share[0]:.0f} %)",
                     f"PC2 (explains {share[1]:.0f} %)", f" — PCA projection of {data.shape[1]} dimensions",
                     _incomplete(None if missing is None else missing.any(axis=1)))


def frame(values: np.ndarray) -> tuple[float, float]:
    """The data's range plus a margin on each side (a unit-free margin when every value is the same)."""
    low, high = float(np.min(values)), float(np.max(values))
    margin = _FRAME_MARGIN * (high - low) if high > low else max(0.5, 0.1 * abs(low))
    return low - margin, high + margin


def draw_components(axes: Axes, view: PlaneView, memberships: Memberships, labelled: bool = True) -> list[LabelSpec]:
    """Points, each component's ellipses, mean and mean draws; the axes frame the points.

    Returns the labels (``k: w=0.12``) to place once the figure's layout is final
    (none when ``labelled`` is false). The view's incomplete rows are drawn hollow
    (gid ``"points-incomplete"``), with a legend saying how many (when ``labelled``).
    """
    colours = memberships.point_colours()
    hollow = view.incomplete if view.incomplete is not None else np.zeros(len(view.points), dtype=bool)
    axes.scatter(view.points[~hollow, 0], view.points[~hollow, 1], c=colours[~hollow], s=10, linewidths=0,
                 zorder=POINTS_ZORDER, gid="points")
    if hollow.any():
        marks = axes.scatter(view.points[hollow, 0], view.points[hollow, 1], facecolors="none",
                             edgecolors=colours[hollow], s=22, linewidths=1.0, zorder=POINTS_ZORDER,
                             gid="points-incomplete", label=incomplete_label(int(hollow.sum())))
        if labelled:
            axes.legend(handles=[marks], loc="best", fontsize=8, framealpha=0.85)
    xlim, ylim = frame(view.points[:, 0]), frame(view.points[:, 1])
    labels = []
    for k in range(memberships.num_components):
        _draw_component(axes, k, view.means[k], view.covariances[k], view.mean_draws[:, k], memberships)
        if labelled:
            labels.append(_label(axes, k, view.means[k], memberships, xlim, ylim))
    axes.set_xlim(*xlim)
    axes.set_ylim(*ylim)
    return labels


def incomplete_label(count: int) -> str:
    """The legend's words for the hollow points.

    >>> print(incomplete_label(3))
    hollow: 3 incomplete rows (a missing value drawn at its mean in the row's cluster)
    """
    rows = "row" if count == 1 else "rows"
    return f"hollow: {count} incomplete {rows} (a missing value drawn at its mean in the row's cluster)"


def draw_mean_marker(axes: Axes, k: int, mean: np.ndarray, faint: bool) -> None:
    """The posterior mean: a hollow ring, so what lies on it (the draws of the mean) stays visible."""
    axes.plot(*mean, marker="o", markersize=9, markerfacecolor="none", markeredgecolor="black",
              markeredgewidth=1.3, linestyle="none", alpha=0.35 if faint else 1.0, zorder=MEAN_ZORDER,
              gid=f"mean-{k}")


def _draw_component(axes: Axes, k: int, mean: np.ndarray, covariance: np.ndarray, mean_draws: np.ndarray,
                    memberships: Memberships) -> None:
    negligible = bool(memberships.negligible[k])
    colour = memberships.colours[k]
    alphas = _NEGLIGIBLE_ELLIPSE_ALPHA if negligible else _ELLIPSE_ALPHA
    for n_std, alpha in alphas.items():
        axes.add_patch(covariance_ellipse(
            mean, covariance, n_std, fill=False, edgecolor=colour, linewidth=1.5, alpha=alpha,
            linestyle="--" if negligible else "-", gid=f"ellipse-{k}-{n_std:g}sigma", zorder=3,
            label=f"component {k}" if n_std == 1.0 else None))
    draw_mean_marker(axes, k, mean, negligible)
    shade = colour.copy()
    shade[:3] *= 1.0 - _MEAN_DRAWS_SHADE
    axes.scatter(mean_draws[:, 0], mean_draws[:, 1], color=shade, s=4, linewidths=0, zorder=MEAN_DRAWS_ZORDER,
                 alpha=_NEGLIGIBLE_MEAN_DRAWS_ALPHA if negligible else _MEAN_DRAWS_ALPHA,
                 gid=f"mean-draws-{k}", label=f"draws of mean {k}")


def _label(axes: Axes, k: int, mean: np.ndarray, memberships: Memberships,
           xlim: tuple[float, float], ylim: tuple[float, float]) -> LabelSpec:
    """``k: w=0.12`` at the mean, or at the frame's edge (marked off-axes) when the mean is outside it."""
    inside = xlim[0] <= mean[0] <= xlim[1] and ylim[0] <= mean[1] <= ylim[1]
    where = mean if inside else np.array([np.clip(mean[0], *xlim), np.clip(mean[1], *ylim)])
    text = f"{k}: w={format_weight(memberships.weights[k])}" + ("" if inside else " (mean off-axes)")
    return LabelSpec(axes, text, tuple(float(v) for v in where), colour=memberships.colours[k], gid=f"label-{k}",
                     faint=bool(memberships.negligible[k]))
