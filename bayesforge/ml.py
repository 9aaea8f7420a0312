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
from sklearn.cluster import KMeans

from .interop import as_int

__all__ = ["MachineLearning", "as_data_matrix", "kmeans"]


def as_data_matrix(data: Any, name: str = "data", missing: str | None = None) -> np.ndarray:
    """``data`` as a finite float N×D numpy array, or a ValueError/TypeError naming ``name``.

    ``missing``: None refuses NaN; ``"error"`` refuses it too, the message saying that
    ``missing="marginalize"`` fits rows with missing values; ``"marginalize"`` keeps NaN
    (a missing cell) and refuses only infinite values.

    >>> as_data_matrix([[1.0, float("nan")]], missing="error")
    Traceback (most recent call last):
    ...
    ValueError: data has 1 NaN/inf value(s), the first at row 0, column 1; to fit rows with missing values (NaN), pass missing="marginalize" (each row's likelihood then uses the values it has)
    """
    if hasattr(data, "to_numpy"):
        data = data.to_numpy()
    try:
        array = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric N×D array, got {type(data).__name__}") from None
    if array.ndim != 2:
        hint = f"; for one feature pass {name}.reshape(-1, 1)" if array.ndim == 1 else ""
        raise ValueError(f"{name} must be a 2-D array (N points × D features), got shape {array.shape}{hint}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if missing == "marginalize":
        bad = np.isinf(array)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(f"{name} has {int(bad.sum())} infinite value(s), the first at row {row}, column {col}: "
                             "only NaN marks a missing value")
        return array
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        hint = ""
        if missing == "error" and np.isnan(array).any():
            hint = ('; to fit rows with missing values (NaN), pass missing="marginalize" (each row\'s likelihood '
                    "then uses the values it has)")
        raise ValueError(f"{name} has {int(bad.sum())} NaN/inf value(s), the first at row {row}, column {col}{hint}")
    return array


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
    # n_init=10, not scikit-learn's "auto" (one k-means++ start): on the seed data one start
    # lands in a local optimum (inertia 978 vs 678, ARI 0.85 vs 0.96) that the GMM then inherits.
    options = {"n_init": 10, **kmeans_options}
    fitted = KMeans(n_clusters=k, random_state=as_int(random_state, "random_state"), **options).fit(
        matrix, sample_weight=sample_weight)
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
