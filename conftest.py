"""pytest setup for tests/ and the doctests in bayesforge/: CPU only, 4 host devices (so 4 chains run in
parallel), set before JAX starts."""
import os
import sys
from pathlib import Path

os.environ["JAX_PLATFORMS"] = "cpu"
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent


@pytest.fixture
def m():
    """A fresh BayesForge workspace on the CPU."""
    from bayesforge import bf

    return bf(platform="cpu")


def run_python(code: str, *, env: dict | None = None, timeout: float = 600):
    """Run ``code`` in a fresh Python (so JAX starts anew) and return the CompletedProcess."""
    import subprocess

    full_env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=ROOT)
