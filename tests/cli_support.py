"""Helpers of the CLI tests: running `bayesforge` in this process or in a fresh Python, a stand-in for bf() that
"fits" at once, and snapshots of folders (to see that nothing the user owns changed)."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[1]
GOOD_CSV = "x,y\n1,2\n3,4\n5,6\n7,8\n"


def write(folder: Path, text: str, name: str = "data.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


class TerminalText(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run_in_process(args, terminal: bool = False) -> tuple[int, str, str]:
    """``main(args)`` in this process: (exit status, stdout, stderr); ``terminal``: stderr says it is a terminal."""
    from bayesforge.cli import main

    out, err = io.StringIO(), (TerminalText() if terminal else io.StringIO())
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


def command_env(**extra: str) -> dict:
    """The environment of a `bayesforge` subprocess: this checkout, CPU, no forced device count (the suite's
    TEST_XLA_FLAGS only)."""
    env = {k: v for k, v in subprocess_env().items() if k != "PYTHONFAULTHANDLER"}
    env.update({"JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT), **extra})
    return env


def command(*args) -> list[str]:
    return [sys.executable, "-m", "bayesforge", *[str(a) for a in args]]


def run_command(args, cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    """``python -m bayesforge ARGS`` in a fresh Python (JAX starts there with the CLI's devices)."""
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=timeout, env=command_env(**env),
                          cwd=cwd)


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: kind, content (files) and modification time, by relative path."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        if path.is_symlink():
            entries[str(path.relative_to(folder))] = ("link", os.readlink(path), stat.st_mtime_ns)
        elif path.is_dir():
            entries[str(path.relative_to(folder))] = ("dir", None, None)
        else:
            entries[str(path.relative_to(folder))] = ("file", path.read_bytes(), stat.st_mtime_ns)
    return entries


def blobs_csv(folder: Path, n: int = 120, name: str = "good.csv") -> Path:
    """Two well separated 2-D blobs with a label column."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], n // 2)
    points = rng.normal(0.0, 0.7, size=(n, 2)) + np.where(labels[:, None] == 0, -5.0, 5.0) * [1.0, 0.0]
    path = folder / name
    pd.DataFrame(points, columns=["x", "y"]).assign(label=np.array(list("ab"))[labels]).to_csv(path, index=False)
    return path


# -- a stand-in for bf(): what `bayesforge gmm` uses of the workspace and of MixtureFit, no sampling ------------

class StandInSelection:
    def __init__(self, ks, selected_k):
        self.table = pd.DataFrame({"elpd_loo": [-10.0 * k for k in ks], "se_loo": 1.0, "elpd_waic": -1.0,
                                   "se_waic": 1.0, "bic": 1.0, "status": "converged"},
                                  index=pd.Index(list(ks), name="K"))
        self.selected_k, self.criterion = selected_k, "loo"

    def plot(self, path=None):
        return tiny_figure(path)


class StandInLoo:
    def __init__(self, k):
        self.elpd_loo, self.elpd_waic, self.se = -10.0 * k, -10.0 * k, 1.5


class StandInFit:
    """What m.gmm returns, with memberships from the nearest of K fixed points."""

    def __init__(self, data, K, ks=None, fail_in_plot=False, r_hat=1.2, method="nuts"):
        self.K, self.data, self.fail_in_plot = (min(2, len(data)) if K == "auto" else K), np.asarray(data), fail_in_plot
        self.selection = StandInSelection(ks, self.K) if K == "auto" else None
        self.diagnostics = {"max_r_hat": r_hat, "min_ess_bulk": 50.0, "divergences": 3, "seconds": 0.5,
                            "chain_method": "parallel"}
        self.method = method
        if method == "vi":  # the keys of MixtureFit.diagnostics for a variational fit
            self.diagnostics = {"method": "vi", "guide": "normal", "converged": True, "num_steps": 600,
                                "max_r_hat": float("nan"), "min_ess_bulk": float("nan"), "divergences": 0,
                                "seconds": 0.5, "chain_method": None, "num_chains": 1}
            self.posterior = SimpleNamespace(variational=SimpleNamespace(num_draws=1000))

    def summary(self, **options):
        table = pd.DataFrame({"mean": np.arange(self.K, dtype=float), "r_hat": 1.0 if self.method == "nuts" else np.nan},
                             index=[f"weights[{k}]" for k in range(self.K)])
        if self.method == "vi":
            table.attrs["note"] = "variational fit: the approximation understates the uncertainty; r̂ and ESS empty"
        return table

    def predict_proba(self):
        distance = np.abs(self.data[:, :1] - np.arange(self.K)[None] * 4.0)
        weights = np.exp(-distance)
        return weights / weights.sum(axis=1, keepdims=True)

    def predict(self):
        return self.predict_proba().argmax(axis=1)

    def loo(self):
        return StandInLoo(self.K)

    waic = loo

    def bic(self):
        return 12.5

    def plot(self, path=None):
        if self.fail_in_plot:
            raise RuntimeError("plotting failed")
        return tiny_figure(path)

    def save(self, path, overwrite=False):
        Path(path).write_bytes(b"stand-in fit")
        return Path(path)


def tiny_figure(path):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1))
    if path is not None:
        figure.savefig(path)
    return figure


class StandInWorkspace:
    """What bf() returns, as far as the CLI uses it; records the calls to gmm; ``during_fit`` runs inside gmm."""

    def __init__(self, fail_with=None, fail_in_plot=False, during_fit=None, r_hat=1.2):
        self.calls, self.fail_with, self.fail_in_plot = [], fail_with, fail_in_plot
        self.during_fit, self.r_hat = during_fit, r_hat

        class Devices:
            @staticmethod
            def describe():
                return "platform: stand-in"

        self.devices = Devices()

    def gmm(self, data, K, ks=None, on_fit=None, **options):
        self.calls.append({"data": data, "K": K, "ks": ks, "on_fit": on_fit, **options})
        if self.during_fit is not None:
            self.during_fit()
        if self.fail_with is not None:
            raise self.fail_with
        method = options.get("method", "nuts")
        if on_fit is not None:
            for index, k in enumerate(ks if K == "auto" else [K], start=1):
                on_fit(k, StandInFit(data, k, r_hat=self.r_hat, method=method), index, len(ks) if K == "auto" else 1)
        return StandInFit(data, K, ks, self.fail_in_plot, self.r_hat, method)


def no_fit_allowed(**options):
    raise AssertionError("bf() was called although the command should have stopped before fitting")
