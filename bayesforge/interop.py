"""What the R and Julia front ends need from the core: named signatures for foreign callables.

An R closure or a Julia function reaches Python as ``f(*args)``, with argument names
Python cannot see; :func:`model` gives it the signature that
:meth:`bayesforge.BayesForge.fit` matches ``data_on_model`` against. (Numbers that are
floats where Python wants integers, R's ``8`` being ``8.0``, are accepted by the entry
points' checks: :func:`bayesforge.validation.as_int` / :func:`~bayesforge.validation.as_shape`.)

>>> f = model(lambda *a: sum(a), ["x", "y"])
>>> import inspect; str(inspect.signature(f))
'(x, y)'
>>> f(1, 2), f(x=1, y=2)
(3, 3)
"""
from __future__ import annotations

import inspect
import keyword
from typing import Any, Callable, Sequence

__all__ = ["model"]


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
