"""Sample weights (issue 13 item 2): row i's log-likelihood counts w_i times, in m.gmm, m.dpmm, m.choose_k,
K="auto", method="vi", BayesianGMM.fit and `bayesforge gmm --weights COLUMN`.

Two tiny NUTS fits shared by the module: integer weights (0 for two far outliers) against the same rows repeated
w_i times (the outliers left out). Everything else checks exact identities (log-density, gradient, criteria) or
the plumbing, without sampling."""
import inspect
import warnings

import numpy as np
import pytest

import bayesforge
from cli_support import StandInWorkspace, no_fit_allowed, run_in_process

CENTRES = np.array([[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]])
TINY = {"num_chains": 2, "num_warmup": 150, "num_samples": 150, "seed": 0}


@pytest.fixture(scope="module")
def weighted_data():
    """90 points in 3 blobs weighted 3 / 1 / 0-2, and two far outliers of weight 0."""
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(centre, 0.7, size=(30, 2)) for centre in CENTRES])
    w = np.concatenate([np.full(30, 3), np.ones(30, dtype=int), rng.integers(0, 3, 30)])
    X = np.r_[X, [[25.0, -25.0], [26.0, -24.0]]]
    w = np.r_[w, [0, 0]]
    return X, w


@pytest.fixture(scope="module")
def m():
    return bayesforge.bf(platform="cpu")


@pytest.fixture(scope="module")
def fits(m, weighted_data):
    """(weighted fit, fit of the repeated rows), K = 3, 2 chains × 150 + 150."""
    X, w = weighted_data
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*divergent transitions", category=RuntimeWarning)
        weighted = m.gmm(X, K=3, sample_weight=w, **TINY)
        repeated = m.gmm(np.repeat(X, w, axis=0), K=3, **TINY)
    return weighted, repeated


def _by_component(fit):
    """Posterior mean, sd and MCSE of the weights and means, components ordered by their mean's first coordinate."""
    order = np.argsort(fit.means[:, 0])
    table = fit.summary(round_to=None)
    out = {}
    for column in ("mean", "sd", "mcse_mean"):
        weights = [table.loc[f"weights[{k}]", column] for k in order]
        means = [table.loc[f"mu[{k}, {d}]", column] for k in order for d in range(2)]
        out[column] = np.array(weights + means)
    return out


def test_integer_weights_give_the_posterior_of_repeated_rows(fits, weighted_data):
    weighted, repeated = (_by_component(fit) for fit in fits)
    # the two posterior means differ by Monte Carlo error only
    error = np.sqrt(weighted["mcse_mean"] ** 2 + repeated["mcse_mean"] ** 2)
    difference = np.abs(weighted["mean"] - repeated["mean"])
    assert np.all(difference <= 5 * error), (difference, error)
    np.testing.assert_allclose(weighted["sd"], repeated["sd"], rtol=0.35)  # as narrow as 151 rows, not 92
    # the weights count: the blobs carry 90, 30 and sum(w[60:90]) of the weight, not a third each
    _, w = weighted_data
    shares = np.array([w[:30].sum(), w[30:60].sum(), w[60:90].sum()]) / w.sum()
    np.testing.assert_allclose(weighted["mean"][:3], shares, atol=0.05)


def test_zero_weight_rows_get_memberships_but_do_not_count(fits, weighted_data):
    weighted, _ = fits
    X, w = weighted_data
    probabilities = weighted.predict_proba()
    assert probabilities.shape == (len(X), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    # the outliers (weight 0) pulled no component towards them
    assert np.abs(weighted.means).max() < 8
    np.testing.assert_array_equal(weighted.sample_weight, w)
    assert weighted.to_arviz().log_likelihood["obs"].shape[-1] == len(X)  # pointwise: one value per row, unweighted


def test_loo_waic_and_bic_are_those_of_the_repeated_rows(fits, weighted_data):
    weighted, repeated = fits
    _, w = weighted_data
    for name, pointwise, penalty in (("loo", "loo_i", "p_loo"), ("waic", "waic_i", "p_waic")):
        a, b = getattr(weighted, name)(), getattr(repeated, name)()
        key = f"elpd_{name}"
        assert len(a[pointwise]) == (w > 0).sum()  # rows of weight 0 are not in the posterior: left out
        assert float(a[key]) == pytest.approx(float(np.asarray(a[pointwise]) @ w[w > 0]), rel=1e-9)  # Σ w_i elpd_i
        assert float(a[key]) == pytest.approx(float(b[key]), abs=2.0)
        assert float(a["se"]) == pytest.approx(float(b["se"]), rel=0.1)
        assert float(a[penalty]) == pytest.approx(float(b[penalty]), abs=1.5)
        assert type(a).__name__ == "ELPDData" and str(a)  # ArviZ's object, printable
    log_likelihood = np.asarray(weighted.to_arviz().log_likelihood["obs"])  # chain × draw × row
    expected = -2 * (log_likelihood @ w).max() + weighted.num_parameters * np.log(w.sum())
    assert weighted.bic() == pytest.approx(expected, rel=1e-6)
    assert weighted.bic() == pytest.approx(repeated.bic(), abs=5.0)


def test_weighted_log_density_and_gradient_equal_repeated_rows(m, weighted_data):
    """Exact: the fused kernel's per-row cotangents (weights) against its equal cotangents (repeated rows)."""
    import jax
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from bayesforge.mixtures.gmm import initial_values, library_gmm_model

    X, w = weighted_data
    repeated = np.repeat(X, w, axis=0)
    scale = repeated.std(axis=0)
    means = CENTRES + 0.3
    params = {k: jnp.asarray(v, jnp.float32) for k, v in initial_values(repeated, means).items()}
    model = library_gmm_model(m)
    fixed = {"K": 3, "initial_means": means, "scale": scale}

    def total(params, data, **weights):
        return log_density(model, (), {**fixed, "data": data, **weights}, params)[0]

    with m.devices.context():
        a, grad_a = jax.jit(jax.value_and_grad(total))(params, X, sample_weight=w.astype(float))
        b, grad_b = jax.jit(jax.value_and_grad(total))(params, repeated)
    assert float(a) == pytest.approx(float(b), rel=1e-5)
    for name in params:
        np.testing.assert_allclose(grad_a[name], grad_b[name], rtol=2e-3, atol=2e-3, err_msg=name)


def test_vi_minibatches_carry_the_weights():
    """Rows drawn uniformly with their weights: the fit finds the weighted mean, not the plain one."""
    import numpyro
    import numpyro.distributions as dist

    from bayesforge.mixtures.weights import with_sample_weight
    from bayesforge.vi import fit_vi

    def model(y):
        mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
        with numpyro.plate("rows", y.shape[0]):
            numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)

    y = np.r_[np.zeros(100), np.full(100, 4.0)]
    w = np.r_[np.full(100, 3.0), np.ones(100)]  # weighted mean 1, plain mean 2
    fit = fit_vi(with_sample_weight(model), {"y": y, "sample_weight": w}, data_argument=("y", "sample_weight"),
                 batch_size=50, max_steps=3000, learning_rate=0.05, seed=0)
    assert float(fit.samples["mu"].mean()) == pytest.approx(1.0, abs=0.1)


class _Stop(Exception):
    pass


def test_method_vi_hands_the_weights_to_the_minibatches(m, weighted_data, monkeypatch):
    from bayesforge.mixtures import fitting

    X, w = weighted_data
    seen = {}

    def record(model, model_kwargs, devices, **options):
        seen.update(kwargs=model_kwargs, options=options)
        raise _Stop

    monkeypatch.setattr(fitting, "vi_posterior", record)
    with pytest.raises(_Stop):
        m.gmm(X, K=3, sample_weight=w, method="vi")
    assert seen["options"]["data_argument"] == ("data", "sample_weight")
    np.testing.assert_array_equal(seen["kwargs"]["sample_weight"], w)
    with pytest.raises(_Stop):
        m.gmm(X, K=3, method="vi")
    assert "data_argument" not in seen["options"] and "sample_weight" not in seen["kwargs"]


def test_choose_k_and_k_auto_fit_every_k_with_the_weights_and_weigh_the_criteria(m, fits, weighted_data,
                                                                                  monkeypatch):
    from bayesforge.mixtures import gmm

    X, w = weighted_data
    weighted, _ = fits
    seen = []

    def same_fit(m, model, model_kwargs, *, data, **options):
        seen.append((model_kwargs["K"], data.sample_weight))
        return weighted

    monkeypatch.setattr(gmm, "fit_mixture", same_fit)
    selection = m.choose_k(X, ks=[2, 3], sample_weight=w)
    assert [k for k, _ in seen] == [2, 3] and all(np.array_equal(weights, w) for _, weights in seen)
    assert selection.table.loc[2, "elpd_loo"] == pytest.approx(float(weighted.loo()["elpd_loo"]))
    assert selection.table["dse_loo"].tolist() == [0.0, 0.0]  # the weighted standard error of no difference
    seen.clear()
    best = m.gmm(X, K="auto", ks=[1, 2], criterion="waic", sample_weight=w)
    assert [k for k, _ in seen] == [1, 2] and best.selection.criterion == "waic"


def test_the_dpmm_takes_the_weights_into_its_model_and_priors(m, weighted_data, monkeypatch):
    from bayesforge.mixtures import dpmm

    X, w = weighted_data
    seen = {}

    def record(m, model, model_kwargs, *, data, **options):
        seen.update(model=model.model(m), kwargs=model_kwargs, data=data)
        raise _Stop

    monkeypatch.setattr(dpmm, "fit_mixture", record)
    with pytest.raises(_Stop):
        m.dpmm(X, T=5, sample_weight=w)
    np.testing.assert_array_equal(seen["data"].sample_weight, w)
    repeated = np.repeat(X, w, axis=0)  # the priors' location and scale: those of the repeated rows
    np.testing.assert_allclose(seen["kwargs"]["location"], repeated.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(seen["kwargs"]["scale"], repeated.std(axis=0), rtol=1e-12)
    assert "sample_weight" in inspect.signature(seen["model"]).parameters


@pytest.mark.parametrize("weights, error, message", [
    ([1.0] * 91, ValueError, r"sample_weight must have one weight per row of data: shape \(92,\), got shape \(91,\)"),
    (np.ones((92, 1)), ValueError, r"shape \(92,\), got shape \(92, 1\)"),
    (np.r_[np.ones(91), -1.0], ValueError, "sample_weight must be >= 0: row 91 has -1"),
    (np.r_[np.ones(91), np.nan], ValueError, "sample_weight has 1 NaN/infinite value"),
    (np.r_[np.inf, np.ones(91)], ValueError, "the first at row 0"),
    (np.zeros(92), ValueError, "sample_weight is zero for every row"),
    (["a"] * 92, TypeError, "sample_weight must be numbers"),
    (np.ones(92, dtype=bool), TypeError, "sample_weight must be numbers"),
    (2.0, TypeError, "sample_weight must be a 1-D array of 92 numbers"),
])
def test_bad_weights_are_refused_before_fitting(m, weighted_data, weights, error, message):
    X, _ = weighted_data
    with pytest.raises(error, match=message):
        m.gmm(X, K=3, sample_weight=weights)


def test_every_entry_point_checks_the_weights(m, weighted_data):
    X, _ = weighted_data
    bad = -np.ones(len(X))
    for fit in (lambda: m.dpmm(X, sample_weight=bad), lambda: m.choose_k(X, ks=[1, 2], sample_weight=bad),
                lambda: m.gmm(X, K="auto", sample_weight=bad),
                lambda: bayesforge.BayesianGMM(2).fit(X, sample_weight=bad)):
        with pytest.raises(ValueError, match="sample_weight must be >= 0: row 0 has -1"):
            fit()
    # spread is needed among the rows that count
    with pytest.raises(ValueError, match=r"column 1 has a single value \(1\) in the rows of positive sample_weight"):
        m.gmm([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 5.0]], K=2, sample_weight=[1, 1, 1, 0])


# -- the CLI: --weights COLUMN ------------------------------------------------------------------------------------
WEIGHTED_CSV = "x,y,w,label\n0,1,1,a\n1,3,2,a\n5,2,0,b\n6,4,1.5,b\n"


def test_cli_weights_column_leaves_the_features_and_reaches_m_gmm(tmp_path, monkeypatch):
    workspace = StandInWorkspace()
    monkeypatch.setattr(bayesforge, "bf", lambda **options: workspace)
    path = tmp_path / "data.csv"
    path.write_text(WEIGHTED_CSV)
    status, out, err = run_in_process(["gmm", path, "--columns", "x,y", "--weights", "w", "--k", "2",
                                       "--out", tmp_path / "out"])
    assert status == 0, err
    call = workspace.calls[0]
    assert list(call["data"].columns) == ["x", "y"]
    np.testing.assert_array_equal(call["sample_weight"], [1.0, 2.0, 0.0, 1.5])
    assert "weights: column 'w' (total 4.5, 1 row of weight 0; taken out of the features)" in out
    # named among --columns, or by position: still not a feature
    workspace.calls.clear()
    status, _, err = run_in_process(["gmm", path, "--columns", "x,y,w", "--weights", "2", "--k", "2",
                                     "--out", tmp_path / "out2"])
    assert status == 0, err
    assert list(workspace.calls[0]["data"].columns) == ["x", "y"]


@pytest.mark.parametrize("column, message", [
    ("v", "--weights v: no column 'v' in data.csv; its columns are: 'x', 'y', 'w', 'label'"),
    ("label", "--weights label: column 'label', row 0 (0-based), line 2 of data.csv: 'a' is not a number"),
    ("x", "--weights x: column 'x' must be >= 0: row 1 has -1 (rows numbered from 0)"),
])
def test_cli_bad_weights_column_stops_before_fitting(tmp_path, monkeypatch, column, message):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    path = tmp_path / "data.csv"
    path.write_text("x,y,w,label\n0,1,1,a\n-1,3,2,a\n5,2,0,b\n")
    status, out, err = run_in_process(["gmm", path, "--columns", "y,w", "--weights", column, "--k", "1",
                                       "--out", tmp_path / "out"])
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()
