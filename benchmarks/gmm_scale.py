"""The library GMM as N grows: fit and membership wall time, peak memory, ESS/s, next to scikit-learn.

For each N (default 10³, 10⁴, 10⁵, 10⁶) the seed's data (make_blobs, 8 centres, sd 0.8) is fitted
by ``m.gmm(data, K=8)`` with 2 chains × 200 + 200, in a fresh process per N (so peak RSS is that
N's); then scikit-learn's ``GaussianMixture`` and ``BayesianGaussianMixture`` (EM / variational,
8 components, full covariances) on the same data. One JSON line per N:

    fit_s, memberships_s (p(z|x) for all N points, 400 draws), peak_rss_gib, min_ess_bulk,
    ess_min_per_s, max_r_hat, ari; sklearn_gmm_s/ari, sklearn_bgmm_s/ari; fit_s_per_1000_points.

Targets: cost linear in N; N = 10⁶ fits and gives memberships within 24 GiB; memberships for 10⁶
points in under 30 s on 2 cores.
Usage: python benchmarks/gmm_scale.py [--n 1000 10000 100000 1000000] [--warmup 200] [--samples 200]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time, warnings
from bayesforge import bf
m = bf(platform="cpu", cores=2)
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from bayesforge.models.gmm import seed_data

n, warmup, samples = (int(v) for v in sys.argv[1:4])
data, labels = seed_data(n)
started = time.perf_counter()
fit = m.gmm(data, K=8, num_warmup=warmup, num_samples=samples, num_chains=2)
fit_s = time.perf_counter() - started
started = time.perf_counter()
probabilities = fit.predict_proba()
memberships_s = time.perf_counter() - started
diagnostics = fit.diagnostics
row = {"benchmark": "gmm_scale", "n": n, "k": 8, "chains": 2, "warmup": warmup, "samples": samples,
       "chain_method": diagnostics["chain_method"], "fit_s": round(fit_s, 2), "memberships_s": round(memberships_s, 2),
       "membership_draws": int(fit.draws.weights.shape[0]),
       "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
       "min_ess_bulk": diagnostics["min_ess_bulk"], "ess_min_per_s": round(diagnostics["min_ess_bulk"] / fit_s, 2),
       "max_r_hat": diagnostics["max_r_hat"], "divergences": diagnostics["divergences"],
       "ari": round(adjusted_rand_score(labels, probabilities.argmax(axis=1)), 4)}
for name, model in (("sklearn_gmm", GaussianMixture(8, covariance_type="full", random_state=0)),
                    ("sklearn_bgmm", BayesianGaussianMixture(n_components=8, covariance_type="full", random_state=0,
                                                             max_iter=500))):
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = model.fit(data).predict(data)
    row[f"{name}_s"] = round(time.perf_counter() - started, 2)
    row[f"{name}_ari"] = round(adjusted_rand_score(labels, predicted), 4)
row["fit_s_per_1000_points"] = round(1000 * fit_s / n, 4)
print(json.dumps(row))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    for n in args.n:
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.warmup), str(args.samples)],
                                capture_output=True, text=True, env=env)
        if result.returncode != 0:
            print(json.dumps({"benchmark": "gmm_scale", "n": n, "error": result.stderr[-2000:],
                              "wall_s": round(time.perf_counter() - started, 1)}))
            continue
        print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
