#!/usr/bin/env bash
# Set up BayesForge with its test dependencies (and R from Debian) and run the whole test suite on the CPU.
# Extra arguments go to pytest. Exits non-zero when any test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# R, reticulate, testthat, jsonlite from Debian when missing (tests/test_r.py then runs the R suite)
[ "${BAYESFORGE_SKIP_R:-0}" = 1 ] || bash scripts/setup_r.sh
export JAX_PLATFORMS=cpu MPLBACKEND=Agg
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
