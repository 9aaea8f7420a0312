"""The Gaussian-mixture figures: the fitted mixture over its data, and the criteria for choosing K.

:func:`plot_mixture` draws posterior draws of a mixture (a
:class:`~bayesforge.mixtures.draws.MixtureDraws`) over data ``X``: points coloured by
their most probable component and faded by how uncertain that is, 1σ/2σ
ellipses, each posterior mean as a ring under the cloud of its posterior draws,
labels that overlap nothing, and the membership uncertainty over its observed
range. D = 1 gives a histogram with density curves, 3 to 6 dimensions a pair
grid, more a PCA projection; axes carry the columns' names.
:func:`plot_gmm` does the same for a fitted model (``m.plot(X=...)``), and
:func:`plot_k_selection` draws PSIS-LOO, WAIC, BIC and r̂ against K, marking
the K whose chains did not converge.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot), so they render
headless and never open a window; in Jupyter the returned figure displays.

Modules: :mod:`.mixture_figure` (the public mixture figures, argument checks),
:mod:`.style` (colours, certainty, the uncertainty scale), :mod:`.plane`
(one 2-D panel of a mixture), :mod:`.labels` (placing labels), :mod:`.uncertainty`,
:mod:`.line` (D = 1), :mod:`.plane_figure`, :mod:`.pair_grid`, :mod:`.k_selection`.

>>> import numpy as np
>>> from bayesforge.mixtures.draws import MixtureDraws
>>> from bayesforge.mixtures.memberships import membership_probabilities
>>> rng = np.random.default_rng(0)
>>> centres = np.array([[-3.0, 0.0], [3.0, 0.0]])
>>> means = (centres + 0.05 * rng.standard_normal((5, 2, 2))).astype(np.float32)  # float32, as fits give
>>> draws = MixtureDraws("obs", weights=np.full((5, 2), 0.5), means=means, covariances=np.tile(np.eye(2), (5, 2, 1, 1)))
>>> X = np.concatenate([rng.normal(c, 1.0, (20, 2)) for c in centres])
>>> figure = plot_mixture(X, draws, membership_probabilities(draws, X))
>>> [axes.get_gid() for axes in figure.axes[:2]]
['mixture', 'membership-uncertainty']
"""
from .k_selection import plot_k_selection
from .mixture_figure import MAX_PAIR_GRID_DIMENSIONS, plot_gmm, plot_mixture
from .plane import covariance_ellipse
from .style import NEGLIGIBLE_WEIGHT

__all__ = ["plot_mixture", "plot_gmm", "plot_k_selection", "covariance_ellipse", "NEGLIGIBLE_WEIGHT",
           "MAX_PAIR_GRID_DIMENSIONS"]
