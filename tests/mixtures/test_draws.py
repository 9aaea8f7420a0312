"""bayesforge.mixtures.draws: a mixture's weights, means and covariances read out of any model's posterior (the
hand-made GMM posterior of tests/hand_made.py: no sampler)."""
import numpy as np
import numpyro.distributions as npd
import pytest

from bayesforge.mixtures.draws import (MixtureDraws, gaussian_mixture_draws, gaussian_mixture_of, marginal_draws,
                                       unwrapped)
from hand_made import gmm_posterior


@pytest.fixture
def posterior(m):
    return gmm_posterior(m, chains=2, draws=10)


def test_the_draws_are_the_posteriors_weights_means_and_covariances(posterior):
    post, data, samples = posterior
    draws = gaussian_mixture_draws(post.model, post.model_kwargs, post.draws)
    assert draws.site == "obs" and draws.num_components == 3
    assert draws.weights.shape == (20, 3) and draws.means.shape == (20, 3, 2) and draws.covariances.shape == (20, 3, 2, 2)
    flat = {name: value.reshape((20,) + value.shape[2:]) for name, value in samples.items()}
    np.testing.assert_allclose(draws.weights, flat["weights"], rtol=1e-5)
    np.testing.assert_allclose(draws.means, flat["mu"], rtol=1e-5)
    # Lcorr is the identity: diagonal covariances σ² (the page's GMM adds no floor)
    np.testing.assert_allclose(np.diagonal(draws.covariances, axis1=-2, axis2=-1), flat["sigma"] ** 2, rtol=1e-4)


def test_at_most_max_draws_evenly_spaced(posterior):
    post, _, samples = posterior
    draws = gaussian_mixture_draws(post.model, post.model_kwargs, post.draws, max_draws=4)
    flat = samples["mu"].reshape((20,) + samples["mu"].shape[2:])
    np.testing.assert_allclose(draws.means, flat[[0, 6, 12, 19]], rtol=1e-5)


def test_only_an_observed_gaussian_mixture_site_counts_and_wrappers_are_seen_through():
    import jax.numpy as jnp

    normal = npd.Normal(0.0, 1.0)
    assert unwrapped(normal.expand([3]).to_event(1).mask(True)) is normal
    mixture = npd.MixtureSameFamily(npd.Categorical(probs=jnp.array([0.5, 0.5])),
                                    npd.MultivariateNormal(jnp.zeros((2, 2)), scale_tril=jnp.broadcast_to(jnp.eye(2), (2, 2, 2))))
    observed = {"type": "sample", "is_observed": True}
    assert gaussian_mixture_of({**observed, "fn": mixture.expand([4])}) is mixture
    assert gaussian_mixture_of({**observed, "fn": normal}) is None
    assert gaussian_mixture_of({"type": "sample", "is_observed": False, "fn": mixture}) is None  # a latent mixture
    assert gaussian_mixture_of({"type": "deterministic", "fn": mixture}) is None


def test_a_model_without_a_gaussian_mixture_is_an_error_saying_what_is_needed():
    def model(y):
        import numpyro
        numpyro.sample("y", npd.Normal(0.0, 1.0), obs=y)

    with pytest.raises(ValueError, match="this model has no Gaussian mixture to draw"):
        gaussian_mixture_draws(model, {"y": np.zeros(3)}, {"unused": np.zeros(2)})


def test_marginal_and_central_covariances():
    covariances = np.array([[[[1.0, 0.5, 0.0], [0.5, 2.0, 0.0], [0.0, 0.0, 3.0]]]] * 3)
    covariances[1, 0] *= 4.0
    draws = MixtureDraws("obs", np.ones((3, 1)), np.arange(9.0).reshape(3, 1, 3), covariances)
    marginal = marginal_draws(draws, [2, 0])
    np.testing.assert_array_equal(marginal.means[:, 0], [[2.0, 0.0], [5.0, 3.0], [8.0, 6.0]])
    np.testing.assert_array_equal(marginal.covariances[0, 0], [[3.0, 0.0], [0.0, 1.0]])
    # the log-Euclidean mean of C, 4C, C is 4^(1/3) C
    np.testing.assert_allclose(draws.central_covariances()[0], 4 ** (1 / 3) * covariances[0, 0], rtol=1e-10)
