"""Where a Gaussian mixture's chains start: the k-means solution of its data, as a NumPyro init strategy.

:func:`kmeans_initial_values` (weights, means, scales and correlations from a k-means
solution) and :func:`init_to_kmeans`, the NumPyro init strategy that starts at them;
:func:`kmeans_start` finds, by structure, which sites of any Gaussian mixture model are
the weights, means, scales and correlations, and builds that strategy from the observed
data; :class:`KMeansStart` is that as a fit step (:mod:`bayesforge.steps`), which ``bf()``
adds to every fit (``m.fit`` without ``init_strategy`` starts a Gaussian mixture there).
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
from numpyro import handlers

from .. import defaults
from ..missing import column_spread, rows_for_kmeans
from ..steps import StartStep
from .draws import gaussian_mixture_of, unwrapped

__all__ = ["KMEANS_POINTS", "KMeansStart", "init_to_kmeans", "is_kmeans_start", "kmeans_initial_values",
           "kmeans_start"]

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
    return unwrapped(site.get("fn"))


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
