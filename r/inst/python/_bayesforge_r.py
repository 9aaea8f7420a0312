"""Value conversion between R and Python for the bayesforge R package.

reticulate 1.28 (Debian's) cannot convert R arrays to NumPy 2 arrays or back,
so the R package moves arrays as raw bytes: R writes its column-major memory
with ``writeBin`` and :func:`array_from_r` reads it with ``numpy.frombuffer``;
:func:`array_to_r` lays an array out column-major in a ``bytearray`` that
reticulate hands to R as a raw vector for ``readBin``. Both are exact and take
milliseconds for 10^6 numbers. The rest of this module tells R what kind of
value it holds (:func:`kind`) and forwards R's operators to Python's.
"""
from __future__ import annotations

import operator
import warnings
from collections.abc import Mapping

import numpy as np

# R storage type -> little-endian NumPy dtype of the bytes R writes for it.
_FROM_R = {"double": "<f8", "integer": "<i4", "logical": "<i4"}
# R's NA_integer_ is INT32_MIN: integers at or below it go to R as doubles.
_R_INT_MIN, _R_INT_MAX = -(2**31) + 1, 2**31 - 1


def array_from_r(buffer, rtype, dims):
    """A C-ordered NumPy array from R's column-major bytes (``writeBin(as.vector(x), raw())``)."""
    shape = tuple(int(d) for d in dims)
    flat = np.frombuffer(buffer, dtype=_FROM_R[rtype])
    if flat.size != int(np.prod(shape, dtype=np.int64)):
        raise ValueError(f"{flat.size} values do not fill the shape {shape}")
    array = flat.reshape(shape, order="F")
    if rtype == "logical":
        return np.ascontiguousarray(array != 0)
    return np.array(array, dtype=array.dtype.newbyteorder("="), order="C")


def array_to_r(x):
    """``(bytearray, R type, dims)`` of an array laid out column-major, for R's ``readBin``.

    Floats of any precision become doubles (exactly), integers that fit R's integers become
    integers (others doubles), booleans logicals; strings come back as a list of str.
    """
    array = np.asarray(x)
    kind = array.dtype.kind
    dims = [int(d) for d in array.shape]
    if kind == "b":
        rtype, dtype = "logical", "<i4"
    elif kind in "iu":
        fits = array.size == 0 or (int(array.min()) >= _R_INT_MIN and int(array.max()) <= _R_INT_MAX)
        rtype, dtype = ("integer", "<i4") if fits else ("double", "<f8")
    elif kind == "f":
        rtype, dtype = "double", "<f8"
    elif kind in "USO":
        return [str(v) for v in array.reshape(-1, order="F").tolist()], "character", dims
    else:
        raise TypeError(f"cannot convert a NumPy array of dtype {array.dtype} to R")
    out = bytearray(array.size * 4 if dtype == "<i4" else array.size * 8)
    if array.size:
        np.frombuffer(out, dtype=dtype).reshape(array.shape, order="F")[...] = array
    return out, rtype, dims


def kind(x):
    """What R should turn ``x`` into: none, scalar, array, frame, dict, sequence or object."""
    if x is None:
        return "none"
    if isinstance(x, (bool, int, float, str, np.generic)):
        return "scalar" if not isinstance(x, (np.void, np.complexfloating)) else "object"
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency of bayesforge
        pd = None
    if pd is not None and isinstance(x, pd.DataFrame):
        return "frame"
    if pd is not None and isinstance(x, pd.Series):
        return "array"
    if isinstance(x, Mapping):
        return "dict"
    if isinstance(x, (list, tuple)):
        return "sequence"
    if hasattr(x, "__array__") and hasattr(x, "shape") and hasattr(x, "dtype"):
        return "array"
    return "object"


def scalar(x):
    """A Python bool/int/float/str for a Python or NumPy scalar."""
    return x.item() if isinstance(x, np.generic) else x


def dict_parts(x):
    """``(keys as str, values)`` of a mapping, in its order."""
    return [str(k) for k in x.keys()], list(x.values())


def frame_parts(frame):
    """``(column names, columns as arrays, row names)`` of a pandas DataFrame."""
    names = [str(c) for c in frame.columns]
    columns = [frame.iloc[:, i].to_numpy() for i in range(frame.shape[1])]
    return names, columns, [str(i) for i in frame.index]


def shape(x):
    """``x.shape`` as a list of ints, or None when ``x`` has no (static) shape."""
    value = getattr(x, "shape", None)
    if value is None:
        return None
    try:
        return [int(d) for d in value]
    except (TypeError, ValueError):
        return None


def item(sequence, i):
    return sequence[int(i)]


def binary(name, a, b):
    """R's binary operator ``name`` (operator module's name for it) applied with Python's semantics."""
    return getattr(operator, name)(a, b)


def unary(name, a):
    return getattr(operator, name)(a)


def is_callable(x):
    return callable(x)


def series_parts(series):
    """``(index as str, values)`` of a pandas Series (e.g. ArviZ's ``ELPDData``), for a named R list."""
    return [str(k) for k in series.index], list(series)


def recording_warnings(fn):
    """``fn`` wrapped to return ``(result, [warning messages])``: R re-raises them as R warnings.

    Filters are left as they are (a warning Python would not show is not recorded).
    """
    def call(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            result = fn(*args, **kwargs)
        return result, [str(w.message) for w in caught]

    return call
