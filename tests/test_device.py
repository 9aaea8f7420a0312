"""Devices and chains in fresh Pythons, because JAX reads its device setup once; checks that need the same setup
share one Python."""
import json

import pytest

from bayesforge.device import XLA_DEFAULT_FLAGS, with_default_xla_flags
from conftest import TEST_XLA_FLAGS, run_python

#: Defines fit(m, **fit_args): a tiny fit on ``m``, and what it used, as a dict. Followed by a case's own lines,
#: which print one JSON line. Checks that need the same device setup share one fresh Python (each start costs a
#: Python, a JAX and the fit's compilations).
FIT_TINY = """
import json, os, warnings
import jax

def fit(m, **fit_args):
    def model(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")
        m.dist.normal(mu, 1.0, name="y", obs=y)
    m.data_on_model = {"y": [0.5, 1.5, 1.0]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.fit(model, num_warmup=50, num_samples=50, progress_bar=False, **fit_args)
    return {"devices": m.devices.count, "platform": m.devices.platform,
            "chain_method": m.sampler.chain_method, "num_chains": m.sampler.num_chains,
            "jax_devices": jax.local_device_count(), "draws": int(m.posteriors["mu"].shape[0]),
            "dtype": str(m.posteriors["mu"].dtype), "warnings": [str(w.message) for w in caught],
            "xla_flags": os.environ.get("XLA_FLAGS")}
"""


def run_case(lines, env=None, prelude=""):
    """``prelude``, FIT_TINY, then ``lines`` in a fresh Python; the JSON its last line prints."""
    result = run_python(prelude + FIT_TINY + lines, env={"JAX_PLATFORMS": "cpu", **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def default_process():
    """One fresh Python with no XLA flags: importing BayesForge, then a default fit, then bf(x64=True) and its fit."""
    prelude = """
import os, sys, io, contextlib
import jax, numpyro, sklearn, matplotlib  # their own import-time settings (JAX sets TF_CPP_MIN_LOG_LEVEL, ...)
before = dict(os.environ)
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    import bayesforge, BayesForge
from jax._src import xla_bridge
imported = {"printed": out.getvalue(), "environment_unchanged": dict(os.environ) == before,
            "backend_started": xla_bridge.backends_are_initialized()}
"""
    lines = """
from bayesforge import bf
import jax.numpy as jnp
default = fit(bf())
m = bf(x64=True)
dtype_after_bf = str(jnp.ones(1).dtype)
x64 = fit(m)
print(json.dumps({"import": imported, "default": default, "x64": x64, "dtype_after_bf": dtype_after_bf,
                  "dtype_after_fit": str(jnp.ones(1).dtype)}))
"""
    return run_case(lines, prelude=prelude)


@pytest.fixture(scope="module")
def two_cores_process():
    """One fresh Python with bf(cores=2): the automatic chain method, then chain_method='parallel' asked for."""
    lines = """
from bayesforge import bf
m = bf(cores=2)
automatic = fit(m)
try:
    fit(m, chain_method="parallel")
    error = None
except Exception as e:
    error = {"type": type(e).__name__, "message": str(e)}
print(json.dumps({"automatic": automatic, "parallel": error}))
"""
    return run_case(lines)


def test_four_host_devices_run_four_chains_in_parallel():
    users_flags = f"--xla_force_host_platform_device_count=4 {TEST_XLA_FLAGS}"
    out = run_case("from bayesforge import bf\nprint(json.dumps(fit(bf())))", env={"XLA_FLAGS": users_flags})
    assert out == {**out, "devices": 4, "jax_devices": 4, "chain_method": "parallel", "num_chains": 4, "draws": 200}
    # bf() appended its XLA flag to the user's, before JAX started
    assert out["xla_flags"] == f"{users_flags} --xla_cpu_experimental_ynn_fusion_type=-reduce"


def test_default_gives_the_default_four_chains_a_device_each_even_on_two_cores(default_process):
    out = default_process["default"]
    assert out["devices"] >= 4 and out["chain_method"] == "parallel"


def test_cores_sets_the_host_device_count():
    lines = """
from bayesforge import bf
m = bf(cores=3)  # no fit: the devices are what is checked
print(json.dumps({"devices": m.devices.count, "jax_devices": jax.local_device_count(),
                  "xla_flags": os.environ.get("XLA_FLAGS")}))
"""
    out = run_case(lines, env={"XLA_FLAGS": "--xla_cpu_experimental_ynn_fusion_type="})
    assert out["devices"] == 3 and out["jax_devices"] == 3
    assert out["xla_flags"] == "--xla_cpu_experimental_ynn_fusion_type="  # the user's setting stays


def test_fewer_devices_than_chains_falls_back_to_vectorized_on_cpu(two_cores_process):
    out = two_cores_process["automatic"]
    assert out["devices"] == 2 and out["chain_method"] == "vectorized" and out["draws"] == 200


def test_x64_fits_in_double_precision_without_changing_the_process_default(default_process):
    assert default_process["x64"]["dtype"] == "float64"
    assert default_process["default"]["dtype"] == "float32"  # the earlier bf() of the same process
    assert default_process["dtype_after_bf"] == "float32" and default_process["dtype_after_fit"] == "float32"


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


def test_explicit_parallel_without_enough_devices_is_a_clear_error(two_cores_process):
    error = two_cores_process["parallel"]
    assert error is not None, "chain_method='parallel' on 2 devices for 4 chains ran"
    assert error["type"] == "ValueError"
    assert "chain_method='parallel' needs a device per chain" in error["message"]


def test_import_prints_nothing_and_changes_no_environment(default_process):
    assert default_process["import"] == {"printed": "", "environment_unchanged": True, "backend_started": False}


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


def test_default_xla_flags_are_appended_once_and_never_override_the_user():
    assert XLA_DEFAULT_FLAGS == ("--xla_cpu_experimental_ynn_fusion_type=-reduce",)
    assert with_default_xla_flags("") == "--xla_cpu_experimental_ynn_fusion_type=-reduce"
    user = "--xla_force_host_platform_device_count=4  --xla_dump_to=/tmp/x"
    assert with_default_xla_flags(user) == ("--xla_force_host_platform_device_count=4 --xla_dump_to=/tmp/x "
                                            "--xla_cpu_experimental_ynn_fusion_type=-reduce")
    once = with_default_xla_flags(user)
    assert with_default_xla_flags(once) == once
    own = "--xla_cpu_experimental_ynn_fusion_type="
    assert with_default_xla_flags(own) == own
