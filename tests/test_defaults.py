"""bayesforge.defaults: every default and threshold is what README's table "Defaults and thresholds" lists, and the
entry points read them from here."""
import re
from pathlib import Path

import pytest

from bayesforge import defaults

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_table() -> dict[str, str]:
    """README's defaults table: setting (first column) -> value (second column)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Defaults and thresholds"):]
    section = section[:section.index("\n## ")]
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {setting.strip(): value.strip() for setting, value in rows[1:]}


def _row(table, words):
    matches = [value for setting, value in table.items() if words in setting]
    assert len(matches) == 1, f"README's defaults table has {len(matches)} rows containing {words!r}"
    return matches[0]


def _numbers(value: str) -> list[float]:
    return [float(n.replace(" ", "")) for n in re.findall(r"\d[\d ]*(?:\.\d+)?(?:e-?\d+)?", value)]


def test_readme_lists_every_default():
    table = _readme_table()
    nuts = defaults.NUTS_DEFAULTS
    assert _numbers(_row(table, "NUTS:")) == [nuts["num_warmup"], nuts["num_samples"], nuts["num_chains"],
                                            nuts["seed"], defaults.TARGET_ACCEPT_PROB]
    assert _numbers(_row(table, "max_draws")) == [defaults.MAX_DRAWS, defaults.VI_DEFAULTS["max_draws"],
                                                  defaults.VI_DEFAULTS["num_samples"]]
    assert _numbers(_row(table, "components:")) == [defaults.DEFAULT_K, defaults.DEFAULT_TRUNCATION]
    assert _numbers(_row(table, "reg_covar")) == [defaults.REG_COVAR]
    assert _numbers(_row(table, "a fit converged")) == [defaults.R_HAT_LIMIT]
    assert _numbers(_row(table, "collapsed")) == [defaults.COLLAPSED_R_HAT]
    criteria, difference = _row(table, "choosing K: criteria").split(";")
    assert tuple(c.strip() for c in criteria.split(",")) == defaults.CRITERIA
    assert _numbers(difference) == [defaults.SMALL_ELPD_DIFFERENCE]
    assert _numbers(_row(table, "unused")) == [defaults.UNUSED_WEIGHT]
    assert _numbers(_row(table, "k-means")) == [defaults.KMEANS_POINTS]


def test_the_settings_are_consistent():
    assert defaults.NUTS_DEFAULTS["num_chains"] == defaults.DEFAULT_CHAINS
    assert defaults.VI_DEFAULTS["max_draws"] <= defaults.VI_DEFAULTS["num_samples"]
    assert defaults.MAX_DRAWS <= defaults.NUTS_DEFAULTS["num_samples"] * defaults.DEFAULT_CHAINS
    assert 1.0 < defaults.R_HAT_LIMIT < defaults.COLLAPSED_R_HAT and 0 < defaults.TARGET_ACCEPT_PROB < 1
    assert sorted(defaults.__all__) == sorted(name for name in vars(defaults) if name.isupper())


@pytest.mark.parametrize("module, names", [
    ("bayesforge.cli.options", ["NUTS_DEFAULTS"]),
    ("bayesforge.cli.report", ["R_HAT_LIMIT"]),
])
def test_entry_points_read_the_defaults_from_here(module, names):
    import importlib

    loaded = importlib.import_module(module)
    for name in names:
        assert getattr(loaded, name) is getattr(defaults, name)
