"""Seed GMM: raw NumPyro vs ``m.fit``, same data and settings, alternated in one run.

Prints one JSON line: both medians (wall seconds, compile included on both sides), the ratio
(BayesForge / raw; target <= 1.03) and each side's minimum ESS.
Usage: python benchmarks/gmm_overhead.py [--repeats 3] [--warmup 500] [--samples 500] [--chains 4]
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
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args()

    from bayesforge import bf  # sets the host device count before JAX starts

    m = bf(platform="cpu", cores=args.chains)
    import jax
    import numpy as np
    from numpyro.diagnostics import effective_sample_size
    from numpyro.infer import MCMC, NUTS

    from _seed_gmm import bayesforge_gmm, raw_numpyro_gmm, seed_data

    data, _, centroids = seed_data()

    def min_ess(samples_by_chain):
        return float(min(np.nanmin(effective_sample_size(np.asarray(v))) for k, v in samples_by_chain.items()
                         if k in ("mu", "weights", "sigma")))

    def run_raw():
        mcmc = MCMC(NUTS(raw_numpyro_gmm), num_warmup=args.warmup, num_samples=args.samples,
                    num_chains=args.chains, chain_method="parallel", progress_bar=False)
        start = time.perf_counter()
        mcmc.run(jax.random.PRNGKey(0), jax.numpy.asarray(data), 8, jax.numpy.asarray(centroids))
        samples = jax.block_until_ready(mcmc.get_samples(group_by_chain=True))
        return time.perf_counter() - start, min_ess(samples)

    gmm = bayesforge_gmm(m)

    def run_bayesforge():
        m.data_on_model = {"data": data, "K": 8, "initial_means": centroids}
        start = time.perf_counter()
        m.fit(gmm, num_warmup=args.warmup, num_samples=args.samples, num_chains=args.chains, progress_bar=False)
        return time.perf_counter() - start, min_ess(m.sampler.get_samples(group_by_chain=True))

    raw, ours = [], []
    for _ in range(args.repeats):
        raw.append(run_raw())
        ours.append(run_bayesforge())
    raw_median = statistics.median(t for t, _ in raw)
    ours_median = statistics.median(t for t, _ in ours)
    print(json.dumps({
        "benchmark": "gmm_overhead", "n": len(data), "chains": args.chains, "warmup": args.warmup,
        "samples": args.samples, "repeats": args.repeats, "cpus": os.cpu_count(),
        "raw_numpyro_s": [round(t, 2) for t, _ in raw], "bayesforge_s": [round(t, 2) for t, _ in ours],
        "raw_numpyro_median_s": round(raw_median, 2), "bayesforge_median_s": round(ours_median, 2),
        "ratio": round(ours_median / raw_median, 3), "target_ratio": 1.03,
        "raw_min_ess": round(min(e for _, e in raw)), "bayesforge_min_ess": round(min(e for _, e in ours)),
    }))


if __name__ == "__main__":
    main()
