"""Device check for a machine with a GPU: detection, chain method, the seed GMM fitted there.

Prints one JSON line per configuration. Run twice: ``python benchmarks/gpu_check.py`` (JAX's default
platform, the GPU) and ``python benchmarks/gpu_check.py --platform cpu`` (CPU requested on a GPU
machine: host devices and parallel chains). Needs no ArviZ.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platform", default=None)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--methods", default="auto,sequential")
    args = parser.parse_args()

    from bayesforge import bf

    m = bf(platform=args.platform)
    import jax
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from _seed_gmm import bayesforge_gmm, seed_data
    from bayesforge.mixtures.draws import gaussian_mixture_draws
    from bayesforge.mixtures.memberships import membership_probabilities

    for n in (500, 10_000):
        data, labels, centroids = seed_data(n)
        m.data_on_model = {"data": data, "K": 8, "initial_means": centroids}
        for method in args.methods.split(","):
            start = time.perf_counter()
            m.fit(bayesforge_gmm(m), num_warmup=args.warmup, num_samples=args.samples, num_chains=4,
                  chain_method=method, progress_bar=False)
            seconds = time.perf_counter() - start
            draws = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.sampler.get_samples())
            ari = adjusted_rand_score(labels, membership_probabilities(draws, data).argmax(axis=1))
            print(json.dumps({
                "check": "gpu", "requested_platform": args.platform, "platform": m.devices.platform,
                "devices": [str(d) for d in m.devices.devices], "default_backend": jax.default_backend(),
                "n": n, "chain_method_asked": method, "chain_method": m.sampler.chain_method,
                "seconds": round(seconds, 2), "ari": round(float(ari), 3),
                "divergences": m.posterior.num_divergences,
                "mu_device": str(next(iter(m.sampler.get_samples()["mu"].devices()))),
                "jax": jax.__version__, "x64": bool(np.asarray(m.posteriors["mu"]).dtype == np.float64),
            }), flush=True)


if __name__ == "__main__":
    main()
