"""The two ways a command stops early: the user's mistake, or a signal."""
from __future__ import annotations

__all__ = ["CommandError", "Interrupted", "USAGE_ERROR", "INTERNAL_ERROR"]

#: Exit status for a mistake the user can fix (a bad option, file or output path).
USAGE_ERROR = 2
#: Exit status for a failure inside BayesForge or its libraries.
INTERNAL_ERROR = 1


class CommandError(Exception):
    """A problem with what the user asked for: one line on stderr, exit status 2, no traceback."""


class Interrupted(Exception):
    """A signal arrived: the command stops touching files; the main thread ends the process."""
