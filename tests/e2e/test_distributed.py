"""Rows split over processes (two on localhost); rows over the devices of one process are in
tests/test_sharding.py, the settings and each process's rows of a file in tests/test_distributed.py.

The two-process tests start small scripts with ``bf(distributed=...)`` on a free
port; every wait has a timeout, so a hang fails the test instead of stalling it.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_python, subprocess_env

WORKER = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    import numpy as np
    from bayesforge import bf
    from bayesforge.distributed import row_range

    process_id, port, count, out, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
    timeout, heartbeat = int(sys.argv[6]), int(sys.argv[7])
    try:
        m = bf(platform="cpu", cores=1, distributed={"coordinator_address": f"127.0.0.1:{port}",
               "num_processes": count, "process_id": process_id, "timeout": timeout, "heartbeat_timeout": heartbeat})
    except (ValueError, TimeoutError) as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
        sys.exit(3)
    print(json.dumps({"joined": process_id}), flush=True)

    def normal_mean(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")
        m.dist.normal(mu, 1.0, name="y", obs=y)

    y = np.random.default_rng(1).normal(3.0, 1.0, 200)
    start, stop = row_range(len(y), process_id, count)
    m.data_on_model = {"y": y[start:stop]}
    while True:
        m.fit(normal_mean, num_warmup=100, num_samples=100, num_chains=2, seed=0, progress_bar=False)
        if mode != "loop":
            break
    normal_mean_draws, chain_method = m.posteriors["mu"].tolist(), m.sampler.chain_method
    from bayesforge.cli.main import main  # the gmm command over the same two processes: a 1-D GMM (cheap)

    status = main(["gmm", str(out / "points.csv"), "--columns", "x", "--k", "2", "--chains", "1", "--warmup", "50",
                   "--samples", "50", "--out", str(out / "gmm"), "--save", str(out / "gmm" / "fit.nc"), "--quiet",
                   "--coordinator", f"127.0.0.1:{port}",
                   "--num-processes", str(count), "--process-id", str(process_id)])
    print(json.dumps({"mu": normal_mean_draws, "chain_method": chain_method, "rows": stop - start,
                      "main": m.is_main_process, "gmm_status": status}), flush=True)
''')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(folder: Path, process_id: int, port: int, count: int, mode: str = "fit", timeout: int = 120,
           heartbeat: int = 60) -> subprocess.Popen:
    """One worker; ``timeout``: to join, ``heartbeat``: after which a silent process counts as dead (generous
    by default: a loaded machine must not make a slow process look dead)."""
    script = folder / "worker.py"
    if not script.exists():
        script.write_text(WORKER)
    env = subprocess_env()
    env.update(JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, str(script), str(process_id), str(port), str(count), str(folder), mode,
                             str(timeout), str(heartbeat)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _finish(process: subprocess.Popen, timeout: float) -> tuple[int, dict, str]:
    """Exit status, last JSON line printed, stderr; kills the process and fails if it runs past ``timeout``."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"process did not exit within {timeout} s (a hang); stderr:\n{err[-3000:]}")
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return process.returncode, (lines[-1] if lines else {}), err


@pytest.fixture(scope="module")
def bad_settings(tmp_path_factory):
    """Workers with bad settings, started first: they mostly wait out their 6 s timeout while the others run."""
    folder = tmp_path_factory.mktemp("bad")
    port = _free_port()
    return {"count": [_start(folder, 0, port, 2, timeout=6), _start(folder, 1, port, 3, timeout=6)],
            "address": _start(folder, 1, _free_port(), 2, timeout=6)}


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory, bad_settings):
    """One run of the worker in 2 processes: a normal mean with m.fit, then ``bayesforge gmm`` on a 1-D file."""
    folder = tmp_path_factory.mktemp("two")
    labels = np.random.default_rng(2).integers(0, 2, 201)
    x = np.where(labels == 1, 4.0, -4.0) + 0.7 * np.random.default_rng(3).normal(size=201)
    (folder / "points.csv").write_text("x,label\n" + "".join(f"{v:.6f},{k}\n" for v, k in zip(x, labels)))
    port = _free_port()
    processes = [_start(folder, i, port, 2) for i in range(2)]
    results = [_finish(p, timeout=900) for p in processes]
    return folder, results


def test_both_processes_exit_zero(two_processes):
    _, results = two_processes
    for rc, last, err in results:
        assert rc == 0, err[-3000:]
        assert last["rows"] == 100 and last["chain_method"] == "vectorized" and last["gmm_status"] == 0
    assert [last["main"] for _, last, _ in results] == [True, False]


def test_every_process_gets_the_same_draws(two_processes):
    _, ((_, first, first_err), (_, second, second_err)) = two_processes
    assert "mu" in first and "mu" in second, (first_err + second_err)[-3000:]
    assert first["mu"] == second["mu"]


def test_two_processes_sample_the_posterior_of_all_rows(two_processes, m):
    """Posterior mean within Monte Carlo error of a one-process fit to all 200 rows."""
    _, ((_, first, _), _) = two_processes

    def normal_mean(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")
        m.dist.normal(mu, 1.0, name="y", obs=y)

    m.data_on_model = {"y": np.random.default_rng(1).normal(3.0, 1.0, 200)}
    m.fit(normal_mean, num_warmup=100, num_samples=100, num_chains=2, seed=1, progress_bar=False)
    alone, together = m.posteriors["mu"], np.asarray(first["mu"])
    error = np.hypot(alone.std() / np.sqrt(len(alone) / 4), together.std() / np.sqrt(len(together) / 4))
    assert abs(alone.mean() - together.mean()) < 4 * error
    assert abs(together.std() - 1 / np.sqrt(200)) < 0.3 / np.sqrt(200)  # half the data would give sd 0.1


def test_the_gmm_command_writes_every_row_once_from_the_main_process(two_processes):
    """201 rows: 101 + 100 per process, padded and masked; process 0 gathers the memberships and writes."""
    import pandas as pd

    folder, _ = two_processes
    assert sorted(p.name for p in folder.iterdir()) == ["gmm", "points.csv", "worker.py"]  # no stray files
    assert sorted(p.name for p in (folder / "gmm").iterdir()) == ["fit.nc", "gmm.png", "memberships.csv",
                                                                 "summary.csv"]
    table = pd.read_csv(folder / "gmm" / "memberships.csv")
    assert table["row"].tolist() == list(range(201))
    np.testing.assert_allclose(table[["p_0", "p_1"]].sum(axis=1), 1.0, atol=1e-5)
    truth = pd.read_csv(folder / "points.csv")["label"].to_numpy()
    assert (table["cluster"] == truth).all() or (table["cluster"] != truth).all()  # two clear blobs, up to labels
    # --save: process 0 alone wrote the fit, with every process's rows in file order
    import bayesforge

    fit = bayesforge.load(folder / "gmm" / "fit.nc")
    np.testing.assert_allclose(fit.data[:, 0], pd.read_csv(folder / "points.csv")["x"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(fit.predict_proba(), table[["p_0", "p_1"]], rtol=1e-4, atol=1e-5)
    assert fit.to_arviz().log_likelihood["obs"].shape == (1, 50, 201)


def test_a_killed_process_stops_the_other(tmp_path):
    port = _free_port()
    processes = [_start(tmp_path, i, port, 2, mode="loop", heartbeat=5) for i in range(2)]
    try:
        first_line = processes[1].stdout.readline()
        assert "joined" in first_line, processes[1].stderr.read()[-3000:]
        time.sleep(3)  # into the sampling loop
        processes[1].send_signal(signal.SIGKILL)
        rc, _, err = _finish(processes[0], timeout=120)  # heartbeat_timeout=5 s
    finally:
        for process in processes:
            process.kill()
            process.communicate()
    assert rc != 0
    assert "another task died" in err or "heartbeat" in err, err[-3000:]


def test_a_process_count_that_does_not_match_is_an_error_naming_it(bad_settings):
    results = [_finish(p, timeout=90) for p in bad_settings["count"]]
    for rc, last, err in results:
        assert rc == 3, err[-3000:]
        assert "num_processes" in last["error"]
    assert "num_processes=3" in results[1][1]["error"] and "num_processes=2" in results[1][1]["error"]


def test_an_unreachable_coordinator_is_an_error_naming_the_address(bad_settings):
    rc, last, err = _finish(bad_settings["address"], timeout=90)
    assert rc == 3, err[-3000:]
    assert "coordinator_address='127.0.0.1:" in last["error"] and "TimeoutError" in last["error"]


def test_distributed_true_outside_a_cluster_says_what_to_pass():
    code = ("from bayesforge import bf\n"
            "try:\n    bf(platform='cpu', distributed=True)\n"
            "except ValueError as error:\n    print('ERROR', error)\n")
    if any(k.startswith(("SLURM_", "OMPI_", "KUBERNETES_")) for k in os.environ):
        pytest.skip("running inside a cluster JAX would detect")
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"}, timeout=120)
    assert "ERROR bf(distributed=True) found no cluster" in result.stdout, result.stderr[-3000:]
    assert "coordinator_address" in result.stdout
