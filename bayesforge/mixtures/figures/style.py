"""What every mixture figure shares: component colours and weights, point certainty, the uncertainty scale.

Ordinary components get saturated, distinct colours (never grey: a faint grey
reads as the "negligible" style); components whose posterior mean weight is
below :data:`NEGLIGIBLE_WEIGHT` keep their colour but are drawn faint and dashed.

>>> colours = component_colours(12)
>>> colours.shape
(12, 4)
>>> bool((np.ptp(colours[:, :3], axis=1) > 0.1).all())  # no grey: every colour has a hue
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize, PowerNorm
from scipy.stats import entropy

__all__ = ["NEGLIGIBLE_WEIGHT", "Memberships", "component_colours", "format_weight", "memberships",
           "uncertainty_norm", "UNCERTAINTY_COLOURMAP", "UNCERTAINTY_LABEL", "DPI"]

#: Components whose posterior mean weight is below this are drawn faint and dashed.
NEGLIGIBLE_WEIGHT = 0.02

#: Resolution of saved figures.
DPI = 120

#: Points: the more uncertain their membership, the darker (drawn on top of the certain ones).
UNCERTAINTY_COLOURMAP = "viridis_r"
UNCERTAINTY_LABEL = "membership uncertainty: entropy / log K\n(0 certain, 1 uniform over the K components)"

_MIN_POINT_ALPHA = 0.15  # a point whose membership is uniform over the K components
_GREY_INDEX_TAB10 = 7
_GREY_INDICES_TAB20 = (14, 15)


def component_colours(k: int) -> np.ndarray:
    """K distinct RGBA colours without grey: tab10 less its grey (9), then tab20's light shades (18), then hues.

    >>> [tuple(np.round(c[:3], 2)) for c in component_colours(9)][7]  # tab10's olive, not its grey
    (np.float64(0.74), np.float64(0.74), np.float64(0.13))
    """
    tab10 = [c for i, c in enumerate(colormaps["tab10"].colors) if i != _GREY_INDEX_TAB10]
    light = [c for i, c in enumerate(colormaps["tab20"].colors) if i % 2 == 1 and i not in _GREY_INDICES_TAB20]
    palette = tab10 + light
    if k <= len(palette):
        return np.array([(*c, 1.0) for c in palette[:k]])
    return colormaps["hsv"](np.linspace(0.0, 1.0, k, endpoint=False))


def format_weight(weight: float) -> str:
    """Two decimals, or one significant digit below 0.01 (so a negligible weight does not read 0.00).

    >>> format_weight(0.4975), format_weight(0.004), format_weight(0.0)
    ('0.50', '0.004', '0.00')
    """
    return f"{weight:.2f}" if weight >= 0.01 or weight == 0 else f"{weight:.1g}"


@dataclass(frozen=True)
class Memberships:
    """Per component: colour, mean weight, negligible?; per point: most probable component, certainty, uncertainty."""

    colours: np.ndarray  # K × 4 RGBA
    weights: np.ndarray  # K
    negligible: np.ndarray  # K bool
    labels: np.ndarray  # N: argmax of the membership row
    certainty: np.ndarray  # N: the largest membership probability, in [1/K, 1]
    uncertainty: np.ndarray  # N: entropy of the membership row / log K, in [0, 1]

    @property
    def num_components(self) -> int:
        return len(self.weights)

    def present(self) -> list[int]:
        """The components that are the most probable one of at least one point."""
        return [k for k in range(self.num_components) if (self.labels == k).any()]

    def point_alpha(self) -> np.ndarray:
        """0.15 for a uniform membership row, 1 for a certain one, linear in the largest probability between."""
        k = self.num_components
        if k == 1:
            return np.ones(len(self.labels))
        scaled = (self.certainty - 1.0 / k) / (1.0 - 1.0 / k)
        return np.clip(_MIN_POINT_ALPHA + (1.0 - _MIN_POINT_ALPHA) * scaled, _MIN_POINT_ALPHA, 1.0)

    def point_colours(self) -> np.ndarray:
        """Each point in its most probable component's colour, faded as that grows uncertain."""
        colours = self.colours[self.labels].copy()
        colours[:, 3] = self.point_alpha()
        return colours


def memberships(weights: np.ndarray, probabilities: np.ndarray, negligible_weight: float) -> Memberships:
    """The shared per-component and per-point quantities from S×K weight draws and N×K membership probabilities.

    >>> p = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> m = memberships(np.array([[0.6, 0.4], [0.8, 0.2]]), p, 0.02)
    >>> np.round(m.weights, 6).tolist(), m.labels.tolist(), m.certainty.tolist(), np.round(m.uncertainty, 6).tolist()
    ([0.7, 0.3], [0, 0], [0.5, 1.0], [1.0, 0.0])
    """
    mean_weights = np.asarray(weights, dtype=float).mean(axis=0)
    k = probabilities.shape[1]
    if k == 1:
        uncertainty = np.zeros(probabilities.shape[0])
    else:
        uncertainty = np.clip(entropy(np.clip(probabilities, 0.0, 1.0), axis=1) / np.log(k), 0.0, 1.0)
    return Memberships(colours=component_colours(k), weights=mean_weights, negligible=mean_weights < negligible_weight,
                       labels=probabilities.argmax(axis=1), certainty=probabilities.max(axis=1),
                       uncertainty=uncertainty)


def uncertainty_norm(uncertainty: np.ndarray) -> Normalize:
    """The colour scale of membership uncertainty: the observed range, square-root stretched.

    Most points of a good fit are near 0; a linear 0-1 scale paints them all one
    colour. The scale spans the observed values (its colour bar says which), and
    the square root spreads the small ones. When every point is (almost) equally
    certain there is nothing to spread: the scale is the full 0-1 range.

    >>> norm = uncertainty_norm(np.array([0.0, 0.01, 0.04]))
    >>> norm.vmin, norm.vmax, float(norm(0.01))
    (0.0, 0.04, 0.5)
    """
    low, high = float(np.min(uncertainty)), float(np.max(uncertainty))
    if high - low < 1e-3:
        return Normalize(vmin=0.0, vmax=1.0)
    return PowerNorm(gamma=0.5, vmin=low, vmax=high)
