"""Run NUTS on a model with the arguments in ``data_on_model``.

How a fit runs, and why (timings measured on 2-core CPU machines and an H200
GPU; ARCHITECTURE.md places this module among the others):

* chains run ``parallel`` (one device each) whenever there are enough devices,
  else ``vectorized``: the faster fallback measured by ``benchmarks/chains.py``
  on the CPU (36 s vs 57 s sequential for the seed GMM, 4 chains, 2 cores) and on
  an H200 GPU (42 s vs 64 s);
* OpenBLAS's own threads fight the chains for cores, so BLAS is limited to one
  thread while the chains run;
* JAX dispatches asynchronously: the draws are waited for inside those limits;
* without ``init_strategy``, the chains start where the first of the workspace's
  start steps says (``fit_steps``, :mod:`bayesforge.steps`; this module knows none of
  them): ``bf()``'s default starts a model observing a Gaussian mixture at the k-means
  solution of its data (:class:`bayesforge.mixtures.start.KMeansStart`; from NumPyro's default
  uniform start the seed's model at N = 10 000 took 285 s with chains in wrong modes,
  from k-means as long as the library GMM);
* start values given with ``init_to_value`` (or a k-means start) are cast to the
  fit's float type inside its precision context (:func:`values_in_precision`):
  NUTS stops on float32 start values in a float64 fit ("cond branches must have
  equal output types");
* a model fitted to many rows is sampled as :mod:`bayesforge.conditioning` sets it up:
  in float32 the large observed sites scored relative to the chains' start (at 10⁶
  points one float32 step of the potential is 0.5), and every latent coordinate
  measured in units of the posterior's sd estimated at the start (NumPyro's
  adaptation, from a unit mass matrix regularised towards 10⁻³, took 30 leapfrog
  steps per draw on the library GMM at N = 30 000 instead of 9). The draws and the
  model's own log-density (LOO, ``m.to_arviz()``) are unchanged.

>>> import numpy as np
>>> def model(y, scale):
...     pass
>>> match_arguments(model, {"y": np.zeros(3), "scale": 2})["scale"]
2
"""
from __future__ import annotations

import functools
import inspect
import numbers
import warnings
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import MCMC, NUTS, init_to_uniform
from threadpoolctl import threadpool_limits

from .conditioning import ConditionedModel, condition_for_many_rows
from .device import Devices
from .defaults import NUTS_DEFAULTS, TARGET_ACCEPT_PROB
from .validation import as_int, as_model_value
from .sharding import plan_sharding
from .steps import FitStep, check_fit_steps, choose_start, describe_start

__all__ = ["CHAIN_METHODS", "Sampler", "choose_chain_method", "match_arguments", "run_nuts", "values_in_precision"]

CHAIN_METHODS = ("auto", "parallel", "sequential", "vectorized")
#: chain_method used when there are fewer devices than chains, by platform.
FALLBACK_CHAIN_METHOD = {"cpu": "vectorized", "gpu": "vectorized", "tpu": "vectorized"}


def _describe(model: Callable[..., Any], signature: inspect.Signature) -> str:
    return f"{getattr(model, '__name__', 'model')}{signature}"


def match_arguments(model: Callable[..., Any], data_on_model: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments to call ``model`` with, taken from ``data_on_model``.

    Every argument of ``model`` without a default must be in ``data_on_model``
    and every key must be an argument (unless ``model`` takes ``**kwargs``);
    otherwise ``ValueError`` names the argument. Arrays become JAX arrays;
    Python ints stay ints so ``jnp.ones(K)`` and plates see static sizes.
    """
    if not callable(model):
        raise TypeError(f"model must be a callable, got {type(model).__name__}")
    if not isinstance(data_on_model, Mapping):
        raise TypeError(f"data_on_model must be a dict of the model's arguments, got {type(data_on_model).__name__}")
    signature = inspect.signature(model)
    params = signature.parameters
    takes_any_keyword = any(p.kind is p.VAR_KEYWORD for p in params.values())
    named = {n: p for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    positional_only = [n for n, p in params.items() if p.kind is p.POSITIONAL_ONLY]
    if positional_only:
        raise ValueError(f"model {_describe(model, signature)} has positional-only arguments {positional_only}; "
                         "m.fit passes data_on_model by name")
    for key in data_on_model:
        if not isinstance(key, str):
            raise TypeError(f"data_on_model keys must be argument names (strings), got {key!r}")
        if key not in named and not takes_any_keyword:
            raise ValueError(f"data_on_model has {key!r}, which is not an argument of {_describe(model, signature)}")
    missing = [n for n, p in named.items() if p.default is p.empty and n not in data_on_model]
    if missing:
        raise ValueError(
            f"data_on_model has no {', '.join(repr(n) for n in missing)}, needed by {_describe(model, signature)}"
        )
    return {k: as_model_value(v) for k, v in data_on_model.items()}


def choose_chain_method(chain_method: str, num_chains: int, devices: Devices) -> str:
    """``"auto"`` -> ``parallel`` when every chain gets a device, else the platform's fallback."""
    if chain_method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {CHAIN_METHODS}, got {chain_method!r}")
    parallel_possible = devices.count >= num_chains and devices.is_default_backend
    if chain_method == "parallel" and num_chains > 1 and not parallel_possible:
        raise ValueError(
            f"chain_method='parallel' needs a device per chain: num_chains={num_chains} but "
            f"{devices.count} {devices.platform} device(s){'' if devices.is_default_backend else ' (not the default backend)'}; "
            "create bf(cores=...) before JAX starts, lower num_chains, or use chain_method='auto'"
        )
    if chain_method != "auto":
        return chain_method
    if num_chains == 1:
        return "sequential"
    return "parallel" if parallel_possible else FALLBACK_CHAIN_METHOD[devices.platform]


#: Per-draw sampler statistics kept for every fit (``m.sampler.get_extra_fields()``).
EXTRA_FIELDS = ("diverging", "num_steps")


class Sampler(MCMC):
    """NumPyro's ``MCMC``, plus what BayesForge knows about the run.

    ``start``: how the chains started — ``"k-means"``, a note saying why NumPyro's
    default was used for a Gaussian mixture, or None (the model's own
    ``init_strategy``, or NumPyro's default for other models).
    ``warmup_extra_fields``: with ``collect_warmup=True``, the warmup's
    ``diverging`` and ``num_steps`` by chain (leapfrog steps per warmup iteration);
    else None. ``get_extra_fields()`` has them for the draws after warmup.
    """

    start: str | None = None
    warmup_extra_fields: dict[str, np.ndarray] | None = None


def values_in_precision(init_strategy: Any) -> Any:
    """``init_strategy`` with the floating-point start values of an ``init_to_value``-style strategy (a
    ``functools.partial`` with ``values=``) as JAX arrays of the current float type; any other strategy unchanged.

    Call it inside the fit's precision context (``devices.context()``): float64 with
    ``bf(x64=True)``, else float32. Integer values are left as they are.

    >>> import jax, numpy as np
    >>> from numpyro.infer import init_to_value
    >>> with jax.enable_x64(True):
    ...     strategy = values_in_precision(init_to_value(values={"mu": np.float32(1.5), "n": 2}))
    >>> strategy.keywords["values"]["mu"].dtype, strategy.keywords["values"]["n"]
    (dtype('float64'), 2)
    """
    if not isinstance(init_strategy, functools.partial) or not isinstance(init_strategy.keywords.get("values"), Mapping):
        return init_strategy
    float_type = jnp.result_type(float)

    def cast(value: Any) -> Any:
        dtype = value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype  # a float, a list of floats
        return jnp.asarray(value, dtype=float_type) if np.issubdtype(dtype, np.floating) else value

    values = {name: cast(value) for name, value in init_strategy.keywords["values"].items()}
    return functools.partial(init_strategy.func, *init_strategy.args, **{**init_strategy.keywords, "values": values})


def _nuts_options(nuts: Mapping[str, Any]) -> dict[str, Any]:
    allowed = [n for n in inspect.signature(NUTS).parameters if n != "model"]
    unknown = [k for k in nuts if k not in allowed]
    if unknown:
        raise TypeError(f"m.fit() got unexpected argument(s) {unknown}; NUTS options are: {', '.join(allowed)}")
    return dict(nuts)


def run_nuts(
    model: Callable[..., Any],
    model_kwargs: Mapping[str, Any],
    devices: Devices,
    *,
    num_warmup: Any = NUTS_DEFAULTS["num_warmup"],
    num_samples: Any = NUTS_DEFAULTS["num_samples"],
    num_chains: Any = NUTS_DEFAULTS["num_chains"],
    chain_method: str = "auto",
    seed: Any = 0,
    progress_bar: bool = True,
    target_accept_prob: float = TARGET_ACCEPT_PROB,
    thinning: Any = 1,
    shard_rows: bool | None = None,
    collect_warmup: bool = False,
    fit_steps: tuple[FitStep, ...] = (),
    **nuts: Any,
) -> Sampler:
    """Fit ``model(**model_kwargs)`` with NUTS and return the finished :class:`Sampler` (NumPyro's ``MCMC``).

    ``shard_rows``: split the data rows over the devices (:mod:`bayesforge.sharding`;
    None: when the chains do not run in parallel and the data is large, or spans processes).
    ``collect_warmup=True`` keeps the warmup's ``num_steps`` and ``diverging``
    (``Sampler.warmup_extra_fields``) at the cost of compiling the sampler twice.
    Without ``init_strategy``, the chains start where the first start step of ``fit_steps``
    says (:func:`bayesforge.steps.choose_start`; ``Sampler.start`` its description), else at
    NumPyro's default.
    """
    num_warmup = as_int(num_warmup, "num_warmup", minimum=0)
    num_samples = as_int(num_samples, "num_samples", minimum=1)
    num_chains = as_int(num_chains, "num_chains", minimum=1)
    thinning = as_int(thinning, "thinning", minimum=1)
    seed = as_int(seed, "seed")
    if not isinstance(target_accept_prob, numbers.Real) or not 0 < float(target_accept_prob) < 1:
        raise ValueError(f"target_accept_prob must be a number strictly between 0 and 1, got {target_accept_prob!r}")
    if not isinstance(collect_warmup, bool):
        raise TypeError(f"collect_warmup must be True or False, got {collect_warmup!r}")
    method = choose_chain_method(chain_method, num_chains, devices)
    options = _nuts_options(nuts)
    fit_steps = check_fit_steps(fit_steps)

    with devices.context():
        if "init_strategy" in options:
            start = describe_start(fit_steps, options["init_strategy"])
            options["init_strategy"] = values_in_precision(options["init_strategy"])
        else:
            strategy, start = choose_start(fit_steps, model, model_kwargs, seed)
            if strategy is not None:
                options["init_strategy"] = strategy
    plan = functools.partial(plan_sharding, model_kwargs=model_kwargs, devices=devices, num_chains=num_chains,
                             chain_method=chain_method, resolved_chain_method=method, shard_rows=shard_rows)
    run, conditioned = plan(model), model
    if jax.process_count() == 1:  # across processes, each would measure the posterior on its own rows
        with devices.context():  # the start-relative potential is an N-vector: not for rows split over devices
            conditioned = condition_for_many_rows(model, model_kwargs, options.get("init_strategy", init_to_uniform),
                                                  seed, shift_potential=not devices.x64 and not run.sharded)
        if conditioned is not model:
            run = plan(conditioned)
    sampled, model_kwargs, method = run.model, run.model_kwargs, run.chain_method
    kernel = NUTS(sampled, target_accept_prob=float(target_accept_prob), **options)
    mcmc = Sampler(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        thinning=thinning,
        chain_method=method,
        progress_bar=bool(progress_bar),
        jit_model_args=run.jit_model_args,
    )
    mcmc.start = start
    try:
        with devices.context(), threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            # We chose chain_method from the devices; NumPyro's own advice about it is noise here.
            warnings.filterwarnings("ignore", message="There are not enough devices to run parallel chains")
            key = jax.random.PRNGKey(seed)
            if collect_warmup and num_warmup:
                mcmc.warmup(key, collect_warmup=True, extra_fields=EXTRA_FIELDS, **model_kwargs)
                mcmc.warmup_extra_fields = {k: np.asarray(v) for k, v in
                                            mcmc.get_extra_fields(group_by_chain=True).items()}
                key = mcmc.post_warmup_state.rng_key
            mcmc.run(key, extra_fields=EXTRA_FIELDS, **model_kwargs)
            jax.block_until_ready(mcmc.get_samples(group_by_chain=True))
    finally:
        if isinstance(conditioned, ConditionedModel):
            conditioned.active = False
    run.finish(mcmc)
    divergences = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    if divergences:
        total = num_chains * (num_samples // thinning)
        warnings.warn(
            f"{divergences} of {total} draws after warmup were divergent transitions; the posterior may be "
            "biased. Try target_accept_prob=0.9 or higher, or reparameterise the model.",
            RuntimeWarning,
            stacklevel=3,
        )
    return mcmc
