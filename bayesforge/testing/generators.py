"""Data recipes of the shared scenarios: each language gets bit-identical arrays generated here.

>>> sorted(GENERATORS)
['linear', 'make_blobs', 'normal']
>>> _generate_normal(n=3, loc=0.0, scale=1.0, seed=0)["y"].shape
(3,)
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["GENERATORS"]


def _generate_normal(*, n: int, loc: float, scale: float, seed: int) -> dict[str, np.ndarray]:
    """``y``: ``n`` draws from Normal(loc, scale) (NumPy's ``default_rng(seed)``)."""
    rng = np.random.default_rng(seed)
    return {"y": rng.normal(loc, scale, size=n)}


def _generate_linear(*, n: int, alpha: float, beta: float, sigma: float, seed: int,
                     x_loc: float = 0.0, x_scale: float = 1.0) -> dict[str, np.ndarray]:
    """``x`` ~ Normal(x_loc, x_scale), then ``y = alpha + beta * x + Normal(0, sigma)``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(x_loc, x_scale, size=n)
    y = alpha + beta * x + rng.normal(0.0, sigma, size=n)
    return {"x": x, "y": y}


def _generate_make_blobs(*, n_samples: int, centers: int, cluster_std: float, center_box: list,
                         random_state: int, n_features: int = 2) -> dict[str, np.ndarray]:
    """``X`` and ``labels`` from scikit-learn's ``make_blobs`` (the seed example's call)."""
    from sklearn.datasets import make_blobs

    X, labels = make_blobs(n_samples=n_samples, centers=centers, cluster_std=cluster_std,
                           center_box=tuple(center_box), n_features=n_features, random_state=random_state)
    return {"X": X, "labels": labels}


#: generator name -> (function of the recipe's parameters, names of the arrays it returns)
GENERATORS: dict[str, tuple[Callable[..., dict[str, np.ndarray]], tuple[str, ...]]] = {
    "normal": (_generate_normal, ("y",)),
    "linear": (_generate_linear, ("x", "y")),
    "make_blobs": (_generate_make_blobs, ("X", "labels")),
}

