#!/usr/bin/env bash
# Set up BayesForge with its test dependencies and run the whole test suite on the CPU.
# Extra arguments go to pytest. Exits non-zero when any test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export JAX_PLATFORMS=cpu MPLBACKEND=Agg
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
