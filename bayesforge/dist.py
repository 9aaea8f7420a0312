"""``m.dist``: every NumPyro distribution under its snake_case name.

The names are found by introspecting ``numpyro.distributions`` (classes and
the factory functions such as ``Categorical`` and ``Bernoulli``), never written
out one by one, so a new NumPyro distribution appears here by itself. Two are
BayesForge's drop-ins (:mod:`bayesforge.distributions`): ``multivariate_normal``
(no LAPACK for D ≤ 16) and ``mixture_same_family``, which for a ``categorical``
mixture of ``multivariate_normal`` components is a ``GaussianMixture`` scored by
the fused kernel of :mod:`bayesforge.likelihood`.

One call does what a NumPyro user writes in three::

    m.dist.half_cauchy(1, shape=(D,), event=1, name="sigma")
    # == numpyro.sample("sigma", dist.HalfCauchy(1).expand((D,)).to_event(1))

Keywords every distribution takes besides its own parameters:

``name``        the sample site's name (needed inside a model)
``obs``         observed values
``mask``        boolean mask of the log-density (``Distribution.mask``)
``shape``       batch shape to expand to (``Distribution.expand``)
``event``       number of batch dimensions turned into event dimensions
``create_obj``  return the distribution object instead of sampling
``sample``      draw outside a model, with ``seed`` and ``sample_shape``
``infer``       NumPyro's ``infer`` dict for the site

>>> from bayesforge.dist import Distributions
>>> d = Distributions()
>>> d.normal(0.0, 1.0, shape=(3,), event=1, create_obj=True).event_shape
(3,)
>>> d.normal(0.0, 1.0, sample=True, seed=0, sample_shape=(2,)).shape
(2,)
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import inspect
import numbers
import re
from typing import Any, Callable, ContextManager, Mapping

import jax
import numpy as np
import numpyro
import numpyro.distributions as npd
from numpyro.primitives import _PYRO_STACK

from .distributions import REPLACEMENTS
from .validation import as_int, as_shape, numeric_list_as_array

__all__ = ["Distributions", "DistributionFactory", "registry", "snake_case"]

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_DISTRIBUTIONS = {"Distribution"}  # abstract base: nothing to construct
_OWN_NAMES = ("plate", "deterministic", "factor")
# Parameters NumPyro needs as Python ints (shapes are built from them); R sends 2 as 2.0.
_COUNT_PARAMETERS = frozenset({"dimension", "num_steps", "reinterpreted_batch_ndims", "event_dim", "total_count_max"})


def snake_case(name: str) -> str:
    """``"LKJCholesky"`` -> ``"lkj_cholesky"``, ``"MultivariateNormal"`` -> ``"multivariate_normal"``.

    >>> [snake_case(n) for n in ["HalfCauchy", "LKJCholesky", "CAR", "NegativeBinomial2"]]
    ['half_cauchy', 'lkj_cholesky', 'car', 'negative_binomial2']
    """
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _is_distribution_constructor(name: str, obj: Any) -> bool:
    if name in _NOT_DISTRIBUTIONS or not name[:1].isupper():
        return False
    if inspect.isclass(obj):
        return issubclass(obj, npd.Distribution)
    # NumPyro's factory functions (Categorical, Bernoulli, ...) pick a class from their arguments.
    return inspect.isfunction(obj)


@functools.cache
def registry() -> Mapping[str, Callable[..., npd.Distribution]]:
    """snake_case name -> constructor, for every distribution ``numpyro.distributions`` exports."""
    table = {}
    for name in npd.__all__:
        obj = getattr(npd, name)
        if _is_distribution_constructor(name, obj):
            table[snake_case(name)] = REPLACEMENTS.get(name, obj)
    return dict(sorted(table.items()))


def _parameters(constructor: Callable[..., Any]) -> inspect.Signature:
    target = constructor.__init__ if inspect.isclass(constructor) else constructor
    signature = inspect.signature(target)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    return signature.replace(parameters=params)


class DistributionFactory:
    """``m.dist.<name>``: builds the NumPyro distribution and samples, returns or draws it."""

    def __init__(self, name: str, constructor: Callable[..., npd.Distribution], precision: Callable[[], ContextManager]):
        self.name = name
        self.constructor = constructor
        self._precision = precision
        self.signature = _parameters(constructor)
        self.__doc__ = constructor.__doc__
        self.__name__ = name

    def __repr__(self) -> str:
        names = ", ".join(self.signature.parameters)
        return f"<m.dist.{self.name}({names}) -> numpyro {getattr(self.constructor, '__name__', self.name)}>"

    def _build(self, args: tuple, params: dict) -> npd.Distribution:
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in self.signature.parameters.values())
        unknown = [k for k in params if k not in self.signature.parameters and not accepts_any]
        names = ", ".join(p for p in self.signature.parameters if p != "validate_args")
        if unknown:
            raise TypeError(f"m.dist.{self.name}() got unexpected argument(s) {unknown}; it takes: {names}")
        try:
            self.signature.bind(*args, **params)
        except TypeError as error:
            raise TypeError(f"m.dist.{self.name}(): {error}; it takes: {names}") from None
        bound = self.signature.bind_partial(*args, **params).arguments
        for key in _COUNT_PARAMETERS.intersection(bound):
            if isinstance(bound[key], (numbers.Real, np.generic)) and not isinstance(bound[key], bool):
                bound[key] = as_int(bound[key], key)
        for key, value in bound.items():
            if key == "total_count" and isinstance(value, (float, np.floating)) and float(value).is_integer():
                bound[key] = int(value)  # binomial samplers index with it; R sends 10 as 10.0
            elif key.endswith("shape") and value is not None:
                bound[key] = as_shape(value, key)
        bound = {k: v if k.endswith("shape") else numeric_list_as_array(v) for k, v in bound.items()}
        return self.constructor(**bound)

    def __call__(
        self,
        *args: Any,
        name: str | None = None,
        obs: Any = None,
        mask: Any = None,
        shape: Any = None,
        event: Any = None,
        create_obj: bool = False,
        sample: bool = False,
        seed: Any = 0,
        sample_shape: Any = (),
        infer: dict | None = None,
        **params: Any,
    ) -> Any:
        distribution = self._build(args, params)
        batch_shape = as_shape(shape, "shape")
        if batch_shape:
            distribution = distribution.expand(batch_shape)
        if event is not None:
            reinterpreted = as_int(event, "event", minimum=0)
            if reinterpreted:
                distribution = distribution.to_event(reinterpreted)
        if mask is not None:
            distribution = distribution.mask(mask)
        if create_obj:
            return distribution
        if sample:
            with self._precision():
                key = jax.random.PRNGKey(as_int(seed, "seed"))
                return distribution.sample(key, as_shape(sample_shape, "sample_shape"))
        if name is None:
            raise ValueError(
                f"m.dist.{self.name}() needs name='...' to be a sample site in a model "
                "(or create_obj=True for the distribution object, or sample=True to draw from it)"
            )
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        if not _PYRO_STACK:
            raise RuntimeError(
                f"m.dist.{self.name}(name={name!r}) is a sample site: call it inside a model fitted "
                "with m.fit(...); outside a model use sample=True (with seed=) or create_obj=True"
            )
        return numpyro.sample(name, distribution, obs=obs, infer=infer)


class Distributions:
    """The ``m.dist`` namespace: ``m.dist.<snake_case>`` for every NumPyro distribution."""

    def __init__(self, precision: Callable[[], ContextManager] = contextlib.nullcontext):
        self._precision = precision

    def __getattr__(self, name: str) -> DistributionFactory:
        if name.startswith("__"):
            raise AttributeError(name)
        table = registry()
        if name not in table:
            close = difflib.get_close_matches(name, list(table) + list(_OWN_NAMES), n=5, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "see dir(m.dist) for the names"
            raise AttributeError(f"m.dist has no distribution {name!r}; {hint}")
        return DistributionFactory(name, table[name], self._precision)

    def __dir__(self) -> list[str]:
        return sorted(set(registry()) | set(_OWN_NAMES) | set(super().__dir__()))

    def __repr__(self) -> str:
        return f"<m.dist: {len(registry())} distributions, plus {', '.join(_OWN_NAMES)}>"

    @staticmethod
    def plate(name: str, size: Any, subsample_size: Any = None, dim: Any = None) -> numpyro.plate:
        """``numpyro.plate`` whose sizes accept integral floats (R's ``8`` is ``8.0``).

        >>> Distributions.plate("components", 8.0).size
        8
        """
        return numpyro.plate(
            name,
            as_int(size, "size", minimum=1),
            subsample_size=None if subsample_size is None else as_int(subsample_size, "subsample_size", minimum=1),
            dim=None if dim is None else as_int(dim, "dim"),
        )

    @staticmethod
    def deterministic(name: str, value: Any) -> Any:
        """Record ``value`` in the posterior under ``name`` (``numpyro.deterministic``)."""
        return numpyro.deterministic(name, value)

    @staticmethod
    def factor(name: str, log_factor: Any) -> None:
        """Add ``log_factor`` to the model's log-density (``numpyro.factor``)."""
        numpyro.factor(name, log_factor)
