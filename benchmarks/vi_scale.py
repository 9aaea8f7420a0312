"""The library GMM by minibatch VI at N = 10⁵ and 10⁶, next to scikit-learn's GaussianMixture.

For each N the seed's data (make_blobs, 8 centres, sd 0.8, D = 2) is fitted, in a fresh process, by
``m.gmm(data, K=8, method="vi")`` (k-means start, AutoNormal, batches of 10 000 rows drawn with
replacement), then by scikit-learn's ``GaussianMixture(8, covariance_type="full")``. One JSON line per N:

    fit_s (m.gmm: k-means, start values, VI with its compilation, draws), vi_s (fit_vi alone),
    fit_cpu_s (CPU time of the fit: near what an idle 2-core machine would take when the wall time
    is inflated by other work), steps, converged, memberships_s (p(z|x) of every point over
    max_draws draws), ari; sklearn_gmm_s (fit + predict), sklearn_gmm_ari (ARIs to 6 digits: the two
    differ in the 5th); load averages (what ``uptime`` prints) before and after, and whether m.dist's
    mixture is the fused likelihood. No persistent compilation cache: the child's environment has
    none, and ``compilation_cache`` in the line says so.

Target: N = 10⁶ fitted in ≤ 15 s on 2 cores, ARI ≥ GaussianMixture's.
Usage: python benchmarks/vi_scale.py [--n 100000 1000000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, resource, sys, time, warnings

def load():
    return [round(v, 2) for v in os.getloadavg()]

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

row = {"benchmark": "vi_scale", "load_before": load()}
from bayesforge import bf
m = bf(platform="cpu", cores=2)
import jax
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from bayesforge import distributions
from bayesforge.models.gmm import seed_data

n = int(sys.argv[1])
data, labels = seed_data(n)
started, cpu_started = time.perf_counter(), cpu()
fit = m.gmm(data, K=8, method="vi")
fit_s, fit_cpu_s = time.perf_counter() - started, cpu() - cpu_started
started = time.perf_counter()
predicted = fit.predict()
memberships_s = time.perf_counter() - started
vi = fit.posterior.variational
row.update({"n": n, "k": 8, "d": 2, "guide": vi.guide_kind, "batch_size": vi.batch_size,
            "fused_likelihood": "MixtureSameFamily" in distributions.REPLACEMENTS,
            "fit_s": round(fit_s, 2), "vi_s": round(vi.seconds, 2), "fit_cpu_s": round(fit_cpu_s, 2),
            "steps": vi.num_steps, "converged": vi.converged, "memberships_s": round(memberships_s, 2),
            "membership_draws": int(fit.draws.weights.shape[0]),
            "ari": round(adjusted_rand_score(labels, predicted), 6),
            "compilation_cache": jax.config.jax_compilation_cache_dir})
started = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sklearn_predicted = GaussianMixture(8, covariance_type="full", random_state=0).fit(data).predict(data)
row["sklearn_gmm_s"] = round(time.perf_counter() - started, 2)
row["sklearn_gmm_ari"] = round(adjusted_rand_score(labels, sklearn_predicted), 6)
row["load_after"] = load()
print(json.dumps(row))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    # No XLA flags of the caller, and no persistent compilation cache (compiling is part of what is measured).
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS" and not k.startswith(
        ("JAX_COMPILATION_CACHE", "JAX_PERSISTENT_CACHE"))}
    env["JAX_PLATFORMS"] = "cpu"
    for n in args.n:
        result = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, env=env)
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            raise SystemExit(f"N={n}: the benchmark failed (exit {result.returncode})")
        print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
