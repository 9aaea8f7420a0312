"""The shared scenarios (bayesforge/testing/cases/*.json), fitted from Python, and proof that their checks can fail on a
real fit (each check on fake fits, reading and validating the files: tests/testing/).

R (testthat) and Julia run the same scenarios through ``bayesforge.testing``; only the model is
written here, in Python. Every scenario must have a Python model below.
"""
import inspect
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

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


def test_the_scenarios_ship_in_the_wheel(tmp_path):
    """``bayesforge.testing`` works from a non-editable install: the scenario files are package data.

    Built without isolation from the test extras' setuptools (no download) and without the native kernel
    (``BAYESFORGE_NATIVE=0``: compiling it is 20 s of a build that checks package data), so it costs seconds.
    """
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(ROOT)], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "BAYESFORGE_NATIVE": "0"})
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
