"""BayesForge: write a Bayesian model once, fit it with NUTS on JAX/NumPyro.

>>> from bayesforge import bf
>>> m = bf()                                        # doctest: +SKIP
>>> m.dist.normal(0, 1, sample=True, seed=0)        # doctest: +SKIP
"""
from .forge import BayesForge, bf

__all__ = ["BayesForge", "bf", "__version__"]
__version__ = "0.1.0"
