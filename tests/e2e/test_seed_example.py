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


def test_seed_example_runs_unchanged_and_clusters_well():
    code = f"""
import json, runpy
import numpy as np
from sklearn.metrics import adjusted_rand_score
from matplotlib.figure import Figure
from bayesforge.mixtures.draws import gaussian_mixture_draws
from bayesforge.mixtures.memberships import membership_probabilities
g = runpy.run_path({str(SEED_EXAMPLE)!r})
m = g["m"]
draws = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.sampler.get_samples())
labels = membership_probabilities(draws, g["data"]).argmax(axis=1)
table = m.summary(var_names=["mu", "weights"])
figure = m.plot(X=g["data"], sampler=m.sampler)
print(json.dumps({{"ari": adjusted_rand_score(g["true_labels"], labels), "r_hat": float(table["r_hat"].max()),
                  "chains": m.sampler.num_chains, "method": m.sampler.chain_method,
                  "draws": int(m.posteriors["mu"].shape[0]), "figure": isinstance(figure, Figure)}}))
"""
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"})
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["ari"] >= 0.9, out
    assert out["r_hat"] <= 1.05, out
    assert out == {**out, "chains": 4, "method": "parallel", "draws": 4000, "figure": True}


def test_large_gmm_with_parallel_chains_does_not_hang():
    """jax 0.10's batched LAPACK trsm deadlocked parallel chains at N >= ~6 250 (ARCHITECTURE.md)."""
    code = """
from bayesforge import bf
from bayesforge.mixtures.gmm import gmm_model, seed_data
m = bf(cores=2)
data, _ = seed_data(10_000)
gmm = gmm_model(m)
m.ml.KMEANS(data, n_clusters=8)
m.data_on_model = {"data": data, "K": 8, "initial_means": m.ml.results["centroids"]}
m.fit(gmm, num_warmup=20, num_samples=20, num_chains=2, progress_bar=False)
print(m.sampler.chain_method, m.posteriors["mu"].shape)
"""
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "parallel (40, 8, 2)"


def test_demo_command_prints_devices_summary_ari_and_writes_the_figure(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "demo.png"
    result = subprocess.run(
        [sys.executable, "-m", "bayesforge.cli", "demo", "--chains", "2", "--warmup", "150", "--samples", "150",
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


@pytest.fixture(scope="module")
def fitted_seed_gmm():
    from sklearn.datasets import make_blobs

    from bayesforge import bf
    from bayesforge.mixtures.gmm import gmm_model

    m = bf(platform="cpu")
    data, labels = make_blobs(n_samples=300, centers=3, cluster_std=0.6, center_box=(-6, 6), random_state=1)
    gmm = gmm_model(m)
    m.ml.KMEANS(data, n_clusters=3)
    m.data_on_model = {"data": data, "K": 3, "initial_means": m.ml.results["centroids"]}
    m.fit(gmm, num_warmup=150, num_samples=150, num_chains=2, progress_bar=False)
    return m, data, labels


def test_plot_draws_points_by_component_and_two_ellipses_each(fitted_seed_gmm, tmp_path):
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse

    m, data, _ = fitted_seed_gmm
    path = tmp_path / "gmm.png"
    figure = m.plot(X=data, sampler=m.sampler, path=path)
    assert isinstance(figure, Figure) and path.read_bytes()[:4] == b"\x89PNG"
    axes = figure.axes[0]
    ellipses = [p for p in axes.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 2 * 3
    points = [c for c in axes.collections if isinstance(c, PathCollection)][0]
    assert len(points.get_offsets()) == len(data)
    assert len({tuple(c[:3]) for c in points.get_facecolors()}) == 3  # one colour per component (alpha: certainty)
    # the 1σ ellipse of each component sits on its posterior mean
    means = m.posteriors["mu"].mean(axis=0)
    centres = np.array([e.center for e in ellipses[::2]])
    np.testing.assert_allclose(np.sort(centres, axis=0), np.sort(means, axis=0), atol=1e-4)


def test_plot_errors(fitted_seed_gmm, m):
    fitted, data, _ = fitted_seed_gmm
    with pytest.raises(ValueError, match="X has 3 columns but the mixture has 2"):
        fitted.plot(X=np.c_[data, data[:, 0]])
    with pytest.raises(ValueError, match="sampler must be the sampler of this object's last fit"):
        fitted.plot(X=data, sampler=object())
    with pytest.raises(ValueError, match="X has 1 infinite value"):  # NaN is a missing value (drawn hollow)
        bad = data.copy()
        bad[4, 1] = np.inf
        fitted.plot(X=bad)
    m.data_on_model = {"y": np.zeros(3)}
    m.fit(lambda y: m.dist.normal(m.dist.normal(0, 1, name="mu"), 1, name="y", obs=y),
          num_warmup=20, num_samples=20, num_chains=1, progress_bar=False)
    with pytest.raises(ValueError, match="no Gaussian mixture to draw"):
        m.plot(X=np.zeros((3, 2)))


def test_membership_probabilities_are_normalised_and_recover_the_clusters(fitted_seed_gmm):
    from sklearn.metrics import adjusted_rand_score

    from bayesforge.mixtures.draws import gaussian_mixture_draws
    from bayesforge.mixtures.memberships import membership_probabilities

    m, data, labels = fitted_seed_gmm
    draws = gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.sampler.get_samples(), max_draws=50)
    assert draws.weights.shape == (50, 3) and draws.means.shape == (50, 3, 2) and draws.covariances.shape == (50, 3, 2, 2)
    probabilities = membership_probabilities(draws, data, batch_size=64)
    assert probabilities.shape == (300, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert adjusted_rand_score(labels, probabilities.argmax(axis=1)) > 0.95
