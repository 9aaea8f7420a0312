"""``bayesforge gmm DATA.csv``: fit a Gaussian mixture to the numeric columns of a CSV file.

Writes, into ``--out`` (default ``./gmm-<file stem>``): ``summary.csv``
(posterior summary, one row per parameter), ``memberships.csv`` (one row per
data row: ``row``, ``cluster``, ``p_0``..``p_{K-1}``, ``certainty``; rows and
clusters numbered from 0, ``row`` i being the i-th data row of the file) and
``gmm.png``; with ``--k auto`` also ``k_selection.csv`` and
``k_selection.png``; with ``--save FILE.nc`` also the fit itself
(:mod:`bayesforge.mixtures.persist`; ``bayesforge.load`` reads it back), under the same
rules as the other files. Every check that can be made before fitting is made
first: the file (``bayesforge.tabular``), K against the rows, the output
folder, files an earlier run left there (``--overwrite``), another run
writing there, the input being one of the outputs (see
:mod:`bayesforge.cli.publish`).
"""
from __future__ import annotations

import argparse
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..defaults import CRITERIA
from . import many_machines
from .console import Console
from .errors import CommandError
from .interrupts import RunState
from .options import (NUTS_ONLY, add_method_option, add_missing_option, add_output_options, add_sampler_options,
                      add_save_option,
                      given_options, k_option, positive_int, separator_option)
from .publish import Publication, file_target, folder_target
from .report import ascii_note, count, diagnostics_line, print_table, r_hat_warning, vi_diagnostics_line
from .workspace import open_workspace

__all__ = ["register", "run", "memberships_table", "GMM_FILES", "SELECTION_FILES", "CRITERIA"]

GMM_FILES = ("summary.csv", "memberships.csv", "gmm.png")
SELECTION_FILES = ("k_selection.csv", "k_selection.png")
#: What ``--save`` file names may end in.
SAVE_SUFFIXES = ("nc",)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``gmm`` command to the subcommands ``commands``."""
    parser = commands.add_parser(
        "gmm", parents=[common], help="fit a Gaussian mixture to the numeric columns of a CSV file",
        description="Fit a Gaussian mixture to the numeric columns of a CSV file and write summary.csv, "
                    "memberships.csv and gmm.png (with --k auto also k_selection.csv/png) into --out. Existing "
                    "files are replaced only with --overwrite; nothing else in --out is touched.")
    parser.add_argument("data", type=Path, help="CSV file (first line: the column names, unless --no-header)")
    parser.add_argument("--k", type=k_option, default="auto", metavar="K|auto",
                        help="number of components, or 'auto' to choose it from 1..KMAX (default auto)")
    parser.add_argument("--kmax", type=positive_int, default=10, help="largest K tried by --k auto (default 10)")
    parser.add_argument("--criterion", choices=CRITERIA, default=None,
                        help="how --k auto chooses K (default loo; bic with --method vi, whose draws understate the "
                             "spread that loo and waic penalise)")
    parser.add_argument("--columns", default=None,
                        help="comma-separated column names (or 0-based positions) to use; default: all columns")
    parser.add_argument("--sep", type=separator_option, default=",",
                        help="field separator: one character, 'tab' for a tab (default ',')")
    parser.add_argument("--decimal", choices=(".", ","), default=".",
                        help="decimal mark of the numbers (default '.'; ',' needs another --sep)")
    parser.add_argument("--no-header", dest="header", action="store_false",
                        help="the file has no header line: every line is data, columns are named x1, x2, ...")
    add_missing_option(parser)
    parser.add_argument("--weights", default=None, metavar="COLUMN",
                        help="column (name or 0-based position) of row weights: row i's log-likelihood counts w_i "
                             "times (integer weights = repeated rows; 0 leaves a row out of the fit, not out of "
                             "memberships.csv). Taken out of the features. Survey weights: rescale them to sum to "
                             "the number of rows, or the posterior is far too narrow")
    add_output_options(parser, "folder for the output files (default: ./gmm-<name of the data file>)", None)
    add_save_option(parser)
    add_method_option(parser)
    add_sampler_options(parser)
    many_machines.add_options(parser)
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Components:
    """What to fit: a given K, or "auto" over ``ks``."""

    k: int | str
    ks: range

    @property
    def auto(self) -> bool:
        return self.k == "auto"

    def describe(self, criterion: str) -> str:
        return f"K = {self.ks.start}..{self.ks.stop - 1} (choosing by {criterion})" if self.auto else f"K={self.k}"


def run(args: argparse.Namespace, console: Console, state: RunState) -> int:
    """The ``gmm`` command; returns the exit status (raises :class:`CommandError` for the user's mistakes)."""
    _check_method(args, console)
    if many_machines.requested(args):
        if args.method == "vi":
            raise CommandError("--method vi runs in one process: leave out --coordinator, --num-processes, "
                               "--process-id and --distributed (or use --method nuts)")
        if args.weights is not None:
            raise CommandError("--weights runs in one process: leave out --coordinator, --num-processes, "
                               "--process-id and --distributed")
        if args.missing != "error":
            raise CommandError("--missing marginalize runs in one process: leave out --coordinator, "
                               "--num-processes, --process-id and --distributed")
        return many_machines.run(args, console, state)
    data: Path = args.data
    out = args.out if args.out is not None else Path(f"gmm-{data.stem}")
    state.target = str(out)  # for "interrupted; nothing was written to <out>"
    weights = _read_weights(data, args)  # --weights COLUMN, checked before the features are read
    table = _read_table(data, args)
    table = _without_weights(table, weights, args, console)
    num_rows, num_columns = table.shape
    console.say(f"data: {data} ({count(num_rows, 'row')} x {count(num_columns, 'column')}: "
                f"{', '.join(map(str, table.columns))})")
    _report_missing(table, console)
    components = _components(args.k, args.kmax, num_rows, data, console)
    target = folder_target(out, GMM_FILES + (SELECTION_FILES if components.auto else ()))
    with contextlib.ExitStack() as stack:
        files = stack.enter_context(Publication(target, state, overwrite=args.overwrite, inputs=[data],
                                                command=f"bayesforge gmm {data}"))
        saving = save_publication(args, state, data, stack)  # after --out exists: --save may point into it
        m = open_workspace(args.platform, args.chains if args.method == "nuts" else 1)  # VI: one device
        console.say(m.devices.describe())
        fit, summary = _fit_and_report(m, table, components, args, console)
        _write_outputs(fit, summary, num_rows, files.staging, components.auto)
        if saving is not None:
            fit.save(saving.staging / saving.target.names[0])
        written = files.publish() + (saving.publish() if saving is not None else [])
    report_written(written, console)
    return 0


def save_publication(args: argparse.Namespace, state: RunState, data: Path,
                     stack: contextlib.ExitStack) -> Publication | None:
    """The ``--save`` file's :class:`Publication`, entered on ``stack`` (None without ``--save``).

    The same rules as ``--out``'s files (:mod:`bayesforge.cli.publish`), checked before
    fitting: an existing file stops the run unless ``--overwrite``, the input is never
    replaced, the file appears only complete.
    """
    if args.save is None:
        return None
    shown = state.target
    target = file_target(args.save, "fit.nc", SAVE_SUFFIXES, option="--save", what="an ArviZ NetCDF file's name")
    saving = stack.enter_context(Publication(target, state, overwrite=args.overwrite, inputs=[data],
                                             command=f"bayesforge gmm {data} --save"))
    state.target = shown  # "nothing was written to <--out>" still names the folder
    return saving


def report_written(written: list[str], console: Console) -> None:
    """One ``wrote ...`` line per published file."""
    for path in written:
        note = " (rows and clusters numbered from 0)" if path.endswith("memberships.csv") else ""
        if path.endswith(tuple("." + suffix for suffix in SAVE_SUFFIXES)):
            note = " (the fit: bayesforge.load() in Python, bf_load() in R)"
        console.say(f"wrote {path}{note}")


def _check_method(args: argparse.Namespace, console: Console) -> None:
    """Refuse NUTS-only options with ``--method vi``; fill in the default ``--criterion`` of the method."""
    if args.method == "vi":
        given = [name for name in NUTS_ONLY if name in given_options(args)]
        if given:
            raise CommandError(f"{' and '.join(given)} {'applies' if len(given) == 1 else 'apply'} to NUTS only "
                               "(--method nuts); --method vi fits by variational inference: leave "
                               f"{'it' if len(given) == 1 else 'them'} out")
    if args.criterion is None:
        args.criterion = "bic" if args.method == "vi" else "loo"
    elif args.method == "vi" and args.criterion != "bic" and args.k == "auto":
        console.warning(f"--criterion {args.criterion} with --method vi: elpd_{args.criterion} from draws of an "
                        "approximation that understates the uncertainty can favour too large a K; bic is the "
                        "default for --method vi")


def _read_table(path: Path, args: argparse.Namespace):
    from bayesforge.tabular import read_numeric_csv

    if args.decimal == args.sep:
        raise CommandError(f"--decimal '{args.decimal}' is also the separator: with decimal commas pass another "
                           "--sep, e.g. --sep ';'")
    try:
        return read_numeric_csv(path, args.columns, sep=args.sep, decimal=args.decimal, header=args.header,
                                missing=args.missing == "marginalize")
    except ValueError as error:
        raise CommandError(str(error)) from None


def _report_missing(table: Any, console: Console) -> None:
    """With ``--missing marginalize``: how many cells and rows are missing (nothing when none are)."""
    missing = table.isna().to_numpy()
    if missing.any():
        console.say(f"missing: {count(int(missing.sum()), 'cell')} in {count(int(missing.any(axis=1).sum()), 'row')} "
                    "(--missing marginalize: each such row is fitted on the values it has)")


def _read_weights(path: Path, args: argparse.Namespace):
    """``--weights COLUMN``: that column as a float Series, checked (≥ 0, finite, not all 0); None without it."""
    from bayesforge.validation import check_sample_weight
    from bayesforge.tabular import read_numeric_csv

    if args.weights is None or args.decimal == args.sep:  # the latter: _read_table says what is wrong
        return None
    try:
        column = read_numeric_csv(path, [args.weights], sep=args.sep, decimal=args.decimal, header=args.header)
    except ValueError as error:
        raise CommandError(f"--weights {args.weights}: {error}") from None
    weights = column.iloc[:, 0]
    try:
        check_sample_weight(weights.to_numpy(), len(weights))
    except ValueError as error:
        message = str(error).replace("sample_weight", f"column {weights.name!r}")
        raise CommandError(f"--weights {args.weights}: {message} (rows numbered from 0)") from None
    return weights


def _without_weights(table: Any, weights: Any, args: argparse.Namespace, console: Console):
    """The features: ``table`` without the weights column; the weights (or None) go to ``args.sample_weight``."""
    args.sample_weight = None
    if weights is None:
        return table
    features = table.drop(columns=[weights.name], errors="ignore")
    if features.shape[1] == 0:
        raise CommandError(f"--weights {args.weights}: column {weights.name!r} is the only column read; there are no "
                           "features left to cluster (name them with --columns)")
    values = weights.to_numpy(dtype=float)
    args.sample_weight = values
    zero = int((values == 0).sum())
    zeros = f", {count(zero, 'row')} of weight 0" if zero else ""
    console.say(f"weights: column {weights.name!r} (total {values.sum():.6g}{zeros}; taken out of the features)")
    return features


def _components(k: int | str, kmax: int, num_rows: int, path: Path, console: Console) -> Components:
    """The K (or Ks) to fit to ``num_rows`` rows: K ≤ N; for auto N ≥ 2 and kmax clipped to N (with a note)."""
    if k != "auto":
        if num_rows < k:
            raise CommandError(f"--k {k} needs at least {k} data rows (one per component), "
                               f"but {path.name} has {num_rows}")
        return Components(k, range(k, k + 1))
    if num_rows < 2:
        raise CommandError(f"--k auto needs at least 2 data rows to compare K, but {path.name} has {num_rows}")
    if kmax > num_rows:
        console.say(f"note: --kmax {kmax} is more than the {num_rows} data rows; trying K = 1..{num_rows}")
        kmax = num_rows
    return Components("auto", range(1, kmax + 1))


def _progress_line(console: Console, criterion: str) -> Callable[[int, Any, int, int], None]:
    """The ``on_fit`` callback: one line per K as it finishes."""

    def report(k: int, fit: Any, index: int, total: int) -> None:
        diagnostics = fit.diagnostics
        if criterion == "bic":
            score = f"BIC {fit.bic():.1f}"
        else:
            result = fit.loo() if criterion == "loo" else fit.waic()
            score = f"elpd_{criterion} {float(getattr(result, f'elpd_{criterion}')):.1f} (se {float(result.se):.1f})"
        if diagnostics.get("method") == "vi":
            how = (f"VI {count(int(diagnostics['num_steps']), 'step')}, "
                   f"{'converged' if diagnostics['converged'] else 'not converged'}")
        else:
            how = (f"max r_hat {diagnostics['max_r_hat']:.2f}, "
                   f"{count(int(diagnostics['divergences']), 'divergence')}")
        console.progress(f"K={k} ({index}/{total}): {diagnostics['seconds']:.0f} s, {how}, {score}")

    return report


def _fit_and_report(m: Any, table: Any, components: Components, args: argparse.Namespace, console: Console):
    """Fit, print the K table (auto), K, the summary and the diagnostics; returns (fit, summary)."""
    options: dict[str, Any] = {"ks": components.ks, "criterion": args.criterion} if components.auto else {}
    if args.method == "vi":
        console.progress(f"fitting {components.describe(args.criterion)}: variational inference (minibatch VI "
                         "from the k-means start)")
        if "--samples" in given_options(args):
            options["num_samples"] = args.samples  # draws from the fitted approximation
        options["method"] = "vi"
    else:
        console.progress(f"fitting {components.describe(args.criterion)}: {args.chains} chains x "
                         f"{args.warmup}+{args.samples} draws")
        options.update(num_warmup=args.warmup, num_samples=args.samples, num_chains=args.chains)
    if getattr(args, "sample_weight", None) is not None:
        options["sample_weight"] = args.sample_weight
    if args.missing != "error":
        options["missing"] = args.missing
    if components.auto and not console.quiet:
        options["on_fit"] = _progress_line(console, args.criterion)
    started = time.perf_counter()
    try:
        fit = m.gmm(table, K=components.k, seed=args.seed, progress_bar=console.progress_bar, **options)
    except ValueError as error:
        raise CommandError(f"cannot fit the mixture: {error}") from None
    if components.auto:
        _report_selection(fit.selection, console, args.method)
        console.say(f"all fits took {time.perf_counter() - started:.1f} s")
    else:
        console.say(f"K={fit.K}")
    summary = fit.summary(round_to="none")  # full precision in the file; printed to 4 digits
    print_table(summary, console)
    if args.method == "vi":
        if summary.attrs.get("note"):
            console.say(f"note: {ascii_note(summary.attrs['note'])}")
        console.say(vi_diagnostics_line(fit.diagnostics, fit.posterior.variational.num_draws))
        return fit, summary
    console.say(diagnostics_line(fit.diagnostics, args.chains, args.warmup, args.samples))
    warning = r_hat_warning(int(fit.K), fit.diagnostics)
    if warning:
        console.warning(warning)
    return fit, summary


def _selection_rule(criterion: str) -> str:
    if criterion == "bic":
        return "the lowest BIC"
    return (f"the smallest converged K whose elpd_{criterion} is within one standard error of the difference "
            "from the best, or less than 4 below it")


def _report_selection(selection: Any, console: Console, method: str = "nuts") -> None:
    chains = ["max_r_hat", "divergences"] if method == "nuts" else []  # a VI fit has no chains: its status says
    wanted = ["elpd_loo", "se_loo", "elpd_waic", "se_waic", "bic", *chains, "status"]
    table = selection.table
    print_table(table[[column for column in wanted if column in table.columns]], console, "K")
    console.say(f"K={selection.selected_k} chosen by {selection.criterion} ({_selection_rule(selection.criterion)})")


def memberships_table(probabilities: Any):
    """One row per data row: ``row`` and ``cluster`` (both from 0), ``p_0``.., ``certainty``.

    >>> import numpy as np
    >>> memberships_table(np.array([[0.9, 0.1], [0.2, 0.8]]))
       row  cluster  p_0  p_1  certainty
    0    0        0  0.9  0.1        0.9
    1    1        1  0.2  0.8        0.8
    """
    import numpy as np
    import pandas as pd

    table = pd.DataFrame({"row": np.arange(len(probabilities)), "cluster": probabilities.argmax(axis=1)})
    for component in range(probabilities.shape[1]):
        table[f"p_{component}"] = probabilities[:, component]
    table["certainty"] = probabilities.max(axis=1)
    return table


def _write_outputs(fit: Any, summary: Any, num_rows: int, folder: Path, auto: bool) -> None:
    """Write every output file of ``fit`` into the staging ``folder``."""
    import matplotlib.pyplot as plt

    summary.to_csv(folder / "summary.csv", index_label="parameter")
    probabilities = fit.predict_proba()
    if probabilities.shape[0] != num_rows:
        raise RuntimeError(f"predict_proba gave {probabilities.shape[0]} rows for {num_rows} data rows")
    memberships_table(probabilities).to_csv(folder / "memberships.csv", index=False, float_format="%.6g")
    plt.close(fit.plot(path=folder / "gmm.png"))
    if auto:
        fit.selection.table.to_csv(folder / "k_selection.csv", index_label="K")
        plt.close(fit.selection.plot(path=folder / "k_selection.png"))
