"""The BayesForge workspace a command fits with: devices chosen from --platform and --chains."""
from __future__ import annotations

from typing import Any

from .errors import CommandError

__all__ = ["open_workspace"]


def open_workspace(platform: str | None, chains: int) -> Any:
    """``bf()`` for the command (JAX starts here); a :class:`CommandError` when ``platform`` has no device.

    On the CPU, one host device per chain, so the chains run in parallel.
    """
    from bayesforge import bf

    try:
        return bf(platform=platform, cores=max(chains, 1) if platform in (None, "cpu") else None)
    except ValueError as error:
        if platform is None:
            raise
        raise CommandError(f"--platform {platform}: {error}") from None
