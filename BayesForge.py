"""Compatibility module for the seed's import: ``from BayesForge import bf``."""
from bayesforge import BayesForge, __version__, bf

__all__ = ["BayesForge", "BayesianGMM", "bf", "__version__"]


def __getattr__(name: str):
    # As in bayesforge: the scikit-learn estimator is imported on first use.
    if name == "BayesianGMM":
        from bayesforge.estimator import BayesianGMM

        return BayesianGMM
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
