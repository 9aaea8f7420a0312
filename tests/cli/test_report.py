"""bayesforge.cli.report: the lines and tables a command prints (plain ASCII)."""
import io

import pandas as pd
import pytest

from bayesforge.cli.console import Console
from bayesforge.cli.report import (ascii_note, count, diagnostics_line, print_table, r_hat_warning,
                                   vi_diagnostics_line)
from bayesforge.defaults import R_HAT_LIMIT

DIAGNOSTICS = {"seconds": 12.345, "chain_method": "parallel", "divergences": 3.0, "max_r_hat": 1.0042,
               "min_ess_bulk": 812.6}


@pytest.mark.parametrize("number, expected", [(0, "0 rows"), (1, "1 row"), (2, "2 rows")])
def test_count_says_the_plural_except_for_one(number, expected):
    assert count(number, "row") == expected


def test_diagnostics_line_names_chains_draws_time_method_divergences_r_hat_and_ess():
    assert diagnostics_line(DIAGNOSTICS, chains=4, warmup=100, samples=150) == (
        "diagnostics: 4 chains x 100+150 draws in 12.3 s (parallel); divergences: 3; max r_hat: 1.004; "
        "min ESS bulk: 813")


def test_vi_line_says_when_the_step_cap_was_reached_and_names_an_unknown_guide_as_is():
    line = vi_diagnostics_line({"guide": "flow", "num_steps": 1, "seconds": 0.04, "converged": False}, 1)
    assert line.startswith("diagnostics: variational inference (flow), 1 step in 0.0 s, NOT converged (the step cap "
                           "was reached); 1 draw from the approximation")


def test_ascii_note_is_plain_ascii():
    note = ascii_note("r̂ ≤ 1.1 – fine → ok")
    assert note == "r_hat <= 1.1 - fine ? ok" and note.isascii()


def test_r_hat_warning_only_above_the_library_limit():
    assert r_hat_warning(3, {"max_r_hat": R_HAT_LIMIT}) is None
    assert r_hat_warning(3, {"max_r_hat": float("nan")}) is None
    warning = r_hat_warning(3, {"max_r_hat": 1.25})
    assert warning.startswith(f"K=3: max r_hat 1.250 > {R_HAT_LIMIT}: the chains disagree")


def test_print_table_prints_every_row_with_4_significant_digits_and_the_index_label():
    out = io.StringIO()
    table = pd.DataFrame({"mean": [1.23456789] * 120}, index=pd.RangeIndex(120))
    print_table(table, Console(prog="bayesforge gmm", out=out), index_label="component")
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("component") and "1.235" in lines[2] and "1.2345" not in lines[2]
    assert len(lines) == 122 and lines[-1].split()[0] == "119"  # no "..." in the middle
