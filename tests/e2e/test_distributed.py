"""Rows split over devices (one process, 4 host devices) and over processes (two on localhost).

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

from conftest import ROOT, run_python

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
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
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


# -- one process, rows over 4 host devices ----------------------------------------------------------------

@pytest.fixture(scope="module")
def regression_fits():
    """One chain of a small regression (203 rows: padded to 204 on 4 devices) unsharded and sharded, float64."""
    from bayesforge import bf

    m = bf(platform="cpu", x64=True)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(203, 2))
    y = 1.0 + X @ np.array([0.5, -1.0]) + rng.normal(size=203)

    def regression(X, y):
        beta = m.dist.normal(0.0, 5.0, shape=(2,), name="beta")
        alpha = m.dist.normal(0.0, 5.0, name="alpha")
        m.dist.normal(alpha + X @ beta, 1.0, name="y", obs=y)

    m.data_on_model = {"X": X, "y": y}
    fits = {}
    for shard in (False, True):
        m.fit(regression, num_warmup=60, num_samples=50, num_chains=1, seed=3, progress_bar=False,
              shard_rows=shard)
        fits[shard] = m.posterior
    return m, regression, fits


def test_one_chain_over_four_devices_gives_the_unsharded_draws(regression_fits):
    m, regression, fits = regression_fits
    assert m.devices.count == 4
    assert fits[True].mcmc.sampler.model.__wrapped__ is regression  # the run saw the sharded, masked model
    assert fits[False].mcmc.sampler.model is regression
    for site in ("alpha", "beta"):
        np.testing.assert_allclose(fits[True].draws[site], fits[False].draws[site], rtol=1e-6, atol=1e-9)


def test_padded_rows_are_not_in_the_pointwise_log_likelihood(regression_fits):
    _, _, fits = regression_fits
    sharded, plain = (fits[s].to_arviz().log_likelihood["y"].values for s in (True, False))
    assert sharded.shape == plain.shape == (1, 50, 203)
    np.testing.assert_allclose(sharded, plain, rtol=1e-6)


def test_rows_and_the_chain_method_of_a_sharded_run():
    from bayesforge.device import configure
    from bayesforge.sharding import plan_sharding, row_arguments

    import numpyro
    import numpyro.distributions as dist

    def regression(X, y, K):
        beta = numpyro.sample("beta", dist.Normal(0, 1).expand([X.shape[1]]))
        numpyro.sample("y", dist.Normal(X @ beta, 1.0), obs=y)

    def needs_numpy(y):
        numpyro.sample("y", dist.Normal(float(np.mean(y)), 1.0), obs=y)

    arguments = {"X": np.ones((6, 2)), "y": np.ones(6), "K": 3}
    assert row_arguments(regression, arguments) == (6, ("X", "y"))
    assert row_arguments(needs_numpy, {"y": np.ones(6)}) is None
    devices = configure(platform="cpu")
    run = plan_sharding(regression, arguments, devices, num_chains=3, chain_method="auto",
                        resolved_chain_method="vectorized", shard_rows=True)
    assert run.sharded and run.chain_method == "vectorized" and run.padded_rows == 8
    assert run.model_kwargs["X"].sharding.spec[0] == "data"
    small = plan_sharding(regression, arguments, devices, num_chains=1, chain_method="auto")
    assert not small.sharded  # automatic: too few rows to be worth it
    with pytest.raises(ValueError, match="chain_method='parallel'"):
        plan_sharding(regression, arguments, devices, num_chains=2, chain_method="parallel",
                      resolved_chain_method="parallel", shard_rows=True)
    with pytest.raises(TypeError, match="shard_rows"):
        plan_sharding(regression, arguments, devices, num_chains=1, chain_method="auto", shard_rows="yes")


# -- settings and files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, message", [
    ({"coordinator_address": "10.0.0.1", "num_processes": 2, "process_id": 0},
     "coordinator_address must be 'host:port'"),
    ({"coordinator_address": "h:1", "num_processes": 2, "process_id": 2}, "process_id must be 0..num_processes-1"),
    ({"coordinator_address": "h:1", "num_processes": 0, "process_id": 0}, "num_processes"),
    ({"coordinator": "h:1"}, "unknown setting 'coordinator'"),
    ({"coordinator_address": "h:1", "timeout": -1}, "timeout"),
])
def test_bad_settings_are_errors_naming_them(settings, message):
    from bayesforge.distributed import parse_settings

    with pytest.raises((ValueError, TypeError), match=message):
        parse_settings(settings)
    with pytest.raises(TypeError, match="distributed must be None, True"):
        parse_settings("127.0.0.1:1234")


def test_each_process_reads_its_own_rows_of_a_file(tmp_path):
    from bayesforge.distributed import read_own_rows, row_range
    from bayesforge.tabular import read_numeric_csv

    path = tmp_path / "points.csv"
    path.write_text("x,y,label\n" + "".join(f"{i},{i * i},c{i}\n" + ("\n" if i == 4 else "") for i in range(10)))
    whole = read_numeric_csv(path, columns="x,y")
    parts = [read_own_rows(path, i, 3, columns="x,y") for i in range(3)]
    assert [(start, total, len(table)) for table, start, total in parts] == [(0, 10, 4), (4, 10, 3), (7, 10, 3)]
    assert [row_range(10, i, 3) for i in range(3)] == [(0, 4), (4, 7), (7, 10)]
    joined = np.concatenate([table.to_numpy() for table, _, _ in parts])
    np.testing.assert_array_equal(joined, whole.to_numpy())
    assert list(parts[1][0].columns) == ["x", "y"] and parts[1][0].index[0] == 4
    path.write_text("x,y\n1,2\n3,4\n5,oops\n7,8\n")
    with pytest.raises(ValueError) as whole_error:
        read_numeric_csv(path)
    assert read_own_rows(path, 0, 2)[0].to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError) as own_error:  # the process holding the bad row: the whole file's message
        read_own_rows(path, 1, 2)
    assert str(own_error.value) == str(whole_error.value)
    path.write_text("1;2,5\n3;-4,0\n\n5;6\n")  # no header, decimal commas
    options = {"sep": ";", "decimal": ",", "header": False}
    own = [read_own_rows(path, i, 2, **options)[0] for i in range(2)]
    assert [t.to_numpy().tolist() for t in own] == [[[1.0, 2.5], [3.0, -4.0]], [[5.0, 6.0]]]
    assert list(own[0].columns) == list(read_numeric_csv(path, **options).columns) == ["x1", "x2"]
