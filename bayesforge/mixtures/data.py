"""The data of a library mixture, checked once: an N×D matrix, column names, each column's mean and sd.

Precision. Data are refused before fitting, with an error naming the column, when
a column has no spread (:func:`prepare_data`), or when the fit's float type
(float32, or float64 with ``bf(x64=True)``) cannot carry it: deviations whose
squares overflow, a spread so small that variances underflow, or values so large
against their spread that the float type rounds them by more than 1 % of it.

>>> import numpy as np
>>> prepare_data(np.c_[np.arange(4.0), np.ones(4)], x64=False)
Traceback (most recent call last):
...
ValueError: data: column 1 has the same value (1) in every row: a Gaussian mixture needs spread in every column; drop that column
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..distributed import column_moments, refuse_distributed
from ..missing import Missingness, check_observed_rows, column_spread
from ..validation import as_data_matrix, check_missing, column_names

__all__ = ["MixtureData", "describe_column", "prepare_data"]

#: Squares of deviations (and of the component scales around them) must stay this far below the float's largest value,
OVERFLOW_MARGIN = 1e6
#: and a column's variance this far above its smallest normal value (room for the covariance floor's 1e-6 and more).
UNDERFLOW_MARGIN = 1e8
#: Largest rounding of a column's values by the float type, as a share of the column's sd.
RESOLUTION = 1e-2


@dataclass(frozen=True)
class MixtureData:
    """Checked N×D data for a library mixture: the matrix, column names, and each column's mean and sd (> 0)."""

    matrix: np.ndarray
    feature_names: tuple[str, ...] | None
    location: np.ndarray
    scale: np.ndarray
    #: With ``missing="marginalize"`` and NaN cells in ``matrix``: its rows grouped by missingness pattern.
    missingness: Missingness | None = None
    #: The ``missing=`` option the data were checked with: "error" (no NaN) or "marginalize".
    missing: str = "error"
    #: Row weights (N,), or None: each row's log-likelihood counts this many times (:mod:`bayesforge.mixtures.weights`).
    sample_weight: np.ndarray | None = None


def describe_column(j: int, names: tuple[str, ...] | None) -> str:
    """``"column 2"``, or ``"column 2 ('height')"`` when the data had column names (numbered from 0)."""
    return f"column {j}" if names is None else f"column {j} ({names[j]!r})"


def prepare_data(data: Any, *, x64: bool, name: str = "data", missing: str = "error") -> MixtureData:
    """``data`` checked for a library mixture fit in float64 (``x64``) or float32; see the module docstring.

    A pandas DataFrame keeps its column names (``feature_names``). Errors name
    the column, numbered from 0. ``missing="marginalize"`` keeps NaN cells (missing
    values; a row with none observed is an error naming it) and groups the rows by
    missingness pattern (``missingness``); the columns' means and sds are then over
    their observed values.

    >>> prepare_data([[0.0, 1.0], [2.0, 5.0]], x64=False).scale.tolist()
    [1.0, 2.0]
    """
    names = column_names(data)
    matrix = as_data_matrix(data, name, missing=check_missing(missing))
    missingness = _missingness(matrix, names, name) if missing == "marginalize" else None
    with np.errstate(over="ignore", invalid="ignore"):  # a column whose squares overflow is refused below
        if missingness is None:
            location, scale = column_moments(matrix)  # over every process's rows when distributed
        else:
            location, scale = np.nanmean(matrix, axis=0), column_spread(matrix)
    flat = np.flatnonzero((np.nanmax(matrix, axis=0) - np.nanmin(matrix, axis=0)) == 0)
    if len(flat) == matrix.shape[1]:
        raise ValueError(f"{name}: all {matrix.shape[0]} rows are the same point (every column, from "
                         f"{describe_column(0, names)} on, has a single value): there is nothing to cluster")
    if len(flat):
        j = int(flat[0])
        raise ValueError(f"{name}: {describe_column(j, names)} has the same value ({np.nanmax(matrix[:, j]):.6g}) in "
                         f"every row{'' if missingness is None else ' that has it'}: a Gaussian mixture needs spread "
                         "in every column; drop that column")
    _check_precision(matrix, location, scale, names, x64, name)
    return MixtureData(matrix=matrix, feature_names=names, location=location, scale=scale, missingness=missingness,
                       missing=missing)


def _missingness(matrix: np.ndarray, names: tuple[str, ...] | None, name: str) -> Missingness | None:
    """The missingness patterns of ``matrix`` (None when no cell is missing), after checking rows and columns."""
    if not np.isnan(matrix).any():
        return None
    refuse_distributed("missing values (missing='marginalize')")
    check_observed_rows(matrix, name)
    observed = (~np.isnan(matrix)).sum(axis=0)
    if (observed < 2).any():
        j = int(np.flatnonzero(observed < 2)[0])
        raise ValueError(f"{name}: {describe_column(j, names)} has {int(observed[j])} observed value(s): a Gaussian "
                         "mixture needs at least 2 (and spread) in every column; drop that column")
    return Missingness.of(matrix)


def _check_precision(matrix, location, scale, names, x64: bool, name: str) -> None:
    dtype = np.dtype(np.float64 if x64 else np.float32)
    info = np.finfo(dtype)
    x64_hint = "" if x64 else ", or fit in float64 with bf(x64=True)"
    largest = np.nanmax(np.abs(matrix), axis=0)
    deviation = np.nanmax(np.abs(matrix - location), axis=0)
    with np.errstate(over="ignore"):
        too_large = (largest > info.max / OVERFLOW_MARGIN) | (deviation**2 > info.max / OVERFLOW_MARGIN)
    too_small = scale**2 < info.tiny * UNDERFLOW_MARGIN
    coarse = info.eps * largest > RESOLUTION * scale
    for j in range(matrix.shape[1]):
        column = describe_column(j, names)
        if too_large[j]:
            raise ValueError(
                f"{name}: {column} is too large for {dtype} (values up to {largest[j]:.3g}, sd {scale[j]:.3g}): the "
                f"fit squares deviations of that size, which overflow {dtype} (largest {info.max:.3g}); "
                f"divide it by a power of ten{x64_hint}")
        if too_small[j]:
            raise ValueError(
                f"{name}: {column} varies too little for {dtype} (sd {scale[j]:.3g}): its variances underflow "
                f"{dtype} (smallest normal {info.tiny:.3g}); multiply it by a power of ten{x64_hint}")
        if coarse[j]:
            raise ValueError(
                f"{name}: {column} is too far from zero for its spread in {dtype}: values up to {largest[j]:.3g} "
                f"are rounded by up to {info.eps * largest[j]:.2g}, more than {RESOLUTION:.0%} of its sd "
                f"{scale[j]:.3g}; subtract an offset such as its mean{x64_hint}")

