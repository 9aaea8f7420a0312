"""The library GMM as N grows, the fused likelihood against the path before it, and the seed's model at scale.

Each line is one fit in a fresh process (so peak RSS is that fit's), on the seed's data (make_blobs,
8 centres, sd 0.8), K = 8, 2 chains on 2 host devices (parallel), default float32:

* ``gmm`` lines (``--n``, default 10⁵ and 10⁶): ``m.gmm(data, K=8)``, 2 chains × 200 + 200, with the
  fused likelihood (``path: "fused"``); at the sizes in ``--old-n`` (default 10⁵) also the path before it
  (``path: "old"``: NumPyro's ``MixtureSameFamily.log_prob`` over BayesForge's ``MultivariateNormal``,
  XLA's default flags, NUTS on the model as written: no start-relative potential and no coordinates in
  posterior units, :mod:`bayesforge.conditioning` — switched off in that child process only). Fields:
  fit_s, warmup/sampling leapfrog steps per iteration (``num_steps``; the warmup's collected with
  ``collect_warmup=True``, which compiles the sampler twice), min_ess_bulk, ess_min_per_s, max_r_hat,
  divergences, ARI, memberships_s, peak_rss_gib, scikit-learn's EM and variational fits on the same data;
* ``method: "vi"`` lines (with ``--method vi``, at the sizes in ``--n``): ``m.gmm(data, K=8, method="vi")``
  (minibatch VI from the k-means start, mean-field Gaussian, batches of 10 000 rows): fit_s, vi_s (the
  optimisation alone), fit_cpu_s (CPU seconds: near what an idle 2-core machine takes when other work
  inflates the wall time), vi_steps, converged, ARI, memberships_s, next to scikit-learn's fits;
* a ``seed_model`` line (``--seed-n``, default 10⁴; 2 chains × 150 + 150): the page's model written with
  ``m.dist`` and fitted with ``m.fit`` (no ``init_strategy``: it starts at k-means by itself), then
  ``m.gmm`` on the same data in the same process; ``ratio`` = seed model's time / ``m.gmm``'s.

Every line carries the machine's load (``os.getloadavg()``) before and after: the machine is shared. No
persistent compilation cache (compiling is part of what is measured). ARIs to 6 digits.
Targets: NUTS at 10⁶ in ≤ 300 s with warmup ≤ 20 leapfrog steps per iteration; at 10⁵ the fused path ≥ 2×
faster than the old; seed model ≤ 2× ``m.gmm``; VI at 10⁶ in ≤ 15 s, ARI ≥ ``GaussianMixture``'s.
Usage: python benchmarks/gmm_scale.py [--method nuts vi] [--n 100000 1000000] [--old-n 100000]
                                      [--seed-n 10000] [--warmup 200] [--samples 200] [--no-sklearn]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, os, resource, sys, time, warnings
path, n, warmup, samples, sklearn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
if path == "old":  # the likelihood as it was before the fused kernel, in this process only
    import bayesforge.conditioning, bayesforge.device, bayesforge.distributions
    import numpyro.distributions as npd
    bayesforge.device.XLA_DEFAULT_FLAGS = ()
    bayesforge.distributions.GaussianMixture.log_prob = npd.MixtureSameFamily.log_prob
    bayesforge.conditioning.MANY_TERMS = 2**62
from bayesforge import bf
m = bf(platform="cpu", cores=2)
import numpy as np
from sklearn.metrics import adjusted_rand_score
from bayesforge.mixtures.gmm import gmm_model, seed_data

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def steps(fit):
    mcmc = fit.posterior.mcmc if hasattr(fit, "posterior") else fit
    out = {"sampling_steps_per_iter": round(float(np.mean(mcmc.get_extra_fields()["num_steps"])), 2)}
    if mcmc.warmup_extra_fields is not None:
        out["warmup_steps_per_iter"] = round(float(np.mean(mcmc.warmup_extra_fields["num_steps"])), 2)
    return out

load_before = [round(v, 2) for v in os.getloadavg()]
data, labels = seed_data(n)
row = {"n": n, "k": 8, "chains": 2, "warmup": warmup, "samples": samples}
if path == "seed":
    gmm = gmm_model(m)  # the page's model written with m.dist, its sites named as the page names them
    started = time.perf_counter()
    m.ml.KMEANS(data, n_clusters=8)
    m.data_on_model = {"data": data, "K": 8, "initial_means": m.ml.results["centroids"]}
    m.fit(gmm, num_warmup=warmup, num_samples=samples, num_chains=2, progress_bar=False, collect_warmup=True)
    seed_s = time.perf_counter() - started
    table = m.summary(var_names=["weights", "mu"])
    from bayesforge.mixtures.draws import gaussian_mixture_draws
    from bayesforge.mixtures.memberships import membership_probabilities
    draws = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.posteriors, max_draws=100)
    row.update({"benchmark": "seed_model", "seed_model_s": round(seed_s, 2), "started_at": m.sampler.start,
                "seed_model_max_r_hat": round(float(table["r_hat"].max()), 3),
                "seed_model_min_ess_bulk": float(table["ess_bulk"].min()),
                "seed_model_ari": round(adjusted_rand_score(labels, membership_probabilities(draws, data).argmax(1)), 4),
                **{f"seed_model_{k}": v for k, v in steps(m.sampler).items()}})
    started = time.perf_counter()
    fit = m.gmm(data, K=8, num_warmup=warmup, num_samples=samples, num_chains=2, collect_warmup=True)
    gmm_s = time.perf_counter() - started
    row.update({"gmm_s": round(gmm_s, 2), "gmm_max_r_hat": fit.diagnostics["max_r_hat"],
                "ratio": round(seed_s / gmm_s, 2), "target_ratio": 2})
elif path == "vi":
    started, cpu_started = time.perf_counter(), cpu()
    fit = m.gmm(data, K=8, method="vi")
    fit_s, fit_cpu_s = time.perf_counter() - started, cpu() - cpu_started
    started = time.perf_counter()
    probabilities = fit.predict_proba()
    memberships_s = time.perf_counter() - started
    vi = fit.posterior.variational
    row = {key: value for key, value in row.items() if key not in ("chains", "warmup", "samples")}
    row.update({"benchmark": "gmm_scale", "method": "vi", "path": "fused", "guide": vi.guide_kind,
                "batch_size": vi.batch_size, "fit_s": round(fit_s, 2), "vi_s": round(vi.seconds, 2),
                "fit_cpu_s": round(fit_cpu_s, 2), "vi_steps": vi.num_steps, "converged": vi.converged,
                "ari": round(adjusted_rand_score(labels, probabilities.argmax(axis=1)), 6),
                "memberships_s": round(memberships_s, 2), "membership_draws": int(fit.draws.weights.shape[0]),
                "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)})
else:
    started, cpu_started = time.perf_counter(), cpu()
    fit = m.gmm(data, K=8, num_warmup=warmup, num_samples=samples, num_chains=2, collect_warmup=True)
    fit_s, fit_cpu_s = time.perf_counter() - started, cpu() - cpu_started
    started = time.perf_counter()
    probabilities = fit.predict_proba()
    memberships_s = time.perf_counter() - started
    diagnostics = fit.diagnostics
    row.update({"benchmark": "gmm_scale", "method": "nuts", "path": path, "chain_method": diagnostics["chain_method"],
                "fit_s": round(fit_s, 2), "fit_cpu_s": round(fit_cpu_s, 2), **steps(fit),
                "min_ess_bulk": diagnostics["min_ess_bulk"],
                "ess_min_per_s": round(diagnostics["min_ess_bulk"] / fit_s, 2), "max_r_hat": diagnostics["max_r_hat"],
                "divergences": diagnostics["divergences"],
                "ari": round(adjusted_rand_score(labels, probabilities.argmax(axis=1)), 6),
                "memberships_s": round(memberships_s, 2),
                "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)})
if sklearn and path != "seed":
    from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
    for name, model in (("sklearn_gmm", GaussianMixture(8, covariance_type="full", random_state=0)),
                        ("sklearn_bgmm", BayesianGaussianMixture(n_components=8, covariance_type="full",
                                                                 random_state=0, max_iter=500))):
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predicted = model.fit(data).predict(data)
        row[f"{name}_s"] = round(time.perf_counter() - started, 2)
        row[f"{name}_ari"] = round(adjusted_rand_score(labels, predicted), 6)
row["load_before"], row["load_after"] = load_before, [round(v, 2) for v in os.getloadavg()]
print(json.dumps(row))
"""


def run(path: str, n: int, args: argparse.Namespace) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k != "XLA_FLAGS" and not k.startswith(("JAX_COMPILATION_CACHE", "JAX_PERSISTENT_CACHE"))}
    env["JAX_PLATFORMS"] = "cpu"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, path, str(n), str(args.warmup), str(args.samples),
                             "0" if args.no_sklearn else "1"], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        return {"benchmark": "gmm_scale", "path": path, "n": n, "error": result.stderr[-2000:],
                "wall_s": round(time.perf_counter() - started, 1)}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--method", choices=("nuts", "vi"), nargs="+", default=["nuts", "vi"])
    parser.add_argument("--old-n", type=int, nargs="*", default=[100_000])
    parser.add_argument("--seed-n", type=int, nargs="*", default=[10_000])
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--no-sklearn", action="store_true")
    args = parser.parse_args()
    for n in sorted(set(args.n) | set(args.old_n)):
        if "vi" in args.method and n in args.n:
            print(json.dumps(run("vi", n, args)), flush=True)
        if "nuts" not in args.method:
            continue
        fused = run("fused", n, args) if n in args.n else None
        if fused:
            print(json.dumps(fused), flush=True)
        if n in args.old_n:
            old = run("old", n, args)
            print(json.dumps(old), flush=True)
            if fused and "fit_s" in fused and "fit_s" in old:
                print(json.dumps({"benchmark": "gmm_scale_speedup", "n": n, "old_fit_s": old["fit_s"],
                                  "fused_fit_s": fused["fit_s"], "speedup": round(old["fit_s"] / fused["fit_s"], 2),
                                  "target_speedup": 2}), flush=True)
    seed_args = argparse.Namespace(**{**vars(args), "warmup": 150, "samples": 150})
    for n in args.seed_n if "nuts" in args.method else ():
        print(json.dumps(run("seed", n, seed_args)), flush=True)


if __name__ == "__main__":
    main()
