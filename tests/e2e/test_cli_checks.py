"""`bayesforge` stops BEFORE fitting, with exit status 2 and one line on stderr, for every mistake it can see
first: bad options, bad data files (other separators, no header), output paths that cannot be written, files
of an earlier run (without --overwrite), the input as an output, another run holding --out, no GPU.

One case of each kind (FRESH_PYTHON) runs the real command in a fresh Python, where JAX_PLATFORMS=bogus makes any
case that reached bf() fail otherwise, and where the exit status is the process's; those run 4 at a time. The others
call ``bayesforge.cli.main.main`` in this process (a fresh Python costs seconds to start), with bf() replaced by
one that fails the test. All run in one module fixture; each test checks one case, and that nothing in its folder
changed."""
import os
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

import bayesforge
from cli_support import GOOD_CSV, command, command_env, no_fit_allowed, run_command, run_in_process, snapshot, write


def _user_outputs(folder: Path) -> None:
    (folder / "out").mkdir()
    for name in ("summary.csv", "k_selection.csv", "k_selection.png"):
        (folder / "out" / name).write_text("the user's own file")


def _summary_is_the_input(folder: Path) -> None:
    write(folder, GOOD_CSV, "summary.csv")


def _input_linked_into_out(folder: Path) -> None:
    (folder / "out").mkdir()
    os.symlink("../good.csv", folder / "out" / "memberships.csv")


def _folder_at_an_output_name(folder: Path) -> None:
    (folder / "out" / "gmm.png").mkdir(parents=True)


def _a_file(folder: Path) -> None:
    (folder / "a_file").write_text("the user's file")


def _lock(pid: int):
    def setup(folder: Path) -> None:
        (folder / "out").mkdir()
        (folder / "out" / ".bayesforge.lock").write_text(f"{pid} {socket.gethostname()} token\nbayesforge gmm\n")
    return setup


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _figure(name: str):
    def setup(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"the user's figure")
    return setup


def _data(name: str, text: str):
    def setup(folder: Path) -> None:
        write(folder, text, name)
    return setup


def _nothing(folder: Path) -> None:
    pass


DEAD_PID = _dead_pid()
GMM = ["gmm", "good.csv", "--k", "2", "--out", "out"]

#: id, setup of the case's folder (which also holds good.csv), arguments, JAX_PLATFORMS, the message.
CASES = [
    # files of an earlier run, the input, folders in the way
    ("earlier-outputs-auto", _user_outputs, ["gmm", "good.csv", "--k", "auto", "--kmax", "2", "--out", "out"], None,
     "bayesforge gmm: error: --out out already has summary.csv, k_selection.csv and k_selection.png (from an "
     "earlier run?): pass --overwrite to replace them (nothing else in out is touched), or choose another --out"),
    ("earlier-outputs-fixed-k", _user_outputs, GMM, None,
     "--out out already has summary.csv (from an earlier run?): pass --overwrite to replace it"),
    ("input-is-an-output", _summary_is_the_input, ["gmm", "summary.csv", "--k", "2", "--out", "."], None,
     "--out .: summary.csv is the input file summary.csv; choose another --out (an input is never replaced, not "
     "even with --overwrite)"),
    ("input-is-an-output-overwrite", _summary_is_the_input,
     ["gmm", "summary.csv", "--k", "2", "--out", ".", "--overwrite"], None, "summary.csv is the input file"),
    ("input-linked-into-out", _input_linked_into_out, [*GMM, "--overwrite"], None,
     "--out out: out/memberships.csv is the input file good.csv"),
    ("folder-at-an-output-name", _folder_at_an_output_name, [*GMM, "--overwrite"], None,
     "--out out: out/gmm.png is a folder; move it away or choose another --out"),
    ("out-under-a-file", _a_file, ["gmm", "good.csv", "--k", "2", "--out", "a_file/sub"], None,
     "a_file is a file, not a folder"),
    ("out-is-a-file", _a_file, ["gmm", "good.csv", "--k", "2", "--out", "a_file"], None,
     "--out a_file is a file, not a folder"),
    ("out-parent-missing", _nothing, ["gmm", "good.csv", "--k", "2", "--out", "missing/sub"], None,
     "missing does not exist (create it first)"),
    # another run
    ("another-run-holds-out", _lock(os.getpid()), GMM, None,
     f"--out out is in use by another bayesforge run (process {os.getpid()}); wait for it to finish"),
    ("stale-lock", _lock(DEAD_PID), GMM, None,
     f"was left by bayesforge process {DEAD_PID}, which is no longer running (killed?); remove that file"),
    # options
    ("seed-too-large", _nothing, [*GMM, "--seed", "99999999999999999999"], None,
     "argument --seed: expected a whole number from 0 to 4294967295, got 99999999999999999999"),
    ("seed-negative", _nothing, [*GMM, "--seed", "-1"], None, "argument --seed: expected a whole number from 0"),
    ("no-gpu", _nothing, [*GMM, "--platform", "gpu"], "cpu", "bayesforge gmm: error: --platform gpu: "),
    ("k-zero", _nothing, [*GMM, "--k", "0"], None, "argument --k: expected a whole number of at least 1 or 'auto'"),
    ("kmax-zero", _nothing, [*GMM, "--kmax", "0"], None, "argument --kmax: expected at least 1"),
    ("chains-negative", _nothing, [*GMM, "--chains", "-1"], None, "argument --chains: expected at least 1"),
    ("separator-word", _nothing, [*GMM, "--sep", "abc"], None, "argument --sep: expected one character"),
    ("decimal-comma-with-comma-separator", _nothing, [*GMM, "--decimal", ","], None,
     "--decimal ',' is also the separator"),
    ("unknown-option", _nothing, [*GMM, "--frobnicate"], None, "unrecognized arguments: --frobnicate"),
    ("no-data-argument", _nothing, ["gmm"], None, "the following arguments are required: data"),
    ("unknown-command", _nothing, ["fit"], None, "bayesforge: error: argument {demo,gmm}: invalid choice: 'fit'"),
    # data files
    ("no-header-line", _data("nohead.csv", "1,2\n3,4\n5,6\n"), ["gmm", "nohead.csv", "--k", "2"], None,
     "the first line of nohead.csv looks like data, not a header ('1', '2'); if the file has no header line pass "
     "--no-header"),
    ("semicolons", _data("semi.csv", "x;y\n1;2\n3;4\n"), ["gmm", "semi.csv", "--k", "2"], None,
     "semi.csv looks ';'-separated: pass --sep ';'"),
    ("tabs", _data("tabs.csv", "x\ty\n1\t2\n3\t4\n"), ["gmm", "tabs.csv", "--k", "2"], None,
     "tabs.csv looks tab-separated: pass --sep tab"),
    ("decimal-commas", _data("eu.csv", "x;y\n1,5;2\n3;4,5\n"), ["gmm", "eu.csv", "--k", "2"], None,
     "eu.csv looks ';'-separated with decimal commas: pass --sep ';' --decimal ','"),
    ("text-column", _data("labels.csv", "x,y,label\n1,2,a\n3,4,b\n"), ["gmm", "labels.csv", "--k", "2"], None,
     "column 'label' of labels.csv is not numeric: 'a' at row 0 (0-based), line 2"),
    ("nan-cell", _data("nan.csv", "x,y\n1,2\n3,nan\n"), ["gmm", "nan.csv", "--k", "2"], None,
     "column 'y', row 1 (0-based), line 3 of nan.csv: 'nan' is a missing value"),
    ("empty-file", _data("empty.csv", ""), ["gmm", "empty.csv"], None, "has no data rows"),
    ("more-k-than-rows", _nothing, ["gmm", "good.csv", "--k", "5"], None, "--k 5 needs at least 5 data rows"),
    ("unknown-column", _nothing, ["gmm", "good.csv", "--columns", "x,z"], None,
     "no column 'z' in good.csv; its columns are: 'x', 'y'"),
    ("missing-data-file", _nothing, ["gmm", "absent.csv"], None, "cannot read absent.csv: no such file"),
    # demo --out
    ("demo-out-missing-folder", _nothing, ["demo", "--out", "missing/dir/x.png"], None,
     "bayesforge demo: error: --out missing/dir/x.png: the folder"),
    ("demo-out-not-an-image", _nothing, ["demo", "--out", "figure.txt"], None,
     "--out figure.txt: the file name must end in the figure's format"),
    ("demo-out-exists", _figure("figure.png"), ["demo", "--out", "figure.png"], None,
     "--out figure.png already exists: pass --overwrite to replace it"),
    ("demo-out-folder-holding-gmm-png", _figure("figs/gmm.png"), ["demo", "--out", "figs"], None,
     "--out figs/gmm.png already exists"),
    ("demo-too-few-points", _nothing, ["demo", "--points", "3"], None, "--points 3: the demo fits 8 components"),
]


#: The cases run in a fresh Python: one of each kind (an output path, another process's lock, no GPU, the top-level
#: parser, a command's options, a data file, the demo's --out).
FRESH_PYTHON = {"earlier-outputs-auto", "another-run-holds-out", "no-gpu", "unknown-command", "unknown-option",
                "semicolons", "demo-out-exists"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Run every case: {id: (result with returncode, stdout and stderr; folder before; folder after)}.

    The cases of FRESH_PYTHON run in fresh Pythons, 4 at a time, while the others run here one after another (in the
    case's folder, bf() failing). The folders are made first: ``tmp_path_factory`` is not safe to call from threads.
    """
    folders = {case[0]: tmp_path_factory.mktemp(case[0]) for case in CASES}

    def prepare(case):
        name, setup, *_ = case
        write(folders[name], GOOD_CSV, "good.csv")
        setup(folders[name])
        return snapshot(folders[name])

    def run_fresh(case):
        name, _, args, platforms, _ = case
        before = prepare(case)
        result = run_command(args, folders[name], timeout=300, JAX_PLATFORMS=platforms or "bogus")
        return name, (result, before, snapshot(folders[name]))

    def run_here(case, patch):
        name, _, args, _, _ = case
        before = prepare(case)
        patch.chdir(folders[name])
        returncode, stdout, stderr = run_in_process(args)
        return name, (SimpleNamespace(returncode=returncode, stdout=stdout, stderr=stderr), before,
                      snapshot(folders[name]))

    with ThreadPoolExecutor(max_workers=4) as pool, pytest.MonkeyPatch.context() as patch:
        fresh = pool.map(run_fresh, [case for case in CASES if case[0] in FRESH_PYTHON])
        patch.setattr(bayesforge, "bf", no_fit_allowed)
        here = [run_here(case, patch) for case in CASES if case[0] not in FRESH_PYTHON]
        return dict([*fresh, *here])


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_stops_before_fitting_with_one_line(results, case):
    name, _, args, _, message = case
    result, before, after = results[name]
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    prefix = "bayesforge: error: " if args[0] == "fit" else f"bayesforge {args[0]}: error: "
    assert lines[0].startswith(prefix) and message in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert after == before  # nothing created, changed or removed (no out folder, lock or staging folder)


def test_version_and_python_m_bayesforge(tmp_path):
    from bayesforge import __version__

    result = subprocess.run(command("--version"), capture_output=True, text=True, env=command_env(),
                            cwd=tmp_path, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, f"bayesforge {__version__}")
    result = subprocess.run(command("gmm", "--help"), capture_output=True, text=True, env=command_env(),
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0 and "--overwrite" in result.stdout and "--no-header" in result.stdout
