"""Tables and diagnostics as a command prints them (plain ASCII, so any terminal encoding shows them)."""
from __future__ import annotations

from typing import Any

from ..defaults import R_HAT_LIMIT
from .console import Console

__all__ = ["print_table", "count", "diagnostics_line", "vi_diagnostics_line", "ascii_note", "r_hat_warning",
           "GUIDE_NAMES"]



def count(number: int, noun: str) -> str:
    """``count(1, "row")`` → ``'1 row'``, ``count(2, "row")`` → ``'2 rows'``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def print_table(table: Any, console: Console, index_label: str | None = None) -> None:
    """A pandas table on stdout, every row and column, numbers to 4 significant digits."""
    import pandas as pd

    with pd.option_context("display.max_rows", 500, "display.max_columns", 30, "display.width", 200,
                           "display.float_format", "{:.4g}".format):
        console.say(table.rename_axis(index_label) if index_label else table)


def diagnostics_line(diagnostics: dict, chains: int, warmup: int, samples: int) -> str:
    """One line: chains × draws, time, chain method, divergences, max r_hat, min ESS."""
    return (f"diagnostics: {chains} chains x {warmup}+{samples} draws in {diagnostics['seconds']:.1f} s "
            f"({diagnostics['chain_method']}); divergences: {int(diagnostics['divergences'])}; "
            f"max r_hat: {diagnostics['max_r_hat']:.3f}; min ESS bulk: {diagnostics['min_ess_bulk']:.0f}")


#: How the CLI names the guides of a variational fit (``bayesforge.vi.GUIDES``).
GUIDE_NAMES = {"normal": "mean-field Gaussian", "delta": "point (MAP)"}


def vi_diagnostics_line(diagnostics: dict, draws: int) -> str:
    """One line for a variational fit: its guide, steps, time, whether the ELBO levelled off, the draws kept.

    >>> line = vi_diagnostics_line({"guide": "normal", "num_steps": 700, "seconds": 3.21, "converged": True}, 1000)
    >>> first, second = line.split("; ")
    >>> first
    'diagnostics: variational inference (mean-field Gaussian), 700 steps in 3.2 s, converged'
    >>> second
    '1000 draws from the approximation (r_hat and ESS describe MCMC chains: none here)'
    """
    guide = GUIDE_NAMES.get(diagnostics.get("guide"), str(diagnostics.get("guide")))
    state = "converged" if diagnostics["converged"] else "NOT converged (the step cap was reached)"
    return (f"diagnostics: variational inference ({guide}), {count(int(diagnostics['num_steps']), 'step')} in "
            f"{diagnostics['seconds']:.1f} s, {state}; {count(draws, 'draw')} from the approximation (r_hat and ESS "
            "describe MCMC chains: none here)")


def ascii_note(note: str) -> str:
    """A library note as a plain-ASCII line (``r̂`` → ``r_hat``, dashes and arrows spelled out).

    >>> ascii_note("r̂ and ESS are empty — see ×")
    'r_hat and ESS are empty - see x'
    """
    replaced = note.replace("r̂", "r_hat").replace("—", "-").replace("–", "-").replace("×", "x").replace("≤", "<=")
    return replaced.encode("ascii", "replace").decode("ascii")


def r_hat_warning(k: int, diagnostics: dict) -> str | None:
    """The warning for chains that disagree (max r_hat above :data:`bayesforge.defaults.R_HAT_LIMIT`, as the library), or None."""
    max_r_hat = diagnostics["max_r_hat"]
    if not max_r_hat > R_HAT_LIMIT:
        return None
    return (f"K={k}: max r_hat {max_r_hat:.3f} > {R_HAT_LIMIT}: the chains disagree; the results are not "
            "reliable (try more --warmup/--samples, or another K)")
