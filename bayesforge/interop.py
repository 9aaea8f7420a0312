"""What the R and Julia front ends need from the core.

Foreign languages hand the core two kinds of value that Python code would not:

* numbers that are floats where Python wants integers (R's ``8`` is ``8.0``);
* callables whose argument names Python cannot see (an R closure or a Julia
  function reaches Python as ``f(*args)``).

:func:`as_int` / :func:`as_shape` accept integral floats and refuse anything
else with a message naming the argument; :func:`model` gives a foreign
callable the signature that :meth:`bayesforge.BayesForge.fit` matches
``data_on_model`` against.

>>> as_int(8.0, "K")
8
>>> as_shape([2.0, 3], "shape")
(2, 3)
>>> f = model(lambda *a: sum(a), ["x", "y"])
>>> import inspect; str(inspect.signature(f))
'(x, y)'
>>> f(1, 2), f(x=1, y=2)
(3, 3)
"""
from __future__ import annotations

import inspect
import keyword
import numbers
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["as_int", "as_shape", "model"]


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


def model(fn: Callable[..., Any], arg_names: Sequence[str], name: str | None = None) -> Callable[..., Any]:
    """Wrap ``fn`` (called positionally) as a model whose signature is ``arg_names``.

    ``m.fit`` matches ``m.data_on_model`` against the signature of the model,
    so a foreign callable needs one: the R package passes ``formals(f)``, the
    Julia ``@BF`` macro the Julia argument names. The wrapper passes the
    arguments through unconverted (JAX tracers stay tracers) in signature order
    and returns whatever ``fn`` returns.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    if isinstance(arg_names, str):
        raise TypeError("arg_names must be a sequence of argument names, not a single string")
    names = [str(n) for n in arg_names]
    for n in names:
        if not n.isidentifier() or keyword.iskeyword(n):
            raise ValueError(f"arg_names: {n!r} is not a valid argument name")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"arg_names: duplicated names {duplicated}")
    signature = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )

    def foreign_model(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        return fn(*(bound.arguments[n] for n in names))

    foreign_model.__signature__ = signature  # type: ignore[attr-defined]
    foreign_model.__name__ = name or getattr(fn, "__name__", None) or "model"
    foreign_model.__qualname__ = foreign_model.__name__
    foreign_model.__doc__ = getattr(fn, "__doc__", None)
    foreign_model.__wrapped_foreign__ = fn  # type: ignore[attr-defined]
    return foreign_model
