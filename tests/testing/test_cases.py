"""bayesforge.testing.cases: finding, loading and reading the shared scenarios (their data, model description and
checks against a workspace); no fit."""
import numpy as np
import pytest
from pathlib import Path

from bayesforge import testing
from conftest import ROOT

CASES = testing.list_cases()
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


def test_a_file_that_is_not_json_is_a_value_error(monkeypatch, tmp_path):
    (tmp_path / "broken.json").write_text('{"name": "broken",')
    monkeypatch.setenv("BAYESFORGE_CASES", str(tmp_path))
    with pytest.raises(ValueError, match=r"broken.json: not valid JSON"):
        testing.load_case("broken")


def test_case_data_are_fresh_and_identical_on_every_call():
    case = testing.load_case("linear_regression")
    first = case.data_on_model()
    first["x"][:] = 0.0
    second = case.data_on_model()
    assert not np.array_equal(first["x"], second["x"])
    assert all(np.array_equal(second[k], testing.load_case("linear_regression").data_on_model()[k]) for k in second)
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in second.values())


def test_the_model_section_tells_other_languages_what_to_write():
    for name in CASES:
        case = testing.load_case(name)
        assert case.model_description.count("\n") == len(case.model["statements"])
        for site in case.sites:
            assert site["name"] in case.model_description and site["distribution"]
    gmm = testing.load_case("gmm_seed_small")
    assert [s["name"] for s in gmm.sites] == ["weights", "mu", "sigma", "Lcorr", "obs"]
    assert gmm.argument_names == ["data", "K", "initial_means"]


def test_an_unfitted_or_foreign_object_is_refused(m):
    case = testing.load_case("normal_mean")
    with pytest.raises(RuntimeError, match=r"call m.fit\(model\) first"):
        case.check(m)
    with pytest.raises(TypeError, match="check\\(\\) needs a fitted BayesForge workspace .* got NoneType"):
        case.check(None)
