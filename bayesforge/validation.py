"""Every check and coercion of what a user passes in: one home, called once at the public entry points.

The entry points (``m.fit``, ``m.gmm`` / ``m.dpmm`` / ``m.choose_k``, ``m.dist``, ``m.ml``,
the figures, the R and Julia front ends) call these on what they are given and pass the
checked values down; the functions below them take checked values and do not check again.
Every error names the argument and says what was expected (TypeError for a wrong kind of
value, ValueError for a wrong value).

Foreign languages hand the core numbers that are floats where Python wants integers (R's
``8`` is ``8.0``): :func:`as_int` / :func:`as_shape` accept integral floats and refuse
anything else.

>>> as_int(8.0, "K")
8
>>> as_shape([2.0, 3], "shape")
(2, 3)
>>> as_data_matrix([[1.0, 2.0], [3.0, 4.0]]).shape
(2, 2)
>>> column_names(np.zeros((2, 2))) is None
True
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["METHODS", "MISSING_OPTIONS", "as_bool", "as_data_matrix", "as_int", "as_model_value", "as_shape",
           "check_initial_means", "check_k", "check_ks", "check_method", "check_missing", "check_on_fit",
           "check_reg_covar", "check_round_to", "check_sample_weight", "column_names", "numeric_list_as_array",
           "positive_float", "check_dims", "check_feature_names", "check_negligible_weight", "check_probabilities"]


def as_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as a Python ``int``; integral floats (``8.0``) are accepted.

    Raises ``TypeError`` for non-numbers and ``ValueError`` for ``8.5`` or a
    value below ``minimum``; both messages name the argument.

    >>> as_int(3.0, "size")
    3
    >>> as_int(2.5, "size")
    Traceback (most recent call last):
    ...
    ValueError: size must be a whole number, got 2.5
    """
    if isinstance(value, np.generic):
        value = value.item()
    array = np.asarray(value) if not isinstance(value, (numbers.Number, str)) else None
    if array is not None:
        if array.shape != ():
            raise TypeError(f"{name} must be a single whole number, got an array of shape {array.shape}")
        value = array.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Integral):
        result = int(value)
    else:
        if not np.isfinite(value) or float(value) != int(value):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        result = int(value)
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {result}")
    return result


def as_shape(value: Any, name: str) -> tuple[int, ...]:
    """Return ``value`` as a shape tuple of non-negative ints.

    A single number means a one-dimensional shape; ``None`` means ``()``.

    >>> as_shape(3, "shape"), as_shape(None, "shape"), as_shape((2.0, 4), "shape")
    ((3,), (), (2, 4))
    """
    if value is None:
        return ()
    if isinstance(value, numbers.Number) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return (as_int(value, name, minimum=0),)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a whole number or a sequence of whole numbers, got {value!r}")
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a whole number or a sequence of whole numbers, got {value!r}") from None
    return tuple(as_int(v, f"{name}[{i}]", minimum=0) for i, v in enumerate(items))


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


def as_bool(value: Any, name: str) -> bool:
    """``value`` if it is True or False, else a TypeError naming ``name``.

    >>> as_bool("yes", "relabel")
    Traceback (most recent call last):
    ...
    TypeError: relabel must be True or False, got 'yes'
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def column_names(data: Any) -> tuple[str, ...] | None:
    """The column names of a table (a pandas DataFrame: ``str`` of each), or None for an array.

    >>> import pandas as pd
    >>> column_names(pd.DataFrame({"height": [1.0], 2: [3.0]}))
    ('height', '2')
    """
    columns = getattr(data, "columns", None)
    return tuple(str(c) for c in columns) if columns is not None else None


def as_model_value(value: Any) -> Any:
    """A model argument as the model gets it: numpy/pandas/array-like -> JAX arrays; numpy scalars -> Python
    scalars (static sizes); the rest unchanged.

    >>> as_model_value(np.float64(3.0)), as_model_value([1.0, 2.0]).shape
    (3.0, (2,))
    """
    if isinstance(value, jax.Array):
        return value
    if hasattr(value, "to_numpy"):  # pandas DataFrame / Series
        value = value.to_numpy()
    elif not isinstance(value, np.ndarray) and (hasattr(value, "__array__") or hasattr(value, "__array_interface__")):
        value = np.asarray(value)  # array-likes from other languages (PythonCall, reticulate, ...)
    if isinstance(value, np.ndarray):
        return jnp.asarray(value) if value.ndim else as_model_value(value.item())
    if isinstance(value, np.generic):
        return as_model_value(value.item())
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, numbers.Number) for v in value):
        return jnp.asarray(np.asarray(value))
    return value


def numeric_list_as_array(value: Any) -> Any:
    """Lists of numbers become arrays (NumPyro wants arrays); anything else, tuples (shapes) included, is unchanged."""
    if isinstance(value, list) and value:
        array = np.asarray(value)
        if array.dtype.kind in "biuf":
            return jnp.asarray(array)
    return value


def check_reg_covar(reg_covar: Any) -> float:
    """``reg_covar`` as a float ≥ 0, or an error naming it."""
    if isinstance(reg_covar, bool) or not isinstance(reg_covar, (int, float, np.integer, np.floating)):
        raise TypeError(f"reg_covar must be a number >= 0 (relative to each column's variance), got {reg_covar!r}")
    value = float(reg_covar)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"reg_covar must be a finite number >= 0 (relative to each column's variance), got {reg_covar!r}")
    return value


def check_on_fit(on_fit: Any) -> Callable[..., Any] | None:
    """``on_fit`` (called as ``on_fit(k, fit, index, total)``) if callable or None, else a TypeError."""
    if on_fit is not None and not callable(on_fit):
        raise TypeError(f"on_fit must be a function on_fit(k, fit, index, total) or None, got {type(on_fit).__name__}")
    return on_fit


def check_round_to(round_to: Any) -> Any:
    """A summary's ``round_to``: ``"auto"``, None (raw numbers; also ``"none"``), or a number of decimals >= 0.

    >>> check_round_to("none"), check_round_to(2.0)
    (None, 2)
    """
    if round_to is None or (isinstance(round_to, str) and round_to in ("auto", "none", "None")):
        return None if round_to in (None, "none", "None") else "auto"
    if isinstance(round_to, str):
        raise ValueError(f"round_to must be 'auto', a number of decimals, or None/'none' for raw numbers, got {round_to!r}")
    return as_int(round_to, "round_to", minimum=0)


def check_k(K: Any, num_points: int, name: str = "K") -> int:
    """``K`` as an int in 1..N, or a ValueError/TypeError naming ``name``."""
    k = as_int(K, name, minimum=1)
    if k > num_points:
        raise ValueError(f"{name}={k} is more than the {num_points} points in data: each component needs points")
    return k


def check_initial_means(initial_means: Any, k: int, d: int) -> np.ndarray:
    """``initial_means`` as a finite K×D array, or a ValueError naming it."""
    means = as_data_matrix(initial_means, "initial_means")
    if means.shape != (k, d):
        raise ValueError(f"initial_means must be K×D = {k}×{d} (one row per component), got shape {means.shape}")
    return means


def check_ks(ks: Iterable[Any], num_points: int) -> list[int]:
    """``ks`` (the Ks to compare) as a sorted list of distinct ints in 1..N, or an error naming ``ks``."""
    if isinstance(ks, (str, bytes)) or not isinstance(ks, Iterable):
        raise TypeError(f"ks must be a sequence of positive whole numbers (e.g. range(1, 11)), got {ks!r}")
    values = [check_k(k, num_points, "ks") for k in ks]
    if not values:
        raise ValueError("ks is empty: give the numbers of components to compare, e.g. range(1, 11)")
    if len(set(values)) != len(values):
        raise ValueError(f"ks has repeated values: {values}")
    return sorted(values)


def check_sample_weight(sample_weight: Any, num_rows: int) -> np.ndarray | None:
    """``sample_weight`` as a float array of ``num_rows`` weights ≥ 0, not all 0; None for None or all ones.

    A pandas Series or any 1-D array-like is taken as is (its order is the rows').
    """
    if sample_weight is None:
        return None
    values = sample_weight.to_numpy() if hasattr(sample_weight, "to_numpy") else sample_weight
    expected = f"sample_weight must be a 1-D array of {num_rows} numbers (one per row), got"
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{expected} {type(sample_weight).__name__} {sample_weight!r}")
    try:
        array = np.asarray(values)  # via __array__ for array-likes
    except (TypeError, ValueError):  # e.g. a ragged list
        raise TypeError(f"{expected} {type(sample_weight).__name__}") from None
    if array.ndim == 0:
        raise TypeError(f"{expected} {type(sample_weight).__name__} {sample_weight!r}")
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"sample_weight must be numbers (one per row), got an array of {array.dtype}")
    if array.shape != (num_rows,):
        raise ValueError(f"sample_weight must have one weight per row of data: shape ({num_rows},), got shape "
                         f"{array.shape}")
    array = array.astype(float)
    bad = np.flatnonzero(~np.isfinite(array))
    if len(bad):
        raise ValueError(f"sample_weight has {len(bad)} NaN/infinite value(s), the first at row {bad[0]}")
    negative = np.flatnonzero(array < 0)
    if len(negative):
        raise ValueError(f"sample_weight must be >= 0: row {negative[0]} has {array[negative[0]]:g}")
    if not array.any():
        raise ValueError("sample_weight is zero for every row: there is nothing to fit")
    if (array == 1.0).all():
        return None
    return array


#: Values of ``missing=``: refuse NaN (the default), or marginalise each row over its missing coordinates.
MISSING_OPTIONS = ("error", "marginalize")


def check_missing(missing: Any) -> str:
    """``missing`` if it is one of :data:`MISSING_OPTIONS`, else a ValueError listing them.

    >>> check_missing("impute")
    Traceback (most recent call last):
    ...
    ValueError: missing must be 'error' (the default: a NaN in the data is an error) or 'marginalize' (each row's likelihood uses the values it has), got 'impute'
    """
    if not isinstance(missing, str) or missing not in MISSING_OPTIONS:
        raise ValueError("missing must be 'error' (the default: a NaN in the data is an error) or 'marginalize' "
                         f"(each row's likelihood uses the values it has), got {missing!r}")
    return missing


#: Ways of fitting a library model: NUTS (the default) or minibatch variational inference.
METHODS = ("nuts", "vi")


def check_method(method: Any) -> str:
    """``method`` if it is one of :data:`METHODS`, else a ValueError listing them.

    >>> check_method("vi")
    'vi'
    >>> check_method("advi")
    Traceback (most recent call last):
    ...
    ValueError: method must be 'nuts' (NUTS, the default) or 'vi' (minibatch variational inference), got 'advi'
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be 'nuts' (NUTS, the default) or 'vi' (minibatch variational inference), "
                         f"got {method!r}")
    return method


def positive_float(value: Any, name: str) -> float:
    """``value`` as a finite float > 0, or an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__} {value!r}")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_probabilities(probabilities: Any, num_rows: int, num_components: int) -> np.ndarray:
    """Membership ``probabilities`` as a finite float N×K array (N rows of X, K components), or an error."""
    expected = (num_rows, num_components)
    try:
        array = np.asarray(probabilities, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"probabilities must be a numeric N×K array, got {type(probabilities).__name__}") from None
    if array.shape != expected:
        raise ValueError(f"probabilities must be an N×K array with N={expected[0]} (X's rows) and K={expected[1]} "
                         f"(the mixture's components), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("probabilities has NaN/inf values")
    return array


def check_dims(dims: Any, dimension: int) -> tuple[int, int] | None:
    """A figure's ``dims``: None, or two different column indices in 0..D−1 (``dimension`` = D ≥ 2)."""
    if dims is None:
        return None
    if dimension < 2:
        raise ValueError(f"dims selects a 2-D view but the mixture has {dimension} dimension")
    try:
        i, j = (int(d) for d in dims)
        exact = all(int(d) == d for d in dims)
    except (TypeError, ValueError):
        raise ValueError(f"dims must be a pair of column indices, got {dims!r}") from None
    if not exact or i == j or not (0 <= i < dimension and 0 <= j < dimension):
        raise ValueError(f"dims must be two different column indices in 0..{dimension - 1}, got {dims!r}")
    return i, j


def check_negligible_weight(negligible_weight: Any) -> float:
    """``negligible_weight`` as a float in [0, 1), or a ValueError naming it."""
    weight = float(negligible_weight)
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"negligible_weight must be in [0, 1), got {negligible_weight!r}")
    return weight


def check_feature_names(feature_names: Any, dimension: int) -> tuple[str, ...] | None:
    """``feature_names`` as a tuple of ``dimension`` strings (None stays None), or an error naming it.

    >>> check_feature_names(["a", "b"], 2), check_feature_names(None, 2)
    (('a', 'b'), None)
    """
    if feature_names is None:
        return None
    if isinstance(feature_names, (str, bytes)) or not hasattr(feature_names, "__iter__"):
        raise TypeError(f"feature_names must be a sequence of {dimension} column names, "
                        f"got {type(feature_names).__name__} {feature_names!r}")
    names = tuple(feature_names)
    if len(names) != dimension:
        raise ValueError(f"feature_names must name the {dimension} columns of X, got {len(names)}: {names!r}")
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"feature_names must be strings, got {names!r}")
    return names
