"""bayesforge.mixtures.figures.uncertainty: points shaded by membership uncertainty (most uncertain on top) and the
certainty histogram, on a bare figure."""
import numpy as np
from matplotlib.figure import Figure

from bayesforge.mixtures.figures.style import memberships
from bayesforge.mixtures.figures.uncertainty import (CERTAINTY_THRESHOLD, draw_certainty_histogram,
                                                     draw_uncertainty_strip)

PROBABILITIES = np.array([[0.5, 0.5], [0.95, 0.05], [1.0, 0.0], [0.7, 0.3], [0.2, 0.8]])
SHARED = memberships(np.array([[0.6, 0.4]]), PROBABILITIES, 0.02)


def test_the_histogram_counts_every_point_and_those_below_the_threshold():
    axes = Figure().subplots()
    draw_certainty_histogram(axes, SHARED)
    assert axes.get_gid() == "membership-certainty" and CERTAINTY_THRESHOLD == 0.9
    assert "3 of 5 points below 0.9" in axes.get_title()  # certainties 0.5, 0.7 and 0.8
    assert sum(bar.get_height() for bar in axes.patches) == 5
    assert axes.get_xlim()[0] < 0.5 < 1.0 < axes.get_xlim()[1]  # from 1/K to 1
    threshold, = [line for line in axes.lines if line.get_gid() == "certainty-threshold"]
    assert set(threshold.get_xdata()) == {0.9}


def test_the_strip_draws_the_most_uncertain_points_last_with_a_colour_bar():
    figure = Figure()
    above, strip = figure.subplots(2, 1)
    values = np.arange(5.0)
    draw_uncertainty_strip(figure, strip, values, SHARED, above=above)
    scatter, = [c for c in strip.collections if c.get_gid() == "uncertainty"]
    order = np.argsort(SHARED.uncertainty, kind="stable")
    np.testing.assert_array_equal(scatter.get_offsets()[:, 0], values[order])
    np.testing.assert_allclose(np.asarray(scatter.get_array()), SHARED.uncertainty[order])
    assert scatter.get_offsets()[-1, 0] == 0.0  # the 50/50 point is on top
    assert scatter.colorbar is not None and strip.get_ylim() == (-0.05, 1.05)
