"""What the library mixtures' models are built of: priors in each column's own unit, the covariance floor, the
observed mixture.

Units. The library models (``m.gmm``, ``m.choose_k``, ``m.dpmm``) observe the data
exactly as given and put every prior relative to each column's spread: with
column j's mean x̄_j and standard deviation s_j, a component's mean has a Normal
prior of scale s_j (:data:`MEAN_PRIOR_SCALE` · s_j around its k-means centroid in
the GMM, s_j around x̄_j in the DPMM) and its per-column scale a HalfCauchy(s_j)
prior. NUTS moves the means in units of s_j (:class:`ScaledNormal`) and the scales
on the log scale, so the sampler sees the same problem whatever the unit. Measured
in other units (a column multiplied by c), the fit's means, covariances and draws
are multiplied accordingly and the clusters are the same; the log-likelihood, and
with it LOO, WAIC and BIC, is that of the data as given (it moves by −N log c,
the Jacobian of the change of unit), so criteria compare fits of the same data.

Covariance floor. Like scikit-learn's ``reg_covar``, ``reg_covar`` (default
:data:`REG_COVAR`) times each column's variance is added to the diagonal of every
component's covariance: Σ_k = diag(σ_k) C_k diag(σ_k) + reg_covar · diag(s²),
so no component can collapse onto a point. ``fit.covariances`` include it.
"""
from __future__ import annotations

import numpyro
import numpyro.distributions as npd
from numpyro.distributions import constraints
from numpyro.distributions.transforms import AffineTransform, biject_to

from .. import defaults
from ..distributions import IncompleteGaussianMixture
from ..linalg import MAX_UNROLLED_DIM, cholesky_lower
from ..missing import Missingness

__all__ = ["MEAN_PRIOR_SCALE", "REG_COVAR", "ScaledNormal", "component_means", "component_scale_tril",
           "floored_scale_tril", "observe_gaussian_mixture"]

REG_COVAR = defaults.REG_COVAR
#: Prior scale of a GMM component's mean around its k-means centroid, in units of the column's sd.
MEAN_PRIOR_SCALE = 1.0


class _AffineReal(constraints.Constraint):
    """The real numbers, with (x − loc) / scale as their unconstrained coordinate."""

    event_dim = 0

    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale

    def __call__(self, x):
        import jax.numpy as jnp

        return jnp.isfinite(x)

    def feasible_like(self, prototype):
        import jax.numpy as jnp

        return jnp.broadcast_to(jnp.asarray(self.loc, dtype=jnp.result_type(prototype)), jnp.shape(prototype))

    def tree_flatten(self):
        return (self.loc, self.scale), (("loc", "scale"), {})


@biject_to.register(_AffineReal)
def _unit_free_coordinate(constraint: _AffineReal) -> AffineTransform:
    return AffineTransform(constraint.loc, constraint.scale)


class ScaledNormal(npd.Normal):
    """``Normal(loc, scale)`` that NUTS samples as (x − loc) / scale: the same geometry in any unit.

    NumPyro samples a real-valued site as it is, so its step size and mass matrix
    (regularised towards an absolute 1e-3) would depend on the data's unit.

    >>> ScaledNormal(1e6, 2e5).support(3e6).item()
    True
    """

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return _AffineReal(self.loc, self.scale)


def component_means(centre, spread, name: str = "mu"):
    """Inside the components plate: the site ``name``, means ~ Normal(centre, spread) per column (event: D)."""
    return numpyro.sample(name, ScaledNormal(centre, spread).to_event(1))


def component_scale_tril(m, sigma, D: int):
    """Inside the components plate: Cholesky factors diag(σ) L with L ~ LKJ(1) ("Lcorr"); for D = 1, σ."""
    if D == 1:
        return sigma[..., None]
    Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
    return sigma[..., None] * Lcorr


def floored_scale_tril(m, sigma, scale, reg_covar: float, D: int):
    """Inside the components plate: the Cholesky factor of diag(σ) C diag(σ) + reg_covar · diag(scale²).

    C = L Lᵀ with L ~ LKJ(1) ("Lcorr", for D ≥ 2). Computed in units of ``scale``
    (σ / scale), then rows multiplied by it: float32 never squares the data's unit. The
    factor of the floored matrix is the LAPACK-free :func:`~bayesforge.linalg.cholesky_lower`
    up to D = 16 (its gradient is the model's hot path, where batched LAPACK calls deadlock
    jax 0.10's CPU thread pool under parallel chains), LAPACK's above.
    """
    import jax.numpy as jnp

    standard = sigma / scale
    if D == 1:
        return (scale * jnp.sqrt(standard**2 + reg_covar))[..., None]
    Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
    factor = standard[..., None] * Lcorr
    if reg_covar:
        floored = factor @ jnp.swapaxes(factor, -1, -2) + reg_covar * jnp.eye(D)
        factor = cholesky_lower(floored) if D <= MAX_UNROLLED_DIM else jnp.linalg.cholesky(floored)
    return scale[:, None] * factor


def gaussian_components(m, count: int, mean_centres, mean_spread, scale, reg_covar: float, D: int):
    """The plate "components" of ``count`` Gaussians: means ~ :func:`component_means` (``mean_centres``,
    ``mean_spread``), scales ~ HalfCauchy(``scale``) ("sigma"), and the floored Cholesky factors
    (:func:`floored_scale_tril`). Returns ``(mu, scale_tril)``; the GMM and the DPMM differ only in their weights.
    """
    with m.dist.plate("components", count):
        mu = component_means(mean_centres, mean_spread)
        sigma = m.dist.half_cauchy(scale, event=1, name="sigma")
        return mu, floored_scale_tril(m, sigma, scale, reg_covar, D)


def observe_gaussian_mixture(m, weights, mu, scale_tril, data, missingness: Missingness | None = None) -> None:
    """The site "obs": ``data`` from the mixture of MVN(mu_k, scale_tril_k) with ``weights``, labels summed out.

    With ``missingness`` (the patterns of ``data``'s NaN cells) each row is scored on
    the coordinates it has (:class:`bayesforge.distributions.IncompleteGaussianMixture`).
    """
    if missingness is not None:
        mixture = IncompleteGaussianMixture(
            m.dist.categorical(probs=weights, create_obj=True),
            m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True),
            missingness=missingness)
        numpyro.sample("obs", mixture, obs=data)
        return
    m.dist.mixture_same_family(
        mixing_distribution=m.dist.categorical(probs=weights, create_obj=True),
        component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True),
        name="obs",
        obs=data,
    )

