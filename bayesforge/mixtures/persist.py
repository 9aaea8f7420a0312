"""Saving a fit to a file and loading it back: ``fit.save(path)``, ``m.save(path)``, ``bayesforge.load(path)``.

The file is an ArviZ NetCDF file (:meth:`arviz.InferenceData.to_netcdf`, HDF5 underneath):
any NetCDF or ArviZ reader opens it. For a library mixture (``m.gmm``, ``m.dpmm``, the
fit selected by ``K="auto"`` or ``choose_k``) it holds

* ``posterior``: the relabelled draws by chain (what memberships, the summary and the figure read),
* ``sample_stats`` (NUTS: divergences, steps), ``log_likelihood`` (pointwise; left out above
  :data:`LOG_LIKELIHOOD_LIMIT` values unless asked for, and then recomputed from the draws on
  the first ``to_arviz()``/``loo()``), ``observed_data``,
* ``constant_data``: the model's array arguments (k-means prior means, the columns' location and
  scale, and any other array the model was called with),
* attributes of the file: the format (:data:`FORMAT`, :data:`FORMAT_VERSION`), and as JSON the
  bayesforge version, the library model and its scalar arguments (K or T, ``reg_covar``), the
  fit's settings (feature names, draws kept, ...), the precision, how it was fitted (NUTS chains
  or VI), its diagnostics, the K table of a ``K="auto"`` fit, and the data's fingerprint
  (SHA-256 of its bytes, shape and dtype), checked on loading.

``bayesforge.load(path)`` rebuilds the library model from these and returns a
:class:`LoadedMixtureFit` (a :class:`~bayesforge.mixtures.result.MixtureFit`): the same
draws and model give the same ``predict_proba``, ``summary`` and figure on the same
platform. It has no NumPyro sampler (``fit.posterior.mcmc`` is None; ``m.sampler`` says
the fit was loaded from a file) and ``fit.selection`` is None (the other K's fits are not
saved; their table is in ``fit.metadata["selection"]``).

``m.save(path)`` after ``m.fit(model)`` saves the InferenceData of that fit: the model
function is code and is not saved (a warning says so), and ``bayesforge.load`` returns an
:class:`arviz.InferenceData` for such a file.

A file is never replaced unless ``overwrite=True``: it is written to a temporary file in the
same folder and moved into place (no half-written file under the name, ever)::

    fit = m.gmm(data, K=8)
    fit.save("fit.nc")                        # FileExistsError if fit.nc exists, unless overwrite=True
    fit = bayesforge.load("fit.nc")           # same predict_proba(), summary(), plot()

>>> from bayesforge import load
>>> load("no-such-fit.nc")
Traceback (most recent call last):
...
FileNotFoundError: no-such-fit.nc: no such file
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..posterior import Posterior, arviz
from .model import MixtureModel, library_models
from .result import MixtureFit

if TYPE_CHECKING:
    import arviz as az
    import xarray as xr

    from ..forge import BayesForge

__all__ = ["FORMAT", "FORMAT_VERSION", "LOG_LIKELIHOOD_LIMIT", "LoadedMixtureFit", "LoadedPosterior", "fingerprint",
           "load", "save_fit", "save_inference_data"]

#: Value of the file attribute ``bayesforge_format``: what marks a file as written by BayesForge.
FORMAT = "bayesforge"
#: Version of the file layout; a file of another version is refused with both versions named.
FORMAT_VERSION = 1
#: Pointwise log-likelihood values (draws × rows) saved by default; above, it is recomputed after loading.
LOG_LIKELIHOOD_LIMIT = 50_000_000

_FORMAT_ATTR, _VERSION_ATTR, _METADATA_ATTR = "bayesforge_format", "bayesforge_format_version", "bayesforge_metadata"
#: What a file holds (metadata ``content``).
_MIXTURE, _INFERENCE_DATA = "mixture_fit", "inference_data"
#: The fit's settings a file records (metadata ``settings``), in this order; ``kind``, ``summary_sites``,
#: ``parameter_count`` and ``diagnostic_min_weight`` are the model's (:class:`~bayesforge.mixtures.model.MixtureModel`),
#: written for readers of the file and rebuilt from the model's name and arguments on loading.
_SETTINGS = ("seconds", "kind", "max_draws", "summary_sites", "feature_names", "parameter_count", "missing",
             "diagnostic_min_weight")
#: The settings that are the MixtureFit's own (the others are its model's).
_FIT_SETTINGS = ("seconds", "max_draws", "feature_names", "missing")
#: Prefix of MixtureFit array fields in ``constant_data`` (model arguments go there under their own name).
_FIELD_PREFIX = "fit_"


# -- the loaded objects ---------------------------------------------------------------------------------------
@dataclass
class LoadedPosterior(Posterior):
    """A :class:`~bayesforge.posterior.Posterior` read from a file: the draws (already relabelled), no sampler.

    ``source``: the file; ``saved``: the InferenceData as saved (its ``log_likelihood``
    possibly absent, then recomputed from the draws on first use).
    """

    source: str = ""
    saved: "az.InferenceData | None" = field(default=None, repr=False)

    @property
    def num_divergences(self) -> int:
        if self.saved is None or "sample_stats" not in self.saved.groups():
            return 0
        stats = self.saved.sample_stats
        return int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0

    def postprocessed(self, steps) -> "LoadedPosterior":
        """Itself: the draws were saved post-processed (relabelled)."""
        return self

    def to_arviz(self) -> "az.InferenceData":
        """The saved InferenceData; its pointwise log-likelihood recomputed from the draws if it was not saved."""
        if "log_likelihood" not in self.saved.groups():
            groups = {name: self.saved[name] for name in self.saved.groups()}
            groups["log_likelihood"] = arviz().from_dict(log_likelihood=self._pointwise_log_likelihood()).log_likelihood
            self.saved = arviz().InferenceData(**groups)
        return self.saved


@dataclass(repr=False)
class LoadedMixtureFit(MixtureFit):
    """A :class:`~bayesforge.mixtures.result.MixtureFit` loaded with :func:`load`: ``source`` (the file) and
    ``metadata`` (what the file records: versions, model, options, data fingerprint, diagnostics)."""

    source: str = ""
    metadata: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        n, d = self.data.shape
        sampling = self.metadata.get("sampling")
        how = (f"{sampling['num_chains']} chain(s) × {sampling['num_samples']} draws" if sampling
               else f"{self.posterior.method.upper()}: {len(next(iter(self.posterior.draws.values())))} draws")
        return f"<MixtureFit {self.model.display_name} K={self.K} on {n}×{d} data; {how}; loaded from {self.source}>"


# -- paths ----------------------------------------------------------------------------------------------------
def _as_path(path: Any, name: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise TypeError(f"{name} must be a file name (str or pathlib.Path), got {type(path).__name__}")
    if not str(path):
        raise ValueError(f"{name} must be a file name, got an empty string")
    return Path(os.path.expanduser(os.fspath(path)))


def _check_target(path: Any, overwrite: Any) -> Path:
    """``path`` as a Path to write to: its folder exists, it is not a folder, and it exists only with ``overwrite``."""
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    target = _as_path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder: give a file name such as {target / 'fit.nc'}")
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save to {target}: the folder {folder} does not exist (create it first)")
    if os.path.lexists(target) and not overwrite:
        raise FileExistsError(f"{target} already exists: pass overwrite=True to replace it")
    return target


def _write(idata: "az.InferenceData", target: Path, overwrite: bool) -> Path:
    """Write ``idata`` to a temporary file beside ``target``, then move it there (never replacing unless asked)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(descriptor)
    try:
        idata.to_netcdf(temporary, engine="h5netcdf")
        if overwrite:
            os.replace(temporary, target)
        else:
            try:
                os.link(temporary, target)  # fails if a file appeared there meanwhile: it is never replaced
            except FileExistsError:
                raise FileExistsError(f"{target} already exists: pass overwrite=True to replace it") from None
            except OSError:  # no hard links on this file system
                if os.path.lexists(target):
                    raise FileExistsError(f"{target} already exists: pass overwrite=True to replace it") from None
                os.replace(temporary, target)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
    return target


# -- saving ---------------------------------------------------------------------------------------------------
def _json_value(value: Any, what: str) -> Any:
    """``value`` as JSON-ready Python (numbers, strings, lists), or a TypeError naming ``what``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (tuple, list)):
        return [_json_value(item, what) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_value(item, what) for key, item in value.items()}
    raise TypeError(f"cannot save {what} of type {type(value).__name__}: only numbers, text, lists and arrays "
                    "are saved")


def _is_array(value: Any) -> bool:
    import jax

    return isinstance(value, (np.ndarray, jax.Array))


def fingerprint(data: np.ndarray) -> dict[str, Any]:
    """SHA-256 of the data's bytes (C order), with its shape and dtype: the same data give the same fingerprint.

    >>> fingerprint(np.zeros((2, 3)))["shape"], fingerprint(np.zeros((2, 3)))["sha256"][:12]
    ([2, 3], '17b0761f87b0')
    """
    array = np.ascontiguousarray(data)
    return {"sha256": hashlib.sha256(array.tobytes()).hexdigest(), "shape": list(array.shape),
            "dtype": array.dtype.str}


def _dataset(arrays: Mapping[str, np.ndarray]) -> "xr.Dataset":
    import xarray as xr

    return xr.Dataset({name: xr.DataArray(np.asarray(value), dims=[f"{name}_dim_{i}" for i in range(np.ndim(value))])
                       for name, value in arrays.items()})


def _sampling(fit: MixtureFit) -> dict[str, Any] | None:
    """How the draws were made: NUTS chains and draws (None for variational inference)."""
    mcmc = fit.posterior.mcmc
    if mcmc is not None:
        return {"num_chains": int(mcmc.num_chains), "num_samples": int(mcmc.num_samples),
                "num_warmup": int(mcmc.num_warmup), "chain_method": str(mcmc.chain_method),
                "thinning": int(mcmc.thinning)}
    metadata = getattr(fit, "metadata", None)  # a loaded fit saved again
    return metadata.get("sampling") if metadata else None


def _include_log_likelihood(fit: MixtureFit, log_likelihood: Any, num_rows: int) -> bool:
    if log_likelihood is not None and not isinstance(log_likelihood, bool):
        raise TypeError(f"log_likelihood must be True, False or None (saved when small), got {log_likelihood!r}")
    if log_likelihood is not None:
        return log_likelihood
    if fit._inference_data is not None:
        return True
    draws = next(iter(fit.posterior.by_chain().values()))
    return draws.shape[0] * draws.shape[1] * num_rows <= LOG_LIKELIHOOD_LIMIT


def _sample_stats(posterior: Posterior) -> dict[str, np.ndarray] | None:
    """The sampler's per-draw statistics by chain, named as ArviZ names them (None without any)."""
    if isinstance(posterior, LoadedPosterior):
        if posterior.saved is not None and "sample_stats" in posterior.saved.groups():
            return {name: var.values for name, var in posterior.saved.sample_stats.data_vars.items()}
        return None
    return posterior.sample_stats()


def _mixture_groups(fit: MixtureFit, with_log_likelihood: bool, rows: np.ndarray | None) -> dict[str, Any]:
    """The InferenceData groups of ``fit``, as ``fit.to_arviz()`` names them; ``rows``: every process's data.

    The pointwise log-likelihood is computed by the compiled replay of the model (12×
    faster than ArviZ's ``from_numpyro`` on the seed GMM, the same numbers); the fit
    keeps the result as its ``to_arviz()``.
    """
    if with_log_likelihood and rows is None and fit._inference_data is not None:
        idata = fit.to_arviz()
        return {name: idata[name] for name in idata.groups()}
    from .result import _with_named_dims

    posterior = fit.posterior
    data = fit.data if rows is None else rows
    by_chain = posterior.by_chain()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        idata = arviz().from_dict(posterior=by_chain, observed_data={fit.observed_site: data})
        stats = _sample_stats(posterior)
        if stats:
            idata.add_groups(sample_stats=arviz().from_dict(sample_stats=stats).sample_stats)
        if with_log_likelihood:  # the model replayed on every row, here
            replay = Posterior(mcmc=None, model=posterior.model, model_kwargs={**posterior.model_kwargs, "data": data},
                               devices=posterior.devices, samples_by_chain=by_chain, method=posterior.method)
            idata.add_groups(log_likelihood=replay.to_arviz().log_likelihood)
    named = _with_named_dims(idata, fit._component_axes(), fit.observed_site,
                             {"component": np.arange(fit.K), "feature": list(fit.feature_labels),
                              "feature_bis": list(fit.feature_labels), "observation": np.arange(data.shape[0])})
    if with_log_likelihood and rows is None:
        fit._inference_data = named  # what fit.to_arviz() would compute: computed once
    return {name: named[name] for name in named.groups()}


def save_fit(fit: MixtureFit, path: Any, *, overwrite: bool = False, log_likelihood: bool | None = None,
             rows: Any = None) -> Path:
    """Save a library mixture fit to ``path`` (ArviZ NetCDF); :func:`load` gives it back. Returns the path.

    ``overwrite``: replace an existing file (otherwise a FileExistsError naming it, before
    any work). ``log_likelihood``: save the pointwise log-likelihood (None: when at most
    :data:`LOG_LIKELIHOOD_LIMIT` values, or already computed). ``rows``: for a fit over
    several processes, every process's rows gathered in the main process
    (:func:`bayesforge.distributed.gather_rows`, called in every process), which alone
    saves. See the module docstring.
    """
    from ..distributed import process_count

    target = _check_target(path, overwrite)
    if rows is None and process_count() > 1:
        raise ValueError("this fit's rows are spread over several processes: gather them in every process with "
                         "rows = bayesforge.distributed.gather_rows(fit.data), then in the main process call "
                         "bayesforge.mixtures.persist.save_fit(fit, path, rows=rows) (as bayesforge gmm --save does)")
    if rows is not None:
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[1] != fit.data.shape[1]:
            raise ValueError(f"rows must be the N×{fit.data.shape[1]} data of every process, got shape {rows.shape}")
    models = library_models()
    if not isinstance(fit.model, MixtureModel) or models.get(fit.model.name) is not type(fit.model):
        raise ValueError(f"cannot save a fit of the model {fit.model!r}: only library models "
                         f"({', '.join(models)}) are rebuilt from a file")
    data = np.asarray(fit.data if rows is None else rows)
    groups = _mixture_groups(fit, _include_log_likelihood(fit, log_likelihood, len(data)), rows)
    posterior = fit.posterior
    arguments, arrays, derived = {}, {}, {}
    for name, value in posterior.model_kwargs.items():
        if name == "data":
            continue
        if _is_array(value):
            arrays[name] = np.asarray(value)
        elif _is_missingness(value):
            if not value.describes(data):
                raise ValueError(f"the model argument {name!r} does not describe the missing cells of the data saved")
            derived[name] = _MISSINGNESS
        else:
            arguments[name] = _json_value(value, f"the model argument {name!r}")
    values = {"seconds": fit.seconds, "kind": fit.model.name, "max_draws": fit.max_draws,
              "summary_sites": fit.model.summary_sites, "feature_names": fit.feature_names,
              "parameter_count": fit.num_parameters, "missing": fit.missing,
              "diagnostic_min_weight": fit.model.diagnostic_min_weight}
    settings = {name: _json_value(values[name], f"MixtureFit.{name}") for name in _SETTINGS}
    observed = groups["observed_data"][fit.observed_site].values if "observed_data" in groups else None
    data_in_observed = (observed is not None and observed.dtype == data.dtype
                        and np.array_equal(observed, data, equal_nan=data.dtype.kind == "f"))
    if not data_in_observed:
        arrays["data"] = data
    selection = None
    if fit.selection is not None:
        selection = {"criterion": fit.selection.criterion, "selected_k": int(fit.selection.selected_k),
                     "table": json.loads(fit.selection.table.to_json(orient="split"))}
    elif getattr(fit, "metadata", None):
        selection = fit.metadata.get("selection")
    metadata = {
        "content": _MIXTURE,
        "bayesforge_version": _version(),
        "model": fit.model.name,
        "model_arguments": arguments,
        "array_arguments": sorted(name for name in arrays if name != "data" and not name.startswith(_FIELD_PREFIX)),
        "derived_arguments": derived,
        "settings": settings,
        "array_settings": [],  # settings saved as arrays in constant_data (none today; read if a file has them)
        "data": {**fingerprint(data), "location": "observed_data" if data_in_observed else "constant_data",
                 "site": fit.observed_site},
        "method": posterior.method,
        "x64": bool(posterior.devices.x64),
        "platform": posterior.devices.platform,
        "sampling": _sampling(fit),
        "diagnostics": _json_value(fit.diagnostics, "the diagnostics"),
        "selection": selection,
        "log_likelihood": "log_likelihood" in groups,
    }
    if arrays:
        groups["constant_data"] = _dataset(arrays)
    return _write(_with_metadata(groups, metadata), target, overwrite)


def save_inference_data(m: "BayesForge", path: Any, *, overwrite: bool = False) -> Path:
    """Save the InferenceData of ``m``'s last fit (``m.to_arviz()``) to ``path``; the model function is not saved.

    Warns (UserWarning) that the model itself is code that is not in the file;
    :func:`load` returns the :class:`arviz.InferenceData`.
    """
    target = _check_target(path, overwrite)
    posterior = m.posterior
    idata = m.to_arviz()
    name = getattr(posterior.model, "__name__", "model")
    metadata = {"content": _INFERENCE_DATA, "bayesforge_version": _version(), "model_name": name,
                "method": posterior.method, "x64": bool(posterior.devices.x64)}
    written = _write(_with_metadata({group: idata[group] for group in idata.groups()}, metadata), target, overwrite)
    warnings.warn(f"saved the draws of {name}() to {written}, not the model function {name}() itself (it is code): "
                  "bayesforge.load() gives back the arviz.InferenceData; keep the model's code to fit it again",
                  UserWarning, stacklevel=3)
    return written


def _with_metadata(groups: Mapping[str, Any], metadata: Mapping[str, Any]) -> "az.InferenceData":
    attrs = {_FORMAT_ATTR: FORMAT, _VERSION_ATTR: FORMAT_VERSION,
             _METADATA_ATTR: json.dumps(metadata, allow_nan=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constant_data of a mixture has no chain/draw: as intended
        return arviz().InferenceData(attrs=attrs, **groups)


#: How a model argument computed from the data alone is rebuilt (metadata ``derived_arguments``).
_MISSINGNESS = "missingness of the data"


def _is_missingness(value: Any) -> bool:
    """Whether ``value`` is the patterns of the missing cells (:class:`bayesforge.missing.Missingness`): the data's."""
    kind = type(value)
    return kind.__name__ == "Missingness" and kind.__module__ == "bayesforge.missing"


def _derive(recipe: str, data: np.ndarray, source: Path) -> Any:
    if recipe != _MISSINGNESS:
        raise _not_ours(source, f"it names a model argument made by {recipe!r}, which this bayesforge does not know")
    from ..missing import Missingness

    return Missingness.of(data)


def _version() -> str:
    from .. import __version__

    return __version__


# -- loading --------------------------------------------------------------------------------------------------
def _not_ours(path: Path, why: str) -> ValueError:
    return ValueError(f"{path} is not a fit saved by BayesForge (expected an ArviZ NetCDF file written by fit.save() "
                      f"or m.save()): {why}")


def _read(path: Path) -> tuple[dict[str, Any], dict[str, "xr.Dataset"]]:
    """The metadata and every group of the file, loaded into memory (the file is closed again)."""
    import h5netcdf
    import xarray as xr

    try:
        with h5netcdf.File(path, "r") as handle:
            attrs = dict(handle.attrs)
            names = list(handle.groups)
    except Exception as error:  # not HDF5, truncated, unreadable
        raise _not_ours(path, f"cannot read it as NetCDF/HDF5 ({type(error).__name__}: {error})") from None
    if str(attrs.get(_FORMAT_ATTR, "")) != FORMAT:
        raise _not_ours(path, f"it has no {_FORMAT_ATTR!r} attribute")
    try:
        version = int(attrs[_VERSION_ATTR])
    except (KeyError, TypeError, ValueError):
        raise _not_ours(path, f"its {_VERSION_ATTR!r} attribute is missing or not a number") from None
    if version != FORMAT_VERSION:
        try:
            writer = f"bayesforge {json.loads(str(attrs[_METADATA_ATTR]))['bayesforge_version']}"
        except Exception:  # the version is what matters; who wrote it is a courtesy
            writer = "another bayesforge"
        advice = ("update bayesforge to load it" if version > FORMAT_VERSION else
                  f"load it with {writer}, or fit the model again")
        raise ValueError(f"{path} was saved in BayesForge file format version {version} (by {writer}); this "
                         f"bayesforge ({_version()}) reads format version {FORMAT_VERSION}: {advice}")
    try:
        metadata = json.loads(str(attrs[_METADATA_ATTR]))
        groups = {}
        for name in names:
            with xr.open_dataset(path, group=name, engine="h5netcdf") as dataset:
                groups[name] = dataset.load()
    except Exception as error:  # a damaged file: nothing is returned
        raise _not_ours(path, f"its contents cannot be read ({type(error).__name__}: {error})") from None
    return metadata, groups


def load(path: Any, m: "BayesForge | None" = None) -> "LoadedMixtureFit | az.InferenceData":
    """Load a file written by ``fit.save(path)`` or ``m.save(path)``.

    A library mixture comes back as a :class:`LoadedMixtureFit` (a ``MixtureFit``:
    memberships, summary, figure, LOO as before saving); with ``m`` (a ``bf()``
    workspace, of the precision the fit was made in) it is rebuilt on ``m``'s devices
    and becomes ``m``'s last fit, otherwise on a new ``bf()`` of that precision. A file
    written by ``m.save`` after ``m.fit(model)`` comes back as its
    :class:`arviz.InferenceData` (the model function was not saved).

    Errors: FileNotFoundError for a missing file; ValueError naming the file for one
    that is not ours, truncated or damaged (nothing is loaded), or written in another
    file format version (both versions named).
    """
    source = _as_path(path)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    if source.is_dir():
        raise _not_ours(source, "it is a folder")
    if m is not None:
        from ..forge import BayesForge

        if not isinstance(m, BayesForge):
            raise TypeError(f"m must be a BayesForge workspace from bf() or None, got {type(m).__name__}")
    metadata, groups = _read(source)
    try:
        if metadata.get("content") == _INFERENCE_DATA:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return arviz().InferenceData(**groups)
        if metadata.get("content") != _MIXTURE:
            raise _not_ours(source, f"it holds {metadata.get('content')!r}")
        fit = _rebuild(source, metadata, groups, m)
    except ValueError:
        raise
    except (KeyError, TypeError, IndexError) as error:
        raise _not_ours(source, f"it lacks what a saved fit needs ({type(error).__name__}: {error})") from None
    if m is not None:
        m._adopt(fit)
    return fit


def _workspace(m: "BayesForge | None", x64: bool, source: Path) -> "BayesForge":
    if m is None:
        from ..forge import bf

        with warnings.catch_warnings():  # about parallel chains: a loaded fit runs none
            warnings.filterwarnings("ignore", message="JAX had already started", category=RuntimeWarning)
            return bf(x64=x64)
    if m.devices.x64 != x64:
        raise ValueError(f"{source} holds a fit made in {'float64' if x64 else 'float32'}; m computes in "
                         f"{'float64' if m.devices.x64 else 'float32'}: pass bf(x64={x64}) (or no m) to load it")
    return m


def _rebuild(source: Path, metadata: dict, groups: dict[str, "xr.Dataset"], m: "BayesForge | None") -> LoadedMixtureFit:
    kind = metadata["model"]
    models = library_models()
    if kind not in models:
        raise _not_ours(source, f"it names the model {kind!r}, not one of {sorted(models)}")
    model = models[kind].from_arguments(metadata["model_arguments"])
    constant = groups.get("constant_data")
    if metadata["data"]["location"] == "observed_data":
        data = groups["observed_data"][metadata["data"]["site"]].values
    else:
        data = constant["data"].values
    if fingerprint(data) != {key: metadata["data"][key] for key in ("sha256", "shape", "dtype")}:
        raise _not_ours(source, "its data do not match the fingerprint saved with them (a damaged file)")
    workspace = _workspace(m, bool(metadata["x64"]), source)
    model_kwargs = {"data": data, **metadata["model_arguments"],
                    **{name: constant[name].values for name in metadata["array_arguments"]},
                    **{name: _derive(recipe, data, source) for name, recipe in metadata["derived_arguments"].items()}}
    by_chain = {name: var.values for name, var in groups["posterior"].data_vars.items()}
    saved_groups = {name: dataset for name, dataset in groups.items() if name != "constant_data"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        saved = arviz().InferenceData(**saved_groups)
    posterior = LoadedPosterior(mcmc=None, model=model.model(workspace), model_kwargs=model_kwargs,
                                devices=workspace.devices, samples_by_chain=by_chain, method=metadata["method"],
                                source=str(source), saved=saved)
    settings = {name: tuple(value) if isinstance(value, list) else value
                for name, value in metadata["settings"].items()}
    settings.update({name: constant[_FIELD_PREFIX + name].values for name in metadata["array_settings"]})
    own = {name: settings[name] for name in _FIT_SETTINGS if name in settings}  # the rest are the model's
    # diagnostics: those the fit reported when it was saved (its sampler is not in the file)
    fit = LoadedMixtureFit.from_posterior(posterior, data, model, diagnostics=dict(metadata["diagnostics"]),
                                          source=str(source), metadata=metadata, **own)
    if metadata["log_likelihood"]:
        fit._inference_data = saved
    return fit
