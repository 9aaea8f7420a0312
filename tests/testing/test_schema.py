"""bayesforge.testing.schema: a malformed scenario file is a ValueError naming the file and the field."""
import json
import shutil

import pytest

from bayesforge import testing
from conftest import ROOT

CASES_DIR = ROOT / "bayesforge" / "testing" / "cases"


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
