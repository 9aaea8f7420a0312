"""Devices and chains: each case in a fresh Python, because JAX reads its device setup once."""
import json

import pytest

from conftest import run_python

FIT_TINY = """
import json, warnings
from bayesforge import bf
m = bf({bf_args})
def model(y):
    mu = m.dist.normal(0.0, 10.0, name="mu")
    m.dist.normal(mu, 1.0, name="y", obs=y)
m.data_on_model = {{"y": [0.5, 1.5, 1.0]}}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    m.fit(model, num_warmup=50, num_samples=50, progress_bar=False{fit_args})
import jax
print(json.dumps({{"devices": m.devices.count, "platform": m.devices.platform,
                  "chain_method": m.sampler.chain_method, "num_chains": m.sampler.num_chains,
                  "jax_devices": jax.local_device_count(), "draws": int(m.posteriors["mu"].shape[0]),
                  "dtype": str(m.posteriors["mu"].dtype), "warnings": [str(w.message) for w in caught],
                  "xla_flags": __import__("os").environ.get("XLA_FLAGS")}}))
"""


def run_case(bf_args="", fit_args="", env=None):
    result = run_python(FIT_TINY.format(bf_args=bf_args, fit_args=fit_args), env={"JAX_PLATFORMS": "cpu", **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_four_host_devices_run_four_chains_in_parallel():
    out = run_case(env={"XLA_FLAGS": "--xla_force_host_platform_device_count=4"})
    assert out == {**out, "devices": 4, "jax_devices": 4, "chain_method": "parallel", "num_chains": 4, "draws": 200}
    # bf() appended its XLA flag to the user's, before JAX started
    assert out["xla_flags"] == "--xla_force_host_platform_device_count=4 --xla_cpu_experimental_ynn_fusion_type=-reduce"


def test_default_gives_the_default_four_chains_a_device_each_even_on_two_cores():
    out = run_case()
    assert out["devices"] >= 4 and out["chain_method"] == "parallel"


def test_cores_sets_the_host_device_count():
    out = run_case(bf_args="cores=3", env={"XLA_FLAGS": "--xla_cpu_experimental_ynn_fusion_type="})
    assert out["devices"] == 3 and out["jax_devices"] == 3
    assert out["xla_flags"] == "--xla_cpu_experimental_ynn_fusion_type="  # the user's setting stays


def test_fewer_devices_than_chains_falls_back_to_vectorized_on_cpu():
    out = run_case(bf_args="cores=2")
    assert out["devices"] == 2 and out["chain_method"] == "vectorized" and out["draws"] == 200


def test_x64_fits_in_double_precision_without_changing_the_process_default():
    out = run_case(bf_args="x64=True")
    assert out["dtype"] == "float64"
    code = "from bayesforge import bf\nimport jax.numpy as jnp\nm = bf(x64=True)\nprint(jnp.ones(1).dtype)"
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"})
    assert result.stdout.strip() == "float32", result.stderr


def test_backend_already_started_uses_existing_devices_and_warns():
    code = """
import warnings, jax, jax.numpy as jnp
jnp.ones(1).block_until_ready()   # JAX starts here with 1 CPU device
from bayesforge import bf
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    m = bf(cores=4)
print(m.devices.count, len(caught), caught[0].message if caught else "")
"""
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"})
    assert result.returncode == 0, result.stderr
    count, n_warnings, message = result.stdout.strip().split(" ", 2)
    assert count == "1" and n_warnings == "1" and "already started" in message


def test_explicit_parallel_without_enough_devices_is_a_clear_error():
    code = FIT_TINY.format(bf_args="cores=2", fit_args=", chain_method='parallel'")
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"})
    assert result.returncode != 0
    assert "chain_method='parallel' needs a device per chain" in result.stderr


def test_import_prints_nothing_and_changes_no_environment():
    code = """
import os, sys, io, contextlib
import jax, numpyro, sklearn, matplotlib  # their own import-time settings (JAX sets TF_CPP_MIN_LOG_LEVEL, ...)
before = dict(os.environ)
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    import bayesforge, BayesForge
from jax._src import xla_bridge
print(repr(out.getvalue()), dict(os.environ) == before, xla_bridge.backends_are_initialized())
"""
    result = run_python(code, env={"JAX_PLATFORMS": "cpu"})
    assert result.stdout.strip() == "'' True False", result.stdout + result.stderr


@pytest.mark.parametrize("kwargs, error, match", [
    ({"platform": "quantum"}, ValueError, "platform must be None or one of"),
    ({"cores": 2.5}, ValueError, "cores must be a whole number"),
    ({"cores": 0}, ValueError, "cores must be at least 1"),
    ({"x64": "yes"}, TypeError, "x64 must be True or False"),
])
def test_bad_device_arguments(kwargs, error, match):
    from bayesforge import bf

    with pytest.raises(error, match=match):
        bf(**kwargs)


def test_unavailable_platform_names_what_exists():
    from bayesforge import bf

    with pytest.raises(ValueError, match=r"platform='gpu'.*available: \['cpu'\]"):
        bf(platform="gpu")


def test_repr_reports_devices(m):
    text = repr(m)
    assert "not fitted" in text and "platform: cpu" in text and "parallel chains: up to 4" in text
