"""``bayesforge gmm``: reading the CSV (bayesforge.tabular), the checks made before JAX starts, the output
files (with a stand-in fit, no sampling) and two end-to-end runs in a fresh Python."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesforge
from bayesforge.cli import main
from bayesforge.tabular import DataFileError, read_numeric_csv

ROOT = Path(__file__).resolve().parents[1]
GOOD_CSV = "x,y\n1,2\n3,4\n5,6\n7,8\n"


def write(folder: Path, text: str, name: str = "data.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def run_cli(args, capsys) -> tuple[int, str, str]:
    """``main(args)`` in this process: (exit status, stdout, stderr)."""
    try:
        status = main([str(a) for a in args])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` other than the input CSVs (outputs, temporary folders)."""
    return sorted(p.name for p in folder.iterdir() if p.suffix != ".csv")


# -- read_numeric_csv ------------------------------------------------------------------------------------

def test_reads_selected_columns_as_floats_in_the_order_asked(tmp_path):
    path = write(tmp_path, "x, y ,label\n1, 2.5 ,a\n-3e1,4,b\n")
    table = read_numeric_csv(path, columns=["y", "x"])
    assert table.columns.tolist() == ["y", "x"]
    assert table.dtypes.tolist() == [np.float64, np.float64]
    np.testing.assert_array_equal(table.to_numpy(), [[2.5, 1.0], [4.0, -30.0]])


def test_columns_by_position_and_as_a_comma_separated_string(tmp_path):
    path = write(tmp_path, "x,y,label\n1,2,a\n")
    assert read_numeric_csv(path, columns="1,0").columns.tolist() == ["y", "x"]
    assert read_numeric_csv(path, columns=[0, "y"]).columns.tolist() == ["x", "y"]


def test_a_digit_header_name_wins_over_a_position(tmp_path):
    path = write(tmp_path, "a,0\n1,2\n")
    assert read_numeric_csv(path, columns=["0"]).iloc[0, 0] == 2.0


def test_a_word_in_a_number_column_names_column_row_and_line(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n3,abc\n5,6\n")
    with pytest.raises(DataFileError, match=r"column 'y', row 2 \(line 3 of data.csv\): 'abc' is not a number"):
        read_numeric_csv(path)


def test_line_numbers_count_blank_lines(tmp_path):
    path = write(tmp_path, "x,y\n\n1,2\n\n3,oops\n")
    with pytest.raises(DataFileError, match=r"row 2 \(line 5 of") as error:
        read_numeric_csv(path)
    assert (error.value.column, error.value.row, error.value.line) == ("y", 2, 5)


def test_line_numbers_are_where_a_row_starts_when_a_quoted_cell_spans_lines(tmp_path):
    path = write(tmp_path, 'x,note,y\n1,"one\nline more",2\n3,"two\nlines",oops\n')
    with pytest.raises(DataFileError, match=r"column 'y', row 2 \(line 4 of data.csv\)"):
        read_numeric_csv(path, columns="x,y")


def test_a_text_column_without_columns_is_named_and_columns_suggested(tmp_path):
    path = write(tmp_path, "x,label,y\n1,a,2\n3,b,4\n")
    with pytest.raises(DataFileError, match=r"column 'label' .*not numeric.*--columns x,y"):
        read_numeric_csv(path)
    assert read_numeric_csv(path, columns="x,y").shape == (2, 2)


@pytest.mark.parametrize("cell, problem", [("NaN", "missing value"), ("NA", "missing value"),
                                           ("", "empty"), ("inf", "infinite"), ("-Infinity", "infinite")])
def test_missing_and_infinite_values_name_column_and_row(tmp_path, cell, problem):
    path = write(tmp_path, f"x,y\n1,2\n{cell},4\n")
    with pytest.raises(DataFileError, match=rf"column 'x', row 2 \(line 3 of data.csv\): .*{problem}"):
        read_numeric_csv(path)


@pytest.mark.parametrize("text, message", [("", "no data rows: the file is empty"), ("\n\n", "no data rows"),
                                           ("x,y\n", "no data rows: only a header")])
def test_a_file_without_data_rows(tmp_path, text, message):
    with pytest.raises(DataFileError, match=message):
        read_numeric_csv(write(tmp_path, text))


def test_unknown_column_lists_the_columns_there_are(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n")
    with pytest.raises(DataFileError, match=r"no column 'z' in data.csv; its columns are: 'x', 'y'"):
        read_numeric_csv(path, columns=["x", "z"])
    with pytest.raises(DataFileError, match="position 2 is out of range"):
        read_numeric_csv(path, columns="2")


def test_duplicate_header_names(tmp_path):
    path = write(tmp_path, "x,x,y\n1,2,3\n")
    with pytest.raises(DataFileError, match="names two columns 'x'"):
        read_numeric_csv(path)
    with pytest.raises(DataFileError, match="'x' is ambiguous"):
        read_numeric_csv(path, columns="x,y")
    assert read_numeric_csv(path, columns="y").shape == (1, 1)


def test_missing_file_and_ragged_rows(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_numeric_csv(tmp_path / "absent.csv")
    with pytest.raises(DataFileError, match="Expected 2 fields in line 3, saw 3"):
        read_numeric_csv(write(tmp_path, "x,y\n1,2\n3,4,5\n"))


# -- the checks of `bayesforge gmm` before fitting -------------------------------------------------------

@pytest.mark.parametrize("text, options, message", [
    ("x,y,label\n1,2,a\n3,4,b\n", [], "column 'label' of data.csv is not numeric (row 1, line 2: 'a')"),
    ("x,y\n1,2\n3,nan\n", [], "column 'y', row 2 (line 3 of data.csv): 'nan' is a missing value"),
    ("x,y\n1,2\n3,inf\n", [], "column 'y', row 2 (line 3 of data.csv): 'inf' is infinite"),
    ("", [], "has no data rows"),
    ("x,y\n", [], "has no data rows"),
    (GOOD_CSV, ["--k", "5"], "--k 5 needs at least 5 data rows"),
    ("x,y\n1,2\n", ["--k", "auto"], "--k auto needs at least 2 data rows"),
    (GOOD_CSV, ["--columns", "x,z"], "no column 'z' in data.csv; its columns are: 'x', 'y'"),
])
def test_gmm_rejects_bad_data_before_fitting(tmp_path, capsys, monkeypatch, text, options, message):
    monkeypatch.setattr(bayesforge, "bf", _no_fit_allowed)
    path = write(tmp_path, text)
    status, _, err = run_cli(["gmm", path, "--out", tmp_path / "out", *options], capsys)
    assert status == 2
    assert err.startswith("bayesforge gmm: error: ") and message in err
    assert "Traceback" not in err
    assert leftovers(tmp_path) == []  # --out not created, no temporary folder left


@pytest.mark.parametrize("options, message", [(["--k", "0"], "argument --k"), (["--k", "abc"], "argument --k"),
                                              (["--kmax", "0"], "argument --kmax"),
                                              (["--chains", "-1"], "argument --chains")])
def test_gmm_rejects_bad_options(tmp_path, capsys, options, message):
    status, _, err = run_cli(["gmm", write(tmp_path, GOOD_CSV), "--out", tmp_path / "out", *options], capsys)
    assert status == 2 and message in err
    assert leftovers(tmp_path) == []


def test_gmm_leaves_an_existing_out_folder_as_it_was_on_error(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("earlier run")
    status, _, _ = run_cli(["gmm", write(tmp_path, "x,y\n1,abc\n"), "--out", out], capsys)
    assert status == 2
    assert [p.name for p in out.iterdir()] == ["summary.csv"] and (out / "summary.csv").read_text() == "earlier run"
    assert leftovers(tmp_path) == ["out"]


def test_gmm_out_must_not_be_a_file(tmp_path, capsys):
    (tmp_path / "out").write_text("")
    status, _, err = run_cli(["gmm", write(tmp_path, GOOD_CSV), "--out", tmp_path / "out", "--k", "2"], capsys)
    assert status == 2 and "is a file, not a folder" in err


# -- the output files, with a stand-in for m.gmm (no sampling) --------------------------------------------

class StandInSelection:
    def __init__(self, ks, selected_k):
        self.table = pd.DataFrame({"elpd_loo": [-10.0 * k for k in ks], "se_loo": 1.0, "elpd_waic": -1.0,
                                   "se_waic": 1.0, "bic": 1.0}, index=pd.Index(list(ks), name="K"))
        self.selected_k, self.criterion = selected_k, "loo"

    def plot(self, path=None):
        return _tiny_figure(path)


class StandInFit:
    """What m.gmm returns, with memberships from the nearest of K fixed points."""

    def __init__(self, data, K, ks=None, fail_in_plot=False):
        self.K, self.data, self.fail_in_plot = (2 if K == "auto" else K), np.asarray(data), fail_in_plot
        self.selection = StandInSelection(ks, self.K) if K == "auto" else None
        self.diagnostics = {"max_r_hat": 1.2, "min_ess_bulk": 50.0, "divergences": 3, "seconds": 0.5,
                            "chain_method": "parallel"}

    def summary(self, **options):
        return pd.DataFrame({"mean": np.arange(self.K, dtype=float), "r_hat": 1.0},
                            index=[f"weights[{k}]" for k in range(self.K)])

    def predict_proba(self):
        distance = np.abs(self.data[:, :1] - np.arange(self.K)[None] * 4.0)
        weights = np.exp(-distance)
        return weights / weights.sum(axis=1, keepdims=True)

    def plot(self, path=None):
        if self.fail_in_plot:
            raise RuntimeError("plotting failed")
        return _tiny_figure(path)


def _tiny_figure(path):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1))
    if path is not None:
        figure.savefig(path)
    return figure


class StandInWorkspace:
    """What bf() returns, as far as `bayesforge gmm` uses it; records the calls to gmm."""

    def __init__(self, fail_with=None, fail_in_plot=False):
        self.calls, self.fail_with, self.fail_in_plot = [], fail_with, fail_in_plot

        class Devices:
            @staticmethod
            def describe():
                return "platform: stand-in"

        self.devices = Devices()

    def gmm(self, data, K, ks=None, **options):
        self.calls.append({"data": np.asarray(data), "K": K, "ks": ks, **options})
        if self.fail_with is not None:
            raise self.fail_with
        return StandInFit(data, K, ks, self.fail_in_plot)


def _no_fit_allowed(**options):
    raise AssertionError("bf() was called although the data should have been rejected first")


@pytest.fixture
def workspace(monkeypatch):
    """Replace bf() with a stand-in workspace; returns it."""
    created = StandInWorkspace()
    monkeypatch.setattr(bayesforge, "bf", lambda **options: created)
    return created


def test_gmm_writes_summary_memberships_and_figure(tmp_path, capsys, workspace, monkeypatch):
    path = write(tmp_path, "x,label,y\n0,a,1\n4.5,b,2\n0.2,c,3\n4,d,4\n")
    monkeypatch.chdir(tmp_path)
    status, out, _ = run_cli(["gmm", path, "--k", "2", "--columns", "x,y", "--chains", "3", "--warmup", "7",
                              "--samples", "9", "--seed", "5"], capsys)
    assert status == 0
    call = workspace.calls[0]
    np.testing.assert_array_equal(call["data"], [[0, 1], [4.5, 2], [0.2, 3], [4, 4]])
    assert (call["K"], call["num_chains"], call["num_warmup"], call["num_samples"], call["seed"]) == (2, 3, 7, 9, 5)
    folder = tmp_path / "gmm-data"  # the default --out
    assert sorted(p.name for p in folder.iterdir()) == ["gmm.png", "memberships.csv", "summary.csv"]
    memberships = pd.read_csv(folder / "memberships.csv")
    assert memberships.columns.tolist() == ["row", "cluster", "p_0", "p_1", "certainty"]
    assert memberships["row"].tolist() == [1, 2, 3, 4] and memberships["cluster"].tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(memberships[["p_0", "p_1"]].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(memberships["certainty"], memberships[["p_0", "p_1"]].max(axis=1))
    assert pd.read_csv(folder / "summary.csv").columns[0] == "parameter"
    assert "K=2" in out and "max r_hat: 1.200" in out and "divergences: 3" in out
    assert "warning: max r_hat" in out and "warning: 3 divergent" in out
    assert leftovers(tmp_path) == ["gmm-data"]


def test_gmm_auto_clips_kmax_and_writes_the_k_table(tmp_path, capsys, workspace):
    out = tmp_path / "out"
    status, stdout, _ = run_cli(["gmm", write(tmp_path, GOOD_CSV), "--kmax", "10", "--out", out], capsys)
    assert status == 0
    assert workspace.calls[0]["K"] == "auto" and list(workspace.calls[0]["ks"]) == [1, 2, 3, 4]
    assert "note: --kmax 10 is more than the 4 data rows" in stdout and "K=2 chosen by loo" in stdout
    assert pd.read_csv(out / "k_selection.csv")["K"].tolist() == [1, 2, 3, 4]
    assert (out / "k_selection.png").stat().st_size > 0


def test_gmm_replaces_earlier_outputs_and_removes_a_stale_k_table(tmp_path, capsys, workspace):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("summary.csv", "memberships.csv", "gmm.png", "k_selection.csv", "notes.txt"):
        (out / name).write_text("earlier run")
    status, _, _ = run_cli(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", out], capsys)
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["gmm.png", "memberships.csv", "notes.txt", "summary.csv"]
    assert len(pd.read_csv(out / "memberships.csv")) == 4 and (out / "notes.txt").read_text() == "earlier run"


def test_gmm_reports_a_value_error_of_the_fit_and_writes_nothing(tmp_path, capsys, monkeypatch):
    failing = StandInWorkspace(fail_with=ValueError("K=2 is more than the points"))
    monkeypatch.setattr(bayesforge, "bf", lambda **options: failing)
    status, _, err = run_cli(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", tmp_path / "out"], capsys)
    assert status == 2 and "bayesforge gmm: error: cannot fit the mixture: K=2 is more than the points" in err
    assert leftovers(tmp_path) == []


def test_gmm_failing_while_writing_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    failing = StandInWorkspace(fail_in_plot=True)
    monkeypatch.setattr(bayesforge, "bf", lambda **options: failing)
    with pytest.raises(RuntimeError, match="plotting failed"):
        main(["gmm", str(write(tmp_path, GOOD_CSV)), "--k", "2", "--out", str(tmp_path / "out")])
    assert leftovers(tmp_path) == []  # summary.csv and memberships.csv were written, but only to the temporary folder


# -- end to end, in a fresh Python (JAX starts there with the CLI's devices) ---------------------------------

def _blobs_csv(folder: Path) -> Path:
    from sklearn.datasets import make_blobs

    points, labels = make_blobs(n_samples=150, centers=[[-6, 0], [0, 6], [6, 0]], cluster_std=0.8, random_state=1)
    table = pd.DataFrame(points, columns=["x", "y"]).assign(label=np.array(list("abc"))[labels])
    path = folder / "blobs.csv"
    table.to_csv(path, index=False)
    return path


def _run_gmm_command(folder: Path, *options) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update(JAX_PLATFORMS="cpu", MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "bayesforge.cli", "gmm", str(_blobs_csv(folder)), "--columns", "x,y",
               "--chains", "2", "--warmup", "150", "--samples", "150", "--out", str(folder / "out"), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=folder)


def test_gmm_end_to_end_with_a_given_k(tmp_path):
    result = _run_gmm_command(tmp_path, "--k", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "out"
    assert all((out / name).stat().st_size > 0 for name in ("summary.csv", "memberships.csv", "gmm.png"))
    memberships = pd.read_csv(out / "memberships.csv")
    assert memberships.columns.tolist() == ["row", "cluster", "p_0", "p_1", "p_2", "certainty"]
    assert memberships["row"].tolist() == list(range(1, 151))
    np.testing.assert_allclose(memberships[["p_0", "p_1", "p_2"]].sum(axis=1), 1.0, atol=1e-4)
    assert sorted(memberships["cluster"].value_counts()) == [50, 50, 50]
    assert "K=3" in result.stdout and "r_hat" in result.stdout


def test_gmm_end_to_end_choosing_k(tmp_path):
    result = _run_gmm_command(tmp_path, "--k", "auto", "--kmax", "4")
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(tmp_path / "out" / "k_selection.csv")
    assert table["K"].tolist() == [1, 2, 3, 4]
    assert "K=3 chosen by loo" in result.stdout
    assert pd.read_csv(tmp_path / "out" / "memberships.csv").shape == (150, 6)
    assert (tmp_path / "out" / "k_selection.png").stat().st_size > 0
