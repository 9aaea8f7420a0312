"""Every default and threshold of BayesForge, in one place.

The library (``m.fit``, ``m.gmm``, ``m.dpmm``, ``m.choose_k``), the scikit-learn
estimator, the command line and the R and Julia front ends (which call the
library) all read them here, so the same data and seed give the same fit from
every entry point. The README lists them.

>>> NUTS_DEFAULTS["num_warmup"], NUTS_DEFAULTS["num_chains"], R_HAT_LIMIT
(1000, 4, 1.1)
>>> CRITERIA
('loo', 'waic', 'bic')
"""
from __future__ import annotations

__all__ = ["NUTS_DEFAULTS", "DEFAULT_CHAINS", "TARGET_ACCEPT_PROB", "MAX_DRAWS", "VI_DEFAULTS", "REG_COVAR",
           "DEFAULT_K", "DEFAULT_TRUNCATION", "UNUSED_WEIGHT", "CRITERIA", "R_HAT_LIMIT", "COLLAPSED_R_HAT",
           "SMALL_ELPD_DIFFERENCE", "KMEANS_POINTS"]

# -- sampling -------------------------------------------------------------------------------------------
#: Chains of every NUTS fit (in parallel when there is a device per chain).
DEFAULT_CHAINS = 4
#: NUTS's target acceptance probability (NumPyro's default).
TARGET_ACCEPT_PROB = 0.8
#: NUTS settings of every fit: ``m.fit``, the library mixtures, the estimator, the CLI, R and Julia.
NUTS_DEFAULTS = {"num_warmup": 1000, "num_samples": 1000, "num_chains": DEFAULT_CHAINS, "seed": 0}
#: Posterior draws (evenly spaced) a mixture fit uses for memberships, predictions and the figure.
MAX_DRAWS = 400
#: A variational fit (``method="vi"``): draws from the fitted approximation, ``max_draws`` of them for
#: memberships and the figure (they vary little: half of NUTS's 400 halves the cost).
VI_DEFAULTS = {"num_samples": 1000, "seed": 0, "max_draws": 200}

# -- the library mixtures -------------------------------------------------------------------------------
#: Components of ``m.gmm`` and the estimator when K is not given (the documentation page's 8).
DEFAULT_K = 8
#: Components of the DPMM's truncated stick-breaking process.
DEFAULT_TRUNCATION = 20
#: Covariance floor, relative to each column's variance (scikit-learn's ``reg_covar`` default, there absolute).
REG_COVAR = 1e-6
#: A DPMM component with a smaller posterior mean weight is unused: r̂ and ESS are not judged on it.
UNUSED_WEIGHT = 0.01
#: Points (a random subset) k-means is run on to start the chains.
KMEANS_POINTS = 20_000

# -- convergence and choosing K -----------------------------------------------------------------------
#: Criteria for choosing K; the first is the default.
CRITERIA = ("loo", "waic", "bic")
#: A fit whose largest r̂ exceeds this did not converge: the library and the CLI warn, and choosing K
#: leaves it out.
R_HAT_LIMIT = 1.1
#: Above this r̂ the chains sit in different modes (a component collapsed or split): "collapsed".
COLLAPSED_R_HAT = 1e3
#: An elpd difference below this is small whatever its standard error, which is then unreliable
#: (Sivula, Magnusson & Vehtari 2022; the loo package's FAQ): such K are as good as the best.
SMALL_ELPD_DIFFERENCE = 4.0
