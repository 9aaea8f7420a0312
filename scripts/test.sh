#!/usr/bin/env bash
# Set up BayesForge with its test dependencies (and R from Debian) and run the whole test suite on the CPU.
# Extra arguments go to pytest. Exits non-zero when any test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test: step 1/3: the virtual environment .venv with the test extras (the first time: about 70 s to install)" >&2
bash scripts/setup.sh test
# R, reticulate, testthat, jsonlite from Debian when missing (tests/e2e/test_r.py then runs the R suite)
if [ "${BAYESFORGE_SKIP_R:-0}" = 1 ]; then
    echo "test: step 2/3: R skipped (BAYESFORGE_SKIP_R=1)" >&2
else
    echo "test: step 2/3: R and its packages for the R front end (apt-get the first time, when missing)" >&2
    bash scripts/setup_r.sh
fi
echo "test: step 3/3: the test suite in 2 workers (2026-11-30 on an idle 2-core machine: 7.5 minutes, 9 with set-up;" \
     "the goal is at most 8; the 15 slowest tests are listed at the end)" >&2
export JAX_PLATFORMS=cpu MPLBACKEND=Agg
# Two pytest-xdist workers, whole files each (--dist loadfile keeps a file's module fixtures, so its shared fits, in
# one worker; conftest.SHARED_COMPILATIONS adds groups of files that fit the same programs, run one after the other):
# JAX compiles on one thread, so one worker compiles while the other samples. Both workers and every Python the
# tests start share this run's compilation cache (conftest.py). BAYESFORGE_TEST_WORKERS=0 runs in one
# process; extra arguments (-n 4, a file) come after and win.
exec .venv/bin/python -m pytest -p no:cacheprovider --durations=15 -n "${BAYESFORGE_TEST_WORKERS:-2}" --dist loadfile "$@"
