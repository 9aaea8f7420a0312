"""The posterior predictive of a user's own model fitted with m.fit: m.sample / m.score_samples and
Posterior.sample_predictive / Posterior.score_samples, for any model (nothing mixture-specific).

The seed's Gaussian mixture (bayesforge.mixtures.gmm.gmm_model: written with m.dist, as gaussian_mixture_models.md
has it) gets a posterior built by hand (no sampler): its scores must equal the library's formula
(MixtureFit.score_samples) on the same draws and a direct SciPy computation. One tiny NUTS fit of a normal
model with a plate over the rows covers m.fit, the workspace verbs and a site with one value per row."""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm

from hand_made import MEANS, WEIGHTS, gmm_posterior, normal_model


@pytest.fixture(scope="module")
def m():
    from bayesforge import bf

    return bf(platform="cpu")


@pytest.fixture(scope="module")
def seed_posterior(m):
    """The seed model's Posterior with 2 chains × 40 hand-made draws around known components (no sampler).
    gmm_model is the page's model with m.dist, site for site: a user's model to m.fit, not the library's fit."""
    return gmm_posterior(m)[0]


def _direct_log_density(draws, X):
    """log (1/S) Σ_s Σ_k w_sk N(x | μ_sk, diag σ_sk²) with SciPy."""
    per_draw = np.stack([
        logsumexp([np.log(draws["weights"][s, k])
                   + multivariate_normal(draws["mu"][s, k], np.diag(draws["sigma"][s, k] ** 2)).logpdf(X)
                   for k in range(3)], axis=0)
        for s in range(len(draws["weights"]))])
    return logsumexp(per_draw, axis=0) - np.log(per_draw.shape[0])


def test_score_samples_of_the_seed_model_equal_the_library_formula_on_the_same_draws(seed_posterior):
    from bayesforge.mixtures.gmm import GMM
    from bayesforge.mixtures.result import MixtureFit

    posterior = seed_posterior
    X = np.array([[-4.0, 0.0], [0.0, 4.2], [4.1, -0.3], [10.0, 10.0], [-2.0, 2.0]])
    scores = posterior.score_samples(X)
    library = MixtureFit.from_posterior(posterior, posterior.model_kwargs["data"], GMM(K=3), seconds=0.0,
                                        max_draws=80).score_samples(X)  # all 80 draws
    assert scores.shape == (5,) and scores.dtype == np.float64
    np.testing.assert_allclose(scores, library, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(scores, _direct_log_density(posterior.draws, X), rtol=1e-4, atol=1e-4)
    # max_draws: the evenly spaced draws MixtureFit keeps
    kept = MixtureFit.from_posterior(posterior, posterior.model_kwargs["data"], GMM(K=3), seconds=0.0,
                                     max_draws=7).score_samples(X)
    np.testing.assert_allclose(posterior.score_samples(X, max_draws=7), kept, rtol=1e-4, atol=1e-4)
    # rows go through in padded batches: scoring them one by one gives the same
    np.testing.assert_allclose([posterior.score_samples(X[i:i + 1])[0] for i in range(5)], scores, rtol=1e-5,
                               atol=1e-5)


def test_sample_of_the_seed_model_draws_from_the_posterior_predictive(seed_posterior):
    posterior = seed_posterior
    points = posterior.sample_predictive(6000, seed=1)
    assert points.shape == (6000, 2)
    draws = posterior.draws
    expected_mean = np.einsum("sk,skd->d", draws["weights"], draws["mu"]) / len(draws["weights"])
    np.testing.assert_allclose(points.mean(axis=0), expected_mean, atol=0.1)
    # about WEIGHTS of the points near each component's mean
    nearest = np.argmin(((points[:, None] - MEANS[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_allclose(np.bincount(nearest, minlength=3) / len(points), WEIGHTS, atol=0.03)
    np.testing.assert_array_equal(points, posterior.sample_predictive(6000, seed=1))
    assert not np.array_equal(points[:10], posterior.sample_predictive(10, seed=2))


def _normal_model(m):
    return normal_model(m, plate="rows")


@pytest.fixture(scope="module")
def normal_fit():
    """A tiny NUTS fit of y ~ Normal(mu, sigma) over a plate of rows, with m.fit (its own workspace)."""
    from bayesforge import bf

    m = bf(platform="cpu")
    y = np.random.default_rng(0).normal(3.0, 2.0, size=40)
    m.data_on_model = {"y": y}
    m.fit(_normal_model(m), num_warmup=100, num_samples=150, num_chains=1, progress_bar=False)
    return m


def test_m_fit_models_get_sample_and_score_samples_from_the_workspace(normal_fit):
    m = normal_fit
    draws = m.posteriors
    X = np.array([0.0, 3.0, 7.5])
    direct = logsumexp(norm(draws["mu"][:, None], draws["sigma"][:, None]).logpdf(X[None]), axis=0) - np.log(
        len(draws["mu"]))
    np.testing.assert_allclose(m.score_samples(X), direct, rtol=1e-4, atol=1e-4)  # 3 rows, the model had 40
    points = m.sample(4000, seed=0)
    assert points.shape == (4000,)
    spread = np.sqrt(np.mean(draws["sigma"] ** 2) + np.var(draws["mu"]))
    assert points.mean() == pytest.approx(draws["mu"].mean(), abs=4 * spread / np.sqrt(4000))
    assert points.std() == pytest.approx(spread, rel=0.06)


def test_errors_name_site_and_x(m, normal_fit):
    import numpyro.distributions as dist

    from bayesforge.posterior import Posterior

    def two_sites(x, y):  # no plate: each site one distribution, its obs broadcast over the rows
        mu = m.dist.normal(0.0, 1.0, name="mu")
        m.dist.normal(mu, 1.0, name="x", obs=x)
        m.dist.normal(2 * mu, 1.0, name="y", obs=y)

    def no_site():
        m.dist.normal(0.0, 1.0, name="mu")

    mu = {"mu": np.zeros((1, 5), np.float32)}
    both = Posterior(mcmc=None, model=two_sites, model_kwargs={"x": np.zeros(3), "y": np.ones(3)},
                     devices=m.devices, samples_by_chain=mu)
    with pytest.raises(ValueError, match=r"site: the model observes 2 sites \('x', 'y'\); pass site= one of them"):
        both.sample_predictive(3)
    with pytest.raises(ValueError, match=r"site: the model observes 2 sites"):
        both.score_samples(np.zeros(2))
    with pytest.raises(ValueError, match=r"site='z' is not an observed site of the model; its observed sites: 'x', 'y'"):
        both.score_samples(np.zeros(2), site="z")
    np.testing.assert_allclose(both.score_samples(np.array([2.0]), site="y"), dist.Normal(0.0, 1.0).log_prob(2.0),
                               rtol=1e-5)
    assert both.sample_predictive(3, site="x", seed=0).shape == (3,)
    none = Posterior(mcmc=None, model=no_site, model_kwargs={}, devices=m.devices, samples_by_chain=mu)
    with pytest.raises(ValueError, match="site: the model has no observed site"):
        none.sample_predictive(2)
    with pytest.raises(ValueError, match=r"X must have the shape of the observed data of site 'y' \(40,\)"):
        normal_fit.score_samples(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="X must be numeric"):
        normal_fit.score_samples(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="n must be"):
        normal_fit.sample(0)
