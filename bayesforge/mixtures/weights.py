"""Sample weights for the library mixtures: row i's log-likelihood counts w_i times.

``m.gmm(data, K, sample_weight=w)``, ``m.dpmm``, ``m.choose_k``, ``K="auto"``,
``method="vi"``, ``BayesianGMM.fit(X, sample_weight=w)`` and ``bayesforge gmm
--weights COLUMN`` all fit the likelihood Σ_i w_i log p(x_i | θ):

* **Frequency weights.** Integer weights give the posterior of the data with row i
  repeated w_i times: the priors, which are relative to each column's spread, use
  the weighted mean and sd (those of the repeated data), and the k-means centroids
  that centre the GMM's means are weighted (scikit-learn's ``sample_weight``). A row
  of weight 0 does not enter the posterior, yet gets memberships and predictions
  like every row. Weights that are all 1 are the unweighted fit, bit for bit.
* **Survey weights.** Sampling weights w_i = 1/π_i add up to the population size;
  used as they are, the posterior is that of a sample that large and far too
  narrow. The usual pseudo-posterior (Savitsky & Toth 2016) rescales them to add up
  to the number of rows: ``sample_weight=w * len(w) / w.sum()``. The point estimates
  are the same either way; only the spread changes.
* **Variational inference** (``method="vi"``): each minibatch draws B of the N rows
  uniformly (with replacement) and each row carries its weight; the batch's
  log-likelihood Σ_b w_b log p(x_b | θ) times N / B is an unbiased estimate of the
  weighted total. (Drawing rows with probability ∝ w would need a cumulative table
  of the weights that float32 cannot hold to the precision of one row at 10⁶ rows.)
* **LOO, WAIC and BIC.** The pointwise log-likelihood (``fit.to_arviz()``) is per
  row and unweighted, log p(x_i | θ). The criteria weight its rows: elpd = Σ_i w_i
  elpd_i, with elpd_i the PSIS-LOO (or WAIC) value of leaving out one unit (one
  copy) of row i, standard error √(Σ_i w_i (elpd_i − ē)²) (ē the weighted mean) and
  p_loo = Σ_i w_i (lppd_i − elpd_i): for integer weights exactly the criteria of the
  repeated data. For survey weights elpd is the Horvitz–Thompson estimate of the
  population's total elpd. LOO still treats rows as exchangeable draws, and a
  weight below 1 leaves out more than that row's share (the estimate is then a
  little pessimistic). BIC = −2 · max_s Σ_i w_i log p(x_i | θ_s) + parameters ·
  log Σ_i w_i: the weights' total is the number of points.

Validation happens once, where the weights enter (:func:`bayesforge.validation.check_sample_weight`):
wrong length or shape, non-numbers, negative, NaN or infinite weights, or weights
that are all 0, are errors naming ``sample_weight``.

>>> check_sample_weight([1, 2, 0], 3).tolist()
[1.0, 2.0, 0.0]
>>> check_sample_weight([1.0, 1.0], 2) is None       # all ones: the unweighted fit
True
>>> check_sample_weight([1.0, -2.0, 1.0], 3)
Traceback (most recent call last):
...
ValueError: sample_weight must be >= 0: row 1 has -2
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable

import numpy as np
from numpyro.distributions import Unit
from numpyro.primitives import Messenger

from ..validation import check_sample_weight

__all__ = ["RowWeights", "weigh_data", "with_sample_weight", "weighted_criterion",
           "weighted_se_of_difference"]


def weigh_data(data: Any, sample_weight: Any) -> Any:
    """``data`` (a :class:`~bayesforge.mixtures.data.MixtureData`) with checked weights and the columns' weighted
    means and sds (over its observed cells), the moments of the data with rows repeated; ``data`` when unweighted.

    A column that has a single value among the rows of positive weight is an error naming it.
    """
    from ..distributed import refuse_distributed
    from .data import describe_column

    weights = check_sample_weight(sample_weight, data.matrix.shape[0])
    if weights is None:
        return data
    refuse_distributed("sample weights (sample_weight)")
    matrix = data.matrix
    present = ~np.isnan(matrix) & (weights > 0)[:, None]
    totals = (weights[:, None] * present).sum(axis=0)
    filled = np.where(present, matrix, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        location = (weights[:, None] * filled).sum(axis=0) / totals
        deviations = np.where(present, matrix - location, 0.0)
        scale = np.sqrt((weights[:, None] * deviations**2).sum(axis=0) / totals)
    for j in range(matrix.shape[1]):
        values = matrix[present[:, j], j]
        if len(values) == 0 or values.min() == values.max():
            shown = f" ({values[0]:.6g})" if len(values) else ""
            raise ValueError(f"data: {describe_column(j, data.feature_names)} has a single value{shown} in the rows "
                             "of positive sample_weight: a Gaussian mixture needs spread in every column")
    return dataclasses.replace(data, location=location, scale=scale, sample_weight=weights)


class RowWeights(Messenger):
    """Multiply each row's log-density at the observed sites (not factors) by ``weights`` (N,): their ``scale``.

    ``numpyro.handlers.scale`` refuses a weight of 0; a site's scale is multiplied
    into its pointwise log-density (NUTS's potential, the ELBO), while
    ``numpyro.infer.util.log_likelihood`` (LOO, WAIC) still reads it unweighted.
    """

    def __init__(self, fn: Callable[..., Any] | None = None, weights: Any = None):
        self.weights = weights
        super().__init__(fn)

    def process_message(self, msg: dict) -> None:
        # numpyro.factor sites (e.g. NumPyro's "_mu_log_det" Jacobian terms) are observed Unit sites: not data rows
        if msg["type"] == "sample" and msg.get("is_observed") and not isinstance(msg["fn"], Unit):
            msg["scale"] = self.weights if msg.get("scale") is None else self.weights * msg["scale"]


def with_sample_weight(model: Callable[..., Any]) -> Callable[..., Any]:
    """``model`` with one more keyword, ``sample_weight=None`` (N,): each observed row's log-likelihood times it.

    The weights are a model argument (not a constant), so minibatches and rows split
    over devices take them along with the data rows.

    >>> import numpyro, numpyro.distributions as dist
    >>> from numpyro.infer.util import log_density
    >>> def model(y):
    ...     with numpyro.plate("rows", len(y)):
    ...         numpyro.sample("y", dist.Normal(0.0, 1.0), obs=y)
    >>> weighted = with_sample_weight(model)
    >>> y = np.array([0.0, 1.0])
    >>> float(log_density(weighted, (), {"y": y, "sample_weight": np.array([2.0, 0.0])}, {})[0]) == float(
    ...     2 * dist.Normal(0.0, 1.0).log_prob(0.0))
    True
    """

    @functools.wraps(model)
    def weighted(*args: Any, sample_weight: Any = None, **kwargs: Any) -> Any:
        if sample_weight is None:
            return model(*args, **kwargs)
        with RowWeights(weights=sample_weight):
            return model(*args, **kwargs)

    signature = inspect.signature(model)
    extra = inspect.Parameter("sample_weight", inspect.Parameter.KEYWORD_ONLY, default=None)
    parameters = list(signature.parameters.values())
    keywords = [p for p in parameters if p.kind is p.VAR_KEYWORD]
    others = [p for p in parameters if p.kind is not p.VAR_KEYWORD]
    weighted.__signature__ = signature.replace(parameters=[*others, extra, *keywords])
    return weighted


def weighted_criterion(result: Any, pointwise_lppd: np.ndarray, weights: np.ndarray) -> Any:
    """An ArviZ ``loo``/``waic`` result (with its pointwise values) summed with row ``weights`` (see the module
    docstring): elpd = Σ w_i elpd_i, se = √(Σ w_i (elpd_i − ē)²), p = Σ w_i (lppd_i − elpd_i).

    ``result``, ``pointwise_lppd`` (log (1/S) Σ_s p(x_i | θ_s)) and ``weights`` cover the
    same rows: those of positive weight (a row of weight 0 is not in the posterior, and
    its PSIS weights are meaningless). The pointwise values, Pareto k and the other
    entries are left as ArviZ computed them.
    """
    kind = result.index[0]  # "elpd_loo" or "elpd_waic"
    pointwise = "loo_i" if kind == "elpd_loo" else "waic_i"
    penalty = "p_loo" if kind == "elpd_loo" else "p_waic"
    values = np.asarray(result[pointwise], dtype=float)
    total = float(np.sum(weights * values))
    mean = total / float(np.sum(weights))
    entries = dict(zip(result.index, result.values))
    entries[kind] = total
    entries["se"] = float(np.sqrt(np.sum(weights * (values - mean) ** 2)))
    entries[penalty] = float(np.sum(weights * (np.asarray(pointwise_lppd, dtype=float) - values)))
    return type(result)(data=list(entries.values()), index=list(entries))


def weighted_se_of_difference(results: dict[int, Any], weights: np.ndarray) -> dict[int, float]:
    """Per key, the standard error of its weighted elpd's difference from the best key's (0 for the best):
    √(Σ_i w_i (d_i − d̄)²) over the pointwise differences d_i (``arviz.compare``'s ``dse`` of the repeated data).

    ``weights``: those of the rows the results cover (the rows of positive weight).
    """
    kind = next(iter(results.values())).index[0]
    pointwise = "loo_i" if kind == "elpd_loo" else "waic_i"
    best = max(results, key=lambda key: float(results[key][kind]))
    reference = np.asarray(results[best][pointwise], dtype=float)
    out = {}
    for key, result in results.items():
        difference = reference - np.asarray(result[pointwise], dtype=float)
        mean = np.sum(weights * difference) / np.sum(weights)
        out[key] = float(np.sqrt(np.sum(weights * (difference - mean) ** 2)))
    return out
