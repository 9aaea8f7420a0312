#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install BayesForge into it (editable).
# Usage: scripts/setup.sh [pip extras, e.g. "test"]. Idempotent and non-interactive.
# The first run downloads and installs JAX, NumPyro, scikit-learn, ArviZ, ... (about 70 s on a good connection).
# Later runs skip pip when nothing it depends on changed: .venv/.bayesforge-setup-<extras> holds a hash of
# pyproject.toml, setup.py, the native kernel's sources, the extras and the Python version of the last successful install (an install with extras
# also serves a run without them).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=${1:-}
stamp_of() { echo ".venv/.bayesforge-setup-${1:-base}"; }
# setup.py and the native kernel's sources too: an editable install compiles the kernel once, so a change to it
# needs pip again.
digest() { { cat pyproject.toml setup.py bayesforge/native/gmm_kernel.cc bayesforge/native/gmm_body.inc; echo "extras=$1"
             .venv/bin/python --version 2>&1; } | sha256sum | cut -d' ' -f1; }

say() { echo "setup: $*" >&2; }

if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c "import ensurepip" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing python3-venv from Debian (apt-get)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    else
        say "$PYTHON cannot create virtual environments; install python3-venv"
        exit 1
    fi
fi
fresh=0
if [ ! -x .venv/bin/python ]; then
    say "creating the virtual environment .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv .venv
    fresh=1
fi

candidates=("$extras")
[ -z "$extras" ] && candidates+=(test)
for candidate in "${candidates[@]}"; do
    stamp=$(stamp_of "$candidate")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(digest "$candidate")" ] \
            && .venv/bin/python -c "import bayesforge" 2>/dev/null; then
        say ".venv is up to date (pyproject.toml unchanged since the last install${candidate:+ with [$candidate]});" \
            "skipping pip"
        exit 0
    fi
done

spec="."
[ -n "$extras" ] && spec=".[$extras]"
if [ "$fresh" = 1 ] || ! .venv/bin/python -c "import bayesforge" 2>/dev/null; then
    say "installing BayesForge ($spec, editable) and its dependencies into .venv: the first time takes about 70 s"
else
    say "pyproject.toml or the extras changed since the last install: updating .venv ($spec)"
fi
started=$SECONDS
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
digest "$extras" > "$(stamp_of "$extras")"
say "done in $((SECONDS - started)) s"
