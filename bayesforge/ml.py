"""``m.ml``: classical machine learning used around Bayesian models (k-means to initialise mixtures).

>>> import numpy as np
>>> ml = MachineLearning()
>>> X = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 10]
>>> ml.KMEANS(X, n_clusters=2)["centroids"].shape
(2, 2)
>>> sorted(ml.results)
['centroids', 'inertia', 'labels', 'model']

:func:`kmeans` is the same without storing anything (what the library models use,
so fitting a mixture never changes ``m.ml.results``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .validation import as_data_matrix, as_int

__all__ = ["MachineLearning", "fit_kmeans", "kmeans"]


def kmeans(data: Any, n_clusters: Any, random_state: Any = 0, sample_weight: Any = None,
           **kmeans_options: Any) -> dict[str, Any]:
    """k-means (scikit-learn's ``KMeans``, best of ``n_init=10`` starts) on N×D ``data``.

    Returns ``centroids`` (K×D), ``labels`` (N,), ``inertia`` and the fitted
    scikit-learn ``model``; stores nothing. ``sample_weight`` (N,), checked by the
    caller: scikit-learn's weights (a row of weight 2 counts as two).

    >>> import numpy as np
    >>> sorted(kmeans(np.r_[np.zeros((3, 1)), np.ones((3, 1))], 2)["centroids"].ravel().tolist())
    [0.0, 1.0]
    """
    matrix = as_data_matrix(data)
    k = as_int(n_clusters, "n_clusters", minimum=1)
    if k > matrix.shape[0]:
        raise ValueError(f"n_clusters={k} is more than the {matrix.shape[0]} points in data")
    return fit_kmeans(matrix, k, random_state=as_int(random_state, "random_state"), sample_weight=sample_weight,
                      **kmeans_options)


def fit_kmeans(matrix: np.ndarray, k: int, random_state: int = 0, sample_weight: np.ndarray | None = None,
               **kmeans_options: Any) -> dict[str, Any]:
    """:func:`kmeans` on values already checked (a finite N×D float array, 1 <= ``k`` <= N, an int seed).

    What the library models call on data their entry point has checked; the same result as :func:`kmeans`.
    """
    # n_init=10, not scikit-learn's "auto" (one k-means++ start): on the seed data one start
    # lands in a local optimum (inertia 978 vs 678, ARI 0.85 vs 0.96) that the GMM then inherits.
    from sklearn.cluster import KMeans  # here, not at import: scikit-learn takes a second to import (bf() starts faster)

    options = {"n_init": 10, **kmeans_options}
    fitted = KMeans(n_clusters=k, random_state=random_state, **options).fit(matrix, sample_weight=sample_weight)
    return {
        "centroids": fitted.cluster_centers_,
        "labels": fitted.labels_,
        "inertia": float(fitted.inertia_),
        "model": fitted,
    }


class MachineLearning:
    """Per-``bf()`` machine-learning helpers; ``results`` holds the last result."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}

    def KMEANS(self, data: Any, n_clusters: Any, random_state: Any = 0, **kmeans_options: Any) -> dict[str, Any]:
        """k-means (:func:`kmeans`) on N×D ``data``; the result is also kept in ``self.results``.

        Returns ``centroids`` (K×D), ``labels`` (N,), ``inertia`` and the fitted
        scikit-learn ``model``.
        """
        self.results = kmeans(data, n_clusters, random_state=random_state, **kmeans_options)
        return self.results
