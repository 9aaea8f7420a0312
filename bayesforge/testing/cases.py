"""Where the scenarios are, how one is read, and :class:`Case`: its data, fit settings and checks.

The scenario files ship inside the package (``bayesforge/testing/cases``), so
they are found after a plain ``pip install`` as well as in a checkout; the
``BAYESFORGE_CASES`` environment variable points at another folder instead.

>>> "normal_mean" in list_cases()
True
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .checks import AUTOMATIC_CHECKS, CHECKS, CheckReport, evaluate, label
from .generators import GENERATORS
from .schema import validate

__all__ = ["ENV_VAR", "Case", "cases_dir", "check", "list_cases", "load_case"]

ENV_VAR = "BAYESFORGE_CASES"


def cases_dir() -> str:
    """The folder of scenario files: ``$BAYESFORGE_CASES`` if set, else the scenarios shipped with the package."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        folder = Path(configured).expanduser()
        origin = f"the environment variable {ENV_VAR}"
    else:
        folder = Path(str(resources.files(__package__) / "cases"))
        origin = "the bayesforge.testing package"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no scenario folder at {folder} (from {origin}); set {ENV_VAR} to a folder holding "
            "*.json scenarios, or reinstall bayesforge (its scenarios ship in bayesforge/testing/cases)"
        )
    return str(folder)


def list_cases() -> list[str]:
    """Names of the scenarios in :func:`cases_dir`, sorted."""
    return sorted(path.stem for path in Path(cases_dir()).glob("*.json"))


def load_case(name: str) -> "Case":
    """Read and validate the scenario ``name``; ``ValueError`` lists the scenarios there are."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a scenario name (a string), got {type(name).__name__}")
    folder = Path(cases_dir())
    available = list_cases()
    if name not in available:
        raise ValueError(
            f"no scenario named {name!r} in {folder}; available: {', '.join(available) or '(none)'}"
        )
    path = folder / f"{name}.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON: {error}") from None
    return Case._from_spec(spec, path)


def check(case_name: str, m: Any) -> "CheckReport":
    """``load_case(case_name).check(m)``: the one call R and Julia tests need after fitting."""
    return load_case(case_name).check(m)



@dataclass(frozen=True)
class Case:
    """One scenario. Build it with :func:`load_case`.

    ``name``, ``description`` and ``path`` are the file's; ``model``, ``data`` (the recipe),
    ``fit_spec``, ``truth_spec`` and ``checks`` its sections as written. Use
    :meth:`data_on_model`, :attr:`fit_settings`, :attr:`truth`, :meth:`fit` and :meth:`check`.
    """

    name: str
    description: str
    path: str
    model: Mapping[str, Any] = field(repr=False)
    data: Mapping[str, Any] = field(repr=False)
    fit_spec: Mapping[str, Any] = field(repr=False)
    truth_spec: Mapping[str, Any] = field(repr=False)
    checks: tuple[Mapping[str, Any], ...] = field(repr=False)

    @classmethod
    def _from_spec(cls, spec: Any, path: Path) -> "Case":
        validate(spec, path)
        return cls(name=spec["name"], description=spec["description"], path=str(path), model=spec["model"],
                   data=spec["data"], fit_spec=spec["fit"], truth_spec=spec["truth"], checks=tuple(spec["checks"]))

    # what a model author needs
    @property
    def argument_names(self) -> list[str]:
        """The model's arguments, in order (for ``interop.model(fn, case.argument_names)``)."""
        return [a["name"] for a in self.model["arguments"]]

    @property
    def sites(self) -> list[dict[str, Any]]:
        """The model's sample sites: name, distribution (``m.dist`` name), parameters, shape per draw."""
        return json.loads(json.dumps(self.model["sites"]))

    @property
    def model_description(self) -> str:
        """The model in words, then one statement a line."""
        return "\n".join([self.model["summary"], *self.model["statements"]])

    # data and settings
    def generate(self) -> dict[str, np.ndarray]:
        """Every array the data recipe makes (model data and hidden truths such as ``labels``), fresh."""
        return {k: np.array(v) for k, v in self._generated.items()}

    @cached_property
    def _generated(self) -> dict[str, np.ndarray]:
        generator, _ = GENERATORS[self.data["generator"]]
        return generator(**{k: v for k, v in self.data.items() if k != "generator"})

    @cached_property
    def _arguments(self) -> dict[str, Any]:
        return {a["name"]: self._resolve(a["value"]) for a in self.model["arguments"]}

    def _resolve(self, value: Any, m: Any = None) -> Any:
        if isinstance(value, list):
            return np.asarray(value)
        if isinstance(value, (int, float)):
            return value
        if "data" in value:
            return np.array(self._generated[value["data"]])
        options = dict(value["kmeans"])
        points = np.array(self._generated[options.pop("data")])
        if m is not None:
            return np.array(m.ml.KMEANS(points, **options)["centroids"])
        from ..ml import MachineLearning

        return np.array(MachineLearning().KMEANS(points, **options)["centroids"])

    def data_on_model(self, m: Any = None) -> dict[str, Any]:
        """A fresh ``{argument: value}`` dict for ``m.data_on_model`` (numpy arrays and Python numbers).

        With a workspace ``m``, k-means runs as ``m.ml.KMEANS`` (so ``m.ml.results`` holds it, as in
        the seed example); without one, the same scikit-learn k-means runs on its own.
        """
        if m is not None:
            return {a["name"]: self._resolve(a["value"], m) for a in self.model["arguments"]}
        return {k: np.array(v) if isinstance(v, np.ndarray) else v for k, v in self._arguments.items()}

    @property
    def fit_settings(self) -> dict[str, Any]:
        """Keywords for ``m.fit(model, **settings)`` (``progress_bar`` off unless the case sets it)."""
        return {"progress_bar": False, **self.fit_spec}

    @property
    def truth(self) -> dict[str, Any]:
        """The true values the checks compare with (numbers, or generated arrays such as labels)."""
        return {k: self._resolve(v) for k, v in self.truth_spec.items()}

    # fitting and checking
    def fit(self, m: Any, model: Callable[..., Any]) -> Any:
        """Set ``m.data_on_model`` to the case's data and fit ``model`` with the case's settings; returns ``m``."""
        m.data_on_model = self.data_on_model(m)
        m.fit(model, **self.fit_settings)
        return m

    def check(self, m: Any) -> CheckReport:
        """Evaluate every check against the fitted workspace ``m``.

        Returns the :class:`CheckReport` when all pass; otherwise raises ``AssertionError``
        listing each failed check with its observed value and tolerance.
        """
        for attribute in ("sampler", "posterior"):
            if not hasattr(type(m), attribute) and not hasattr(m, attribute):
                raise TypeError(f"check() needs a fitted BayesForge workspace (bf() after m.fit), "
                                f"got {type(m).__name__} without .{attribute}")
        m.sampler  # noqa: B018 - a RuntimeError saying "call m.fit(model) first" if m is not fitted
        results = [evaluate(c.__name__.replace("_check_", ""), lambda c=c: c(self, m)) for c in AUTOMATIC_CHECKS]
        for spec in self.checks:
            function = CHECKS[spec["check"]][0]
            results.append(evaluate(label(spec), lambda f=function, s=spec: f(self, m, s)))
        report = CheckReport(self.name, tuple(results))
        if not report.passed:
            failures = report.failures
            lines = [f"scenario {self.name!r}: {len(failures)} of {len(results)} checks failed:"]
            lines += [f"  {r}" for r in failures]
            passed = [r.name for r in results if r.passed]
            if passed:
                lines.append(f"  passed: {', '.join(passed)}")
            raise AssertionError("\n".join(lines))
        return report
