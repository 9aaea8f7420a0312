"""bayesforge.cli.publish: staging, lock and publication never replace or delete a file the user owns."""
import os
import socket

import pytest

import bayesforge
from bayesforge.cli.errors import CommandError
from bayesforge.cli.interrupts import RunState
from bayesforge.cli.publish import LOCK_SUFFIX, Publication, file_target, folder_target
from cli_support import GOOD_CSV, StandInWorkspace, run_in_process, write

NAMES = ("summary.csv", "gmm.png")


def stage(files, text="new"):
    for name in files.target.names:
        (files.staging / name).write_text(text)


def test_files_appear_only_when_published_and_nothing_is_left_beside_them(tmp_path):
    out = tmp_path / "out"
    with Publication(folder_target(out, NAMES), RunState(), overwrite=False) as files:
        assert (out / LOCK_SUFFIX).read_text().split()[:2] == [str(os.getpid()), socket.gethostname()]
        stage(files)
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == []
        assert files.publish() == [f"{out}/summary.csv", f"{out}/gmm.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)


def test_a_folder_this_run_created_is_removed_when_it_ends_without_results(tmp_path):
    with pytest.raises(RuntimeError, match="gmm.png was not written"):
        with Publication(folder_target(tmp_path / "out", NAMES), RunState(), overwrite=False) as files:
            (files.staging / "summary.csv").write_text("x")
            files.publish()
    assert list(tmp_path.iterdir()) == []


def test_existing_outputs_stop_the_run_unless_overwrite_which_replaces_only_them(tmp_path):
    (tmp_path / "summary.csv").write_text("old")
    (tmp_path / "notes.txt").write_text("mine")
    target = folder_target(tmp_path, NAMES)
    with pytest.raises(CommandError, match=r"already has summary.csv \(from an earlier run\?\): pass --overwrite"):
        Publication(target, RunState(), overwrite=False).__enter__()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "summary.csv"]  # lock released
    with Publication(target, RunState(), overwrite=True) as files:
        stage(files)
        files.publish()
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"notes.txt": "mine", "summary.csv": "new",
                                                                  "gmm.png": "new"}


def test_the_input_file_is_never_an_output_even_with_overwrite(tmp_path):
    data = tmp_path / "summary.csv"
    data.write_text("x\n1\n")
    with pytest.raises(CommandError, match="is the input file"):
        Publication(folder_target(tmp_path, NAMES), RunState(), overwrite=True, inputs=[data]).__enter__()
    assert data.read_text() == "x\n1\n"


def test_a_second_run_stops_at_the_lock_and_never_takes_over_a_dead_runs_lock(tmp_path):
    target = folder_target(tmp_path, NAMES)
    with Publication(target, RunState(), overwrite=False):
        with pytest.raises(CommandError, match=f"in use by another bayesforge run \\(process {os.getpid()}\\)"):
            Publication(target, RunState(), overwrite=False).__enter__()
    (tmp_path / LOCK_SUFFIX).write_text(f"999999999 {socket.gethostname()} token\n")
    with pytest.raises(CommandError, match="was left by bayesforge process 999999999, which is no longer running"):
        Publication(target, RunState(), overwrite=False).__enter__()
    (tmp_path / LOCK_SUFFIX).write_text("")
    with pytest.raises(CommandError, match="is locked by .* remove that file"):
        Publication(target, RunState(), overwrite=False).__enter__()
    assert (tmp_path / LOCK_SUFFIX).read_text() == ""  # another run's lock is never removed


def test_a_signal_cleans_up_staging_and_lock(tmp_path):
    state = RunState()
    files = Publication(folder_target(tmp_path / "out", NAMES), state, overwrite=False).__enter__()
    stage(files)
    assert state.abort(2) == f"interrupted (SIGINT); nothing was written to {tmp_path / 'out'}"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make, out, message", [
    (lambda p: (p / "f").write_text("x"), "f", "--out {shown} is a file, not a folder"),
    (lambda p: None, "missing/sub", "the folder {tmp}/missing does not exist (create it first)"),
    (lambda p: (p / "f").write_text("x"), "f/sub", "{tmp}/f is a file, not a folder"),
])
def test_folder_targets_are_checked_before_any_work(tmp_path, make, out, message):
    make(tmp_path)
    with pytest.raises(CommandError) as error:
        folder_target(tmp_path / out, NAMES)
    assert message.format(shown=tmp_path / out, tmp=tmp_path) in str(error.value)


def test_a_file_target_in_a_folder_is_named_as_cp_does_and_must_have_a_figure_suffix(tmp_path):
    target = file_target(tmp_path, "gmm.png", ["png", "pdf"])
    assert target.names == ("gmm.png",) and target.lock_path == tmp_path / f".gmm.png{LOCK_SUFFIX}"
    with pytest.raises(CommandError, match=r"the file name must end in the figure's format, one of .pdf, .png "
                                           r"\(e.g. gmm.png\)"):
        file_target(tmp_path / "figure.txt", "gmm.png", ["png", "pdf"])


def test_a_file_that_appears_during_the_fit_is_not_replaced(tmp_path, monkeypatch):
    out = tmp_path / "out"
    appearing = StandInWorkspace(during_fit=lambda: (out / "gmm.png").write_text("made by the user meanwhile"))
    monkeypatch.setattr(bayesforge, "bf", lambda **options: appearing)
    status, stdout, stderr = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", out])
    assert status == 2 and "out/gmm.png appeared while this run was working" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["gmm.png"]  # this run's other files were taken back
    assert (out / "gmm.png").read_text() == "made by the user meanwhile"
    assert "wrote" not in stdout
