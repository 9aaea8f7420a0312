"""The documentation page's Gaussian mixture, as a library model, and the page's data.

>>> from bayesforge import bf
>>> from bayesforge.models.gmm import gmm_model, seed_data
>>> data, labels = seed_data(n_samples=200)
>>> data.shape, len(set(labels))
((200, 2), 8)
>>> m = bf(platform="cpu")
>>> model = gmm_model(m)              # model(data, K, initial_means), for m.fit
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["gmm_model", "seed_data"]


def seed_data(n_samples: int = 500, random_state: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """The page's data: scikit-learn ``make_blobs`` with 8 centres in [-10, 10]², sd 0.8."""
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=n_samples, centers=8, cluster_std=0.8, center_box=(-10, 10),
                      random_state=random_state)


def gmm_model(m) -> Callable[..., Any]:
    """The page's marginalised GMM written with ``m.dist``: ``model(data, K, initial_means)``.

    Weights ~ Dirichlet(0.5); per component: mean ~ MVN(initial mean, 0.1 I), scales ~
    HalfCauchy(1), correlation Cholesky factor ~ LKJ(1); the component label is summed out.
    """
    import jax.numpy as jnp

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
            name="obs",
            obs=data,
        )

    return gmm
