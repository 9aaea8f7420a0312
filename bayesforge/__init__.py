"""BayesForge: write a Bayesian model once, fit it with NUTS on JAX/NumPyro.

A tour. ``bf()`` is a workspace: the devices it fits on (every CPU core, or a
GPU/TPU), the distributions ``m.dist``, the data, the last fit.

>>> from bayesforge import bf
>>> m = bf(platform="cpu")

``m.dist.<name>`` is every NumPyro distribution, by the page's vocabulary: a
draw with ``sample=True``, a model's random variable with ``name=``, an
observation with ``obs=``.

>>> m.dist.normal(0.0, 1.0, sample=True, seed=0).shape
()
>>> m.dist.normal(0.0, 1.0, sample=True, seed=0, sample_shape=(3,)).shape
(3,)

``m.fit(model)`` runs NUTS on a model written with ``m.dist``, its arguments
taken by name from ``m.data_on_model``; then ``m.summary()``,
``m.posteriors``, ``m.to_arviz()``::

    def model(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")
        m.dist.normal(mu, 1.0, name="y", obs=y)

    m.data_on_model = {"y": [0.9, 1.1, 1.0]}
    m.fit(model, num_warmup=500, num_samples=500, num_chains=4)
    m.summary()                      # mean, sd, HDI, ESS, r_hat per parameter

Library models take an N×D array or a pandas DataFrame and return a
:class:`~bayesforge.mixtures.result.MixtureFit` (memberships ``predict_proba()``,
relabelled ``summary()``, ``loo()``/``waic()``/``bic()``, ``plot()``);
components and rows are numbered from 0::

    fit = m.gmm(data, K=3)                          # a Gaussian mixture with K components
    fit = m.gmm(data, K="auto", ks=range(1, 8))     # K chosen by PSIS-LOO; fit.selection is the comparison
    selection = m.choose_k(data, ks=range(1, 8), criterion="loo",
                           on_fit=lambda k, fit, i, n: print(f"K={k} ({i}/{n}) done"))
    selection.table, selection.selected_k, selection.plot()
    fit = m.dpmm(data, T=20)                        # a truncated Dirichlet-process mixture
    fit.occupied_clusters()                         # posterior of the number of clusters
    fit.save("fit.nc"); fit = bayesforge.load("fit.nc")   # save and reload (bayesforge.mixtures.persist)

For scikit-learn, the same Gaussian mixture is the estimator
``bayesforge.BayesianGMM`` (``fit``/``predict``/``predict_proba``/``score``;
it goes into a ``Pipeline`` or ``GridSearchCV``; see :mod:`bayesforge.estimator`).
From the shell, ``bayesforge gmm data.csv`` (also ``python -m bayesforge``) fits a
CSV file's columns; see :mod:`bayesforge.cli`.
"""
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .estimator import BayesianGMM
    from .forge import BayesForge, bf
    from .mixtures.persist import load

__all__ = ["BayesForge", "BayesianGMM", "bf", "load", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # bf and BayesForge (JAX, scikit-learn: seconds to import) are imported on first use, so `import bayesforge`
    # is quick and the `bayesforge` command answers --help or a wrong option at once.
    if name in ("bf", "BayesForge"):
        from . import forge

        return getattr(forge, name)
    # BayesianGMM is imported on first use: `import bayesforge` does not load the estimator module.
    if name == "BayesianGMM":
        from .estimator import BayesianGMM

        return BayesianGMM
    if name == "load":  # bayesforge.load(path): a fit saved with fit.save / m.save
        from .mixtures.persist import load

        return load
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
