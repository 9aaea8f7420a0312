"""The shared scenarios (bayesforge/testing/cases/*.json), fitted from Python, and proof that their checks can fail.

R (testthat) and Julia run the same scenarios through ``bayesforge.testing``; only the model is
written here, in Python. Every scenario must have a Python model below.
"""
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bayesforge import testing
from conftest import ROOT
from hand_made import normal_model


# -- the Python models of the scenarios ---------------------------------------------------------
def normal_mean(m):
    return normal_model(m)


def linear_regression(m):
    def model(x, y):
        alpha = m.dist.normal(0.0, 10.0, name="alpha")
        beta = m.dist.normal(0.0, 10.0, name="beta")
        sigma = m.dist.half_normal(5.0, name="sigma")
        with m.dist.plate("n", y.shape[0]):
            m.dist.normal(alpha + beta * x, sigma, name="y", obs=y)
    return model


def gmm_seed_small(m):
    from bayesforge.mixtures.gmm import gmm_model

    return gmm_model(m)  # the seed's model, unchanged, as the library keeps it


PYTHON_MODELS = {f.__name__: f for f in (normal_mean, linear_regression, gmm_seed_small)}
CASES = testing.list_cases()


def test_the_three_scenarios_are_there():
    assert {"normal_mean", "linear_regression", "gmm_seed_small"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_scenario_fitted_from_python_passes_its_checks(name, m):
    assert name in PYTHON_MODELS, f"scenario {name!r} has no Python model: add one to PYTHON_MODELS in {__file__}"
    case = testing.load_case(name)
    model = PYTHON_MODELS[name](m)
    assert list(inspect.signature(model).parameters) == case.argument_names
    m.data_on_model = case.data_on_model(m)  # k-means (if any) through m.ml.KMEANS, as in the seed
    m.fit(model, **case.fit_settings)
    report = case.check(m)
    assert report.passed and report.case == name
    names = [r.name for r in report.results]
    assert names[:3] == ["fit_settings", "sites", "data"] and len(names) == 3 + len(case.checks)
    for result, spec in zip(report.results[3:], case.checks):  # r̂ / ESS name the worst element, ArviZ style
        if "sites" in spec:
            assert re.fullmatch(r"(\w+)(\[\d+(, \d+)*\])?", result.detail).group(1) in spec["sites"], result
    json.dumps(report.to_dict())  # plain values only: what R and Julia receive
    assert str(report).startswith(f"scenario {name!r}: all {len(names)} checks passed")


def test_gmm_scenario_data_are_the_seed_examples_data(m):
    from sklearn.datasets import make_blobs

    data, true_labels = make_blobs(n_samples=500, centers=8, cluster_std=0.8, center_box=(-10, 10),
                                   random_state=101)
    case = testing.load_case("gmm_seed_small")
    given = case.data_on_model()
    assert np.array_equal(given["data"], data) and given["K"] == 8 and type(given["K"]) is int
    m.ml.KMEANS(data, n_clusters=8)
    assert np.array_equal(given["initial_means"], m.ml.results["centroids"])
    assert np.array_equal(case.truth["labels"], true_labels)


def test_case_data_are_fresh_and_identical_on_every_call():
    case = testing.load_case("linear_regression")
    first = case.data_on_model()
    first["x"][:] = 0.0
    second = case.data_on_model()
    assert not np.array_equal(first["x"], second["x"])
    assert all(np.array_equal(second[k], testing.load_case("linear_regression").data_on_model()[k]) for k in second)
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in second.values())


# -- the checks can fail ------------------------------------------------------------------------
def test_a_wrong_posterior_fails_the_checks_that_see_it(m):
    """normal_mean fitted with mu pinned at 5 by its prior: the posterior mean of mu is far off."""
    pinned = normal_model(m, prior_mean=5.0, prior_sd=0.01)

    case = testing.load_case("normal_mean")
    assert case.fit(m, pinned) is m and m.sampler.num_samples == case.fit_settings["num_samples"]
    with pytest.raises(AssertionError) as failure:
        case.check(m)
    message = str(failure.value)
    assert message.startswith("scenario 'normal_mean': 2 of 8 checks failed:")
    assert re.search(r"FAILED posterior_mean\(mu\): observed 4\.99\d*, required 1\.5 ± 0\.15 \(\|error\| 3\.49", message)
    assert re.search(r"FAILED posterior_mean\(sigma\): observed 3\.\d+, required 0\.7 ± 0\.1", message)  # sigma absorbs it
    assert "passed: fit_settings, sites, data, max_r_hat" in message


class FakeSampler:
    """Quacks like the finished NumPyro MCMC as far as the checks look."""

    def __init__(self, draws, num_warmup=300, divergences=0, thinning=1):
        self._draws = draws
        self.num_chains, self.num_samples = next(iter(draws.values())).shape[:2]
        self.num_warmup, self.thinning, self._divergences = num_warmup, thinning, divergences

    def get_samples(self, group_by_chain=False):
        if group_by_chain:
            return dict(self._draws)
        return {k: v.reshape((-1,) + v.shape[2:]) for k, v in self._draws.items()}

    def get_extra_fields(self, group_by_chain=False):
        diverging = np.zeros(self.num_chains * self.num_samples, dtype=bool)
        diverging[: self._divergences] = True
        return {"diverging": diverging}


def fake_workspace(draws, data, model=None, **sampler):
    from bayesforge.fit import match_arguments

    kwargs = match_arguments(model or (lambda y: None), data)  # arrays converted as m.fit converts them
    return SimpleNamespace(sampler=FakeSampler(draws, **sampler),
                           posterior=SimpleNamespace(model=model, model_kwargs=kwargs))


def good_normal_draws():
    rng = np.random.default_rng(0)
    return {"mu": rng.normal(1.5, 0.05, (2, 500)), "sigma": rng.normal(0.7, 0.035, (2, 500))}


def test_a_good_fake_fit_passes_and_the_module_level_check_works():
    case = testing.load_case("normal_mean")
    report = testing.check("normal_mean", fake_workspace(good_normal_draws(), case.data_on_model()))
    assert report.passed and [r.passed for r in report.results] == [True] * 8
    values = {r["name"]: r["observed"] for r in report.to_dict()["checks"]}
    assert abs(values["posterior_mean(mu)"] - 1.5) < 0.01 and values["max_divergences"] == 0
    assert isinstance(values["max_r_hat(mu, sigma)"], float) and values["min_ess_bulk(mu, sigma)"] > 800


def failed_checks(message):
    """The names of the checks an AssertionError from Case.check reports as failed."""
    return [line.split("FAILED ")[1].split(": observed")[0] for line in message.splitlines() if "FAILED " in line]


def _fault(kind):
    draws, data, sampler = good_normal_draws(), testing.load_case("normal_mean").data_on_model(), {}
    if kind == "mu far off":
        draws["mu"] = draws["mu"] + 3.0
    elif kind == "chains disagree":
        draws["mu"] = draws["mu"] + np.array([[-0.3], [0.3]])
    elif kind == "sticky chains":
        draws["sigma"] = np.repeat(draws["sigma"][:, ::25], 25, axis=1)
    elif kind == "constant site":
        draws["sigma"] = np.full((2, 500), 0.7)
    elif kind == "divergences":
        sampler["divergences"] = 1
    elif kind == "fewer warmup draws":
        sampler["num_warmup"] = 100
    elif kind == "site missing":
        del draws["sigma"]
    elif kind == "wrong shape":
        draws["mu"] = np.repeat(draws["mu"][..., None], 3, axis=2)
    elif kind == "other data":
        data["y"] = data["y"] + 1e-3
    return fake_workspace(draws, data, **sampler)


@pytest.mark.parametrize("fault, failed, shown", [
    ("mu far off", ["posterior_mean(mu)"], "observed 4.49"),
    ("chains disagree", ["max_r_hat(mu, sigma)", "min_ess_bulk(mu, sigma)"], "required <= 1.05 (mu)"),
    ("sticky chains", ["min_ess_bulk(mu, sigma)"], "required >= 200 (sigma)"),
    ("constant site", ["max_r_hat(mu, sigma)"], "observed nan, required <= 1.05 (sigma is NaN)"),
    ("divergences", ["max_divergences"], "max_divergences: observed 1, required <= 0"),
    ("fewer warmup draws", ["fit_settings"], "wrong: num_warmup=100 (case: 300)"),
    ("site missing", ["sites", "posterior_mean(sigma)", "max_r_hat(mu, sigma)", "min_ess_bulk(mu, sigma)"],
     "LookupError: the posterior has no site 'sigma'; it has mu"),
    ("wrong shape", ["sites"], "'mu' has shape (3,), expected ()"),
    ("other data", ["data"], "'y' differs from the case's data"),
])
def test_each_check_fails_on_its_own_fault(fault, failed, shown):
    with pytest.raises(AssertionError) as failure:
        testing.load_case("normal_mean").check(_fault(fault))
    message = str(failure.value)
    assert failed_checks(message) == failed, message
    assert message.startswith(f"scenario 'normal_mean': {len(failed)} of 8 checks failed:")
    assert shown in message, message


def test_ari_check_fails_when_the_components_do_not_separate_the_clusters(m):
    """A fake gmm posterior with every component at the same place: memberships carry no information."""
    case = testing.load_case("gmm_seed_small")
    rng = np.random.default_rng(1)
    weights = rng.dirichlet(np.full(8, 1000.0), size=(2, 300))
    draws = {"weights": weights, "mu": rng.normal(0.0, 0.01, (2, 300, 8, 2)),
             "sigma": rng.normal(8.0, 0.01, (2, 300, 8, 2)),
             "Lcorr": np.broadcast_to(np.eye(2), (2, 300, 8, 2, 2)).copy()}
    fake = fake_workspace(draws, case.data_on_model(), model=gmm_seed_small(m))
    with pytest.raises(AssertionError) as failure:
        case.check(fake)
    message = str(failure.value)
    assert failed_checks(message) == ["ari"], message
    assert re.search(r"FAILED ari: observed -?0(\.0\d*)?, required >= 0\.9 \(posterior-mean membership", message)


def test_an_unfitted_or_foreign_object_is_refused(m):
    case = testing.load_case("normal_mean")
    with pytest.raises(RuntimeError, match=r"call m.fit\(model\) first"):
        case.check(m)
    with pytest.raises(TypeError, match="check\\(\\) needs a fitted BayesForge workspace .* got NoneType"):
        case.check(None)


# -- finding and reading scenario files ---------------------------------------------------------
CASES_DIR = ROOT / "bayesforge" / "testing" / "cases"


def test_cases_dir_is_the_packages_unless_the_environment_says_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv("BAYESFORGE_CASES", raising=False)
    assert Path(testing.cases_dir()) == CASES_DIR
    monkeypatch.setenv("BAYESFORGE_CASES", str(tmp_path))
    assert testing.cases_dir() == str(tmp_path) and testing.list_cases() == []
    monkeypatch.setenv("BAYESFORGE_CASES", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="no scenario folder at .*nowhere.*BAYESFORGE_CASES"):
        testing.list_cases()


def test_an_unknown_case_is_an_error_listing_the_cases():
    with pytest.raises(ValueError, match="no scenario named 'normal_means' .*; available: gmm_seed_small, "
                                         "linear_regression, normal_mean"):
        testing.load_case("normal_means")
    with pytest.raises(ValueError, match="available: "):
        testing.check("../normal_mean", None)


def _edit(spec, path, value):
    *parents, last = path
    target = spec
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value


@pytest.mark.parametrize("path, value, match", [
    (("name",), KeyError, r"broken.json: missing field 'name'"),
    (("description",), KeyError, r"broken.json: missing field 'description'"),
    (("model",), KeyError, r"broken.json: missing field 'model'"),
    (("data",), KeyError, r"broken.json: missing field 'data'"),
    (("fit",), KeyError, r"broken.json: missing field 'fit'"),
    (("truth",), KeyError, r"broken.json: missing field 'truth'"),
    (("checks",), KeyError, r"broken.json: missing field 'checks'"),
    (("fit", "num_chains"), KeyError, r"broken.json: fit: missing field 'num_chains'"),
    (("fit", "num_samples"), 10.5, r"fit.num_samples must be a whole number, got 10.5"),
    (("model", "sites"), KeyError, r"broken.json: model: missing field 'sites'"),
    (("model", "sites", 0, "shape"), KeyError, r"model.sites\[0\] \(mu, latent\): missing field 'shape'"),
    (("model", "arguments", 0, "value"), {"data": "z"}, r"\{'data': 'z'\} is not generated; the generator gives y"),
    (("data", "generator"), KeyError, r"broken.json: data: missing field 'generator'"),
    (("data", "generator"), "uniform", r"data.generator 'uniform' is unknown; known: normal, linear, make_blobs"),
    (("data", "loc"), KeyError, r"generator 'normal': missing field\(s\) 'loc'"),
    (("checks", 0, "abs_tol"), KeyError, r"checks\[0\] \(posterior_mean\): missing field 'abs_tol'"),
    (("checks", 0, "check"), "posterior_median", r"unknown check 'posterior_median'; known: posterior_mean, "),
    (("checks", 2, "sites"), ["mu", "tau"], r"names site 'tau', which is not a latent site of the model"),
    (("checks", 4, "maximum"), 0, r"checks\[4\] \(max_divergences\): unknown field\(s\) \['maximum'\]"),
    (("truth", "mu"), KeyError, r"has no 'target' and truth has no value for that site"),
    (("name",), "other", r"field 'name' is 'other' but must be the file's name 'broken'"),
])
def test_a_malformed_case_file_is_a_value_error_naming_the_field(monkeypatch, tmp_path, path, value, match):
    spec = {**json.loads((CASES_DIR / "normal_mean.json").read_text()), "name": "broken"}
    _edit(spec, path, value)
    (tmp_path / "broken.json").write_text(json.dumps(spec))
    shutil.copy(CASES_DIR / "normal_mean.json", tmp_path)
    monkeypatch.setenv("BAYESFORGE_CASES", str(tmp_path))
    assert testing.list_cases() == ["broken", "normal_mean"]
    assert testing.load_case("normal_mean").name == "normal_mean"  # the good file next to it still loads
    with pytest.raises(ValueError, match=match):
        testing.load_case("broken")


def test_a_file_that_is_not_json_is_a_value_error(monkeypatch, tmp_path):
    (tmp_path / "broken.json").write_text('{"name": "broken",')
    monkeypatch.setenv("BAYESFORGE_CASES", str(tmp_path))
    with pytest.raises(ValueError, match=r"broken.json: not valid JSON"):
        testing.load_case("broken")


def test_the_model_section_tells_other_languages_what_to_write():
    for name in CASES:
        case = testing.load_case(name)
        assert case.model_description.count("\n") == len(case.model["statements"])
        for site in case.sites:
            assert site["name"] in case.model_description and site["distribution"]
    gmm = testing.load_case("gmm_seed_small")
    assert [s["name"] for s in gmm.sites] == ["weights", "mu", "sigma", "Lcorr", "obs"]
    assert gmm.argument_names == ["data", "K", "initial_means"]


def test_the_scenarios_ship_in_the_wheel(tmp_path):
    """``bayesforge.testing`` works from a non-editable install: the scenario files are package data.

    Built without isolation from the test extras' setuptools (no download), so it costs seconds.
    """
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("bayesforge-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(installed)
    assert {f"bayesforge/testing/cases/{name}.json" for name in CASES} <= set(names)
    # Run from an unrelated folder with only the unpacked wheel on the path (not the checkout).
    code = ("import bayesforge.testing as t, pathlib; "
            "print(pathlib.Path(t.cases_dir()).resolve()); print(','.join(t.list_cases())); "
            "print(t.load_case('normal_mean').fit_settings['num_chains'])")
    env = {k: v for k, v in os.environ.items() if k != "BAYESFORGE_CASES"}
    env["PYTHONPATH"] = str(installed)
    run = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(installed)!r}); {code}"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    folder, listed, _ = run.stdout.splitlines()
    assert Path(folder).is_relative_to(installed.resolve()), folder
    assert listed.split(",") == CASES
