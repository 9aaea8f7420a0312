"""Models and posteriors the tests build by hand, written once: a three-component GMM posterior whose truth is
known (no sampler), the normal model with unknown mean and sd, and two fit steps (start at mu = 3, shift mu by 100)."""
import numpy as np
from numpyro.infer import init_to_value

from bayesforge.steps import PostStep, StartStep

MEANS = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
WEIGHTS = np.array([0.5, 0.3, 0.2])
SCALES = np.array([[0.5, 0.5], [0.8, 0.4], [0.3, 0.6]])


def gmm_posterior(m, chains=2, draws=40):
    """The page's GMM (``gmm_model``, K=3) as a Posterior of ``chains`` × ``draws`` hand-made draws around MEANS,
    SCALES and WEIGHTS, on 300 points drawn from them; returns (posterior, data, samples)."""
    from bayesforge.mixtures.gmm import gmm_model
    from bayesforge.posterior import Posterior

    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(mean, scale, size=(int(300 * w), 2))
                           for mean, scale, w in zip(MEANS, SCALES, WEIGHTS)])
    shape = (chains, draws)
    samples = {
        "weights": rng.dirichlet(300 * WEIGHTS, size=shape),
        "mu": MEANS + rng.normal(0, 0.05, size=shape + (3, 2)),
        "sigma": SCALES * np.exp(rng.normal(0, 0.03, size=shape + (3, 2))),
        "Lcorr": np.broadcast_to(np.eye(2), shape + (3, 2, 2)),
    }
    samples = {name: value.astype(np.float32) for name, value in samples.items()}
    posterior = Posterior(mcmc=None, model=gmm_model(m), model_kwargs={"data": data, "K": 3, "initial_means": MEANS},
                          devices=m.devices, samples_by_chain=samples)
    return posterior, data, samples


def normal_model(m, prior_mean=0.0, prior_sd=10.0, plate="n"):
    """``model(y)``: y ~ Normal(mu, sigma) per row, mu ~ Normal(prior_mean, prior_sd), sigma ~ HalfNormal(5)."""
    def model(y):
        mu = m.dist.normal(prior_mean, prior_sd, name="mu")
        sigma = m.dist.half_normal(5.0, name="sigma")
        with m.dist.plate(plate, y.shape[0]):
            m.dist.normal(mu, sigma, name="y", obs=y)

    return model


class Three(StartStep):
    name = "three"

    def start(self, model, model_kwargs, seed):
        return init_to_value(values={"mu": 3.0}), "three"

    def describe(self, init_strategy):
        return None


class Shift(PostStep):
    name = "shift"

    def apply(self, posterior):
        draws = posterior.by_chain()
        return {**draws, "mu": draws["mu"] + 100.0}, "shifted by 100"
