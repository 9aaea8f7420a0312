"""The R package (r/): installed into a temporary library and tested with testthat, driven from pytest.

The R tests run in an ``Rscript`` subprocess (R embedded in this Python through rpy2 crashes when
it calls back into the same Python through reticulate) with ``RETICULATE_PYTHON`` set to this
Python, so they use the same core, JAX and NumPyro as the rest of the suite. Their results come
back as JSON; every failure, error or skip fails the test here: a run where the NumPyro-dependent
tests skipped (reticulate not pointed at a Python with the core) must not pass as green.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

RSCRIPT = shutil.which("Rscript")
R = shutil.which("R")
pytestmark = pytest.mark.skipif(RSCRIPT is None or R is None, reason="Rscript not found")

PACKAGE = ROOT / "r"
# test files that need the Python core, with the tests each must run (not skip)
REQUIRED_TESTS = {
    "test-gmm.R": "the seed GMM fitted from R recovers the clusters (ARI >= 0.9)",
    "test-parity.R": "the seed GMM gives identical draws from R and from Python",
    "test-scenarios.R": "every shared scenario has an R model and passes its checks from R",
    "test-convert.R": "a 10^6-element array round-trips exactly and fast",
    "test-errors.R": "an unknown distribution is an error listing the valid names",
    "test-mixture-models.R": "m$dpmm finds the clusters; its members and methods are the fit's",
    "test-fit-methods.R": "loo() and waic() are the loo package's objects and loo_compare() compares fits",
    "test-input-errors.R": "the mixture methods check their data in R before Python runs",
    "test-persist.R": "a fit saved in Python loads in R with the same memberships, labels counted from 1",
}

RUNNER = r"""
args <- commandArgs(trailingOnly = TRUE)
library_dir <- args[[1]]; tests_dir <- args[[2]]; output <- args[[3]]
.libPaths(c(library_dir, .libPaths()))
for (needed in c("testthat", "jsonlite", "reticulate", "loo", "posterior", "png")) {
  if (!requireNamespace(needed, quietly = TRUE)) {
    stop("R package '", needed, "' is missing: run scripts/setup_r.sh", call. = FALSE)
  }
}
library(testthat)
library(bayesforge, lib.loc = library_dir)
results <- testthat::test_dir(tests_dir, package = "bayesforge", load_package = "installed",
                              reporter = "summary", stop_on_failure = FALSE, stop_on_warning = FALSE)
tests <- lapply(results, function(test) list(
  file = test$file, test = test$test, seconds = unname(test$real),
  expectations = lapply(test$results, function(e) list(
    type = sub("^expectation_", "", class(e)[[1]]), message = conditionMessage(e)))
))
python <- tryCatch(reticulate::py_config()$python, error = function(e) conditionMessage(e))
jsonlite::write_json(list(python = python, reticulate = as.character(utils::packageVersion("reticulate")),
                          testthat = as.character(utils::packageVersion("testthat")), tests = tests),
                     output, auto_unbox = TRUE, null = "null")
"""


@pytest.fixture(scope="module")
def r_results(tmp_path_factory):
    """Install r/ into a temporary library, run its testthat suite, return the parsed JSON."""
    work = tmp_path_factory.mktemp("r")
    library = work / "library"
    library.mkdir()
    # the shared scenarios are the ones bayesforge ships (bayesforge/testing/cases), as for pytest
    env = {key: value for key, value in os.environ.items() if key != "BAYESFORGE_CASES"}
    env.update({"RETICULATE_PYTHON": sys.executable, "MPLBACKEND": "Agg", "R_LIBS_USER": str(library)})
    install = subprocess.run([R, "CMD", "INSTALL", "--no-test-load", f"--library={library}", str(PACKAGE)],
                             capture_output=True, text=True, env=env, timeout=300)
    assert install.returncode == 0, f"R CMD INSTALL r failed:\n{install.stdout}\n{install.stderr}"
    runner = work / "run_tests.R"
    runner.write_text(RUNNER)
    output = work / "results.json"
    run = subprocess.run([RSCRIPT, str(runner), str(library), str(PACKAGE / "tests" / "testthat"), str(output)],
                         capture_output=True, text=True, env=env, cwd=work,
                         timeout=1800)  # a safety net: the R tests take about 4 CPU-minutes, far longer on a shared machine
    log = f"--- Rscript stdout ---\n{run.stdout[-6000:]}\n--- Rscript stderr ---\n{run.stderr[-6000:]}"
    assert run.returncode == 0 and output.exists(), f"the R test run did not finish (exit {run.returncode}):\n{log}"
    results = json.loads(output.read_text())
    results["log"] = log
    return results


def _expectations(results, *types):
    return [(t["file"], t["test"], e["message"]) for t in results["tests"] for e in t["expectations"]
            if e["type"] in types]


def test_r_tests_use_this_python(r_results):
    assert Path(r_results["python"]).resolve() == Path(sys.executable).resolve(), r_results["python"]


def test_r_tests_have_no_failures_or_errors(r_results):
    failed = _expectations(r_results, "failure", "error")
    assert not failed, "R test failures:\n" + "\n".join(f"{f} / {t}: {m}" for f, t, m in failed) + "\n" + r_results["log"]
    assert sum(len(t["expectations"]) for t in r_results["tests"]) >= 100  # the suite really ran


def test_no_r_test_was_skipped(r_results):
    """Every R test needs the Python core; a skip means reticulate did not find it (a hollow green run)."""
    skipped = _expectations(r_results, "skip")
    assert not skipped, "R tests skipped while R is present:\n" + "\n".join(f"{f} / {t}: {m}" for f, t, m in skipped)


def test_the_numpyro_dependent_r_tests_ran(r_results):
    ran = {(t["file"], t["test"]): t["expectations"] for t in r_results["tests"]}
    for file, test in REQUIRED_TESTS.items():
        expectations = ran.get((file, test))
        assert expectations is not None, f"{file}: test {test!r} did not run; ran: {sorted(ran)}"
        types = {e["type"] for e in expectations}
        assert types == {"success"}, f"{file} / {test}: {expectations}"
