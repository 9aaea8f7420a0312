"""Label switching: put every posterior draw of a mixture in one common labelling.

A mixture's likelihood does not change when its components are permuted, so
different chains (and sometimes one chain) call the same cluster by different
labels; averaging draws over labels then mixes clusters. This module finds, for
each draw, the permutation of components that best matches a common reference
(an assignment problem on how the components classify the data, solved by
``scipy.optimize.linear_sum_assignment``) and applies it to every site indexed
by component.

:class:`Relabel` is this as a fit step (:mod:`bayesforge.steps`): ``bf()`` adds it to every
fit (``m.fit(relabel=False)`` leaves it out), so the draws of a model observing a Gaussian
mixture are relabelled when its sampler is done; :func:`relabelled` relabels a posterior now, and
:func:`relabelling_of` says what was done (the layout and each draw's permutation).
:data:`MIXTURE_FIT_STEPS` are the steps every ``bf()`` workspace starts with.

>>> import numpy as np
>>> p = np.array([[0.9, 0.1], [0.2, 0.8]])                 # memberships of 2 points under one draw
>>> label_permutations(np.stack([p, p[:, ::-1], p])).tolist()   # draw 1 has swapped labels
[[0, 1], [1, 0], [0, 1]]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..distributed import shared_rows
from ..replay import compiled_replay
from ..steps import PostStep
from .draws import gaussian_mixture_draws, gaussian_mixture_of
from .memberships import memberships_per_draw
from .start import KMeansStart

if TYPE_CHECKING:
    from ..posterior import Posterior

__all__ = ["MIXTURE_FIT_STEPS", "MixtureLayout", "RELABEL_POINTS", "Relabel", "Relabelling", "find_mixture_layout",
           "label_permutations", "permute_components", "relabelled", "relabelling_of"]

#: Points (evenly spaced through the data) whose memberships decide the relabelling.
RELABEL_POINTS = 500


@dataclass(frozen=True)
class MixtureLayout:
    """Where a model's mixture lives: its observed site, K, and the component axis of each site.

    ``component_axes[site]`` is the (negative) axis of one draw's value that
    indexes components; the same axis counts from the right in stacked draws.
    """

    site: str
    num_components: int
    component_axes: Mapping[str, int]
    observed: np.ndarray = field(repr=False, compare=False)


def _plate_axis(site: Mapping[str, Any], k: int) -> int | None:
    """The axis of this latent site's value that a plate of size K indexes, or None."""
    for frame in site.get("cond_indep_stack", ()):
        if frame.size == k:
            event_dims = len(site["fn"].event_shape) if site["type"] == "sample" else 0
            return frame.dim - event_dims
    return None


def find_mixture_layout(
    model: Callable[..., Any], model_kwargs: Mapping[str, Any], draw: Mapping[str, Any]
) -> MixtureLayout | None:
    """The layout of a Gaussian mixture model, or None if ``model`` observes no Gaussian mixture.

    ``draw`` is one posterior draw ``{site: value}``. A latent site is indexed by
    component when it is in a plate of size K, or when its value is the mixing
    weights (a Dirichlet, stick-breaking weights, ...).
    """
    structure: dict[str, Any] = {}

    def inspect(trace):
        mixtures = [(n, fn) for n, fn in ((n, gaussian_mixture_of(s)) for n, s in trace.items()) if fn is not None]
        if len(mixtures) != 1:
            return {}
        name, mixture = mixtures[0]
        probs = mixture.mixing_distribution.probs
        k = probs.shape[-1]
        latent = {n: s for n, s in trace.items()
                  if n in draw and s["type"] in ("sample", "deterministic") and not s.get("is_observed")}
        axes = {n: axis for n, axis in ((n, _plate_axis(s, k)) for n, s in latent.items()) if axis is not None}
        weights = {n: s["value"] for n, s in latent.items() if n not in axes and s["value"].shape == probs.shape}
        structure.update(site=name, k=k, axes=axes)
        return {"probs": probs, "weights": weights, "observed": trace[name]["value"]}

    values = compiled_replay(model, model_kwargs, dict(draw), inspect)
    if not values:
        return None
    axes = dict(structure["axes"])
    probs = np.asarray(values["probs"])
    for name, value in values["weights"].items():
        if np.allclose(np.asarray(value), probs):
            axes[name] = -1
    if not axes:
        return None
    observed = np.asarray(values["observed"])
    return MixtureLayout(site=structure["site"], num_components=structure["k"], component_axes=axes,
                         observed=observed.reshape(-1, observed.shape[-1]))


def label_permutations(memberships: np.ndarray, max_iterations: int = 50) -> np.ndarray:
    """For S×N×K per-draw memberships p(z_n = k | x_n, draw s), an S×K array ``perm`` with ``new[s, j] = old[s, perm[s, j]]``.

    Stephens' (2000) relabelling: each draw's components are assigned to the
    reference components they classify the points most like, minimising the
    cross-entropy −Σ_n Q[n, j] log p_s[n, perm(j)] by ``linear_sum_assignment``;
    the reference Q starts as the memberships of the first draws (those of the
    first chain, whose labels the initial means fix) and becomes the mean of the
    relabelled memberships until no permutation changes. Comparing memberships
    rather than means keeps empty components — whose means wander over the prior,
    as in a Dirichlet-process mixture — from being matched to occupied ones.
    """
    memberships = np.asarray(memberships, dtype=np.float32)
    if memberships.ndim != 3:
        raise ValueError(f"memberships must be S×N×K (draws × points × components), got shape {memberships.shape}")
    s, _, k = memberships.shape
    log_memberships = np.log(np.clip(memberships, np.float32(1e-12), None))
    reference = memberships[: max(1, s // 4)].mean(axis=0)
    permutations = np.tile(np.arange(k), (s, 1))
    for _ in range(max_iterations):
        cost = -np.matmul(reference.T, log_memberships)  # S × reference j × draw component i
        new = np.stack([linear_sum_assignment(c)[1] for c in cost])
        unchanged = np.array_equal(new, permutations)
        permutations = new
        reference = np.take_along_axis(memberships, permutations[:, None, :], axis=2).mean(axis=0)
        if unchanged:
            break
    return permutations


def permute_components(values: np.ndarray, permutations: np.ndarray, axis: int) -> np.ndarray:
    """Reorder the component ``axis`` (negative) of stacked draws ``values`` (S, ...) by S×K ``permutations``.

    >>> w = np.array([[0.2, 0.8], [0.7, 0.3]])
    >>> permute_components(w, np.array([[0, 1], [1, 0]]), -1).tolist()
    [[0.2, 0.8], [0.3, 0.7]]
    """
    values = np.asarray(values)
    position = values.ndim + axis
    if not 1 <= position < values.ndim or values.shape[position] != permutations.shape[1]:
        raise ValueError(f"axis {axis} is not a component axis of draws with shape {values.shape}")
    moved = np.moveaxis(values, position, 1)  # S × K × ...
    index = permutations.reshape(permutations.shape + (1,) * (moved.ndim - 2))
    return np.moveaxis(np.take_along_axis(moved, index, axis=1), 1, position)


@dataclass(frozen=True)
class Relabelling:
    """What relabelling did to a fit's draws: the mixture's ``layout`` and, for each draw (chains stacked),
    the ``permutations`` (S×K) of components applied to it."""

    layout: MixtureLayout
    permutations: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class Relabel(PostStep):
    """The fit step that puts every draw of a Gaussian mixture model in one labelling of the components.

    Sites in a plate of size K and the mixing weights are permuted draw by draw
    (:func:`label_permutations` on the memberships of :data:`RELABEL_POINTS` evenly spaced
    points, gathered from every process); the log-likelihood is unchanged. A model
    observing no Gaussian mixture is left alone.
    """

    name = "relabel"

    def apply(self, posterior: "Posterior") -> tuple[dict[str, np.ndarray], Relabelling] | None:
        by_chain = posterior.by_chain()
        first = {k: v[0, 0] for k, v in by_chain.items()}
        with posterior.devices.context():
            layout = find_mixture_layout(posterior.model, posterior.model_kwargs, first)
            if layout is None:
                return None
            stacked = {k: v.reshape((-1,) + v.shape[2:]) for k, v in by_chain.items()}
            total = len(next(iter(stacked.values())))
            mixture = gaussian_mixture_draws(posterior.model, posterior.model_kwargs, stacked, max_draws=total)
            points = shared_rows(layout.observed, RELABEL_POINTS)  # evenly spaced, from every process's rows
            permutations = label_permutations(memberships_per_draw(mixture, points))
        relabelled = dict(by_chain)
        for site, axis in layout.component_axes.items():
            relabelled[site] = permute_components(stacked[site], permutations, axis).reshape(by_chain[site].shape)
        return relabelled, Relabelling(layout=layout, permutations=permutations)


#: The fit steps of a ``bf()`` workspace unless it is given others: a Gaussian mixture model starts at k-means
#: and its draws are relabelled (frozen objects: workspaces share nothing they could change).
MIXTURE_FIT_STEPS = (KMeansStart(), Relabel())


def relabelled(posterior: "Posterior") -> "Posterior":
    """``posterior`` with the components of its Gaussian mixture in one labelling across draws and chains.

    A new :class:`~bayesforge.posterior.Posterior` (``posterior`` is unchanged); the same
    draws when the model observes no Gaussian mixture. :func:`relabelling_of` it says what
    was done.
    """
    return posterior.postprocessed((Relabel(),))


def relabelling_of(posterior: "Posterior") -> Relabelling | None:
    """What relabelling did to ``posterior``'s draws (None: no Gaussian mixture, or not relabelled)."""
    return posterior.details.get(Relabel.name)
