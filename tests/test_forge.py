"""bayesforge.forge: the workspace (bf(), BayesForge): its data, its own fit steps, what it says before and after a
fit. Fitting through m.fit: tests/test_fit.py; the library models: tests/mixtures/."""
import numpy as np
import pytest

from bayesforge import bf
from bayesforge.forge import BayesForge
from bayesforge.mixtures.relabel import MIXTURE_FIT_STEPS, Relabel
from bayesforge.mixtures.start import KMeansStart
from hand_made import Shift, Three, gmm_posterior


def test_each_workspace_holds_its_own_steps_defaulting_to_the_mixture_steps():
    a, b = bf(platform="cpu"), bf(platform="cpu")
    assert a.fit_steps == MIXTURE_FIT_STEPS and isinstance(a.fit_steps, tuple)
    assert [type(s) for s in MIXTURE_FIT_STEPS] == [KMeansStart, Relabel]
    a.fit_steps = (Three(),)
    assert b.fit_steps == MIXTURE_FIT_STEPS  # the other workspace is not changed
    assert BayesForge(a.devices, fit_steps=()).fit_steps == ()
    with pytest.raises(TypeError, match="fit_steps must be a tuple of StartStep / PostStep objects"):
        a.fit_steps = (lambda model: None,)


def test_relabel_false_leaves_out_only_the_relabelling_step():
    m = bf(platform="cpu")
    m.fit_steps = (Shift(), Relabel(), KMeansStart())
    assert [type(s) for s in m.steps_for_fit(relabel=False)] == [Shift, KMeansStart]
    assert m.steps_for_fit() == m.fit_steps
    with pytest.raises(TypeError, match="relabel must be True or False, got 'yes'"):
        m.steps_for_fit("yes")


def test_data_on_model_must_be_a_mapping_and_model_callable(m):
    with pytest.raises(TypeError, match="data_on_model must be a dict"):
        m.data_on_model = [1, 2]
    with pytest.raises(TypeError, match="model must be a callable"):
        m.fit("model")


def test_results_before_fitting_say_what_to_do(m):
    for attribute in ["sampler", "posteriors"]:
        with pytest.raises(RuntimeError, match=r"call m.fit\(model\) first"):
            getattr(m, attribute)
    with pytest.raises(RuntimeError, match="m.summary"):
        m.summary()


def test_data_on_model_is_copied_and_belongs_to_its_workspace(m):
    data = {"y": np.ones(3)}
    m.data_on_model = data
    data["z"] = 1
    assert list(m.data_on_model) == ["y"]
    assert bf(platform="cpu").data_on_model == {}


def test_repr_says_not_fitted_and_the_devices(m):
    text = repr(m)
    assert text.startswith("<BayesForge not fitted; ") and m.devices.describe().splitlines()[0] in text
    assert "\n" not in text


def test_plot_refuses_a_sampler_of_another_fit(m):
    posterior, data, _ = gmm_posterior(m)
    m._posterior = posterior  # a fit by hand: the figure code itself is tests/mixtures/figures/
    with pytest.raises(ValueError, match=r"sampler must be the sampler of this object's last fit \(m.sampler\)"):
        m.plot(data, sampler=object())
