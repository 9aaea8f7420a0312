"""Command-line option types and the option groups the commands share (checked by argparse, before any work)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..defaults import NUTS_DEFAULTS

__all__ = ["positive_int", "k_option", "seed_option", "separator_option", "add_common_options",
           "add_sampler_options", "add_method_option", "add_output_options", "add_save_option",
           "add_missing_option", "given_options",
           "SEED_LIMIT", "PLATFORMS", "METHODS", "NUTS_ONLY"]

#: Seeds are 0 .. 2**32 − 1 (what ``jax.random.PRNGKey`` takes without overflowing, on every platform).
SEED_LIMIT = 2 ** 32
PLATFORMS = ("cpu", "gpu", "tpu")
#: ``--method``: NUTS (the default) or minibatch variational inference.
METHODS = ("nuts", "vi")
#: Sampler options that only NUTS uses (an error with ``--method vi``).
NUTS_ONLY = ("--chains", "--warmup")


def positive_int(text: str) -> int:
    """A whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def k_option(text: str) -> int | str:
    """A number of components ≥ 1, or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1 or 'auto', got {text!r}") from None


def seed_option(text: str) -> int:
    """A seed in 0 .. 2**32 − 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {SEED_LIMIT - 1}, got {text}")
    return value


def separator_option(text: str) -> str:
    """One character (``tab`` or ``\\t`` for a tab)."""
    from bayesforge.tabular import check_separator

    try:
        return check_separator(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected one character such as ',' ';' or 'tab', got {text!r}") from None


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar and no progress lines (results, warnings and errors still shown)")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an internal error")


class _Given(argparse.Action):
    """Store the value, and record the option as given on the command line (see :func:`given_options`)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, "given_options", given_options(namespace) | {self.option_strings[0]})


def given_options(args: argparse.Namespace) -> frozenset:
    """The sampler options (``--chains``, ``--warmup``, ``--samples``) written on the command line, not defaulted.

    >>> parser = argparse.ArgumentParser()
    >>> add_sampler_options(parser)
    >>> sorted(given_options(parser.parse_args(["--warmup", "10"])))
    ['--warmup']
    """
    return frozenset(getattr(args, "given_options", frozenset()))


def add_sampler_options(parser: argparse.ArgumentParser) -> None:
    nuts = NUTS_DEFAULTS  # the library's: the same data and seed give the same fit from the CLI and from Python
    parser.add_argument("--chains", type=positive_int, default=nuts["num_chains"], action=_Given,
                        help=f"number of chains (default {nuts['num_chains']})")
    parser.add_argument("--warmup", type=positive_int, default=nuts["num_warmup"], action=_Given,
                        help=f"warmup draws per chain (default {nuts['num_warmup']})")
    parser.add_argument("--samples", type=positive_int, default=nuts["num_samples"], action=_Given,
                        help=f"draws per chain (default {nuts['num_samples']})")
    parser.add_argument("--seed", type=seed_option, default=nuts["seed"],
                        help=f"random seed of the sampler, 0..{SEED_LIMIT - 1} (default {nuts['seed']})")
    parser.add_argument("--platform", choices=PLATFORMS, default=None,
                        help="device platform (default: a GPU or TPU when JAX sees one, else the CPU)")


def add_method_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--method", choices=METHODS, default="nuts",
        help="how to fit: 'nuts' samples the posterior with NUTS (default); 'vi' fits it by minibatch variational "
             "inference from the k-means start: seconds at a million rows, but its sds and intervals are too "
             "narrow (it understates the uncertainty). --chains and --warmup are NUTS settings and are an error "
             "with --method vi; --samples is then the number of draws from the fitted approximation (default 1000)")


def add_save_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--save", type=Path, default=None, metavar="FILE.nc",
                        help="also save the fit (with --k auto: the selected K's) to this ArviZ NetCDF file; "
                             "bayesforge.load(FILE.nc) in Python or bf_load() in R gives it back. An existing file "
                             "is replaced only with --overwrite")


def add_output_options(parser: argparse.ArgumentParser, out_help: str, default: Path | None) -> None:
    parser.add_argument("--out", type=Path, default=default, help=out_help)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace output files left by an earlier run (only the files this run writes; "
                             "nothing else is touched)")


def add_missing_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--missing", choices=("error", "marginalize"), default="error",
        help="what an empty cell (or NA, NaN, ...) in a feature column means: 'error' (default) stops with the "
             "cell's row and line; 'marginalize' keeps the row, fitting it on the values it has (each component's "
             "marginal over them): memberships.csv then has every row and gmm.png marks the incomplete ones")
