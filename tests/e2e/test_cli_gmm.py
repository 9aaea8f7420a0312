"""`bayesforge gmm` for real, each run in a fresh Python and each shared by its checks: a tiny NUTS fit with
--k auto and --save into a folder holding the user's files (and a second run into the same --out while the first
holds it), and a tiny variational run with --k auto. In-process checks with a stand-in for bf(): tests/cli/."""
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

import bayesforge
from cli_support import blobs_csv, command, command_env, run_command


# -- one real fit in a fresh Python ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """`gmm --k auto --kmax 2 --overwrite --save fit.nc` into a folder holding the user's files, and a second run
    into the same folder started while the first holds it."""
    folder = tmp_path_factory.mktemp("real")
    data = blobs_csv(folder)
    out = folder / "out"
    out.mkdir()
    (out / "summary.csv").write_text("the user's old summary")
    (out / "notes.txt").write_text("the user's notes")
    args = ["gmm", data.name, "--columns", "x,y", "--k", "auto", "--kmax", "2", "--chains", "2", "--warmup", "100",
            "--samples", "100", "--out", "out", "--overwrite", "--save", "fit.nc"]
    first = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=command_env(), cwd=folder)
    lock = out / ".bayesforge.lock"
    while not lock.exists() and first.poll() is None:
        time.sleep(0.05)
    second = run_command(args, folder, timeout=300, JAX_PLATFORMS="bogus") if lock.exists() else None
    stdout, stderr = first.communicate(timeout=900)
    return {"folder": folder, "out": out, "rc": first.returncode, "stdout": stdout, "stderr": stderr,
            "pid": first.pid, "second": second}


def test_end_to_end_outputs(real_run):
    assert real_run["rc"] == 0, real_run["stderr"][-3000:]
    out = real_run["out"]
    memberships = pd.read_csv(out / "memberships.csv")
    assert memberships.columns.tolist() == ["row", "cluster", "p_0", "p_1", "certainty"]
    assert memberships["row"].tolist() == list(range(120))
    np.testing.assert_allclose(memberships[["p_0", "p_1"]].sum(axis=1), 1.0, atol=1e-4)
    assert sorted(memberships["cluster"].value_counts()) == [60, 60]
    assert pd.read_csv(out / "k_selection.csv")["K"].tolist() == [1, 2]
    assert pd.read_csv(out / "summary.csv").columns[0] == "parameter"  # the user's old summary, replaced as asked
    assert (out / "notes.txt").read_text() == "the user's notes"
    assert all((out / name).stat().st_size > 0 for name in ("gmm.png", "k_selection.png"))
    assert "K=2 chosen by loo" in real_run["stdout"] and "Traceback" not in real_run["stderr"]


def test_end_to_end_reports_each_k_as_it_finishes(real_run):
    lines = real_run["stderr"].splitlines()
    assert any(line.startswith("K=1 (1/2): ") and "max r_hat" in line and "elpd_loo" in line for line in lines)
    assert any(line.startswith("K=2 (2/2): ") for line in lines)


def test_end_to_end_saves_the_selected_fit(real_run):
    fit = bayesforge.load(real_run["folder"] / "fit.nc")
    memberships = pd.read_csv(real_run["out"] / "memberships.csv")
    assert fit.K == 2 and fit.feature_names == ("x", "y") and fit.metadata["selection"]["selected_k"] == 2
    np.testing.assert_allclose(fit.predict_proba(), memberships[["p_0", "p_1"]], rtol=1e-5, atol=1e-6)
    assert "wrote fit.nc (the fit: bayesforge.load() in Python, bf_load() in R)" in real_run["stdout"]


def test_end_to_end_leaves_no_lock_or_staging_folder(real_run):
    assert sorted(p.name for p in real_run["folder"].iterdir()) == ["fit.nc", "good.csv", "out"]
    assert sorted(p.name for p in real_run["out"].iterdir()) == [
        "gmm.png", "k_selection.csv", "k_selection.png", "memberships.csv", "notes.txt", "summary.csv"]


def test_a_second_run_into_the_same_out_stops_at_once_naming_the_first(real_run):
    second = real_run["second"]
    assert second is not None, "the first run never held its lock"
    assert second.returncode == 2
    assert second.stderr.strip() == (f"bayesforge gmm: error: --out out is in use by another bayesforge run (process "
                                     f"{real_run['pid']}); wait for it to finish or choose another --out")


# -- the variational method -----------------------------------------------------------------------------------

def test_end_to_end_vi_auto(tmp_path):
    """One real run: --k auto --kmax 2 --method vi on 120 rows in two blobs."""
    data = blobs_csv(tmp_path)
    result = run_command(["gmm", data.name, "--columns", "x,y", "--kmax", "2", "--method", "vi", "--out", "out"],
                         tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "K=2 chosen by bic" in result.stdout and "note: variational fit" in result.stdout
    assert "diagnostics: variational inference (mean-field Gaussian)" in result.stdout
    assert any(line.startswith("K=1 (1/2): ") and "VI " in line and "BIC" in line for line in result.stderr.splitlines())
    memberships = pd.read_csv(tmp_path / "out" / "memberships.csv")
    assert memberships["row"].tolist() == list(range(120))
    assert sorted(memberships["cluster"].value_counts()) == [60, 60]
    np.testing.assert_allclose(memberships[["p_0", "p_1"]].sum(axis=1), 1.0, atol=1e-4)
    table = pd.read_csv(tmp_path / "out" / "k_selection.csv")
    assert table["K"].tolist() == [1, 2] and table["status"].tolist() == ["converged", "converged"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "gmm.png", "k_selection.csv", "k_selection.png", "memberships.csv", "summary.csv"]
