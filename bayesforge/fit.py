"""Run NUTS on a model with the arguments in ``data_on_model``.

Facts measured on these machines shape this module (see ``DESIGN.md``):

* chains run ``parallel`` (one device each) whenever there are enough devices,
  else ``vectorized``: the faster fallback measured by ``benchmarks/chains.py``
  on the CPU (36 s vs 57 s sequential for the seed GMM, 4 chains, 2 cores) and on
  an H200 GPU (42 s vs 64 s);
* OpenBLAS's own threads fight the chains for cores, so BLAS is limited to one
  thread while the chains run;
* JAX dispatches asynchronously: the draws are waited for inside those limits.

>>> import numpy as np
>>> def model(y, scale):
...     pass
>>> match_arguments(model, {"y": np.zeros(3), "scale": 2})["scale"]
2
"""
from __future__ import annotations

import inspect
import numbers
import warnings
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.infer import MCMC, NUTS
from threadpoolctl import threadpool_limits

from .device import Devices
from .interop import as_int
from .sharding import plan_sharding

__all__ = ["CHAIN_METHODS", "choose_chain_method", "match_arguments", "run_nuts"]

CHAIN_METHODS = ("auto", "parallel", "sequential", "vectorized")
#: chain_method used when there are fewer devices than chains, by platform.
FALLBACK_CHAIN_METHOD = {"cpu": "vectorized", "gpu": "vectorized", "tpu": "vectorized"}


def _describe(model: Callable[..., Any], signature: inspect.Signature) -> str:
    return f"{getattr(model, '__name__', 'model')}{signature}"


def _to_model_value(value: Any) -> Any:
    """numpy/pandas/array-like -> JAX arrays; numpy scalars -> Python scalars (static); the rest unchanged."""
    if isinstance(value, jax.Array):
        return value
    if hasattr(value, "to_numpy"):  # pandas DataFrame / Series
        value = value.to_numpy()
    elif not isinstance(value, np.ndarray) and (hasattr(value, "__array__") or hasattr(value, "__array_interface__")):
        value = np.asarray(value)  # array-likes from other languages (PythonCall, reticulate, ...)
    if isinstance(value, np.ndarray):
        return jnp.asarray(value) if value.ndim else _to_model_value(value.item())
    if isinstance(value, np.generic):
        return _to_model_value(value.item())
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, numbers.Number) for v in value):
        return jnp.asarray(np.asarray(value))
    return value


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
    return {k: _to_model_value(v) for k, v in data_on_model.items()}


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
    num_warmup: Any = 1000,
    num_samples: Any = 1000,
    num_chains: Any = 4,
    chain_method: str = "auto",
    seed: Any = 0,
    progress_bar: bool = True,
    target_accept_prob: float = 0.8,
    thinning: Any = 1,
    shard_rows: bool | None = None,
    **nuts: Any,
) -> MCMC:
    """Fit ``model(**model_kwargs)`` with NUTS and return the finished NumPyro ``MCMC``.

    ``shard_rows``: split the data rows over the devices (:mod:`bayesforge.sharding`;
    None: when the chains do not run in parallel and the data is large, or spans processes).
    """
    num_warmup = as_int(num_warmup, "num_warmup", minimum=0)
    num_samples = as_int(num_samples, "num_samples", minimum=1)
    num_chains = as_int(num_chains, "num_chains", minimum=1)
    thinning = as_int(thinning, "thinning", minimum=1)
    seed = as_int(seed, "seed")
    if not isinstance(target_accept_prob, numbers.Real) or not 0 < float(target_accept_prob) < 1:
        raise ValueError(f"target_accept_prob must be a number strictly between 0 and 1, got {target_accept_prob!r}")
    method = choose_chain_method(chain_method, num_chains, devices)
    run = plan_sharding(model, model_kwargs, devices, num_chains=num_chains, chain_method=chain_method,
                        resolved_chain_method=method, shard_rows=shard_rows)
    model, model_kwargs, method = run.model, run.model_kwargs, run.chain_method
    kernel = NUTS(model, target_accept_prob=float(target_accept_prob), **_nuts_options(nuts))
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        thinning=thinning,
        chain_method=method,
        progress_bar=bool(progress_bar),
        jit_model_args=run.jit_model_args,
    )
    with devices.context(), threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        # We chose chain_method from the devices; NumPyro's own advice about it is noise here.
        warnings.filterwarnings("ignore", message="There are not enough devices to run parallel chains")
        mcmc.run(jax.random.PRNGKey(seed), extra_fields=("diverging",), **model_kwargs)
        jax.block_until_ready(mcmc.get_samples(group_by_chain=True))
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
