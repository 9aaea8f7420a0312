"""`bayesforge gmm --method vi`: what it passes to m.gmm, refuses and prints (in this process, with a stand-in for
bf()). The real variational run: tests/e2e/test_cli_gmm.py."""
import pandas as pd
import pytest

import bayesforge
from cli_support import GOOD_CSV, StandInWorkspace, no_fit_allowed, run_in_process, write


@pytest.fixture
def workspace(monkeypatch):
    """Replace bf() with a stand-in workspace; returns it."""
    created = StandInWorkspace()
    monkeypatch.setattr(bayesforge, "bf", lambda **options: created)
    return created


@pytest.mark.parametrize("options, message", [
    (["--warmup", "10"], "--warmup applies to NUTS only (--method nuts); --method vi fits by variational inference: "
                         "leave it out"),
    (["--warmup", "10", "--chains", "2"], "--chains and --warmup apply to NUTS only"),
])
def test_nuts_only_options_are_refused_with_vi_before_anything_runs(tmp_path, monkeypatch, options, message):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    status, out, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--method", "vi", *options,
                                       "--out", tmp_path / "out"])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("bayesforge gmm: error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_help_documents_the_method_and_what_vi_refuses():
    status, out, _ = run_in_process(["gmm", "--help"])
    text = " ".join(out.split())
    assert status == 0 and "--method {nuts,vi}" in text
    assert "--chains and --warmup are NUTS settings and are an error with --method vi" in text


def test_vi_fit_gets_no_sampler_settings_and_prints_the_note_and_its_steps(tmp_path, workspace):
    status, out, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--method", "vi", "--seed", "4",
                                       "--out", tmp_path / "out"])
    assert status == 0, err
    call = workspace.calls[0]
    assert call["method"] == "vi" and call["seed"] == 4 and call["K"] == 2
    assert not {"num_warmup", "num_chains", "num_samples"} & set(call)  # the library's VI defaults
    assert "note: variational fit: the approximation understates the uncertainty; r_hat and ESS empty" in out
    assert ("diagnostics: variational inference (mean-field Gaussian), 600 steps in 0.5 s, converged; 1000 draws "
            "from the approximation") in out
    assert "r_hat:" not in out and "warning" not in err  # no r_hat line or warning from the NaN r_hat
    assert err.splitlines() == ["fitting K=2: variational inference (minibatch VI from the k-means start)"]
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--method", "vi", "--samples",
                                     "300", "--out", tmp_path / "out2"])
    assert status == 0, err
    assert workspace.calls[1]["num_samples"] == 300  # --samples: draws from the approximation


def test_vi_auto_chooses_by_bic_and_reports_steps_per_k(tmp_path, workspace):
    status, out, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--method", "vi", "--out", tmp_path / "out"])
    assert status == 0, err
    assert workspace.calls[0]["criterion"] == "bic" and workspace.calls[0]["method"] == "vi"
    progress = [line for line in err.splitlines() if line.startswith("K=")]
    assert progress == [f"K={k} ({k}/4): 0 s, VI 600 steps, converged, BIC 12.5" for k in range(1, 5)]
    header = next(line for line in out.splitlines() if "status" in line)
    assert "max_r_hat" not in header and "divergences" not in header
    assert pd.read_csv(tmp_path / "out" / "k_selection.csv")["K"].tolist() == [1, 2, 3, 4]
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--method", "vi", "--criterion", "loo",
                                     "--quiet", "--out", tmp_path / "loo"])
    assert status == 0 and workspace.calls[-1]["criterion"] == "loo"
    assert err.startswith("warning: --criterion loo with --method vi: ")


def test_nuts_stays_the_default_and_keeps_loo(tmp_path, workspace):
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--out", tmp_path / "out", "--quiet"])
    assert status == 0, err
    call = workspace.calls[0]
    assert "method" not in call and call["criterion"] == "loo" and call["num_chains"] == 4


def test_vi_refuses_several_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--method", "vi", "--k", "2", "--coordinator",
                                     "localhost:1234", "--num-processes", "2", "--process-id", "0"])
    assert status == 2 and "--method vi runs in one process" in err and err.count("\n") == 1
