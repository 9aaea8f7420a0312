"""The figure of one plane: the mixture panel, the uncertainty panel and, for D > 2, the certainty histogram.

For D = 2 the plane is the data's; for more dimensions (a chosen pair of
columns, or the PCA projection) the points' memberships are over all D, which a
plane can hide, so a third panel counts points by certainty, projection-free.
"""
from __future__ import annotations

from matplotlib.figure import Figure

from .labels import LabelSpec
from .plane import ELLIPSES_NOTE, PlaneView, draw_components
from .style import Memberships
from .uncertainty import draw_certainty_histogram, draw_uncertainty_panel

__all__ = ["plane_figure"]


def plane_figure(view: PlaneView, memberships: Memberships, dimension: int) -> tuple[Figure, list[LabelSpec]]:
    """The figure and the component labels still to place (see :func:`~bayesforge.mixtures.figures.labels.place_labels`)."""
    histogram = dimension > 2
    figure = Figure(figsize=(18.5 if histogram else 13, 5.5), layout="constrained")
    panels = figure.subplots(1, 3 if histogram else 2, width_ratios=[1.0, 1.0, 0.7] if histogram else [1.0, 1.0])
    main, uncertain = panels[0], panels[1]
    uncertain.sharex(main)
    uncertain.sharey(main)
    main.set_gid("mixture")
    labels = draw_components(main, view, memberships)
    main.set_title(f"points by most probable component{view.description}\n{ELLIPSES_NOTE}", fontsize=9)
    draw_uncertainty_panel(figure, uncertain, view, memberships)
    for axes in (main, uncertain):
        axes.set_xlabel(view.xlabel)
        axes.set_ylabel(view.ylabel)
    if histogram:
        draw_certainty_histogram(panels[2], memberships)
    return figure, labels
