"""Many machines: one fit over the rows held by several processes (JAX's distributed runtime).

Every process runs the same program on its own rows; the likelihood is summed
across processes (:mod:`bayesforge.sharding`) and every process gets the same
draws. Only the main process (process 0) should write files.

* :func:`initialize` joins the processes: ``True`` lets JAX detect the cluster
  (SLURM, Open MPI, Kubernetes, Cloud TPU); a dict names the coordinator
  (``"host:port"`` of process 0), ``num_processes`` and ``process_id``. On the
  CPU the processes talk through gloo collectives.
* Bad settings fail within ``timeout`` seconds with an error naming the setting.
  JAX 0.10 itself aborts the whole process (SIGABRT, nothing to catch) when the
  processes do not all register in time, so the processes first meet at the
  coordinator's port through a small handshake (:func:`_rendezvous`) that checks
  the address, ``num_processes`` and ``process_id``.
* When a process dies, JAX's heartbeats stop the others after
  ``heartbeat_timeout`` seconds, with JAX's message "Terminating process because
  the JAX distributed service detected fatal errors ... The following tasks are
  unhealthy (stopped sending heartbeats)".
* :func:`row_range` and :func:`read_own_rows` give each process its share of a
  file's rows; :func:`shared_rows`, :func:`same_in_every_process` and
  :func:`gather_rows` move the little data that must be common, or written.

The collectives here (everything that takes data from other processes) must be
called by every process in the same order: run the same code everywhere and put
only the writing of files under ``if m.is_main_process``.

>>> row_range(10, process_id=1, num_processes=3)
(4, 7)
>>> parse_settings({"coordinator_address": "10.0.0.1:1234", "num_processes": 2, "process_id": 1}).process_id
1
>>> parse_settings({"coordinator": "10.0.0.1:1234"})
Traceback (most recent call last):
...
ValueError: distributed has an unknown setting 'coordinator'; the settings are: coordinator_address, num_processes, process_id, timeout, heartbeat_timeout
"""
from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .validation import as_int

__all__ = ["DistributedSettings", "parse_settings", "initialize", "is_main_process", "process_index",
           "process_count", "row_range", "read_own_rows", "agree_on_rows", "same_in_every_process",
           "shared_rows", "gather_rows", "column_moments", "refuse_distributed", "failed_processes",
           "INITIALIZATION_TIMEOUT", "HEARTBEAT_TIMEOUT"]

#: Seconds the processes have to find each other (raise it for clusters that start processes slowly).
INITIALIZATION_TIMEOUT = 60
#: Seconds without heartbeats after which a process counts as dead and the others stop (JAX's default: 100).
HEARTBEAT_TIMEOUT = 30
#: Most rows gathered into every process by :func:`shared_rows` (k-means starting points, relabelling, figures).
SHARED_ROWS = 10_000
#: Bytes per broadcast when :func:`gather_rows` collects the rows' results on the main process.
GATHER_CHUNK_BYTES = 8 << 20
_SETTINGS = ("coordinator_address", "num_processes", "process_id", "timeout", "heartbeat_timeout")


@dataclass(frozen=True)
class DistributedSettings:
    """How this process joins the others; None where JAX detects it from the cluster's environment."""

    coordinator_address: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    timeout: int = INITIALIZATION_TIMEOUT
    heartbeat_timeout: int = HEARTBEAT_TIMEOUT

    @property
    def explicit(self) -> bool:
        """True when address, process count and id are all given (no cluster detection)."""
        return None not in (self.coordinator_address, self.num_processes, self.process_id)


def _check_address(address: Any) -> str:
    if not isinstance(address, str) or address.count(":") < 1:
        raise ValueError(f"coordinator_address must be 'host:port' (process 0's machine), got {address!r}")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"coordinator_address must be 'host:port' with a port 1..65535, got {address!r}")
    return address


def parse_settings(distributed: Any) -> DistributedSettings | None:
    """``bf(distributed=...)`` checked: None/False (one process), True (detect the cluster) or a dict of settings."""
    if distributed is None or distributed is False:
        return None
    if distributed is True:
        return DistributedSettings()
    if not isinstance(distributed, Mapping):
        raise TypeError("distributed must be None, True (detect the cluster: SLURM, Open MPI, Kubernetes, Cloud "
                        "TPU) or a dict with coordinator_address, num_processes and process_id, got "
                        f"{type(distributed).__name__}")
    unknown = [k for k in distributed if k not in _SETTINGS]
    if unknown:
        raise ValueError(f"distributed has an unknown setting {unknown[0]!r}; the settings are: {', '.join(_SETTINGS)}")
    values = dict(distributed)
    address = values.get("coordinator_address")
    count = values.get("num_processes")
    index = values.get("process_id")
    settings = DistributedSettings(
        coordinator_address=None if address is None else _check_address(address),
        num_processes=None if count is None else as_int(count, "num_processes", minimum=1),
        process_id=None if index is None else as_int(index, "process_id", minimum=0),
        timeout=as_int(values.get("timeout", INITIALIZATION_TIMEOUT), "timeout", minimum=1),
        heartbeat_timeout=as_int(values.get("heartbeat_timeout", HEARTBEAT_TIMEOUT), "heartbeat_timeout", minimum=1),
    )
    if settings.num_processes is not None and settings.process_id is not None \
            and settings.process_id >= settings.num_processes:
        raise ValueError(f"process_id must be 0..num_processes-1 = 0..{settings.num_processes - 1}, "
                         f"got process_id={settings.process_id}")
    return settings


# -- joining the processes ----------------------------------------------------------------------------

def _send(connection: socket.socket, message: Mapping[str, Any]) -> None:
    connection.sendall((json.dumps(message) + "\n").encode())


def _receive(connection: socket.socket) -> dict | None:
    with connection.makefile("r", encoding="utf-8") as reader:
        line = reader.readline()
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _close_after_peer(connection: socket.socket) -> None:
    """Close once the peer has closed, so the wait state lands on its side and process 0's port is free for JAX."""
    try:
        connection.settimeout(2.0)
        while connection.recv(256):
            pass
    except OSError:
        pass
    connection.close()


def _listen(port: int) -> socket.socket:
    if socket.has_dualstack_ipv6():
        return socket.create_server(("", port), family=socket.AF_INET6, dualstack_ipv6=True)
    return socket.create_server(("", port))


def _serve(listener: socket.socket, settings: DistributedSettings, deadline: float) -> None:
    """Process 0's side: wait for every process, check their settings, answer all of them at once."""
    joined: dict[int, socket.socket] = {}
    problems: list[str] = []
    count = settings.num_processes
    while len(joined) < count and time.monotonic() < deadline:
        listener.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            connection, _ = listener.accept()
        except OSError:
            break
        connection.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            hello = _receive(connection) or {}
        except OSError:
            connection.close()
            continue
        their_count, their_id = hello.get("num_processes"), hello.get("process_id")
        problem = None
        if their_count != count:
            problem = (f"process {their_id} has num_processes={their_count} but process 0 has "
                       f"num_processes={count}; every process must give the same num_processes")
        elif their_id in joined:
            problem = f"two processes have process_id={their_id}; each needs its own process_id 0..{count - 1}"
        if problem:
            problems.append(problem)
            _send(connection, {"error": problem})
            _close_after_peer(connection)
            continue
        joined[their_id] = connection
    listener.close()
    if len(joined) == count:
        answer: dict[str, Any] = {"ok": True}
    else:
        missing = ", ".join(str(i) for i in range(count) if i not in joined)
        answer = {"error": f"only {len(joined)} of num_processes={count} processes reached the coordinator "
                           f"{settings.coordinator_address} within {settings.timeout} s (missing process_id: "
                           f"{missing}){'; ' + '; '.join(problems) if problems else ''}. Check num_processes "
                           "and that every process was started (raise distributed['timeout'] if they start slowly)"}
    for connection in joined.values():
        try:
            _send(connection, answer)
        except OSError:
            pass
        _close_after_peer(connection)


def _join(settings: DistributedSettings, deadline: float) -> None:
    """Every process's side: reach the coordinator, say who we are, wait for its answer."""
    host, _, port = settings.coordinator_address.rpartition(":")
    host = host.strip("[]")
    last_error: OSError | None = None
    while True:
        try:
            wait = max(0.05, min(2.0, deadline - time.monotonic()))
            connection = socket.create_connection((host, int(port)), timeout=wait)
            break
        except OSError as error:
            last_error = error
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"could not reach the coordinator at coordinator_address={settings.coordinator_address!r} within "
                f"{settings.timeout} s ({last_error.strerror or last_error if last_error else 'no answer'}): it must "
                "be 'host:port' of the machine running process 0, and process 0 must be running") from None
        time.sleep(0.2)
    with connection:
        connection.settimeout(max(0.05, deadline - time.monotonic()) + 5.0)
        try:
            _send(connection, {"process_id": settings.process_id, "num_processes": settings.num_processes})
            answer = _receive(connection)
        except OSError as error:
            raise TimeoutError(
                f"the coordinator at coordinator_address={settings.coordinator_address!r} did not answer within "
                f"{settings.timeout} s ({error}); check coordinator_address and num_processes") from None
    if answer is None:
        raise ValueError(f"coordinator_address={settings.coordinator_address!r} is not a BayesForge process 0 "
                         "(it answered something else); give the address and port of process 0")
    if "error" in answer:
        raise ValueError(answer["error"])


def _rendezvous(settings: DistributedSettings) -> None:
    """Meet at the coordinator's port before JAX does, so bad settings are errors rather than aborts."""
    deadline = time.monotonic() + settings.timeout
    server = None
    if settings.process_id == 0:
        port = int(settings.coordinator_address.rpartition(":")[2])
        try:
            listener = _listen(port)
        except OSError as error:
            raise ValueError(f"process 0 cannot listen on port {port} of coordinator_address="
                             f"{settings.coordinator_address!r}: {error.strerror or error}; "
                             "choose a free port") from None
        server = threading.Thread(target=_serve, args=(listener, settings, deadline), daemon=True,
                                  name="bayesforge-rendezvous")
        server.start()
    try:
        _join(settings, deadline)
    finally:
        if server is not None:
            server.join(timeout=max(0.0, deadline - time.monotonic()) + 10.0)


def initialize(settings: DistributedSettings) -> str:
    """Join the other processes before JAX starts; returns a line describing this process for ``m.devices``.

    Idempotent within a process for the same settings (the distributed runtime is
    one per process); different settings after joining are a ``ValueError``.
    """
    import jax

    from .device import _backend_started

    if jax.distributed.is_initialized():
        wanted = [(settings.num_processes, jax.process_count(), "num_processes"),
                  (settings.process_id, jax.process_index(), "process_id")]
        for asked, actual, name in wanted:
            if asked is not None and asked != actual:
                raise ValueError(f"this Python process already joined a distributed run with {name}={actual}; "
                                 f"it cannot join another ({name}={asked}); start a new process")
        return _describe()
    if _backend_started():
        raise ValueError("bf(distributed=...) must be created before any JAX computation in this process "
                         "(JAX's distributed runtime starts before its backend)")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if settings.explicit:
        _rendezvous(settings)
    try:
        jax.distributed.initialize(
            coordinator_address=settings.coordinator_address, num_processes=settings.num_processes,
            process_id=settings.process_id, initialization_timeout=settings.timeout,
            heartbeat_timeout_seconds=settings.heartbeat_timeout)
    except ValueError as error:
        if settings.explicit:
            raise
        raise ValueError(
            "bf(distributed=True) found no cluster to join: JAX detects SLURM, Open MPI, Kubernetes and Cloud TPU "
            f"from their environment ({error}); elsewhere pass distributed={{'coordinator_address': 'host:port', "
            "'num_processes': P, 'process_id': i}") from None
    return _describe()


def _describe() -> str:
    import jax

    return (f"distributed: process {jax.process_index()} of {jax.process_count()} "
            f"({jax.local_device_count()} local device(s))")


def process_index() -> int:
    """This process's number, 0 for the main process (and when not distributed)."""
    import jax

    return jax.process_index()


def process_count() -> int:
    """How many processes share the fit (1 when not distributed)."""
    import jax

    return jax.process_count()


def is_main_process() -> bool:
    """True in process 0, the one that writes files (always True when not distributed)."""
    return process_index() == 0


# -- splitting a file's rows ----------------------------------------------------------------------------

def row_range(num_rows: Any, process_id: Any, num_processes: Any) -> tuple[int, int]:
    """``(start, stop)``: process ``process_id``'s rows of ``num_rows``, shares differing by at most one."""
    rows = as_int(num_rows, "num_rows", minimum=0)
    count = as_int(num_processes, "num_processes", minimum=1)
    index = as_int(process_id, "process_id", minimum=0)
    if index >= count:
        raise ValueError(f"process_id must be 0..num_processes-1 = 0..{count - 1}, got {index}")
    base, extra = divmod(rows, count)
    start = index * base + min(index, extra)
    return start, start + base + (index < extra)


def _data_lines(path: Path, header: bool) -> tuple[bytes | None, list[bytes]] | None:
    """The header line (None without one) and the non-blank data lines; None when the file cannot be read here."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline() if header else None
            lines = [line for line in handle if line.strip()]
    except OSError:
        return None
    return first, lines


def _parse_rows(first: bytes | None, lines: list[bytes], columns: Any, sep: str, decimal: str):
    """The rows as a float table, or None when anything is unusual (then the whole file is read instead)."""
    import pandas as pd

    from .tabular import ENCODING

    text = (first.rstrip(b"\r\n") + b"\n" if first is not None else b"") + b"".join(
        line if line.endswith(b"\n") else line + b"\n" for line in lines)
    try:
        cells = pd.read_csv(io.BytesIO(text), header=None, dtype=str, sep=sep, keep_default_na=False,
                            na_filter=False, encoding=ENCODING, engine="c").fillna("")
        if first is not None:
            header = [str(name).strip() for name in cells.iloc[0]]
            cells = cells.iloc[1:]
            if any(_is_number(name) for name in header):
                return None  # perhaps data in the header line: read_numeric_csv says what to do
        else:
            header = [f"x{j + 1}" for j in range(cells.shape[1])]
        cells.columns = header
        names = header if columns is None else _column_names(header, columns)
        if len(cells) != len(lines) or len(set(names)) != len(names) or not all(names):
            return None
        texts = {name: cells[name].str.strip() for name in names}
        if decimal != ".":
            texts = {name: values.str.replace(decimal, ".", regex=False) for name, values in texts.items()}
        table = pd.DataFrame({name: pd.to_numeric(values, errors="raise").astype(float)
                              for name, values in texts.items()}, columns=names)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    return table if np.isfinite(table.to_numpy()).all() else None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_own_rows(path: Any, process_id: Any, num_processes: Any, columns: Any = None, *, sep: str = ",",
                  decimal: str = ".", header: bool = True):
    """This process's share of a delimited file's data rows: ``(table, start, total)``.

    ``table`` is a float ``DataFrame`` of data rows ``start .. start + len(table) - 1``
    (numbered from 0, its index) out of ``total``; shares differ by at most one row
    (:func:`row_range`). Only these rows are parsed; the rest of the file is only
    scanned for line breaks. ``columns``, ``sep``, ``decimal`` and ``header`` are
    those of :func:`bayesforge.tabular.read_numeric_csv`. When this process's rows
    or the header are not plain numbers, the whole file is read with that function,
    so a bad file gives its error message (naming the column, row and line).
    """
    import pandas as pd

    from .tabular import read_numeric_csv

    file = Path(path)
    count = as_int(num_processes, "num_processes", minimum=1)
    index = as_int(process_id, "process_id", minimum=0)
    found = _data_lines(file, header) if file.is_file() else None
    if found is not None and found[1]:
        first, lines = found
        start, stop = row_range(len(lines), index, count)
        table = _parse_rows(first, lines[start:stop], columns, sep, decimal)
        if table is not None:
            table.index = pd.RangeIndex(start, stop)
            return table, start, len(lines)
    whole = read_numeric_csv(file, columns, sep=sep, decimal=decimal, header=header)  # raises for a bad file
    start, stop = row_range(len(whole), index, count)
    return whole.iloc[start:stop], start, len(whole)


def _column_names(header: list[str], columns: Any) -> list[str]:
    from .tabular import parse_column_list

    tokens = parse_column_list(columns) if isinstance(columns, str) else list(columns)
    names = []
    for token in tokens:
        name = str(token).strip()
        if name not in header and name.isdigit() and int(name) < len(header):
            name = header[int(name)]
        if name not in header or header.count(name) > 1:
            raise KeyError(name)
        names.append(name)
    return names


# -- the little data processes exchange ----------------------------------------------------------------

def _exact(array: np.ndarray) -> np.ndarray:
    """Bytes of ``array``: collectives then move them unchanged (JAX would turn float64 into float32)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8)


def _allgather_bytes(data: np.ndarray) -> np.ndarray:
    """P×B: every process's ``data`` (uint8, same length B everywhere)."""
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(data)).astype(np.uint8)


def _allgather_ints(values: Sequence[int]) -> np.ndarray:
    return _allgather_bytes(np.asarray(values, dtype=np.int64).view(np.uint8)).view(np.int64)


def _broadcast_bytes(data: np.ndarray, source: int) -> np.ndarray:
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.broadcast_one_to_all(data, is_source=process_index() == source)).astype(np.uint8)


def agree_on_rows(local_rows: int, row_names: Sequence[str]) -> list[int]:
    """Every process's number of rows; a ``ValueError`` (in every process) when they split different arguments."""
    digest = hashlib.sha256("\0".join(row_names).encode()).digest()[:8]
    gathered = _allgather_ints([local_rows, int.from_bytes(digest, "little", signed=True)])
    if not row_names or len(set(gathered[:, 1].tolist())) > 1:
        raise ValueError(
            "the processes disagree on which model arguments are data rows (or found none): every process must "
            "pass its own rows of the same arguments (an observed site's rows and arrays with as many rows), and "
            f"the same values for the other arguments; this process found {list(row_names)} with {local_rows} rows")
    return [int(n) for n in gathered[:, 0]]


def same_in_every_process(values: Mapping[str, Any], rtol: float = 1e-5, check: bool = True) -> dict[str, np.ndarray]:
    """Process 0's value of every array in ``values``, in every process (bit for bit).

    Arguments that are not rows must be the same everywhere (prior means, scales):
    tiny differences (another machine's floating point) are replaced by process 0's
    value; with ``check``, real differences are a ``ValueError`` naming the argument
    (``check=False``: process 0's value wins, e.g. for the chains' starting points).
    A process computing with other values than the rest would not only be wrong:
    its sampler would take other steps and wait in collectives the others never reach.
    """
    if process_count() == 1:
        return {name: np.asarray(value) for name, value in values.items()}
    result: dict[str, np.ndarray] = {}
    for name in sorted(values):
        local = np.asarray(values[name])
        shape = list(local.shape)
        shapes = _allgather_ints([local.ndim] + shape + [0] * (8 - len(shape)))
        if len({tuple(row) for row in shapes.tolist()}) > 1:
            raise ValueError(f"argument {name!r} has different shapes in different processes; only the data rows "
                             "may differ between processes")
        common = _broadcast_bytes(_exact(local), source=0).view(local.dtype).reshape(local.shape)
        close = bool(np.allclose(local, common, rtol=rtol, atol=0.0, equal_nan=True)) if local.dtype.kind in "fc" \
            else bool(np.array_equal(local, common))
        if check and not _allgather_ints([int(close)]).all():
            raise ValueError(f"argument {name!r} differs between processes; only the data rows may differ "
                             "(compute starting values from rows every process shares, see shared_rows)")
        result[name] = common
    return result


def shared_rows(rows: Any, max_rows: int | None = None) -> np.ndarray:
    """The same rows in every process: up to ``max_rows`` evenly spaced rows of all processes' data, in order.

    ``max_rows=None``: all of ``rows`` on one process, :data:`SHARED_ROWS` across
    processes. Use it for what every process must compute identically: k-means
    starting points, the points that decide relabelling, a figure.

    >>> shared_rows(np.arange(10.0).reshape(5, 2), max_rows=3).tolist()
    [[0.0, 1.0], [4.0, 5.0], [8.0, 9.0]]
    """
    local = np.asarray(rows)
    count = process_count()
    if max_rows is None and count == 1:
        return local
    limit = SHARED_ROWS if max_rows is None else as_int(max_rows, "max_rows", minimum=1)
    counts = [len(local)] if count == 1 else _allgather_ints([len(local)])[:, 0].tolist()
    total = int(sum(counts))
    wanted = np.unique(np.linspace(0, total - 1, min(limit, total)).astype(int)) if total else np.zeros(0, int)
    if count == 1:
        return local[wanted]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    bounds = np.searchsorted(wanted, offsets)  # wanted[bounds[p]:bounds[p + 1]] are process p's rows
    per_process = np.diff(bounds)
    me = process_index()
    mine = wanted[bounds[me]:bounds[me + 1]] - offsets[me]
    row_bytes = int(np.prod(local.shape[1:], dtype=np.int64)) * local.dtype.itemsize
    block = np.zeros(int(per_process.max()) * row_bytes, np.uint8)
    chosen = _exact(local[mine])
    block[:len(chosen)] = chosen
    gathered = _allgather_bytes(block)
    parts = [gathered[p, :n * row_bytes].view(local.dtype).reshape((n,) + local.shape[1:])
             for p, n in enumerate(per_process.tolist())]
    return np.concatenate(parts)


def column_moments(rows: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each column over all processes' rows (``rows.mean(0)``, ``rows.std(0)`` on one).

    Combined from each process's count, mean and sum of squared deviations (Chan et
    al.'s pairwise update) in process order, so every process gets the same bits.

    >>> column_moments(np.array([[1.0, 2.0], [3.0, 6.0]]))[1].tolist()
    [1.0, 2.0]
    """
    local = np.asarray(rows, dtype=float)
    if process_count() == 1:
        return local.mean(axis=0), local.std(axis=0)
    n = len(local)
    mean = local.mean(axis=0) if n else np.zeros(local.shape[1:])
    squares = ((local - mean) ** 2).sum(axis=0)
    mine = np.concatenate([[float(n)], mean.ravel(), squares.ravel()])
    gathered = _allgather_bytes(_exact(mine)).view(np.float64)
    total, mean_all, squares_all = 0.0, np.zeros(mean.size), np.zeros(mean.size)
    for row in gathered:
        count, their_mean, their_squares = row[0], row[1:1 + mean.size], row[1 + mean.size:]
        if count == 0:
            continue
        delta = their_mean - mean_all
        combined = total + count
        squares_all = squares_all + their_squares + delta ** 2 * total * count / combined
        mean_all = mean_all + delta * count / combined
        total = combined
    return mean_all.reshape(mean.shape), np.sqrt(squares_all / max(total, 1.0)).reshape(mean.shape)


def failed_processes(failed: bool) -> list[int]:
    """The processes (by number) that report ``failed``; every process gets the same list.

    For steps that can fail in some processes only (reading their rows, preparing
    the output folder): all processes then stop together instead of the others
    waiting for the failed one in the fit's collectives.
    """
    if process_count() == 1:
        return [0] if failed else []
    return [p for p, flag in enumerate(_allgather_ints([int(bool(failed))])[:, 0].tolist()) if flag]


def refuse_distributed(what: str) -> None:
    """A ``ValueError`` when several processes share the fit and ``what`` needs all rows in one place."""
    if process_count() > 1:
        raise ValueError(f"{what} is not available when the rows are spread over {process_count()} processes "
                         "(bf(distributed=...)); it needs every row's log-likelihood in one process")


def gather_rows(rows: Any) -> np.ndarray | None:
    """All processes' ``rows`` (per-row results such as memberships) stacked in process order, on process 0 only.

    Returns the stacked array in the main process and None in the others. The
    blocks travel one process after another in chunks of a few megabytes, so no
    process other than the main one ever holds more than its own rows.
    """
    local = np.asarray(rows)
    count = process_count()
    if count == 1:
        return local
    counts = _allgather_ints([len(local)])[:, 0].tolist()
    row_bytes = max(1, int(np.prod(local.shape[1:], dtype=np.int64)) * local.dtype.itemsize)
    chunk_rows = max(1, GATHER_CHUNK_BYTES // row_bytes)
    parts = []
    mine = process_index()
    for source in range(count):
        for start in range(0, counts[source], chunk_rows):
            size = min(chunk_rows, counts[source] - start)
            chunk = np.zeros(chunk_rows * row_bytes, np.uint8)  # one shape: compiled once
            if source == mine:
                data = _exact(local[start:start + size])
                chunk[:len(data)] = data
            received = _broadcast_bytes(chunk, source=source)
            if mine == 0:
                parts.append(received[:size * row_bytes].view(local.dtype).reshape((size,) + local.shape[1:]))
    if mine != 0:
        return None
    return np.concatenate(parts) if parts else np.zeros((0,) + local.shape[1:], local.dtype)
