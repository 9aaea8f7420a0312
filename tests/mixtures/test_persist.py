"""Saving a fit and loading it back (bayesforge.mixtures.persist, fit.save, m.save, bayesforge.load, gmm --save).

One tiny GMM fit (150 points, 2 chains x 100) shared by the module; the CLI checks use the stand-in workspace
of cli_support (no sampling); the end-to-end --save run is in tests/cli/test_gmm.py.
"""
import json
import os

import numpy as np
import pandas as pd
import pytest

import bayesforge
from cli_support import GOOD_CSV, StandInWorkspace, no_fit_allowed, run_in_process, write


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A GMM fit on a DataFrame, what it gives before saving, and the file it was saved to."""
    import matplotlib.pyplot as plt

    from bayesforge import bf
    from bayesforge.mixtures.gmm import seed_data

    folder = tmp_path_factory.mktemp("persist")
    points, _ = seed_data(n_samples=150)
    data = pd.DataFrame(points, columns=["height", "weight"])
    m = bf(platform="cpu")
    fit = m.gmm(data, K=3, num_warmup=100, num_samples=100, num_chains=2, seed=1)
    before = {"proba": fit.predict_proba(), "summary": fit.summary(), "raw": fit.summary(round_to=None),
              "figure": folder / "before.png", "diagnostics": fit.diagnostics}
    plt.close(fit.plot(path=before["figure"]))
    path = fit.save(folder / "fit.nc")
    return {"fit": fit, "data": data, "path": path, "folder": folder, "before": before, "m": m}


@pytest.fixture(scope="module")
def loaded(saved):
    return bayesforge.load(saved["path"])


def test_the_reloaded_fit_gives_identical_memberships_summary_and_figure(saved, loaded):
    import matplotlib.image
    import matplotlib.pyplot as plt

    before = saved["before"]
    assert isinstance(loaded, bayesforge.mixtures.persist.LoadedMixtureFit)
    assert isinstance(loaded, bayesforge.mixtures.result.MixtureFit)
    assert np.array_equal(loaded.predict_proba(), before["proba"])
    assert np.array_equal(loaded.predict(saved["data"].iloc[:7]), saved["fit"].predict(saved["data"].iloc[:7]))
    pd.testing.assert_frame_equal(loaded.summary(), before["summary"])
    pd.testing.assert_frame_equal(loaded.summary(round_to=None), before["raw"])
    after = saved["folder"] / "after.png"
    plt.close(loaded.plot(path=after))
    assert np.array_equal(matplotlib.image.imread(after), matplotlib.image.imread(before["figure"]))
    assert after.read_bytes() == before["figure"].read_bytes()


def test_the_reloaded_fit_keeps_names_diagnostics_draws_and_inference_data(saved, loaded):
    fit = saved["fit"]
    assert loaded.feature_names == ("height", "weight") and loaded.K == 3 and loaded.kind == "gmm"
    assert loaded.diagnostics == saved["before"]["diagnostics"]
    assert loaded.posterior.num_divergences == fit.posterior.num_divergences
    assert np.array_equal(loaded.data, fit.data) and loaded.data.dtype == fit.data.dtype
    for site, draws in fit.posterior.by_chain().items():
        assert np.array_equal(loaded.posterior.by_chain()[site], draws)
        assert loaded.posterior.by_chain()[site].dtype == draws.dtype
    original, again = fit.to_arviz(), loaded.to_arviz()
    assert sorted(again.groups()) == sorted(original.groups())
    for group in original.groups():
        assert original[group].equals(again[group]), group
    assert float(loaded.loo().elpd_loo) == float(fit.loo().elpd_loo) and loaded.bic() == fit.bic()
    assert "loaded from" in repr(loaded) and "2 chain(s) × 100 draws" in repr(loaded)


def test_a_loaded_fit_has_no_sampler_and_says_why(saved):
    from bayesforge import bf

    m = bf(platform="cpu")
    fit = bayesforge.load(saved["path"], m=m)
    assert fit.posterior.mcmc is None
    pd.testing.assert_frame_equal(m.summary(), saved["m"].summary())  # it is m's last fit
    with pytest.raises(RuntimeError, match=r"m.sampler: the last fit was loaded from .*fit.nc.*not NumPyro's MCMC"):
        m.sampler
    with pytest.raises(ValueError, match=r"holds a fit made in float32; m computes in float64: pass bf\(x64=False\)"):
        bayesforge.load(saved["path"], m=bf(platform="cpu", x64=True))


def test_the_file_records_the_model_its_options_the_data_and_the_versions(saved):
    import h5netcdf

    fit = saved["fit"]
    with h5netcdf.File(saved["path"], "r") as handle:
        attrs = dict(handle.attrs)
        groups = sorted(handle.groups)
    assert attrs["bayesforge_format"] == "bayesforge" and int(attrs["bayesforge_format_version"]) == 1
    assert groups == ["constant_data", "log_likelihood", "observed_data", "posterior", "sample_stats"]
    meta = json.loads(attrs["bayesforge_metadata"])
    assert meta["bayesforge_version"] == bayesforge.__version__ and meta["model"] == "gmm"
    assert meta["model_arguments"] == {"K": 3, "reg_covar": 1e-6}
    assert meta["array_arguments"] == ["initial_means", "scale"]
    assert meta["settings"]["feature_names"] == ["height", "weight"] and meta["settings"]["max_draws"] == 400
    assert meta["data"]["shape"] == [150, 2] and len(meta["data"]["sha256"]) == 64
    assert meta["method"] == "nuts" and meta["x64"] is False
    assert meta["sampling"] == {"num_chains": 2, "num_samples": 100, "num_warmup": 100, "thinning": 1,
                                "chain_method": fit.posterior.mcmc.chain_method}
    loaded = bayesforge.load(saved["path"])
    np.testing.assert_array_equal(loaded.posterior.model_kwargs["initial_means"],
                                  fit.posterior.model_kwargs["initial_means"])


def test_an_existing_file_is_replaced_only_with_overwrite(saved, tmp_path):
    fit, path = saved["fit"], tmp_path / "fit.nc"
    path.write_bytes(b"the user's file")
    with pytest.raises(FileExistsError, match=f"{path} already exists: pass overwrite=True to replace it"):
        fit.save(path)
    assert path.read_bytes() == b"the user's file"
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        fit.save(tmp_path / "nowhere" / "fit.nc")
    with pytest.raises(TypeError, match="overwrite must be True or False"):
        fit.save(path, overwrite="yes")
    assert fit.save(path, overwrite=True) == path
    assert np.array_equal(bayesforge.load(path).predict_proba(), saved["before"]["proba"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.nc"]  # no temporary file left


def _set_version(path, version):
    import h5netcdf

    with h5netcdf.File(path, "a") as handle:
        handle.attrs["bayesforge_format_version"] = version


@pytest.mark.parametrize("version", [2, 0])
def test_a_file_of_another_format_version_is_refused_naming_both(saved, tmp_path, version):
    import re
    import shutil

    path = tmp_path / "other.nc"
    shutil.copy(saved["path"], path)
    _set_version(path, version)
    writer = f"bayesforge {bayesforge.__version__}"
    hint = "update bayesforge to load it" if version > 1 else f"load it with {writer}, or fit the model again"
    with pytest.raises(ValueError, match=re.escape(f"{path} was saved in BayesForge file format version {version} (by "
                                                   f"{writer}); this bayesforge ({bayesforge.__version__}) reads "
                                                   f"format version 1: {hint}")):
        bayesforge.load(path)


def test_truncated_foreign_and_missing_files_are_one_clear_error(saved, tmp_path):
    from bayesforge.posterior import arviz

    whole = saved["path"].read_bytes()
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(whole[: len(whole) // 2])
    text = write(tmp_path, "x,y\n1,2\n", "data.nc")
    foreign = tmp_path / "foreign.nc"
    arviz().from_dict(posterior={"mu": np.zeros((2, 10))}).to_netcdf(str(foreign))
    for path, why in ((truncated, "cannot read it as NetCDF/HDF5"), (text, "cannot read it as NetCDF/HDF5"),
                      (foreign, "it has no 'bayesforge_format' attribute")):
        with pytest.raises(ValueError, match=f"{path} is not a fit saved by BayesForge .*: {why}"):
            bayesforge.load(path)
    with pytest.raises(FileNotFoundError, match="missing.nc: no such file"):
        bayesforge.load(tmp_path / "missing.nc")
    with pytest.raises(TypeError, match="path must be a file name"):
        bayesforge.load(3)


def test_a_large_log_likelihood_is_left_out_and_recomputed_after_loading(saved, tmp_path):
    fit = saved["fit"]
    path = fit.save(tmp_path / "small.nc", log_likelihood=False)
    loaded = bayesforge.load(path)
    assert "log_likelihood" not in loaded.posterior.saved.groups()
    np.testing.assert_allclose(loaded.to_arviz().log_likelihood["obs"], fit.to_arviz().log_likelihood["obs"],
                               rtol=1e-5, atol=1e-5)
    assert "sample_stats" in loaded.to_arviz().groups()
    assert np.array_equal(loaded.predict_proba(), saved["before"]["proba"])
    again = loaded.save(tmp_path / "again.nc")  # a loaded fit saves as it was
    assert np.array_equal(bayesforge.load(again).predict_proba(), saved["before"]["proba"])


def test_m_save_keeps_the_inference_data_and_says_the_model_is_not_saved(tmp_path):
    from bayesforge import bf

    m = bf(platform="cpu")

    def normal_mean(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")
        m.dist.normal(mu, 1.0, name="y", obs=y)

    m.data_on_model = {"y": np.array([0.9, 1.1, 1.0])}
    # 2 parallel chains: one compiled program, faster than NumPyro's sequential single chain
    m.fit(normal_mean, num_warmup=100, num_samples=100, num_chains=2, progress_bar=False)
    with pytest.warns(UserWarning, match=r"not the model function normal_mean\(\) itself"):
        path = m.save(tmp_path / "mean.nc")
    idata = bayesforge.load(path)
    assert isinstance(idata, bayesforge.posterior.arviz().InferenceData)
    assert np.array_equal(idata.posterior["mu"].values, m.to_arviz().posterior["mu"].values)
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(idata.groups())
    with pytest.raises(FileExistsError, match="already exists"):
        m.save(path)


# -- the command line (stand-in workspace: no sampling) ------------------------------------------------------

def test_cli_save_writes_the_fit_next_to_the_outputs(tmp_path, monkeypatch):
    created = StandInWorkspace()
    monkeypatch.setattr(bayesforge, "bf", lambda **options: created)
    status, out, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), "--k", "2", "--out", tmp_path / "out",
                                       "--save", tmp_path / "out" / "fit.nc"])
    assert status == 0, err
    assert (tmp_path / "out" / "fit.nc").read_bytes() == b"stand-in fit"
    assert f"wrote {tmp_path / 'out' / 'fit.nc'} (the fit: bayesforge.load() in Python, bf_load() in R)" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fit.nc", "gmm.png", "memberships.csv",
                                                                    "summary.csv"]


def test_cli_save_is_refused_before_fitting_when_the_file_exists_or_is_no_nc_file(tmp_path, monkeypatch):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    data = write(tmp_path, GOOD_CSV)
    existing = tmp_path / "fit.nc"
    existing.write_bytes(b"the user's fit")
    status, _, err = run_in_process(["gmm", data, "--k", "2", "--out", tmp_path / "out", "--save", existing])
    assert status == 2 and f"--save {existing} already exists: pass --overwrite to replace it" in err
    status, _, err = run_in_process(["gmm", data, "--k", "2", "--out", tmp_path / "out", "--save",
                                     tmp_path / "fit.csv"])
    assert status == 2 and "the file name must end in an ArviZ NetCDF file's name, one of .nc (e.g. fit.nc)" in err
    assert existing.read_bytes() == b"the user's fit"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "fit.nc"]  # no out folder, lock or staging
    created = StandInWorkspace()
    monkeypatch.setattr(bayesforge, "bf", lambda **options: created)
    status, _, err = run_in_process(["gmm", data, "--k", "2", "--out", tmp_path / "out", "--save", existing,
                                     "--overwrite"])
    assert status == 0, err
    assert existing.read_bytes() == b"stand-in fit"
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]  # no lock or staging left


def test_missing_cells_and_sample_weights_travel_with_the_fit(saved, tmp_path):
    """missing="marginalize" (the NaN patterns) and sample_weight are saved and rebuilt; here grafted onto the
    module's fit (its draws; no second fit)."""
    import dataclasses

    from bayesforge.missing import Missingness

    fit = saved["fit"]
    data = fit.data.copy()
    data[::7, 1] = np.nan
    weights = np.arange(len(data)) % 3 + 0.5
    posterior = dataclasses.replace(fit.posterior, _idata=None, model_kwargs={
        **fit.posterior.model_kwargs, "data": data, "missingness": Missingness.of(data), "sample_weight": weights})
    grafted = dataclasses.replace(fit, posterior=posterior, data=data, missing="marginalize")
    loaded = bayesforge.load(grafted.save(tmp_path / "incomplete.nc"))
    assert loaded.missing == "marginalize" and np.array_equal(loaded.sample_weight, weights)
    np.testing.assert_array_equal(loaded.data, data)  # NaN where they were
    assert loaded.posterior.model_kwargs["missingness"].describes(data)
    assert np.array_equal(loaded.predict_proba(), grafted.predict_proba())
    assert np.array_equal(loaded.impute().mean, grafted.impute().mean, equal_nan=True)
    assert float(loaded.loo().elpd_loo) == float(grafted.loo().elpd_loo)
