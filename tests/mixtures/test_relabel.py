"""bayesforge.mixtures.relabel: label switching undone on posteriors of the page's GMM built by hand (no sampler: the labels
are known), within and across chains; a model without a mixture is left alone; relabel= is checked."""
import numpy as np
import pytest

from bayesforge.mixtures.relabel import relabelled, relabelling_of

# -- label switching, on a posterior built by hand (no sampler: the labels are known) -----------------

TRUE_MEANS = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
TRUE_WEIGHTS = np.array([0.5, 0.3, 0.2])


def _hand_made_posterior(m, chain_permutations, draws_per_chain=100, seed=0):
    """A Posterior of the page's GMM (K=3) whose chain c uses labels ``chain_permutations[c]``."""
    from bayesforge.mixtures.gmm import gmm_model
    from bayesforge.posterior import Posterior

    rng = np.random.default_rng(seed)
    data = np.concatenate([rng.normal(mean, 0.5, size=(int(400 * w), 2)) for mean, w in zip(TRUE_MEANS, TRUE_WEIGHTS)])
    chains = {"weights": [], "mu": [], "sigma": [], "Lcorr": []}
    for permutation in chain_permutations:
        s = draws_per_chain
        weights = rng.dirichlet(400 * TRUE_WEIGHTS, size=s)
        mu = TRUE_MEANS[None] + rng.normal(0, 0.03, size=(s, 3, 2))
        sigma = 0.5 + np.abs(rng.normal(0, 0.02, size=(s, 3, 2)))
        lcorr = np.broadcast_to(np.eye(2), (s, 3, 2, 2))
        for name, value in (("weights", weights), ("mu", mu), ("sigma", sigma), ("Lcorr", lcorr)):
            chains[name].append(np.take(value, permutation, axis=1))
    samples = {name: np.stack(values).astype(np.float32) for name, values in chains.items()}
    kwargs = {"data": data, "K": 3, "initial_means": TRUE_MEANS}
    return Posterior(mcmc=None, model=gmm_model(m), model_kwargs=kwargs, devices=m.devices, samples_by_chain=samples)


def test_relabelling_puts_chains_with_permuted_labels_back_in_one_labelling(m):
    permuted = _hand_made_posterior(m, [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1]])
    raw = permuted.summary(var_names=["weights", "mu"], round_to=None)
    assert raw["r_hat"].max() > 1.5  # the problem is real: averaging over labels mixes clusters
    aligned = relabelled(permuted)
    table = aligned.summary(var_names=["weights", "mu"], round_to=None)
    assert table["r_hat"].max() < 1.05
    np.testing.assert_allclose(table.loc[[f"weights[{k}]" for k in range(3)], "mean"], TRUE_WEIGHTS, atol=0.02)
    mu = table.loc[[f"mu[{k}, {d}]" for k in range(3) for d in range(2)], "mean"].to_numpy().reshape(3, 2)
    np.testing.assert_allclose(mu, TRUE_MEANS, atol=0.05)  # chain 0's labels are the reference
    assert relabelling_of(aligned).layout.component_axes == {"weights": -1, "mu": -2, "sigma": -2, "Lcorr": -3}
    # each draw's permutation undoes its chain's
    assert [tuple(p) for p in relabelling_of(aligned).permutations[::100]] == [(0, 1, 2), (1, 2, 0), (2, 0, 1), (0, 2, 1)]


def test_relabelling_also_fixes_switches_inside_one_chain(m):
    posterior = _hand_made_posterior(m, [[0, 1, 2]])
    samples = {k: v.copy() for k, v in posterior.samples_by_chain.items()}
    for name, axis in (("weights", 2), ("mu", 2), ("sigma", 2)):
        samples[name][0, 50:] = np.take(samples[name][0, 50:], [1, 0, 2], axis=axis - 1)
    posterior.samples_by_chain = samples
    mu = relabelled(posterior).draws["mu"]
    np.testing.assert_allclose(mu.mean(axis=0), TRUE_MEANS, atol=0.05)
    assert mu[:, 0, 0].max() < -3.5  # no draw of component 0 is elsewhere


def test_a_model_without_a_mixture_is_left_alone(m):
    m.data_on_model = {"y": np.array([0.1, -0.2, 0.3])}
    m.fit(lambda y: m.dist.normal(m.dist.normal(0, 1, name="mu"), 1, name="y", obs=y),
          num_warmup=50, num_samples=50, num_chains=2, progress_bar=False)  # 2 parallel chains: faster than 1
    assert relabelling_of(m.posterior) is None and m.posterior.samples_by_chain is None


def test_relabel_must_be_a_bool(m):
    m.data_on_model = {"y": np.zeros(2)}
    with pytest.raises(TypeError, match="relabel must be True or False"):
        m.fit(lambda y: None, relabel="yes")
