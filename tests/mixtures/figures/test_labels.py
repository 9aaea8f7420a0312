"""bayesforge.mixtures.figures.labels: labels placed where they overlap nothing, inside their axes (a bare figure;
the labels of whole mixture figures: tests/mixtures/test_figures.py)."""
import numpy as np
from matplotlib.figure import Figure

from bayesforge.mixtures.figures.labels import LabelSpec, place_labels, renderer_of


def axes_with_a_marker():
    figure = Figure(figsize=(4, 3), layout="constrained")
    axes = figure.subplots()
    axes.set_xlim(0, 10)
    axes.set_ylim(0, 10)
    axes.plot([5.0], [5.0], "o", gid="mean-0", markersize=10)
    return figure, axes


def test_labels_on_one_anchor_overlap_neither_each_other_nor_the_marker_and_stay_inside():
    figure, axes = axes_with_a_marker()
    specs = [LabelSpec(axes, f"{k}: w=0.3{k}", (5.0, 5.0), "C0", f"label-{k}", faint=k == 2) for k in range(3)]
    texts = place_labels(figure, specs, {axes: np.zeros((0, 2))})
    renderer = renderer_of(figure)
    figure.draw_without_rendering()  # the boxes take their place when drawn
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in texts]
    assert [t.get_gid() for t in texts] == ["label-0", "label-1", "label-2"]
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(3) for j in range(i + 1, 3))
    marker = axes.lines[0].get_window_extent(renderer)
    frame = axes.get_window_extent(renderer)
    for box in boxes:
        assert not box.overlaps(marker)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    assert texts[2].get_bbox_patch().get_linestyle() in ("--", "dashed") and texts[2].get_alpha() < 1


def test_a_label_avoids_points_and_gets_a_leader_line_only_when_far():
    figure, axes = axes_with_a_marker()
    grid = np.stack(np.meshgrid(np.linspace(5.2, 9.8, 15), np.linspace(5.2, 9.8, 15)), -1).reshape(-1, 2)
    text, = place_labels(figure, [LabelSpec(axes, "0: w=1.00", (5.0, 5.0), "C1", "label-0")], {axes: grid})
    assert text.xyann[0] < 0 or text.xyann[1] < 0  # away from the points above and to the right
    assert [child.get_gid() for child in axes.texts].count("leader-0") == (np.hypot(*text.xyann) > 16.0)
    assert place_labels(figure, [], {}) == []
