"""The library mixtures in any unit: priors per column's spread, what float32/float64 can carry, degenerate data,
fits with bf(x64=True), column names, the covariance floor, and what a library fit leaves in m."""
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from bayesforge import bf

BLOBS, LABELS = make_blobs(n_samples=200, centers=[[-6, 0], [0, 6], [6, 0]], cluster_std=1.0, random_state=3)
SMALL = dict(num_warmup=150, num_samples=150, num_chains=2)
TINY = dict(num_warmup=100, num_samples=100, num_chains=2)


def _rows(means):
    """Component means in a fixed order (sorted by their first, then second coordinate)."""
    return means[np.lexsort(means.T[::-1])]


# -- the same clusters in any unit ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fits_by_unit():
    m = bf(platform="cpu")
    frame = pd.DataFrame(BLOBS, columns=["width", "height"])
    return {unit: m.gmm(frame * unit, K=3, **SMALL) for unit in (1.0, 1e-6, 1e6)}


@pytest.mark.parametrize("unit", [1e-6, 1e6])
def test_the_unit_of_the_data_does_not_change_the_fit(fits_by_unit, unit):
    reference, fit = fits_by_unit[1.0], fits_by_unit[unit]
    assert adjusted_rand_score(reference.predict(), fit.predict()) >= 0.95
    assert adjusted_rand_score(LABELS, fit.predict()) >= 0.95
    assert fit.diagnostics["max_r_hat"] <= 1.1 and fit.diagnostics["divergences"] == 0
    # means, covariances and criteria in the user's units
    np.testing.assert_allclose(_rows(fit.means) / unit, _rows(reference.means), atol=0.3)
    order = lambda f: np.lexsort(f.means.T[::-1])  # noqa: E731
    np.testing.assert_allclose(fit.covariances[order(fit)] / unit**2, reference.covariances[order(reference)],
                               rtol=0.3, atol=0.1)
    if unit < 1:  # (the pointwise log-likelihood costs seconds per fit: once is enough)
        shift = BLOBS.size * np.log(unit)  # the log-likelihood of data in another unit: the Jacobian −N·D·log(unit)
        assert abs(fit.loo().elpd_loo - (reference.loo().elpd_loo - shift)) < 3
        assert abs(fit.bic() - (reference.bic() + 2 * shift)) < 6
    # the summary stays readable: nothing rounds to 0
    table = fit.summary()
    assert (table["sd"] > 0).all() and (table["mcse_mean"] > 0).all() and (table["mean"] != 0).all()


def test_column_names_of_a_data_frame_are_kept(fits_by_unit):
    assert fits_by_unit[1.0].feature_names == ("width", "height")


# -- data a fit cannot carry, refused before fitting --------------------------------------------------------

def _frame(data):
    return pd.DataFrame(data, columns=["width", "height"])


CONSTANT = np.c_[BLOBS[:20, 0], np.ones(20)]
FLOAT32_MESSAGE = r", or fit in float64 with bf\(x64=True\)$"


@pytest.mark.parametrize("x64, call, error, message", [
    (False, lambda m: m.gmm(CONSTANT, K=2), ValueError,
     r"^data: column 1 has the same value \(1\) in every row: a Gaussian mixture needs spread in every column"),
    (False, lambda m: m.gmm(_frame(CONSTANT), K=2), ValueError, r"^data: column 1 \('height'\) has the same value"),
    (False, lambda m: m.dpmm(CONSTANT), ValueError, r"^data: column 1 has the same value"),
    (False, lambda m: m.choose_k(CONSTANT, ks=[1, 2]), ValueError, r"^data: column 1 has the same value"),
    (False, lambda m: m.gmm(np.ones((20, 2)), K=1), ValueError,
     r"^data: all 20 rows are the same point \(every column, from column 0 on, has a single value\)"),
    (False, lambda m: m.gmm(BLOBS * 1e39, K=2), ValueError,
     r"^data: column 0 is too large for float32 \(values up to 8.92e\+39, .*overflow float32.*" + FLOAT32_MESSAGE),
    (False, lambda m: m.gmm(_frame(BLOBS * 1e-30), K=2), ValueError,
     r"^data: column 0 \('width'\) varies too little for float32 \(sd 5.\d+e-30\).*underflow.*" + FLOAT32_MESSAGE),
    (False, lambda m: m.dpmm(BLOBS + [0, 1e9]), ValueError,
     r"^data: column 1 is too far from zero for its spread in float32.*subtract an offset such as its mean" + FLOAT32_MESSAGE),
    (True, lambda m: m.gmm(BLOBS * 1e200, K=2), ValueError,
     r"^data: column 0 is too large for float64 .* divide it by a power of ten$"),
    (True, lambda m: m.choose_k(BLOBS * 1e-160, ks=[1]), ValueError, r"^data: column 0 varies too little for float64"),
    (False, lambda m: m.gmm(BLOBS, K=2, reg_covar=-1e-6), ValueError, r"reg_covar must be a finite number >= 0"),
    (False, lambda m: m.dpmm(BLOBS, reg_covar="small"), TypeError, r"reg_covar must be a number >= 0"),
    (False, lambda m: m.gmm(BLOBS, K=2, on_fit=3), TypeError,
     r"on_fit must be a function on_fit\(k, fit, index, total\) or None, got int"),
    (False, lambda m: m.choose_k(BLOBS, ks=[1], on_fit="report"), TypeError, r"on_fit must be a function"),
])
def test_data_the_fit_cannot_carry_is_refused_before_fitting(x64, call, error, message):
    m = bf(platform="cpu", x64=x64)
    with pytest.raises(error, match=message):
        call(m)
    with pytest.raises(RuntimeError, match=r"the last fit failed: (ValueError|TypeError): "):
        m.summary()


# -- bf(x64=True): every library entry, on data float32 cannot carry ------------------------------------------

@pytest.fixture(scope="module")
def x64_workspace():
    """A float64 workspace with its own data_on_model and k-means results, then two library fits.

    K="auto" runs choose_k; with one chain (cheap here) it also shows how a single chain is reported.
    """
    m = bf(platform="cpu", x64=True)
    m.data_on_model = {"y": np.arange(3.0)}
    kmeans = m.ml.KMEANS(BLOBS, n_clusters=2)
    reported = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gmm = m.gmm(BLOBS[:100] * 1e39, K="auto", ks=[3], reg_covar=0.05, num_chains=1, num_warmup=100,
                    num_samples=100, on_fit=lambda k, fit, index, total: reported.append((k, fit.K, index, total)))
    messages = [str(w.message) for w in caught]
    dpmm = m.dpmm(BLOBS[:100], T=4, **TINY)
    return {"m": m, "kmeans": kmeans, "gmm": gmm, "dpmm": dpmm, "reported": reported, "warnings": messages}


def test_x64_gmm_fits_data_beyond_float32_with_the_covariance_floor(x64_workspace):
    fit = x64_workspace["gmm"]
    assert fit.posterior.draws["mu"].dtype == np.float64
    assert adjusted_rand_score(LABELS[:100], fit.predict()) >= 0.95
    assert np.abs(fit.means).max() > 1e39
    variances = (BLOBS[:100] * 1e39).var(axis=0)
    assert (np.diagonal(fit.draws.covariances, axis1=-2, axis2=-1) >= 0.05 * variances * (1 - 1e-9)).all()


def test_x64_choose_k_with_one_chain_reports_each_k_and_says_r_hat_needs_two_chains(x64_workspace):
    fit = x64_workspace["gmm"]
    selection = fit.selection
    assert x64_workspace["reported"] == [(3, 3, 1, 1)]
    assert selection.table["status"].tolist() == ["single chain"] and not selection.table["converged"].any()
    messages = x64_workspace["warnings"]
    assert [m for m in messages if "r̂" in m] == [
        "r̂ needs ≥ 2 chains: with one chain per fit convergence cannot be judged, so K was selected among all 1 "
        "fits; fit with num_chains ≥ 2 to check it"]
    assert not [m for m in messages if "did not converge" in m]
    assert all(re.match(r"K=\d: ", m) for m in messages if "r̂" not in m), messages
    # the returned fit carries the comparison alone (no fits that could point back at it)
    assert selection.selected_k == 3 and not hasattr(selection, "fits")


def test_x64_dpmm_counts_its_own_parameters_for_bic(x64_workspace):
    fit = x64_workspace["dpmm"]
    assert fit.posterior.draws["mu"].dtype == np.float64 and fit.K == 4
    assert fit.num_parameters == 3 + 1 + 4 * 2 + 4 * 3  # sticks, α, means, covariances (bic() uses it)


def test_library_fits_leave_data_on_model_and_ml_results_alone(x64_workspace):
    m = x64_workspace["m"]
    assert list(m.data_on_model) == ["y"] and m.ml.results is x64_workspace["kmeans"]
    assert m.posterior is x64_workspace["dpmm"].posterior  # the last library fit is m's last fit
