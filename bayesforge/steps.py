"""Fit steps: what a workspace adds around a generic fit, without the fit knowing what they do.

The sampler (:func:`bayesforge.fit.run_nuts`) and the result (:class:`bayesforge.posterior.Posterior`)
are generic: they take a tuple of steps as an argument and call them at two points.

* A :class:`StartStep` says where the chains start when no ``init_strategy`` is given
  (``start``: an init strategy and a description such as ``"k-means"``, or nothing), and
  may recognise a strategy the user gave (``describe``).
* A :class:`PostStep` turns the draws into other draws when sampling is done (``apply``:
  new draws by chain and what it did, or None when it does not apply;
  :meth:`bayesforge.posterior.Posterior.postprocessed`). The result records what each
  applied step did in ``Posterior.details[step.name]``.

Each ``bf()`` workspace holds its own tuple (``m.fit_steps``; by default the mixture's
k-means start and relabelling, :data:`bayesforge.mixtures.relabel.MIXTURE_FIT_STEPS`) and passes
it down, so two workspaces never share or change each other's steps.

>>> class Ones(StartStep):
...     def start(self, model, model_kwargs, seed):
...         from numpyro.infer import init_to_value
...         return init_to_value(values={"mu": 1.0}), "ones"
>>> strategy, description = choose_start((Ones(),), model=None, model_kwargs={}, seed=0)
>>> description
'ones'
>>> choose_start((), model=None, model_kwargs={}, seed=0)
(None, None)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    from .posterior import Posterior

__all__ = ["FitStep", "PostStep", "StartStep", "check_fit_steps", "choose_start", "describe_start", "post_steps",
           "without"]


class FitStep:
    """A step a workspace adds to every fit; ``name`` identifies it (``m.fit(relabel=False)`` leaves out "relabel")."""

    name: str = "step"


class StartStep(FitStep):
    """Where chains start when the fit is given no ``init_strategy``."""

    def start(self, model: Callable[..., Any], model_kwargs: Mapping[str, Any], seed: int) -> tuple[Any, str | None]:
        """``(init_strategy, description)``; ``(None, None)`` when this step has nothing to say about ``model``.

        ``(None, note)``: NumPyro's default start, with a note saying why (shown as the fit's start).
        """
        return None, None

    def describe(self, init_strategy: Any) -> str | None:
        """How to describe a start the user gave (e.g. "k-means"), or None when this step did not make it."""
        return None


class PostStep(FitStep):
    """Draws turned into other draws after sampling (e.g. relabelled)."""

    def apply(self, posterior: "Posterior") -> tuple[dict[str, Any], Any] | None:
        """``(draws by chain, what was done)`` for ``posterior`` (its draws: ``posterior.by_chain()``), or None
        when the step does not apply to its model."""
        raise NotImplementedError


def check_fit_steps(steps: Any, name: str = "fit_steps") -> tuple[FitStep, ...]:
    """``steps`` as a tuple of :class:`StartStep` / :class:`PostStep` objects, or a TypeError naming ``name``.

    >>> [type(step).__name__ for step in check_fit_steps([StartStep()])]
    ['StartStep']
    >>> check_fit_steps("k-means")
    Traceback (most recent call last):
    ...
    TypeError: fit_steps must be a tuple of StartStep / PostStep objects (bayesforge.steps), got str
    """
    if isinstance(steps, (str, bytes, Mapping)) or not hasattr(steps, "__iter__"):
        raise TypeError(f"{name} must be a tuple of StartStep / PostStep objects (bayesforge.steps), "
                        f"got {type(steps).__name__}")
    steps = tuple(steps)
    for step in steps:
        if not isinstance(step, (StartStep, PostStep)):
            raise TypeError(f"{name} must be a tuple of StartStep / PostStep objects (bayesforge.steps), "
                            f"got an element of type {type(step).__name__}")
    return steps


def without(steps: tuple[FitStep, ...], name: str) -> tuple[FitStep, ...]:
    """``steps`` less those named ``name``."""
    return tuple(step for step in steps if step.name != name)


def post_steps(steps: tuple[FitStep, ...]) -> tuple[PostStep, ...]:
    """The post-processing steps of ``steps``, in order."""
    return tuple(step for step in steps if isinstance(step, PostStep))


def choose_start(steps: tuple[FitStep, ...], model: Callable[..., Any], model_kwargs: Mapping[str, Any],
                 seed: int) -> tuple[Any, str | None]:
    """The first start step's ``(init_strategy, description)`` that says anything, else ``(None, None)``."""
    for step in steps:
        if isinstance(step, StartStep):
            strategy, description = step.start(model, model_kwargs, seed)
            if strategy is not None or description is not None:
                return strategy, description
    return None, None


def describe_start(steps: tuple[FitStep, ...], init_strategy: Any) -> str | None:
    """How the first start step that recognises ``init_strategy`` describes it, else None."""
    for step in steps:
        if isinstance(step, StartStep):
            description = step.describe(init_strategy)
            if description is not None:
                return description
    return None
