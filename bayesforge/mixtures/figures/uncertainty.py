"""How sure each point's membership is: the points shaded by uncertainty, and a histogram of certainty.

The shading uses the whole colour range over the observed uncertainties
(:func:`~bayesforge.mixtures.figures.style.uncertainty_norm`), with a colour bar; the most
uncertain points are drawn last, on top. The histogram counts points by their
certainty, the largest membership probability (the ``certainty`` column of the
CLI's ``memberships.csv``), and needs no projection, so it serves any D.

>>> from matplotlib.figure import Figure
>>> from bayesforge.mixtures.figures.style import memberships
>>> p = np.array([[0.5, 0.5], [0.85, 0.15], [1.0, 0.0]])
>>> axes = Figure().subplots()
>>> draw_certainty_histogram(axes, memberships(np.full((1, 2), 0.5), p, 0.02))
>>> axes.get_title()
'membership certainty\\n2 of 3 points below 0.9'
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .plane import PlaneView, draw_mean_marker
from .style import UNCERTAINTY_COLOURMAP, UNCERTAINTY_LABEL, Memberships, uncertainty_norm

__all__ = ["draw_uncertainty_panel", "draw_uncertainty_strip", "draw_certainty_histogram", "CERTAINTY_THRESHOLD"]

#: The histogram counts the points whose certainty is below this.
CERTAINTY_THRESHOLD = 0.9
_HISTOGRAM_COLOUR = "#3b3b6d"


def _shaded_points(axes: Axes, x: np.ndarray, y: np.ndarray, memberships: Memberships,
                   hollow: np.ndarray | None = None):
    """A scatter of (x, y) coloured by uncertainty, the most uncertain on top; gid ``"uncertainty"``.

    ``hollow`` (N booleans): points drawn as rings in their colour (rows missing a plotted value).
    """
    import matplotlib

    order = np.argsort(memberships.uncertainty, kind="stable")
    norm = uncertainty_norm(memberships.uncertainty)
    filled = order if hollow is None else order[~hollow[order]]
    shown = axes.scatter(x[filled], y[filled], c=memberships.uncertainty[filled], cmap=UNCERTAINTY_COLOURMAP,
                         norm=norm, s=12, linewidths=0, gid="uncertainty")
    if hollow is not None and hollow.any():
        rings = order[hollow[order]]
        colours = matplotlib.colormaps[UNCERTAINTY_COLOURMAP](norm(memberships.uncertainty[rings]))
        axes.scatter(x[rings], y[rings], facecolors="none", edgecolors=colours, s=20, linewidths=1.0,
                     gid="uncertainty-incomplete")
    return shown


def draw_uncertainty_panel(figure: Figure, axes: Axes, view: PlaneView, memberships: Memberships) -> None:
    """The plane's points coloured by membership uncertainty, the posterior means as rings, a colour bar."""
    axes.set_gid("membership-uncertainty")
    shown = _shaded_points(axes, view.points[:, 0], view.points[:, 1], memberships, view.incomplete)
    for k, mean in enumerate(view.means):
        if not memberships.negligible[k]:
            draw_mean_marker(axes, k, mean, faint=False)
    figure.colorbar(shown, ax=axes, label=UNCERTAINTY_LABEL)
    axes.set_title("membership uncertainty (darker: less certain)", fontsize=9)


def draw_uncertainty_strip(figure: Figure, axes: Axes, values: np.ndarray, memberships: Memberships,
                           above: Axes) -> None:
    """D = 1: each point's uncertainty against its value, coloured alike; the colour bar beside it.

    The colour bar is laid out against ``axes`` and the panel ``above`` it, so
    both keep the same width and their shared x-axis stays aligned.
    """
    axes.set_gid("membership-uncertainty")
    shown = _shaded_points(axes, values, memberships.uncertainty, memberships)
    axes.set_ylim(-0.05, 1.05)
    axes.set_ylabel("entropy / log K\n(0 certain, 1 uniform)")
    figure.colorbar(shown, ax=[above, axes], shrink=0.3, anchor=(0.0, 0.0), label="uncertainty")
    axes.set_title("membership uncertainty (darker: less certain)", fontsize=9)


def draw_certainty_histogram(axes: Axes, memberships: Memberships) -> None:
    """Points counted by certainty (largest membership probability), log count scale, the 0.9 line marked."""
    axes.set_gid("membership-certainty")
    k = memberships.num_components
    low = 1.0 / k if k > 1 else 0.0
    certainty = np.clip(memberships.certainty, low, 1.0)
    axes.hist(certainty, bins=np.linspace(low, 1.0, 21), color=_HISTOGRAM_COLOUR, log=True, gid="certainty")
    axes.axvline(CERTAINTY_THRESHOLD, color="black", linestyle=":", linewidth=1.2, gid="certainty-threshold")
    below = int((memberships.certainty < CERTAINTY_THRESHOLD).sum())
    axes.set_title(f"membership certainty\n{below} of {len(certainty)} points below {CERTAINTY_THRESHOLD:g}",
                   fontsize=9)
    axes.set_xlabel("certainty\n(largest membership probability)", fontsize=9)
    axes.set_ylabel("points (log scale)", fontsize=9)
    axes.set_xlim(low - 0.02 * (1 - low), 1.0 + 0.02 * (1 - low))
