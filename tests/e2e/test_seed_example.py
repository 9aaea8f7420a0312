"""The seed's Gaussian mixture: the page's example verbatim, the N = 10 000 hang, the figure, the demo."""
import json

import numpy as np
import pytest

from conftest import ROOT, run_python

SEED_EXAMPLE = ROOT / "examples" / "python" / "gmm_seed.py"


def test_example_is_the_seed_verbatim():
    seed = ROOT.parent / "shared" / "seed" / "gmm_seed_example.py"
    if not seed.exists():
        pytest.skip(f"seed file not present at {seed}")
    assert SEED_EXAMPLE.read_text() == seed.read_text()


#: Run in a fresh Python (SEED: the example's path, FIGURE: where its figure goes): the seed example verbatim, then
#: what the checks below read of its fit, printed as JSON. The figure, the memberships and the plot's errors are
#: checked on this one fit, so they need no fit of their own.
SEED_READOUT = """
import inspect, json, runpy
import numpy as np
from sklearn.metrics import adjusted_rand_score
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse
from bayesforge.mixtures.draws import gaussian_mixture_draws
from bayesforge.mixtures.figures import plot_gmm
from bayesforge.mixtures.memberships import membership_probabilities
g = runpy.run_path(SEED)
m, data = g["m"], g["data"]
draws = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.sampler.get_samples())
labels = membership_probabilities(draws, data).argmax(axis=1)
table = m.summary(var_names=["mu", "weights"])
figure = m.plot(X=data, sampler=m.sampler, path=FIGURE)
axes = figure.axes[0]
ellipses = [p for p in axes.patches if isinstance(p, Ellipse)]
points = [c for c in axes.collections if isinstance(c, PathCollection)][0]
plotted = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.posterior.draws,
                                 inspect.signature(plot_gmm).parameters["max_draws"].default)  # the figure's draws
few = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.sampler.get_samples(), max_draws=50)
probabilities = membership_probabilities(few, data, batch_size=64)
bad = data.copy()
bad[4, 1] = np.inf
errors = {}
for name, call in [("columns", lambda: m.plot(X=np.c_[data, data[:, 0]])),
                   ("sampler", lambda: m.plot(X=data, sampler=object())), ("infinite", lambda: m.plot(X=bad))]:
    try:
        call()
        errors[name] = None
    except Exception as error:
        errors[name] = [type(error).__name__, str(error)]
print(json.dumps({
    "ari": adjusted_rand_score(g["true_labels"], labels), "r_hat": float(table["r_hat"].max()),
    "chains": m.sampler.num_chains, "method": m.sampler.chain_method, "draws": int(m.posteriors["mu"].shape[0]),
    "figure": isinstance(figure, Figure), "rows": len(data), "K": int(m.data_on_model["K"]),
    "ellipses": len(ellipses), "ellipse_centres": [list(map(float, e.center)) for e in ellipses[::2]],
    "plotted_means": plotted.means.mean(axis=0).tolist(), "posterior_means": m.posteriors["mu"].mean(axis=0).tolist(), "points": len(points.get_offsets()),
    "colours": len({tuple(c[:3]) for c in points.get_facecolors()}),
    "few_shapes": [list(few.weights.shape), list(few.means.shape), list(few.covariances.shape)],
    "probabilities_shape": list(probabilities.shape),
    "largest_sum_error": float(np.abs(probabilities.sum(axis=1) - 1.0).max()),
    "few_ari": adjusted_rand_score(g["true_labels"], probabilities.argmax(axis=1)), "errors": errors}))
"""


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    """The seed example, verbatim, in a fresh Python with the library defaults (4 chains x 1000 + 1000), read out by
    SEED_READOUT; its figure written to ``figure``. One run shared by the checks of the clusters, the figure, the
    memberships and the plot's errors."""
    figure = tmp_path_factory.mktemp("seed") / "gmm.png"
    code = f"SEED, FIGURE = {str(SEED_EXAMPLE)!r}, {str(figure)!r}\n{SEED_READOUT}"
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"})
    assert result.returncode == 0, result.stderr[-3000:]
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "figure_path": figure}


def test_seed_example_runs_unchanged_and_clusters_well(seed_run):
    out = {key: value for key, value in seed_run.items() if key in ("ari", "r_hat", "chains", "method", "draws",
                                                                   "figure")}
    assert out["ari"] >= 0.9, out
    assert out["r_hat"] <= 1.05, out
    assert out == {**out, "chains": 4, "method": "parallel", "draws": 4000, "figure": True}


def test_large_gmm_with_parallel_chains_does_not_hang():
    """jax 0.10's batched LAPACK trsm deadlocked parallel chains at N >= ~6 250 (ARCHITECTURE.md): any gradient of
    the 10 000 rows evaluated while two chains run in parallel would hang, so 10 + 10 iterations are enough."""
    code = """
from bayesforge import bf
from bayesforge.mixtures.gmm import gmm_model, seed_data
m = bf(cores=2)
data, _ = seed_data(10_000)
gmm = gmm_model(m)
m.ml.KMEANS(data, n_clusters=8)
m.data_on_model = {"data": data, "K": 8, "initial_means": m.ml.results["centroids"]}
m.fit(gmm, num_warmup=10, num_samples=10, num_chains=2, progress_bar=False)
print(m.sampler.chain_method, m.posteriors["mu"].shape)
"""
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "parallel (20, 8, 2)"


def test_demo_command_prints_devices_summary_ari_and_writes_the_figure(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "demo.png"
    result = subprocess.run(
        [sys.executable, "-m", "bayesforge.cli", "demo", "--chains", "2", "--warmup", "100", "--samples", "100",
         "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**__import__("os").environ, "JAX_PLATFORMS": "cpu"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout
    assert "platform: cpu" in text and "r_hat" in text and "mu[7, 1]" in text
    ari = float(text.split("adjusted Rand index vs true labels:")[1].split()[0])
    assert ari >= 0.9
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_rejects_bad_options():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "bayesforge.cli", "demo", "--chains", "0"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "--chains: expected at least 1" in result.stderr


def test_plot_draws_points_by_component_and_two_ellipses_each(seed_run):
    """The seed example's figure: its 500 points coloured by component, a 1σ and a 2σ ellipse per component."""
    K = seed_run["K"]
    assert K == 8 and seed_run["figure"] and seed_run["figure_path"].read_bytes()[:4] == b"\x89PNG"
    assert seed_run["ellipses"] == 2 * K
    assert seed_run["points"] == seed_run["rows"] == 500
    assert seed_run["colours"] == K  # one colour per component (alpha: certainty)
    # the 1σ ellipse of each component sits on its posterior mean: the mean of the draws the figure uses (400 of the
    # fit's 4 000), which is the mean of all the draws up to Monte Carlo error (components are 3 or more apart)
    centres = np.sort(seed_run["ellipse_centres"], axis=0)
    np.testing.assert_allclose(centres, np.sort(seed_run["plotted_means"], axis=0), atol=1e-4)
    np.testing.assert_allclose(centres, np.sort(seed_run["posterior_means"], axis=0), atol=0.05)


def test_plot_errors(seed_run, m):
    errors = seed_run["errors"]
    assert errors["columns"][0] == "ValueError" and "X has 3 columns but the mixture has 2" in errors["columns"][1]
    assert errors["sampler"] == ["ValueError", "sampler must be the sampler of this object's last fit (m.sampler)"]
    # NaN is a missing value (drawn hollow); infinity is an error
    assert errors["infinite"][0] == "ValueError" and "X has 1 infinite value" in errors["infinite"][1]
    m.data_on_model = {"y": np.zeros(3)}
    m.fit(lambda y: m.dist.normal(m.dist.normal(0, 1, name="mu"), 1, name="y", obs=y),
          num_warmup=20, num_samples=20, num_chains=1, progress_bar=False)
    with pytest.raises(ValueError, match="no Gaussian mixture to draw"):
        m.plot(X=np.zeros((3, 2)))


def test_membership_probabilities_are_normalised_and_recover_the_clusters(seed_run):
    """50 of the seed fit's draws, the rows in batches of 64 (500 rows: the last batch is partial)."""
    assert seed_run["few_shapes"] == [[50, 8], [50, 8, 2], [50, 8, 2, 2]]
    assert seed_run["probabilities_shape"] == [500, 8]
    assert seed_run["largest_sum_error"] <= 1e-5
    assert seed_run["few_ari"] >= 0.9
