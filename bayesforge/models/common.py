"""What every library mixture shares: the data checks, priors in each column's own unit, the covariance floor,
chains started at given values, warnings about one K, and the result object.

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

Precision. Data are refused before fitting, with an error naming the column, when
a column has no spread (:func:`prepare_data`), or when the fit's float type
(float32, or float64 with ``bf(x64=True)``) cannot carry it: deviations whose
squares overflow, a spread so small that variances underflow, or values so large
against their spread that the float type rounds them by more than 1 % of it.

>>> import numpy as np
>>> prepare_data(np.c_[np.arange(4.0), np.ones(4)], x64=False)
Traceback (most recent call last):
...
ValueError: data: column 1 has the same value (1) in every row: a Gaussian mixture needs spread in every column; drop that column
"""
from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import numpyro
import numpyro.distributions as npd
from numpyro.distributions import constraints
from numpyro.distributions.transforms import AffineTransform, biject_to

from .. import defaults
from ..distributed import column_moments, refuse_distributed, same_in_every_process
from ..distributions import IncompleteGaussianMixture
from ..missing import Missingness, check_observed_rows, column_spread
from ..inference import nuts_posterior, vi_posterior
from ..validation import as_data_matrix, as_int, check_method, check_missing, column_names
from .result import MixtureFit

__all__ = ["SAMPLING_DEFAULTS", "REG_COVAR", "MEAN_PRIOR_SCALE", "MixtureData", "ScaledNormal",
           "component_means", "component_scale_tril", "describe_column", "fit_mixture",
           "fit_variational", "floored_scale_tril", "observe_gaussian_mixture", "prefixed_warnings", "prepare_data",
           "VI_DEFAULTS", "VI_OPTIONS"]

#: Defaults of every library mixture fit (:mod:`bayesforge.defaults`); any of them, and any ``m.fit`` / NUTS
#: option, can be passed.
SAMPLING_DEFAULTS = {**defaults.NUTS_DEFAULTS, "progress_bar": False, "max_draws": defaults.MAX_DRAWS}
#: Defaults of a variational library fit (``method="vi"``, :data:`bayesforge.defaults.VI_DEFAULTS`).
VI_DEFAULTS = {**defaults.VI_DEFAULTS, "progress_bar": False}
#: The other options of a variational library fit (see :func:`bayesforge.vi.fit_vi`).
VI_OPTIONS = ("guide", "batch_size", "max_steps", "learning_rate", "tolerance", "check_every")
REG_COVAR = defaults.REG_COVAR
#: Prior scale of a GMM component's mean around its k-means centroid, in units of the column's sd.
MEAN_PRIOR_SCALE = 1.0
#: Squares of deviations (and of the component scales around them) must stay this far below the float's largest value,
OVERFLOW_MARGIN = 1e6
#: and a column's variance this far above its smallest normal value (room for the covariance floor's 1e-6 and more).
UNDERFLOW_MARGIN = 1e8
#: Largest rounding of a column's values by the float type, as a share of the column's sd.
RESOLUTION = 1e-2


# -- the data ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MixtureData:
    """Checked N×D data for a library mixture: the matrix, column names, and each column's mean and sd (> 0)."""

    matrix: np.ndarray
    feature_names: tuple[str, ...] | None
    location: np.ndarray
    scale: np.ndarray
    #: With ``missing="marginalize"`` and NaN cells in ``matrix``: its rows grouped by missingness pattern.
    missingness: Missingness | None = None
    #: The ``missing=`` option the data were checked with: "error" (no NaN) or "marginalize".
    missing: str = "error"
    #: Row weights (N,), or None: each row's log-likelihood counts this many times (:mod:`bayesforge.models.weights`).
    sample_weight: np.ndarray | None = None

    @property
    def standardised(self) -> np.ndarray:
        """(x − mean) / sd per column."""
        return (self.matrix - self.location) / self.scale


def describe_column(j: int, names: tuple[str, ...] | None) -> str:
    """``"column 2"``, or ``"column 2 ('height')"`` when the data had column names (numbered from 0)."""
    return f"column {j}" if names is None else f"column {j} ({names[j]!r})"


def prepare_data(data: Any, *, x64: bool, name: str = "data", missing: str = "error") -> MixtureData:
    """``data`` checked for a library mixture fit in float64 (``x64``) or float32; see the module docstring.

    A pandas DataFrame keeps its column names (``feature_names``). Errors name
    the column, numbered from 0. ``missing="marginalize"`` keeps NaN cells (missing
    values; a row with none observed is an error naming it) and groups the rows by
    missingness pattern (``missingness``); the columns' means and sds are then over
    their observed values.

    >>> prepare_data([[0.0, 1.0], [2.0, 5.0]], x64=False).scale.tolist()
    [1.0, 2.0]
    """
    names = column_names(data)
    matrix = as_data_matrix(data, name, missing=check_missing(missing))
    missingness = _missingness(matrix, names, name) if missing == "marginalize" else None
    with np.errstate(over="ignore", invalid="ignore"):  # a column whose squares overflow is refused below
        if missingness is None:
            location, scale = column_moments(matrix)  # over every process's rows when distributed
        else:
            location, scale = np.nanmean(matrix, axis=0), column_spread(matrix)
    flat = np.flatnonzero((np.nanmax(matrix, axis=0) - np.nanmin(matrix, axis=0)) == 0)
    if len(flat) == matrix.shape[1]:
        raise ValueError(f"{name}: all {matrix.shape[0]} rows are the same point (every column, from "
                         f"{describe_column(0, names)} on, has a single value): there is nothing to cluster")
    if len(flat):
        j = int(flat[0])
        raise ValueError(f"{name}: {describe_column(j, names)} has the same value ({np.nanmax(matrix[:, j]):.6g}) in "
                         f"every row{'' if missingness is None else ' that has it'}: a Gaussian mixture needs spread "
                         "in every column; drop that column")
    _check_precision(matrix, location, scale, names, x64, name)
    return MixtureData(matrix=matrix, feature_names=names, location=location, scale=scale, missingness=missingness,
                       missing=missing)


def _missingness(matrix: np.ndarray, names: tuple[str, ...] | None, name: str) -> Missingness | None:
    """The missingness patterns of ``matrix`` (None when no cell is missing), after checking rows and columns."""
    if not np.isnan(matrix).any():
        return None
    refuse_distributed("missing values (missing='marginalize')")
    check_observed_rows(matrix, name)
    observed = (~np.isnan(matrix)).sum(axis=0)
    if (observed < 2).any():
        j = int(np.flatnonzero(observed < 2)[0])
        raise ValueError(f"{name}: {describe_column(j, names)} has {int(observed[j])} observed value(s): a Gaussian "
                         "mixture needs at least 2 (and spread) in every column; drop that column")
    return Missingness.of(matrix)


def _check_precision(matrix, location, scale, names, x64: bool, name: str) -> None:
    dtype = np.dtype(np.float64 if x64 else np.float32)
    info = np.finfo(dtype)
    x64_hint = "" if x64 else ", or fit in float64 with bf(x64=True)"
    largest = np.nanmax(np.abs(matrix), axis=0)
    deviation = np.nanmax(np.abs(matrix - location), axis=0)
    with np.errstate(over="ignore"):
        too_large = (largest > info.max / OVERFLOW_MARGIN) | (deviation**2 > info.max / OVERFLOW_MARGIN)
    too_small = scale**2 < info.tiny * UNDERFLOW_MARGIN
    coarse = info.eps * largest > RESOLUTION * scale
    for j in range(matrix.shape[1]):
        column = describe_column(j, names)
        if too_large[j]:
            raise ValueError(
                f"{name}: {column} is too large for {dtype} (values up to {largest[j]:.3g}, sd {scale[j]:.3g}): the "
                f"fit squares deviations of that size, which overflow {dtype} (largest {info.max:.3g}); "
                f"divide it by a power of ten{x64_hint}")
        if too_small[j]:
            raise ValueError(
                f"{name}: {column} varies too little for {dtype} (sd {scale[j]:.3g}): its variances underflow "
                f"{dtype} (smallest normal {info.tiny:.3g}); multiply it by a power of ten{x64_hint}")
        if coarse[j]:
            raise ValueError(
                f"{name}: {column} is too far from zero for its spread in {dtype}: values up to {largest[j]:.3g} "
                f"are rounded by up to {info.eps * largest[j]:.2g}, more than {RESOLUTION:.0%} of its sd "
                f"{scale[j]:.3g}; subtract an offset such as its mean{x64_hint}")


# -- priors in the data's units ------------------------------------------------------------------------------
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
    (σ / scale), then rows multiplied by it: float32 never squares the data's unit.
    """
    import jax.numpy as jnp

    standard = sigma / scale
    if D == 1:
        return (scale * jnp.sqrt(standard**2 + reg_covar))[..., None]
    Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
    factor = standard[..., None] * Lcorr
    if reg_covar:
        factor = jnp.linalg.cholesky(factor @ jnp.swapaxes(factor, -1, -2) + reg_covar * jnp.eye(D))
    return scale[:, None] * factor


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


# -- fitting ---------------------------------------------------------------------------------------------------
def _arguments(data: MixtureData, model_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The model's arguments: the data, ``model_kwargs`` and, for weighted rows, ``sample_weight``."""
    weights = {} if data.sample_weight is None else {"sample_weight": data.sample_weight}
    return {"data": data.matrix, **model_kwargs, **weights}


@contextlib.contextmanager
def prefixed_warnings(prefix: str) -> Iterator[None]:
    """Issue the warnings raised inside again, with ``prefix`` (e.g. ``"K=5: "``) before their message.

    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     with prefixed_warnings("K=5: "):
    ...         warnings.warn("3 divergent transitions", RuntimeWarning)
    >>> str(caught[0].message)
    'K=5: 3 divergent transitions'
    """
    recorded: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                recorded = list(caught)
    finally:  # also when the fit fails: its warnings may say why
        for warning in recorded:
            warnings.warn_explicit(f"{prefix}{warning.message}", warning.category, warning.filename, warning.lineno)


def fit_mixture(
    m,
    model: Callable[..., Any],
    model_kwargs: Mapping[str, Any],
    initial_values: Callable[[int], Mapping[str, np.ndarray]],
    *,
    kind: str,
    data: MixtureData,
    num_parameters: int,
    summary_sites: tuple[str, ...] = ("weights", "mu", "sigma"),
    diagnostic_min_weight: float = 0.0,
    **options: Any,
) -> MixtureFit:
    """Fit ``model(data=data.matrix, **model_kwargs)`` with NUTS on ``m.devices`` and wrap it as a :class:`MixtureFit`.

    ``options``: :data:`SAMPLING_DEFAULTS` overridden by what is given, and any other
    ``m.fit`` / NUTS option. ``method="vi"``: minibatch variational inference instead
    (:func:`fit_variational`). ``max_draws`` posterior draws (evenly spaced) serve
    memberships and the figure. Chains start at ``initial_values(seed)`` (called
    only when no ``init_strategy`` is given). ``num_parameters``: the model's free
    parameters, for BIC.
    """
    if check_method(options.pop("method", "nuts")) == "vi":
        return fit_variational(m, model, model_kwargs, initial_values, kind=kind, data=data,
                               num_parameters=num_parameters, summary_sites=summary_sites,
                               diagnostic_min_weight=diagnostic_min_weight, **options)
    fit_options = {**SAMPLING_DEFAULTS, **options}
    draws_kept = as_int(fit_options.pop("max_draws"), "max_draws", minimum=1)
    if "init_strategy" not in fit_options:
        import jax.numpy as jnp
        from numpyro.infer import init_to_value

        start = same_in_every_process(initial_values(as_int(fit_options["seed"], "seed")), check=False)
        # jnp arrays (NumPyro's inverse transforms index them with traced indices under pmap), made in the
        # fit's precision: float32 start values in a float64 fit break NumPyro's transforms (lax.scatter).
        with m.devices.context():
            values = {name: jnp.asarray(value) for name, value in start.items()}
        fit_options["init_strategy"] = init_to_value(values=values)
    started = time.perf_counter()
    steps = m.steps_for_fit(fit_options.pop("relabel", True))
    posterior = nuts_posterior(model, _arguments(data, model_kwargs), m.devices, fit_steps=steps, **fit_options)
    return MixtureFit(posterior=posterior, data=data.matrix, seconds=time.perf_counter() - started, kind=kind,
                      max_draws=draws_kept, summary_sites=summary_sites, diagnostic_min_weight=diagnostic_min_weight,
                      feature_names=data.feature_names,
                      parameter_count=num_parameters, missing=data.missing)


def fit_variational(
    m,
    model: Callable[..., Any],
    model_kwargs: Mapping[str, Any],
    initial_values: Callable[[int], Mapping[str, np.ndarray]],
    *,
    kind: str,
    data: MixtureData,
    num_parameters: int,
    summary_sites: tuple[str, ...] = ("weights", "mu", "sigma"),
    diagnostic_min_weight: float = 0.0,
    **options: Any,
) -> MixtureFit:
    """:func:`fit_mixture` by minibatch variational inference (:func:`bayesforge.vi.fit_vi`), from ``initial_values``.

    ``options``: :data:`VI_DEFAULTS` (``num_samples`` draws from the fitted guide, one
    chain) overridden by what is given, and :data:`VI_OPTIONS`. The result is the
    same :class:`MixtureFit` as NUTS gives; its summary carries a note that the
    approximation understates the uncertainty.
    """
    unknown = sorted(set(options) - set(VI_DEFAULTS) - set(VI_OPTIONS))
    if unknown:
        raise TypeError(f"method='vi' got option(s) {unknown} it does not take (NUTS settings such as num_warmup "
                        f"or num_chains do not apply); it takes: {', '.join([*VI_DEFAULTS, *VI_OPTIONS])}")
    refuse_distributed("variational inference (method='vi')")
    fit_options = {**VI_DEFAULTS, **options}
    draws_kept = as_int(fit_options.pop("max_draws"), "max_draws", minimum=1)
    start = initial_values(as_int(fit_options["seed"], "seed"))
    fit_options["num_draws"] = fit_options.pop("num_samples")
    if data.sample_weight is not None:  # minibatches draw rows uniformly, each carrying its weight
        fit_options["data_argument"] = ("data", "sample_weight")
    started = time.perf_counter()
    posterior = vi_posterior(model, _arguments(data, model_kwargs), m.devices, fit_steps=m.steps_for_fit(),
                             init_values=start, **fit_options)
    return MixtureFit(posterior=posterior, data=data.matrix, seconds=time.perf_counter() - started, kind=kind,
                      max_draws=draws_kept, summary_sites=summary_sites, diagnostic_min_weight=diagnostic_min_weight,
                      feature_names=data.feature_names,
                      parameter_count=num_parameters, missing=data.missing)
