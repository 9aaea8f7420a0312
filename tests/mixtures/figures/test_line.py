"""bayesforge.mixtures.figures.line: D = 1, a histogram by most probable component under each component's weighted
density (the figure drawn through plot_mixture: tests/mixtures/test_figures.py)."""
import numpy as np
from scipy.stats import norm

from bayesforge.mixtures.draws import MixtureDraws
from bayesforge.mixtures.figures.line import line_figure
from bayesforge.mixtures.figures.style import memberships


def test_the_mixture_curve_is_the_sum_of_the_weighted_component_densities():
    draws = MixtureDraws("obs", np.array([[0.25, 0.74, 0.01]] * 2), np.array([[[-2.0], [3.0], [9.0]]] * 2),
                         np.array([[[[1.0]], [[4.0]], [[1.0]]]] * 2))
    values = np.array([-2.5, -1.5, 2.0, 3.0, 4.0, 5.0])
    probabilities = np.array([[1.0, 0.0, 0.0]] * 2 + [[0.0, 1.0, 0.0]] * 4)
    figure = line_figure(values, draws, memberships(draws.weights, probabilities, 0.02), "height")
    main = figure.axes[0]
    curves = {line.get_gid(): line for line in main.lines}
    x, total = curves["density-mixture"].get_data()
    expected = 0.25 * norm.pdf(x, -2.0, 1.0) + 0.74 * norm.pdf(x, 3.0, 2.0) + 0.01 * norm.pdf(x, 9.0, 1.0)
    np.testing.assert_allclose(total, expected, rtol=1e-10)
    np.testing.assert_allclose(curves["density-1"].get_ydata(), 0.74 * norm.pdf(x, 3.0, 2.0), rtol=1e-10)
    assert curves["density-2"].get_linestyle() == "--" and curves["density-0"].get_linestyle() == "-"
    legend = [t.get_text() for t in main.get_legend().get_texts()]
    assert legend == ["mixture", "0: w=0.25", "1: w=0.74", "2: w=0.01 (negligible)"]
    assert figure.axes[1].get_xlabel() == "height" and x.min() < values.min() and x.max() > values.max()
    rug, = [c for c in main.collections if c.get_gid() == "points"]
    assert len(rug.get_offsets()) == len(values)
