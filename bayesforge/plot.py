"""The GMM figure: points coloured by their most probable component, covariance ellipses.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot), so they render
headless and never open a window; in Jupyter the returned figure displays.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from .mixture import gaussian_mixture_draws, membership_probabilities
from .ml import as_data_matrix

__all__ = ["plot_gmm", "covariance_ellipse"]


def covariance_ellipse(mean: np.ndarray, covariance: np.ndarray, n_std: float, **style: Any) -> Ellipse:
    """The ``n_std``-σ ellipse of a 2-D Gaussian.

    >>> e = covariance_ellipse(np.zeros(2), np.diag([4.0, 1.0]), 1.0)
    >>> float(e.width), float(e.height), float(e.angle % 180)
    (4.0, 2.0, 0.0)
    """
    values, vectors = np.linalg.eigh(covariance)
    values = np.clip(values, 0.0, None)
    order = values.argsort()[::-1]
    values, vectors = values[order], vectors[:, order]
    angle = np.degrees(np.arctan2(vectors[1, 0], vectors[0, 0]))
    width, height = 2 * n_std * np.sqrt(values)
    return Ellipse(xy=mean, width=width, height=height, angle=angle, **style)


#: Components whose posterior mean weight is below this are drawn faint and dashed.
NEGLIGIBLE_WEIGHT = 0.02


def plot_gmm(X: Any, posterior, path: Any = None, dims: tuple[int, int] = (0, 1), max_draws: int = 400) -> Figure:
    """Draw data ``X`` coloured by most probable component, with 1σ/2σ ellipses per component.

    ``posterior`` is a fitted :class:`~bayesforge.posterior.Posterior` whose model
    observes a ``mixture_same_family`` of ``multivariate_normal``. For D > 2 the
    figure shows dimensions ``dims`` (marginal ellipses). Components with a mean
    weight below ``NEGLIGIBLE_WEIGHT`` are drawn faint and dashed; the axes
    frame the data. Saved to ``path`` when given.
    """
    data = as_data_matrix(X, "X")
    draws = gaussian_mixture_draws(posterior.model, posterior.model_kwargs, posterior.mcmc.get_samples(), max_draws)
    if data.shape[1] != draws.means.shape[-1]:
        raise ValueError(f"X has {data.shape[1]} columns but the mixture has {draws.means.shape[-1]} dimensions")
    if data.shape[1] == 1:
        raise ValueError("plot draws 2-D views: X must have at least 2 columns")
    i, j = dims
    probabilities = membership_probabilities(draws, data)
    labels = probabilities.argmax(axis=1)
    weights = draws.weights.mean(axis=0)
    means = draws.means.mean(axis=0)[:, [i, j]]
    covariances = draws.covariances.mean(axis=0)[:, [i, j]][:, :, [i, j]]

    figure = Figure(figsize=(7, 6), layout="constrained")
    axes = figure.add_subplot()
    colours = [axes._get_lines.get_next_color() for _ in range(draws.num_components)]
    axes.scatter(data[:, i], data[:, j], c=[colours[k] for k in labels], s=10, alpha=0.7, linewidths=0)
    for k in range(draws.num_components):
        negligible = weights[k] < NEGLIGIBLE_WEIGHT
        for n_std, alpha in ((1.0, 0.9), (2.0, 0.5)):
            axes.add_patch(covariance_ellipse(
                means[k], covariances[k], n_std, fill=False, edgecolor=colours[k], linewidth=1.5,
                alpha=alpha * (0.3 if negligible else 1.0), linestyle="--" if negligible else "-",
                label=f"component {k}" if n_std == 1.0 else None))
        axes.plot(*means[k], marker="x", color="black", markersize=8, alpha=0.3 if negligible else 1.0)
        axes.annotate(f"{k}: w={weights[k]:.2f}", means[k], textcoords="offset points", xytext=(6, 6), fontsize=8)
    low, high = data[:, [i, j]].min(axis=0), data[:, [i, j]].max(axis=0)
    margin = 0.08 * (high - low)
    axes.set_xlim(low[0] - margin[0], high[0] + margin[0])
    axes.set_ylim(low[1] - margin[1], high[1] + margin[1])
    axes.set_xlabel(f"dimension {i}")
    axes.set_ylabel(f"dimension {j}")
    axes.set_title(f"Gaussian mixture: K={draws.num_components}, N={data.shape[0]} (ellipses: 1σ, 2σ)")
    if path is not None:
        figure.savefig(Path(path), dpi=120)
    return figure
