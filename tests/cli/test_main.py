"""bayesforge.cli.main: the parser, and how a run ends (usage error 2, internal error 1, one line each)."""
import pytest

import bayesforge
from bayesforge.cli.main import build_parser
from cli_support import GOOD_CSV, StandInWorkspace, no_fit_allowed, run_in_process, write


def test_the_parser_knows_both_commands_with_the_library_defaults():
    args = build_parser().parse_args(["gmm", "data.csv"])
    assert (args.command, args.chains, args.warmup, args.samples, args.seed) == ("gmm", 4, 1000, 1000, 0)
    assert build_parser().parse_args(["demo"]).command == "demo"


@pytest.mark.parametrize("argv, message", [
    (["fit"], "bayesforge: error: argument {demo,gmm}: invalid choice: 'fit'"),
    (["gmm", "data.csv", "--frobnicate"], "bayesforge gmm: error: unrecognized arguments: --frobnicate"),
    (["demo", "--points", "x"], "bayesforge demo: error: argument --points: expected a whole number, got 'x'"),
])
def test_a_usage_error_is_one_line_naming_the_command_with_exit_2(monkeypatch, argv, message):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    status, out, err = run_in_process(argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(message) and "--help" in err


def test_help_exits_0(capsys):
    status, out, _ = run_in_process(["gmm", "--help"])
    assert status == 0 and "--overwrite" in out


@pytest.mark.parametrize("debug", [False, True])
def test_an_internal_failure_is_one_line_with_the_traceback_only_with_debug(tmp_path, monkeypatch, debug):
    failing = StandInWorkspace(fail_in_plot=True)
    monkeypatch.setattr(bayesforge, "bf", lambda **options: failing)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", out,
                                     *(["--debug"] if debug else [])])
    assert status == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("bayesforge gmm: internal error: RuntimeError: plotting failed")
    assert ("Traceback" in err) is debug and ("--debug" in last) is not debug
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # summary.csv was written, but only to staging
