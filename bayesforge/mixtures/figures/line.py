"""D = 1: a histogram by most probable component, each component's weighted density, the uncertainty strip.

Component densities use the posterior mean parameters (the central covariance
of :meth:`~bayesforge.mixtures.draws.MixtureDraws.central_covariances`); the mixture's
density is drawn as a broad pale band beneath them, so a component that
carries the mixture alone stays visible on top of it.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.stats import norm

from ..draws import MixtureDraws
from .plane import frame
from .style import Memberships, format_weight
from .uncertainty import draw_uncertainty_strip

__all__ = ["line_figure"]


def line_figure(values: np.ndarray, draws: MixtureDraws, memberships: Memberships, name: str) -> Figure:
    """The D = 1 figure of ``values`` (the data's one column, called ``name``)."""
    figure = Figure(figsize=(9, 6.5), layout="constrained")
    main, uncertain = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.0, 1.0]})
    main.set_gid("mixture")
    xlim = frame(values)
    top = _draw_histogram_and_densities(main, values, draws, memberships, xlim)
    main.scatter(values, np.full(len(values), -0.05 * top), c=memberships.point_colours(), marker="|", s=60,
                 gid="points")
    main.set_xlim(*xlim)
    main.set_ylim(-0.1 * top, 1.1 * top)
    main.set_ylabel("density")
    main.set_title("histogram by most probable component; weighted component densities (posterior means); "
                   "rug: the points", fontsize=9)
    draw_uncertainty_strip(figure, uncertain, values, memberships, above=main)
    uncertain.set_xlabel(name)
    return figure


def _draw_histogram_and_densities(axes: Axes, values: np.ndarray, draws: MixtureDraws,
                                  memberships: Memberships, xlim: tuple[float, float]) -> float:
    """Stacked density histogram by component and the weighted component densities; returns the tallest value."""
    present = memberships.present()
    heights, _, _ = axes.hist([values[memberships.labels == k] for k in present], bins="auto", density=True,
                              stacked=True, color=[memberships.colours[k] for k in present], alpha=0.4)
    grid = np.linspace(*xlim, 400)
    means = np.asarray(draws.means, dtype=float).mean(axis=0)[:, 0]
    scales = np.sqrt(draws.central_covariances()[:, 0, 0])
    curves = memberships.weights[:, None] * norm.pdf(grid[None, :], means[:, None], scales[:, None])
    total = curves.sum(axis=0)
    axes.plot(grid, total, color="black", linewidth=5, alpha=0.2, solid_capstyle="butt", zorder=2,
              gid="density-mixture", label="mixture")
    for k, curve in enumerate(curves):
        negligible = bool(memberships.negligible[k])
        axes.plot(grid, curve, color=memberships.colours[k], linestyle="--" if negligible else "-",
                  linewidth=1.8, alpha=0.4 if negligible else 1.0, zorder=3, gid=f"density-{k}",
                  label=f"{k}: w={format_weight(memberships.weights[k])}" + (" (negligible)" if negligible else ""))
    axes.legend(loc="best", fontsize=8)
    return float(max(np.max(heights), total.max()))
