"""bayesforge.mixtures.figures.plane_figure: the mixture panel and the uncertainty panel, plus the certainty histogram
when the plane hides dimensions."""
import numpy as np
import pytest

from bayesforge.mixtures.draws import MixtureDraws
from bayesforge.mixtures.figures.plane import coordinate_view
from bayesforge.mixtures.figures.plane_figure import plane_figure
from bayesforge.mixtures.figures.style import memberships

DRAWS = MixtureDraws("obs", np.full((3, 2), 0.5), np.array([[[-3.0, 0.0, 1.0], [3.0, 0.0, -1.0]]] * 3),
                     np.broadcast_to(np.eye(3), (3, 2, 3, 3)).copy())
DATA = np.array([[-3.0, 0.1, 1.0], [-2.5, -0.2, 0.9], [3.1, 0.0, -1.0], [2.9, 0.3, -1.2]])
SHARED = memberships(DRAWS.weights, np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.2, 0.8]]), 0.02)


@pytest.mark.parametrize("dimension, panels", [(2, ["mixture", "membership-uncertainty"]),
                                               (3, ["mixture", "membership-uncertainty", "membership-certainty"])])
def test_panels_share_the_plane_and_a_histogram_is_added_above_two_dimensions(dimension, panels):
    view = coordinate_view(DATA[:, :2] if dimension == 2 else DATA, DRAWS if dimension == 3 else MixtureDraws(
        "obs", DRAWS.weights, DRAWS.means[..., :2], DRAWS.covariances[..., :2, :2]), (0, 1), ["a", "b", "c"])
    figure, labels = plane_figure(view, SHARED, dimension)
    assert [a.get_gid() for a in figure.axes if a.get_gid()] == panels
    main, uncertain = figure.axes[:2]
    assert main.get_shared_x_axes().joined(main, uncertain) and main.get_shared_y_axes().joined(main, uncertain)
    assert (main.get_xlabel(), uncertain.get_ylabel()) == ("a", "b")
    assert [spec.gid for spec in labels] == ["label-0", "label-1"]  # placed later, once the layout is final
    assert main.get_title().startswith("points by most probable component" + view.description)
