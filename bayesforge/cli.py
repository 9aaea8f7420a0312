"""The ``bayesforge`` command.

``bayesforge demo`` fits the seed's Gaussian mixture (8 blobs from scikit-learn's
``make_blobs``, as on the documentation page) and prints the devices, the
summary table and the adjusted Rand index against the true labels, and writes
the figure.

Devices must be set up before JAX starts, so this module imports nothing from
JAX until the options are read.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

__all__ = ["main", "demo"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


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
    draws = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.sampler.get_samples())
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        demo(chains=args.chains, warmup=args.warmup, samples=args.samples, points=args.points, seed=args.seed,
             platform=args.platform, out=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
