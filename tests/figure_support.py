"""Helpers of the figure tests: synthetic mixture draws and data (no fitting), artists by gid, and the checks that a
rendered figure's texts overlap nothing."""
import weakref

import numpy as np

from bayesforge.mixtures.draws import MixtureDraws

NUM_DRAWS = 50


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


def correlated_four_dimensional():
    """Two components in 4-D with correlated first coordinates: data, draws and memberships (for pair grids)."""
    from bayesforge.mixtures.memberships import membership_probabilities

    centres = np.array([[-4.0, 0.0, 2.0, 0.0], [4.0, 1.0, -2.0, 3.0]])
    covariance = np.eye(4)
    covariance[0, 1] = covariance[1, 0] = 0.6
    draws = synthetic_draws(centres, np.array([0.5, 0.5]), covariance=covariance)
    X = synthetic_data(centres, per_component=20)
    return X, draws, membership_probabilities(draws, X)


def by_gid(artists, gid):
    return [a for a in artists if a.get_gid() == gid]


_RENDERED = weakref.WeakKeyDictionary()


def rendered(figure):
    """Draw the figure once, as saving it would (layout included), and return its renderer for extents."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if figure not in _RENDERED:
        canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
        figure.draw_without_rendering()
        _RENDERED[figure] = canvas.get_renderer()
    return _RENDERED[figure]


def text_boxes(figure, renderer):
    """Every text that is drawn (tick labels only inside the view), as (text, extent with its box)."""
    from matplotlib.text import Text

    tick_labels, shown = set(), set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = 1e-9 * (high - low)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                tick_labels.update({id(tick.label1), id(tick.label2)})
                if low - slack <= tick.get_loc() <= high + slack:
                    shown.update({id(tick.label1), id(tick.label2)})
    boxes = []
    for text in figure.findobj(Text):
        if (id(text) in tick_labels and id(text) not in shown) or not text.get_visible() or not text.get_text().strip():
            continue
        patch = text.get_bbox_patch()
        boxes.append((text, patch.get_window_extent(renderer) if patch is not None else text.get_window_extent(renderer)))
    return boxes


def assert_no_text_overlaps(figure):
    renderer = rendered(figure)
    boxes = text_boxes(figure, renderer)
    extents = np.array([box.extents for _, box in boxes])  # x0, y0, x1, y1
    x0, y0, x1, y1 = (extents[:, [i]] for i in range(4))
    overlap = (x0 < x1.T) & (x0.T < x1) & (y0 < y1.T) & (y0.T < y1)
    overlapping = [(boxes[i][0].get_text(), boxes[j][0].get_text()) for i, j in zip(*np.nonzero(np.triu(overlap, 1)))]
    assert not overlapping
    for axes in figure.axes:
        markers = [line.get_window_extent(renderer) for line in axes.lines if (line.get_gid() or "").startswith("mean-")]
        for text, box in boxes:
            if (text.get_gid() or "").startswith("label-"):
                assert not any(box.overlaps(marker) for marker in markers), text.get_text()
    return renderer, boxes


def assert_certainty_histogram(figure, probabilities):
    """The figure's certainty histogram counts every point and says how many have certainty below 0.9."""
    histogram, = by_gid(figure.axes, "membership-certainty")
    below = int((probabilities.max(axis=1) < 0.9).sum())
    assert f"{below} of {len(probabilities)} points below 0.9" in histogram.get_title()
    assert sum(bar.get_height() for bar in histogram.patches) == len(probabilities)
    line, = by_gid(histogram.lines, "certainty-threshold")
    assert set(line.get_xdata()) == {0.9}
    return below


def is_grey(colour, tolerance=0.1):
    rgb = np.asarray(colour)[:3]
    return rgb.max() - rgb.min() < tolerance
