"""Seed GMM, 4 chains: parallel on 4 host devices vs sequential vs vectorized, in one run.

Prints one JSON line with each method's wall seconds (median over --repeats), the speed-up of
parallel over sequential (target >= 1.6 on 2 cores) and which fallback was fastest (this decides
``bayesforge.fit.FALLBACK_CHAIN_METHOD`` for the CPU).
Usage: python benchmarks/chains.py [--repeats 1] [--warmup 500] [--samples 500] [--n 500]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()

    from bayesforge import bf

    m = bf(platform="cpu", cores=4)
    from _seed_gmm import bayesforge_gmm, seed_data

    data, _, centroids = seed_data(args.n)
    m.data_on_model = {"data": data, "K": 8, "initial_means": centroids}
    gmm = bayesforge_gmm(m)
    times: dict[str, list[float]] = {"parallel": [], "sequential": [], "vectorized": []}
    for _ in range(args.repeats):
        for method in times:
            start = time.perf_counter()
            m.fit(gmm, num_warmup=args.warmup, num_samples=args.samples, num_chains=4, chain_method=method,
                  progress_bar=False)
            times[method].append(time.perf_counter() - start)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({
        "benchmark": "chains", "n": args.n, "chains": 4, "warmup": args.warmup, "samples": args.samples,
        "cpus": os.cpu_count(), **{f"{k}_s": round(v, 2) for k, v in medians.items()},
        "parallel_speedup_vs_sequential": round(medians["sequential"] / medians["parallel"], 2),
        "target_speedup": 1.6,
        "fastest_fallback": min(("sequential", "vectorized"), key=medians.get),
    }))


if __name__ == "__main__":
    main()
