"""SIGINT, SIGTERM and SIGHUP while a command runs: exit 128 + signal at once, one line, nothing left behind.

The command runs in a worker thread; the main thread only waits for it, so
the signal handler (Python runs handlers in the main thread) runs within
milliseconds. The handler takes :attr:`RunState.guard` (so it never cuts a
publication of files in half), removes what the run created (staging folder,
lock file, an ``--out`` folder it made), prints one line, flushes and leaves
with ``os._exit(128 + signal)``: 130 for SIGINT, 143 for SIGTERM, 129 for
SIGHUP. A signal the parent process ignores (``nohup``, a background job of a
non-interactive shell) stays ignored.

Why not let ``KeyboardInterrupt`` unwind, and why ``os._exit``: with the fit
in the main thread, a signal reached Python only when XLA's call returned
(4–28 s later: the handler cannot run while the main thread waits inside
XLA's compile or execute), and then the interpreter exited while XLA was still
working. A core dump of the segfault (exit 139, 3 of 5 runs) showed the main
thread in ``Py_FinalizeEx`` → the final garbage collection →
``jax::PyClient::~PyClient`` → ``xla::ifrt::PjRtClient::~PjRtClient``, which
frees the client's devices and then joins its thread pool, while a pool thread
was still finishing the interrupted compilation
(``PjRtCompiler::CompileAndLoad`` → ``PjRtLoadedExecutable`` →
``BasicDeviceList::AddressableDeviceList``) on the freed devices: a
use-after-free. ``os._exit`` ends the process without finalising the
interpreter, so the XLA client is never destroyed under its running threads;
the handler flushes Python's output streams itself first.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Callable

from .errors import Interrupted

__all__ = ["RunState", "run_interruptible", "HANDLED_SIGNALS"]

HANDLED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class RunState:
    """What a signal handler needs to know about one run: its file operations and their clean-up.

    File-system steps that must not be cut in half (creating the lock, the
    staging folder, publishing) run holding ``guard`` and call :meth:`check`
    first; the handler takes ``guard`` before cleaning up.
    """

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.signal: int | None = None
        #: How the output is named in the interruption message (e.g. "results/").
        self.target: str | None = None
        #: True once the results are in place.
        self.published = False
        self._cleanups: list[Callable[[], None]] = []

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal arrived (call holding ``guard``)."""
        if self.signal is not None:
            raise Interrupted(signal.Signals(self.signal).name)

    def add_cleanup(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` (holding ``guard``) if a signal arrives; call holding ``guard``."""
        self._cleanups.append(cleanup)

    def remove_cleanup(self, cleanup: Callable[[], None]) -> None:
        if cleanup in self._cleanups:
            self._cleanups.remove(cleanup)

    def abort(self, signum: int) -> str:
        """Record the signal, undo what the run created; the message saying what happened to the output."""
        with self.guard:
            self.signal = signum
            for cleanup in reversed(self._cleanups):
                try:
                    cleanup()
                except Exception:  # noqa: BLE001 - clean up what can be; the process is ending
                    pass
            self._cleanups.clear()
            name = signal.Signals(signum).name
            if self.published:
                return f"interrupted ({name}) after the results were written to {self.target}"
            if self.target is None:
                return f"interrupted ({name}); nothing was written"
            return f"interrupted ({name}); nothing was written to {self.target}"


def run_interruptible(work: Callable[[], int], state: RunState, prog: Callable[[], str]) -> int:
    """``work()`` in a worker thread, the main thread ready for signals; returns (or raises) what ``work`` does.

    Called from another thread than the main one (where Python cannot install
    signal handlers), ``work`` runs in the caller's thread without handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return work()
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["status"] = work()
        except BaseException as error:  # noqa: B036 - handed to the main thread as it is
            outcome["error"] = error

    aborting = threading.Event()

    def handler(signum: int, frame) -> None:
        if aborting.is_set():
            return
        aborting.set()
        try:
            message = state.abort(signum)
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            sys.stderr.write(f"\n{prog()}: {message}\n" if _on_terminal() else f"{prog()}: {message}\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - whatever happens, leave now (see the module docstring)
            pass
        finally:
            os._exit(128 + signum)

    previous = {}
    for signum in HANDLED_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, handler)
    try:
        worker = threading.Thread(target=target, name="bayesforge-command", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.25)  # interruptible: the handler runs while the main thread waits here
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return int(outcome["status"])  # type: ignore[arg-type]


def _on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
