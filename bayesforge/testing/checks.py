"""The checks a scenario can ask for, and how their results are reported.

Each check reads a fitted workspace (``m.sampler``, ``m.posterior``) and returns a
:class:`CheckResult`; an error inside a check fails that check instead of hiding the others.

>>> str(CheckResult("max_r_hat(mu)", True, 1.003, "<= 1.05"))
'ok     max_r_hat(mu): observed 1.003, required <= 1.05'
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

if TYPE_CHECKING:
    from .cases import Case

__all__ = ["AUTOMATIC_CHECKS", "CHECKS", "CheckReport", "CheckResult", "evaluate", "label"]

# m.fit settings that the finished NumPyro MCMC records, so the check can compare them.
_RECORDED_FIT_SETTINGS = ("num_warmup", "num_samples", "num_chains", "thinning")


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
    from ..posterior import arviz

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


def label(spec: Mapping[str, Any]) -> str:
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
    name = label(spec)
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
    return CheckResult(label(spec), bool(worst <= limit), worst, f"<= {_show(limit)}", where)


def _check_min_ess_bulk(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    sites = list(spec["sites"])
    limit = float(spec["min"])
    worst, where = _arviz_statistic(m.sampler, sites, "ess_bulk")
    return CheckResult(label(spec), bool(worst >= limit), worst, f">= {_show(limit)}", where)


def _check_max_divergences(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    limit = int(spec["max"])
    extra = m.sampler.get_extra_fields()
    if "diverging" not in extra:
        raise LookupError("the sampler did not record divergences (fit with m.fit, which records them)")
    count = int(np.asarray(extra["diverging"]).sum())
    return CheckResult(label(spec), count <= limit, count, f"<= {limit}")


def _check_ari(case: "Case", m: Any, spec: Mapping[str, Any]) -> CheckResult:
    """Adjusted Rand index of the posterior-mean memberships against the true labels."""
    from sklearn.metrics import adjusted_rand_score

    from ..mixtures.draws import gaussian_mixture_draws
    from ..mixtures.memberships import membership_probabilities

    limit = float(spec["min"])
    labels = np.asarray(case.truth[spec["labels"]])
    points = case.data_on_model()[spec["points"]]
    posterior = m.posterior
    draws = gaussian_mixture_draws(posterior.model, posterior.model_kwargs, m.sampler.get_samples(),
                                   max_draws=int(spec.get("max_draws", 400)))
    memberships = membership_probabilities(draws, points).argmax(axis=1)
    ari = float(adjusted_rand_score(labels, memberships))
    return CheckResult(label(spec), bool(ari >= limit), ari, f">= {_show(limit)}",
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


AUTOMATIC_CHECKS = (_check_fit_settings, _check_sites, _check_data)


def evaluate(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; an error inside it fails that check instead of hiding the others."""
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - reported as a failed check, with its message
        return CheckResult(name, False, "error", "no error", f"{type(error).__name__}: {error}")
