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
    """The same blobs in two units twelve orders of magnitude apart (float32 either way): each fit is compared
    with the other, so no third fit in the plain unit is needed."""
    m = bf(platform="cpu")
    frame = pd.DataFrame(BLOBS, columns=["width", "height"])
    return {unit: m.gmm(frame * unit, K=3, **SMALL) for unit in (1e-6, 1e6)}


def test_the_unit_of_the_data_does_not_change_the_fit(fits_by_unit):
    small, large = fits_by_unit[1e-6], fits_by_unit[1e6]
    ratio = 1e6 / 1e-6
    assert adjusted_rand_score(small.predict(), large.predict()) >= 0.95
    for fit in (small, large):
        assert adjusted_rand_score(LABELS, fit.predict()) >= 0.95
        assert fit.diagnostics["max_r_hat"] <= 1.1 and fit.diagnostics["divergences"] == 0
        # the summary stays readable: nothing rounds to 0
        table = fit.summary()
        assert (table["sd"] > 0).all() and (table["mcse_mean"] > 0).all() and (table["mean"] != 0).all()
    # means, covariances and criteria in the user's units
    np.testing.assert_allclose(_rows(large.means) / 1e6, _rows(small.means) / 1e-6, atol=0.3)
    order = lambda f: np.lexsort(f.means.T[::-1])  # noqa: E731
    np.testing.assert_allclose(large.covariances[order(large)] / 1e6**2, small.covariances[order(small)] / 1e-6**2,
                               rtol=0.3, atol=0.1)
    shift = BLOBS.size * np.log(ratio)  # the log-likelihood of data in another unit: the Jacobian −N·D·log(ratio)
    assert abs(large.loo().elpd_loo - (small.loo().elpd_loo - shift)) < 3
    assert abs(large.bic() - (small.bic() + 2 * shift)) < 6


def test_column_names_of_a_data_frame_are_kept(fits_by_unit):
    assert fits_by_unit[1e6].feature_names == ("width", "height")


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
    """A float64 workspace with its own data_on_model and k-means results, then two library fits (2 chains each: they
    run in parallel, one compiled program per fit; a single chain would run NumPyro's sequential sampler, 2-3x
    slower here, and what a single chain reports is tested below on a hand-made one-chain fit)."""
    m = bf(platform="cpu", x64=True)
    m.data_on_model = {"y": np.arange(3.0)}
    kmeans = m.ml.KMEANS(BLOBS, n_clusters=2)
    reported = []
    gmm = m.gmm(BLOBS[:100] * 1e39, K="auto", ks=[3], reg_covar=0.05, **TINY,
                on_fit=lambda k, fit, index, total: reported.append((k, fit.K, index, total)))
    dpmm = m.dpmm(BLOBS[:100], T=4, **TINY)
    return {"m": m, "kmeans": kmeans, "gmm": gmm, "dpmm": dpmm, "reported": reported}


def test_x64_gmm_fits_data_beyond_float32_with_the_covariance_floor(x64_workspace):
    fit = x64_workspace["gmm"]
    assert fit.posterior.draws["mu"].dtype == np.float64
    assert adjusted_rand_score(LABELS[:100], fit.predict()) >= 0.95
    assert np.abs(fit.means).max() > 1e39
    variances = (BLOBS[:100] * 1e39).var(axis=0)
    assert (np.diagonal(fit.draws.covariances, axis1=-2, axis2=-1) >= 0.05 * variances * (1 - 1e-9)).all()


def test_x64_k_auto_reports_each_k_and_carries_the_comparison_alone(x64_workspace):
    fit = x64_workspace["gmm"]
    selection = fit.selection
    assert x64_workspace["reported"] == [(3, 3, 1, 1)]
    assert list(selection.table.index) == [3]
    # the returned fit carries the comparison alone (no fits that could point back at it)
    assert selection.selected_k == 3 and not hasattr(selection, "fits")


def test_choose_k_with_one_chain_reports_each_k_and_says_r_hat_needs_two_chains(monkeypatch):
    """K="auto" with one chain per fit: each fit of K is a hand-made one-chain posterior standing in for NUTS
    (m.gmm's fit of one K), so choose_k, its diagnostics and the selection run as they do on a real single chain."""
    from hand_made import gmm_posterior

    from bayesforge.mixtures import gmm
    from bayesforge.mixtures.result import MixtureFit

    m = bf(platform="cpu")
    posterior, data, _ = gmm_posterior(m, chains=1)
    with warnings.catch_warnings():  # r̂ of one chain: NaN, and NumPy says so
        warnings.filterwarnings("ignore", message="All-NaN axis encountered")
        one_chain = MixtureFit.from_posterior(posterior, data, gmm.GMM(K=3), seconds=0.0)
    assert one_chain.diagnostics["num_chains"] == 1
    asked = []

    def one_chain_fit(m, model, model_kwargs, *, data, **options):
        asked.append((model_kwargs["K"], options["num_chains"]))
        return one_chain

    monkeypatch.setattr(gmm, "fit_mixture", one_chain_fit)
    reported = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = m.gmm(data, K="auto", ks=[3], num_chains=1,
                    on_fit=lambda k, fit, index, total: reported.append((k, fit.K, index, total)))
    assert asked == [(3, 1)] and reported == [(3, 3, 1, 1)]
    selection = fit.selection
    assert selection.table["status"].tolist() == ["single chain"] and not selection.table["converged"].any()
    messages = [str(w.message) for w in caught]
    assert [m for m in messages if "r̂" in m] == [
        "r̂ needs ≥ 2 chains: with one chain per fit convergence cannot be judged, so K was selected among all 1 "
        "fits; fit with num_chains ≥ 2 to check it"]
    assert not [m for m in messages if "did not converge" in m]
    assert all(re.match(r"K=\d: ", m) for m in messages if "r̂" not in m), messages
    assert selection.selected_k == 3 and not hasattr(selection, "fits")


def test_x64_dpmm_counts_its_own_parameters_for_bic(x64_workspace):
    fit = x64_workspace["dpmm"]
    assert fit.posterior.draws["mu"].dtype == np.float64 and fit.K == 4
    assert fit.num_parameters == 3 + 1 + 4 * 2 + 4 * 3  # sticks, α, means, covariances (bic() uses it)


def test_library_fits_leave_data_on_model_and_ml_results_alone(x64_workspace):
    m = x64_workspace["m"]
    assert list(m.data_on_model) == ["y"] and m.ml.results is x64_workspace["kmeans"]
    assert m.posterior is x64_workspace["dpmm"].posterior  # the last library fit is m's last fit
