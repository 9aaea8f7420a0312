"""Component labels that overlap nothing: placed, once the layout is final, in the freest nearby spot.

A label (``"1: w=0.35"``, white rounded box edged in the component's colour)
goes next to its anchor (the component's mean) in the first of a ring of
candidate offsets that stays inside the axes, clear of every other label and
every mean marker, and covers the fewest points; far from its anchor it gets a
thin leader line. Positions are measured with the figure's renderer after its
layout engine has run, so call :func:`place_labels` when nothing else will move.

>>> from matplotlib.figure import Figure
>>> figure = Figure(figsize=(3, 3), layout="constrained")
>>> axes = figure.subplots()
>>> marker, = axes.plot([0.5], [0.5], "o", gid="mean-0")
>>> label = LabelSpec(axes, "0: w=1.00", (0.5, 0.5), colour=(0.1, 0.4, 0.7, 1.0), gid="label-0")
>>> [text] = place_labels(figure, [label], obstacles={axes: np.zeros((0, 2))})
>>> renderer = figure.canvas.get_renderer()
>>> bool(text.get_bbox_patch().get_window_extent(renderer).overlaps(marker.get_window_extent(renderer)))
False
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

__all__ = ["LabelSpec", "place_labels", "renderer_of", "LABEL_FONTSIZE"]

LABEL_FONTSIZE = 9
_PAD = 0.3  # of the font size, around the text inside its box
_DISTANCES = (9.0, 16.0, 26.0, 40.0, 58.0, 80.0)  # points from the anchor
# first choices up and to the right, as a reader expects a label
_DIRECTIONS = ((1, 1), (-1, 1), (1, -1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))
_LEADER_BEYOND = 16.0  # points: labels farther than this from their anchor get a leader line
_CLEARANCE = 2.0  # pixels kept between a label's box and anything it must not touch
_DISTANCE_COST = 0.15  # per point of distance, in points covered: a label may cover a point to stay 7 pt closer


@dataclass
class LabelSpec:
    """A label to place: its text, its anchor in data coordinates, its style."""

    axes: Axes
    text: str
    anchor: Sequence[float]
    colour: Any
    gid: str
    faint: bool = False  # a negligible component: faint text, dashed box


def renderer_of(figure: Figure):
    """The figure's renderer after its layout engine has placed the axes (an Agg canvas is attached if it has none).

    Only the layout runs (no drawing): it fixes where every axes is, which is
    all the data-to-pixel transforms need.
    """
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    engine = figure.get_layout_engine()
    if engine is not None:
        engine.execute(figure)
    return figure.canvas.get_renderer()


def place_labels(figure: Figure, labels: Sequence[LabelSpec],
                 obstacles: Mapping[Axes, np.ndarray]) -> list[Annotation]:
    """Add each label to its axes where it overlaps no other label, no mean marker and the fewest points.

    ``obstacles`` maps each axes to the data coordinates (M×2) of what a label
    should not hide (points, draws of the means). Mean markers are the axes'
    lines whose gid starts with ``"mean-"``. Returns the annotations, in order.
    """
    if not labels:
        return []
    renderer = renderer_of(figure)
    placed: dict[Axes, list[Bbox]] = {}
    texts = []
    for spec in labels:
        axes = spec.axes
        taken = placed.setdefault(axes, [])
        markers = [line.get_window_extent(renderer) for line in axes.lines
                   if (line.get_gid() or "").startswith("mean-") and line.get_visible()]
        points = axes.transData.transform(np.asarray(obstacles.get(axes, np.zeros((0, 2))), dtype=float).reshape(-1, 2))
        text = _annotation(spec)
        size = _box_size(text, renderer)
        anchor = axes.transData.transform(np.asarray(spec.anchor, dtype=float))
        offset, box = _best_spot(anchor, size, axes.get_window_extent(renderer), taken, markers, points,
                                 renderer.points_to_pixels(1.0))
        dx, dy = offset
        text.xyann = offset
        text.set_horizontalalignment("left" if dx > 0 else "right" if dx < 0 else "center")
        text.set_verticalalignment("bottom" if dy > 0 else "top" if dy < 0 else "center")
        if np.hypot(dx, dy) > _LEADER_BEYOND:
            axes.annotate("", spec.anchor, xytext=offset, textcoords="offset points", annotation_clip=False,
                          arrowprops={"arrowstyle": "-", "color": spec.colour, "linewidth": 0.8,
                                      "alpha": 0.5 if spec.faint else 0.9, "shrinkA": 0, "shrinkB": 4},
                          gid=spec.gid.replace("label", "leader"), zorder=5.5).set_in_layout(False)
        taken.append(box)
        texts.append(text)
    return texts


def _annotation(spec: LabelSpec) -> Annotation:
    box = {"boxstyle": f"round,pad={_PAD}", "facecolor": "white", "edgecolor": spec.colour, "linewidth": 0.9,
           "alpha": 0.85, "linestyle": "--" if spec.faint else "-"}
    text = spec.axes.annotate(spec.text, spec.anchor, xytext=(0, 0), textcoords="offset points",
                              fontsize=LABEL_FONTSIZE, bbox=box, alpha=0.55 if spec.faint else 1.0, zorder=6,
                              annotation_clip=False, gid=spec.gid)
    text.set_in_layout(False)
    return text


def _box_size(text: Annotation, renderer) -> tuple[float, float, float]:
    """Width and height in pixels of the label's text, and the margin around it: its box's pad plus clearance."""
    extent = text.get_window_extent(renderer)
    return extent.width, extent.height, _PAD * text.get_fontsize() * renderer.points_to_pixels(1.0) + _CLEARANCE


def _best_spot(anchor: np.ndarray, size: tuple[float, float, float], frame: Bbox, taken: list[Bbox],
               markers: list[Bbox], points: np.ndarray, pixels_per_point: float) -> tuple[tuple[float, float], Bbox]:
    """The candidate offset (points) with the fewest conflicts: outside the frame, on labels, on markers, on points.

    The text sits at the offset, aligned away from the anchor; its box reaches
    ``margin`` beyond the text on every side, towards the anchor too.
    """
    best_score, best = None, None
    width, height, margin = size
    for distance in _DISTANCES:
        for direction in _DIRECTIONS:
            unit = np.asarray(direction, dtype=float) / np.hypot(*direction)
            offset = distance * unit
            x, y = anchor + offset * pixels_per_point
            x0 = x if direction[0] > 0 else x - width if direction[0] < 0 else x - width / 2
            y0 = y if direction[1] > 0 else y - height if direction[1] < 0 else y - height / 2
            box = Bbox.from_bounds(x0 - margin, y0 - margin, width + 2 * margin, height + 2 * margin)
            outside = not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1)
            covered = int(((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
                           & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)).sum())
            score = (outside, sum(box.overlaps(other) for other in taken),
                     sum(box.overlaps(marker) for marker in markers), covered + _DISTANCE_COST * distance)
            if best_score is None or score < best_score:
                best_score, best = score, (tuple(float(v) for v in offset), box)
    return best
