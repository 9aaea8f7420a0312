"""BayesForge: write a Bayesian model once, fit it with NUTS on JAX/NumPyro.

>>> from bayesforge import bf
>>> m = bf(platform="cpu")
>>> m.dist.normal(0.0, 1.0, sample=True, seed=0).shape
()
"""
from .forge import BayesForge, bf

__all__ = ["BayesForge", "bf", "__version__"]
__version__ = "0.1.0"
