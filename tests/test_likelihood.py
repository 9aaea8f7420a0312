"""The fused Gaussian-mixture likelihood (bayesforge/likelihood.py) and what m.fit builds around it.

Values and gradients against NumPyro's MixtureSameFamily in float64, float32 error against a float64
reference, shapes (masked, batched, vmapped), the factory m.dist.mixture_same_family, no LAPACK in the
compiled gradient, the start-relative potential NUTS samples in float32, the k-means start found by
structure, and the XLA flags bf() sets. Cheap: each case is one jitted function; one tiny fit.
"""
import contextlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as npd
import pytest

import bayesforge.likelihood as likelihood
from bayesforge.distributions import GaussianMixture, MultivariateNormal, mixture_same_family


def _problem(k, d, n=203, seed=0):
    """Logits, means, Cholesky factors and points (some far from every mean), made with NumPy."""
    rng = np.random.default_rng(seed + 10 * d + k)
    a = rng.normal(size=(k, d, d))
    scale_tril = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + d * np.eye(d))
    loc = 3.0 * rng.normal(size=(k, d))
    x = 3.0 * rng.normal(size=(n, d))
    x[:3] += 40.0  # far out: every component's log-density is very negative there
    return rng.normal(size=k), loc, scale_tril, x


def _numpyro_log_prob(logits, loc, scale_tril, x):
    return npd.MixtureSameFamily(npd.Categorical(logits=logits),
                                 npd.MultivariateNormal(loc, scale_tril=scale_tril)).log_prob(x)


def _fused_log_prob(logits, loc, scale_tril, x):
    return mixture_same_family(npd.Categorical(logits=logits),
                               MultivariateNormal(loc, scale_tril=scale_tril)).log_prob(x)


def _values_and_grads(log_prob):
    """Jitted (rows, gradients of Σ weights · rows with respect to every argument)."""
    def f(logits, loc, scale_tril, x, weights):
        rows = log_prob(logits, loc, scale_tril, x)
        return rows, jax.grad(lambda *p: jnp.sum(weights * log_prob(*p)), argnums=(0, 1, 2, 3))(
            logits, loc, scale_tril, x)
    return jax.jit(f)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 64 rows, so 203 points take four steps and the last one overlaps the third."""
    monkeypatch.setattr(likelihood, "CHUNK_ROWS", 64)


SHAPES = [(k, d) for d in (1, 2, 3, 5) for k in (1, 3, 8)]


def test_values_match_numpyro_in_float64_for_every_shape(small_chunks):
    with jax.enable_x64(True):
        problems = [tuple(jnp.asarray(v, jnp.float64) for v in _problem(k, d)) for k, d in SHAPES]
        both = jax.jit(lambda problems: [(_fused_log_prob(*p), _numpyro_log_prob(*p)) for p in problems])(problems)
    for (k, d), (ours, theirs) in zip(SHAPES, both):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=f"K={k}, D={d}")


def test_gradients_match_numpyro_in_float64(small_chunks):
    """Gradients of a sum (one sweep) and of a row-weighted sum (the backward pass recomputes the moments)."""
    shapes = [(1, 1), (3, 2), (8, 5)]
    with jax.enable_x64(True):
        problems = [tuple(jnp.asarray(v, jnp.float64) for v in _problem(k, d)) for k, d in shapes]
        weights = jnp.asarray(np.random.default_rng(7).uniform(0.0, 2.0, problems[0][3].shape[0]))

        def grads(log_prob, problem, w):
            return jax.grad(lambda *p: jnp.sum(w * log_prob(*p)), argnums=(0, 1, 2, 3))(*problem)

        results = jax.jit(lambda problems, weights: [
            [(grads(_fused_log_prob, p, w), grads(_numpyro_log_prob, p, w)) for w in (jnp.ones_like(weights), weights)]
            for p in problems])(problems, weights)
    for (k, d), per_weighting in zip(shapes, results):
        for weighting, (ours, theirs) in zip(("sum", "weighted"), per_weighting):
            for name, a, b in zip(("logits", "loc", "scale_tril", "x"), ours, theirs):
                b = jnp.tril(b) if name == "scale_tril" else b  # NumPyro's triangular solve ignores the upper triangle
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9 * float(jnp.abs(b).max()),
                                           err_msg=f"K={k}, D={d}, {weighting}, d/d{name}")


def test_float32_error_against_float64_is_no_worse_than_numpyros():
    """Seed-like data: 8 blobs, 20 000 points. Value and gradient error of each float32 path vs float64."""
    from bayesforge.mixtures.gmm import seed_data

    data, labels = seed_data(20_000)
    k = 8
    means = np.stack([data[labels == j].mean(axis=0) for j in range(k)]) + 0.05
    logits = np.log(np.bincount(labels) / len(labels))
    scale_tril = np.broadcast_to(np.array([[0.8, 0.0], [0.1, 0.75]]), (k, 2, 2))
    weights = np.ones(len(data))
    with jax.enable_x64(True):
        reference = _values_and_grads(_numpyro_log_prob)(*(jnp.asarray(v) for v in (logits, means, scale_tril, data,
                                                                                       weights)))
    errors = {}
    for name, log_prob in (("fused", _fused_log_prob), ("numpyro", _numpyro_log_prob)):
        rows, grads = _values_and_grads(log_prob)(*(jnp.asarray(v, jnp.float32) for v in (logits, means, scale_tril,
                                                                                         data, weights)))
        value_error = abs(float(np.sum(rows, dtype=np.float64)) - float(np.sum(reference[0]))) / abs(float(np.sum(reference[0])))
        grad_error = max(float(np.abs(np.asarray(g, np.float64) - np.asarray(r)).max() / np.abs(np.asarray(r)).max())
                         for g, r in zip(grads[:3], reference[1][:3]))
        errors[name] = (value_error, grad_error)
    assert errors["fused"][0] <= max(2 * errors["numpyro"][0], 1e-7), errors
    assert errors["fused"][1] <= max(2 * errors["numpyro"][1], 1e-5), errors


def test_masked_batched_and_vmapped_shapes(small_chunks):
    logits, loc, scale_tril, x = (jnp.asarray(v, jnp.float32) for v in _problem(3, 2, n=130))
    mask = jnp.arange(130) % 3 != 0

    def build(fused, logits, loc, scale_tril):
        if fused:
            return mixture_same_family(npd.Categorical(logits=logits), MultivariateNormal(loc, scale_tril=scale_tril))
        return npd.MixtureSameFamily(npd.Categorical(logits=logits), npd.MultivariateNormal(loc, scale_tril=scale_tril))

    def both(logits, loc, scale_tril, x):
        out = []
        for fused in (True, False):
            d = build(fused, logits, loc, scale_tril)
            masked = jnp.sum(d.mask(mask).log_prob(x))
            grad = jax.grad(lambda m: jnp.sum(build(fused, logits, m, scale_tril).mask(mask).log_prob(x)))(loc)
            out.append((masked, grad, d.log_prob(x.reshape(2, 65, 2)), d.log_prob(x[0])))
        return list(zip(*out))

    masked, grads, batched, single = jax.jit(both)(logits, loc, scale_tril, x)
    np.testing.assert_allclose(masked[0], masked[1], rtol=1e-5)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-4)
    assert batched[0].shape == (2, 65) and single[0].shape == ()
    np.testing.assert_allclose(batched[0], batched[1], rtol=1e-5)
    np.testing.assert_allclose(single[0], single[1], rtol=1e-5)

    # vmapped over draws of the parameters, as ArviZ's pointwise log-likelihood is computed
    draws = loc[None] + jnp.arange(4.0)[:, None, None] * 0.1
    ours = jax.jit(jax.vmap(lambda m: _fused_log_prob(logits, m, scale_tril, x)))(draws)
    theirs = jax.jit(jax.vmap(lambda m: _numpyro_log_prob(logits, m, scale_tril, x)))(draws)
    assert ours.shape == (4, 130)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_m_dist_mixture_same_family_is_fused_only_for_gaussian_components(m):
    probs = jnp.array([0.3, 0.7])
    gaussian = m.dist.mixture_same_family(
        m.dist.categorical(probs=probs, create_obj=True),
        m.dist.multivariate_normal(loc=jnp.zeros((2, 2)), covariance_matrix=jnp.eye(2), create_obj=True),
        create_obj=True)
    assert type(gaussian) is GaussianMixture and isinstance(gaussian, npd.MixtureSameFamily)
    normal = m.dist.mixture_same_family(m.dist.categorical(probs=probs, create_obj=True),
                                        m.dist.normal(jnp.zeros(2), 1.0, create_obj=True), create_obj=True)
    assert type(normal) is npd.MixtureSameFamily
    from bayesforge.mixtures.draws import gaussian_mixture_of

    site = {"type": "sample", "is_observed": True, "fn": gaussian.expand((5,))}
    assert gaussian_mixture_of(site) is gaussian  # memberships and relabelling still recognise it


def test_dimensions_beyond_the_unrolled_limit_use_numpyros_path():
    d = likelihood.MAX_DIM + 1
    logits, loc, scale_tril, x = (jnp.asarray(v, jnp.float32) for v in _problem(2, d, n=5))
    ours = jax.jit(_fused_log_prob)(logits, loc, scale_tril, x)
    np.testing.assert_allclose(ours, jax.jit(_numpyro_log_prob)(logits, loc, scale_tril, x), rtol=1e-5)
    with pytest.raises(ValueError, match="D ≤ 16"):
        likelihood.mixture_log_prob(jnp.zeros(2), loc, scale_tril, x)


#: A LAPACK custom call in StableHLO (@lapack_strsm_ffi) or compiled HLO (custom_call_target="lapack_...").
LAPACK_CALL = re.compile(r"[@\"]lapack_\w+")


def test_the_compiled_gradient_calls_no_lapack():
    """jax 0.10 deadlocks parallel chains on batched LAPACK calls: the hot path must have none."""
    logits, loc, scale_tril, x = (jnp.asarray(v, jnp.float32) for v in _problem(8, 3, n=100))
    covariance = scale_tril @ jnp.swapaxes(scale_tril, -1, -2)

    def potential(logits, loc, covariance):  # covariance_matrix: the Cholesky factor is computed too
        return jnp.sum(mixture_same_family(npd.Categorical(logits=logits),
                                           MultivariateNormal(loc, covariance_matrix=covariance)).log_prob(x))

    lowered = jax.jit(jax.value_and_grad(potential, argnums=(0, 1, 2))).lower(logits, loc, covariance)
    for text in (lowered.as_text(), lowered.compile().as_text()):
        assert not LAPACK_CALL.search(text), LAPACK_CALL.search(text).group()
    numpyros = jax.jit(jax.value_and_grad(lambda *p: jnp.sum(_numpyro_log_prob(*p, x)), argnums=(0, 1, 2)))
    assert LAPACK_CALL.search(numpyros.lower(logits, loc, scale_tril).as_text())  # the check can see one


def _tiny_mixture_model(data):
    """The page's model with other site names, K = 2."""
    w = numpyro.sample("w", npd.Dirichlet(jnp.ones(2)))
    with numpyro.plate("components", 2):
        centre = numpyro.sample("centres", npd.MultivariateNormal(jnp.zeros(2), 10.0 * jnp.eye(2)))
        spread = numpyro.sample("spread", npd.HalfCauchy(1.0).expand((2,)).to_event(1))
        corr = numpyro.sample("corr", npd.LKJCholesky(2, 1.0))
    numpyro.sample("obs", mixture_same_family(npd.Categorical(probs=w),
                                              MultivariateNormal(centre, scale_tril=spread[..., None] * corr)), obs=data)


def _two_blobs(n=120):
    rng = np.random.default_rng(3)
    return np.r_[rng.normal(-4.0, 0.5, (n // 4, 2)), rng.normal(3.0, 1.0, (n - n // 4, 2))]


def test_kmeans_start_finds_the_sites_by_structure():
    from bayesforge.mixtures.start import is_kmeans_start, kmeans_start

    data = _two_blobs()
    strategy, start = kmeans_start(_tiny_mixture_model, {"data": jnp.asarray(data)})
    assert start == "k-means" and is_kmeans_start(strategy)
    values = strategy.keywords["values"]
    assert sorted(values) == ["centres", "corr", "spread", "w"]
    order = np.argsort(values["centres"][:, 0])
    np.testing.assert_allclose(np.asarray(values["centres"])[order], [[-4.0, -4.0], [3.0, 3.0]], atol=0.5)
    np.testing.assert_allclose(np.asarray(values["w"])[order], [0.25, 0.75], atol=0.02)
    np.testing.assert_allclose(np.asarray(values["corr"]), np.broadcast_to(np.eye(2), (2, 2, 2)))
    assert float(np.asarray(values["spread"]).min()) > 0.3

    def means_not_sampled(data):  # the means are a deterministic function: not recognised
        w = numpyro.sample("w", npd.Dirichlet(jnp.ones(2)))
        shift = numpyro.sample("shift", npd.Normal(0.0, 5.0))
        numpyro.sample("obs", mixture_same_family(npd.Categorical(probs=w), MultivariateNormal(
            jnp.stack([jnp.full(2, -shift), jnp.full(2, shift)]), scale_tril=jnp.stack([jnp.eye(2)] * 2))), obs=data)

    strategy, start = kmeans_start(means_not_sampled, {"data": jnp.asarray(data)})
    assert strategy is None and start.startswith("NumPyro's default")
    assert kmeans_start(lambda y: numpyro.sample("y", npd.Normal(0.0, 1.0), obs=y), {"y": jnp.zeros(3)}) == (None, None)


def _one_dimensional_mixture(y):
    """Two normal components on a line (D = 1: the cheapest mixture to compile)."""
    w = numpyro.sample("w", npd.Dirichlet(jnp.ones(2)))
    with numpyro.plate("components", 2):
        centre = numpyro.sample("centre", npd.Normal(jnp.zeros((2, 1)), 10.0).to_event(1))
        spread = numpyro.sample("spread", npd.HalfNormal(jnp.ones((2, 1))).to_event(1))
    numpyro.sample("y", mixture_same_family(npd.Categorical(probs=w), MultivariateNormal(
        centre, scale_tril=spread[..., None])), obs=y)


def test_fit_starts_a_gaussian_mixture_at_kmeans_and_keeps_leapfrog_steps(m):
    m.data_on_model = {"y": _two_blobs(60)[:, :1]}
    with pytest.raises(TypeError, match="collect_warmup must be True or False"):
        m.fit(_one_dimensional_mixture, num_warmup=10, num_samples=10, collect_warmup="yes")
    # two parallel chains: NumPyro compiles each chain's start with its run (one chain starts op by op, slower)
    m.fit(_one_dimensional_mixture, num_warmup=20, num_samples=20, num_chains=2, progress_bar=False,
          collect_warmup=True)
    assert m.sampler.start == "k-means" and "started at k-means" in repr(m)
    assert sorted(m.sampler.sampler._init_strategy.keywords["values"]) == ["centre", "spread", "w"]
    assert m.sampler.get_extra_fields()["num_steps"].shape == (40,)
    assert m.sampler.warmup_extra_fields["num_steps"].shape == (2, 20)
    assert m.sampler.sampler.model is _one_dimensional_mixture  # 60 points: no start-relative potential


# -- the native CPU kernel (bayesforge/native) and its XLA fallback -----------------------------------------

def _requires_native():
    from bayesforge import native

    if native.gmm_targets() is None:
        pytest.skip("the native kernel is not built (pip install -e . compiles it)")


def test_native_kernel_matches_the_reference_in_float64():
    """D = 1, 2, 3, 5 and K = 1, 3, 8: values, and gradients of a sum and of a row-weighted sum (the moments
    recomputed with the cotangent), against the broadcasting reference differentiated by JAX. 1 029 rows: more
    than one block of moments flushed to double, and a last, partial block of rows."""
    _requires_native()
    shapes = [(1, 1), (8, 2), (3, 3), (8, 5)]
    with jax.enable_x64(True):
        problems = [tuple(jnp.asarray(v, jnp.float64) for v in _problem(k, d, n=1029)) for k, d in shapes]
        weights = jnp.asarray(np.random.default_rng(3).uniform(0.0, 2.0, 1029))

        def grads(log_prob, problem, w):
            return jax.grad(lambda *p: jnp.sum(w * log_prob(*p, problem[3])), argnums=(0, 1, 2))(*problem[:3])

        def both(problems, weights):
            return [((likelihood.mixture_log_prob(*p), likelihood.mixture_log_prob_reference(*p)),
                     [(grads(likelihood.mixture_log_prob, p, w), grads(likelihood.mixture_log_prob_reference, p, w))
                      for w in (1.0, weights)]) for p in problems]

        lowered = jax.jit(both).lower(problems, weights)
        assert "bayesforge_gmm_float64" in lowered.as_text()
        results = lowered.compile()(problems, weights)
    for (k, d), ((values, reference), per_weighting) in zip(shapes, results):
        np.testing.assert_allclose(values, reference, rtol=1e-6, err_msg=f"K={k}, D={d}")
        for weighting, (ours, theirs) in zip(("sum", "weighted"), per_weighting):
            for name, a, b in zip(("logits", "loc", "scale_tril"), ours, theirs):
                b = jnp.tril(b) if name == "scale_tril" else b  # the kernel ignores the upper triangle
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9 * float(jnp.abs(b).max()),
                                           err_msg=f"K={k}, D={d}, {weighting}, d/d{name}")


def test_native_kernel_edge_cases_match_the_xla_path():
    """One row; 17 rows (a block of 16 and one more); a component of weight 0 (log-weight -inf); a row of NaN (NaN
    out, as from XLA); rows 40 sd from every component."""
    _requires_native()
    with jax.enable_x64(True):
        logits, loc, scale_tril, x = (jnp.asarray(v, jnp.float64) for v in _problem(3, 2, n=17))
        log_weights = jnp.log(jnp.array([0.4, 0.0, 0.6]))
        nan_row = x.at[5].set(jnp.nan)

        def paths(x):
            def value_and_grad(*p):
                return (likelihood.mixture_log_prob(*p, x),
                        jax.grad(lambda *q: jnp.sum(likelihood.mixture_log_prob(*q, x)[x.shape[0] != 17:]),
                                 argnums=(0, 1, 2))(*p))
            native = value_and_grad(log_weights, loc, scale_tril)
            with likelihood.xla_only():
                xla = value_and_grad(log_weights, loc, scale_tril)
            return native, xla

        for rows in (x[:1], x, nan_row):
            native, xla = jax.jit(paths)(rows)
            for a, b in zip(jax.tree.leaves(native), jax.tree.leaves(xla)):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)
    assert np.isnan(native[0][5]) and np.isfinite(np.delete(np.asarray(native[0]), 5)).all()


def test_native_kernel_float32_error_is_no_worse_than_the_xla_paths():
    """Seed-like data, 20 000 points, float32: the kernel's value and gradient error against float64."""
    _requires_native()
    from bayesforge.mixtures.gmm import seed_data

    data, labels = seed_data(20_000)
    k = 8
    params = (np.log(np.bincount(labels) / len(labels)), np.stack([data[labels == j].mean(axis=0) for j in range(k)]),
              np.broadcast_to(np.array([[0.8, 0.0], [0.1, 0.75]]), (k, 2, 2)))

    def value_and_grad(*p):
        return jax.value_and_grad(lambda *q: jnp.sum(likelihood.mixture_log_prob(*q, p[3])), argnums=(0, 1, 2))(*p[:3])

    with jax.enable_x64(True):
        value, grads = jax.jit(value_and_grad)(*(jnp.asarray(v) for v in (*params, data)))
    errors = {}
    for path in ("native", "xla"):
        with likelihood.xla_only() if path == "xla" else contextlib.nullcontext():
            ours, our_grads = jax.jit(lambda *p: value_and_grad(*p))(*(jnp.asarray(v, jnp.float32)
                                                                       for v in (*params, data)))
        errors[path] = (abs(float(ours) - float(value)) / abs(float(value)),
                        max(float(np.abs(np.asarray(g, np.float64) - np.asarray(r)).max() / np.abs(np.asarray(r)).max())
                            for g, r in zip(our_grads, grads)))
    assert errors["native"][0] <= max(2 * errors["xla"][0], 1e-7), errors
    assert errors["native"][1] <= max(2 * errors["xla"][1], 1e-6), errors


def test_without_the_native_library_the_xla_path_is_used(monkeypatch):
    """No library (no compiler at install time, another platform): the same values and gradients from XLA."""
    from bayesforge import native

    logits, loc, scale_tril, x = (jnp.asarray(v, jnp.float32) for v in _problem(3, 2, n=50))

    def value_and_grad(*p):
        return jax.value_and_grad(lambda *q: jnp.sum(likelihood.mixture_log_prob(*q)), argnums=(0, 1, 2))(*p)

    with_library = jax.jit(value_and_grad)(logits, loc, scale_tril, x)
    monkeypatch.setattr(native, "gmm_targets", lambda: None)
    lowered = jax.jit(lambda *p: value_and_grad(*p)).lower(logits, loc, scale_tril, x)  # a new function: traced anew
    assert "bayesforge_gmm" not in lowered.as_text()
    without = lowered.compile()(logits, loc, scale_tril, x)
    for a, b in zip(jax.tree.leaves(with_library), jax.tree.leaves(without)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_native_kernel_is_chosen_per_platform_and_never_reaches_an_accelerator():
    """lax.platform_dependent: a CPU lowering calls the kernel, a CUDA lowering (exported here, no GPU needed) the
    XLA scan only; xla_only() keeps it out of the CPU lowering too."""
    _requires_native()
    logits, loc, scale_tril, x = (jnp.asarray(v, jnp.float32) for v in _problem(3, 2, n=50))

    def potential(*p):
        return jnp.sum(likelihood.mixture_log_prob(*p, x))

    def text(platform, function=potential):
        check = jax.export.DisabledSafetyCheck.custom_call("bayesforge_gmm_float32")
        exported = jax.export.export(jax.jit(jax.grad(function, argnums=(0, 1, 2))), platforms=[platform],
                                     disabled_checks=[check])(logits, loc, scale_tril)
        return exported.mlir_module()

    assert "bayesforge_gmm_float32" in text("cpu")
    assert "bayesforge_gmm" not in text("cuda")

    def xla_potential(*p):
        with likelihood.xla_only():
            return potential(*p)

    assert "bayesforge_gmm" not in text("cpu", xla_potential)
