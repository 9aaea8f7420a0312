"""The ``bayesforge`` command.

``bayesforge demo`` fits the seed's Gaussian mixture (8 blobs from scikit-learn's
``make_blobs``, as on the documentation page) and prints the devices, the
summary table and the adjusted Rand index against the true labels, and writes
the figure.

``bayesforge gmm DATA.csv [--k 8|auto] [--kmax 10] [--columns x,y] [--out DIR]``
fits a Gaussian mixture to the numeric columns of a CSV file (with a header
line) and writes, into ``--out`` (default ``./gmm-<file stem>``):
``summary.csv`` (posterior summary, one row per parameter), ``memberships.csv``
(one row per data row: ``row``, ``cluster``, ``p_0``..``p_{K-1}``,
``certainty``) and ``gmm.png``; with ``--k auto`` also ``k_selection.csv`` and
``k_selection.png``. It prints the K fitted and the sampler's diagnostics. A
bad file (no data, a non-numeric value, NaN/inf, fewer rows than K) stops it
with ``bayesforge gmm: error: ...`` naming the column and row, exit status 2.
The files are written to a temporary folder and moved into ``--out`` only
when all are complete, so a failure leaves nothing half-written.

Devices must be set up before JAX starts, so the JAX backend is not touched
until the options are read and the data file is checked.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["main", "demo", "gmm", "CommandError"]

GMM_FILES = ("summary.csv", "memberships.csv", "gmm.png")
SELECTION_FILES = ("k_selection.csv", "k_selection.png")
CRITERIA = ("loo", "waic", "bic")
#: Above this the chains disagree enough to warn.
R_HAT_WARNING = 1.05


class CommandError(Exception):
    """A problem with what the user asked for (bad file, impossible K, failed fit): a message, no traceback."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _k_option(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1 or 'auto', got {text!r}") from None


def _add_sampler_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chains", type=_positive_int, default=4, help="number of chains (default 4)")
    parser.add_argument("--warmup", type=_positive_int, default=500, help="warmup draws per chain (default 500)")
    parser.add_argument("--samples", type=_positive_int, default=500, help="draws per chain (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the sampler (default 0)")
    parser.add_argument("--platform", choices=["cpu", "gpu", "tpu"], default=None, help="device platform")


def _add_gmm_parser(commands) -> None:
    parser = commands.add_parser(
        "gmm", help="fit a Gaussian mixture to the numeric columns of a CSV file",
        description="Fit a Gaussian mixture to the numeric columns of a CSV file (first line: the header) and "
                    "write summary.csv, memberships.csv and gmm.png (with --k auto also k_selection.csv/png).")
    parser.add_argument("data", type=Path, help="CSV file with a header line")
    parser.add_argument("--k", type=_k_option, default="auto", metavar="K|auto",
                        help="number of components, or 'auto' to choose it from 1..KMAX (default auto)")
    parser.add_argument("--kmax", type=_positive_int, default=10, help="largest K tried by --k auto (default 10)")
    parser.add_argument("--criterion", choices=CRITERIA, default="loo",
                        help="how --k auto chooses K (default loo)")
    parser.add_argument("--columns", default=None,
                        help="comma-separated column names (or 0-based positions) to use; default: all columns")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the output files (default: ./gmm-<name of the data file>)")
    _add_sampler_options(parser)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bayesforge", description="Bayesian models fitted with NUTS on JAX/NumPyro.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="fit the seed Gaussian mixture on built-in data (make_blobs)")
    demo_parser.add_argument("--chains", type=_positive_int, default=4, help="number of chains (default 4)")
    demo_parser.add_argument("--warmup", type=_positive_int, default=500, help="warmup draws per chain (default 500)")
    demo_parser.add_argument("--samples", type=_positive_int, default=500, help="draws per chain (default 500)")
    demo_parser.add_argument("--points", type=_positive_int, default=500, help="number of data points (default 500)")
    demo_parser.add_argument("--seed", type=int, default=0, help="random seed of the sampler (default 0)")
    demo_parser.add_argument("--platform", choices=["cpu", "gpu", "tpu"], default=None, help="device platform")
    demo_parser.add_argument("--out", type=Path, default=Path("gmm.png"), help="where to write the figure")
    _add_gmm_parser(commands)
    return parser


def demo(chains: int = 4, warmup: int = 500, samples: int = 500, points: int = 500, seed: int = 0,
         platform: str | None = None, out: Path = Path("gmm.png"), stream=sys.stdout) -> dict:
    """Fit the seed GMM and report; returns ``{"ari", "max_r_hat", "divergences", "seconds", "figure"}``."""
    from bayesforge import bf  # JAX starts below bf(): devices are set up first

    m = bf(platform=platform, cores=max(chains, 1) if platform in (None, "cpu") else None)

    import numpy as np
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    from bayesforge.mixture import gaussian_mixture_draws, membership_probabilities
    from bayesforge.models.gmm import gmm_model, seed_data

    print("BayesForge demo: the Gaussian mixture of the documentation page", file=stream)
    print(m.devices.describe(), file=stream)
    data, true_labels = seed_data(points)
    gmm = gmm_model(m)

    m.ml.KMEANS(data, n_clusters=8)
    m.data_on_model = {"data": data, "K": 8, "initial_means": m.ml.results["centroids"]}
    started = time.perf_counter()
    m.fit(gmm, num_warmup=warmup, num_samples=samples, num_chains=chains, seed=seed, progress_bar=False)
    seconds = time.perf_counter() - started
    table = m.summary(var_names=["weights", "mu", "sigma"])
    with pd.option_context("display.max_rows", 200, "display.max_columns", 20, "display.width", 200):
        print(table, file=stream)
    draws = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.posterior.draws)  # relabelled
    labels = membership_probabilities(draws, data).argmax(axis=1)
    ari = float(adjusted_rand_score(true_labels, labels))
    max_r_hat = float(np.nanmax(table["r_hat"]))
    print(f"fit: {chains} chains x {warmup}+{samples} draws in {seconds:.1f} s ({m.sampler.chain_method}); "
          f"divergences: {m.posterior.num_divergences}; max r_hat: {max_r_hat:.3f}", file=stream)
    print(f"adjusted Rand index vs true labels: {ari:.3f}", file=stream)
    m.plot(X=data, sampler=m.sampler, path=out)
    print(f"figure: {out}", file=stream)
    return {"ari": ari, "max_r_hat": max_r_hat, "divergences": m.posterior.num_divergences,
            "seconds": seconds, "figure": str(out)}


# -- bayesforge gmm ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Components:
    """What to fit: a given K, or "auto" over ``ks``."""

    k: int | str
    ks: range

    @property
    def auto(self) -> bool:
        return self.k == "auto"

    def describe(self, criterion: str) -> str:
        return f"K = {self.ks.start}..{self.ks.stop - 1} (choosing by {criterion})" if self.auto else f"K={self.k}"


def _read_data(path: Path, columns: str | None):
    from bayesforge.tabular import read_numeric_csv

    try:
        return read_numeric_csv(path, columns)
    except ValueError as error:
        raise CommandError(str(error)) from None


def _components(k: int | str, kmax: int, num_rows: int, path: Path, stream) -> _Components:
    """The K (or Ks) to fit to ``num_rows`` rows: K ≤ N; for auto N ≥ 2 and kmax clipped to N (with a note)."""
    if k != "auto":
        if num_rows < k:
            raise CommandError(f"--k {k} needs at least {k} data rows (one per component), "
                               f"but {path.name} has {num_rows}")
        return _Components(k, range(k, k + 1))
    if num_rows < 2:
        raise CommandError(f"--k auto needs at least 2 data rows to compare K, but {path.name} has {num_rows}")
    if kmax > num_rows:
        print(f"note: --kmax {kmax} is more than the {num_rows} data rows; trying K = 1..{num_rows}", file=stream)
        kmax = num_rows
    return _Components("auto", range(1, kmax + 1))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _existing_ancestor(path: Path) -> Path:
    for folder in path.absolute().parents:
        if folder.is_dir():
            return folder
    return Path.cwd()


def _staging_folder(out: Path) -> Path:
    """An empty temporary folder beside ``out`` (same file system, so files move into ``out`` atomically)."""
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file, not a folder")
    if out.is_dir() and not os.access(out, os.W_OK):
        raise CommandError(f"cannot write into --out {out}: permission denied")
    try:
        return Path(tempfile.mkdtemp(prefix=f".{out.name}-", suffix=".partial", dir=_existing_ancestor(out)))
    except OSError as error:
        raise CommandError(f"cannot write beside --out {out}: {error.strerror or error}") from None


def _fit_mixture(m, data, components: _Components, criterion: str, chains: int, warmup: int, samples: int,
                 seed: int):
    options: dict[str, Any] = {"ks": components.ks, "criterion": criterion} if components.auto else {}
    try:
        return m.gmm(data, K=components.k, num_warmup=warmup, num_samples=samples, num_chains=chains,
                     seed=seed, progress_bar=False, **options)
    except ValueError as error:
        raise CommandError(f"cannot fit the mixture: {error}") from None


def _memberships(probabilities) -> "pd.DataFrame":
    """One row per data row: ``row`` (1-based), ``cluster`` (0-based), ``p_0``.., ``certainty``."""
    import numpy as np
    import pandas as pd

    table = pd.DataFrame({"row": np.arange(1, len(probabilities) + 1), "cluster": probabilities.argmax(axis=1)})
    for component in range(probabilities.shape[1]):
        table[f"p_{component}"] = probabilities[:, component]
    table["certainty"] = probabilities.max(axis=1)
    return table


def _print_table(table, stream, index_label: str | None = None) -> None:
    import pandas as pd

    with pd.option_context("display.max_rows", 500, "display.max_columns", 30, "display.width", 200,
                           "display.float_format", "{:.4g}".format):
        print(table.rename_axis(index_label) if index_label else table, file=stream)


def _selection_rule(criterion: str) -> str:
    if criterion == "bic":
        return "the lowest BIC"
    return f"the smallest K whose elpd_{criterion} is within one standard error of the difference from the best"


def _report_selection(selection, stream) -> None:
    wanted = ["elpd_loo", "se_loo", "elpd_waic", "se_waic", "bic", "max_r_hat", "divergences"]
    table = selection.table
    _print_table(table[[column for column in wanted if column in table.columns]], stream, "K")
    print(f"K={selection.selected_k} chosen by {selection.criterion} ({_selection_rule(selection.criterion)})",
          file=stream)


def _report_diagnostics(diagnostics: dict, chains: int, warmup: int, samples: int, stream) -> list[str]:
    """Print the diagnostics line; return the warnings (also printed)."""
    max_r_hat, divergences = diagnostics["max_r_hat"], int(diagnostics["divergences"])
    print(f"diagnostics: {chains} chains x {warmup}+{samples} draws in {diagnostics['seconds']:.1f} s "
          f"({diagnostics['chain_method']}); divergences: {divergences}; max r_hat: {max_r_hat:.3f}; "
          f"min ESS bulk: {diagnostics['min_ess_bulk']:.0f}", file=stream)
    warnings = []
    if max_r_hat > R_HAT_WARNING:
        warnings.append(f"max r_hat {max_r_hat:.3f} > {R_HAT_WARNING}: the chains disagree; the results are "
                        "not reliable (try more --warmup/--samples, or another K)")
    if divergences > 0:
        warnings.append(f"{divergences} divergent transition(s): the posterior may be explored incompletely")
    for warning in warnings:
        print(f"warning: {warning}", file=stream)
    return warnings


def _write_outputs(fit, summary, num_rows: int, folder: Path, auto: bool) -> list[str]:
    """Write every output file of ``fit`` into ``folder``; returns their names."""
    import matplotlib.pyplot as plt

    summary.to_csv(folder / "summary.csv", index_label="parameter")
    probabilities = fit.predict_proba()
    if probabilities.shape[0] != num_rows:
        raise RuntimeError(f"predict_proba gave {probabilities.shape[0]} rows for {num_rows} data rows")
    _memberships(probabilities).to_csv(folder / "memberships.csv", index=False, float_format="%.6g")
    plt.close(fit.plot(path=folder / "gmm.png"))
    names = list(GMM_FILES)
    if auto:
        fit.selection.table.to_csv(folder / "k_selection.csv", index_label="K")
        plt.close(fit.selection.plot(path=folder / "k_selection.png"))
        names += SELECTION_FILES
    return names


def _publish(staging: Path, out: Path, names: Sequence[str], stale: Sequence[str]) -> tuple[list[Path], list[Path]]:
    """Move the finished files into ``out`` (each replace is atomic); remove ``stale`` outputs of earlier runs."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        os.replace(staging / name, out / name)
        written.append(out / name)
    removed = [out / name for name in stale if (out / name).is_file()]
    for path in removed:
        path.unlink()
    return written, removed


def _fit_and_report(m, table, components: _Components, criterion: str, chains: int, warmup: int, samples: int,
                    seed: int, stream):
    """Fit, print the K table (auto), K, the summary and the diagnostics; returns (fit, summary, warnings)."""
    print(f"fitting {components.describe(criterion)}: {chains} chains x {warmup}+{samples} draws",
          file=stream, flush=True)
    started = time.perf_counter()
    fit = _fit_mixture(m, table.to_numpy(), components, criterion, chains, warmup, samples, seed)
    if components.auto:
        _report_selection(fit.selection, stream)
        print(f"all fits took {time.perf_counter() - started:.1f} s", file=stream)
    else:
        print(f"K={fit.K}", file=stream)
    summary = fit.summary(round_to="none")  # full precision in the file; printed to 4 digits
    _print_table(summary, stream)
    warnings = _report_diagnostics(fit.diagnostics, chains, warmup, samples, stream)
    return fit, summary, warnings


def gmm(data: Path, k: int | str = "auto", kmax: int = 10, columns: str | None = None, out: Path | None = None,
        chains: int = 4, warmup: int = 500, samples: int = 500, seed: int = 0, platform: str | None = None,
        criterion: str = "loo", stream=None) -> dict:
    """Fit a GMM to a CSV file and write its outputs into ``out``; see the module docstring.

    Raises :class:`CommandError` for a bad file, an impossible K or a failed fit
    (``out`` is then left as it was). Prints to ``stream`` (default ``sys.stdout``).
    Returns ``{"K", "out", "files", "diagnostics", "warnings"}``.
    """
    stream = stream if stream is not None else sys.stdout
    data = Path(data)
    table = _read_data(data, columns)
    num_rows, num_columns = table.shape
    print(f"data: {data} ({_count(num_rows, 'row')} x {_count(num_columns, 'column')}: "
          f"{', '.join(map(str, table.columns))})", file=stream)
    components = _components(k, kmax, num_rows, data, stream)
    out = Path(out) if out is not None else Path.cwd() / f"gmm-{data.stem}"
    staging = _staging_folder(out)
    try:
        from bayesforge import bf  # JAX starts below bf(): devices are set up first

        m = bf(platform=platform, cores=max(chains, 1) if platform in (None, "cpu") else None)
        print(m.devices.describe(), file=stream)
        fit, summary, warnings = _fit_and_report(m, table, components, criterion, chains, warmup, samples, seed,
                                                 stream)
        names = _write_outputs(fit, summary, num_rows, staging, components.auto)
        written, removed = _publish(staging, out, names, stale=() if components.auto else SELECTION_FILES)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for path in written:
        print(f"wrote {path}", file=stream)
    for path in removed:
        print(f"removed {path} (from an earlier --k auto run)", file=stream)
    return {"K": int(fit.K), "out": out, "files": written, "diagnostics": dict(fit.diagnostics),
            "warnings": warnings}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (2 for a bad data file or option, with a message on stderr)."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        demo(chains=args.chains, warmup=args.warmup, samples=args.samples, points=args.points, seed=args.seed,
             platform=args.platform, out=args.out)
    elif args.command == "gmm":
        try:
            gmm(args.data, k=args.k, kmax=args.kmax, columns=args.columns, out=args.out, chains=args.chains,
                warmup=args.warmup, samples=args.samples, seed=args.seed, platform=args.platform,
                criterion=args.criterion)
        except CommandError as error:
            print(f"bayesforge gmm: error: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
