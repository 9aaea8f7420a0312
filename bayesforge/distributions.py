"""Distributions that BayesForge substitutes for NumPyro's own.

Only one today: :class:`MultivariateNormal`, identical in behaviour to
``numpyro.distributions.MultivariateNormal`` but computing its log-density and
Cholesky factor without LAPACK for small dimensions, which avoids a JAX thread
pool deadlock under parallel chains (see :mod:`bayesforge.linalg`).

>>> import jax.numpy as jnp
>>> d = MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2))
>>> round(float(d.log_prob(jnp.zeros(2))), 4)
-1.8379
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpyro.distributions as npd
from numpyro.distributions.util import validate_sample

from .linalg import MAX_UNROLLED_DIM, cholesky_lower, solve_lower

__all__ = ["MultivariateNormal", "REPLACEMENTS"]


class MultivariateNormal(npd.MultivariateNormal):
    """``numpyro.distributions.MultivariateNormal`` with a LAPACK-free path for D ≤ 16."""

    def __init__(self, loc=0.0, covariance_matrix=None, precision_matrix=None, scale_tril=None, *, validate_args=None):
        if covariance_matrix is not None and scale_tril is None and precision_matrix is None:
            covariance_matrix = jnp.asarray(covariance_matrix)
            if covariance_matrix.ndim >= 2 and covariance_matrix.shape[-1] <= MAX_UNROLLED_DIM:
                scale_tril, covariance_matrix = cholesky_lower(covariance_matrix), None
        super().__init__(
            loc,
            covariance_matrix=covariance_matrix,
            precision_matrix=precision_matrix,
            scale_tril=scale_tril,
            validate_args=validate_args,
        )

    @validate_sample
    def log_prob(self, value):
        dim = self.event_shape[-1]
        if dim > MAX_UNROLLED_DIM:
            return super().log_prob(value)
        whitened = solve_lower(self.scale_tril, value - self.loc)
        mahalanobis = jnp.sum(whitened**2, axis=-1)
        half_log_det = jnp.sum(jnp.log(jnp.diagonal(self.scale_tril, axis1=-2, axis2=-1)), axis=-1)
        return -0.5 * (dim * math.log(2 * math.pi) + mahalanobis) - half_log_det


#: NumPyro name -> BayesForge class used in its place by ``m.dist``.
REPLACEMENTS = {"MultivariateNormal": MultivariateNormal}
