"""Missing values (NaN cells) in the data of a Gaussian mixture: the ``missing=`` option and the missingness patterns.

A library mixture fitted with ``missing="marginalize"`` keeps rows with missing
cells. Each row's likelihood is then the mixture of the components' marginals over
the coordinates it has (:func:`bayesforge.likelihood.incomplete_mixture_log_prob`):
nothing is imputed before fitting, and a row contributes exactly what it observed.
This module holds what that needs besides the arithmetic:

* the option itself (``"error"``, the default, or ``"marginalize"``) is checked where it
  enters, by :func:`bayesforge.validation.check_missing`;
* :class:`Missingness`, the rows grouped by which columns they observe (a pattern),
  found once with NumPy where the data enter; few patterns for small D, so the
  likelihood runs the fused kernel once per pattern on that pattern's rows;
* :func:`check_observed_rows`, the error naming rows with every value missing;
* :func:`rows_for_kmeans` and :func:`column_spread`: the k-means start with incomplete rows.

Only NaN is a missing value; an infinite value is always an error.

>>> x = np.array([[1.0, 2.0], [np.nan, 3.0], [4.0, 5.0], [6.0, np.nan]])
>>> patterns = Missingness.of(x)
>>> patterns.observed, [r.tolist() for r in patterns.rows]
(((0, 1), (0,), (1,)), [[0, 2], [3], [1]])
>>> patterns.num_incomplete_rows, patterns.num_missing_cells
(2, 2)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

__all__ = ["Missingness", "check_observed_rows", "column_spread",
           "describe_rows", "rows_for_kmeans"]

#: k-means starts from the complete rows when there are at least this many per component, else from all rows.
COMPLETE_ROWS_PER_COMPONENT = 10


def describe_rows(rows: Any, limit: int = 10) -> str:
    """``"3, 17 and 20"``, or the first ``limit`` and how many in all.

    >>> describe_rows([3, 17, 20]), describe_rows(range(30), limit=3)
    ('3, 17 and 20', '0, 1, 2, ... (30 in all)')
    """
    rows = [int(r) for r in rows]
    if len(rows) > limit:
        return ", ".join(map(str, rows[:limit])) + f", ... ({len(rows)} in all)"
    return " and ".join([", ".join(map(str, rows[:-1])), str(rows[-1])]) if len(rows) > 1 else str(rows[0])


def check_observed_rows(matrix: np.ndarray, name: str = "data") -> None:
    """A ValueError naming the rows (numbered from 0) of ``matrix`` whose every value is missing (NaN)."""
    empty = np.flatnonzero(np.isnan(matrix).all(axis=1))
    if len(empty):
        noun = "row" if len(empty) == 1 else "rows"
        verb = "has" if len(empty) == 1 else "have"
        raise ValueError(f"{name}: {noun} {describe_rows(empty)} (numbered from 0) {verb} "
                         "every value missing (NaN): such a row says nothing about the clusters; drop it")


@dataclass(frozen=True, eq=False)
class Missingness:
    """The rows of an N×D matrix grouped by the columns they observe (not NaN).

    ``observed[p]`` are pattern p's observed columns (ascending), ``rows[p]`` its
    rows (ascending); the complete pattern, when present, comes first, then the
    others by number of rows. A static value for JAX (compared by identity), so it
    can travel with a model's arguments; :meth:`of` builds it.
    """

    observed: tuple[tuple[int, ...], ...]
    rows: tuple[np.ndarray, ...]
    num_rows: int
    dimension: int

    @classmethod
    def of(cls, matrix: Any) -> "Missingness":
        """The patterns of ``matrix`` (N×D), NaN marking a missing cell."""
        values = np.asarray(matrix)
        n, d = values.shape
        present = ~np.isnan(values)
        masks, inverse, counts = np.unique(present, axis=0, return_inverse=True, return_counts=True)
        inverse = np.asarray(inverse).reshape(-1)
        order = sorted(range(len(masks)), key=lambda p: (not masks[p].all(), -counts[p], tuple(~masks[p])))
        by_pattern = np.argsort(inverse, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)])
        rows = {p: by_pattern[starts[p]:starts[p + 1]] for p in range(len(masks))}
        return cls(observed=tuple(tuple(int(j) for j in np.flatnonzero(masks[p])) for p in order),
                   rows=tuple(rows[p] for p in order), num_rows=n, dimension=d)

    @property
    def is_complete(self) -> bool:
        """True when no cell is missing."""
        return len(self.observed) == 1 and len(self.observed[0]) == self.dimension

    @property
    def num_incomplete_rows(self) -> int:
        """Rows with at least one missing cell."""
        return sum(len(r) for o, r in zip(self.observed, self.rows) if len(o) < self.dimension)

    @property
    def num_missing_cells(self) -> int:
        """Missing cells in all."""
        return sum(len(r) * (self.dimension - len(o)) for o, r in zip(self.observed, self.rows))

    def observed_mask(self) -> np.ndarray:
        """P×D booleans: the columns each pattern observes."""
        mask = np.zeros((len(self.observed), self.dimension), dtype=bool)
        for p, columns in enumerate(self.observed):
            mask[p, list(columns)] = True
        return mask

    def describes(self, matrix: np.ndarray) -> bool:
        """Whether these are the patterns of ``matrix`` (same shape, the same cells missing)."""
        if matrix.shape != (self.num_rows, self.dimension):
            return False
        mask = self.observed_mask()
        expected = np.empty(matrix.shape, dtype=bool)
        for p, rows in enumerate(self.rows):
            expected[rows] = mask[p]
        return bool(np.array_equal(expected, ~np.isnan(matrix)))

    def __repr__(self) -> str:
        return (f"Missingness({self.num_rows}×{self.dimension}: {len(self.observed)} pattern(s), "
                f"{self.num_incomplete_rows} incomplete row(s))")


jax.tree_util.register_static(Missingness)


def column_spread(values: np.ndarray) -> np.ndarray:
    """Each column's standard deviation (ddof 0) over its observed values; NaN where fewer than 2 are observed.

    For complete data exactly ``values.std(axis=0)`` (with NaN for fewer than 2 rows).

    >>> column_spread(np.array([[0.0, 1.0], [2.0, np.nan], [4.0, np.nan]])).tolist()
    [1.632993161855452, nan]
    """
    values = np.asarray(values, dtype=float)
    observed = ~np.isnan(values)
    if observed.all():
        return values.std(axis=0) if len(values) > 1 else np.full(values.shape[1:], np.nan)
    count = observed.sum(axis=0)
    filled = np.where(observed, values, 0.0)
    mean = filled.sum(axis=0) / np.maximum(count, 1)
    variance = (np.where(observed, values - mean, 0.0) ** 2).sum(axis=0) / np.maximum(count, 1)
    return np.where(count >= 2, np.sqrt(variance), np.nan)


def rows_for_kmeans(standardised: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows k-means starts a mixture from, given standardised data with missing cells (NaN), and their indices.

    The complete rows when there are at least :data:`COMPLETE_ROWS_PER_COMPONENT` · K
    of them (an unbiased sample when cells are missing at random); otherwise every
    row, each missing cell at its column's mean (0 in standardised units). Complete
    data are returned as they are.

    >>> x = np.array([[0.0, 1.0], [np.nan, -1.0]])
    >>> rows, index = rows_for_kmeans(x, 1)
    >>> rows.tolist(), index.tolist()
    ([[0.0, 1.0], [0.0, -1.0]], [0, 1])
    """
    standardised = np.asarray(standardised, dtype=float)
    missing = np.isnan(standardised)
    everything = np.arange(len(standardised))
    if not missing.any():
        return standardised, everything
    complete = ~missing.any(axis=1)
    if complete.sum() >= COMPLETE_ROWS_PER_COMPONENT * k:
        return standardised[complete], everything[complete]
    return np.where(missing, 0.0, standardised), everything
