"""bayesforge.mixtures.model: library models as objects that count their own parameters, start their own chains
and name themselves (no fitting: a posterior built by hand)."""
import numpy as np
import pytest

from bayesforge.mixtures.dpmm import DPMM
from bayesforge.mixtures.gmm import GMM
from bayesforge.mixtures.model import library_models, model_named


@pytest.mark.parametrize("D", [1, 2, 5])
def test_each_model_counts_its_own_parameters(D):
    covariance = D * (D + 1) // 2
    assert GMM(K=4).num_parameters(D) == (4 - 1) + 4 * D + 4 * covariance  # weights, means, covariances
    assert DPMM(T=4).num_parameters(D) == (4 - 1) + 1 + 4 * D + 4 * covariance  # sticks, α, means, covariances


def test_a_fit_counts_the_parameters_of_its_own_model(m):
    """BIC and AIC of the same draws differ between a GMM and a DPMM by exactly the DPMM's extra α."""
    from bayesforge.mixtures.result import MixtureFit
    from hand_made import gmm_posterior

    posterior, data, _ = gmm_posterior(m)
    as_gmm = MixtureFit.from_posterior(posterior, data, GMM(K=3))
    as_dpmm = MixtureFit.from_posterior(posterior, data, DPMM(T=3))
    assert as_gmm.num_parameters == 17 and as_dpmm.num_parameters == 18
    assert as_dpmm.bic() - as_gmm.bic() == pytest.approx(np.log(len(data)))
    assert as_dpmm.aic() - as_gmm.aic() == pytest.approx(2.0)
    assert repr(as_gmm).startswith("<MixtureFit GMM K=3 on 300×2 data") and as_gmm.kind == "gmm"
    assert repr(as_dpmm).startswith("<MixtureFit DPMM K=3") and as_dpmm.kind == "dpmm"


def test_models_are_found_by_the_name_files_record():
    assert library_models() == {"gmm": GMM, "dpmm": DPMM}
    assert model_named("gmm", {"K": 8, "reg_covar": 1e-6}) == GMM(K=8)
    assert model_named("dpmm", {"T": 20.0}) == DPMM(T=20)
    with pytest.raises(ValueError, match="unknown library model 'hmm'; known: \\['dpmm', 'gmm'\\]"):
        model_named("hmm", {})


def test_the_gmm_starts_every_chain_at_init_to_value_of_its_kmeans_start(m):
    """init_strategy is NumPyro's init_to_value at start_values: the points nearest each prior mean."""
    from bayesforge.mixtures.data import prepare_data
    from bayesforge.mixtures.gmm import initial_values

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(8, 1, (30, 2))]
    data = prepare_data(X, x64=False)
    means = np.array([[0.0, 0.0], [8.0, 8.0]])
    strategy = GMM(K=2).init_strategy(m.devices, data, {"initial_means": means}, seed=0)
    assert strategy.func.__name__ == "init_to_value"
    values = strategy.keywords["values"]
    expected = initial_values(X, means)
    assert sorted(values) == sorted(expected) == ["Lcorr", "mu", "sigma", "weights"]
    for name in expected:
        np.testing.assert_allclose(np.asarray(values[name]), expected[name], rtol=1e-6)
    np.testing.assert_allclose(expected["weights"], [0.5, 0.5])

