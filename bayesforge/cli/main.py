"""The ``bayesforge`` command line: the parser, one line per error, exit statuses, signals.

Exit statuses: 0 done; 2 the user's mistake (a bad option, data file or output
path; one line ``bayesforge gmm: error: …`` on stderr, no traceback, nothing
written); 1 an internal failure (one line; the traceback with ``--debug``);
130 / 143 / 129 after SIGINT / SIGTERM / SIGHUP (one line ``… interrupted;
nothing was written to …``, see :mod:`bayesforge.cli.interrupts`).

The command runs after its options are read; JAX starts only when a command
fits (``bf()``), after every check that can be made before.
"""
from __future__ import annotations

import argparse
import sys
import traceback
from typing import Sequence

from . import demo, gmm
from .console import Console, one_line
from .errors import INTERNAL_ERROR, USAGE_ERROR, CommandError, Interrupted
from .interrupts import RunState, run_interruptible
from .options import add_common_options

__all__ = ["main", "build_parser"]


class UsageError(Exception):
    """argparse's complaint about the command line, raised instead of printing usage and exiting."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, raised: main() prints it
        raise UsageError(self.prog, message)


def build_parser() -> argparse.ArgumentParser:
    """The ``bayesforge`` parser with its commands ``demo`` and ``gmm``."""
    from bayesforge import __version__

    parser = _Parser(prog="bayesforge", description="Bayesian models fitted with NUTS on JAX/NumPyro.")
    parser.add_argument("--version", action="version", version=f"bayesforge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{demo,gmm}")
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common)
    demo.register(commands, common)
    gmm.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bayesforge`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    A SIGINT, SIGTERM or SIGHUP ends the process (``os._exit``) with 128 +
    the signal number once what the run created is removed.
    """
    state = RunState()
    prog = ["bayesforge"]
    return run_interruptible(lambda: _run(argv, state, prog), state, lambda: prog[0])


def _run(argv: Sequence[str] | None, state: RunState, prog: list[str]) -> int:
    try:
        args, extras = build_parser().parse_known_args(argv)
        if extras:  # named by the command, not by the top-level parser as argparse would
            raise UsageError(f"bayesforge {args.command}", f"unrecognized arguments: {' '.join(extras)}")
    except UsageError as error:
        print(f"{error.prog}: error: {one_line(error)} (see '{error.prog} --help')", file=sys.stderr, flush=True)
        return USAGE_ERROR
    except SystemExit as exit_:  # --help, --version
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else USAGE_ERROR)
    prog[0] = f"bayesforge {args.command}"
    console = Console(prog=prog[0], quiet=args.quiet)
    try:
        with console.warnings_as_lines():
            return args.run(args, console, state)
    except CommandError as error:
        console.error(error)
        return USAGE_ERROR
    except Interrupted:  # the main thread is ending the process; nothing more to do here
        return 128 + (state.signal or 2)
    except Exception as error:  # noqa: BLE001 - an internal failure: one line, the traceback on request
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        hint = "" if args.debug else " (run again with --debug to see the traceback)"
        print(f"{prog[0]}: internal error: {type(error).__name__}: {one_line(error)}{hint}", file=sys.stderr,
              flush=True)
        return INTERNAL_ERROR
