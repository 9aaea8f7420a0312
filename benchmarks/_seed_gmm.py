"""The seed GMM and its data, shared by the benchmark scripts: the model in raw NumPyro (written out
here on purpose, as a NumPyro user would) and the library's m.dist version, measured side by side."""
from __future__ import annotations

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from sklearn.cluster import KMeans


def seed_data(n_samples: int = 500):
    """The page's data (make_blobs, 8 centres) and k-means centroids (n_init=10, random_state=0)."""
    from bayesforge.mixtures.gmm import seed_data as page_data

    data, labels = page_data(n_samples)
    centroids = KMeans(n_clusters=8, n_init=10, random_state=0).fit(data).cluster_centers_
    return data, labels, centroids


def raw_numpyro_gmm(data, K, initial_means):
    """The seed model as a NumPyro user writes it."""
    D = data.shape[1]
    w = numpyro.sample("weights", dist.Dirichlet(0.5 * jnp.ones(K)))
    with numpyro.plate("components", K):
        mu = numpyro.sample("mu", dist.MultivariateNormal(initial_means, 0.1 * jnp.eye(D)))
        sigma = numpyro.sample("sigma", dist.HalfCauchy(1.0).expand((D,)).to_event(1))
        Lcorr = numpyro.sample("Lcorr", dist.LKJCholesky(D, concentration=1.0))
        scale_tril = sigma[..., None] * Lcorr
    numpyro.sample("obs", dist.MixtureSameFamily(dist.Categorical(probs=w),
                                                 dist.MultivariateNormal(mu, scale_tril=scale_tril)), obs=data)


def bayesforge_gmm(m):
    """The seed model written with ``m.dist``, exactly as on the page (the library's copy)."""
    from bayesforge.mixtures.gmm import gmm_model

    return gmm_model(m)
