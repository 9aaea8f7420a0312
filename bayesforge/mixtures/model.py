"""What a library mixture model is: an object that owns its NumPyro model, its start, its parameter count and names.

:class:`~bayesforge.mixtures.gmm.GMM` and :class:`~bayesforge.mixtures.dpmm.DPMM` are
:class:`MixtureModel` s: small frozen values (``GMM(K=3)``, ``DPMM(T=20)``) that
:func:`~bayesforge.mixtures.fitting.fit_mixture` fits and a
:class:`~bayesforge.mixtures.result.MixtureFit` carries (``fit.model``). Nothing branches on
which model it is: each answers for itself.

>>> from bayesforge.mixtures.gmm import GMM
>>> from bayesforge.mixtures.dpmm import DPMM
>>> GMM(K=8).num_parameters(D=2), DPMM(T=20).num_parameters(D=2)
(47, 120)
>>> GMM(K=8).display_name, model_named("dpmm", {"T": 20})
('GMM', DPMM(T=20))
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

import numpy as np

from ..distributed import same_in_every_process

if TYPE_CHECKING:
    from ..device import Devices
    from .data import MixtureData

__all__ = ["MixtureModel", "library_models", "model_named"]


class MixtureModel(ABC):
    """A library mixture model (subclasses are frozen dataclasses holding their size: K, T)."""

    #: The name files record (``bayesforge.load`` maps it back to the model) and ``fit.kind`` reports.
    name: ClassVar[str]
    #: The name reprs show ("GMM").
    display_name: ClassVar[str]
    #: Sites :meth:`MixtureFit.summary` shows by default.
    summary_sites: ClassVar[tuple[str, ...]] = ("weights", "mu", "sigma")
    #: Components whose posterior mean weight is below this are left out of the diagnostics' r̂ and ESS (0: all
    #: count); a DPMM's unused sticks are draws from the prior whose order switches freely between chains.
    diagnostic_min_weight: ClassVar[float] = 0.0

    @property
    @abstractmethod
    def num_components(self) -> int:
        """Number of mixture components (a DPMM's truncation)."""

    @abstractmethod
    def model(self, m: Any) -> Callable[..., Any]:
        """The NumPyro model function, written with ``m.dist`` (called with ``data`` and the fit's model arguments)."""

    @abstractmethod
    def start_values(self, data: "MixtureData", model_kwargs: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
        """Where chains start, ``{site: value}``, for the model called with ``model_kwargs``."""

    @abstractmethod
    def num_parameters(self, D: int) -> int:
        """Free parameters in D dimensions, for BIC and AIC."""

    @classmethod
    @abstractmethod
    def from_arguments(cls, model_arguments: Mapping[str, Any]) -> "MixtureModel":
        """The model whose :meth:`model_arguments` were these (``bayesforge.load`` rebuilds it from a file)."""

    def init_strategy(self, devices: "Devices", data: "MixtureData", model_kwargs: Mapping[str, Any], seed: int):
        """The NumPyro init strategy starting every chain at :meth:`start_values` (``init_to_value``).

        The values are the main process's in every process, and jnp arrays made in the fit's
        precision (float32 start values in a float64 fit break NumPyro's transforms; NumPyro's
        inverse transforms index them with traced indices under pmap).
        """
        import jax.numpy as jnp
        from numpyro.infer import init_to_value

        start = same_in_every_process(self.start_values(data, model_kwargs, seed), check=False)
        with devices.context():
            values = {name: jnp.asarray(value) for name, value in start.items()}
        return init_to_value(values=values)


def library_models() -> dict[str, type[MixtureModel]]:
    """The library models by :attr:`MixtureModel.name`."""
    from .dpmm import DPMM
    from .gmm import GMM

    return {model.name: model for model in (GMM, DPMM)}


def model_named(name: str, model_arguments: Mapping[str, Any]) -> MixtureModel:
    """The library model called ``name`` ("gmm", "dpmm") whose arguments were ``model_arguments``.

    >>> model_named("gmm", {"K": 3, "reg_covar": 1e-6})
    GMM(K=3)
    """
    models = library_models()
    if name not in models:
        raise ValueError(f"unknown library model {name!r}; known: {sorted(models)}")
    return models[name].from_arguments(model_arguments)
