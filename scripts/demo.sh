#!/usr/bin/env bash
# Set up BayesForge and fit the documentation page's Gaussian mixture on built-in data.
# Extra arguments go to `bayesforge demo` (e.g. --chains 2 --out /tmp/gmm.png).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/bayesforge demo "$@"
