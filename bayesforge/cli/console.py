"""What a command prints: results on stdout; progress, warnings and errors on stderr, one line each.

Python warnings raised while a command runs (by BayesForge, NumPyro, ArviZ, …)
become ``warning: <message>`` lines without source paths (a warning about one
K of ``--k auto`` reads ``warning: K=5: …``); deprecation notices, which are
for developers, are not shown.
"""
from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from dataclasses import dataclass, field
from typing import Iterator, TextIO

__all__ = ["Console", "one_line"]

#: Warning categories meant for developers of the code, not for users of the command.
DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def one_line(text: object) -> str:
    """``text`` on one line: its lines joined with "; ", surrounding space removed.

    >>> one_line("first\\n  second\\n")
    'first; second'
    >>> one_line("a list:\\n  one")
    'a list: one'
    """
    joined = ""
    for part in (line.strip() for line in str(text).splitlines()):
        if part:
            joined += (" " if joined.endswith((";", ":", ",")) else "; ") + part if joined else part
    return joined


@dataclass
class Console:
    """Where a command writes. ``quiet`` hides progress; ``progress_bar`` is NumPyro's bar (stderr a terminal)."""

    prog: str
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    quiet: bool = False
    _shown: set = field(default_factory=set, repr=False)

    @property
    def progress_bar(self) -> bool:
        """NumPyro's progress bar: on a terminal, unless --quiet."""
        isatty = getattr(self.err, "isatty", None)
        return not self.quiet and bool(isatty and isatty())

    def say(self, text: object = "") -> None:
        """A result line (stdout)."""
        print(text, file=self.out, flush=True)

    def progress(self, text: str) -> None:
        """A progress line (stderr), not shown with --quiet."""
        if not self.quiet:
            print(text, file=self.err, flush=True)

    def warning(self, text: object) -> None:
        """``warning: text`` on stderr, each distinct message once."""
        line = one_line(text)
        if line and line not in self._shown:
            self._shown.add(line)
            print(f"warning: {line}", file=self.err, flush=True)

    def error(self, text: object) -> None:
        """``<prog>: error: text`` on stderr."""
        print(f"{self.prog}: error: {one_line(text)}", file=self.err, flush=True)

    @contextlib.contextmanager
    def warnings_as_lines(self) -> Iterator[None]:
        """Show Python warnings and library log warnings raised inside as ``warning: …`` lines."""
        handler = _WarningLines(self)
        loggers = [logging.getLogger(name) for name in ("jax", "numpyro", "arviz")]
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            for category in DEVELOPER_WARNINGS:
                warnings.simplefilter("ignore", category)
            warnings.showwarning = self._show_warning
            saved = [(logger, logger.propagate) for logger in loggers]
            for logger in loggers:
                logger.addHandler(handler)
                logger.propagate = False
            try:
                yield
            finally:
                for logger, propagate in saved:
                    logger.removeHandler(handler)
                    logger.propagate = propagate

    def _show_warning(self, message, category, filename, lineno, file=None, line=None) -> None:
        self.warning(message)


class _WarningLines(logging.Handler):
    """Library log records of level WARNING and above as ``warning: …`` lines."""

    def __init__(self, console: Console) -> None:
        super().__init__(level=logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.warning(record.getMessage())
        except Exception:  # a log line must never break the command
            self.handleError(record)
