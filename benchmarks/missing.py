"""Clustering with missing values: marginalisation vs mean imputation + scikit-learn, and vs the complete data.

The seed's data (make_blobs, 8 centres, sd 0.8, D = 2) with 10 %, 20 % and 40 % of its cells removed at random
(cells drawn uniformly, skipping a cell that would leave its row with nothing observed, so every row keeps a
value: at 40 % in D = 2 that is 80 % of the rows incomplete). For each fraction:

* ``ari_marginalize``: ``m.gmm(holes, K=8, missing="marginalize")`` (NUTS, each row's likelihood on the values it
  has), most probable component vs the true labels (adjusted Rand index);
* ``ari_mean_imputation_sklearn``: scikit-learn's ``SimpleImputer(strategy="mean")`` then
  ``GaussianMixture(8, covariance_type="full", n_init=5)``, what a user without missing-value support does;
* ``ari_complete_data``: ``m.gmm(data, K=8)`` on the data before any cell was removed (the ceiling; one fit,
  repeated on every line);
* ``rmse_impute`` / ``rmse_mean_imputation``: root mean square error of the removed cells filled by
  ``fit.impute()`` (posterior mean given the row's observed value) and by the column means;
  ``coverage_95``: share of removed cells inside ``fit.impute()``'s 95 % intervals;
* ``fit_s`` (the marginalised fit's wall time), ``max_r_hat``, load averages before and after (the machine is shared).

One JSON line per fraction. Usage: python benchmarks/missing.py [--n 500] [--fractions 0.1 0.2 0.4]
[--chains 4] [--warmup 500] [--samples 500] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import time
import warnings


def remove_cells(data, fraction: float, rng):
    """A copy of ``data`` with ``fraction`` of its cells NaN, drawn at random; no row loses every value."""
    import numpy as np

    holes = data.copy()
    n, d = data.shape
    wanted = int(round(fraction * n * d))
    left = np.full(n, d)
    removed = 0
    for cell in rng.permutation(n * d):
        if removed == wanted:
            break
        row, column = divmod(int(cell), d)
        if left[row] > 1:
            holes[row, column] = np.nan
            left[row] -= 1
            removed += 1
    if removed < wanted:
        raise ValueError(f"cannot remove {fraction:.0%} of the cells and keep a value in every row (D = {d})")
    return holes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.2, 0.4])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    from bayesforge import bf
    from bayesforge.mixtures.gmm import seed_data

    def load():
        return [round(v, 2) for v in os.getloadavg()]

    m = bf(platform="cpu")
    sampling = {"num_chains": args.chains, "num_warmup": args.warmup, "num_samples": args.samples, "seed": args.seed}
    data, labels = seed_data(n_samples=args.n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        complete = m.gmm(data, K=8, **sampling)
    ari_complete = adjusted_rand_score(labels, complete.predict())
    rng = np.random.default_rng(args.seed)
    for fraction in args.fractions:
        row = {"benchmark": "missing", "n": args.n, "k": 8, "d": 2, "fraction": fraction, "load_before": load(),
               "chains": args.chains, "warmup": args.warmup, "samples": args.samples}
        holes = remove_cells(data, fraction, rng)
        missing = np.isnan(holes)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = m.gmm(holes, K=8, missing="marginalize", **sampling)
        fit_s = time.perf_counter() - started
        filled = fit.impute()
        imputed = SimpleImputer(strategy="mean").fit_transform(holes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sklearn_labels = GaussianMixture(8, covariance_type="full", n_init=5,
                                             random_state=args.seed).fit(imputed).predict(imputed)
        truth = data[missing]
        row.update({
            "missing_cells": int(missing.sum()), "incomplete_rows": int(missing.any(axis=1).sum()),
            "ari_marginalize": round(adjusted_rand_score(labels, fit.predict()), 4),
            "ari_mean_imputation_sklearn": round(adjusted_rand_score(labels, sklearn_labels), 4),
            "ari_complete_data": round(ari_complete, 4),
            "rmse_impute": round(float(np.sqrt(np.mean((filled.mean[missing] - truth) ** 2))), 4),
            "rmse_mean_imputation": round(float(np.sqrt(np.mean((imputed[missing] - truth) ** 2))), 4),
            "coverage_95": round(float(np.mean((filled.lower[missing] <= truth)
                                               & (truth <= filled.upper[missing]))), 4),
            "fit_s": round(fit_s, 1), "max_r_hat": round(float(fit.diagnostics["max_r_hat"]), 3),
            "load_after": load()})
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
