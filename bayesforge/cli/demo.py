"""``bayesforge demo``: the documentation page's Gaussian mixture on its own data, through ``m.gmm``.

Seed data (8 blobs from scikit-learn's ``make_blobs``), ``m.gmm(data, K=8)``,
then the devices, the summary table, the diagnostics, the adjusted Rand index
against the true labels, and the figure (``--out``, default ``gmm.png``; a
folder gets ``gmm.png`` inside, as ``cp`` does; an existing file is replaced
only with ``--overwrite``).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .console import Console
from .errors import CommandError
from .interrupts import RunState
from .options import add_output_options, add_sampler_options, positive_int
from .publish import Publication, file_target
from .report import diagnostics_line, print_table, r_hat_warning
from .workspace import open_workspace

__all__ = ["register", "run", "DEMO_K"]

#: Components of the page's mixture (and blobs in its data).
DEMO_K = 8


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``demo`` command to the subcommands ``commands``."""
    parser = commands.add_parser(
        "demo", parents=[common], help="fit the seed Gaussian mixture on built-in data (make_blobs)",
        description=f"Fit the documentation page's Gaussian mixture (K={DEMO_K}) to its make_blobs data with "
                    "m.gmm; print the devices, the summary, the adjusted Rand index; write the figure.")
    parser.add_argument("--points", type=positive_int, default=500, help="number of data points (default 500)")
    add_output_options(parser, "the figure's file (.png, .pdf, .svg, ...; a folder gets gmm.png inside; "
                               "default gmm.png)", Path("gmm.png"))
    add_sampler_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console, state: RunState) -> int:
    """The ``demo`` command; returns the exit status (raises :class:`CommandError` for the user's mistakes)."""
    state.target = str(args.out)  # for "interrupted; nothing was written to <out>"
    from matplotlib.backend_bases import FigureCanvasBase

    if args.points < DEMO_K:
        raise CommandError(f"--points {args.points}: the demo fits {DEMO_K} components and needs at least "
                           f"{DEMO_K} points")
    target = file_target(args.out, "gmm.png", FigureCanvasBase.get_supported_filetypes())
    with Publication(target, state, overwrite=args.overwrite, command="bayesforge demo") as files:
        m = open_workspace(args.platform, args.chains)
        fit, labels = _fit(m, args, console)
        figure = fit.plot(path=files.staging / target.names[0])
        import matplotlib.pyplot as plt

        plt.close(figure)
        written = files.publish()
    console.say(f"figure: {written[0]}")
    return 0


def _fit(m: Any, args: argparse.Namespace, console: Console):
    """Fit the page's mixture with m.gmm and print devices, summary, diagnostics and ARI; returns (fit, labels)."""
    from sklearn.metrics import adjusted_rand_score

    from bayesforge.mixtures.gmm import seed_data

    console.say("BayesForge demo: the Gaussian mixture of the documentation page")
    console.say(m.devices.describe())
    data, true_labels = seed_data(args.points)
    console.progress(f"fitting K={DEMO_K}: {args.chains} chains x {args.warmup}+{args.samples} draws")
    fit = m.gmm(data, K=DEMO_K, num_warmup=args.warmup, num_samples=args.samples, num_chains=args.chains,
                seed=args.seed, progress_bar=console.progress_bar)
    print_table(fit.summary(), console)
    console.say(diagnostics_line(fit.diagnostics, args.chains, args.warmup, args.samples))
    warning = r_hat_warning(DEMO_K, fit.diagnostics)
    if warning:
        console.warning(warning)
    labels = fit.predict()
    ari = float(adjusted_rand_score(true_labels, labels))
    console.say(f"adjusted Rand index vs true labels: {ari:.3f}")
    return fit, labels
