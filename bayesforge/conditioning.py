"""How NUTS sees a model fitted to many rows: the potential relative to the start, coordinates in posterior units.

With many rows the posterior is narrow and its log-density large, and NUTS as
NumPyro sets it up copes badly with both (measured on the library GMM, 2 chains ×
150 + 150, float32):

* **the log-density's size.** At 10⁶ points the potential is ≈ 4.5·10⁶, where one
  float32 step is 0.5: too coarse for the energy differences NUTS adapts its step
  size on (warmup trees of 100+ leapfrog steps). In float32, each observed site with
  many terms is scored, while NUTS runs, relative to its log-density at the chains'
  start (:func:`start_log_densities`): the difference is small, so it is precise.
* **the posterior's width.** A posterior standard deviation shrinks as 1/√N: at
  N = 30 000 the GMM's means have posterior variances of ≈ 5·10⁻⁶ on NumPyro's
  unconstrained scale, its scales and weights ≈ 10⁻⁴. NumPyro's warmup starts from
  a unit mass matrix and shrinks every variance it estimates towards an absolute
  10⁻³ (Stan's regularisation), so the mass matrix it adapts stays wrong by orders
  of magnitude: 30 leapfrog steps per draw and 45 per warmup iteration, where the
  same model with coordinates in posterior units takes 9 and 10.5. Each latent
  site's unconstrained coordinate is therefore measured, while NUTS runs, from the
  start in units of the posterior's standard deviation estimated there (the inverse
  square root of the potential's curvature, from central differences of its
  gradient; :func:`posterior_units`): an affine change of coordinates, so the
  posterior, the draws and every site's value are unchanged, and NumPyro's
  adaptation then starts near the right mass matrix.

Both apply to observed sites with at least :data:`MANY_TERMS` terms (rows). The
model as NUTS sees it (:class:`ConditionedModel`) is switched off when sampling
ends: what is replayed afterwards (LOO, ``m.to_arviz()``, predictions) is the
model as written.

>>> import numpy as np, numpyro, numpyro.distributions as dist
>>> def model(y):
...     mu = numpyro.sample("mu", dist.Normal(0, 10))
...     numpyro.sample("y", dist.Normal(mu, 1), obs=y)
>>> y = np.random.default_rng(0).normal(3.0, 1.0, size=40_000).astype(np.float32)
>>> units = posterior_units(model, {"y": y}, numpyro.infer.init_to_value(values={"mu": 3.0}), seed=0)
>>> round(float(units["mu"].scale), 4)   # 1/√N: the posterior sd of mu
0.005
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
from jax.flatten_util import ravel_pytree
from numpyro import handlers
from numpyro.distributions import constraints
from numpyro.distributions.transforms import AffineTransform, ComposeTransform, IndependentTransform, biject_to
from numpyro.infer.util import potential_energy
from numpyro.primitives import Messenger

__all__ = ["MANY_TERMS", "MAX_RESCALED_PARAMETERS", "ConditionedModel", "Units", "condition_for_many_rows",
           "posterior_units", "start_log_densities"]

#: Terms (rows) of an observed site from which NUTS sees the model conditioned (this module's docstring).
MANY_TERMS = 2**15
#: Largest number of unconstrained parameters whose curvature is estimated (2 gradients each).
MAX_RESCALED_PARAMETERS = 512
#: Step of the central differences, on NumPyro's unconstrained scale.
_DIFFERENCE_STEP = 1e-3


# -- the potential relative to the start --------------------------------------------------------------------
class _Shifted(npd.Distribution):
    """``base`` whose log-density is ``base.log_prob(value) - offset`` (a constant per term)."""

    def __init__(self, base: npd.Distribution, offset: jax.Array):
        self.base_dist, self.offset = base, offset
        super().__init__(batch_shape=base.batch_shape, event_shape=base.event_shape)

    @property
    def support(self):
        return self.base_dist.support

    def sample(self, key, sample_shape=()):
        return self.base_dist.sample(key, sample_shape)

    def log_prob(self, value):
        return self.base_dist.log_prob(value) - self.offset


def _terms(site: Mapping[str, Any]) -> int:
    shape = jnp.shape(site["value"])
    return int(np.prod(shape[: len(shape) - len(site["fn"].event_shape)], dtype=np.int64))


def _subsampled_plates(trace: Mapping[str, Any]) -> set[str]:
    """Names of the plates in ``trace`` that draw a subsample of their rows (``numpyro.plate(..., subsample_size=)``)."""
    return {name for name, site in trace.items()
            if site["type"] == "plate" and site["args"][1] is not None and site["args"][1] < site["args"][0]}


def _subsampled(site: Mapping[str, Any], plates: set[str]) -> bool:
    return any(frame.name in plates for frame in site.get("cond_indep_stack", ()))


#: What JAX raises when a model needs its arguments as concrete values (it is then traced op by op).
_NEEDS_CONCRETE_ARGUMENTS = (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError,
                             jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError)


def _split(model_kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    arrays = {k: v for k, v in model_kwargs.items() if isinstance(v, (np.ndarray, jax.Array))}
    return arrays, {k: v for k, v in model_kwargs.items() if k not in arrays}


def _start_terms(key, arrays, static, *, model, init_strategy, min_terms):
    """Per-term log-densities at the start of the observed sites with at least ``min_terms`` terms (not subsampled)."""
    start = handlers.substitute(handlers.seed(model, key), substitute_fn=init_strategy)
    trace = handlers.trace(start).get_trace(**static, **arrays)
    out, subsampled = {}, _subsampled_plates(trace)
    for name, site in trace.items():
        if site["type"] == "sample" and site.get("is_observed") and _terms(site) >= min_terms \
                and not _subsampled(site, subsampled):
            terms = site["fn"].log_prob(site["value"])
            out[name] = jnp.where(jnp.isfinite(terms), terms, 0.0)
    return out


def start_log_densities(model: Callable[..., Any], model_kwargs: Mapping[str, Any], init_strategy: Any, seed: int,
                        min_terms: int | None = None, *, shapes_only: bool = False) -> dict[str, Any]:
    """Per-term log-density, at one chain's start, of each observed site with at least ``min_terms`` terms
    (default :data:`MANY_TERMS`).

    The start is where ``init_strategy`` puts a chain (drawn with ``seed``);
    non-finite terms become 0. Sites in subsampled plates are left out.
    ``shapes_only``: the model is only traced, and the values are shapes
    (``jax.ShapeDtypeStruct``): which sites are large, at no compilation.
    """
    min_terms = MANY_TERMS if min_terms is None else min_terms
    arrays, static = _split(model_kwargs)
    key = jax.random.PRNGKey(seed)
    replay = functools.partial(_start_terms, static=static, model=model, init_strategy=init_strategy,
                               min_terms=min_terms)
    try:
        shapes = jax.eval_shape(replay, key, arrays)  # traced, not compiled
        return shapes if shapes_only or not shapes else jax.jit(replay)(key, arrays)
    except _NEEDS_CONCRETE_ARGUMENTS:  # a model that needs concrete arguments: traced op by op
        return _start_terms(key, {}, dict(model_kwargs), model=model, init_strategy=init_strategy,
                            min_terms=min_terms)


# -- coordinates in posterior units ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Units:
    """A latent site's unconstrained coordinate z as NUTS sees it: (z − ``origin``) / ``scale``."""

    origin: jax.Array
    scale: jax.Array


class _InUnits(constraints.Constraint):
    """``base``, whose unconstrained coordinate is (z − origin) / scale, z NumPyro's for ``base``."""

    def __init__(self, base: constraints.Constraint, units: Units):
        self.base, self.units = base, units
        self.event_dim = base.event_dim

    def __call__(self, x):
        return self.base(x)

    def feasible_like(self, prototype):
        return self.base.feasible_like(prototype)

    def tree_flatten(self):
        return (self.base, self.units.origin, self.units.scale), (("base", "origin", "scale"), {})


@biject_to.register(_InUnits)
def _from_units(constraint: _InUnits) -> ComposeTransform:
    inner = biject_to(constraint.base)
    affine = AffineTransform(constraint.units.origin, constraint.units.scale)
    if inner.domain.event_dim:
        affine = IndependentTransform(affine, inner.domain.event_dim)
    return ComposeTransform([affine, inner])


class _Measured(npd.Distribution):
    """``base`` with its unconstrained coordinate in ``units`` (the same density, a different chart for NUTS)."""

    def __init__(self, base: npd.Distribution, units: Units):
        self.base_dist, self.units = base, units
        super().__init__(batch_shape=base.batch_shape, event_shape=base.event_shape)

    @property
    def support(self):
        return _InUnits(self.base_dist.support, self.units)

    def sample(self, key, sample_shape=()):
        return self.base_dist.sample(key, sample_shape)

    def log_prob(self, value):
        return self.base_dist.log_prob(value)


def posterior_units(model: Callable[..., Any], model_kwargs: Mapping[str, Any], init_strategy: Any, seed: int,
                    max_parameters: int = MAX_RESCALED_PARAMETERS) -> dict[str, Units]:
    """Per latent site: its unconstrained start and the posterior sd estimated there (at most 1 per coordinate).

    The sd of coordinate i is 1/√H_ii, H_ii the potential's curvature at the start
    (central differences of its gradient, step 10⁻³ on NumPyro's unconstrained scale;
    one compiled loop). Coordinates with no positive, finite curvature keep scale 1,
    and so does every coordinate whose estimate exceeds 1: only the narrowing that
    many rows bring is undone. Empty when the model has more than
    ``max_parameters`` unconstrained coordinates or no latent continuous site.
    """
    arrays, static = _split(model_kwargs)

    def start_of(arrays, static):
        seeded = handlers.substitute(handlers.seed(model, jax.random.PRNGKey(seed)), substitute_fn=init_strategy)
        trace = handlers.trace(seeded).get_trace(**static, **arrays)
        latent = {name: site for name, site in trace.items() if site["type"] == "sample" and not site.get("is_observed")}
        if _subsampled_plates(trace) or any(site["fn"].support.is_discrete for site in latent.values()):
            return {}  # discrete or subsampled latent sites: left as NumPyro sets them up
        return {name: biject_to(site["fn"].support).inv(site["value"]) for name, site in latent.items()}

    try:
        start = jax.jit(functools.partial(start_of, static=static))(arrays)
    except _NEEDS_CONCRETE_ARGUMENTS:  # a model that needs concrete arguments: traced op by op
        arrays, static = {}, dict(model_kwargs)
        start = start_of(arrays, static)
    flat, unravel = ravel_pytree(start)
    if not start or not 0 < flat.size <= max_parameters:
        return {}

    def curvature(flat, arrays, static):
        def gradient(point):
            return jax.grad(lambda f: potential_energy(model, (), {**static, **arrays}, unravel(f)))(point)

        def second_difference(i):
            step = jnp.zeros_like(flat).at[i].set(_DIFFERENCE_STEP)
            return (gradient(flat + step)[i] - gradient(flat - step)[i]) / (2 * _DIFFERENCE_STEP)

        return jax.lax.map(second_difference, jnp.arange(flat.size))

    if arrays:
        diagonal = jax.jit(functools.partial(curvature, static=static))(flat, arrays)
    else:
        diagonal = curvature(flat, {}, static)
    scale = jnp.where(jnp.isfinite(diagonal) & (diagonal > 1.0), jax.lax.rsqrt(jnp.maximum(diagonal, 1.0)), 1.0)
    scales = unravel(scale.astype(flat.dtype))
    # host arrays: constants of any compiled step, whatever devices the rows are split over
    return {name: Units(origin=np.asarray(value), scale=np.asarray(scales[name])) for name, value in start.items()}


# -- the model as NUTS sees it --------------------------------------------------------------------------------
class _Condition(Messenger):
    def __init__(self, offsets: Mapping[str, jax.Array], units: Mapping[str, Units]):
        super().__init__()
        self.offsets, self.units = offsets, units

    def process_message(self, msg):
        if msg["type"] != "sample":
            return
        if msg.get("is_observed") and msg["name"] in self.offsets:
            msg["fn"] = _Shifted(msg["fn"], self.offsets[msg["name"]])
        elif not msg.get("is_observed") and msg["name"] in self.units:
            msg["fn"] = _Measured(msg["fn"], self.units[msg["name"]])


class ConditionedModel:
    """The model as NUTS sees it: while ``active``, observed sites in ``offsets`` score relative to the start and
    latent sites in ``units`` have their unconstrained coordinates in those units.

    NumPyro keeps this object as ``sampler.model`` (ArviZ replays it for the
    pointwise log-likelihood), so it is switched off when sampling ends.
    """

    def __init__(self, model: Callable[..., Any], offsets: Mapping[str, jax.Array], units: Mapping[str, Units]):
        functools.update_wrapper(self, model)
        self.model, self.offsets, self.units, self.active = model, dict(offsets), dict(units), True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.active:
            return self.model(*args, **kwargs)
        with _Condition(self.offsets, self.units):
            return self.model(*args, **kwargs)


def condition_for_many_rows(model: Callable[..., Any], model_kwargs: Mapping[str, Any], init_strategy: Any,
                            seed: int, *, shift_potential: bool) -> Callable[..., Any]:
    """``model`` as NUTS should see it when fitted to many rows (see the module docstring), else ``model`` itself.

    ``shift_potential``: score large observed sites relative to the start (in float32).
    Call inside the fit's precision context.
    """
    if not any(np.size(v) >= MANY_TERMS for v in _split(model_kwargs)[0].values()):
        return model  # no argument is that large: nothing to trace
    if not start_log_densities(model, model_kwargs, init_strategy, seed, shapes_only=True):
        return model
    offsets = start_log_densities(model, model_kwargs, init_strategy, seed) if shift_potential else {}
    units = posterior_units(model, model_kwargs, init_strategy, seed)
    if not offsets and not units:
        return model
    return ConditionedModel(model, offsets, units)
