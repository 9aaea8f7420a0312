"""``bayesforge gmm DATA.csv --coordinator HOST:PORT --num-processes P --process-id I``: one fit, several processes.

Each process reads only its share of the file's rows
(:func:`bayesforge.distributed.read_own_rows`), the processes fit one model
together (every process gets the same draws), each computes its rows'
memberships, and process 0 alone writes the output files: the memberships of
every row in file order (gathered block by block), the summary, and the figure
of up to 10 000 rows sampled evenly from all processes (and, with ``--save``,
the fit with every process's rows). ``--distributed``
instead lets JAX read the cluster's environment (SLURM, Open MPI, ...).

A step that fails in some processes only (reading their rows, preparing the
output folder) stops all of them, each with one error line: the failing
process names the problem, the others name the failing process. Process 0
prints the results; the other processes print only errors.
"""
from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path
from typing import Any, Callable

from .console import Console
from .errors import CommandError
from .interrupts import RunState
from .options import positive_int
from .report import count

__all__ = ["add_options", "requested", "run"]


def _process_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of a fit shared by several processes."""
    group = parser.add_argument_group("many machines (one fit over the rows of several processes)")
    group.add_argument("--coordinator", metavar="HOST:PORT", default=None,
                       help="address and a free port of the machine running process 0 (with --num-processes and "
                            "--process-id)")
    group.add_argument("--num-processes", type=positive_int, default=None, help="number of processes")
    group.add_argument("--process-id", type=_process_id, default=None, help="this process's number, 0..P-1")
    group.add_argument("--distributed", action="store_true",
                       help="take the three settings above from the cluster (SLURM, Open MPI, Kubernetes, TPU)")
    group.add_argument("--join-timeout", type=positive_int, default=60, metavar="SECONDS",
                       help="how long the processes wait for each other at the start (default 60)")


def requested(args: argparse.Namespace) -> bool:
    """True when the command line asks for several processes."""
    return args.distributed or any(getattr(args, name) is not None
                                   for name in ("coordinator", "num_processes", "process_id"))


def _settings(args: argparse.Namespace) -> Any:
    given = {"--coordinator": args.coordinator, "--num-processes": args.num_processes,
             "--process-id": args.process_id}
    if args.distributed:
        if any(value is not None for value in given.values()):
            raise CommandError("--distributed takes the settings from the cluster: leave out --coordinator, "
                               "--num-processes and --process-id (or leave out --distributed)")
        return {"timeout": args.join_timeout}
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise CommandError(f"{', '.join(missing)} missing: a run over several processes needs --coordinator, "
                           "--num-processes and --process-id together")
    settings = {"coordinator_address": args.coordinator, "num_processes": args.num_processes,
                "process_id": args.process_id, "timeout": args.join_timeout}
    from bayesforge.distributed import parse_settings

    try:
        parse_settings(settings)
    except ValueError as error:
        raise CommandError(str(error).replace("coordinator_address", "--coordinator")
                           .replace("process_id", "--process-id").replace("num_processes", "--num-processes")) from None
    return settings


def _together(step: Callable[[], Any], what: str) -> Any:
    """``step()`` in every process; if it fails in any, every process stops with a CommandError."""
    from bayesforge.distributed import failed_processes

    try:
        result, problem = step(), None
    except CommandError as error:
        result, problem = None, error
    failed = failed_processes(problem is not None)
    if problem is not None:
        raise problem
    if failed:
        raise CommandError(f"process {', '.join(map(str, failed))} could not {what} (see its error); stopping")
    return result


def run(args: argparse.Namespace, console: Console, state: RunState) -> int:
    """``bayesforge gmm`` over several processes; returns the exit status."""
    from bayesforge import bf
    from bayesforge.distributed import gather_rows, read_own_rows, shared_rows

    from . import gmm
    from .publish import Publication, folder_target

    settings = _settings(args)
    if args.k == "auto":
        raise CommandError("--k auto compares K by every row's log-likelihood, which is not gathered when the rows "
                           "are spread over processes; give --k K")
    data: Path = args.data
    out = args.out if args.out is not None else Path(f"gmm-{data.stem}")
    state.target = str(out)
    try:
        m = bf(platform=args.platform, cores=max(args.chains, 1) if args.platform in (None, "cpu") else None,
               distributed=settings)
    except (ValueError, TimeoutError) as error:
        raise CommandError(f"cannot start the run over several processes: {error}") from None
    main = m.is_main_process
    if not main:  # one copy of the results: process 0's
        console = Console(prog=f"{console.prog} (process {args.process_id if args.process_id is not None else '?'})",
                          out=io.StringIO(), err=console.err, quiet=True)

    def read() -> Any:
        from bayesforge.distributed import process_count, process_index

        try:
            return read_own_rows(data, process_index(), process_count(), args.columns, sep=args.sep,
                                 decimal=args.decimal, header=args.header)
        except ValueError as error:
            raise CommandError(str(error)) from None

    table, start, num_rows = _together(read, f"read its rows of {data}")
    console.say(f"data: {data} ({count(num_rows, 'row')} x {count(table.shape[1], 'column')}: "
                f"{', '.join(map(str, table.columns))}); each process reads its own rows")
    components = gmm._components(args.k, args.kmax, num_rows, data, console)
    with contextlib.ExitStack() as stack:
        def prepare() -> Any:
            if not main:
                return None, None
            target = folder_target(out, gmm.GMM_FILES)
            files = stack.enter_context(Publication(target, state, overwrite=args.overwrite, inputs=[data],
                                                    command=f"bayesforge gmm {data}"))
            return files, gmm.save_publication(args, state, data, stack)

        files, saving = _together(prepare, "prepare the output files")
        console.say(m.devices.describe())
        fit, summary = gmm._fit_and_report(m, table, components, args, console)
        memberships = gather_rows(fit.predict_proba())  # every process sends its rows' block; process 0 keeps all
        sample = shared_rows(table.to_numpy())
        rows = gather_rows(fit.data) if args.save is not None else None  # --save: every row, in process 0
        if main:
            _write(fit, summary, memberships, sample, num_rows, files.staging)
            if saving is not None:
                from bayesforge.mixtures.persist import save_fit

                save_fit(fit, saving.staging / saving.target.names[0], rows=rows)
            written = files.publish() + (saving.publish() if saving is not None else [])
    if main:
        gmm.report_written(written, console)
    return 0


def _write(fit: Any, summary: Any, memberships: Any, sample: Any, num_rows: int, folder: Path) -> None:
    import matplotlib.pyplot as plt

    from .gmm import memberships_table

    if memberships.shape[0] != num_rows:
        raise RuntimeError(f"the processes sent memberships of {memberships.shape[0]} rows for {num_rows} data rows")
    summary.to_csv(folder / "summary.csv", index_label="parameter")
    memberships_table(memberships).to_csv(folder / "memberships.csv", index=False, float_format="%.6g")
    plt.close(fit.plot(X=sample, path=folder / "gmm.png"))
