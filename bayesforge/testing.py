"""Shared test scenarios: the same data, fit settings and checks for Python, R and Julia.

A scenario is a JSON file in :func:`cases_dir` (``tests/cases`` in the
repository, or the folder named by the ``BAYESFORGE_CASES`` environment
variable). It describes a model in words and by its sample sites, so each
language can write the model in its own syntax, and it fixes everything else:
a data recipe (generated here, in Python, so every language gets bit-identical
data), the settings for ``m.fit`` and the checks with their tolerances.
:meth:`Case.check` evaluates every check against a fitted workspace and raises
``AssertionError`` listing each failed one, observed value against tolerance.

>>> from bayesforge import bf, testing
>>> case = testing.load_case("normal_mean")
>>> m = bf(platform="cpu")
>>> def model(y):
...     mu = m.dist.normal(0.0, 10.0, name="mu")
...     sigma = m.dist.half_normal(5.0, name="sigma")
...     with m.dist.plate("n", y.shape[0]):
...         m.dist.normal(mu, sigma, name="y", obs=y)
>>> m.data_on_model = case.data_on_model()
>>> m = m.fit(model, **case.fit_settings)
>>> report = case.check(m)          # AssertionError listing the failed checks, if any
>>> report.passed, report.to_dict()["case"]
(True, 'normal_mean')

From R (reticulate) or Julia (PythonCall) the calls are the same::

    tb <- reticulate::import("bayesforge.testing")
    case <- tb$load_case("normal_mean")
    case$fit(m, model)                   # data_on_model + m.fit with the case's settings
    print(case$check(m))                 # or tb$check("normal_mean", m)

Scenario file fields (all required): ``name`` (the file's stem),
``description``, ``model`` (``summary``, ``statements``, ``arguments`` and
``sites``), ``data`` (``generator`` and its parameters, see
:data:`GENERATORS`), ``fit`` (``num_warmup``, ``num_samples``,
``num_chains``, ``seed``), ``truth`` and ``checks`` (see :data:`CHECKS`).
A value in ``arguments`` or ``truth`` is a JSON number or list, ``{"data":
"<generated array>"}`` or ``{"kmeans": {"data": ..., "n_clusters": ...,
"random_state": ...}}`` (the centroids, as ``m.ml.KMEANS`` computes them).

Besides the file's checks, every case checks that the fit used the case's
``fit`` settings (``fit_settings``), that the posterior has every latent site
of the model with its shape (``sites``) and that the model was given the
case's data (``data``).
"""
from __future__ import annotations

import inspect
import json
import math
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

__all__ = [
    "CHECKS",
    "GENERATORS",
    "Case",
    "CheckReport",
    "CheckResult",
    "cases_dir",
    "check",
    "list_cases",
    "load_case",
]

ENV_VAR = "BAYESFORGE_CASES"
_REQUIRED_FIELDS = ("name", "description", "model", "data", "fit", "truth", "checks")
_REQUIRED_MODEL_FIELDS = ("summary", "statements", "arguments", "sites")
_REQUIRED_FIT_FIELDS = ("num_warmup", "num_samples", "num_chains", "seed")
# m.fit settings that the finished NumPyro MCMC records, so the check can compare them.
_RECORDED_FIT_SETTINGS = ("num_warmup", "num_samples", "num_chains", "thinning")


# -- where the scenarios are --------------------------------------------------------------------
def cases_dir() -> str:
    """The folder of scenario files: ``$BAYESFORGE_CASES`` if set, else ``<repo>/tests/cases``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        folder = Path(configured).expanduser()
        origin = f"the environment variable {ENV_VAR}"
    else:
        folder = Path(__file__).resolve().parents[1] / "tests" / "cases"
        origin = "the repository next to the bayesforge package"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no scenario folder at {folder} (from {origin}); set {ENV_VAR} to the folder holding the "
            "*.json scenarios (tests/cases in the BayesForge repository)"
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


# -- data generators ----------------------------------------------------------------------------
def _generate_normal(*, n: int, loc: float, scale: float, seed: int) -> dict[str, np.ndarray]:
    """``y``: ``n`` draws from Normal(loc, scale) (NumPy's ``default_rng(seed)``)."""
    rng = np.random.default_rng(seed)
    return {"y": rng.normal(loc, scale, size=n)}


def _generate_linear(*, n: int, alpha: float, beta: float, sigma: float, seed: int,
                     x_loc: float = 0.0, x_scale: float = 1.0) -> dict[str, np.ndarray]:
    """``x`` ~ Normal(x_loc, x_scale), then ``y = alpha + beta * x + Normal(0, sigma)``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(x_loc, x_scale, size=n)
    y = alpha + beta * x + rng.normal(0.0, sigma, size=n)
    return {"x": x, "y": y}


def _generate_make_blobs(*, n_samples: int, centers: int, cluster_std: float, center_box: list,
                         random_state: int, n_features: int = 2) -> dict[str, np.ndarray]:
    """``X`` and ``labels`` from scikit-learn's ``make_blobs`` (the seed example's call)."""
    from sklearn.datasets import make_blobs

    X, labels = make_blobs(n_samples=n_samples, centers=centers, cluster_std=cluster_std,
                           center_box=tuple(center_box), n_features=n_features, random_state=random_state)
    return {"X": X, "labels": labels}


#: generator name -> (function of the recipe's parameters, names of the arrays it returns)
GENERATORS: dict[str, tuple[Callable[..., dict[str, np.ndarray]], tuple[str, ...]]] = {
    "normal": (_generate_normal, ("y",)),
    "linear": (_generate_linear, ("x", "y")),
    "make_blobs": (_generate_make_blobs, ("X", "labels")),
}


# -- check results ------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers, so R and Julia receive plain values."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, whether it passed, what was observed and what was required."""

    name: str
    passed: bool
    observed: Any
    required: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "observed": _plain(self.observed),
                "required": self.required, "detail": self.detail}

    def __str__(self) -> str:
        status = "ok    " if self.passed else "FAILED"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{status} {self.name}: observed {_show(self.observed)}, required {self.required}{detail}"


@dataclass(frozen=True)
class CheckReport:
    """Every check of one scenario against one fit."""

    case: str
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        """``{"case", "passed", "checks": [{"name", "passed", "observed", "required", "detail"}]}``."""
        return {"case": self.case, "passed": self.passed, "checks": [r.to_dict() for r in self.results]}

    def __str__(self) -> str:
        failed = len(self.failures)
        head = f"scenario {self.case!r}: " + (
            f"all {len(self.results)} checks passed" if not failed
            else f"{failed} of {len(self.results)} checks failed")
        return "\n".join([head] + [f"  {r}" for r in self.results])


# -- the checks ---------------------------------------------------------------------------------
def _grouped_draws(sampler: Any, site: str) -> np.ndarray:
    """chains × draws × ... for ``site``; LookupError names the sites there are."""
    samples = sampler.get_samples(group_by_chain=True)
    if site not in samples:
        raise LookupError(f"the posterior has no site {site!r}; it has {', '.join(sorted(samples)) or 'none'}")
    return np.asarray(samples[site], dtype=float)


def _element(site: str, shape: tuple[int, ...], flat_index: int) -> str:
    """``mu[3, 1]`` (ArviZ's naming) for the flat index of an element of ``site``; ``mu`` for a scalar."""
    if not shape:
        return site
    return f"{site}[{', '.join(str(int(i)) for i in np.unravel_index(flat_index, shape))}]"


def _arviz_statistic(sampler: Any, sites: list[str], statistic: str) -> tuple[float, str]:
    """Worst r̂ (largest) or bulk ESS (smallest) over every element of ``sites``, and where it is."""
    from .posterior import arviz

    az = arviz()
    worst, where = None, ""
    for site in sites:
        draws = _grouped_draws(sampler, site)
        dataset = az.convert_to_dataset({site: draws})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if statistic == "r_hat":
                values = np.asarray(az.rhat(dataset)[site].values, dtype=float).reshape(-1)
            else:
                values = np.asarray(az.ess(dataset, method="bulk")[site].values, dtype=float).reshape(-1)
        if np.isnan(values).any():  # a constant or broken site: NaN fails the check
            return math.nan, f"{_element(site, draws.shape[2:], int(np.flatnonzero(np.isnan(values))[0]))} is NaN"
        index = int(values.argmax() if statistic == "r_hat" else values.argmin())
        value = float(values[index])
        if worst is None or (value > worst if statistic == "r_hat" else value < worst):
            worst, where = value, _element(site, draws.shape[2:], index)
    return worst, where


def _label(spec: Mapping[str, Any]) -> str:
    """A check's name in reports: ``posterior_mean(mu)``, ``max_r_hat(mu, sigma)``, ``ari``."""
    if "site" in spec:
        return f"{spec['check']}({spec['site']})"
    if "sites" in spec:
        return f"{spec['check']}({', '.join(spec['sites'])})"
    return spec["check"]


def _check_posterior_mean(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    site = spec["site"]
    target = np.asarray(spec["target"] if "target" in spec else case.truth[site], dtype=float)
    tolerance = float(spec["abs_tol"])
    name = _label(spec)
    required = f"{_show(float(target)) if target.ndim == 0 else target.tolist()} ± {_show(tolerance)}"
    draws = _grouped_draws(m.sampler, site)
    mean = draws.reshape((-1,) + draws.shape[2:]).mean(axis=0)
    error = float(np.max(np.abs(mean - target)))
    observed = float(mean) if mean.ndim == 0 else mean.tolist()
    return CheckResult(name, bool(error <= tolerance), observed, required, f"|error| {_show(error)}")


def _check_max_r_hat(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    sites = list(spec["sites"])
    limit = float(spec["max"])
    worst, where = _arviz_statistic(m.sampler, sites, "r_hat")
    return CheckResult(_label(spec), bool(worst <= limit), worst, f"<= {_show(limit)}", where)


def _check_min_ess_bulk(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    sites = list(spec["sites"])
    limit = float(spec["min"])
    worst, where = _arviz_statistic(m.sampler, sites, "ess_bulk")
    return CheckResult(_label(spec), bool(worst >= limit), worst, f">= {_show(limit)}", where)


def _check_max_divergences(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    limit = int(spec["max"])
    extra = m.sampler.get_extra_fields()
    if "diverging" not in extra:
        raise LookupError("the sampler did not record divergences (fit with m.fit, which records them)")
    count = int(np.asarray(extra["diverging"]).sum())
    return CheckResult(_label(spec), count <= limit, count, f"<= {limit}")


def _check_ari(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    """Adjusted Rand index of the posterior-mean memberships against the true labels."""
    from sklearn.metrics import adjusted_rand_score

    from .mixture import gaussian_mixture_draws, membership_probabilities

    limit = float(spec["min"])
    labels = np.asarray(case.truth[spec["labels"]])
    points = case.data_on_model()[spec["points"]]
    posterior = m.posterior
    draws = gaussian_mixture_draws(posterior.model, posterior.model_kwargs, m.sampler.get_samples(),
                                   max_draws=int(spec.get("max_draws", 400)))
    memberships = membership_probabilities(draws, points).argmax(axis=1)
    ari = float(adjusted_rand_score(labels, memberships))
    return CheckResult(_label(spec), bool(ari >= limit), ari, f">= {_show(limit)}",
                       f"posterior-mean membership of {spec['points']!r} vs truth {spec['labels']!r}")


#: check name -> (function, required fields, optional fields)
CHECKS: dict[str, tuple[Callable[..., CheckResult], tuple[str, ...], tuple[str, ...]]] = {
    "posterior_mean": (_check_posterior_mean, ("site", "abs_tol"), ("target",)),
    "max_r_hat": (_check_max_r_hat, ("sites", "max"), ()),
    "min_ess_bulk": (_check_min_ess_bulk, ("sites", "min"), ()),
    "max_divergences": (_check_max_divergences, ("max",), ()),
    "ari": (_check_ari, ("labels", "points", "min"), ("max_draws",)),
}


def _check_fit_settings(case: "Case", m: Any) -> CheckResult:
    sampler = m.sampler
    expected = {k: v for k, v in case.fit_settings.items() if k in _RECORDED_FIT_SETTINGS}
    observed = {k: getattr(sampler, k) for k in expected}
    wrong = [f"{k}={observed[k]!r} (case: {expected[k]!r})" for k in expected if observed[k] != expected[k]]
    return CheckResult("fit_settings", not wrong, "; ".join(f"{k}={v!r}" for k, v in observed.items()),
                       ", ".join(f"{k}={v!r}" for k, v in expected.items()),
                       "wrong: " + "; ".join(wrong) if wrong else "")


def _check_sites(case: "Case", m: Any) -> CheckResult:
    samples = m.sampler.get_samples(group_by_chain=True)
    expected = {s["name"]: tuple(s["shape"]) for s in case.sites if "observed" not in s}
    observed = {k: tuple(np.shape(v)[2:]) for k, v in samples.items()}
    problems = [f"missing {k!r}" for k in expected if k not in observed]
    problems += [f"{k!r} has shape {observed[k]}, expected {expected[k]}"
                 for k in expected if k in observed and observed[k] != expected[k]]
    return CheckResult("sites", not problems, ", ".join(f"{k}{list(v)}" for k, v in observed.items()),
                       ", ".join(f"{k}{list(v)}" for k, v in expected.items()), "; ".join(problems))


def _same_values(given: Any, expected: Any) -> bool:
    if isinstance(expected, np.ndarray):
        try:
            array = np.asarray(given)
        except Exception:  # e.g. a tracer or an object numpy cannot read
            return False
        if array.shape != expected.shape:
            return False
        return bool(np.array_equal(array, expected.astype(array.dtype)))
    try:
        return bool(float(given) == float(expected))
    except (TypeError, ValueError):
        return False


def _check_data(case: "Case", m: Any) -> CheckResult:
    given = m.posterior.model_kwargs
    expected = case.data_on_model()
    problems = [f"{k!r} missing" for k in expected if k not in given]
    problems += [f"{k!r} differs from the case's data" for k in expected
                 if k in given and not _same_values(given[k], expected[k])]
    return CheckResult("data", not problems, "model arguments " + ", ".join(sorted(given)),
                       "the case's data for " + ", ".join(expected), "; ".join(problems))


_AUTOMATIC_CHECKS = (_check_fit_settings, _check_sites, _check_data)


def _evaluate(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; an error inside it fails that check instead of hiding the others."""
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - reported as a failed check, with its message
        return CheckResult(name, False, "error", "no error", f"{type(error).__name__}: {error}")


# -- validation of scenario files ---------------------------------------------------------------
def _require(mapping: Any, fields: tuple[str, ...], where: str) -> None:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where} must be a JSON object, got {type(mapping).__name__}")
    missing = [f for f in fields if f not in mapping]
    if missing:
        raise ValueError(f"{where}: missing field{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(repr(f) for f in missing)}")


def _validate_value(value: Any, outputs: tuple[str, ...], where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise ValueError(f"{where}: a value must be a number, a list, {{'data': name}} or {{'kmeans': {{...}}}}, "
                         f"got {value!r}")
    if isinstance(value, (int, float, list)):
        return
    if isinstance(value, Mapping) and len(value) == 1 and "data" in value:
        if value["data"] not in outputs:
            raise ValueError(f"{where}: {{'data': {value['data']!r}}} is not generated; the generator gives "
                             f"{', '.join(outputs)}")
        return
    if isinstance(value, Mapping) and len(value) == 1 and "kmeans" in value:
        _require(value["kmeans"], ("data", "n_clusters", "random_state"), f"{where}.kmeans")
        _validate_value({"data": value["kmeans"]["data"]}, outputs, f"{where}.kmeans")
        return
    raise ValueError(f"{where}: a value must be a number, a list, {{'data': name}} or {{'kmeans': {{...}}}}, "
                     f"got {value!r}")


def _validate(spec: Any, path: Path) -> None:
    where = path.name
    _require(spec, _REQUIRED_FIELDS, where)
    if spec["name"] != path.stem:
        raise ValueError(f"{where}: field 'name' is {spec['name']!r} but must be the file's name {path.stem!r}")
    if not isinstance(spec["description"], str) or not spec["description"].strip():
        raise ValueError(f"{where}: field 'description' must be a non-empty string")

    data = spec["data"]
    _require(data, ("generator",), f"{where}: data")
    if data["generator"] not in GENERATORS:
        raise ValueError(f"{where}: data.generator {data['generator']!r} is unknown; known: {', '.join(GENERATORS)}")
    generator, outputs = GENERATORS[data["generator"]]
    params = {k: v for k, v in data.items() if k != "generator"}
    signature = inspect.signature(generator)
    unknown = [k for k in params if k not in signature.parameters]
    missing = [k for k, p in signature.parameters.items() if p.default is p.empty and k not in params]
    if unknown or missing:
        raise ValueError(f"{where}: data for generator {data['generator']!r}: "
                         + "; ".join(([f"missing field(s) {', '.join(map(repr, missing))}"] if missing else [])
                                     + ([f"unknown field(s) {', '.join(map(repr, unknown))}"] if unknown else []))
                         + f"; it takes {', '.join(signature.parameters)}")

    model = spec["model"]
    _require(model, _REQUIRED_MODEL_FIELDS, f"{where}: model")
    arguments = model["arguments"]
    if not isinstance(arguments, list) or not arguments:
        raise ValueError(f"{where}: model.arguments must be a non-empty list of {{'name', 'value'}} objects")
    names = []
    for i, argument in enumerate(arguments):
        _require(argument, ("name", "value"), f"{where}: model.arguments[{i}]")
        _validate_value(argument["value"], outputs, f"{where}: model.arguments[{i}] ({argument['name']})")
        names.append(argument["name"])
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: model.arguments has duplicated names {names}")
    sites = model["sites"]
    if not isinstance(sites, list) or not sites:
        raise ValueError(f"{where}: model.sites must be a non-empty list of site objects")
    for i, site in enumerate(sites):
        _require(site, ("name", "distribution"), f"{where}: model.sites[{i}]")
        if "observed" in site:
            if site["observed"] not in names:
                raise ValueError(f"{where}: model.sites[{i}] ({site['name']}) is observed as {site['observed']!r}, "
                                 f"which is not one of the arguments {names}")
        else:
            _require(site, ("shape",), f"{where}: model.sites[{i}] ({site['name']}, latent)")
    latent = [s["name"] for s in sites if "observed" not in s]

    fit = spec["fit"]
    _require(fit, _REQUIRED_FIT_FIELDS, f"{where}: fit")
    from .interop import as_int

    for key in _REQUIRED_FIT_FIELDS:
        try:
            as_int(fit[key], f"{where}: fit.{key}", minimum=0)
        except TypeError as error:  # a malformed file is a ValueError, whatever is wrong in it
            raise ValueError(str(error)) from None

    truth = spec["truth"]
    if not isinstance(truth, Mapping):
        raise ValueError(f"{where}: field 'truth' must be a JSON object")
    for key, value in truth.items():
        _validate_value(value, outputs, f"{where}: truth.{key}")

    checks = spec["checks"]
    if not isinstance(checks, list) or not checks:
        raise ValueError(f"{where}: field 'checks' must be a non-empty list")
    for i, item in enumerate(checks):
        _require(item, ("check",), f"{where}: checks[{i}]")
        kind = item["check"]
        if kind not in CHECKS:
            raise ValueError(f"{where}: checks[{i}]: unknown check {kind!r}; known: {', '.join(CHECKS)}")
        _, required, optional = CHECKS[kind]
        _require(item, required, f"{where}: checks[{i}] ({kind})")
        unknown = [k for k in item if k not in ("check",) + required + optional]
        if unknown:
            raise ValueError(f"{where}: checks[{i}] ({kind}): unknown field(s) {unknown}; "
                             f"it takes {', '.join(required + optional)}")
        if "sites" in item and (not isinstance(item["sites"], list) or not item["sites"]):
            raise ValueError(f"{where}: checks[{i}] ({kind}): 'sites' must be a non-empty list of site names")
        for site in [item["site"]] if "site" in item else list(item.get("sites", [])):
            if site not in latent:
                raise ValueError(f"{where}: checks[{i}] ({kind}) names site {site!r}, which is not a latent site "
                                 f"of the model ({', '.join(latent)})")
        if kind == "posterior_mean" and "target" not in item and item["site"] not in truth:
            raise ValueError(f"{where}: checks[{i}] (posterior_mean of {item['site']!r}) has no 'target' and "
                             "truth has no value for that site")
        if kind == "ari":
            if item["labels"] not in truth:
                raise ValueError(f"{where}: checks[{i}] (ari): truth has no {item['labels']!r}")
            if item["points"] not in names:
                raise ValueError(f"{where}: checks[{i}] (ari): points {item['points']!r} is not an argument {names}")


# -- the case -----------------------------------------------------------------------------------
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
        _validate(spec, path)
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
        from .ml import MachineLearning

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
        results = [_evaluate(c.__name__.replace("_check_", ""), lambda c=c: c(self, m)) for c in _AUTOMATIC_CHECKS]
        for spec in self.checks:
            function = CHECKS[spec["check"]][0]
            results.append(_evaluate(_label(spec), lambda f=function, s=spec: f(self, m, s)))
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
