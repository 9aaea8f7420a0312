"""bayesforge.cli.demo: the documentation page's mixture through m.gmm (a stand-in workspace: no sampling)."""
import bayesforge
from bayesforge.cli.demo import DEMO_K
from cli_support import no_fit_allowed, run_in_process


def test_demo_calls_m_gmm_and_writes_the_figure_into_a_folder_as_cp_does(tmp_path, workspace, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figs").mkdir()
    status, out, err = run_in_process(["demo", "--out", "figs", "--points", "40", "--chains", "2", "--seed", "3"])
    assert status == 0, err
    call = workspace.calls[0]
    assert (call["K"], call["data"].shape, call["num_chains"], call["seed"]) == (8, (40, 2), 2, 3)
    assert "adjusted Rand index vs true labels: " in out and out.strip().endswith("figure: figs/gmm.png")
    assert (tmp_path / "figs" / "gmm.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figs"]  # no figs.png, no lock or staging left


def test_an_existing_figure_is_replaced_only_with_overwrite(tmp_path, workspace, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.png").write_bytes(b"the user's figure")
    status, _, err = run_in_process(["demo", "--out", "mine.png", "--points", "20"])
    assert status == 2 and "--out mine.png already exists: pass --overwrite" in err and workspace.calls == []
    assert (tmp_path / "mine.png").read_bytes() == b"the user's figure"
    status, _, err = run_in_process(["demo", "--out", "mine.png", "--points", "20", "--overwrite"])
    assert status == 0, err
    assert (tmp_path / "mine.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.png"]


def test_fewer_points_than_components_stop_before_any_fit(tmp_path, monkeypatch):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    monkeypatch.chdir(tmp_path)
    status, _, err = run_in_process(["demo", "--points", str(DEMO_K - 1)])
    assert status == 2 and err.strip() == (f"bayesforge demo: error: --points {DEMO_K - 1}: the demo fits {DEMO_K} "
                                           f"components and needs at least {DEMO_K} points")
    assert list(tmp_path.iterdir()) == []
