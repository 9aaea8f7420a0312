"""bayesforge.cli.console: results on stdout; progress, warnings and errors on stderr, one line each."""
import io
import logging
import warnings

import pytest

import bayesforge
from bayesforge.cli.console import Console, one_line
from cli_support import StandInWorkspace, TerminalText, run_in_process, write, GOOD_CSV


def console(quiet=False, terminal=False):
    return Console(prog="bayesforge gmm", out=io.StringIO(), err=TerminalText() if terminal else io.StringIO(),
                   quiet=quiet)


@pytest.mark.parametrize("text, expected", [("a\n\n  b  \nc", "a; b; c"), ("x,\ny", "x, y"), ("", ""),
                                            (ValueError("one"), "one")])
def test_one_line_joins_lines(text, expected):
    assert one_line(text) == expected


def test_results_go_to_stdout_progress_to_stderr_unless_quiet():
    loud, quiet = console(), console(quiet=True)
    for c in (loud, quiet):
        c.say("result")
        c.progress("fitting")
    assert loud.out.getvalue() == quiet.out.getvalue() == "result\n"
    assert loud.err.getvalue() == "fitting\n" and quiet.err.getvalue() == ""


def test_progress_bar_only_on_a_terminal_and_not_quiet():
    assert console(terminal=True).progress_bar
    assert not console().progress_bar and not console(quiet=True, terminal=True).progress_bar


def test_each_distinct_warning_once_and_errors_named_by_the_program():
    c = console(quiet=True)  # warnings and errors are shown even with --quiet
    c.warning("same\nthing")
    c.warning("same; thing")
    c.warning("")
    c.error("bad\ninput")
    assert c.err.getvalue().splitlines() == ["warning: same; thing", "bayesforge gmm: error: bad; input"]


def test_python_and_library_log_warnings_become_lines_and_developer_warnings_are_hidden():
    c = console()
    logger = logging.getLogger("numpyro")
    propagate = logger.propagate
    with c.warnings_as_lines():
        warnings.warn("first\nsecond", RuntimeWarning)
        warnings.warn("for developers", DeprecationWarning)
        warnings.warn("for developers too", FutureWarning)
        logger.warning("from numpyro")
        logger.info("not shown")
    assert c.err.getvalue().splitlines() == ["warning: first; second", "warning: from numpyro"]
    assert logger.propagate == propagate and not any(type(h).__name__ == "_WarningLines" for h in logger.handlers)


def test_warnings_become_one_line_each_without_source_paths(tmp_path, monkeypatch):
    def warn():
        warnings.warn("K=2: 3 of 400 draws after warmup were divergent transitions;\nthe posterior may be biased",
                      RuntimeWarning)
        warnings.warn("an old API", DeprecationWarning)

    monkeypatch.setattr(bayesforge, "bf", lambda **options: StandInWorkspace(during_fit=warn, r_hat=1.0))
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", tmp_path / "out"])
    assert status == 0
    assert err.splitlines() == ["fitting K=2: 4 chains x 1000+1000 draws",
                                "warning: K=2: 3 of 400 draws after warmup were divergent transitions; the posterior "
                                "may be biased"]
