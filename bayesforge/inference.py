"""Run a fit and wrap its draws as a :class:`~bayesforge.posterior.Posterior`: NUTS or minibatch VI.

The result (``posterior.py``) holds draws and answers questions about them; it starts no
sampler. These two functions are what ``m.fit`` and the library models call: they run
the sampler (:func:`bayesforge.fit.run_nuts`, :func:`bayesforge.vi.fit_vi`) with the
workspace's fit steps (:mod:`bayesforge.steps`: start steps go to the sampler,
post-processing steps are applied to the draws when the sampler is done, so reading the result
does no work: relabelling the seed GMM's 4 000 draws took 2.7 s after a 24 s fit, a model
observing no mixture 0.03 s).

>>> import numpy as np
>>> from bayesforge import bf
>>> m = bf(platform="cpu")
>>> def model(y):
...     mu = m.dist.normal(0.0, 10.0, name="mu")
...     m.dist.normal(mu, 1.0, name="y", obs=y)
>>> posterior = nuts_posterior(model, {"y": np.array([0.9, 1.1])}, m.devices, num_warmup=50, num_samples=50,
...                            num_chains=1, progress_bar=False)
>>> posterior.draws["mu"].shape
(50,)
"""
from __future__ import annotations

from typing import Any, Callable

from .device import Devices
from .posterior import Posterior
from .steps import FitStep, check_fit_steps

__all__ = ["nuts_posterior", "vi_posterior"]


def nuts_posterior(model: Callable[..., Any], model_kwargs: dict[str, Any], devices: Devices,
                   fit_steps: tuple[FitStep, ...] = (), **options: Any) -> Posterior:
    """Fit ``model(**model_kwargs)`` with NUTS (options of :func:`bayesforge.fit.run_nuts`) on ``devices``.

    ``fit_steps``: where chains start (start steps, given to the sampler) and what is done to the
    draws (post-processing steps, applied when the sampler is done, in every process together: a
    step may gather rows from each).
    """
    from .fit import run_nuts

    fit_steps = check_fit_steps(fit_steps)
    posterior = Posterior(mcmc=run_nuts(model, model_kwargs, devices, fit_steps=fit_steps, **options), model=model,
                          model_kwargs=dict(model_kwargs), devices=devices)
    return posterior.postprocessed(fit_steps)


def vi_posterior(model: Callable[..., Any], model_kwargs: dict[str, Any], devices: Devices,
                 fit_steps: tuple[FitStep, ...] = (), **options: Any) -> Posterior:
    """Fit ``model(**model_kwargs)`` by minibatch variational inference (options of :func:`bayesforge.vi.fit_vi`);
    the draws from the fitted guide are one chain. ``fit_steps``: their post-processing steps are applied to those
    draws (start steps do not apply: VI starts where it is told)."""
    from .vi import fit_vi

    fit_steps = check_fit_steps(fit_steps)
    fit = fit_vi(model, model_kwargs, devices=devices, **options)
    posterior = Posterior(mcmc=None, model=model, model_kwargs=dict(model_kwargs), devices=devices,
                          samples_by_chain=fit.samples, method="vi", variational=fit)
    return posterior.postprocessed(fit_steps)
