"""The ``bayesforge`` command: ``bayesforge gmm DATA.csv`` and ``bayesforge demo``.

One module per concern: :mod:`~bayesforge.cli.main` (parser, errors, exit
statuses), :mod:`~bayesforge.cli.gmm` and :mod:`~bayesforge.cli.demo` (the
commands), :mod:`~bayesforge.cli.publish` (output checks, lock, staging,
atomic publication), :mod:`~bayesforge.cli.interrupts` (signals),
:mod:`~bayesforge.cli.console` (what is printed where).
"""
from .errors import CommandError
from .main import main

__all__ = ["main", "CommandError"]
