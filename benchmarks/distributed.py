"""Rows split over devices and over processes: one chain's cost and the draws, side by side.

Prints JSON lines:

* ``sharded_one_chain``: one process, ``--devices`` host devices; a linear regression with
  ``--n`` rows and one chain, unsharded vs rows sharded over the devices (float64, so the
  draws can be compared): the fastest of 30 gradient evaluations (one NUTS leapfrog step;
  robust to a shared machine's noise) and its speed-up, the wall seconds of fits with S and
  2S draws with the per-draw time from their difference (compilation cancels; None when
  noise hides it), and the largest difference between the two fits' draws;
* ``processes``: the same regression (float64) in one process (one device) vs two localhost
  processes (one device each, gloo over TCP): gradient and per-draw times, whether both
  processes got identical draws, and the two posterior means.

Usage: python benchmarks/distributed.py [--n 200000] [--devices 4] [--warmup 100] [--samples 100]
       [--skip-sharded] [--skip-processes]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _data(n: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = 0.5 + X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(size=n)
    return X, y


def _regression(m):
    def regression(X, y):
        beta = m.dist.normal(0.0, 5.0, shape=(4,), name="beta")
        alpha = m.dist.normal(0.0, 5.0, name="alpha")
        sigma = m.dist.half_normal(2.0, name="sigma")
        m.dist.normal(alpha + X @ beta, sigma, name="y", obs=y)

    return regression


def _gradient_ms(m, model, shard_rows: bool, repeats: int = 30) -> float:
    """Fastest of ``repeats`` evaluations of the potential energy and its gradient (ms): the cost of one NUTS step.

    The minimum is robust to a shared machine's noise, where whole fits are not.
    """
    import jax
    from numpyro.infer.util import initialize_model

    from bayesforge.fit import choose_chain_method, match_arguments
    from bayesforge.sharding import plan_sharding

    arguments = match_arguments(model, m.data_on_model)
    method = choose_chain_method("auto", 1, m.devices)
    run = plan_sharding(model, arguments, m.devices, num_chains=1, chain_method="auto", resolved_chain_method=method,
                        shard_rows=shard_rows)
    with m.devices.context():
        info = initialize_model(jax.random.PRNGKey(0), run.model, model_kwargs=run.model_kwargs, dynamic_args=True)
        potential = info.potential_fn
        step = jax.jit(lambda z, kwargs: jax.value_and_grad(lambda q: potential(**kwargs)(q))(z))
        z = info.param_info.z
        jax.block_until_ready(step(z, run.model_kwargs))
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            jax.block_until_ready(step(z, run.model_kwargs))
            best = min(best, time.perf_counter() - started)
    return 1e3 * best


def _per_draw_ms(seconds: list[float], samples: int) -> float | None:
    """Per-draw time from a fit with S and one with 2S draws (compilation cancels); None when noise hides it."""
    difference = (seconds[1] - seconds[0]) / samples
    return round(1e3 * difference, 2) if difference > 0 else None


def _timed_fits(m, model, warmup: int, samples: int, **options):
    """Seconds of a fit with ``samples`` and with ``2 * samples`` draws, and the second fit's draws."""
    seconds = []
    for draws in (samples, 2 * samples):
        started = time.perf_counter()
        m.fit(model, num_warmup=warmup, num_samples=draws, num_chains=1, seed=0, progress_bar=False, **options)
        seconds.append(time.perf_counter() - started)
    return seconds, m.posteriors


def sharded_one_chain(args) -> dict:
    import numpy as np

    from bayesforge import bf

    m = bf(platform="cpu", cores=args.devices, x64=True)
    X, y = _data(args.n)
    m.data_on_model = {"X": X, "y": y}
    model = _regression(m)
    gradient = {name: _gradient_ms(m, model, shard) for name, shard in (("unsharded", False), ("sharded", True))}
    plain_s, plain = _timed_fits(m, model, args.warmup, args.samples, shard_rows=False)
    sharded_s, sharded = _timed_fits(m, model, args.warmup, args.samples, shard_rows=True)
    difference = max(float(np.max(np.abs(plain[k] - sharded[k]))) for k in plain)
    return {"benchmark": "sharded_one_chain", "n": args.n, "devices": m.devices.count, "cpus": os.cpu_count(),
            "gradient_ms": {k: round(v, 3) for k, v in gradient.items()},
            "gradient_speedup": round(gradient["unsharded"] / gradient["sharded"], 2),
            "warmup": args.warmup, "samples": [args.samples, 2 * args.samples],
            "unsharded_s": [round(s, 2) for s in plain_s], "sharded_s": [round(s, 2) for s in sharded_s],
            "unsharded_per_draw_ms": _per_draw_ms(plain_s, args.samples),
            "sharded_per_draw_ms": _per_draw_ms(sharded_s, args.samples),
            "max_draw_difference_x64": difference}


def worker(args) -> None:
    """One process of the ``processes`` benchmark (started by :func:`processes`)."""
    from bayesforge import bf
    from bayesforge.distributed import row_range

    distributed = None
    if args.num_processes > 1:
        distributed = {"coordinator_address": f"127.0.0.1:{args.port}", "num_processes": args.num_processes,
                       "process_id": args.process_id, "timeout": 120}
    m = bf(platform="cpu", cores=1, x64=True, distributed=distributed)
    X, y = _data(args.n)
    start, stop = row_range(args.n, args.process_id, args.num_processes)
    m.data_on_model = {"X": X[start:stop], "y": y[start:stop]}
    gradient = _gradient_ms(m, _regression(m), shard_rows=None)
    seconds, draws = _timed_fits(m, _regression(m), args.warmup, args.samples)
    print(json.dumps({"seconds": seconds, "gradient_ms": gradient, "alpha": draws["alpha"].tolist(),
                      "chain_method": m.sampler.chain_method}), flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes(args) -> dict:
    import numpy as np

    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    results = {}
    for count in (1, 2):
        port = _free_port()
        command = [sys.executable, __file__, "--worker", "--n", str(args.n), "--warmup", str(args.warmup),
                   "--samples", str(args.samples), "--num-processes", str(count), "--port", str(port)]
        started = [subprocess.Popen(command + ["--process-id", str(i)], stdout=subprocess.PIPE, text=True, env=env,
                                    cwd=ROOT) for i in range(count)]
        outputs = [json.loads(p.communicate(timeout=3600)[0].strip().splitlines()[-1]) for p in started]
        results[count] = outputs
    one, two = results[1][0], results[2]
    return {"benchmark": "processes", "n": args.n, "cpus": os.cpu_count(), "warmup": args.warmup,
            "gradient_ms": {"one_process": round(one["gradient_ms"], 3),
                            "two_processes": round(two[0]["gradient_ms"], 3)},
            "samples": [args.samples, 2 * args.samples],
            "one_process_s": [round(s, 2) for s in one["seconds"]],
            "two_processes_s": [round(s, 2) for s in two[0]["seconds"]],
            "one_process_per_draw_ms": _per_draw_ms(one["seconds"], args.samples),
            "two_processes_per_draw_ms": _per_draw_ms(two[0]["seconds"], args.samples),
            "identical_draws_in_both_processes": two[0]["alpha"] == two[1]["alpha"],
            "chain_method": two[0]["chain_method"],
            "alpha_mean": {"one_process": round(float(np.mean(one["alpha"])), 4),
                           "two_processes": round(float(np.mean(two[0]["alpha"])), 4)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--skip-sharded", action="store_true")
    parser.add_argument("--skip-processes", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--num-processes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--process-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if not args.skip_processes:  # subprocesses first: this process's JAX would hold the cores' devices
        print(json.dumps(processes(args)), flush=True)
    if not args.skip_sharded:
        print(json.dumps(sharded_one_chain(args)), flush=True)


if __name__ == "__main__":
    main()
