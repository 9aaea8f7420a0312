"""Property: whatever CSV file (malformed or not) and reading options `bayesforge gmm` gets, it exits 0 or 2,
prints no traceback (an error is one line), writes nothing outside --out and changes no file that was already
there. In this process, with a stand-in for bf() so that files which do read "fit" at once."""
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayesforge
from cli_support import StandInWorkspace, run_in_process, snapshot

CELLS = st.one_of(
    st.integers(-10 ** 6, 10 ** 6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "NA", "nan", "inf", "-Infinity", "1,5", "2.5e3", "1e400", "abc", "x", "y", "label",
                     '"1"', '"a,b"', '"', "'", "1;2", "3\t4", "\u00e9", "#", "-", "."]),
    st.text(alphabet="0123456789.,;-+eE xyz\"\t", max_size=5),
)
SEPARATORS = st.sampled_from([",", ";", "\t", " "])
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
OPTIONS = st.lists(st.sampled_from([("--no-header",), ("--sep", ";"), ("--sep", "tab"), ("--decimal", ","),
                                    ("--columns", "x"), ("--columns", "0,1"), ("--columns", "x,y"),
                                    ("--k", "auto"), ("--kmax", "3"), ("--k", "1")]), max_size=3, unique=True)


@st.composite
def csv_files(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=60))  # not even text
    sep, end = draw(SEPARATORS), draw(LINE_ENDS)
    rows = draw(st.lists(st.lists(CELLS, max_size=4), max_size=6))
    if draw(st.booleans()):
        rows.insert(0, draw(st.lists(st.sampled_from(["x", "y", "", "1", "label", "x"]), min_size=1, max_size=4)))
    text = end.join(sep.join(row) for row in rows) + draw(st.sampled_from(["", end, end + end]))
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=csv_files(), options=OPTIONS)
def test_any_csv_exits_0_or_2_without_traceback_and_touches_nothing_else(content, options):
    folder = Path(tempfile.mkdtemp())
    try:
        data = folder / "data.csv"
        data.write_bytes(content)
        out = folder / "out"
        out.mkdir()
        (out / "notes.txt").write_text("the user's notes")
        before = snapshot(folder)
        with mock.patch.object(bayesforge, "bf", lambda **kw: StandInWorkspace(r_hat=1.0)):
            status, _, err = run_in_process(["gmm", data, "--out", out, *[a for option in options for a in option]])
        after = snapshot(folder)
        assert status in (0, 2), err
        assert "Traceback" not in err
        if status == 2:
            assert err.strip().splitlines()[-1].startswith("bayesforge gmm: error: ")
            assert after == before
        else:
            written = {"out/summary.csv", "out/memberships.csv", "out/gmm.png", "out/k_selection.csv",
                       "out/k_selection.png"}
            assert {k: v for k, v in after.items() if k not in written} == before  # nothing else new or changed
    finally:
        shutil.rmtree(folder, ignore_errors=True)
