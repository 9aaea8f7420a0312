"""Distributions that BayesForge substitutes for NumPyro's own.

* :class:`MultivariateNormal`, identical in behaviour to
  ``numpyro.distributions.MultivariateNormal`` but computing its log-density and
  Cholesky factor without LAPACK for small dimensions, which avoids a JAX thread
  pool deadlock under parallel chains (see :mod:`bayesforge.linalg`);
* :func:`mixture_same_family`, NumPyro's ``MixtureSameFamily`` except that a mixture
  of a ``Categorical`` and ``MultivariateNormal`` components (a Gaussian mixture)
  is a :class:`GaussianMixture`, whose ``log_prob`` is the fused kernel of
  :mod:`bayesforge.likelihood` (same values, about 10× faster gradients).

>>> import jax.numpy as jnp
>>> d = MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2))
>>> round(float(d.log_prob(jnp.zeros(2))), 4)
-1.8379
>>> import numpyro.distributions as npd
>>> mix = mixture_same_family(npd.Categorical(probs=jnp.array([0.5, 0.5])), MultivariateNormal(jnp.zeros((2, 2)), scale_tril=jnp.stack([jnp.eye(2)] * 2)))
>>> type(mix).__name__, round(float(mix.log_prob(jnp.zeros(2))), 4)
('GaussianMixture', -1.8379)
>>> type(mixture_same_family(npd.Categorical(probs=jnp.array([0.5, 0.5])), npd.Normal(jnp.zeros(2), 1.0))).__name__
'MixtureSameFamily'
"""
from __future__ import annotations

import contextlib
import math

import jax
import jax.numpy as jnp
import numpyro.distributions as npd
from numpyro.distributions.discrete import CategoricalLogits, CategoricalProbs
from numpyro.distributions.util import validate_sample

from .likelihood import (MAX_DIM, incomplete_mixture_log_prob, mixture_log_prob, native_likelihood_allowed,
                         xla_only)
from .linalg import MAX_UNROLLED_DIM, cholesky_lower, solve_lower

__all__ = ["GaussianMixture", "IncompleteGaussianMixture", "MultivariateNormal", "REPLACEMENTS", "mixture_same_family"]


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


class GaussianMixture(npd.MixtureSameFamily):
    """``MixtureSameFamily(Categorical, MultivariateNormal)`` whose ``log_prob`` is the fused kernel.

    Everything but ``log_prob`` is NumPyro's. The kernel (:func:`bayesforge.likelihood.mixture_log_prob`)
    takes one set of K components (mixing batch shape ``()``, component batch shape
    ``(K,)``) of dimension D ≤ 16; other shapes use NumPyro's computation.

    ``native`` is False for a mixture created under :func:`bayesforge.likelihood.xla_only`
    (a model whose rows are sharded over devices): its ``log_prob``, computed later
    (NumPyro scores the sites after the model returns), then keeps XLA's path too.
    """

    pytree_aux_fields = ("native",)

    def __init__(self, mixing_distribution, component_distribution, *, validate_args=None):
        self.native = native_likelihood_allowed()
        super().__init__(mixing_distribution, component_distribution, validate_args=validate_args)

    def _likelihood_path(self):
        return xla_only() if getattr(self, "native", True) is False else contextlib.nullcontext()

    def _fused_parameters(self):
        component = self.component_distribution
        k, dim = self.mixture_size, component.event_shape[-1]
        if self.mixing_distribution.batch_shape != () or component.batch_shape != (k,) or dim > MAX_DIM:
            return None
        log_weights = jax.nn.log_softmax(self.mixing_distribution.logits)
        loc = jnp.broadcast_to(component.loc, (k, dim))
        return log_weights, loc, jnp.broadcast_to(component.scale_tril, (k, dim, dim))

    @validate_sample
    def log_prob(self, value, intermediates=None):
        parameters = self._fused_parameters()
        if parameters is None:
            return super().log_prob(value, intermediates)
        with self._likelihood_path():
            return mixture_log_prob(*parameters, value)


class IncompleteGaussianMixture(GaussianMixture):
    """A :class:`GaussianMixture` observing rows with missing values (NaN cells).

    Each row's log-density is that of the mixture of the components' marginals over
    the row's observed coordinates (:func:`bayesforge.likelihood.incomplete_mixture_log_prob`);
    ``missingness`` (a :class:`bayesforge.missing.Missingness`) gives the data's
    patterns, found once where the data entered. The sample is not validated
    (NaN is not in the support); everything but ``log_prob`` is NumPyro's.

    >>> import numpy as np, numpyro.distributions as npd
    >>> mix = IncompleteGaussianMixture(npd.Categorical(probs=jnp.array([0.5, 0.5])),
    ...                                 MultivariateNormal(jnp.zeros((2, 2)), scale_tril=jnp.stack([jnp.eye(2)] * 2)))
    >>> [round(v, 4) for v in mix.log_prob(np.array([[0.0, 0.0], [np.nan, 0.0]])).tolist()]
    [-1.8379, -0.9189]
    """

    pytree_aux_fields = ("missingness",)

    def __init__(self, mixing_distribution, component_distribution, *, missingness=None, validate_args=None):
        self.missingness = missingness
        super().__init__(mixing_distribution, component_distribution, validate_args=validate_args)
        if self._fused_parameters() is None:
            raise ValueError("missing values need one set of K multivariate normal components of dimension "
                             f"D <= {MAX_DIM} (got components of batch shape {component_distribution.batch_shape}, "
                             f"event shape {component_distribution.event_shape})")

    def log_prob(self, value, intermediates=None):
        with self._likelihood_path():
            return incomplete_mixture_log_prob(*self._fused_parameters(), value, self.missingness)


def mixture_same_family(mixing_distribution, component_distribution, *, validate_args=None) -> npd.MixtureSameFamily:
    """NumPyro's ``MixtureSameFamily``; a :class:`GaussianMixture` for ``Categorical`` × ``MultivariateNormal``."""
    gaussian = isinstance(mixing_distribution, (CategoricalProbs, CategoricalLogits)) and isinstance(
        component_distribution, npd.MultivariateNormal)
    cls = GaussianMixture if gaussian else npd.MixtureSameFamily
    return cls(mixing_distribution, component_distribution, validate_args=validate_args)


#: NumPyro name -> BayesForge constructor used in its place by ``m.dist``.
REPLACEMENTS = {"MultivariateNormal": MultivariateNormal, "MixtureSameFamily": mixture_same_family}
