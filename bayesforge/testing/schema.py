"""Validation of scenario files: a malformed file is a ValueError naming the file and the field.

>>> from pathlib import Path
>>> validate({"name": "x"}, Path("x.json"))
Traceback (most recent call last):
...
ValueError: x.json: missing fields 'description', 'model', 'data', 'fit', 'truth', 'checks'
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Mapping

from .checks import CHECKS
from .generators import GENERATORS

__all__ = ["validate"]

_REQUIRED_FIELDS = ("name", "description", "model", "data", "fit", "truth", "checks")
_REQUIRED_MODEL_FIELDS = ("summary", "statements", "arguments", "sites")
_REQUIRED_FIT_FIELDS = ("num_warmup", "num_samples", "num_chains", "seed")


def _require(mapping: Any, fields: tuple[str, ...], where: str) -> None:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where} must be a JSON object, got {type(mapping).__name__}")
    missing = [f for f in fields if f not in mapping]
    if missing:
        raise ValueError(f"{where}: missing field{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(repr(f) for f in missing)}")


def _validate_value(value: Any, outputs: tuple[str, ...], where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise ValueError(f"{where}: a value must be a number, a list, {{'data': name}} or {{'kmeans': {{...}}}}, "
                         f"got {value!r}")
    if isinstance(value, (int, float, list)):
        return
    if isinstance(value, Mapping) and len(value) == 1 and "data" in value:
        if value["data"] not in outputs:
            raise ValueError(f"{where}: {{'data': {value['data']!r}}} is not generated; the generator gives "
                             f"{', '.join(outputs)}")
        return
    if isinstance(value, Mapping) and len(value) == 1 and "kmeans" in value:
        _require(value["kmeans"], ("data", "n_clusters", "random_state"), f"{where}.kmeans")
        _validate_value({"data": value["kmeans"]["data"]}, outputs, f"{where}.kmeans")
        return
    raise ValueError(f"{where}: a value must be a number, a list, {{'data': name}} or {{'kmeans': {{...}}}}, "
                     f"got {value!r}")


def validate(spec: Any, path: Path) -> None:
    where = path.name
    _require(spec, _REQUIRED_FIELDS, where)
    if spec["name"] != path.stem:
        raise ValueError(f"{where}: field 'name' is {spec['name']!r} but must be the file's name {path.stem!r}")
    if not isinstance(spec["description"], str) or not spec["description"].strip():
        raise ValueError(f"{where}: field 'description' must be a non-empty string")

    data = spec["data"]
    _require(data, ("generator",), f"{where}: data")
    if data["generator"] not in GENERATORS:
        raise ValueError(f"{where}: data.generator {data['generator']!r} is unknown; known: {', '.join(GENERATORS)}")
    generator, outputs = GENERATORS[data["generator"]]
    params = {k: v for k, v in data.items() if k != "generator"}
    signature = inspect.signature(generator)
    unknown = [k for k in params if k not in signature.parameters]
    missing = [k for k, p in signature.parameters.items() if p.default is p.empty and k not in params]
    if unknown or missing:
        raise ValueError(f"{where}: data for generator {data['generator']!r}: "
                         + "; ".join(([f"missing field(s) {', '.join(map(repr, missing))}"] if missing else [])
                                     + ([f"unknown field(s) {', '.join(map(repr, unknown))}"] if unknown else []))
                         + f"; it takes {', '.join(signature.parameters)}")

    model = spec["model"]
    _require(model, _REQUIRED_MODEL_FIELDS, f"{where}: model")
    arguments = model["arguments"]
    if not isinstance(arguments, list) or not arguments:
        raise ValueError(f"{where}: model.arguments must be a non-empty list of {{'name', 'value'}} objects")
    names = []
    for i, argument in enumerate(arguments):
        _require(argument, ("name", "value"), f"{where}: model.arguments[{i}]")
        _validate_value(argument["value"], outputs, f"{where}: model.arguments[{i}] ({argument['name']})")
        names.append(argument["name"])
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: model.arguments has duplicated names {names}")
    sites = model["sites"]
    if not isinstance(sites, list) or not sites:
        raise ValueError(f"{where}: model.sites must be a non-empty list of site objects")
    for i, site in enumerate(sites):
        _require(site, ("name", "distribution"), f"{where}: model.sites[{i}]")
        if "observed" in site:
            if site["observed"] not in names:
                raise ValueError(f"{where}: model.sites[{i}] ({site['name']}) is observed as {site['observed']!r}, "
                                 f"which is not one of the arguments {names}")
        else:
            _require(site, ("shape",), f"{where}: model.sites[{i}] ({site['name']}, latent)")
    latent = [s["name"] for s in sites if "observed" not in s]

    fit = spec["fit"]
    _require(fit, _REQUIRED_FIT_FIELDS, f"{where}: fit")
    from ..validation import as_int

    for key in _REQUIRED_FIT_FIELDS:
        try:
            as_int(fit[key], f"{where}: fit.{key}", minimum=0)
        except TypeError as error:  # a malformed file is a ValueError, whatever is wrong in it
            raise ValueError(str(error)) from None

    truth = spec["truth"]
    if not isinstance(truth, Mapping):
        raise ValueError(f"{where}: field 'truth' must be a JSON object")
    for key, value in truth.items():
        _validate_value(value, outputs, f"{where}: truth.{key}")

    checks = spec["checks"]
    if not isinstance(checks, list) or not checks:
        raise ValueError(f"{where}: field 'checks' must be a non-empty list")
    for i, item in enumerate(checks):
        _require(item, ("check",), f"{where}: checks[{i}]")
        kind = item["check"]
        if kind not in CHECKS:
            raise ValueError(f"{where}: checks[{i}]: unknown check {kind!r}; known: {', '.join(CHECKS)}")
        _, required, optional = CHECKS[kind]
        _require(item, required, f"{where}: checks[{i}] ({kind})")
        unknown = [k for k in item if k not in ("check",) + required + optional]
        if unknown:
            raise ValueError(f"{where}: checks[{i}] ({kind}): unknown field(s) {unknown}; "
                             f"it takes {', '.join(required + optional)}")
        if "sites" in item and (not isinstance(item["sites"], list) or not item["sites"]):
            raise ValueError(f"{where}: checks[{i}] ({kind}): 'sites' must be a non-empty list of site names")
        for site in [item["site"]] if "site" in item else list(item.get("sites", [])):
            if site not in latent:
                raise ValueError(f"{where}: checks[{i}] ({kind}) names site {site!r}, which is not a latent site "
                                 f"of the model ({', '.join(latent)})")
        if kind == "posterior_mean" and "target" not in item and item["site"] not in truth:
            raise ValueError(f"{where}: checks[{i}] (posterior_mean of {item['site']!r}) has no 'target' and "
                             "truth has no value for that site")
        if kind == "ari":
            if item["labels"] not in truth:
                raise ValueError(f"{where}: checks[{i}] (ari): truth has no {item['labels']!r}")
            if item["points"] not in names:
                raise ValueError(f"{where}: checks[{i}] (ari): points {item['points']!r} is not an argument {names}")
