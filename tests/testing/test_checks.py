"""bayesforge.testing.checks: each check of a scenario passes on a good fake fit and fails on its own fault (fake
samplers: no fit)."""
import re
from types import SimpleNamespace

import numpy as np
import pytest

from bayesforge import testing


class FakeSampler:
    """Quacks like the finished NumPyro MCMC as far as the checks look."""

    def __init__(self, draws, num_warmup=300, divergences=0, thinning=1):
        self._draws = draws
        self.num_chains, self.num_samples = next(iter(draws.values())).shape[:2]
        self.num_warmup, self.thinning, self._divergences = num_warmup, thinning, divergences

    def get_samples(self, group_by_chain=False):
        if group_by_chain:
            return dict(self._draws)
        return {k: v.reshape((-1,) + v.shape[2:]) for k, v in self._draws.items()}

    def get_extra_fields(self, group_by_chain=False):
        diverging = np.zeros(self.num_chains * self.num_samples, dtype=bool)
        diverging[: self._divergences] = True
        return {"diverging": diverging}


def fake_workspace(draws, data, model=None, **sampler):
    from bayesforge.fit import match_arguments

    kwargs = match_arguments(model or (lambda y: None), data)  # arrays converted as m.fit converts them
    return SimpleNamespace(sampler=FakeSampler(draws, **sampler),
                           posterior=SimpleNamespace(model=model, model_kwargs=kwargs))


def good_normal_draws():
    rng = np.random.default_rng(0)
    return {"mu": rng.normal(1.5, 0.05, (2, 500)), "sigma": rng.normal(0.7, 0.035, (2, 500))}


def test_a_good_fake_fit_passes_and_the_module_level_check_works():
    case = testing.load_case("normal_mean")
    report = testing.check("normal_mean", fake_workspace(good_normal_draws(), case.data_on_model()))
    assert report.passed and [r.passed for r in report.results] == [True] * 8
    values = {r["name"]: r["observed"] for r in report.to_dict()["checks"]}
    assert abs(values["posterior_mean(mu)"] - 1.5) < 0.01 and values["max_divergences"] == 0
    assert isinstance(values["max_r_hat(mu, sigma)"], float) and values["min_ess_bulk(mu, sigma)"] > 800


def failed_checks(message):
    """The names of the checks an AssertionError from Case.check reports as failed."""
    return [line.split("FAILED ")[1].split(": observed")[0] for line in message.splitlines() if "FAILED " in line]


def _fault(kind):
    draws, data, sampler = good_normal_draws(), testing.load_case("normal_mean").data_on_model(), {}
    if kind == "mu far off":
        draws["mu"] = draws["mu"] + 3.0
    elif kind == "chains disagree":
        draws["mu"] = draws["mu"] + np.array([[-0.3], [0.3]])
    elif kind == "sticky chains":
        draws["sigma"] = np.repeat(draws["sigma"][:, ::25], 25, axis=1)
    elif kind == "constant site":
        draws["sigma"] = np.full((2, 500), 0.7)
    elif kind == "divergences":
        sampler["divergences"] = 1
    elif kind == "fewer warmup draws":
        sampler["num_warmup"] = 100
    elif kind == "site missing":
        del draws["sigma"]
    elif kind == "wrong shape":
        draws["mu"] = np.repeat(draws["mu"][..., None], 3, axis=2)
    elif kind == "other data":
        data["y"] = data["y"] + 1e-3
    return fake_workspace(draws, data, **sampler)


@pytest.mark.parametrize("fault, failed, shown", [
    ("mu far off", ["posterior_mean(mu)"], "observed 4.49"),
    ("chains disagree", ["max_r_hat(mu, sigma)", "min_ess_bulk(mu, sigma)"], "required <= 1.05 (mu)"),
    ("sticky chains", ["min_ess_bulk(mu, sigma)"], "required >= 200 (sigma)"),
    ("constant site", ["max_r_hat(mu, sigma)"], "observed nan, required <= 1.05 (sigma is NaN)"),
    ("divergences", ["max_divergences"], "max_divergences: observed 1, required <= 0"),
    ("fewer warmup draws", ["fit_settings"], "wrong: num_warmup=100 (case: 300)"),
    ("site missing", ["sites", "posterior_mean(sigma)", "max_r_hat(mu, sigma)", "min_ess_bulk(mu, sigma)"],
     "LookupError: the posterior has no site 'sigma'; it has mu"),
    ("wrong shape", ["sites"], "'mu' has shape (3,), expected ()"),
    ("other data", ["data"], "'y' differs from the case's data"),
])
def test_each_check_fails_on_its_own_fault(fault, failed, shown):
    with pytest.raises(AssertionError) as failure:
        testing.load_case("normal_mean").check(_fault(fault))
    message = str(failure.value)
    assert failed_checks(message) == failed, message
    assert message.startswith(f"scenario 'normal_mean': {len(failed)} of 8 checks failed:")
    assert shown in message, message


def test_ari_check_fails_when_the_components_do_not_separate_the_clusters(m):
    """A fake gmm posterior with every component at the same place: memberships carry no information."""
    from bayesforge.mixtures.gmm import gmm_model

    case = testing.load_case("gmm_seed_small")
    rng = np.random.default_rng(1)
    weights = rng.dirichlet(np.full(8, 1000.0), size=(2, 300))
    draws = {"weights": weights, "mu": rng.normal(0.0, 0.01, (2, 300, 8, 2)),
             "sigma": rng.normal(8.0, 0.01, (2, 300, 8, 2)),
             "Lcorr": np.broadcast_to(np.eye(2), (2, 300, 8, 2, 2)).copy()}
    fake = fake_workspace(draws, case.data_on_model(), model=gmm_model(m))
    with pytest.raises(AssertionError) as failure:
        case.check(fake)
    message = str(failure.value)
    assert failed_checks(message) == ["ari"], message
    assert re.search(r"FAILED ari: observed -?0(\.0\d*)?, required >= 0\.9 \(posterior-mean membership", message)
