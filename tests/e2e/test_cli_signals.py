"""SIGINT and SIGTERM at random moments of `bayesforge gmm` (reading done, JAX starting, compiling, sampling):
exit 130 / 143, one line "interrupted; nothing was written to ...", no traceback, no segfault, and nothing left
beside the data file (no out folder, staging folder or lock). Six runs, two at a time, each interrupted 0-6 s
after its first line of output; the run itself would take minutes (many draws), so it is always interrupted."""
import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cli_support import blobs_csv, command, command_env

#: Fixed, so a failure can be replayed; the moments are spread over a run's phases.
MOMENTS = random.Random(10).sample([i / 10 for i in range(0, 61)], 6)
SIGNALS = [signal.SIGINT, signal.SIGTERM] * 3


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(folder, delay: float, signum: int, quiet: bool) -> dict:
    data = blobs_csv(folder, n=40)
    # 10^7 warmup iterations (not stored): minutes even when the run's compilation cache has the sampler
    # (50 000 + 50 000 on 40 points once finished in under 4 s, before its signal)
    args = ["gmm", data.name, "--columns", "x,y", "--k", "2", "--chains", "2", "--warmup", "10000000", "--samples",
            "1000", "--out", "out", *(["--quiet"] if quiet else [])]
    # SIGINT as a terminal delivers it: a pytest started in the background of a shell ignores SIGINT, and the
    # command (rightly) keeps a signal its parent ignores ignored
    process = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=command_env(PYTHONFAULTHANDLER="1"), cwd=folder, preexec_fn=_default_sigint)
    first_line = process.stdout.readline()  # "data: ..." once the file is read
    time.sleep(delay)
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=120)  # a guard against a hang, not a timing check
    finally:
        process.kill()  # nothing left running if it hung
    return {"rc": process.returncode, "first": first_line, "stdout": stdout, "stderr": stderr,
            "left": sorted(p.name for p in folder.iterdir())}


@pytest.fixture(scope="module")
def interrupted_runs(tmp_path_factory):
    cases = [(tmp_path_factory.mktemp(f"signal{i}"), MOMENTS[i], SIGNALS[i], i % 4 == 0) for i in range(len(MOMENTS))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda case: _interrupt(*case), cases))


def test_interrupts_at_random_moments_exit_cleanly(interrupted_runs):
    for run, signum, moment in zip(interrupted_runs, SIGNALS, MOMENTS):
        name = signal.Signals(signum).name
        context = f"{name} {moment} s after the first line: rc {run['rc']}, stderr {run['stderr'][-2000:]!r}"
        assert run["first"].startswith("data: "), context
        assert run["rc"] == 128 + signum, context
        assert run["stderr"].strip().splitlines()[-1] == \
            f"bayesforge gmm: interrupted ({name}); nothing was written to out", context
        assert "Traceback" not in run["stderr"] and "Fatal Python error" not in run["stderr"], context
        assert run["left"] == ["good.csv"], context  # no out folder, staging folder or lock
