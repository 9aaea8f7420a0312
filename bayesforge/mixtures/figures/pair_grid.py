"""3 ≤ D ≤ 6: a pair grid, its key and the certainty histogram in the free upper triangle.

Below the diagonal: each pair of columns with the marginal ellipses, means and
mean draws; on it: each column's histogram stacked by most probable component.
Above it: the key (a legend: each component's colour and weight, what rings,
dots, ellipses and dashes mean) in the first row and the certainty histogram in
the second, each in its own axes, so neither can cover a panel.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..draws import MixtureDraws
from .plane import coordinate_view, draw_components, frame
from .style import NEGLIGIBLE_WEIGHT, Memberships, format_weight
from .uncertainty import draw_certainty_histogram

__all__ = ["pair_grid_figure"]

_PANEL_INCHES = 2.6
_MAX_KEY_ROWS = 12


def pair_grid_figure(data: np.ndarray, draws: MixtureDraws, memberships: Memberships, names: Sequence[str],
                     negligible_weight: float = NEGLIGIBLE_WEIGHT, missing: np.ndarray | None = None) -> Figure:
    """The pair grid of ``data`` (N×D, 3 ≤ D) with columns called ``names``.

    ``missing`` (N×D booleans): cells that were missing, filled in ``data``: a panel draws
    the rows missing one of its two values hollow, a histogram counts only the observed
    values, and the key says how many rows are incomplete.
    """
    dimension = data.shape[1]
    figure = Figure(figsize=(_PANEL_INCHES * dimension, _PANEL_INCHES * dimension), layout="constrained")
    grid = figure.add_gridspec(dimension, dimension)
    for row in range(dimension):
        for column in range(row + 1):
            axes = figure.add_subplot(grid[row, column])
            if column == row:
                observed = slice(None) if missing is None else ~missing[:, row]
                _draw_dimension_histogram(axes, data[observed, row], memberships, row, observed)
            else:
                axes.set_gid(f"pair-{column}-{row}")
                draw_components(axes, coordinate_view(data, draws, (column, row), names, missing), memberships,
                                labelled=False)
            if row == dimension - 1:
                axes.set_xlabel(names[column])
            if column == 0 and row > 0:
                axes.set_ylabel(names[row])
    incomplete = 0 if missing is None else int(missing.any(axis=1).sum())
    _draw_key(figure.add_subplot(grid[0, 1:]), memberships, negligible_weight, incomplete)
    draw_certainty_histogram(figure.add_subplot(grid[1, 2:min(dimension, 4)]), memberships)
    return figure


def _draw_dimension_histogram(axes: Axes, values: np.ndarray, memberships: Memberships, dimension: int,
                              rows: Any = slice(None)) -> None:
    """The histogram of one column's ``values`` (those of ``rows``), stacked by most probable component."""
    axes.set_gid(f"histogram-{dimension}")
    present = memberships.present()
    labels = memberships.labels[rows]
    axes.hist([values[labels == k] for k in present], bins="auto", stacked=True,
              color=[memberships.colours[k] for k in present], alpha=0.7)
    axes.set_xlim(*frame(values))
    axes.set_yticks([])


def _draw_key(axes: Axes, memberships: Memberships, negligible_weight: float, incomplete: int = 0) -> None:
    """A legend alone in its axes: the components (colour, weight) and what each mark means."""
    axes.set_gid("key")
    axes.set_axis_off()
    handles = []
    for k, (colour, weight) in enumerate(zip(memberships.colours, memberships.weights)):
        faint = bool(memberships.negligible[k])
        handles.append(Line2D([], [], color=colour, linewidth=2, linestyle="--" if faint else "-",
                              alpha=0.4 if faint else 1.0,
                              label=f"component {k}: weight {format_weight(weight)}" + (" (negligible)" if faint else "")))
    dark = memberships.colours[0].copy()
    dark[:3] *= 0.45
    handles += [
        Line2D([], [], color="black", linewidth=1.5, label="ellipses: 1σ (dark), 2σ (light) at the posterior mean"),
        Line2D([], [], marker="o", markersize=9, markerfacecolor="none", markeredgecolor="black",
               linestyle="none", label="ring: posterior mean"),
        Line2D([], [], marker="o", markersize=3, color=dark, linestyle="none",
               label="dots on the ring: posterior draws of the mean"),
        Line2D([], [], color="black", linewidth=1.5, linestyle="--", alpha=0.4,
               label=f"faint, dashed: weight < {100 * negligible_weight:g} % (negligible)"),
        Patch(facecolor=memberships.colours[0], alpha=0.7,
              label="diagonal: histograms stacked by most probable component"),
        Line2D([], [], marker="o", markersize=4, color=memberships.colours[0], alpha=0.3, linestyle="none",
               label="points: faded as their membership grows uncertain"),
    ]
    if incomplete:
        handles.append(Line2D([], [], marker="o", markersize=5, markerfacecolor="none",
                              markeredgecolor=memberships.colours[0], linestyle="none",
                              label=f"hollow: {incomplete} incomplete row{'s' if incomplete != 1 else ''} (a missing "
                                    "value drawn at its mean in the row's cluster)"))
    columns = int(np.ceil(len(handles) / _MAX_KEY_ROWS))
    axes.legend(handles=handles, loc="upper left", ncols=columns, fontsize=8, frameon=False, title="key",
                title_fontsize=9, alignment="left")
