"""The seed GMM and its data, shared by the benchmark scripts (written twice on purpose: raw NumPyro
and BayesForge, so the overhead of the BayesForge layer can be measured side by side)."""
from __future__ import annotations

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs


def seed_data(n_samples: int = 500):
    """The page's data (make_blobs, 8 centres) and k-means centroids (n_init=10, random_state=0)."""
    data, labels = make_blobs(n_samples=n_samples, centers=8, cluster_std=0.8, center_box=(-10, 10), random_state=101)
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
    """The seed model written with ``m.dist``, exactly as on the page."""
    def gmm(data, K, initial_means):
        D = data.shape[1]
        w = m.dist.dirichlet(concentration=0.5 * jnp.ones(K), name="weights")
        with m.dist.plate("components", K):
            mu = m.dist.multivariate_normal(loc=initial_means, covariance_matrix=0.1 * jnp.eye(D), name="mu")
            sigma = m.dist.half_cauchy(1, shape=(D,), event=1, name="sigma")
            Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
            scale_tril = sigma[..., None] * Lcorr
        m.dist.mixture_same_family(
            mixing_distribution=m.dist.categorical(probs=w, create_obj=True),
            component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True),
            name="obs", obs=data)
    return gmm
