"""The public mixture figures: :func:`plot_mixture` (posterior draws over data) and :func:`plot_gmm` (a fit).

Arguments are checked here, once; the layouts live in :mod:`.line` (D = 1),
:mod:`.plane_figure` (D = 2, a chosen pair of columns, or a PCA projection) and
:mod:`.pair_grid` (3 ≤ D ≤ 6).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from ...validation import (as_data_matrix, check_dims, check_feature_names, check_negligible_weight,
                          check_probabilities)
from ..draws import MixtureDraws, gaussian_mixture_draws
from ..memberships import membership_probabilities
from .labels import place_labels
from .line import line_figure
from .pair_grid import pair_grid_figure
from .plane import coordinate_view, pca_view
from .plane_figure import plane_figure
from .style import DPI, NEGLIGIBLE_WEIGHT, memberships as shared_memberships

__all__ = ["plot_mixture", "plot_gmm", "MAX_PAIR_GRID_DIMENSIONS", "default_feature_names"]

#: Up to this many dimensions the figure is a pair grid; beyond it, a PCA projection.
MAX_PAIR_GRID_DIMENSIONS = 6


def default_feature_names(dimension: int) -> tuple[str, ...]:
    """``x1``, ``x2``, ...: the axis names when the columns have none.

    >>> default_feature_names(3)
    ('x1', 'x2', 'x3')
    """
    return tuple(f"x{j + 1}" for j in range(dimension))


# -- checking the arguments ----------------------------------------------------------------------------
def _check_columns(data: np.ndarray, draws: MixtureDraws) -> None:
    dimension = draws.means.shape[-1]
    if data.shape[1] != dimension:
        raise ValueError(f"X has {data.shape[1]} columns but the mixture has {dimension} dimensions")


# -- the figures ------------------------------------------------------------------------------------------
def plot_mixture(X: Any, draws: MixtureDraws, probabilities: np.ndarray, path: Any = None,
                 dims: Sequence[int] | None = None, title: str | None = None,
                 negligible_weight: float = NEGLIGIBLE_WEIGHT, feature_names: Sequence[str] | None = None) -> Figure:
    """Draw posterior draws of a Gaussian mixture over data ``X`` (N×D) with membership ``probabilities`` (N×K).

    The layout follows D:

    * D = 1: a histogram of ``X`` stacked by most probable component, each
      component's weighted density (posterior mean parameters) over the
      mixture's, a rug of the points; below, each point's membership uncertainty.
    * D = 2 (or any D with ``dims``, a pair of column indices): points coloured by
      their most probable component and faded as their membership grows uncertain,
      1σ and 2σ ellipses of each component at its posterior mean, the mean as a
      hollow ring with the cloud of posterior draws of the mean on top, and
      ``k: w=0.12`` labels placed where they cover no other label and no mean;
      a second panel, "membership uncertainty", of the points coloured by the
      entropy of their membership row (divided by log K) over the observed
      range, with a colour bar; for D > 2 a third panel, the histogram of
      certainty (largest membership probability).
    * 3 ≤ D ≤ 6: a pair grid: histograms on the diagonal, 2-D marginal views below
      it; above it the key (components, weights, marks) and the certainty histogram.
    * D > 6: the ``dims`` figure in the plane of the first two principal components
      of ``X``, the axes saying how much of the variance each explains.

    Rows of ``X`` with missing cells (NaN; a row needs one observed value) are placed with
    each missing value at its mean within the row's most probable component, given what
    the row has (:func:`bayesforge.mixtures.imputation.conditional_means`), and drawn as hollow
    rings in every panel where a plotted value is missing, with a legend (the pair grid's
    key) saying how many; the histograms count observed values only.

    Axes are named by ``feature_names`` (one per column; default ``x1``, ``x2``, ...).
    Components whose posterior mean weight is below ``negligible_weight`` are
    drawn faint and dashed; no ordinary component is grey. The axes frame the
    data, not far-away components. Artists carry gids: ``"points"``,
    ``"uncertainty"``, ``"ellipse-{k}-{n}sigma"``, ``"mean-draws-{k}"``,
    ``"mean-{k}"``, ``"label-{k}"`` (``"density-{k}"`` for D = 1). Saved to
    ``path`` when given; the figure is returned.

    >>> import numpy as np
    >>> from bayesforge.mixtures.draws import MixtureDraws
    >>> from bayesforge.mixtures.memberships import membership_probabilities
    >>> rng = np.random.default_rng(1)
    >>> centres = np.array([[0.0, 0.0], [4.0, 4.0]])
    >>> means = (centres + 0.05 * rng.standard_normal((5, 2, 2))).astype(np.float32)
    >>> draws = MixtureDraws("obs", weights=np.tile([0.7, 0.3], (5, 1)), means=means,
    ...                      covariances=np.tile(np.eye(2), (5, 2, 1, 1)))
    >>> X = np.concatenate([rng.normal(c, 1.0, (20, 2)) for c in centres])
    >>> figure = plot_mixture(X, draws, membership_probabilities(draws, X), feature_names=["eruptions", "waiting"])
    >>> sorted(p.get_gid() for p in figure.axes[0].patches)
    ['ellipse-0-1sigma', 'ellipse-0-2sigma', 'ellipse-1-1sigma', 'ellipse-1-2sigma']
    >>> figure.axes[0].get_xlabel(), figure.axes[0].get_ylabel()
    ('eruptions', 'waiting')
    """
    data = as_data_matrix(X, "X", missing="marginalize")
    _check_columns(data, draws)
    probabilities = check_probabilities(probabilities, data.shape[0], draws.num_components)
    return _figure(data, draws, probabilities, path=path, dims=dims, title=title, negligible_weight=negligible_weight,
                   feature_names=feature_names)


#: The options of plot_mixture besides the data, draws, probabilities, path and dims.
_FIGURE_OPTIONS = ("title", "negligible_weight", "feature_names")


def _figure(data: np.ndarray, draws: MixtureDraws, probabilities: np.ndarray, path: Any = None,
            dims: Sequence[int] | None = None, title: str | None = None,
            negligible_weight: float = NEGLIGIBLE_WEIGHT, feature_names: Sequence[str] | None = None) -> Figure:
    """:func:`plot_mixture` of checked ``data`` (N×D), ``draws`` and ``probabilities`` (N×K); the options are
    checked here."""
    dimension = data.shape[1]
    missing = np.isnan(data)
    if missing.any():
        from ..imputation import conditional_means

        data = conditional_means(draws, data, components=probabilities.argmax(axis=1))
    else:
        missing = None
    pair = check_dims(dims, dimension)
    names = check_feature_names(feature_names, dimension)
    names = default_feature_names(dimension) if names is None else names
    negligible_weight = check_negligible_weight(negligible_weight)
    memberships = shared_memberships(draws.weights, probabilities, negligible_weight)
    default_title = f"Gaussian mixture: K={draws.num_components}, N={data.shape[0]}, D={dimension}"

    labels = []
    if dimension == 1:
        figure = line_figure(data[:, 0], draws, memberships, names[0])
    elif pair is not None or dimension == 2:
        figure, labels = plane_figure(coordinate_view(data, draws, pair or (0, 1), names, missing), memberships,
                                      dimension)
    elif dimension <= MAX_PAIR_GRID_DIMENSIONS:
        figure = pair_grid_figure(data, draws, memberships, names, negligible_weight, missing)
    else:
        view = pca_view(data, draws, missing)
        figure, labels = plane_figure(view, memberships, dimension)
        default_title += " — PCA projection onto PC1, PC2"
    figure.suptitle(title if title is not None else default_title)
    place_labels(figure, labels, obstacles=_obstacles(figure, labels))
    if path is not None:
        figure.savefig(Path(path), dpi=DPI)
    return figure


def _obstacles(figure: Figure, labels) -> dict:
    """Per labelled axes, the data coordinates a label should not hide: the points and the draws of the means."""
    obstacles = {}
    for axes in {spec.axes for spec in labels}:
        offsets = [collection.get_offsets() for collection in axes.collections
                   if (collection.get_gid() or "").startswith(("points", "mean-draws-"))]
        obstacles[axes] = np.concatenate([np.asarray(o, dtype=float).reshape(-1, 2) for o in offsets])
    return obstacles


def plot_gmm(X: Any, posterior: Any, path: Any = None, dims: Sequence[int] | None = None,
             max_draws: int = 400, **options: Any) -> Figure:
    """:func:`plot_mixture` for a fitted model: the figure behind ``m.plot(X=...)``.

    ``posterior`` is a fitted :class:`~bayesforge.posterior.Posterior` (anything
    with ``model``, ``model_kwargs`` and ``draws``, a dict of draws with chains
    stacked) whose model observes a ``mixture_same_family`` of
    ``multivariate_normal``. Up to ``max_draws`` draws are used; ``options``
    (``title``, ``negligible_weight``, ``feature_names``) go to :func:`plot_mixture`.

    >>> from types import SimpleNamespace
    >>> import numpy as np, jax.numpy as jnp, numpyro, numpyro.distributions as dist
    >>> def model(X):
    ...     w = numpyro.sample("w", dist.Dirichlet(jnp.ones(2)))
    ...     mu = numpyro.sample("mu", dist.Normal(0.0, 5.0).expand([2, 2]).to_event(2))
    ...     components = dist.MultivariateNormal(mu, jnp.eye(2))
    ...     numpyro.sample("obs", dist.MixtureSameFamily(dist.Categorical(w), components), obs=X)
    >>> rng = np.random.default_rng(2)
    >>> X = np.concatenate([rng.normal(-3.0, 1.0, (20, 2)), rng.normal(3.0, 1.0, (20, 2))])
    >>> mu = np.array([[-3.0, -3.0], [3.0, 3.0]]) + 0.05 * rng.standard_normal((5, 2, 2))
    >>> draws = {"w": np.full((5, 2), 0.5), "mu": mu}  # 5 posterior draws, chains stacked
    >>> posterior = SimpleNamespace(model=model, model_kwargs={"X": X}, draws=draws)
    >>> figure = plot_gmm(X, posterior)
    >>> len(figure.axes[0].patches)
    4
    """
    data = as_data_matrix(X, "X", missing="marginalize")
    unknown = [name for name in options if name not in _FIGURE_OPTIONS]
    if unknown:
        raise TypeError(f"plot_mixture() got an unexpected keyword argument {unknown[0]!r}")
    draws = gaussian_mixture_draws(posterior.model, posterior.model_kwargs, posterior.draws, max_draws)
    _check_columns(data, draws)
    return _figure(data, draws, membership_probabilities(draws, data), path=path, dims=dims, **options)
