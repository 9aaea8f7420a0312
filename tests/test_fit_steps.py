"""Fit steps (bayesforge.steps): the generic fit and Posterior know nothing of mixtures; each bf() workspace
injects its own steps (default: the mixture's k-means start and relabelling), and two workspaces never share them."""
import ast
import inspect

import numpy as np
import pytest
from numpyro.infer import init_to_value

import bayesforge.fit
import bayesforge.posterior
from bayesforge import bf
from bayesforge.forge import BayesForge
from bayesforge.mixtures.start import KMeansStart
from bayesforge.mixtures.relabel import MIXTURE_FIT_STEPS, Relabel
from bayesforge.steps import PostStep, StartStep

TINY = dict(num_warmup=50, num_samples=50, num_chains=1, progress_bar=False)


def _imported_modules(module) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
            names.update(f"{'.' * node.level}{node.module or ''}.{a.name}".replace("..", ".") for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize("module", [bayesforge.fit, bayesforge.posterior])
def test_the_generic_fit_imports_nothing_of_mixtures(module):
    imported = _imported_modules(module)
    mixture_modules = [n for n in imported if any(part in ("mixture", "mixtures", "relabel", "models") for part in n.split("."))]
    assert mixture_modules == []
    tree = ast.parse(inspect.getsource(module))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | \
        {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)} | \
        {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for arg in node.args + node.kwonlyargs}
    assert not [n for n in names if "kmeans" in n.lower() or "relabel" in n.lower() or "layout" in n.lower()]


class Three(StartStep):
    name = "three"

    def start(self, model, model_kwargs, seed):
        return init_to_value(values={"mu": 3.0}), "three"

    def describe(self, init_strategy):
        return None


class Shift(PostStep):
    name = "shift"

    def apply(self, posterior):
        draws = posterior.by_chain()
        return {**draws, "mu": draws["mu"] + 100.0}, "shifted by 100"


def _normal_model(m):
    def model(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")
        m.dist.normal(mu, 1.0, name="y", obs=y)
    return model


def test_each_workspace_holds_its_own_steps_defaulting_to_the_mixture_steps():
    a, b = bf(platform="cpu"), bf(platform="cpu")
    assert a.fit_steps == MIXTURE_FIT_STEPS and isinstance(a.fit_steps, tuple)
    assert [type(s) for s in MIXTURE_FIT_STEPS] == [KMeansStart, Relabel]
    a.fit_steps = (Three(),)
    assert b.fit_steps == MIXTURE_FIT_STEPS  # the other workspace is not changed
    assert BayesForge(a.devices, fit_steps=()).fit_steps == ()
    with pytest.raises(TypeError, match="fit_steps must be a tuple of StartStep / PostStep objects"):
        a.fit_steps = (lambda model: None,)


def test_injected_steps_start_the_chains_and_post_process_the_draws_of_that_workspace_only():
    m, other = bf(platform="cpu"), bf(platform="cpu")
    m.fit_steps = (Three(), Shift())
    for w in (m, other):
        w.data_on_model = {"y": np.array([0.9, 1.1, 1.0])}
        w.fit(_normal_model(w), **TINY)
    assert m.sampler.start == "three" and "started at three" in repr(m)
    assert m.posterior.details == {"shift": "shifted by 100"}  # applied by the fit, not when the draws are read
    assert 95.0 < m.posteriors["mu"].mean() < 105.0
    np.testing.assert_array_equal(m.sampler.get_samples()["mu"] + 100.0, m.posteriors["mu"])
    assert other.sampler.start is None and 0.0 < other.posteriors["mu"].mean() < 2.0
    assert other.posterior.details == {}  # relabelling found no mixture: nothing done


def test_relabel_false_leaves_out_only_the_relabelling_step():
    m = bf(platform="cpu")
    m.fit_steps = (Shift(), Relabel(), KMeansStart())
    assert [type(s) for s in m.steps_for_fit(relabel=False)] == [Shift, KMeansStart]
    assert m.steps_for_fit() == m.fit_steps
    with pytest.raises(TypeError, match="relabel must be True or False, got 'yes'"):
        m.steps_for_fit("yes")


def test_postprocessed_applies_the_post_steps_in_order_to_a_new_posterior():
    from bayesforge.posterior import Posterior

    m = bf(platform="cpu")
    posterior = Posterior(mcmc=None, model=None, model_kwargs={}, devices=m.devices,
                          samples_by_chain={"mu": np.zeros((1, 4))})
    shifted = posterior.postprocessed((Shift(), Three()))  # start steps are the sampler's: skipped here
    assert shifted.draws["mu"].tolist() == [100.0] * 4 and shifted.details == {"shift": "shifted by 100"}
    assert posterior.draws["mu"].tolist() == [0.0] * 4 and posterior.details == {}  # the original is unchanged
    twice = shifted.postprocessed((Shift(),))
    assert twice.draws["mu"].tolist() == [200.0] * 4
    with pytest.raises(TypeError, match="steps must be a tuple"):
        posterior.postprocessed("relabel")


def test_results_start_no_sampler():
    """A Posterior holds draws; bayesforge.inference runs NUTS or VI and makes it."""
    from bayesforge.posterior import Posterior

    assert not hasattr(Posterior, "sample") and not hasattr(Posterior, "variational_fit")
