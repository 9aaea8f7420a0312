"""Compatibility module for the seed's import: ``from BayesForge import bf``."""
from bayesforge import BayesForge, __version__, bf

__all__ = ["BayesForge", "bf", "__version__"]
