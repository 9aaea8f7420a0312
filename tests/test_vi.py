"""Minibatch variational inference (bayesforge.vi): accuracy, the N/B scaling, convergence, the step cap, inputs.

Three fits in all (a normal mean, a capped AutoDelta run, the seed GMM at N = 300), shared through fixtures.
"""
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro import handlers
from numpyro.infer.util import log_density

from bayesforge.validation import METHODS, check_method
from bayesforge.vi import POLISH, POLISH_BLOCKS, ScaleObserved, converged, fit_vi

Y = np.random.default_rng(1).normal(3.0, 2.0, 1000)
#: y_i ~ N(mu, 2²), mu ~ N(0, 10²): the exact posterior of mu is normal with this precision, mean and sd.
PRECISION = 1 / 10.0**2 + len(Y) / 2.0**2
EXACT_MEAN, EXACT_SD = Y.sum() / 2.0**2 / PRECISION, PRECISION**-0.5
MAX_STEPS = 20_000


def normal_model(y):
    mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
    numpyro.deterministic("twice", 2.0 * mu)
    with numpyro.plate("rows", y.shape[0]):
        numpyro.sample("y", dist.Normal(mu, 2.0), obs=y)


@pytest.fixture(scope="module")
def normal_fit():
    return fit_vi(normal_model, {"y": Y}, data_argument="y", batch_size=100, learning_rate=0.05,
                  max_steps=MAX_STEPS, num_draws=2000)


def test_normal_mean_matches_the_conjugate_posterior(normal_fit):
    draws = normal_fit.samples["mu"]
    assert draws.shape == (1, 2000)
    assert abs(draws.mean() - EXACT_MEAN) < 0.5 * EXACT_SD
    # Mean-field is exact for one parameter; minibatch noise leaves the sd roughly right.
    assert 0.6 < draws.std() / EXACT_SD < 1.4


def test_deterministic_sites_are_drawn_with_the_latent_ones(normal_fit):
    np.testing.assert_allclose(normal_fit.samples["twice"], 2.0 * normal_fit.samples["mu"], rtol=1e-6)


def test_stops_early_once_the_loss_levels_off_then_polishes(normal_fit):
    fit = normal_fit
    assert fit.converged
    assert fit.num_steps < MAX_STEPS // 4
    blocks = fit.num_steps // fit.check_every
    assert fit.losses.shape == fit.loss_errors.shape == fit.learning_rates.shape == (blocks,)
    np.testing.assert_allclose(fit.learning_rates[-POLISH_BLOCKS:], 0.05 * POLISH)
    assert np.all(fit.learning_rates[:-POLISH_BLOCKS] == 0.05)
    assert fit.losses[-1] < fit.losses[0]
    assert fit.batch_size == 100 and fit.num_rows == len(Y) and fit.seconds > 0
    assert set(fit.params) == {"mu_auto_loc", "mu_auto_scale"}


def test_step_cap_warns_and_the_delta_guide_draws_one_point(capsys):
    with pytest.warns(RuntimeWarning, match="did not converge within max_steps=150"):
        fit = fit_vi(normal_model, {"y": Y}, data_argument="y", guide="delta", batch_size=50, max_steps=150,
                     check_every=50, num_draws=5, progress_bar=True)
    assert not fit.converged
    assert fit.num_steps == 150 + POLISH_BLOCKS * 50  # the cap, then the polishing blocks
    assert fit.samples["mu"].shape == (1, 5) and np.ptp(fit.samples["mu"]) == 0
    assert "VI" in capsys.readouterr().err  # tqdm's bar


# -- the minibatch scaling ------------------------------------------------------------------------------------
def test_scale_observed_leaves_priors_alone():
    trace = handlers.trace(handlers.seed(ScaleObserved(normal_model, 7.0, ("y",)), 0)).get_trace(y=jnp.ones(3))
    assert trace["mu"]["scale"] is None
    assert trace["y"]["scale"] == 7.0


def test_minibatch_log_density_and_gradient_are_unbiased():
    """Averaged over all N one-row batches, the N-scaled log density and its gradient equal the full data's."""
    y = jnp.asarray(Y[:6])
    n = len(y)

    def full(mu):
        return log_density(normal_model, (), {"y": y}, {"mu": mu})[0]

    def one_row(mu, row):
        return log_density(ScaleObserved(normal_model, n, ("y",)), (), {"y": row[None]}, {"mu": mu})[0]

    @jax.jit  # NumPyro run eagerly compiles every operation on its own
    def compare(mu):
        per_row = jax.vmap(jax.value_and_grad(one_row), in_axes=(None, 0))(mu, y)
        return per_row, jax.value_and_grad(full)(mu)

    mu = jnp.asarray(2.5)
    (values, grads), (value, grad) = compare(mu)
    np.testing.assert_allclose(values.mean(), value, rtol=1e-5)
    np.testing.assert_allclose(grads.mean(), grad, rtol=1e-5)
    # The prior counts once, not n times: one row scaled by n is not n copies of the whole model.
    prior = dist.Normal(0.0, 10.0).log_prob(mu)
    likelihood = dist.Normal(mu, 2.0).log_prob(y[0])
    np.testing.assert_allclose(values[0], prior + n * likelihood, rtol=1e-5)


# -- the seed GMM through the library: m.gmm(..., method="vi") -----------------------------------------------
@pytest.fixture(scope="module")
def gmm_vi():
    from bayesforge import bf
    from bayesforge.mixtures.gmm import seed_data

    m = bf(platform="cpu")
    data, labels = seed_data(n_samples=300)
    return m, m.gmm(data, 8, method="vi", num_samples=300), labels


def test_gmm_from_kmeans_recovers_the_clusters(gmm_vi):
    from sklearn.metrics import adjusted_rand_score

    _, fit, labels = gmm_vi
    assert adjusted_rand_score(labels, fit.predict()) >= 0.95
    assert fit.predict_proba().shape == (300, 8)
    variational = fit.posterior.variational
    assert variational.batch_size == 300  # the default 10 000 is more than N
    assert variational.converged and variational.skipped_steps == 0
    assert fit.posterior.by_chain()["mu"].shape == (1, 300, 8, 2)


def test_gmm_vi_summary_says_the_uncertainty_is_understated(gmm_vi):
    m, fit, _ = gmm_vi
    table = fit.summary()
    assert "understates" in table.attrs["note"]
    assert table[["mean", "sd", "hdi_5.5%", "hdi_94.5%"]].notna().all().all()
    assert table[["r_hat", "ess_bulk", "ess_tail", "mcse_mean", "mcse_sd"]].isna().all().all()
    diagnostics = fit.diagnostics
    assert diagnostics["method"] == "vi" and diagnostics["converged"] and diagnostics["divergences"] == 0
    assert "VI: 300 draws" in repr(fit) and "by VI" in repr(m)
    assert "understates" in m.summary().attrs["note"]


def test_gmm_vi_criteria_and_figure(gmm_vi):
    _, fit, _ = gmm_vi
    idata = fit.to_arviz()
    assert idata.log_likelihood[fit.observed_site].shape == (1, 300, 300)
    assert np.isfinite(fit.loo().elpd_loo) and np.isfinite(fit.waic().elpd_waic) and np.isfinite(fit.bic())
    assert len(fit.plot().axes) >= 1


def test_library_fits_refuse_nuts_options_and_unknown_methods(gmm_vi):
    m, _, _ = gmm_vi
    data = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(TypeError, match=r"method='vi' got option\(s\) \['num_warmup'\]"):
        m.gmm(data, 2, method="vi", num_warmup=10)
    with pytest.raises(ValueError, match="method must be 'nuts'.*or 'vi'.*got 'advi'"):
        m.dpmm(data, method="advi")


# -- rules and inputs ---------------------------------------------------------------------------------------
def test_converged_needs_a_level_loss_for_several_blocks():
    level = [100.0, 50.0, 40.0, 39.9, 39.95, 39.9]
    assert converged(level, [0.1] * 6, tolerance=1e-3)
    assert not converged(level[:3], [0.1] * 3, tolerance=1e-3)  # too few blocks
    falling = [100.0, 90.0, 80.0, 70.0, 60.0]
    assert not converged(falling, [0.1] * 5, tolerance=1e-3)
    assert converged(falling, [10.0] * 5, tolerance=1e-3)  # within minibatch noise


def test_check_method():
    assert METHODS == ("nuts", "vi")
    assert check_method("nuts") == "nuts"
    with pytest.raises(ValueError, match="'nuts'.*'vi'.*got 'advi'"):
        check_method("advi")


def _observes_a_total(y):
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    numpyro.sample("total", dist.Normal(mu * y.shape[0], 1.0), obs=y.sum())


@pytest.mark.parametrize("options, error, match", [
    ({"batch_size": 0}, ValueError, "batch_size must be at least 1"),
    ({"max_steps": 0}, ValueError, "max_steps must be at least 1"),
    ({"check_every": 2.5}, ValueError, "check_every must be a whole number"),
    ({"num_draws": 0}, ValueError, "num_draws must be at least 1"),
    ({"tolerance": 0}, ValueError, "tolerance must be a finite number > 0"),
    ({"learning_rate": -1}, ValueError, "learning_rate must be a finite number > 0"),
    ({"learning_rate": "fast"}, TypeError, "learning_rate must be a positive number"),
    ({"guide": "laplace"}, ValueError, "guide must be one of"),
    ({"data_argument": "x"}, ValueError, "data_argument 'x' is not among the model's arguments"),
    ({"data_argument": 3}, TypeError, "data_argument must be the name"),
    ({"init_values": {"sigma": 1.0}}, ValueError, r"init_values has \['sigma'\]"),
    ({"init_values": {"mu": np.zeros(2)}}, ValueError, r"init_values\['mu'\] has shape \(2,\)"),
    ({"init_values": [1.0]}, TypeError, "init_values must be a dict"),
    ({"progress_bar": "yes"}, TypeError, "progress_bar must be True or False"),
    ({"devices": "cpu"}, TypeError, "devices must be a bayesforge Devices"),
])
def test_bad_inputs_name_the_argument(options, error, match):
    with pytest.raises(error, match=match):
        fit_vi(normal_model, {"y": Y}, **{"data_argument": "y", **options})


def test_data_must_be_rows_observed_row_by_row():
    with pytest.raises(ValueError, match=r"'y' \(data_argument\) must be a 1-D or 2-D array.*shape \(2, 3, 4\)"):
        fit_vi(normal_model, {"y": np.zeros((2, 3, 4))}, data_argument="y")
    with pytest.raises(ValueError, match="observes no site with one value per data row"):
        fit_vi(_observes_a_total, {"y": Y}, data_argument="y")
