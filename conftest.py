"""pytest setup for tests/ and the doctests in bayesforge/: CPU only, 4 host devices (so 4 chains run in
parallel), set before JAX starts.

Compilations are cached for the run: JAX's persistent compilation cache in a fresh temporary folder,
made here and removed when the run ends, shared through the environment with the Pythons the tests
start (the CLI, R, two-process runs). The same model on the same shapes is then compiled once per run
instead of once per test (a seed GMM fit and its memberships: 3-4x faster the second time). Nothing is
kept between runs.

With pytest-xdist (scripts/test.sh runs two workers) this file is imported first by the controlling
process, which makes the folder; the workers inherit its environment, so they find the variable set, use
the same folder and leave its removal to the controller. Concurrent use is safe: JAX writes an entry once
(a key already there is never rewritten), and an entry read while another process is still writing it
fails to decompress, which JAX turns into a warning and a fresh compilation (jax._src.compiler._cache_read),
never a wrong executable. The Pythons the tests start have always shared the folder this way.
"""
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["JAX_PLATFORMS"] = "cpu"
#: What every JAX of the run compiles with, here and in the Pythons the tests start (TEST_XLA_FLAGS below): XLA's
#: elemental code generators instead of its fusion emitters. The suite's time is mostly compiling small NUTS
#: programs, and these compile them about 28 % faster (benchmarks/xla_flags.py, idle: 6.7 s of compilation for
#: a 300-point GMM fit instead of 9.3); the code they generate runs up to a third slower (the XLA-generated
#: mixture gradient at 20 000 rows: 2.2 ms instead of 1.7), which is why bf() does not set it for users.
TEST_XLA_FLAGS = "--xla_cpu_use_fusion_emitters=false"
# bf()'s own XLA flags from the start, so a test gives the same numbers whether or not an earlier test in this
# process made a bf() before JAX started (float32 sums differ with and without them: NUTS on 40 000 rows took
# 6.2 or 11.1 leapfrog steps per draw depending on the order of the tests)
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4 --xla_cpu_experimental_ynn_fusion_type=-reduce "
                                   + TEST_XLA_FLAGS)
os.environ.setdefault("MPLBACKEND", "Agg")
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _COMPILATION_CACHE = tempfile.mkdtemp(prefix="bayesforge-tests-jax-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _COMPILATION_CACHE
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
else:  # the caller's cache: used, never removed
    _COMPILATION_CACHE = None

import pytest  # noqa: E402


def pytest_unconfigure(config):
    if _COMPILATION_CACHE is not None:
        shutil.rmtree(_COMPILATION_CACHE, ignore_errors=True)


# -- which test files run in one worker -----------------------------------------------------------------------

#: Test files whose fits compile the same NUTS programs (the same model, data and settings; a comment at each fit
#: names the others). Each group runs in one worker, file after file in this order: the first fit of a program
#: compiles it and the later ones read it from the run's compilation cache. (In two workers at the same time,
#: both would compile it.) The R tests' Python shares the cache: test_r.py fits the shared scenarios (as
#: test_scenarios.py), test_dpmm.py's DPMM and test_gmm.py's K = 8 seed GMM.
SHARED_COMPILATIONS = (
    ("tests/e2e/test_r.py", "tests/e2e/test_scenarios.py", "tests/mixtures/test_dpmm.py", "tests/mixtures/test_gmm.py"),
    ("tests/test_interop.py", "tests/e2e/test_julia.py"),  # the seed GMM on the same blobs, 2 x (50 + 50) draws
)


def pytest_configure(config):
    """A renamed or moved file of SHARED_COMPILATIONS would silently lose its group: say so instead."""
    missing = [file for group in SHARED_COMPILATIONS for file in group if not (ROOT / file).is_file()]
    if missing:
        raise pytest.UsageError(f"conftest.SHARED_COMPILATIONS names files that do not exist: {', '.join(missing)}")


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    """The files of each SHARED_COMPILATIONS group in the group's order (stable: a file's tests keep theirs)."""
    position = {file: index for group in SHARED_COMPILATIONS for index, file in enumerate(group)}
    items.sort(key=lambda item: position.get(_file_of(item.nodeid), len(position)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's ``--dist loadfile`` (whole files to a worker, so a file's module fixtures are made once), with
    each group of SHARED_COMPILATIONS one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    groups = {file: group[0] for group in SHARED_COMPILATIONS for file in group}

    class SharedCompilationScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = _file_of(nodeid)
            return groups.get(file, file)

    return SharedCompilationScheduling(config, log)

ROOT = Path(__file__).resolve().parent


@pytest.fixture
def m():
    """A fresh BayesForge workspace on the CPU."""
    from bayesforge import bf

    return bf(platform="cpu")


def subprocess_env() -> dict:
    """This environment for a Python a test starts, with ``XLA_FLAGS`` only the suite's TEST_XLA_FLAGS: the child's
    ``bf()`` then chooses its host devices and adds its own flags, as for a user."""
    return {**{k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}, "XLA_FLAGS": TEST_XLA_FLAGS}


def run_python(code: str, *, env: dict | None = None, timeout: float = 600):
    """Run ``code`` in a fresh Python (so JAX starts anew) and return the CompletedProcess."""
    import subprocess

    full_env = subprocess_env()
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=ROOT)
