"""bayesforge.inference: NUTS or VI run with the workspace's fit steps; start steps go to the sampler, post steps
are applied when sampling is done; the generic fit knows nothing of mixtures."""
import ast
import inspect

import numpy as np
import pytest

import bayesforge.fit
import bayesforge.inference
import bayesforge.posterior
from bayesforge import bf
from bayesforge.inference import nuts_posterior, vi_posterior
from hand_made import Shift, Three

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


@pytest.mark.parametrize("module", [bayesforge.fit, bayesforge.posterior, bayesforge.inference])
def test_the_generic_fit_imports_nothing_of_mixtures(module):
    imported = _imported_modules(module)
    mixture_modules = [n for n in imported if any(part in ("mixture", "mixtures", "relabel", "models") for part in n.split("."))]
    assert mixture_modules == []
    tree = ast.parse(inspect.getsource(module))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | \
        {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)} | \
        {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for arg in node.args + node.kwonlyargs}
    assert not [n for n in names if "kmeans" in n.lower() or "relabel" in n.lower() or "layout" in n.lower()]


def _normal_model(m):
    def model(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")
        m.dist.normal(mu, 1.0, name="y", obs=y)
    return model


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


@pytest.mark.parametrize("run", [nuts_posterior, vi_posterior])
def test_steps_are_checked_before_any_sampler_runs(m, run):
    def model(y):
        raise AssertionError("the model was run")

    with pytest.raises(TypeError, match="fit_steps must be a tuple of StartStep / PostStep objects .* got str"):
        run(model, {"y": np.zeros(2)}, m.devices, fit_steps="relabel")
