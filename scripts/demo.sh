#!/usr/bin/env bash
# Set up BayesForge and fit the documentation page's Gaussian mixture on built-in data.
# Extra arguments go to `bayesforge demo` (e.g. --chains 2 --out /tmp/gmm.png, --overwrite).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "demo: step 1/2: the virtual environment .venv (the first time: about 70 s to install)" >&2
bash scripts/setup.sh
echo "demo: step 2/2: bayesforge demo $* (JAX compiles the model first; the fit's time is printed at the end)" >&2
exec .venv/bin/bayesforge demo "$@"
