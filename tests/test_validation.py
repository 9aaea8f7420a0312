"""bayesforge.validation: the one home of input checks; the entry points check once and pass checked values down."""
import numpy as np
import pandas as pd
import pytest

from bayesforge import validation


def test_every_check_lives_in_validation_only():
    import bayesforge.fit
    import bayesforge.interop
    import bayesforge.ml
    import bayesforge.mixtures.fitting

    for module, name in ((bayesforge.interop, "as_int"), (bayesforge.interop, "as_shape"),
                         (bayesforge.ml, "as_data_matrix"), (bayesforge.fit, "_to_model_value"),
                         (bayesforge.mixtures.fitting, "check_reg_covar"), (bayesforge.mixtures.fitting, "check_on_fit")):
        defined_here = getattr(module, name, None)
        assert defined_here is None or defined_here.__module__ == "bayesforge.validation", (module, name)


def test_column_names_of_a_dataframe_and_of_an_array():
    assert validation.column_names(pd.DataFrame({"a": [1.0], 3: [2.0]})) == ("a", "3")
    assert validation.column_names(np.zeros((1, 2))) is None


@pytest.mark.parametrize("value, error, match", [
    ("1", TypeError, "reg_covar must be a number >= 0"), (True, TypeError, "reg_covar must be a number >= 0"),
    (-1.0, ValueError, "reg_covar must be a finite number >= 0"),
    (float("inf"), ValueError, "reg_covar must be a finite number >= 0")])
def test_check_reg_covar_names_the_argument(value, error, match):
    with pytest.raises(error, match=match):
        validation.check_reg_covar(value)
    assert validation.check_reg_covar(np.float32(0.5)) == 0.5


def test_check_on_fit_and_as_bool_name_the_argument():
    assert validation.check_on_fit(None) is None
    with pytest.raises(TypeError, match="on_fit must be a function on_fit"):
        validation.check_on_fit(3)
    with pytest.raises(TypeError, match="relabel must be True or False, got 1"):
        validation.as_bool(1, "relabel")


def test_as_model_value_gives_jax_arrays_and_static_python_scalars():
    import jax

    assert isinstance(validation.as_model_value(pd.Series([1.0, 2.0])), jax.Array)
    assert validation.as_model_value(np.int64(8)) == 8 and type(validation.as_model_value(np.int64(8))) is int
    assert validation.as_model_value("text") == "text"


def test_gmm_checks_the_data_once_at_the_entry_point(m, monkeypatch):
    """m.gmm checks ``data`` once: k-means, the start values and the fit below take the checked matrix."""
    import sys

    from bayesforge.mixtures import fitting

    calls = []
    original = validation.as_data_matrix

    def counting(data, name="data", missing=None):
        calls.append(name)
        return original(data, name, missing=missing)

    class _Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise _Stop

    for module in [mod for name, mod in list(sys.modules.items()) if name.startswith("bayesforge")]:
        if getattr(module, "as_data_matrix", None) is original:
            monkeypatch.setattr(module, "as_data_matrix", counting)
    monkeypatch.setattr(fitting, "nuts_posterior", stop)
    rng = np.random.default_rng(0)
    with pytest.raises(_Stop):
        m.gmm(np.r_[rng.normal(0, 1, (20, 2)), rng.normal(6, 1, (20, 2))], K=2)
    assert calls == ["data"]
