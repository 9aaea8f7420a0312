"""Which devices the fit runs on, and how many chains can run in parallel.

JAX reads its platform, its number of host (CPU) devices and ``XLA_FLAGS``
once, when its backend starts. :func:`configure` applies ``platform``, ``cores``
and BayesForge's XLA flags (:data:`XLA_DEFAULT_FLAGS`, appended to any the user
set) if the backend has not started yet (the only process-wide changes
BayesForge makes), and otherwise uses the devices that exist and warns. Double precision is not
switched on process-wide: :class:`Devices` carries ``x64`` and fits run inside
``jax.enable_x64`` so two ``bf()`` objects keep their own precision.

>>> from bayesforge.device import configure
>>> devices = configure(platform="cpu")
>>> devices.platform
'cpu'
>>> devices.count >= 1
True
"""
from __future__ import annotations

import contextlib
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterator

import jax

from . import distributed as _distributed
from .defaults import DEFAULT_CHAINS
from .validation import as_int

__all__ = ["Devices", "configure", "DEFAULT_CHAINS", "PLATFORMS", "XLA_DEFAULT_FLAGS", "with_default_xla_flags"]

PLATFORMS = ("cpu", "gpu", "tpu")
_XLA_COUNT_FLAG = re.compile(r"--xla_force_host_platform_device_count=(\d+)")
#: XLA flags set before JAX starts unless the user's ``XLA_FLAGS`` already sets them. Measured (2 cores,
#: jax 0.10.2): without the YNNPACK reduce fusion the gradient of the seed GMM at 10⁶ points took
#: 102–107 ms instead of 166–170 ms, and under load the default was up to 10× slower.
XLA_DEFAULT_FLAGS = ("--xla_cpu_experimental_ynn_fusion_type=-reduce",)


def with_default_xla_flags(flags: str) -> str:
    """``flags`` (an ``XLA_FLAGS`` value) with each of :data:`XLA_DEFAULT_FLAGS` it does not set appended.

    >>> with_default_xla_flags("--xla_force_host_platform_device_count=4")
    '--xla_force_host_platform_device_count=4 --xla_cpu_experimental_ynn_fusion_type=-reduce'
    >>> with_default_xla_flags("--xla_cpu_experimental_ynn_fusion_type=-reduce")  # set: not repeated
    '--xla_cpu_experimental_ynn_fusion_type=-reduce'
    """
    words = flags.split()
    for flag in XLA_DEFAULT_FLAGS:
        name = flag.split("=", 1)[0]
        if not any(word.split("=", 1)[0] == name for word in words):
            words.append(flag)
    return " ".join(words)


@dataclass(frozen=True)
class Devices:
    """The devices one ``bf()`` object fits on."""

    platform: str
    devices: tuple = field(repr=False)
    x64: bool = False
    notes: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """Number of devices of ``platform``: the most chains that run in parallel."""
        return len(self.devices)

    @property
    def is_default_backend(self) -> bool:
        """True when ``platform`` is JAX's default backend (``pmap`` then uses these devices)."""
        return jax.default_backend() == self.platform

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """Run JAX code on these devices with this precision."""
        with contextlib.ExitStack() as stack:
            stack.enter_context(jax.enable_x64(self.x64))
            if not self.is_default_backend:
                stack.enter_context(jax.default_device(self.devices[0]))
            yield

    def describe(self) -> str:
        """One line per fact, as shown by ``repr(m)`` and the CLI."""
        kinds = sorted({d.device_kind for d in self.devices})
        lines = [
            f"platform: {self.platform} ({self.count} device{'s' if self.count != 1 else ''}: {', '.join(kinds)})",
            f"parallel chains: up to {self.count}",
            f"precision: {'float64' if self.x64 else 'float32'}",
        ]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _backend_started() -> bool:
    from jax._src import xla_bridge

    return xla_bridge.backends_are_initialized()


def _host_count_from_env() -> int | None:
    match = _XLA_COUNT_FLAG.search(os.environ.get("XLA_FLAGS", ""))
    return int(match.group(1)) if match else None


def _platform_devices(platform: str) -> tuple:
    try:
        return tuple(jax.devices(platform))
    except RuntimeError:
        return ()


def configure(platform: str | None = None, cores: int | None = None, x64: bool = False,
              distributed: Any = None) -> Devices:
    """Detect (and, before JAX starts, set up) the devices for fitting.

    Parameters
    ----------
    platform:
        ``None`` uses JAX's default (a GPU or TPU when present, else the CPU);
        ``"cpu"``, ``"gpu"`` or ``"tpu"`` asks for that one.
    cores:
        Number of host devices to create on the CPU, one per parallel chain.
        ``None`` keeps a count already given in ``XLA_FLAGS``, else uses
        ``max(os.cpu_count(), 4)`` so the default 4 chains run in parallel.
    x64:
        Fit in double precision.
    distributed:
        Join other processes in one fit (:mod:`bayesforge.distributed`): ``True``
        detects the cluster (SLURM, Open MPI, Kubernetes, Cloud TPU), a dict gives
        ``coordinator_address``, ``num_processes``, ``process_id`` (and optionally
        ``timeout``, ``heartbeat_timeout``). Then ``count`` is all processes' devices.
    """
    if platform is not None:
        if not isinstance(platform, str) or platform.lower() not in PLATFORMS:
            raise ValueError(f"platform must be None or one of {PLATFORMS}, got {platform!r}")
        platform = platform.lower()
    if cores is not None:
        cores = as_int(cores, "cores", minimum=1)
    if not isinstance(x64, (bool, int)) or isinstance(x64, int) and x64 not in (0, 1):
        raise TypeError(f"x64 must be True or False, got {x64!r}")
    settings = _distributed.parse_settings(distributed)

    notes: list[str] = []
    if not _backend_started():
        os.environ["XLA_FLAGS"] = with_default_xla_flags(os.environ.get("XLA_FLAGS", ""))
        if platform == "cpu":
            jax.config.update("jax_platforms", "cpu")
        wanted = cores if cores is not None else _host_count_from_env()
        if wanted is None:
            wanted = max(os.cpu_count() or 1, DEFAULT_CHAINS)
        jax.config.update("jax_num_cpu_devices", wanted)
    else:
        started_with = len(_platform_devices("cpu"))
        on_cpu = (platform or jax.default_backend()) == "cpu"
        wanted = cores if cores is not None else DEFAULT_CHAINS
        if on_cpu and (started_with != wanted if cores is not None else started_with < wanted):
            message = (
                f"JAX had already started with {started_with} CPU device(s) before bf() could set "
                f"{wanted}; using the {started_with} that exist, so at most {started_with} chains run "
                "in parallel. Create bf() before running any JAX code, or set "
                "XLA_FLAGS=--xla_force_host_platform_device_count=N before Python starts."
            )
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            notes.append(f"JAX had already started with {started_with} CPU device(s)")
    if settings is not None:  # before the backend starts: JAX's distributed runtime comes first
        notes.append(_distributed.initialize(settings))

    chosen = platform or jax.default_backend()
    devices = _platform_devices(chosen)
    if not devices:
        available = sorted({d.platform for d in jax.devices()} | {"cpu"})
        raise ValueError(f"platform={platform!r} was asked for, but JAX sees no such device; available: {available}")
    return Devices(platform=chosen, devices=devices, x64=bool(x64), notes=tuple(notes))
