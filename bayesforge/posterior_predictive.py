"""The posterior predictive of any fitted model's observed site: new observations drawn, log densities of given ones.

Nothing here knows what the model is (a mixture, a regression, ...): the model is
replayed by NumPyro at the posterior draws θ_1..θ_S with one observed site
(``site``; the only one when the model has one) treated as new.

* :func:`sample_observed`: ``n`` new observations. Each takes one posterior draw,
  chosen uniformly with replacement, and one value of the site drawn by NumPyro's
  ``Predictive`` at that draw with the site *unobserved* (its ``obs`` ignored). When
  the site has one value per data row (its distribution's first batch axis: a plate
  over the rows), the new observation is the value of one row chosen uniformly, so
  per-row covariates are drawn from the data as they are; when its distribution has
  no batch axis (``obs`` an N×D array broadcast over one D-dimensional distribution,
  as in the seed's Gaussian mixture) the draw is the new observation. Either way it
  is a draw from p(x̃ | data) = ∫ p(x̃ | θ) p(θ | data) dθ, the same convention as
  ``MixtureFit.sample`` and scikit-learn's ``GaussianMixture.sample``.
* :func:`log_predictive_density`: for each row x of ``X``,
  log p(x | data) ≈ log (1/S) Σ_s p(x | θ_s) (log-mean-exp over the draws) with
  p(x | θ_s) the site's density, ``numpyro.infer.util.log_likelihood`` of the model
  with the site's data replaced by ``X``. The model argument that *is* the site's
  ``obs`` (``obs=data``) is replaced by ``X``, so a plate over ``data.shape[0]``
  rows follows; ``X`` must have the shape of the observed data except for its
  number of rows. Permuting a mixture's components changes neither.

>>> import numpy as np, numpyro, numpyro.distributions as dist
>>> def model(y):
...     mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
...     with numpyro.plate("rows", y.shape[0]):
...         numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)
>>> draws = {"mu": np.array([0.0, 0.0, 2.0])}
>>> np.round(log_predictive_density(model, {"y": np.zeros(5)}, draws, np.array([0.0, 1.0])), 3).tolist()
[-1.259, -1.419]
>>> sample_observed(model, {"y": np.zeros(5)}, draws, 4, seed=0).shape
(4,)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers
from numpyro.infer import Predictive
from numpyro.infer.util import log_likelihood
from numpyro.primitives import Messenger

from .validation import as_int

__all__ = ["ObservedSite", "observed_sites", "choose_site", "sample_observed", "log_predictive_density",
           "evenly_spaced_draws"]

#: Largest number of values (draws × values per draw) computed in one compiled call.
CHUNK_VALUES = 2**22
#: Draws per compiled call of :func:`sample_observed` (fewer when each draw's value is large); a fixed number, so
#: one compilation serves any n.
DRAWS_PER_CALL = 1024
#: Rows of X per compiled call of :func:`log_predictive_density` at least (when memory allows): a few rows are
#: padded to this many, a power of 2, so one compilation serves every small X.
MIN_ROWS_PER_CALL = 256
#: Errors JAX raises when a model needs its arguments as concrete values (NumPy calls on the data).
_NEEDS_CONCRETE = (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError,
                   jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError)


@dataclass(frozen=True)
class ObservedSite:
    """An observed site of a model, as one abstract trace saw it."""

    name: str
    #: Shape of the observed value (e.g. N×D).
    value_shape: tuple[int, ...]
    #: The site distribution's batch and event shapes (a plate over the rows puts N in the batch shape).
    batch_shape: tuple[int, ...]
    event_shape: tuple[int, ...]
    #: The model argument passed as the site's ``obs`` unchanged, if there is one.
    argument: str | None


def _split(model_kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    arrays = {k: v for k, v in model_kwargs.items() if isinstance(v, (np.ndarray, jax.Array))}
    return arrays, {k: v for k, v in model_kwargs.items() if k not in arrays}


def _first_draw(draws: Mapping[str, Any]) -> dict[str, Any]:
    return {name: jnp.asarray(value)[0] for name, value in draws.items()}


def observed_sites(model: Callable[..., Any], model_kwargs: Mapping[str, Any],
                   draws: Mapping[str, Any]) -> dict[str, ObservedSite]:
    """The model's observed sites (in the order the model samples them), from one abstract replay at the first draw.

    Nothing is computed or compiled, unless the model needs concrete arguments
    (then it is replayed once, eagerly).
    """
    arrays, static = _split(model_kwargs)
    found: dict[str, ObservedSite] = {}

    def probe(params, arrays):
        with handlers.seed(rng_seed=0):
            trace = handlers.trace(handlers.substitute(model, data=params)).get_trace(**static, **arrays)
        for name, site in trace.items():
            if site["type"] == "sample" and site.get("is_observed"):
                argument = next((k for k, v in arrays.items() if site["value"] is v), None)
                found[name] = ObservedSite(name, tuple(jnp.shape(site["value"])), tuple(site["fn"].batch_shape),
                                           tuple(site["fn"].event_shape), argument)
        return jnp.zeros(())

    first = _first_draw(draws)
    try:
        jax.eval_shape(probe, first, {k: jnp.asarray(v) for k, v in arrays.items()})
    except _NEEDS_CONCRETE:
        found.clear()
        probe(first, arrays)  # eagerly, with the arguments as given
    return found


def choose_site(sites: Mapping[str, ObservedSite], site: Any) -> ObservedSite:
    """The observed site named ``site``, or the only one when ``site`` is None; a ValueError naming ``site`` otherwise.

    >>> one = ObservedSite("y", (3,), (3,), (), "y")
    >>> choose_site({"y": one, "z": one}, None)
    Traceback (most recent call last):
    ...
    ValueError: site: the model observes 2 sites ('y', 'z'); pass site= one of them
    """
    names = tuple(sites)
    if site is None:
        if len(names) == 1:
            return sites[names[0]]
        if not names:
            raise ValueError("site: the model has no observed site (a sample site with obs=...): there is nothing "
                             "to predict")
        raise ValueError(f"site: the model observes {len(names)} sites ({', '.join(map(repr, names))}); "
                         "pass site= one of them")
    if not isinstance(site, str):
        raise TypeError(f"site must be the name of an observed site (a string) or None, got {type(site).__name__}")
    if site not in sites:
        listed = ", ".join(map(repr, names)) if names else "none"
        raise ValueError(f"site={site!r} is not an observed site of the model; its observed sites: {listed}")
    return sites[site]


def evenly_spaced_draws(draws: Mapping[str, Any], max_draws: Any = None) -> dict[str, np.ndarray]:
    """Up to ``max_draws`` evenly spaced draws (all when None), the selection ``MixtureFit`` makes with ``max_draws``.

    >>> evenly_spaced_draws({"mu": np.arange(10.0)}, 4)["mu"].tolist()
    [0.0, 3.0, 6.0, 9.0]
    """
    total = len(next(iter(draws.values())))
    if max_draws is None:
        return {name: np.asarray(value) for name, value in draws.items()}
    count = as_int(max_draws, "max_draws", minimum=1)
    index = np.unique(np.linspace(0, total - 1, min(count, total)).astype(int))
    return {name: np.asarray(value)[index] for name, value in draws.items()}


class _Unobserved(Messenger):
    """The site ``name`` sampled from its distribution instead of observed (its ``obs`` ignored)."""

    def __init__(self, fn: Callable[..., Any], name: str):
        self.name = name
        super().__init__(fn)

    def process_message(self, msg: dict) -> None:
        if msg["type"] == "sample" and msg["name"] == self.name and msg.get("is_observed"):
            msg["value"], msg["is_observed"] = None, False


def _pad(values: np.ndarray, size: int) -> np.ndarray:
    """``values`` (leading axis ≤ size) padded to ``size`` by repeating its last entry: one compiled shape."""
    missing = size - values.shape[0]
    return values if missing == 0 else np.concatenate([values, np.repeat(values[-1:], missing, axis=0)])


def _compiled(function: Callable[..., Any], arrays: Mapping[str, Any], static: Mapping[str, Any]):
    """``function(*inputs, kwargs)`` compiled with the array arguments as arguments, or run eagerly when the
    model needs them concrete."""
    jitted = jax.jit(lambda *inputs: function(*inputs[:-1], {**static, **inputs[-1]}))
    state = {"concrete": False}

    def call(*inputs):
        if not state["concrete"]:
            try:
                return jitted(*inputs, dict(arrays))
            except _NEEDS_CONCRETE:
                state["concrete"] = True
        return function(*inputs, {**static, **arrays})  # eagerly, one operation at a time

    return call


def _cached(cache: dict | None, key: tuple, build: Callable[[], Any]) -> Any:
    """``cache[key]``, built with ``build()`` when absent (every time when there is no cache)."""
    if cache is None:
        return build()
    if key not in cache:
        cache[key] = build()
    return cache[key]


def sample_observed(model: Callable[..., Any], model_kwargs: Mapping[str, Any], draws: Mapping[str, Any], n: Any,
                    seed: Any = None, site: Any = None, cache: dict | None = None) -> np.ndarray:
    """``n`` new observations of ``site`` from the posterior predictive: an array (n, ...) (see the module docstring).

    ``draws``: posterior draws, chains stacked (``{site: array(S, ...)}``). ``seed``:
    an int, None, or a NumPy ``Generator``. ``cache``: a dict kept with the posterior
    (same model and arguments), where the compiled function is kept for the next call.
    """
    count = as_int(n, "n", minimum=1)
    if seed is not None and not isinstance(seed, np.random.Generator):
        seed = as_int(seed, "seed", minimum=0)
    chosen = choose_site(observed_sites(model, model_kwargs, draws), site)
    rng = np.random.default_rng(seed)
    total = len(next(iter(draws.values())))
    which = rng.integers(total, size=count)
    key = jax.random.PRNGKey(int(rng.integers(2**31)))
    per_draw = max(1, math.prod(chosen.batch_shape + chosen.event_shape))
    chunk = max(1, min(DRAWS_PER_CALL, CHUNK_VALUES // per_draw))  # one compiled shape whatever n
    arrays, static = _split(model_kwargs)
    unobserved = _Unobserved(model, chosen.name)

    def predict(key, samples, kwargs):
        predictive = Predictive(unobserved, posterior_samples=samples, return_sites=[chosen.name], batch_ndims=1,
                                parallel=True)
        return predictive(key, **kwargs)[chosen.name]

    run = _cached(cache, ("sample", chosen.name), lambda: _compiled(predict, arrays, static))
    values = []
    for start in range(0, count, chunk):
        key, chunk_key = jax.random.split(key)
        index = _pad(which[start:start + chunk], chunk)
        samples = {name: jnp.asarray(np.asarray(value)[index]) for name, value in draws.items()}
        values.append(np.asarray(run(chunk_key, samples))[:min(chunk, count - start)])
    values = np.concatenate(values)
    if not chosen.batch_shape:  # one value per draw: that is the new observation
        return values
    rows = rng.integers(chosen.batch_shape[0], size=count)  # one row of the site per draw
    return values[np.arange(count), rows]


def _check_points(X: Any, chosen: ObservedSite) -> np.ndarray:
    """``X`` as an array shaped like the observed data but for its number of rows; errors name ``X``."""
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    points = np.asarray(X)
    if points.dtype == object or not (np.issubdtype(points.dtype, np.number) or points.dtype == bool):
        raise TypeError(f"X must be numeric, got an array of {points.dtype}")
    rest = chosen.value_shape[1:]
    if not chosen.value_shape or points.ndim != len(chosen.value_shape) or points.shape[1:] != rest:
        expected = "(M, " + ", ".join(map(str, rest)) + ")" if rest else "(M,)"
        raise ValueError(f"X must have the shape of the observed data of site {chosen.name!r} "
                         f"{chosen.value_shape} except for its number of rows, i.e. {expected}; got {points.shape}")
    if points.shape[0] == 0:
        raise ValueError("X has no rows")
    return points


def log_predictive_density(model: Callable[..., Any], model_kwargs: Mapping[str, Any], draws: Mapping[str, Any],
                           X: Any, site: Any = None, batch_size: Any = None, cache: dict | None = None) -> np.ndarray:
    """log (1/S) Σ_s p(x | θ_s) for each row x of ``X`` (M,), over all of ``draws`` (see the module docstring).

    ``batch_size``: rows of ``X`` per compiled call (default: about
    :data:`CHUNK_VALUES` / S, at most M rounded up to a power of 2 ≥
    :data:`MIN_ROWS_PER_CALL`), so memory does not grow with M. ``cache`` as for :func:`sample_observed`.
    """
    chosen = choose_site(observed_sites(model, model_kwargs, draws), site)
    points = _check_points(X, chosen)
    arrays, static = _split(model_kwargs)
    total = len(next(iter(draws.values())))
    size = (max(1, CHUNK_VALUES // total) if batch_size is None else as_int(batch_size, "batch_size", minimum=1))
    size = min(size, max(MIN_ROWS_PER_CALL, 1 << (points.shape[0] - 1).bit_length()))  # few compiled shapes
    if chosen.argument is None and chosen.batch_shape and points.shape[0] != chosen.batch_shape[0]:
        raise ValueError(f"site: {chosen.name!r} has one value per row of the data ({chosen.batch_shape[0]} rows) "
                         "but its obs is not a model argument that X could replace; pass the data itself as obs")

    def score(samples, rows, kwargs):
        if chosen.argument is not None:
            kwargs = {**kwargs, chosen.argument: rows}
        conditioned = handlers.condition(model, data={chosen.name: rows})
        pointwise = log_likelihood(conditioned, samples, parallel=True, **kwargs)[chosen.name]
        count = len(next(iter(samples.values())))
        if pointwise.shape != (count, rows.shape[0]):
            raise ValueError(f"site: the log-density of {chosen.name!r} at {rows.shape[0]} new rows has shape "
                             f"{pointwise.shape}, not one value per row per draw ({count}, {rows.shape[0]})")
        return jax.nn.logsumexp(pointwise, axis=0) - math.log(count)

    others = {k: v for k, v in arrays.items() if k != chosen.argument}
    run = _cached(cache, ("score", chosen.name), lambda: _compiled(score, others, static))
    samples = {name: jnp.asarray(value) for name, value in draws.items()}
    densities = []
    for start in range(0, points.shape[0], size):
        rows = _pad(points[start:start + size], size)
        densities.append(np.asarray(run(samples, jnp.asarray(rows)))[:min(size, points.shape[0] - start)])
    return np.concatenate(densities).astype(float)
