"""bayesforge.mixtures.data: the data of a library mixture, checked once (prepare_data) without fitting. The same
refusals through m.gmm / m.dpmm / m.choose_k: tests/mixtures/test_fitting.py."""
import numpy as np
import pandas as pd
import pytest

from bayesforge.mixtures.data import MixtureData, describe_column, prepare_data

X = np.array([[0.0, 10.0], [2.0, 30.0], [4.0, 20.0], [6.0, 40.0]])


def test_the_matrix_its_names_and_each_columns_mean_and_sd():
    data = prepare_data(pd.DataFrame(X, columns=["a", "b"]), x64=False)
    assert isinstance(data, MixtureData) and data.feature_names == ("a", "b")
    np.testing.assert_array_equal(data.matrix, X)
    np.testing.assert_allclose(data.location, [3.0, 25.0])
    np.testing.assert_allclose(data.scale, X.std(axis=0))
    assert data.missing == "error" and data.missingness is None and data.sample_weight is None
    assert prepare_data(X, x64=True).feature_names is None


def test_describe_column_numbers_from_0_and_adds_the_name():
    assert describe_column(1, None) == "column 1" and describe_column(0, ("a", "b")) == "column 0 ('a')"


@pytest.mark.parametrize("data, message", [
    (np.c_[X[:, 0], np.full(4, 7.0)], r"^mine: column 1 has the same value \(7\) in every row: a Gaussian mixture "
                                      r"needs spread in every column; drop that column$"),
    (np.ones((3, 2)), r"^mine: all 3 rows are the same point"),
    (X[:, 0], r"mine must be a 2-D array"),
])
def test_data_without_spread_or_shape_is_refused_naming_the_argument(data, message):
    with pytest.raises(ValueError, match=message):
        prepare_data(data, x64=False, name="mine")


def test_missing_cells_need_the_option_and_then_two_observed_values_per_column():
    holes = X.copy()
    holes[1, 0] = np.nan
    with pytest.raises(ValueError, match='row 1, column 0; .* pass missing="marginalize"'):
        prepare_data(holes, x64=False)
    data = prepare_data(holes, x64=False, missing="marginalize")
    assert data.missing == "marginalize" and data.missingness is not None
    np.testing.assert_allclose(data.location, [np.mean([0.0, 4.0, 6.0]), 25.0])  # over the observed values
    mostly_empty = X.copy()
    mostly_empty[1:, 1] = np.nan
    with pytest.raises(ValueError, match=r"column 1 has 1 observed value\(s\): a Gaussian mixture needs at least 2"):
        prepare_data(mostly_empty, x64=False, missing="marginalize")
    complete = prepare_data(X, x64=False, missing="marginalize")
    assert complete.missingness is None  # no NaN: nothing to group


@pytest.mark.parametrize("factor, offset, message", [
    (1e36, 0.0, r"column 0 is too large for float32 .* divide it by a power of ten, or fit in float64"),
    (1e-21, 0.0, r"column 0 varies too little for float32 .* multiply it by a power of ten"),
    (1.0, 1e9, r"column 0 is too far from zero for its spread in float32: .* subtract an offset"),
])
def test_what_float32_cannot_carry_is_refused_and_float64_takes_it(factor, offset, message):
    data = np.c_[X[:, 0] * factor + offset, X[:, 1]]
    with pytest.raises(ValueError, match=message):
        prepare_data(data, x64=False)
    np.testing.assert_allclose(prepare_data(data, x64=True).location[1], 25.0)
