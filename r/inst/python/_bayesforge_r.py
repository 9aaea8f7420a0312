"""Value conversion between R and Python for the bayesforge R package.

reticulate 1.28 (Debian's) cannot convert R arrays to NumPy 2 arrays or back,
so the R package moves arrays as raw bytes: R writes its column-major memory
with ``writeBin`` and :func:`array_from_r` reads it with ``numpy.frombuffer``;
:func:`array_to_r` lays an array out column-major in a ``bytearray`` that
reticulate hands to R as a raw vector for ``readBin``. Both are exact and take
milliseconds for 10^6 numbers. The rest of this module tells R what kind of
value it holds (:func:`kind`), forwards R's operators to Python's, and answers
the few questions the R methods ask of a fit (its parameter names, its
pointwise log-likelihood, the workspace's last fit as a ``MixtureFit``).
"""
from __future__ import annotations

import inspect
import operator
import warnings

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


def frame_from_r(buffer, rtype, dims, names):
    """A pandas DataFrame (columns ``names``) from R's column-major bytes of an N×D matrix."""
    import pandas as pd

    return pd.DataFrame(array_from_r(buffer, rtype, dims), columns=[str(n) for n in names])


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
        # numbers are a vector; a Series of mixed values (ArviZ's ELPDData) a named list
        return "array" if x.dtype.kind in "biuf" else "series"
    if isinstance(x, dict):  # not every Mapping: ArviZ's InferenceData is one, and stays an object
        return "dict"
    if isinstance(x, (list, tuple)):
        return "strings" if x and all(isinstance(v, str) for v in x) else "sequence"
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


def positional_names(fn):
    """Names of the parameters of ``fn`` that R's unnamed arguments fill, in order; None when unknown.

    None when ``fn`` takes ``*args`` or has no signature (then R's arguments go positionally).
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def attribute(x, name, default=None):
    """``getattr(x, name, default)``: for members a fit may not have in every version of the core."""
    return getattr(x, name, default)


def component_axes(posterior):
    """``{site: positive axis of one draw's value that indexes components}`` of a relabelled mixture, else {}."""
    from bayesforge.mixtures.relabel import relabelling_of

    relabelling = relabelling_of(posterior)
    if relabelling is None:
        return {}
    layout = relabelling.layout
    draws = posterior.by_chain()
    return {site: axis % (np.ndim(draws[site]) - 2) for site, axis in layout.component_axes.items() if site in draws}


def draw_shapes(posterior):
    """``{site: shape of one draw}`` of a posterior's draws, in their order."""
    return {site: [int(d) for d in np.shape(v)[2:]] for site, v in posterior.by_chain().items()}


def log_likelihood_by_chain(idata, var_name=None):
    """Pointwise log-likelihood of one observed site as (chains, draws, points), points flattened."""
    group = getattr(idata, "log_likelihood", None)
    if group is None:
        raise ValueError("the fit has no pointwise log-likelihood (InferenceData without a log_likelihood group)")
    names = [str(v) for v in group.data_vars]
    if var_name is None:
        if len(names) != 1:
            raise ValueError(f"the fit observes several sites {names}; choose one with var_name")
        var_name = names[0]
    if var_name not in names:
        raise ValueError(f"var_name must be one of the observed sites {names}, got {var_name!r}")
    values = np.asarray(group[var_name])
    return values.reshape(values.shape[0], values.shape[1], -1)


def workspace_mixture(m, max_draws):
    """The workspace's last fit as a :class:`~bayesforge.mixtures.result.MixtureFit` (for its memberships)."""
    from bayesforge.validation import as_int
    from bayesforge.mixtures.gmm import GMM
    from bayesforge.mixtures.result import MixtureFit
    from bayesforge.mixtures.relabel import find_mixture_layout, relabelling_of

    posterior = m.posterior
    relabelling = relabelling_of(posterior)
    layout = None if relabelling is None else relabelling.layout
    if layout is None:
        first = {k: v[0, 0] for k, v in posterior.by_chain().items()}
        with posterior.devices.context():
            layout = find_mixture_layout(posterior.model, posterior.model_kwargs, first)
    if layout is None:
        raise ValueError("m's last fit does not observe a Gaussian mixture "
                         "(mixture_same_family of multivariate_normal): it has no memberships")
    return MixtureFit.from_posterior(posterior, np.asarray(layout.observed), GMM(K=layout.num_components),
                                     max_draws=as_int(max_draws, "max_draws", minimum=1))


def close_figure(figure):
    """Close a matplotlib figure the R side has saved (pyplot keeps every open figure alive)."""
    import matplotlib.pyplot as plt

    plt.close(figure)
