"""bayesforge.mixtures.figures.pair_grid: 3 ≤ D ≤ 6 columns drawn as a pair grid with its key and the certainty
histogram (the 4-D grid checked panel by panel: tests/mixtures/test_figures.py)."""
import numpy as np

from bayesforge.mixtures.figures import MAX_PAIR_GRID_DIMENSIONS, plot_mixture
from bayesforge.mixtures.memberships import membership_probabilities
from figure_support import assert_certainty_histogram, by_gid, synthetic_data, synthetic_draws


def test_a_pair_grid_has_a_certainty_histogram():
    rng = np.random.default_rng(7)
    centres = rng.normal(0.0, 1.2, (2, 3))  # overlapping: some points are uncertain
    draws = synthetic_draws(centres, np.array([0.5, 0.5]))
    X = synthetic_data(centres, per_component=20)
    probabilities = membership_probabilities(draws, X)
    assert 0 < assert_certainty_histogram(plot_mixture(X, draws, probabilities), probabilities) < len(X)


def test_the_key_names_every_component_and_the_grid_has_a_panel_per_pair():
    rng = np.random.default_rng(2)
    centres = rng.normal(0.0, 5.0, (3, MAX_PAIR_GRID_DIMENSIONS))
    draws = synthetic_draws(centres, np.array([0.5, 0.49, 0.01]), num_draws=5)
    X = synthetic_data(centres[:2], per_component=6)
    figure = plot_mixture(X, draws, membership_probabilities(draws, X), title="six columns")
    d = MAX_PAIR_GRID_DIMENSIONS
    assert len([a for a in figure.axes if (a.get_gid() or "").startswith("pair-")]) == d * (d - 1) // 2
    assert len([a for a in figure.axes if (a.get_gid() or "").startswith("histogram-")]) == d
    texts = [t.get_text() for t in by_gid(figure.axes, "key")[0].get_legend().get_texts()]
    assert texts[:3] == ["component 0: weight 0.50", "component 1: weight 0.49", "component 2: weight 0.01 (negligible)"]
    assert figure.get_suptitle() == "six columns"
