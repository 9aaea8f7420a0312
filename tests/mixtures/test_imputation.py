"""bayesforge.mixtures.imputation: missing cells filled in from hand-made mixture draws (a fitted model's
imputation: tests/test_missing.py), against the conditional normal and a mixture's quantiles."""
import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from bayesforge.mixtures.draws import MixtureDraws
from bayesforge.mixtures.imputation import conditional_means, impute

CORRELATED = MixtureDraws("obs", np.ones((1, 1)), np.array([[[1.0, 2.0]]]),
                          np.array([[[[4.0, 1.2], [1.2, 1.0]]]]))  # sds 2 and 1, correlation 0.6


def test_one_component_gives_the_conditional_normal():
    filled = impute(CORRELATED, np.array([[3.0, np.nan], [np.nan, 0.0], [1.0, 1.0]]), prob=0.9,
                    feature_names=["a", "b"])
    # E[b | a = 3] = 2 + 1.2 / 4 * (3 - 1) = 2.6, sd sqrt(1 - 1.2² / 4) = 0.8; E[a | b = 0] = 1 + 1.2 * (0 - 2) = -1.4
    np.testing.assert_allclose(filled.mean, [[3.0, 2.6], [-1.4, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(filled.sd, [[0.0, 0.8], [np.sqrt(4.0 - 1.44), 0.0], [0.0, 0.0]])
    np.testing.assert_allclose([filled.lower[0, 1], filled.upper[0, 1]], 2.6 + 0.8 * norm.ppf([0.05, 0.95]),
                               atol=1e-4)
    assert filled.lower[2, 0] == filled.upper[2, 0] == 1.0  # observed cells are their value
    assert filled.missing.tolist() == [[False, True], [True, False], [False, False]] and filled.prob == 0.9
    assert filled.cells()[["row", "column"]].values.tolist() == [[0, "b"], [1, "a"]]
    assert list(filled.to_frame().columns) == ["a", "b"]


def test_two_draws_give_the_mixture_of_their_conditionals_and_its_quantiles():
    draws = MixtureDraws("obs", np.ones((2, 1)), np.array([[[0.0, 0.0]], [[0.0, 4.0]]]),
                         np.broadcast_to(np.eye(2), (2, 1, 2, 2)).copy())
    filled = impute(draws, np.array([[0.0, np.nan]]), prob=0.5)
    assert filled.mean[0, 1] == pytest.approx(2.0) and filled.sd[0, 1] == pytest.approx(np.sqrt(1 + 4.0))
    cdf = lambda x: 0.5 * (norm.cdf(x) + norm.cdf(x - 4.0))  # noqa: E731
    expected = [brentq(lambda x: cdf(x) - q, -10, 14) for q in (0.25, 0.75)]
    np.testing.assert_allclose([filled.lower[0, 1], filled.upper[0, 1]], expected, atol=1e-4)


def test_without_intervals_and_within_a_chosen_component():
    filled = impute(CORRELATED, np.array([[3.0, np.nan]]), prob=None)
    assert filled.lower[0, 1] == filled.upper[0, 1] == filled.mean[0, 1] and np.isnan(filled.prob)
    two = MixtureDraws("obs", np.array([[0.9, 0.1]]), np.array([[[0.0, 0.0], [0.0, 10.0]]]),
                       np.tile(np.eye(2), (1, 2, 1, 1)))
    x = np.array([[0.0, np.nan], [0.0, np.nan]])
    np.testing.assert_allclose(conditional_means(two, x, components=[0, 1])[:, 1], [0.0, 10.0])
    np.testing.assert_allclose(conditional_means(two, x)[:, 1], [1.0, 1.0])  # weighted by the memberships


@pytest.mark.parametrize("call, message", [
    (lambda: impute(CORRELATED, np.zeros((2, 3))), r"X must be an N×2 array \(the mixture's dimension\), got shape"),
    (lambda: impute(CORRELATED, np.zeros((2, 2)), prob=1.0), r"prob must be strictly between 0 and 1"),
    (lambda: impute(CORRELATED, np.array([[np.nan, np.nan]])), r"X: row 0 \(numbered from 0\) has every value missing"),
    (lambda: conditional_means(CORRELATED, np.zeros((2, 2)), components=[0]), r"components must give one component"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
