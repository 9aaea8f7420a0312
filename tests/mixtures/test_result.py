"""MixtureFit: scikit-learn's names, the posterior predictive (score_samples, sample, AIC/BIC), DataFrames, ArviZ dims."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from hand_made import MEANS, SCALES, WEIGHTS, gmm_posterior


def _pointwise_log_likelihood(samples, data):
    """log p(x_i | draw): chains × draws × N, computed directly with SciPy."""
    weights, mu, sigma = (samples[name].astype(float) for name in ("weights", "mu", "sigma"))
    out = np.empty(weights.shape[:2] + (len(data),))
    for c, d in np.ndindex(*weights.shape[:2]):
        out[c, d] = logsumexp([np.log(weights[c, d, k])
                               + multivariate_normal(mu[c, d, k], np.diag(sigma[c, d, k] ** 2)).logpdf(data)
                               for k in range(3)], axis=0)
    return out


@pytest.fixture(scope="module")
def hand_made():
    """A MixtureFit of the page's GMM (K=3) on a posterior built by hand (no sampler): the truth is known.

    Its InferenceData is made as ArviZ makes a sampler's (default dims ``<site>_dim_<i>``).
    """
    from bayesforge import bf
    from bayesforge.mixtures.gmm import GMM
    from bayesforge.mixtures.result import MixtureFit
    from bayesforge.posterior import arviz

    m = bf(platform="cpu")
    posterior, data, samples = gmm_posterior(m)
    posterior._idata = arviz().from_dict(posterior=samples, observed_data={"obs": data},
                                         log_likelihood={"obs": _pointwise_log_likelihood(samples, data)})
    return MixtureFit.from_posterior(posterior, data, GMM(K=3), seconds=0.0, feature_names=("a", "b"))


def test_scikit_learn_names_are_the_same_values(hand_made):
    fit = hand_made
    assert fit.n_components == fit.K == 3
    np.testing.assert_array_equal(fit.weights_, fit.weights)
    np.testing.assert_array_equal(fit.means_, fit.means)
    np.testing.assert_allclose(fit.covariances_, fit.covariances)
    np.testing.assert_allclose(fit.means_, MEANS, atol=0.05)
    np.testing.assert_allclose(fit.weights_, WEIGHTS, atol=0.03)


def test_score_samples_is_the_log_mean_over_draws_of_the_mixture_density(hand_made):
    fit = hand_made
    draws = fit.draws
    points = np.array([[-4.0, 0.2], [0.5, 3.0], [10.0, -10.0], [0.0, 0.0]])
    per_draw = np.array([[logsumexp([np.log(draws.weights[s, k])
                                     + multivariate_normal(draws.means[s, k], draws.covariances[s, k]).logpdf(x)
                                     for k in range(3)])
                          for s in range(draws.weights.shape[0])] for x in points])
    expected = logsumexp(per_draw, axis=1) - np.log(draws.weights.shape[0])
    np.testing.assert_allclose(fit.score_samples(points), expected, rtol=1e-5)
    np.testing.assert_allclose(fit.score_samples(points, batch_size=3), expected, rtol=1e-5)  # batches padded
    assert fit.score(points) == pytest.approx(expected.mean(), rel=1e-5)
    assert fit.score_samples().shape == (300,)  # default: the data


def test_dataframes_keep_their_index_and_columns_are_matched_by_name(hand_made):
    fit = hand_made
    points = np.array([[-4.0, 0.2], [0.5, 3.0], [4.1, -0.1]])
    frame = pd.DataFrame(points, columns=["a", "b"], index=["p", "q", "r"])
    probabilities = fit.predict_proba(frame)
    assert isinstance(probabilities, pd.DataFrame)
    assert list(probabilities.index) == ["p", "q", "r"] and list(probabilities.columns) == [0, 1, 2]
    np.testing.assert_allclose(probabilities.to_numpy(), fit.predict_proba(points))
    labels = fit.predict(frame)
    assert isinstance(labels, pd.Series) and labels.to_dict() == {"p": 0, "q": 1, "r": 2}
    scores = fit.score_samples(frame[["b", "a"]])  # columns taken by name, not position
    assert list(scores.index) == ["p", "q", "r"]
    np.testing.assert_allclose(scores.to_numpy(), fit.score_samples(points))
    assert isinstance(fit.predict(points), np.ndarray)  # arrays in, arrays out
    with pytest.raises(ValueError, match=r"no column\(s\) \['b'\]"):
        fit.predict(frame[["a"]].rename(columns={"a": "c"}).assign(a=0.0))
    with pytest.raises(ValueError, match="X has 3 columns but the mixture was fitted to 2"):
        fit.score_samples(np.zeros((2, 3)))


def test_sample_draws_from_the_posterior_predictive(hand_made):
    fit = hand_made
    points, components = fit.sample(20_000, seed=0)
    assert points.shape == (20_000, 2) and components.shape == (20_000,)
    assert components.dtype == np.int64 and set(np.unique(components)) == {0, 1, 2}
    np.testing.assert_allclose(np.bincount(components) / 20_000, WEIGHTS, atol=0.015)
    for k in range(3):
        mine = points[components == k]
        np.testing.assert_allclose(mine.mean(axis=0), MEANS[k], atol=0.05)
        np.testing.assert_allclose(mine.std(axis=0), SCALES[k], rtol=0.06)
    np.testing.assert_allclose(points.mean(axis=0), WEIGHTS @ MEANS, atol=0.1)
    again, _ = fit.sample(20_000, seed=0)
    np.testing.assert_array_equal(points, again)
    assert not np.array_equal(points, fit.sample(20_000, seed=1)[0])
    assert fit.sample(5, seed=np.random.default_rng(3))[0].shape == (5, 2)
    with pytest.raises(ValueError, match="n_samples must be at least 1, got 0"):
        fit.sample(0)


def test_aic_and_bic_of_new_points_use_the_best_draw(hand_made):
    fit = hand_made
    points = fit.sample(50, seed=2)[0]
    best = -0.5 * (fit.bic(points) - fit.num_parameters * np.log(50))
    draws = fit.draws
    totals = [sum(logsumexp([np.log(draws.weights[s, k])
                             + multivariate_normal(draws.means[s, k], draws.covariances[s, k]).logpdf(x)
                             for k in range(3)]) for x in points) for s in range(0, draws.weights.shape[0], 8)]
    assert best >= max(totals) - 1e-3 * abs(max(totals))
    assert fit.aic(points) == pytest.approx(-2 * best + 2 * fit.num_parameters, rel=1e-6)


def test_feature_labels_default_to_x1_x2(hand_made):
    assert hand_made.feature_labels == ("a", "b")
    assert dataclasses.replace(hand_made, feature_names=None).feature_labels == ("x1", "x2")


def test_inference_data_has_named_dims_and_coords(hand_made):
    fit = hand_made
    idata = fit.to_arviz()
    posterior = idata.posterior
    assert posterior["weights"].dims == ("chain", "draw", "component")
    assert posterior["mu"].dims == ("chain", "draw", "component", "feature")
    assert posterior["sigma"].dims == ("chain", "draw", "component", "feature")
    assert posterior["Lcorr"].dims == ("chain", "draw", "component", "feature", "feature_bis")
    assert list(posterior["component"].values) == [0, 1, 2]
    assert list(posterior["feature"].values) == list(posterior["feature_bis"].values) == ["a", "b"]
    assert idata.log_likelihood["obs"].dims == ("chain", "draw", "observation")
    assert list(idata.log_likelihood["observation"].values) == list(range(300))
    assert idata.observed_data["obs"].dims == ("observation", "feature")
    np.testing.assert_allclose(idata.observed_data["obs"].values, fit.data)
    np.testing.assert_allclose(posterior["mu"].mean(("chain", "draw")).values, fit.means, rtol=1e-5)
    assert np.isfinite(float(fit.loo().elpd_loo))  # ArviZ reads the renamed dims
    assert fit.to_arviz() is idata  # built once
    assert "feature" not in fit.posterior.to_arviz().posterior["mu"].dims  # the sampler's own is left as it was
    unnamed = dataclasses.replace(fit, feature_names=None).to_arviz()
    assert list(unnamed.posterior["feature"].values) == ["x1", "x2"]


def test_bic_of_the_data_matches_bic_of_the_data_given_as_x(hand_made):
    fit = hand_made  # 2 chains × 40 draws, all kept (max_draws 400): both scan the same draws
    assert fit.bic(fit.data) == pytest.approx(fit.bic(), rel=1e-5)
    assert fit.bic() - fit.aic() == pytest.approx(fit.num_parameters * (np.log(300) - 2))
    assert fit.score() == pytest.approx(float(np.mean(fit.score_samples(fit.data))))


def test_the_figure_names_its_axes_after_the_data_columns(hand_made):
    import matplotlib.pyplot as plt

    figure = hand_made.plot()
    try:
        main = figure.axes[0]
        assert (main.get_xlabel(), main.get_ylabel()) == ("a", "b")
    finally:
        plt.close(figure)
    figure = hand_made.plot(feature_names=["u", "v"])  # an explicit choice wins
    try:
        assert (figure.axes[0].get_xlabel(), figure.axes[0].get_ylabel()) == ("u", "v")
    finally:
        plt.close(figure)
