"""One chain's likelihood over many devices: the data rows sharded, the draws unchanged.

When chains do not each take a device (one chain, ``chain_method="vectorized"``
or ``"sequential"``, or data spread over several processes), the rows of the
data are split over all devices along a 1-D mesh ``"data"``
(``jax.sharding.NamedSharding``) and XLA sums the likelihood across them. The
rows are padded to a multiple of the device count by repeating a real row, and
the padded rows are masked out of every observed site, so the log-density, and
with it the draws, equal the unsharded fit's up to floating-point rounding
(in float64 to ~1e-6; in float32 the rounding of the summed likelihood changes
and NUTS trajectories drift apart after some hundred steps, the posterior does
not). When the rows divide evenly there is no padding and no mask.

Which arguments are rows: the model is traced once abstractly
(``jax.eval_shape``); the observed sites give the number of rows N, and every
array argument whose first axis has length N is split by rows. Other arrays
are replicated, Python values (``K``, names) stay static.

:func:`plan_sharding` is what ``m.fit`` calls before NumPyro's run and
:meth:`ShardedRun.finish` after it.

>>> import jax, numpy as np
>>> from bayesforge.device import configure
>>> def model(y):
...     import numpyro, numpyro.distributions as dist
...     mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
...     numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)
>>> devices = configure(platform="cpu")
>>> run = plan_sharding(model, {"y": np.arange(10.0)}, devices, num_chains=1, chain_method="auto",
...                     shard_rows=True)
>>> run.sharded == (devices.count > 1), run.chain_method
(True, 'sequential')
>>> run.num_rows, run.padded_rows == -(-10 // devices.count) * devices.count
(10, True)
"""
from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from numpyro import handlers
from numpyro.primitives import Messenger

from .device import Devices
from .likelihood import xla_only

__all__ = ["MIN_SHARDED_ROWS", "ROW_AXIS", "ShardedRun", "plan_sharding", "row_arguments", "data_mesh"]

#: Name of the mesh axis the rows are split along.
ROW_AXIS = "data"
#: With ``shard_rows=None`` (automatic), data with fewer rows than this is not split on one machine: the
#: collectives of every gradient cost more than the split saves. (Measured on 2 cores only, where host
#: devices outnumber the cores and splitting is slower at any size; benchmarks/distributed.py.)
MIN_SHARDED_ROWS = 50_000
#: Keyword under which the padded-rows mask reaches the wrapped model.
_MASK = "_bayesforge_row_mask"


def data_mesh(devices: Devices) -> Mesh:
    """A 1-D mesh ``"data"`` over ``devices``, each process's devices next to each other."""
    ordered = sorted(devices.devices, key=lambda d: (d.process_index, d.id))
    return Mesh(np.array(ordered), (ROW_AXIS,))


class _MaskPaddedRows(Messenger):
    """Masks the padded rows out of every observed site whose first batch axis is the rows."""

    def __init__(self, fn: Callable[..., Any], mask: jax.Array):
        self.mask = mask
        super().__init__(fn)

    def process_message(self, msg: dict) -> None:
        if msg["type"] != "sample" or not msg.get("is_observed"):
            return
        batch_ndim = jnp.ndim(msg["value"]) - len(msg["fn"].event_shape)
        if batch_ndim < 1 or jnp.shape(msg["value"])[0] != self.mask.shape[0]:
            return
        msg["fn"] = msg["fn"].mask(self.mask.reshape(self.mask.shape + (1,) * (batch_ndim - 1)))


def _is_array(value: Any) -> bool:
    return isinstance(value, (np.ndarray, jax.Array))


def row_arguments(model: Callable[..., Any], model_kwargs: Mapping[str, Any]) -> tuple[int, tuple[str, ...]] | None:
    """``(N, names)``: the number of rows the model observes and the array arguments split by rows.

    None when the model cannot be traced abstractly (it needs concrete data), its
    observed sites disagree on the number of rows, or no argument has N rows.

    >>> import numpy as np, numpyro, numpyro.distributions as dist
    >>> def regression(X, y, K):
    ...     beta = numpyro.sample("beta", dist.Normal(0, 1).expand([X.shape[1]]))
    ...     numpyro.sample("y", dist.Normal(X @ beta, 1.0), obs=y)
    >>> row_arguments(regression, {"X": np.ones((6, 2)), "y": np.ones(6), "K": 3})
    (6, ('X', 'y'))
    """
    arrays = {k: v for k, v in model_kwargs.items() if _is_array(v) and np.ndim(v) >= 1}
    static = {k: v for k, v in model_kwargs.items() if k not in arrays}
    sizes: set[int] = set()

    def observe(arrays):
        with handlers.seed(rng_seed=0):
            trace = handlers.trace(model).get_trace(**static, **arrays)
        for site in trace.values():
            if site["type"] == "sample" and site.get("is_observed"):
                batch_ndim = jnp.ndim(site["value"]) - len(site["fn"].event_shape)
                if batch_ndim >= 1:
                    sizes.add(int(jnp.shape(site["value"])[0]))
        return 0

    try:
        jax.eval_shape(observe, arrays)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError,
            jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError):
        return None
    if len(sizes) != 1:
        return None
    (rows,) = sizes
    names = tuple(k for k, v in arrays.items() if np.shape(v)[0] == rows)
    return (rows, names) if names else None


@dataclass
class ShardedRun:
    """What NumPyro's MCMC gets: the model, its arguments and the chain method (sharded or as given)."""

    model: Callable[..., Any]
    model_kwargs: dict[str, Any]
    chain_method: str
    #: True when the rows are split over the devices (then ``jit_model_args`` is needed).
    sharded: bool = False
    num_rows: int = 0
    padded_rows: int = 0
    row_names: tuple[str, ...] = ()
    _original: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def jit_model_args(self) -> bool:
        """Pass the data as arguments of the compiled step: a sharded array cannot be a closed-over constant."""
        return self.sharded

    def finish(self, mcmc: Any) -> None:
        """After the run, point ``mcmc`` back at the unpadded arguments.

        ArviZ's ``from_numpyro`` replays ``mcmc.sampler.model`` with the arguments of
        the last run for the pointwise log-likelihood and the observed data; without the
        mask the wrapped model is the original one, so both cover the real rows only.
        """
        if self.sharded:
            mcmc._args, mcmc._kwargs = (), dict(self._original)


def _wrap(model: Callable[..., Any], static: Mapping[str, Any]) -> Callable[..., Any]:
    @functools.wraps(model)
    def sharded_rows(**kwargs):
        mask = kwargs.pop(_MASK, None)
        arguments = {**static, **kwargs}  # after ShardedRun.finish: the original arguments, statics included
        # The mixture likelihood's native CPU kernel is a custom call XLA cannot split by rows: the sharded
        # rows keep its XLA path (else every row would be gathered to one device for it). The distributions
        # the model creates here remember it for their log_prob, which NumPyro computes after the model returns.
        with xla_only():
            if mask is None:
                return model(**arguments)
            with _MaskPaddedRows(None, mask):
                return model(**arguments)

    return sharded_rows


def _resolve_chain_method(chain_method: str, resolved: str, num_chains: int, distributed: bool,
                          shard_rows: bool | None) -> str | None:
    """The chain method of a sharded run, or None when the rows stay unsplit."""
    if resolved != "parallel":
        return resolved
    if chain_method == "parallel" and num_chains > 1:
        if distributed or shard_rows:
            raise ValueError(
                "chain_method='parallel' gives each chain its own device, so the rows cannot also be split over "
                "the devices" + (" (data spread over several processes must be)" if distributed else "")
                + "; use chain_method='vectorized' or 'auto'")
        return None
    if distributed or shard_rows:
        return "sequential" if num_chains == 1 else "vectorized"
    return None


def plan_sharding(
    model: Callable[..., Any],
    model_kwargs: Mapping[str, Any],
    devices: Devices,
    *,
    num_chains: int,
    chain_method: str,
    resolved_chain_method: str | None = None,
    shard_rows: bool | None = None,
) -> ShardedRun:
    """How to run NUTS: the rows split over ``devices`` when that applies, else the inputs unchanged.

    ``chain_method`` is what the user asked for, ``resolved_chain_method`` what
    ``"auto"`` became (default: "sequential" for one chain, else "vectorized").
    ``shard_rows``: None splits the rows when the data spans processes, or when
    the chains do not run ``parallel``, there are several devices (on the CPU:
    no more host devices than cores) and at least :data:`MIN_SHARDED_ROWS` rows;
    True splits them whenever there are several devices; False never (an error
    when the data spans processes).
    """
    if shard_rows is not None and not isinstance(shard_rows, bool):
        raise TypeError(f"shard_rows must be None (automatic), True or False, got {shard_rows!r}")
    resolved = resolved_chain_method or (chain_method if chain_method != "auto" else
                                         "sequential" if num_chains == 1 else "vectorized")
    distributed = jax.process_count() > 1
    unchanged = ShardedRun(model=model, model_kwargs=dict(model_kwargs), chain_method=resolved)
    if shard_rows is False:
        if distributed:
            raise ValueError("shard_rows=False, but the data is spread over several processes "
                             f"({jax.process_count()}): their rows must be split over the devices")
        return unchanged
    if not distributed and devices.count < 2:
        return unchanged
    method = _resolve_chain_method(chain_method, resolved, num_chains, distributed, shard_rows)
    if method is None:
        return unchanged
    if shard_rows is None and not distributed:
        if devices.platform == "cpu" and devices.count > (os.cpu_count() or 1):
            return unchanged  # host devices sharing cores: measured 0.8x (4 devices, 2 cores)
        if not any(_is_array(v) and np.ndim(v) >= 1 and np.shape(v)[0] >= MIN_SHARDED_ROWS
                   for v in model_kwargs.values()):
            return unchanged  # small data: not worth tracing the model to find its rows
    found = row_arguments(model, model_kwargs)
    local_rows = found[0] if found else 0
    row_names = found[1] if found else ()
    if distributed:
        from . import distributed as _distributed

        counts = _distributed.agree_on_rows(local_rows, row_names)
    else:
        if found is None:
            if shard_rows:
                raise ValueError("shard_rows=True, but the model's rows could not be found: its observed sites "
                                 "must share one number of rows N, some array argument must have N rows, and the "
                                 "model must run on JAX arrays (no NumPy calls on the data)")
            return unchanged
        if shard_rows is None and local_rows < MIN_SHARDED_ROWS:
            return unchanged
        counts = [local_rows]
    return _shard(model, model_kwargs, devices, method, counts, row_names)


def _shard(model, model_kwargs, devices: Devices, method: str, counts: list[int],
           row_names: tuple[str, ...]) -> ShardedRun:
    mesh = data_mesh(devices)
    process = jax.process_index()
    local_devices = sum(d.process_index == process for d in devices.devices)
    block = max(1, math.ceil(max(counts) / local_devices)) * local_devices  # rows per process, padded
    padded = block * len(counts)
    mine = counts[process] if len(counts) > 1 else counts[0]
    rows_sharding = NamedSharding(mesh, PartitionSpec(ROW_AXIS))
    replicated = NamedSharding(mesh, PartitionSpec())
    static = {k: v for k, v in model_kwargs.items() if not _is_array(v)}
    others = {k: v for k, v in model_kwargs.items() if _is_array(v) and k not in row_names}
    if len(counts) > 1:
        from . import distributed as _distributed

        others = _distributed.same_in_every_process(others)
    arguments: dict[str, Any] = {}
    with devices.context():
        for name in row_names:
            local = np.asarray(model_kwargs[name])
            filler = local[-1:] if len(local) else np.zeros((1,) + local.shape[1:], local.dtype)
            padding = np.repeat(filler, block - len(local), axis=0)
            arguments[name] = jax.make_array_from_process_local_data(
                rows_sharding, np.concatenate([local, padding]), (padded,) + local.shape[1:])
        if any(count != block for count in counts):  # no padding, no mask: the likelihood code sees plain rows
            arguments[_MASK] = jax.make_array_from_process_local_data(
                rows_sharding, np.arange(block) < mine, (padded,))
        for name, value in others.items():
            value = np.asarray(value)
            arguments[name] = jax.make_array_from_process_local_data(replicated, value, value.shape)
    return ShardedRun(model=_wrap(model, static), model_kwargs=arguments, chain_method=method, sharded=True,
                      num_rows=int(sum(counts)), padded_rows=padded, row_names=row_names,
                      _original=dict(model_kwargs))
