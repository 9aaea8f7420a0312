"""Missing values by marginalisation (missing="marginalize"): the likelihood of incomplete rows against SciPy in
float64 (values, both code paths, gradients), the checks at the entry points, and one real fit of six blobs of the
seed data with 20 % of the cells removed, run through the CLI (--missing marginalize on a CSV with empty cells) and
shared by the checks of memberships, ARI, imputation, scores and the figure. Cheap: one NUTS fit of 300 rows
(2 chains x 100), one tiny estimator fit."""
import itertools
import re

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score

from bayesforge.forge import BayesForge
from bayesforge.likelihood import incomplete_mixture_log_prob, mixture_log_prob
from bayesforge.missing import Missingness
from bayesforge.mixtures.gmm import seed_data
from cli_support import run_in_process


#: A LAPACK custom call in StableHLO (as tests/test_likelihood.py, which also shows that the pattern finds one).
LAPACK_CALL = re.compile(r"[@\"]lapack_\w+")


# -- the likelihood ------------------------------------------------------------------------------------------
def _problem(k=3, d=3, n=60, seed=0):
    """A mixture (log-weights, means, Cholesky factors) and points with every missingness pattern but none."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(k, d, d))
    scale_tril = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + d * np.eye(d))
    loc = 3.0 * rng.normal(size=(k, d))
    weights = rng.dirichlet(np.ones(k))
    x = 3.0 * rng.normal(size=(n, d))
    patterns = [p for r in range(1, d + 1) for p in itertools.combinations(range(d), r)]
    for row in range(n):
        observed = patterns[row % len(patterns)]
        x[row, [j for j in range(d) if j not in observed]] = np.nan
    return np.log(weights), loc, scale_tril, x


def _scipy_log_prob(log_weights, loc, scale_tril, x):
    """log Σ_k w_k N(x_o | μ_k,o, Σ_k,oo) row by row with SciPy: the oracle."""
    covariances = scale_tril @ np.swapaxes(scale_tril, -1, -2)
    out = []
    for row in x:
        o = np.flatnonzero(~np.isnan(row))
        terms = [log_weights[k] + multivariate_normal(loc[k, o], covariances[k][np.ix_(o, o)]).logpdf(row[o])
                 for k in range(len(log_weights))]
        out.append(logsumexp(terms))
    return np.array(out)


def test_likelihood_is_the_marginal_mvn_mixture_density_in_float64():
    log_weights, loc, scale_tril, x = _problem()
    patterns = Missingness.of(x)
    with jax.enable_x64(True):  # x closed over: the data NUTS sees; x an argument: traced
        grouped = np.asarray(jax.jit(lambda *p: incomplete_mixture_log_prob(*p, x))(log_weights, loc, scale_tril))
        traced = np.asarray(jax.jit(lambda v: incomplete_mixture_log_prob(log_weights, loc, scale_tril, v,
                                                                          patterns))(x))
    expected = _scipy_log_prob(log_weights, loc, scale_tril, x)
    np.testing.assert_allclose(grouped, expected, rtol=1e-6)
    np.testing.assert_allclose(traced, expected, rtol=1e-6)  # the path of minibatches and rows split over devices
    assert len(patterns.observed) == 7 and patterns.observed[0] == (0, 1, 2)


def test_complete_rows_take_the_fused_kernel_unchanged():
    log_weights, loc, scale_tril, x = _problem()
    complete = np.nan_to_num(x, nan=0.5)
    with jax.enable_x64(True):
        both = jax.jit(lambda *p: (incomplete_mixture_log_prob(*p, complete), mixture_log_prob(*p, complete)))
        np.testing.assert_array_equal(*map(np.asarray, both(log_weights, loc, scale_tril)))


def _reference_total(log_weights, loc, scale_tril, x):
    """Σ_n log p(x_n,o) by plain jnp algebra (dense inverse and determinant per pattern): gradient oracle."""
    covariances = scale_tril @ jnp.swapaxes(scale_tril, -1, -2)
    total = 0.0
    for columns, rows in zip(*(lambda p: (p.observed, p.rows))(Missingness.of(x))):
        o = np.asarray(columns)
        sub = covariances[:, o][:, :, o]
        residual = x[np.ix_(rows, o)][:, None, :] - loc[None, :, o]
        solved = jnp.einsum("kij,nkj->nki", jnp.linalg.inv(sub), residual)
        log_det = jnp.linalg.slogdet(sub)[1]
        terms = log_weights - 0.5 * (log_det + len(o) * np.log(2 * np.pi)) - 0.5 * jnp.sum(residual * solved, -1)
        total = total + jnp.sum(jax.nn.logsumexp(terms, axis=-1))
    return total


def test_gradients_match_plain_autodiff_in_float64():
    log_weights, loc, scale_tril, x = _problem(k=3, d=2, n=30, seed=3)
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a) for a in (log_weights, loc, scale_tril))
        fused = jax.jit(jax.grad(lambda *p: jnp.sum(incomplete_mixture_log_prob(*p, x)), argnums=(0, 1, 2)))(*args)
        reference = jax.jit(jax.grad(lambda *p: _reference_total(*p, x), argnums=(0, 1, 2)))(*args)
    for got, want in zip(fused, reference):
        np.testing.assert_allclose(np.tril(got) if got.ndim == 3 else got,
                                   np.tril(want) if want.ndim == 3 else want, rtol=1e-6, atol=1e-9)


def test_the_gradient_of_incomplete_rows_calls_no_lapack():
    """jax 0.10 deadlocks parallel chains on batched LAPACK calls: the marginal factors are unrolled too."""
    log_weights, loc, scale_tril, x = (np.asarray(v, np.float32) for v in _problem(k=3, d=3, n=40))
    for value in (x, None):  # the data closed over (NUTS), the data an argument (VI minibatches)
        def total(log_weights, loc, scale_tril, v=value if value is not None else x):
            return jnp.sum(incomplete_mixture_log_prob(log_weights, loc, scale_tril, v, Missingness.of(x)))

        arguments = (log_weights, loc, scale_tril) + (() if value is not None else (x,))
        lowered = jax.jit(jax.grad(total, argnums=(0, 1, 2))).lower(*arguments)
        assert not LAPACK_CALL.search(lowered.as_text())


# -- the checks where data enter ----------------------------------------------------------------------------
def test_default_nan_error_names_row_column_and_the_option(m):
    data = np.ones((5, 2)) + np.arange(10.0).reshape(5, 2)
    data[3, 1] = np.nan
    with pytest.raises(ValueError, match=r'row 3, column 1; to fit rows with missing values \(NaN\), pass '
                                         r'missing="marginalize"'):
        m.gmm(data, K=2)


def test_unknown_missing_value_lists_the_allowed_ones(m):
    with pytest.raises(ValueError, match=r"missing must be 'error' .* or 'marginalize' .*got 'impute'"):
        m.gmm(np.arange(10.0).reshape(5, 2), K=2, missing="impute")
    with pytest.raises(ValueError, match="missing must be"):
        m.choose_k(np.arange(10.0).reshape(5, 2), ks=[1], missing=None)


def test_rows_with_every_value_missing_are_named(m):
    data = np.arange(20.0).reshape(10, 2)
    data[[2, 7]] = np.nan
    data[4, 0] = np.nan
    with pytest.raises(ValueError, match=r"data: rows 2 and 7 \(numbered from 0\) have every value missing"):
        m.dpmm(data, T=3, missing="marginalize")


def test_infinity_stays_an_error_when_marginalising(m):
    data = np.arange(20.0).reshape(10, 2)
    data[1, 0], data[5, 1] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"1 infinite value\(s\), the first at row 5, column 1"):
        m.gmm(data, K=2, missing="marginalize")


# -- one real fit: the CLI on a CSV with empty cells ---------------------------------------------------------
N, K = 300, 6


def six_blobs():
    """300 points of the seed data (make_blobs, sd 0.8) without its two closest blobs (centres 3.2 apart).

    Those two are borderline at 300 points: with 20 % of the cells missing, the likelihood gain of
    separating them (about 10 nats at the maximum-likelihood fits of 8 and 7 components, 14 for the
    complete data) is below the prior's price of a further component, and the posterior merges them.
    benchmarks/missing.py measures the full seed data at 500 points.
    """
    data, labels = seed_data(n_samples=400)
    centres = np.array([data[labels == k].mean(axis=0) for k in range(8)])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=-1) + np.eye(8) * 1e9
    close = np.unravel_index(np.argmin(gaps), gaps.shape)
    keep = ~np.isin(labels, close)
    return data[keep], np.unique(labels[keep], return_inverse=True)[1]


@pytest.fixture(scope="module")
def cli_fit(tmp_path_factory):
    """`bayesforge gmm --missing marginalize` on six blobs of the seed data with 20 % of the cells empty (never a
    whole row); the MixtureFit it made is recorded on its way out of m.gmm."""
    data, labels = six_blobs()
    assert data.shape == (N, 2)
    rng = np.random.default_rng(0)
    rows = rng.choice(N, size=int(0.2 * N * 2), replace=False)  # 120 cells: one in each of 120 rows
    holes = data.copy()
    holes[rows, rng.integers(0, 2, size=len(rows))] = np.nan
    folder = tmp_path_factory.mktemp("missing")
    path = folder / "holes.csv"
    pd.DataFrame(holes, columns=["a", "b"]).to_csv(path, index=False, na_rep="")
    fits = []
    original = BayesForge.gmm

    def recording(self, *args, **options):
        fits.append(original(self, *args, **options))
        return fits[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BayesForge, "gmm", recording)
        status, out, err = run_in_process(["gmm", path, "--k", str(K), "--missing", "marginalize", "--chains", "2",
                                           "--warmup", "100", "--samples", "100", "--out", folder / "out", "--quiet"])
    assert status == 0, err
    return {"fit": fits[0], "data": data, "holes": holes, "labels": labels, "out": folder / "out", "stdout": out}


def test_cli_writes_memberships_for_every_row_and_says_what_is_missing(cli_fit):
    table = pd.read_csv(cli_fit["out"] / "memberships.csv")
    assert table["row"].tolist() == list(range(N))
    assert np.isfinite(table.filter(like="p_").to_numpy()).all()
    assert "missing: 120 cells in 120 rows" in cli_fit["stdout"]
    complete = ~np.isnan(cli_fit["holes"]).any(axis=1)
    assert adjusted_rand_score(cli_fit["labels"][complete], table["cluster"][complete]) >= 0.9


def test_fit_with_20_percent_missing_recovers_the_clusters_and_scores_every_row(cli_fit):
    fit = cli_fit["fit"]
    assert fit.missing == "marginalize" and np.isnan(fit.data).sum() == 120
    # the clusters: the fit's memberships of the full data (before the cells were removed)
    assert adjusted_rand_score(cli_fit["labels"], fit.predict(cli_fit["data"])) >= 0.9
    # a row that kept one coordinate of two is often ambiguous; still far better than chance
    assert adjusted_rand_score(cli_fit["labels"], fit.predict()) >= 0.6
    scores = fit.score_samples()
    assert np.isfinite(scores).all()
    incomplete = np.isnan(cli_fit["holes"]).any(axis=1)
    assert scores[incomplete].mean() > scores[~incomplete].mean()  # one coordinate's density, not two
    # new points with missing cells: the same memberships as the training rows
    np.testing.assert_allclose(fit.predict_proba(cli_fit["holes"][:20]), fit.predict_proba()[:20], atol=1e-5)


def test_impute_fills_the_missing_cells_near_the_truth_with_intervals(cli_fit):
    filled = cli_fit["fit"].impute()
    holes, data = cli_fit["holes"], cli_fit["data"]
    missing = np.isnan(holes)
    np.testing.assert_array_equal(filled.missing, missing)
    np.testing.assert_array_equal(filled.mean[~missing], holes[~missing])
    errors = filled.mean[missing] - data[missing]
    column_means = np.broadcast_to(np.nanmean(holes, axis=0), holes.shape)[missing]
    # one coordinate given the other: the right blob's value (sd 0.8) when the other says which blob, an average of
    # the candidates' (with a wide interval) when it does not
    assert np.sqrt(np.mean(errors**2)) < np.sqrt(np.mean((column_means - data[missing]) ** 2))
    sure = filled.sd[missing] < 1.2  # one blob: the cell's sd is the blob's conditional sd
    assert sure.mean() > 0.2 and np.abs(errors[sure]).max() < 4 * 0.8
    covered = (filled.lower[missing] <= data[missing]) & (data[missing] <= filled.upper[missing])
    assert covered.mean() >= 0.85  # 95 % predictive intervals
    cells = filled.cells()
    assert len(cells) == 120 and set(cells["column"]) <= {"a", "b"} and (cells["sd"] > 0).all()


def test_figure_draws_incomplete_rows_hollow_with_a_legend(cli_fit):
    figure = cli_fit["fit"].plot()
    main = figure.axes[0]
    hollow = [c for c in main.collections if c.get_gid() == "points-incomplete"]
    assert len(hollow) == 1 and len(hollow[0].get_offsets()) == 120
    assert [t.get_text() for t in main.get_legend().get_texts()] == [
        "hollow: 120 incomplete rows (a missing value drawn at its mean in the row's cluster)"]
    assert (cli_fit["out"] / "gmm.png").stat().st_size > 0


# -- the estimator ---------------------------------------------------------------------------------------------
def test_estimator_fits_and_predicts_rows_with_nan(cli_fit):
    from bayesforge import BayesianGMM

    X = cli_fit["holes"]  # the CLI's data and settings: the run's compilation cache serves this fit
    model = BayesianGMM(n_components=K, missing="marginalize", num_chains=2, num_warmup=100, num_samples=100,
                        random_state=0)
    assert model.__sklearn_tags__().input_tags.allow_nan and not BayesianGMM().__sklearn_tags__().input_tags.allow_nan
    labels = model.fit_predict(X)
    complete = ~np.isnan(X).any(axis=1)
    assert adjusted_rand_score(cli_fit["labels"][complete], labels[complete]) >= 0.9
    assert np.isfinite(model.score_samples(X)).all() and model.predict_proba(X[:3]).shape == (3, K)
    with pytest.raises(ValueError, match="NaN"):
        BayesianGMM(n_components=K).fit(X)
