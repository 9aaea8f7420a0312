"""XLA's CPU code generators side by side: compile time against run time.

``--xla_cpu_use_fusion_emitters=false`` makes XLA use its older elemental emitters instead of its MLIR
fusion emitters. The test suite runs with it (conftest.py: its time is mostly compiling small NUTS
programs); ``bf()`` does not set it for users, because the code it generates runs slower. This script
measures both sides. Each round runs, in a fresh Python per setting (JAX reads ``XLA_FLAGS`` once, when it
starts), the settings alternated so that the machine's load falls on both alike:

* ``small_fit``: ``m.gmm`` on 300 points, K = 3, 2 chains x 200 + 200: a fit whose time is mostly
  compilation (as in the test suite, and as for a user's first fit of a model); ``compile_s`` is the sum
  of XLA's compile times that JAX reports (``/jax/core/compile/backend_compile_duration``);
* ``gradient_ms``: the median of 15 value-and-gradient calls of the seed GMM's log-likelihood at
  ``--n`` points through the code XLA generates: NumPyro's mixture of BayesForge's LAPACK-free
  multivariate normal (``today``) and the fused likelihood's XLA scan (``fused_xla``; the native kernel,
  which neither flag touches, is left out);
* ``fit_s``: ``m.gmm`` on ``--n`` points, K = 8, 2 chains x 200 + 200, on the XLA scan (run time and
  compilation together).

Measured 2026-11-30 on the idle 2-core machine (load 1.1-1.6, ``--rounds 2 --n 20000``, medians): fusion
emitters: small fit 13.6 s (9.3 s compiling), gradients 1.66 / 0.98 ms, fit 22.4 s; elemental emitters:
small fit 11.3 s (6.7 s compiling), gradients 2.22 / 1.15 ms, fit 22.3 s.

Prints one JSON line per setting and round, then one summary line (medians per setting).

Usage: python benchmarks/xla_flags.py [--rounds 2] [--n 100000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap

SETTINGS = {
    "fusion_emitters": "--xla_cpu_use_fusion_emitters=true",
    "elemental_emitters (the test suite's)": "--xla_cpu_use_fusion_emitters=false",
}

CHILD = textwrap.dedent('''
    import json, sys, time
    import jax.monitoring
    compile_s = [0.0]

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compile_s[0] += duration

    jax.monitoring.register_event_duration_secs_listener(listen)
    import numpy as np
    from bayesforge import bf
    from bayesforge.likelihood import xla_only
    from bayesforge.mixtures.gmm import seed_data

    n = int(sys.argv[1])
    m = bf(platform="cpu", cores=2)
    import jax.numpy as jnp
    import numpyro.distributions as npd
    from bayesforge.distributions import MultivariateNormal

    rng = np.random.default_rng(0)
    small = np.concatenate([rng.normal(c, 1.0, (100, 2)) for c in [(0, 0), (5, 5), (0, 6)]])
    started = time.perf_counter()
    m.gmm(small, K=3, num_warmup=200, num_samples=200, num_chains=2, progress_bar=False)
    result = {"small_fit_s": round(time.perf_counter() - started, 2), "small_fit_compile_s": round(compile_s[0], 2)}

    data, labels = seed_data(n)
    k = 8
    means = np.stack([data[labels == j].mean(axis=0) for j in range(k)]) + 0.05
    theta = (jnp.full(k, 1.0 / k), jnp.asarray(means, jnp.float32), jnp.full((k, 2), 0.85), jnp.tile(jnp.eye(2), (k, 1, 1)))
    x = jnp.asarray(data, jnp.float32)

    def build(path):
        def log_likelihood(weights, mu, sigma, lcorr):
            mixing = npd.Categorical(probs=weights)
            scale_tril = sigma[..., None] * lcorr
            if path == "today":
                return npd.MixtureSameFamily(mixing, MultivariateNormal(mu, scale_tril=scale_tril)).log_prob(x).sum()
            with xla_only():
                component = m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True)
                return m.dist.mixture_same_family(mixing, component, create_obj=True).log_prob(x).sum()
        return jax.jit(jax.value_and_grad(log_likelihood, argnums=(0, 1, 2, 3)))

    gradient = {}
    for path in ("today", "fused_xla"):
        function = build(path)
        jax.block_until_ready(function(*theta))
        times = []
        for _ in range(15):
            jax.block_until_ready(function(*theta))  # untimed: the path follows itself, as in NUTS
            begun = time.perf_counter()
            jax.block_until_ready(function(*theta))
            times.append(time.perf_counter() - begun)
        gradient[path] = round(1e3 * sorted(times)[len(times) // 2], 2)
    result["gradient_ms"] = gradient

    with xla_only():
        started = time.perf_counter()
        fit = m.gmm(data, K=k, num_warmup=200, num_samples=200, num_chains=2, progress_bar=False)
        result["fit_s"] = round(time.perf_counter() - started, 2)
    print(json.dumps(result))
''')


def load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    results = {name: [] for name in SETTINGS}
    for round_ in range(args.rounds):
        for name, flag in SETTINGS.items():
            env = {**os.environ, "XLA_FLAGS": flag, "JAX_PLATFORMS": "cpu"}
            env.pop("JAX_COMPILATION_CACHE_DIR", None)  # every compilation is measured
            before = load()
            run = subprocess.run([sys.executable, "-c", CHILD, str(args.n)], capture_output=True, text=True, env=env)
            if run.returncode != 0:
                sys.exit(f"{name} failed:\n{run.stderr[-3000:]}")
            line = {"benchmark": "xla_flags", "setting": name, "xla_flags": flag, "round": round_, "n": args.n,
                    **json.loads(run.stdout.strip().splitlines()[-1]), "load_before": before, "load_after": load()}
            results[name].append(line)
            print(json.dumps(line), flush=True)
    summary = {"benchmark": "xla_flags", "summary": True, "rounds": args.rounds, "n": args.n}
    for name, lines in results.items():
        summary[name] = {
            "small_fit_s": statistics.median(line["small_fit_s"] for line in lines),
            "small_fit_compile_s": statistics.median(line["small_fit_compile_s"] for line in lines),
            "gradient_ms": {path: statistics.median(line["gradient_ms"][path] for line in lines)
                            for path in lines[0]["gradient_ms"]},
            "fit_s": statistics.median(line["fit_s"] for line in lines),
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
