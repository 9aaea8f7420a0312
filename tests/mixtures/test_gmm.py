"""The GMM library model: one K="auto" fit of the seed data (its selected K=8 fit read by the other tests), bad
input to m.gmm / m.choose_k / m.dpmm. The DPMM: tests/mixtures/test_dpmm.py; label switching:
tests/mixtures/test_relabel.py; memberships of mixture draws: tests/mixtures/test_memberships.py."""
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from bayesforge.mixtures.gmm import seed_data

# -- the library GMM, fitted once: m.gmm(K="auto") on the seed data, whose selected K=8 fit the other tests read ----

@pytest.fixture(scope="module")
def seed_fit():
    from bayesforge import bf

    m = bf(platform="cpu")
    data, labels = seed_data(500)  # at N = 300 two of the blobs are too close for the selection to tell apart
    reported = []
    # K = 7, 8, 9: the true K and one on each side is what the selection rule needs (each K is a compilation and a
    # fit); the selected fit is the K=8 fit the other tests of this module read, so no fourth fit is needed. Its K=8
    # program (500 seed points, 2 chains x 150 + 150, seed 0) is also r/tests/testthat/test-fit-methods.R's seed fit:
    # keep them in step, and the run's compilation cache compiles it once (conftest.SHARED_COMPILATIONS)
    fit = m.gmm(data, K="auto", ks=range(7, 10), num_warmup=150, num_samples=150, num_chains=2,
                on_fit=lambda k, fit, index, total: reported.append((k, fit.K, index, total)))
    return m, fit, data, labels, reported


def test_gmm_in_one_line_recovers_the_clusters(seed_fit):
    m, fit, data, labels, _ = seed_fit
    assert fit.K == 8 and fit.kind == "gmm"
    assert adjusted_rand_score(labels, fit.predict()) >= 0.9
    assert fit.diagnostics["max_r_hat"] <= 1.05 and fit.diagnostics["divergences"] == 0
    assert fit.diagnostics["chain_method"] == "parallel"
    np.testing.assert_allclose(fit.weights.sum(), 1.0, atol=1e-5)
    assert fit.means.shape == (8, 2) and fit.covariances.shape == (8, 2, 2)
    # the fit is m's last fit: m.summary() is the relabelled table
    assert m.posterior is fit.posterior
    assert list(fit.summary().index[:2]) == ["weights[0]", "weights[1]"]
    assert fit.feature_names is None  # a plain array has no column names
    np.testing.assert_allclose(m.posteriors["mu"].mean(axis=0), fit.posterior.draws["mu"].mean(axis=0))


def test_predict_proba_on_new_points(seed_fit):
    _, fit, data, _, _ = seed_fit
    probabilities = fit.predict_proba()
    assert probabilities.shape == (500, 8)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    new = fit.means + 0.01  # a point on each component's centre belongs to it
    assert fit.predict(new).tolist() == list(range(8))
    assert fit.predict_proba(new).max(axis=1).min() > 0.9
    np.testing.assert_allclose(fit.predict_proba(data[:10], batch_size=3), probabilities[:10], atol=1e-6)
    with pytest.raises(ValueError, match="X has 3 columns but the mixture was fitted to 2"):
        fit.predict_proba(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X has 1 NaN/inf"):
        fit.predict([[np.nan, 0.0]])


def test_loo_waic_and_bic(seed_fit):
    _, fit, data, _, _ = seed_fit
    loo, waic = fit.loo(), fit.waic()
    assert loo.elpd_loo < 0 and abs(loo.elpd_loo - waic.elpd_waic) < 5
    log_likelihood = fit.posterior.to_arviz().log_likelihood["obs"].sum("obs_dim_0")
    parameters = 7 + 8 * 2 + 8 * 3
    assert fit.num_parameters == parameters
    np.testing.assert_allclose(fit.bic(), -2 * float(log_likelihood.max()) + parameters * np.log(500), rtol=1e-6)


def test_number_of_occupied_clusters(seed_fit):
    _, fit, _, _, _ = seed_fit
    counts = np.bincount(fit.occupied_clusters(), minlength=9)
    assert counts.argmax() == 8


def test_gmm_on_one_feature_and_one_component(m):
    data, _ = seed_data(200)
    one_d = m.gmm(data[:, :1], K=2, num_warmup=100, num_samples=100, num_chains=2)
    assert one_d.means.shape == (2, 1) and "Lcorr" not in one_d.posterior.draws
    single = m.gmm(data, K=1, num_warmup=100, num_samples=100, num_chains=2)
    np.testing.assert_allclose(single.predict_proba(), 1.0)
    np.testing.assert_allclose(single.means[0], data.mean(axis=0), atol=0.5)


# -- choosing K -------------------------------------------------------------------------------------------

def test_k_auto_selects_8_on_the_seed_data(seed_fit, tmp_path):
    m, fit, _, _, reported = seed_fit
    assert reported == [(k, k, k - 6, 3) for k in range(7, 10)]
    selection = fit.selection
    table = selection.table
    assert list(table.index) == list(range(7, 10)) and table.index.name == "K"
    assert {"elpd_loo", "se_loo", "elpd_waic", "se_waic", "bic", "dse_loo", "max_r_hat", "converged",
            "status"} <= set(table.columns)
    assert selection.criterion == "loo" and selection.selected_k == 8 and fit.K == 8, table
    assert table.loc[8, "status"] == "converged" and table.loc[8, "converged"]
    assert table["bic"].idxmin() in (7, 8)  # BIC (max log-likelihood of the draws) is close between 7 and 8 here
    # no back-pointer: the fit's selection is the comparison alone, without the fits it compared
    assert not hasattr(selection, "fits") and not hasattr(selection, "best")
    assert m.posterior is fit.posterior  # m.summary() shows the selected fit
    figure = selection.plot(path=tmp_path / "k.png")
    assert (tmp_path / "k.png").read_bytes()[:4] == b"\x89PNG" and len(figure.axes) >= 2


# -- bad input: each a clear error naming the argument --------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda m, d: m.gmm(d[:, 0], K=2), ValueError, r"data must be a 2-D array .*reshape\(-1, 1\)"),
    (lambda m, d: m.gmm(np.where(d == d[3, 1], np.nan, d), K=2), ValueError, r"data has 1 NaN/inf value\(s\), the first at row 3, column 1"),
    (lambda m, d: m.gmm(np.where(d == d[5, 0], np.inf, d), K=2), ValueError, r"data has 1 NaN/inf .* row 5, column 0"),
    (lambda m, d: m.gmm(d, K=0), ValueError, r"K must be at least 1"),
    (lambda m, d: m.gmm(d, K=2.5), (TypeError, ValueError), r"K must be a whole number"),
    (lambda m, d: m.gmm(d, K="many"), ValueError, r"K must be a positive whole number or 'auto'"),
    (lambda m, d: m.gmm(d, K=21), ValueError, r"K=21 is more than the 20 points in data"),
    (lambda m, d: m.gmm(d, K=3, initial_means=np.zeros((2, 2))), ValueError, r"initial_means must be K×D = 3×2 .* got shape \(2, 2\)"),
    (lambda m, d: m.gmm(d, K=3, initial_means=np.zeros(6)), ValueError, r"initial_means must be a 2-D array"),
    (lambda m, d: m.gmm(d, K="auto", initial_means=np.zeros((3, 2))), ValueError, r"initial_means needs a fixed K"),
    (lambda m, d: m.choose_k(d, ks=[]), ValueError, r"ks is empty"),
    (lambda m, d: m.choose_k(d, ks=[2, 2]), ValueError, r"ks has repeated values"),
    (lambda m, d: m.choose_k(d, ks=[0, 1]), ValueError, r"ks must be at least 1"),
    (lambda m, d: m.choose_k(d, ks=5), TypeError, r"ks must be a sequence"),
    (lambda m, d: m.choose_k(d, ks=[1], criterion="aic"), ValueError, r"criterion must be one of \('loo', 'waic', 'bic'\)"),
    (lambda m, d: m.dpmm(d, T=1), ValueError, r"T must be at least 2"),
    (lambda m, d: m.dpmm(d, T=4.5), (TypeError, ValueError), r"T must be a whole number"),
    (lambda m, d: m.gmm(d, K=2, max_draws=0), ValueError, r"max_draws must be at least 1"),
])
def test_bad_input_is_a_clear_error_naming_the_argument(m, call, error, message):
    data, _ = seed_data(20)
    with pytest.raises(error, match=message):
        call(m, data)
