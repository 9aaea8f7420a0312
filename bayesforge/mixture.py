"""Reading a fitted Gaussian mixture back out of any model.

A model is a Gaussian mixture for BayesForge when its observed site is a
``mixture_same_family`` of ``multivariate_normal`` components (the seed's
model, or any variant of it). :func:`gaussian_mixture_draws` replays the model
once per posterior draw (vectorised with ``jax.vmap``) and collects the
weights, means and covariances; :func:`membership_probabilities` gives each
point's posterior probability of belonging to each component.

Where chains start: :func:`kmeans_initial_values` (weights, means, scales and
correlations from a k-means solution) and :func:`init_to_kmeans`, the NumPyro
init strategy that starts at them; :func:`kmeans_start` finds, by structure, which
sites of any Gaussian mixture model are the weights, means, scales and
correlations, and builds that strategy from the observed data; :class:`KMeansStart`
is that as a fit step (:mod:`bayesforge.steps`), which ``bf()`` adds to every fit
(``m.fit`` without ``init_strategy`` starts a Gaussian mixture there).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
from numpyro import handlers

from . import defaults
from .missing import Missingness, check_observed_rows, column_spread, rows_for_kmeans
from .replay import compiled_replay
from .steps import StartStep

__all__ = ["KMeansStart", "MixtureDraws", "KMEANS_POINTS", "gaussian_mixture_draws", "init_to_kmeans", "is_kmeans_start",
           "kmeans_initial_values", "kmeans_start", "gaussian_mixture_of", "incomplete_parts", "marginal_draws",
           "membership_probabilities", "memberships_per_draw",
           "occupied_components"]


@dataclass(frozen=True)
class MixtureDraws:
    """Posterior draws of a Gaussian mixture: S draws, K components, D dimensions."""

    site: str
    weights: np.ndarray  # S × K
    means: np.ndarray  # S × K × D
    covariances: np.ndarray  # S × K × D × D

    @property
    def num_components(self) -> int:
        return self.weights.shape[-1]

    def central_covariances(self) -> np.ndarray:
        """K×D×D: each component's covariance averaged over draws in log space (log-Euclidean mean).

        The arithmetic mean lets one draw from a heavy tail decide it: on faithful,
        one HalfCauchy draw σ = 843 (median 0.55) made a mean variance of 1778. The
        mean of matrix logarithms is positive definite and barely moved by such a draw.

        >>> import numpy as np
        >>> c = np.array([[[[1.0, 0.0], [0.0, 4.0]]]] * 99 + [[[[1e6, 0.0], [0.0, 4.0]]]])
        >>> draws = MixtureDraws("obs", np.ones((100, 1)), np.zeros((100, 1, 2)), c)
        >>> np.round(draws.central_covariances()[0], 2).tolist()
        [[1.15, 0.0], [0.0, 4.0]]
        """
        values, vectors = np.linalg.eigh(np.asarray(self.covariances, dtype=float))
        logs = (vectors * np.log(np.clip(values, 1e-300, None))[..., None, :]) @ np.swapaxes(vectors, -1, -2)
        values, vectors = np.linalg.eigh(logs.mean(axis=0))
        return (vectors * np.exp(values)[..., None, :]) @ np.swapaxes(vectors, -1, -2)


def _unwrap(fn: Any) -> Any:
    while isinstance(fn, (npd.Independent, npd.MaskedDistribution, npd.ExpandedDistribution)):
        fn = fn.base_dist
    return fn


def gaussian_mixture_of(site: Mapping[str, Any]) -> npd.MixtureSameFamily | None:
    """The ``MixtureSameFamily`` of ``MultivariateNormal`` a trace site observes, or None."""
    if site["type"] != "sample" or not site.get("is_observed"):
        return None
    fn = _unwrap(site.get("fn"))
    if isinstance(fn, npd.MixtureSameFamily) and isinstance(fn.component_distribution, npd.MultivariateNormal):
        return fn
    return None


def _mixture_site(trace: Mapping[str, Any]) -> str:
    for name, site in trace.items():
        if gaussian_mixture_of(site) is not None:
            return name
    raise ValueError(
        "this model has no Gaussian mixture to draw: its observed site must be "
        "m.dist.mixture_same_family(..., component_distribution=m.dist.multivariate_normal(..., create_obj=True))"
    )


def gaussian_mixture_draws(
    model: Callable[..., Any], model_kwargs: Mapping[str, Any], samples: Mapping[str, Any], max_draws: int = 400
) -> MixtureDraws:
    """Weights, means and covariances of the model's mixture, for up to ``max_draws`` posterior draws."""
    total = len(next(iter(samples.values())))
    index = np.unique(np.linspace(0, total - 1, min(max_draws, total)).astype(int))
    subset = {k: jnp.asarray(np.asarray(v)[index]) for k, v in samples.items()}
    found: dict[str, str] = {}

    def components(trace):
        found["site"] = site = _mixture_site(trace)
        fn = gaussian_mixture_of(trace[site])
        component = fn.component_distribution
        return fn.mixing_distribution.probs, component.loc, component.covariance_matrix

    weights, means, covariances = compiled_replay(model, model_kwargs, subset, components, batched=True)
    k = weights.shape[-1]
    means = jnp.broadcast_to(means, weights.shape + means.shape[-1:])
    covariances = jnp.broadcast_to(covariances, (weights.shape[0], k) + covariances.shape[-2:])
    return MixtureDraws(found["site"], np.asarray(weights), np.asarray(means), np.asarray(covariances))


#: Points per batch are chosen so one batch's S×B×K log-joint holds about this many numbers.
BATCH_ELEMENTS = 2**20  # measured: cache-sized batches are fastest (0.75 s per 10⁵ points, S=400, K=8)


def _float() -> np.dtype:
    """JAX's float: float32, or float64 inside ``jax.enable_x64`` (a fit with ``bf(x64=True)``)."""
    return jnp.result_type(float)


def _component_terms(draws: MixtureDraws) -> tuple[np.ndarray, jax.Array]:
    """The centre c and, per draw and component, the coefficients of log p(x, z=k | draw) in features of x − c.

    log w_k + log N(x | μ_k, Σ_k) is a quadratic in x: written as coefficients
    of the features (x_i x_j for i ≤ j, x_i, 1), the log-joint of a batch of
    points for every draw and component is one matrix product. Working in
    float64 here and centring the data keeps float32 batches accurate.
    """
    covariances = np.asarray(draws.covariances, dtype=float)
    scale_tril = np.linalg.cholesky(covariances)
    precision = np.linalg.inv(covariances)
    precision = 0.5 * (precision + np.swapaxes(precision, -1, -2))
    d = draws.means.shape[-1]
    centre = np.asarray(draws.means, dtype=float).reshape(-1, d).mean(axis=0)
    means = np.asarray(draws.means, dtype=float) - centre
    with np.errstate(divide="ignore"):
        log_weights = np.log(np.asarray(draws.weights, dtype=float))
    log_diagonal = np.log(np.diagonal(scale_tril, axis1=-2, axis2=-1)).sum(axis=-1)
    precision_mean = np.einsum("skij,skj->ski", precision, means)
    constant = log_weights - log_diagonal - 0.5 * d * np.log(2 * np.pi) - 0.5 * (means * precision_mean).sum(-1)
    rows, cols = np.triu_indices(d)
    quadratic = -0.5 * precision[..., rows, cols] * np.where(rows == cols, 1.0, 2.0)
    coefficients = np.concatenate([quadratic, precision_mean, constant[..., None]], axis=-1)  # S × K × F
    return centre, jnp.asarray(coefficients, dtype=_float())


def _features(points: jax.Array) -> jax.Array:
    d = points.shape[-1]
    rows, cols = np.triu_indices(d)
    return jnp.concatenate([points[:, rows] * points[:, cols], points, jnp.ones_like(points[:, :1])], axis=-1)


@jax.jit
def _log_joint(points: jax.Array, coefficients: jax.Array) -> jax.Array:
    """log p(x_b, z_b = k | draw s): an S×B×K array for B (centred) points."""
    return jnp.einsum("bf,skf->sbk", _features(points), coefficients)


@jax.jit
def _batch_probabilities(points, coefficients):
    log_joint = _log_joint(points, coefficients)
    unnormalised = jnp.exp(log_joint - log_joint.max(axis=-1, keepdims=True))  # one exp per entry
    return (unnormalised / unnormalised.sum(axis=-1, keepdims=True)).mean(axis=0)


@jax.jit
def _batch_assignment_counts(key, points, valid, coefficients):
    log_joint = _log_joint(points, coefficients)
    labels = jax.random.categorical(key, log_joint, axis=-1)  # S × B: one assignment per draw
    return (jax.nn.one_hot(labels, log_joint.shape[-1]) * valid[None, :, None]).sum(axis=1)


def _points_and_batch_size(X: Any, draws: MixtureDraws, batch_size: int | None) -> tuple[np.ndarray, int]:
    points = np.asarray(X, dtype=float)
    if points.ndim != 2 or points.shape[1] != draws.means.shape[-1]:
        raise ValueError(f"X must be an N×{draws.means.shape[-1]} array (the mixture's dimension), got shape {points.shape}")
    s, k, _ = draws.means.shape
    return points, batch_size or max(1, min(points.shape[0], max(64, BATCH_ELEMENTS // (s * k))))


def _batches(X: Any, draws: MixtureDraws, centre: np.ndarray, batch_size: int | None, group: int | None = None):
    """``(n, points)``: the points of ``X`` minus ``centre``, B at a time (zero-padded: one shape, compiled once),
    n of them real. ``group``: G batches at a time instead, as a G×B×D array (:data:`BATCHES_PER_CALL`)."""
    points, size = _points_and_batch_size(X, draws, batch_size)
    d = points.shape[1]
    per_call = size * (group or 1)
    dtype = _float()
    for start in range(0, points.shape[0], per_call):
        chunk = points[start:start + per_call]
        padded = np.zeros((per_call, d), dtype=dtype)
        padded[: len(chunk)] = chunk - centre
        yield len(chunk), jnp.asarray(padded if group is None else padded.reshape(group, size, d))


#: Most batches of points per compiled call of :func:`membership_probabilities` (G×B×D at once, a power of two):
#: 10⁶ points were 1 500 calls, each with its Python round trip.
BATCHES_PER_CALL = 64


def _group_size(X: Any, draws: MixtureDraws, batch_size: int | None) -> int:
    """Batches per call: the batches of ``X`` rounded up to a power of two, at most :data:`BATCHES_PER_CALL`
    (a handful of shapes to compile, whatever N)."""
    points, size = _points_and_batch_size(X, draws, batch_size)
    batches = max(1, -(-points.shape[0] // size))
    return min(BATCHES_PER_CALL, 1 << (batches - 1).bit_length())


@jax.jit
def _grouped_probabilities(groups, coefficients):
    """:func:`_batch_probabilities` of each batch of ``groups`` (G×B×D) in one compiled loop: G×B×K."""
    return jax.lax.map(lambda points: _batch_probabilities(points, coefficients), groups)


@jax.jit
def _per_draw_memberships(points, coefficients):
    return jax.nn.softmax(_log_joint(points, coefficients), axis=-1)


def marginal_draws(draws: MixtureDraws, columns: Any) -> MixtureDraws:
    """The mixture's marginal over ``columns``: the same weights, the means and covariances of those columns.

    >>> d = MixtureDraws("obs", np.ones((1, 1)), np.array([[[1.0, 2.0, 3.0]]]), np.eye(3)[None, None] * 2.0)
    >>> marginal_draws(d, [0, 2]).means.tolist(), marginal_draws(d, [0, 2]).covariances.shape
    ([[[1.0, 3.0]]], (1, 1, 2, 2))
    """
    index = list(columns)
    covariances = np.asarray(draws.covariances)[..., index, :][..., index]
    return MixtureDraws(draws.site, draws.weights, np.asarray(draws.means)[..., index], covariances)


def incomplete_parts(draws: MixtureDraws, X: Any):
    """For N×D ``X`` with missing cells (NaN): per missingness pattern, its rows, the mixture's marginal over the
    pattern's observed columns and those rows' observed values; None when no cell is missing.

    Whatever is computed from a mixture and points (memberships, densities) is computed
    for each part and put back in row order: each row is seen through its observed
    coordinates only. A row with every value missing is an error naming it.
    """
    points = np.asarray(X, dtype=float)
    if points.ndim != 2 or not np.isnan(points).any():
        return None
    if points.shape[1] != draws.means.shape[-1]:
        raise ValueError(f"X must be an N×{draws.means.shape[-1]} array (the mixture's dimension), got shape "
                         f"{points.shape}")
    check_observed_rows(points, "X")
    patterns = Missingness.of(points)
    return [(rows, marginal_draws(draws, columns), points[np.ix_(rows, columns)])
            for columns, rows in zip(patterns.observed, patterns.rows)]


def memberships_per_draw(draws: MixtureDraws, X: Any) -> np.ndarray:
    """S×N×K: p(z_i = k | x_i, draw s) for every draw, not averaged (for a few hundred points).

    Rows with missing cells (NaN): p(z_i = k | observed part of x_i, draw s).
    """
    parts = incomplete_parts(draws, X)
    if parts is not None:
        out = np.empty((draws.weights.shape[0], len(X), draws.num_components))
        for rows, marginal, points in parts:
            out[:, rows] = memberships_per_draw(marginal, points)
        return out
    centre, coefficients = _component_terms(draws)
    points = np.asarray(X, dtype=float) - centre
    return np.asarray(_per_draw_memberships(jnp.asarray(points, dtype=_float()), coefficients))


def membership_probabilities(draws: MixtureDraws, X: Any, batch_size: int | None = None) -> np.ndarray:
    """N×K matrix of p(z_i = k | x_i), averaged over the posterior draws.

    Computed in batches of points so memory stays O(batch × K × draws), never
    O(N × draws); the batch size is chosen from the number of draws unless given.
    Rows with missing cells (NaN): p(z_i = k | observed part of x_i), from the
    components' marginals over those coordinates. Up to :data:`BATCHES_PER_CALL`
    batches go through one compiled call.

    >>> rng = np.random.default_rng(0)
    >>> d = MixtureDraws("obs", np.array([[0.3, 0.7], [0.5, 0.5]]), rng.normal(size=(2, 2, 1)), np.ones((2, 2, 1, 1)))
    >>> x = rng.normal(size=(150, 1))
    >>> p = membership_probabilities(d, x, batch_size=2)  # 75 batches: 64 in one call, 11 (padded) in the next
    >>> p.shape, bool(np.allclose(p, memberships_per_draw(d, x).mean(axis=0), atol=1e-6))
    ((150, 2), True)
    """
    parts = incomplete_parts(draws, X)
    if parts is not None:
        out = np.empty((len(X), draws.num_components))
        for rows, marginal, points in parts:
            out[rows] = membership_probabilities(marginal, points, batch_size)
        return out
    centre, coefficients = _component_terms(draws)
    group, k = _group_size(X, draws, batch_size), draws.num_components
    parts = [np.asarray(_grouped_probabilities(groups, coefficients)).reshape(-1, k)[:n]
             for n, groups in _batches(X, draws, centre, batch_size, group)]
    return np.concatenate(parts, axis=0)


def occupied_components(draws: MixtureDraws, X: Any, seed: int = 0, batch_size: int | None = None) -> np.ndarray:
    """Per posterior draw, the number of components with at least one of the points ``X``.

    Each draw assigns every point to a component at random with its membership
    probabilities under that draw (``z_i ~ p(z_i | x_i, θ_s)``); the count of
    distinct components is that draw's number of occupied clusters. Rows with missing
    cells are assigned by the memberships of their observed coordinates.
    """
    parts = incomplete_parts(draws, X)
    if parts is None:
        return (_assignment_counts(draws, X, seed, batch_size) > 0).sum(axis=1)
    counts = sum(_assignment_counts(marginal, points, seed + index, batch_size)
                 for index, (_, marginal, points) in enumerate(parts))
    return (counts > 0).sum(axis=1)


def _assignment_counts(draws: MixtureDraws, X: Any, seed: int, batch_size: int | None) -> np.ndarray:
    """S×K: per draw, how many points of (complete) ``X`` a random assignment puts in each component."""
    centre, coefficients = _component_terms(draws)
    counts = np.zeros(draws.weights.shape, dtype=np.int64)
    key = jax.random.PRNGKey(seed)
    for index, (n, points) in enumerate(_batches(X, draws, centre, batch_size)):
        valid = jnp.arange(points.shape[0]) < n
        counts += np.asarray(_batch_assignment_counts(jax.random.fold_in(key, index), points, valid, coefficients)).astype(np.int64)
    return counts


# -- where chains start ------------------------------------------------------------------------------

#: k-means runs on a random subset of this many points (:mod:`bayesforge.defaults`); all points then give weights
#: and scales.
KMEANS_POINTS = defaults.KMEANS_POINTS


def kmeans_initial_values(data: Any, centroids: Any) -> dict[str, np.ndarray]:
    """Start values of a Gaussian mixture by role, from the points nearest each centroid.

    ``"weights"``: shares of the points nearest each centroid (plus ½, so none is
    0); ``"loc"``: the centroids; ``"scale"``: those points' standard deviations
    per column (at least 1 % of the column's; 10 % for a component with fewer
    than two points); ``"corr"``: identity correlation Cholesky factors. Nearness
    is measured in units of each column's standard deviation. Missing cells (NaN)
    are left out: nearness over a row's observed columns, sds over observed values.

    >>> x = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0], [10.0, 4.0]])
    >>> v = kmeans_initial_values(x, [[0.0, 1.0], [10.0, 2.0]])
    >>> v["weights"].round(3).tolist(), v["scale"].round(3).tolist()
    ([0.417, 0.583], [[0.049, 1.0], [0.049, 1.633]])
    """
    data = np.asarray(data, dtype=float)
    centroids = np.asarray(centroids, dtype=float)
    k, d = centroids.shape
    overall = column_spread(data)
    unit = np.where(overall > 0, overall, 1.0)
    nearest = np.nansum((((data[:, None, :] - centroids[None]) / unit) ** 2), axis=-1).argmin(axis=1)
    counts = np.bincount(nearest, minlength=k)
    scales = np.empty((k, d))
    for component in range(k):
        members = data[nearest == component]
        spread = column_spread(members) if len(members) > 1 else 0.1 * unit
        scales[component] = np.where(np.isnan(spread), 0.1 * unit, spread)
    return {"weights": (counts + 0.5) / (counts.sum() + 0.5 * k), "loc": centroids,
            "scale": np.maximum(scales, 0.01 * unit), "corr": np.broadcast_to(np.eye(d), (k, d, d)).copy()}


def _init_to_kmeans(site=None, values=None):
    from numpyro.infer import init_to_value

    if site is None:
        return partial(_init_to_kmeans, values=values)
    return init_to_value(site, values=values)


def init_to_kmeans(values: Mapping[str, Any]):
    """NumPyro init strategy starting every chain at ``values`` (site name -> value), marked as a k-means start.

    Behaves as ``numpyro.infer.init_to_value`` (sites not in ``values`` start
    uniformly in [-2, 2] on the unconstrained scale); ``m.fit`` then says the fit
    started at k-means.

    >>> is_kmeans_start(init_to_kmeans({"mu": np.zeros(2)}))
    True
    """
    # jnp arrays: NumPyro's inverse transforms index them with traced indices under pmap.
    return partial(_init_to_kmeans, values={name: jnp.asarray(value) for name, value in values.items()})


def is_kmeans_start(init_strategy: Any) -> bool:
    """Whether ``init_strategy`` was made by :func:`init_to_kmeans`."""
    return isinstance(init_strategy, partial) and init_strategy.func is _init_to_kmeans


def _unwrapped_sample_fn(site: Mapping[str, Any]) -> Any:
    return _unwrap(site.get("fn"))


def _row_norms(scale_tril):
    return jnp.sqrt(jnp.sum(scale_tril * scale_tril, axis=-1))  # per component, each column's standard deviation


def _mixture_structure(model: Callable[..., Any], model_kwargs: Mapping[str, Any], seed: int):
    """Values at one random start: the observed mixture's parameters and every latent sample site, or None."""
    found: dict[str, Any] = {}

    from numpyro.infer import init_to_uniform

    def draw(key, arrays, static):
        # Values uniform on the unconstrained scale, as NumPyro starts chains: generic enough that equal values
        # mean the same quantity, and no prior sampler (Gamma, LKJ) to compile.
        start = handlers.substitute(handlers.seed(model, key), substitute_fn=init_to_uniform)
        trace = handlers.trace(start).get_trace(**static, **arrays)
        mixtures = [(n, gaussian_mixture_of(s)) for n, s in trace.items()]
        mixtures = [(n, fn) for n, fn in mixtures if fn is not None]
        if len(mixtures) != 1:
            return None
        name, mixture = mixtures[0]
        component = mixture.component_distribution
        latent = {n: s for n, s in trace.items() if s["type"] == "sample" and not s.get("is_observed")}
        found.update(site=name, latent={n: type(_unwrapped_sample_fn(s)) for n, s in latent.items()})
        prior_means = {}
        for n, s in latent.items():
            try:
                prior_means[n] = _unwrapped_sample_fn(s).mean
            except (NotImplementedError, AttributeError):
                pass
        return {"probs": mixture.mixing_distribution.probs, "loc": component.loc, "scale_tril": component.scale_tril,
                "observed": trace[name]["value"], "values": {n: s["value"] for n, s in latent.items()},
                "prior_means": prior_means}

    arrays = {k: v for k, v in model_kwargs.items() if isinstance(v, (np.ndarray, jax.Array))}
    static = {k: v for k, v in model_kwargs.items() if k not in arrays}
    key = jax.random.PRNGKey(seed)
    try:
        if jax.eval_shape(partial(draw, static=static), key, arrays) is None:  # traced, not compiled: most models
            return None, found
        return jax.jit(partial(draw, static=static))(key, arrays), found
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError,
            jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError):
        return draw(key, {}, dict(model_kwargs)), found


def kmeans_start(model: Callable[..., Any], model_kwargs: Mapping[str, Any], seed: int = 0):
    """``(init_strategy, description)`` starting a Gaussian mixture model's chains at the k-means solution.

    The model must observe one ``mixture_same_family`` of ``multivariate_normal``
    components; its sites are recognised by structure, whatever their names:
    the weights (the site whose value is the mixing probabilities), the means (the
    component locations), the scales (each component's per-column standard
    deviation, the row norms of its Cholesky factor) and the correlation Cholesky
    factors (``lkj_cholesky`` sites of K×D×D). k-means runs on up to
    :data:`KMEANS_POINTS` observed points (``random_state=seed``); its centroids
    are matched to the means' prior means when those differ (the seed's model
    centres each mean's prior on a k-means centroid). Returns ``(None, None)``
    when the model observes no Gaussian mixture, and ``(None, note)`` when the
    means are not a sample site (NumPyro's default start is then used).
    """
    from scipy.optimize import linear_sum_assignment
    from sklearn.cluster import KMeans

    drawn, found = _mixture_structure(model, model_kwargs, seed)
    if drawn is None:
        return None, None
    probs, loc, scale_tril = (np.asarray(drawn[key]) for key in ("probs", "loc", "scale_tril"))
    if probs.ndim != 1 or scale_tril.ndim != 3:
        return None, "NumPyro's default (a batch of mixtures: k-means start not applied)"
    k, d = scale_tril.shape[0], scale_tril.shape[-1]
    loc = np.broadcast_to(loc, (k, d))
    roles: dict[str, str] = {}
    for name, value in drawn["values"].items():
        value = np.asarray(value)
        if value.shape == (k,) and np.allclose(value, probs, rtol=1e-5, atol=1e-7):
            roles.setdefault("weights", name)
        elif value.shape == (k, d) and np.allclose(value, loc, rtol=1e-5, atol=1e-6):
            roles.setdefault("loc", name)
        elif value.shape == (k, d) and np.allclose(value, np.asarray(_row_norms(scale_tril)), rtol=1e-4, atol=1e-6):
            roles.setdefault("scale", name)
        elif value.shape == (k, d, d) and issubclass(found["latent"][name], npd.LKJCholesky):
            roles.setdefault("corr", name)
    if "loc" not in roles:
        return None, "NumPyro's default (no sample site is the components' means: k-means start not applied)"
    observed = np.asarray(drawn["observed"], dtype=float).reshape(-1, d)
    rng = np.random.default_rng(seed)
    subset = observed if len(observed) <= KMEANS_POINTS else observed[rng.choice(len(observed), KMEANS_POINTS,
                                                                                   replace=False)]
    overall = column_spread(subset)
    unit = np.where(overall > 0, overall, 1.0)
    if np.isnan(subset).any():  # rows with missing cells: the complete rows, or all with NaN at the mean
        location = np.nanmean(subset, axis=0)
        subset = location + unit * rows_for_kmeans((subset - location) / unit, k)[0]
    if len(np.unique(subset, axis=0)) < k:
        return None, f"NumPyro's default (fewer distinct points than K = {k}: k-means start not applied)"
    centroids = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(subset / unit).cluster_centers_ * unit
    prior = drawn["prior_means"].get(roles["loc"])
    if prior is not None:
        prior = np.broadcast_to(np.asarray(prior), (k, d))
        if np.ptp(prior, axis=0).max() > 0:
            cost = ((prior[:, None, :] - centroids[None]) ** 2).sum(-1)
            centroids = centroids[linear_sum_assignment(cost)[1]]
    by_role = kmeans_initial_values(observed, centroids)
    values = {name: by_role[role] for role, name in roles.items()}
    return init_to_kmeans(values), "k-means"


class KMeansStart(StartStep):
    """The fit step that starts a Gaussian mixture model's chains at k-means (:func:`kmeans_start`).

    >>> KMeansStart().describe(init_to_kmeans({"mu": np.zeros(2)}))
    'k-means'
    """

    name = "kmeans_start"

    def start(self, model: Callable[..., Any], model_kwargs: Mapping[str, Any], seed: int):
        return kmeans_start(model, model_kwargs, seed=seed)

    def describe(self, init_strategy: Any) -> str | None:
        return "k-means" if is_kmeans_start(init_strategy) else None
