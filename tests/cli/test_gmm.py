"""What `bayesforge gmm` writes and prints, and what it never touches: in this process with a stand-in for
bf() (no sampling). The real runs in a fresh Python: tests/e2e/test_cli_gmm.py."""
from pathlib import Path

import numpy as np
import pandas as pd

import bayesforge
from cli_support import GOOD_CSV, StandInWorkspace, no_fit_allowed, run_in_process, write


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` other than the input CSVs (outputs, temporary folders, locks)."""
    return sorted(p.name for p in folder.iterdir() if p.suffix != ".csv")


def test_writes_summary_memberships_numbered_from_0_and_figure(tmp_path, workspace, monkeypatch):
    path = write(tmp_path, "x,label,y\n0,a,1\n4.5,b,2\n0.2,c,3\n4,d,4\n")
    monkeypatch.chdir(tmp_path)
    status, out, err = run_in_process(["gmm", path, "--k", "2", "--columns", "x,y", "--chains", "3", "--warmup", "7",
                                       "--samples", "9", "--seed", "5"])
    assert status == 0, err
    call = workspace.calls[0]
    assert isinstance(call["data"], pd.DataFrame) and call["data"].columns.tolist() == ["x", "y"]  # feature names
    np.testing.assert_array_equal(call["data"].to_numpy(), [[0, 1], [4.5, 2], [0.2, 3], [4, 4]])
    assert (call["K"], call["num_chains"], call["num_warmup"], call["num_samples"], call["seed"]) == (2, 3, 7, 9, 5)
    assert call["progress_bar"] is False  # stderr is not a terminal here
    folder = tmp_path / "gmm-data"  # the default --out
    assert sorted(p.name for p in folder.iterdir()) == ["gmm.png", "memberships.csv", "summary.csv"]
    memberships = pd.read_csv(folder / "memberships.csv")
    assert memberships.columns.tolist() == ["row", "cluster", "p_0", "p_1", "certainty"]
    assert memberships["row"].tolist() == [0, 1, 2, 3] and memberships["cluster"].tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(memberships[["p_0", "p_1"]].sum(axis=1), 1.0, rtol=1e-5)
    assert pd.read_csv(folder / "summary.csv").columns[0] == "parameter"
    assert "K=2" in out and "max r_hat: 1.200" in out and "divergences: 3" in out
    assert "wrote gmm-data/memberships.csv (rows and clusters numbered from 0)" in out
    assert "warning: K=2: max r_hat 1.200 > 1.1" in err  # warnings go to stderr, as lines
    assert leftovers(tmp_path) == ["gmm-data"]


def test_progress_bar_on_a_terminal_unless_quiet(tmp_path, workspace):
    path = write(tmp_path, GOOD_CSV)
    for quiet, expected in (([], True), (["--quiet"], False)):
        status, _, err = run_in_process(["gmm", path, "--k", "2", "--out", tmp_path / f"out{len(quiet)}", *quiet],
                                        terminal=True)
        assert status == 0, err
        assert workspace.calls[-1]["progress_bar"] is expected


def test_auto_clips_kmax_reports_each_k_and_writes_the_k_table(tmp_path, workspace):
    out = tmp_path / "out"
    status, stdout, stderr = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--kmax", "10", "--out", out])
    assert status == 0, stderr
    assert workspace.calls[0]["K"] == "auto" and list(workspace.calls[0]["ks"]) == [1, 2, 3, 4]
    assert "note: --kmax 10 is more than the 4 data rows" in stdout and "K=2 chosen by loo" in stdout
    progress = [line for line in stderr.splitlines() if line.startswith("K=")]
    assert progress == [f"K={k} ({k}/4): 0 s, max r_hat 1.20, 3 divergences, elpd_loo {-10.0 * k:.1f} (se 1.5)"
                        for k in range(1, 5)]
    assert pd.read_csv(out / "k_selection.csv")["K"].tolist() == [1, 2, 3, 4]
    assert (out / "k_selection.png").stat().st_size > 0
    status, _, stderr = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--out", tmp_path / "quiet", "--quiet"])
    assert status == 0 and workspace.calls[-1]["on_fit"] is None and "K=1 (1/4)" not in stderr


def test_overwrite_replaces_only_what_the_run_writes_and_deletes_nothing(tmp_path, workspace):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("summary.csv", "memberships.csv", "gmm.png", "k_selection.csv", "k_selection.png", "notes.txt"):
        (out / name).write_text("the user's file")
    status, stdout, stderr = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", out,
                                             "--overwrite"])
    assert status == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["gmm.png", "k_selection.csv", "k_selection.png",
                                                     "memberships.csv", "notes.txt", "summary.csv"]
    assert len(pd.read_csv(out / "memberships.csv")) == 4
    for name in ("k_selection.csv", "k_selection.png", "notes.txt"):  # not this run's files: untouched
        assert (out / name).read_text() == "the user's file"
    assert "removed" not in stdout


def test_a_value_error_of_the_fit_is_the_users_and_leaves_nothing(tmp_path, monkeypatch):
    failing = StandInWorkspace(fail_with=ValueError("data: column 1 ('y') has the same value in every row"))
    monkeypatch.setattr(bayesforge, "bf", lambda **options: failing)
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", tmp_path / "out"])
    assert status == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == ("bayesforge gmm: error: cannot fit the mixture: data: column 1 ('y') has "
                                            "the same value in every row")
    assert leftovers(tmp_path) == []  # the out folder this run created is gone again, and its lock


def test_checks_before_fitting_in_process(tmp_path, monkeypatch):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    status, _, err = run_in_process(["gmm", write(tmp_path, "x,y\n1,abc\n"), "--out", tmp_path / "out"])
    assert status == 2 and err.count("\n") == 1 and leftovers(tmp_path) == []
