"""Shared test scenarios: the same data, fit settings and checks for Python, R and Julia.

A scenario is a JSON file in :func:`cases_dir` (``bayesforge/testing/cases``,
shipped with the package, or the folder named by the ``BAYESFORGE_CASES``
environment variable). It describes a model in words and by its sample sites, so each
language can write the model in its own syntax, and it fixes everything else:
a data recipe (generated here, in Python, so every language gets bit-identical
data), the settings for ``m.fit`` and the checks with their tolerances.
:meth:`Case.check` evaluates every check against a fitted workspace and raises
``AssertionError`` listing each failed one, observed value against tolerance.

>>> from bayesforge import bf, testing
>>> case = testing.load_case("normal_mean")
>>> m = bf(platform="cpu")
>>> def model(y):
...     mu = m.dist.normal(0.0, 10.0, name="mu")
...     sigma = m.dist.half_normal(5.0, name="sigma")
...     with m.dist.plate("n", y.shape[0]):
...         m.dist.normal(mu, sigma, name="y", obs=y)
>>> m.data_on_model = case.data_on_model()
>>> m = m.fit(model, **case.fit_settings)
>>> report = case.check(m)          # AssertionError listing the failed checks, if any
>>> report.passed, report.to_dict()["case"]
(True, 'normal_mean')

From R (reticulate) or Julia (PythonCall) the calls are the same::

    tb <- reticulate::import("bayesforge.testing")
    case <- tb$load_case("normal_mean")
    case$fit(m, model)                   # data_on_model + m.fit with the case's settings
    print(case$check(m))                 # or tb$check("normal_mean", m)

Scenario file fields (all required): ``name`` (the file's stem),
``description``, ``model`` (``summary``, ``statements``, ``arguments`` and
``sites``), ``data`` (``generator`` and its parameters, see
:data:`GENERATORS`), ``fit`` (``num_warmup``, ``num_samples``,
``num_chains``, ``seed``), ``truth`` and ``checks`` (see :data:`CHECKS`).
A value in ``arguments`` or ``truth`` is a JSON number or list, ``{"data":
"<generated array>"}`` or ``{"kmeans": {"data": ..., "n_clusters": ...,
"random_state": ...}}`` (the centroids, as ``m.ml.KMEANS`` computes them).

Besides the file's checks, every case checks that the fit used the case's
``fit`` settings (``fit_settings``), that the posterior has every latent site
of the model with its shape (``sites``) and that the model was given the
case's data (``data``).

The package is split by job: :mod:`.cases` (finding and reading scenarios, :class:`Case`),
:mod:`.schema` (validating a file), :mod:`.generators` (data recipes), :mod:`.checks`
(the checks and their report).
"""
from .cases import ENV_VAR, Case, cases_dir, check, list_cases, load_case
from .checks import CHECKS, CheckReport, CheckResult
from .generators import GENERATORS

__all__ = [
    "CHECKS",
    "ENV_VAR",
    "GENERATORS",
    "Case",
    "CheckReport",
    "CheckResult",
    "cases_dir",
    "check",
    "list_cases",
    "load_case",
]
