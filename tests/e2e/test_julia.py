"""The Julia front end (julia/, examples/julia/) from Python.

Julia cannot be installed on every machine that runs this suite, so three kinds of test:

1. every ``.jl`` file parses with tree-sitter-julia (no ERROR or MISSING node), and the package's
   shape is checked statically: Project.toml's bounds admit only a CondaPkg that reads CondaPkg.toml,
   whose only path dependency is a [dev] one (a checkout's), the exports (``Py`` among them, for
   ``@BF function f(a::Py)``), Python bound only in ``__init__``, ``@BF`` one line over ``lower_bf``
   and reaching no Python until the model is used (precompilation), no ``===`` on Python objects
   (``pyis``), the example carrying the seed's Julia code;
2. ``julia --project=julia -e 'using Pkg; Pkg.test()'`` when ``julia`` is on PATH, skipped otherwise;
3. the protocol the Julia package relies on, driven from Python exactly as PythonCall drives it:
   ``pyfunc`` (a callable taking positional arguments only, handed Python objects unconverted),
   ``pywith`` (``type(ctx).__enter__`` / ``__exit__``, a value handed back out of the block, Julia
   errors leaving through ``__exit__(None, None, None)``), a Julia ``Int`` arriving as a Python
   ``int``, a Julia ``Matrix`` arriving through ``juliacall.ArrayValue``'s column-major
   ``__array_interface__``. tests/test_interop.py covers ``bayesforge.interop`` itself.
"""
import ctypes
import inspect
import keyword
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from bayesforge import interop
from bayesforge.mixtures.gmm import gmm_model  # the seed's model in Python, as the Julia parity test writes it
from conftest import ROOT, subprocess_env

JULIA_DIRS = (ROOT / "julia", ROOT / "examples" / "julia")
PACKAGE_UUID = "7c3dff86-3582-43e9-962e-dc841071d03c"  # fixed: changing it makes a different package
PYTHONCALL_UUID = "6099a3de-0909-46bc-b1f4-468b9a2dfc0d"


# ==============================================================================================
# 1. Static checks with tree-sitter-julia
# ==============================================================================================
def julia_parser():
    import tree_sitter
    import tree_sitter_julia

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_julia.language()))


def parse(source: bytes):
    return julia_parser().parse(source)


def syntax_errors(source: bytes) -> list[str]:
    """``line:column: ERROR`` / ``line:column: MISSING <token>`` for every syntax error node (1-based)."""
    problems = []

    def walk(node):
        if node.is_missing:
            problems.append(f"{node.start_point[0] + 1}:{node.start_point[1] + 1}: MISSING {node.type!r}")
        elif node.type == "ERROR":
            text = source[node.start_byte:node.end_byte].decode(errors="replace").split("\n")[0][:60]
            problems.append(f"{node.start_point[0] + 1}:{node.start_point[1] + 1}: ERROR near {text!r}")
        for child in node.children:
            walk(child)

    walk(parse(source).root_node)
    return problems


def julia_files() -> list[Path]:
    return sorted(p for d in JULIA_DIRS for p in d.rglob("*.jl"))


def text(node, source: bytes) -> str:
    return source[node.start_byte:node.end_byte].decode()


def descendants(node):
    for child in node.children:
        yield child
        yield from descendants(child)


def called_name(call, source: bytes) -> str:
    """``f`` for ``f(...)``, ``PythonCall.pycopy!`` for ``PythonCall.pycopy!(...)``."""
    return text(call.children[0], source)


def test_the_julia_files_are_there():
    names = {p.relative_to(ROOT).as_posix() for p in julia_files()}
    assert {"julia/src/BayesForge.jl", "julia/src/lowering.jl", "julia/test/runtests.jl",
            "examples/julia/gmm.jl"} <= names


@pytest.mark.parametrize("path", julia_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_julia_file_parses(path):
    problems = syntax_errors(path.read_bytes())
    where = path.relative_to(ROOT).as_posix()
    assert not problems, "syntax errors:\n" + "\n".join(f"{where}:{p}" for p in problems)


@pytest.mark.parametrize("snippet, expected", [
    ("function f(a)\n    a)\nend\n", r"^2:6: ERROR near '\)'$"),                     # a stray parenthesis
    ("x = 1\ny = (1, 2\n", r"^2:10: MISSING '\)'$"),                              # an unclosed one
    ("x = 1\nfunction f(a)\n    x = [1, 2\n    a\nend\n", r"^4:\d+: MISSING '\]'$"),   # an unclosed bracket
    ("@BF function gmm(data, K)\n    D = data.shape[1]\n", r"^1:\d+: ERROR"),        # no `end`
    ("m.fit(gmm))\n", r"^1:11: ERROR"),                                            # one `)` too many
    ('x = 1\ns = "unterminated\n', r"^2:5: ERROR"),                                # an unterminated string
    ("function f(a)\n    a +\nend\n", r"^\d+:\d+: ERROR"),                         # an operand missing
])
def test_the_syntax_check_catches_broken_julia_and_says_where(snippet, expected):
    problems = syntax_errors(snippet.encode())
    assert problems and re.match(expected, problems[0]), problems


def test_the_syntax_check_passes_the_constructs_the_package_uses():
    snippet = b"""
    mu, s = pywith(m.dist.plate("components", K)) do _
        (m.dist.half_cauchy(1, shape=(D,), event=1, create_obj=true), 2)
    end
    macro BF(ex)
        return esc(lower_bf(ex, __source__; wrapper = FOREIGN_MODEL))
    end
    f(; a, b) = (a..., b)
    s = \"\"\"
        triple $(x) quoted
        \"\"\"
    """
    assert syntax_errors(snippet) == []


# ---------------------------------------------------------------------------------------------
# Project.toml and CondaPkg.toml: what CondaPkg accepts, and what works outside a checkout
# ---------------------------------------------------------------------------------------------
def test_project_toml_is_a_standard_package_with_a_fixed_uuid():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "julia" / "Project.toml").read_text())
    assert project["name"] == "BayesForge"
    assert str(uuid.UUID(project["uuid"])) == project["uuid"] == PACKAGE_UUID
    assert project["deps"] == {"PythonCall": PYTHONCALL_UUID}  # PythonCall only
    assert project["compat"]["julia"] == "1.10"
    assert re.fullmatch(r"0\.9\.\d+", project["compat"]["PythonCall"])
    assert project["extras"] == {"Test": "8dfed614-e22c-5e08-85e1-65c5234f0b40"}
    assert project["targets"] == {"test": ["Test"]}


# The CondaPkg each PythonCall release requires at least ([compat] CondaPkg of PythonCall's Project.toml
# at its tag, github.com/JuliaPy/PythonCall.jl); a PythonCall bound below 0.9.15 is refused outright.
PYTHONCALL_REQUIRES_CONDAPKG = {
    **{(0, 9, p): (0, 2, 21) for p in range(15, 22)},
    **{(0, 9, p): (0, 2, 23) for p in range(22, 27)},
    (0, 9, 27): (0, 2, 30), (0, 9, 28): (0, 2, 30),
    **{(0, 9, p): (0, 2, 33) for p in range(29, 35)},
}
# The first CondaPkg that reads each CondaPkg.toml feature (CondaPkg.jl's CHANGELOG.md and src/deps.jl:
# 0.2.31 still fails with "pip.deps keys must be 'version', 'extras' or 'binary'" on `editable`).
CONDAPKG_FEATURE_SINCE = {"pip extras": (0, 2, 24), "pip editable": (0, 2, 32), "[dev]": (0, 2, 33)}
CONDAPKG_PIP_KEYS = {"version", "extras", "binary", "editable"}  # anything else is an error in CondaPkg


def julia_compat_lower_bound(spec: str) -> tuple[int, ...]:
    """The lowest version a Julia [compat] entry admits: "0.9.29", "^0.9.29", "~0.9.29", "=0.9.29",
    ">= 0.9.29" or a comma-separated union of those (hyphen ranges and "<" are not used here)."""
    bounds = []
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\^|~|=|>=\s*)?(\d+)(?:\.(\d+))?(?:\.(\d+))?", part)
        assert m, f"compat entry {part!r} is not a form this test reads"
        bounds.append(tuple(int(g or 0) for g in m.groups()[1:]))
    return min(bounds)


def condapkg_features(conda: dict) -> set[str]:
    used = set()

    def pip_deps(section):
        return section.get("pip", {}).get("deps", {})

    for deps in (pip_deps(conda), pip_deps(conda.get("dev", {}))):
        for spec in deps.values():
            if isinstance(spec, dict):
                used |= {f"pip {k}" for k in spec if k in ("extras", "editable")}
    if "dev" in conda:
        used.add("[dev]")
    return used


def test_the_compat_bounds_admit_only_a_condapkg_that_reads_our_condapkg_toml():
    """PythonCall 0.9.20 admitted CondaPkg 0.2.21-0.2.31, which reject `editable` (and ignore [dev])."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "julia" / "Project.toml").read_text())
    conda = tomllib.loads((ROOT / "julia" / "CondaPkg.toml").read_text())
    lowest_pythoncall = julia_compat_lower_bound(project["compat"]["PythonCall"])
    assert lowest_pythoncall in PYTHONCALL_REQUIRES_CONDAPKG, f"PythonCall {lowest_pythoncall}: too old or unknown here"
    lowest_condapkg = PYTHONCALL_REQUIRES_CONDAPKG[lowest_pythoncall]
    if "CondaPkg" in project.get("compat", {}):  # a direct bound may only raise it
        lowest_condapkg = max(lowest_condapkg, julia_compat_lower_bound(project["compat"]["CondaPkg"]))
    used = condapkg_features(conda)
    assert used, "the feature table is not exercised: CondaPkg.toml uses none of them?"
    needed = max(CONDAPKG_FEATURE_SINCE[f] for f in used)
    assert lowest_condapkg >= needed, (
        f"CondaPkg.toml uses {sorted(used)} (CondaPkg >= {needed}), but [compat] admits PythonCall "
        f"{lowest_pythoncall}, hence CondaPkg {lowest_condapkg}")
    assert julia_compat_lower_bound("0.9.20") == (0, 9, 20)                      # the old bound ...
    assert PYTHONCALL_REQUIRES_CONDAPKG[(0, 9, 20)] < CONDAPKG_FEATURE_SINCE["pip editable"]  # ... failed


def local_pip_reference(version: str) -> bool:
    """A pip direct reference to a path: CondaPkg reads "@ ./x" / "@ .." relative to CondaPkg.toml."""
    reference = version.removeprefix("@").strip() if version.startswith("@") else None
    return reference is not None and (reference.startswith((".", "/", "~", "file:")) or re.match(r"^[A-Za-z]:", reference))


def test_condapkg_toml_installs_a_path_only_for_a_checkout():
    """After `Pkg.add(url=..., subdir="julia")` CondaPkg.toml sits in ~/.julia/packages/BayesForge/<slug>/,
    where ".." is no Python project: a path may only be a [dev] dependency, which CondaPkg installs only
    when the package is the active project or tracked by path (a checkout, where ".." is the repository).
    Nor may the main section take `bayesforge` from an index: PyPI's `bayesforge` is another project."""
    tomllib = pytest.importorskip("tomllib")
    conda = tomllib.loads((ROOT / "julia" / "CondaPkg.toml").read_text())
    assert set(conda) <= {"channels", "deps", "pip", "dev"}, sorted(conda)
    main = conda.get("pip", {}).get("deps", {})
    dev = conda.get("dev", {}).get("pip", {}).get("deps", {})
    for section, deps in (("pip.deps", main), ("dev.pip.deps", dev)):
        for name, spec in deps.items():
            spec = {"version": spec} if isinstance(spec, str) else spec
            assert set(spec) <= CONDAPKG_PIP_KEYS, f"[{section}.{name}]: CondaPkg refuses {set(spec) - CONDAPKG_PIP_KEYS}"
            if spec.get("editable"):
                assert spec.get("version", "").startswith("@"), f"[{section}.{name}]: editable needs '@ <path or URL>'"
            if section == "pip.deps":
                assert not local_pip_reference(spec.get("version", "")), f"[pip.deps.{name}] is a path: dev only"
                assert not spec.get("editable"), f"[pip.deps.{name}] is editable: dev only"
    if "bayesforge" in main:  # only as a direct reference (a git URL), never a version from an index
        version = main["bayesforge"] if isinstance(main["bayesforge"], str) else main["bayesforge"]["version"]
        assert re.match(r"@\s*(git\+)?https://", version), version
    # the checkout, editable, for development: ".." from julia/ is the repository root
    spec = dev["bayesforge"]
    assert spec["editable"] is True and local_pip_reference(spec["version"])
    folder = (ROOT / "julia" / spec["version"].removeprefix("@").strip()).resolve()
    assert folder == ROOT.resolve()
    assert tomllib.loads((folder / "pyproject.toml").read_text())["project"]["name"] == "bayesforge"
    assert re.fullmatch(r">=3\.10(,<3\.\d+)?", conda["deps"]["python"])
    # users are told how to get the core outside a checkout: the file, the package's error, the README
    for where, words in (("julia/CondaPkg.toml", (ROOT / "julia" / "CondaPkg.toml").read_text()),
                         ("julia/src/BayesForge.jl", (ROOT / "julia" / "src" / "BayesForge.jl").read_text()),
                         ("README.md", (ROOT / "README.md").read_text())):
        for needed in ('CondaPkg.add_pip("bayesforge"', "git+<repository URL>", "JULIA_PYTHONCALL_EXE"):
            assert needed in words, f"{where} does not say {needed!r}"


def test_the_path_rule_recognises_paths():
    assert all(map(local_pip_reference, ["@ ..", "@ ./x", "@ /abs", "@ file:///x", "@.", "@ C:/x"]))
    assert not any(map(local_pip_reference, ["", ">=0.1", "@ git+https://example.org/r.git", "@ https://x/y.zip"]))


# ---------------------------------------------------------------------------------------------
# The package's Julia source
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def package_source():
    source = (ROOT / "julia" / "src" / "BayesForge.jl").read_bytes()
    return source, parse(source).root_node


def exported_names(source: bytes, root) -> set[str]:
    exported = set()
    for node in descendants(root):
        if node.type == "export_statement":
            exported |= {text(c, source) for c in node.children if c.type in ("identifier", "macro_identifier")}
    return exported


def test_the_package_exports_bf_the_macro_jnp_py_and_pywith(package_source):
    exported = exported_names(*package_source)
    assert {"bf", "@BF", "jnp", "Py", "pywith", "pydict", "pyconvert"} <= exported, exported


BF_SIGNATURE = re.compile(r"@BF\s+function\s+[^\s(]+\(([^()]*)\)")


def bf_argument_types(words: str) -> list[str]:
    """The type of every annotated argument of every `@BF function name(args...)` in a text."""
    types = []
    for arguments in BF_SIGNATURE.findall(words):
        for argument in arguments.split(","):
            if "::" in argument:
                types.append(argument.split("::", 1)[1].strip())
    return types


def test_every_type_in_a_bf_signature_resolves_with_using_bayesforge_alone(package_source):
    """`@BF function f(a::Py)` keeps the annotation, evaluated in the user's module: a name the docs or
    examples use there must be exported by BayesForge (PythonCall's `Py` is re-exported) or be Core's."""
    exported = exported_names(*package_source)
    documents = [*julia_files(), ROOT / "README.md"]
    found = {}
    for path in documents:
        for name in bf_argument_types(path.read_text()):
            found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    assert "Py" in found, "no `@BF function f(a::Py)` in the docs, tests or examples: the check is idle"
    missing = {name: sorted(where) for name, where in found.items()
               if name not in exported and name not in ("Any",) and not name.startswith("BayesForge.")}
    assert not missing, f"types in @BF signatures that `using BayesForge` does not bring: {missing}"
    assert bf_argument_types("@BF function f(a::Py, b, c::Foo.Bar) end") == ["Py", "Foo.Bar"]


def definitions(root, source: bytes) -> dict[str, list]:
    """Function name => its definitions: `function f(...) ... end` and the short form `f(...) = ...`."""
    found = {}
    for node in descendants(root):
        head = None
        if node.type == "function_definition":
            signature = next((c for c in node.children if c.type == "signature"), None)
            head = signature.children[0] if signature is not None and signature.children else None
        elif node.type == "assignment" and node.children[0].type == "call_expression":
            head = node.children[0]
        if head is not None and head.type == "call_expression":
            found.setdefault(called_name(head, source), []).append(node)
    return found


def enclosing_function(node, source: bytes):
    """The name of the function (either form) whose definition holds `node`, or None."""
    while node is not None:
        if node.type == "function_definition":
            signature = next(c for c in node.children if c.type == "signature")
            return called_name(signature.children[0], source)
        if (node.type == "assignment" and node.children[0].type == "call_expression"
                and node.parent is not None and node.parent.type in ("module_definition", "source_file")):
            return called_name(node.children[0], source)
        node = node.parent
    return None


PYTHON_GLOBALS = ("jnp", "_numpy", "_bayesforge", "_interop")


def touches_python(callee: str) -> bool:
    """Whether a call reaches the Python interpreter (creating a NULL `Py` with pynew does not)."""
    bare = callee.removeprefix("PythonCall.")
    if bare == "pynew":
        return False
    return (bare.startswith("py") or bare in ("Py", "_require_python") or callee.split(".")[0] in PYTHON_GLOBALS)


def calls_reached(name: str, defined: dict, source: bytes, seen=None) -> set[str]:
    """Every callee reached from the package's function `name`, through the package's own functions."""
    seen = set() if seen is None else seen
    if name in seen:
        return set()
    seen.add(name)
    callees = set()
    for definition in defined.get(name, []):
        for node in descendants(definition):
            if node.type == "call_expression":
                callee = called_name(node, source)
                callees.add(callee)
                callees |= calls_reached(callee, defined, source, seen)
    return callees


def test_bf_touches_no_python_until_the_model_is_used(package_source):
    """A package whose top level has `@BF function ...` is precompiled without Python: the expansion
    (lower_bf's `wrapper(fn, names, name)`, wrapper = FOREIGN_MODEL) must not reach pyfunc or any Python;
    the Python callable is made by the accessor python_model on first use, and kept."""
    source, root = package_source
    # the macro's wrapper is foreign_model ...
    constants = {text(n, source) for n in descendants(root) if n.type == "const_statement"}
    assert "const FOREIGN_MODEL = GlobalRef(@__MODULE__, :foreign_model)" in constants
    defined = definitions(root, source)
    assert "foreign_model" in defined
    # ... which reaches no Python, and leaves the model's Python object NULL
    reached = calls_reached("foreign_model", defined, source)
    assert not {c for c in reached if touches_python(c)}, sorted(reached)
    assert "PythonCall.pynew" in reached
    # the lowering itself is plain Julia: no PythonCall, no Python
    lowering = (ROOT / "julia" / "src" / "lowering.jl").read_bytes()
    lowering_root = parse(lowering).root_node
    lowering_calls = {called_name(n, lowering) for n in descendants(lowering_root) if n.type == "call_expression"}
    assert not {c for c in lowering_calls if touches_python(c)}, sorted(lowering_calls)
    assert not [n for n in descendants(lowering_root) if n.type in ("using_statement", "import_statement")]
    # pyfunc is called in python_model only, which returns the cached object when there is one,
    # refuses to run while a package is precompiled, and caches with pycopy!
    pyfuncs = [n for n in descendants(root) if n.type == "call_expression" and called_name(n, source) in ("pyfunc", "PythonCall.pyfunc")]
    assert pyfuncs and {enclosing_function(n, source) for n in pyfuncs} == {"python_model"}
    [accessor] = defined["python_model"]
    body = text(accessor, source)
    assert "PythonCall.pyisnull(py) || return py" in body
    assert "jl_generating_output" in body and "PythonCall.pycopy!(py, " in body
    assert body.index("pyisnull") < body.index("pyfunc(") < body.index("pycopy!")
    # and PythonCall turns a model into the accessor's object wherever a Python object is wanted
    short_forms = {text(n, source) for n in descendants(root) if n.type == "assignment"}
    assert "PythonCall.Py(model::Model) = python_model(model)" in short_forms
    assert "PythonCall.ispy(::Model) = true" in short_forms


def test_the_python_rule_tells_python_from_julia():
    assert all(map(touches_python, ["pyfunc", "PythonCall.pyfunc", "pylist", "Py", "_interop.model",
                                    "jnp.ones", "_require_python", "PythonCall.pycopy!"]))
    assert not any(map(touches_python, ["PythonCall.pynew", "pynew", "Model", "String", "GlobalRef"]))


IDENTITY_OPERATORS = ("===", "!==", "≡", "≢")
# `===` where neither side is `nothing` or a symbol: each case says why it is not a Python object.
IDENTITY_ALLOWED = {
    "julia/test/runtests.jl": {
        "fn.args[2] === ex.args[2]",                                     # an Expr: the body kept as is
        "Base.invokelatest(getglobal, sandbox, :affine) === affine",     # a NamedTuple of the sandbox
        "m.fit(normal_mean; quick...) === m",                            # the Julia Workspace m.fit returns
        "m.fit(seed_gmm(); num_warmup=200, num_samples=200, num_chains=2, progress_bar=false) === m",
    },
}


def identity_comparisons(source: bytes) -> list:
    return [n for n in descendants(parse(source).root_node)
            if n.type == "binary_expression" and len(n.children) == 3
            and n.children[1].type == "operator" and text(n.children[1], source) in IDENTITY_OPERATORS]


def plainly_not_python(operand, source: bytes) -> bool:
    """`nothing`, `:symbol`, `:(=)`, `Symbol("function")`: values no Python object is ever `===` to."""
    if operand.type == "identifier" and text(operand, source) == "nothing":
        return True
    if operand.type == "quote_expression":
        return True
    if operand.type == "operator" and text(operand, source) == ":":
        return True  # `:where`, a keyword symbol: tree-sitter-julia reads `:` and then a `where` clause
    return operand.type == "call_expression" and called_name(operand, source) == "Symbol"


def unexplained_identity_comparisons(source: bytes, allowed=frozenset()) -> list[str]:
    found = []
    for node in identity_comparisons(source):
        left, _, right = node.children
        if plainly_not_python(left, source) or plainly_not_python(right, source):
            continue
        if text(node, source) in allowed:
            continue
        found.append(f"{node.start_point[0] + 1}: {text(node, source)}")
    return found


@pytest.mark.parametrize("path", julia_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_python_object_is_compared_with_identity(path):
    """PythonCall's `Py` is a mutable struct and every attribute access makes a new one, so
    `m.posterior === fit.posterior` is always false: Python identity is `pyis(a, b)`."""
    where = path.relative_to(ROOT).as_posix()
    source = path.read_bytes()
    allowed = IDENTITY_ALLOWED.get(where, set())
    problems = unexplained_identity_comparisons(source, allowed)
    assert not problems, f"{where}: `===` on what may be Python objects (use pyis):\n" + "\n".join(problems)
    present = {text(n, source) for n in identity_comparisons(source)}
    assert allowed <= present, f"{where}: allowed cases no longer there: {allowed - present}"


def test_the_identity_rule_catches_python_objects_and_passes_julia_values():
    bad = "@test m.posterior === fit.posterior\nx = a.b !== c\ny = f(x) ≡ g(x)\n".encode()
    assert [p.split(": ", 1)[1] for p in unexplained_identity_comparisons(bad)] == [
        "m.posterior === fit.posterior", "a.b !== c", "f(x) ≡ g(x)"]
    fine = b'ok = pyis(m.posterior, fit.posterior)\nx = ex.head === :call\ny = f(a) === nothing\nz = h === Symbol("function")\n'
    fine += b"w = ex.head === :where || ex.head === :(::)\n"
    assert unexplained_identity_comparisons(fine) == []


def test_python_is_imported_only_in_init_never_at_precompile_time(package_source):
    for path in sorted((ROOT / "julia" / "src").glob("*.jl")):
        source = path.read_bytes()
        calls = [n for n in descendants(parse(source).root_node)
                 if n.type == "call_expression" and called_name(n, source) in ("pyimport", "PythonCall.pyimport")]
        outside = [f"{path.name}:{c.start_point[0] + 1}" for c in calls if enclosing_function(c, source) != "__init__"]
        assert not outside, f"pyimport outside __init__: {outside}"
        if path.name == "BayesForge.jl":
            assert len(calls) >= 3  # numpy, jax.numpy, bayesforge, bayesforge.interop
    # jnp is a NULL Python object at precompile time, filled in __init__ with pycopy!
    source, root = package_source
    constants = {text(n, source) for n in descendants(root) if n.type == "const_statement"}
    assert "const jnp = PythonCall.pynew()" in constants
    copies = [text(n, source) for n in descendants(root)
              if n.type == "call_expression" and called_name(n, source) == "PythonCall.pycopy!"
              and enclosing_function(n, source) == "__init__"]
    assert any(c.startswith("PythonCall.pycopy!(jnp, pyimport(\"jax.numpy\"))") for c in copies), copies


def test_the_macro_is_one_line_over_the_lowering_function(package_source):
    source, root = package_source
    macros = [n for n in descendants(root) if n.type == "macro_definition"]
    bf_macros = [n for n in macros if "BF(" in text(n.child_by_field_name("signature") or n.children[1], source)]
    assert len(bf_macros) == 1
    body = [c for c in bf_macros[0].children if c.type not in ("macro", "signature", "end", "line_comment")]
    assert len(body) == 1 and body[0].start_point[0] == body[0].end_point[0], "the macro body is one line"
    assert re.fullmatch(r"return esc\(lower_bf\(ex, __source__; wrapper = \w+\)\)", text(body[0], source))


def test_the_lowering_knows_pythons_keywords():
    source = (ROOT / "julia" / "src" / "lowering.jl").read_bytes()
    root = parse(source).root_node
    [assignment] = [n for n in descendants(root) if n.type == "const_statement" and "PYTHON_KEYWORDS" in text(n, source)]
    words = re.findall(r'"(\w+)"', text(assignment, source))
    assert words == keyword.kwlist


def seed_julia_lines() -> list[str]:
    """The code lines of the seed page's Julia section (the page split it over two code blocks)."""
    page = (ROOT.parent / "shared" / "seed" / "gaussian_mixture_models.md")
    if not page.exists():
        pytest.skip(f"the seed page is not at {page}")
    section = page.read_text().split("\nJulia\n", 1)[1].split("## Mathematical Details", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and line.strip() not in ("# Run",)]


def test_the_julia_example_carries_the_seeds_julia_code_in_order():
    seed = seed_julia_lines()
    assert seed[0].startswith("@BF function gmm(data, K, initial_means)") and "m.summary()" in seed
    example = [line.strip() for line in (ROOT / "examples" / "julia" / "gmm.jl").read_text().splitlines()]
    position = 0
    for line in seed:
        # a script prints what the page's REPL shows: `m.summary()` may be `println(m.summary())`
        shown = {line, f"println({line})", f"display({line})"}
        found = [i for i in range(position, len(example)) if example[i] in shown]
        assert found, f"examples/julia/gmm.jl lacks the seed's line {line!r} (after line {position})"
        position = found[0] + 1


# ==============================================================================================
# 2. The Julia test suite itself, where Julia is installed
# ==============================================================================================
def test_the_julia_package_tests_pass():
    julia = shutil.which("julia")
    if julia is None:
        pytest.skip("julia not found")
    # bf() sets the host devices in Julia's Python, as for a user
    env = dict(subprocess_env(), JULIA_CONDAPKG_BACKEND="Null", JULIA_PYTHONCALL_EXE=sys.executable)
    result = subprocess.run([julia, "--project=julia", "-e", "using Pkg; Pkg.test()"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=3600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
    assert "Testing BayesForge tests passed" in output, output[-12000:]


# ==============================================================================================
# 3. The PythonCall protocol, driven from Python
# ==============================================================================================
class JuliaError(Exception):
    """What a Julia exception becomes when it crosses into Python (``juliacall.JuliaError``)."""


def pyfunc(julia_function, name):
    """PythonCall's ``pyfunc(f; name)``: ``(lambda f: lambda *args, **kwargs: f(*args, **kwargs))``
    around the Julia callable, with ``__name__`` and ``__qualname__`` set. Arguments are not converted."""
    wrapper = (lambda f: lambda *args, **kwargs: f(*args, **kwargs))(julia_function)
    wrapper.__name__ = wrapper.__qualname__ = name
    return wrapper


def pywith(f, o, d=None):
    """PythonCall's ``pywith(f, o, d)`` line by line (src/Core/builtins.jl): a Python exception goes to
    ``__exit__`` (and is suppressed if it says so); a Julia exception leaves through
    ``__exit__(None, None, None)`` in the ``finally``."""
    t = type(o)
    exit_ = t.__exit__
    value = t.__enter__(o)
    exited = False
    try:
        return f(value)
    except Exception as exc:
        if not isinstance(exc, JuliaError):  # `exc isa PyException`
            exited = True
            if exit_(o, type(exc), exc, exc.__traceback__):
                return d
        raise
    finally:
        if not exited:
            exit_(o, None, None, None)


def julia_gmm(m, seen):
    """The seed's Julia GMM as PythonCall runs it: a Julia function of positional ``Py`` arguments,
    ``K`` a Python ``int`` used as is (``jnp.ones(K)``, the plate), ``(D,)`` a Julia tuple made a
    Python tuple, ``create_obj=true`` a Python ``True``, and the plate's do-block returning a tuple."""
    import jax
    import jax.numpy as jnp

    def gmm(data, K, initial_means):
        seen["args"].append((data, K, initial_means))
        D = data.shape[1]
        alpha_prior = 0.5 * jnp.ones(K)
        w = m.dist.dirichlet(concentration=alpha_prior, name="weights")

        def do_block(indices):
            seen["plate values"].append(indices)
            mu_inner = m.dist.multivariate_normal(loc=initial_means, covariance_matrix=0.1 * jnp.eye(D), name="mu")
            sigma = m.dist.half_cauchy(1, shape=(D,), event=1, name="sigma")
            Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
            scale_tril_inner = jnp.expand_dims(sigma, -1) * Lcorr
            seen["tracers"].append(all(isinstance(v, jax.core.Tracer) for v in (w, mu_inner, sigma, Lcorr)))
            return (mu_inner, scale_tril_inner)

        mu, scale_tril = pywith(do_block, m.dist.plate("components", K))
        return m.dist.mixture_same_family(
            mixing_distribution=m.dist.categorical(probs=w, create_obj=True),
            component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True),
            name="obs", obs=data)

    # @BF's expansion: foreign_model(f, ["data", "K", "initial_means"], "gmm")
    return interop.model(pyfunc(lambda *args: gmm(*args), "gmm"), ["data", "K", "initial_means"], name="gmm")


def new_record():
    return {"args": [], "plate values": [], "tracers": []}


#: The blobs, K and fit settings of tests/test_interop.py's draw comparison: its Python model's NUTS program is this
#: file's, so the run's compilation cache compiles it once for both.
K = 8


@pytest.fixture(scope="module")
def blobs():
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    data, _ = make_blobs(n_samples=200, centers=K, cluster_std=0.8, center_box=(-10, 10), random_state=101)
    return data, KMeans(n_clusters=K, n_init=10, random_state=0).fit(data).cluster_centers_


def pyro_stack():
    from numpyro.primitives import _PYRO_STACK

    return list(_PYRO_STACK)


def test_a_pythoncall_model_gives_the_draws_of_the_python_model_on_parallel_chains(m, blobs):
    import jax

    data, centroids = blobs
    # identity of draws needs no converged chains: short, and trees capped so the cost is bounded
    fit = dict(num_warmup=50, num_samples=50, num_chains=2, seed=7, progress_bar=False, max_tree_depth=5)
    seen = new_record()
    model = julia_gmm(m, seen)
    assert str(inspect.signature(model)) == "(data, K, initial_means)" and model.__name__ == "gmm"
    m.data_on_model = {"data": data, "K": K, "initial_means": centroids}  # a Julia Int is a Python int
    julia = m.fit(model, **fit).posteriors
    assert m.sampler.chain_method == "parallel"
    assert pyro_stack() == []

    assert seen["args"], "the model was never called"
    for data_arg, k, means_arg in seen["args"]:
        assert type(k) is int and k == K
        assert isinstance(data_arg, jax.Array) and data_arg.shape == (200, 2)
        assert isinstance(means_arg, jax.Array) and means_arg.shape == (K, 2)
    assert seen["plate values"] and all(v.shape == (K,) for v in seen["plate values"])  # __enter__'s indices
    assert any(seen["tracers"]), "sample sites never returned JAX tracers"

    python = m.fit(gmm_model(m), **fit).posteriors
    assert sorted(julia) == sorted(python) == ["Lcorr", "mu", "sigma", "weights"]
    assert julia["mu"].shape == (100, K, 2) and julia["Lcorr"].shape == (100, K, 2, 2)
    for site in python:
        assert np.array_equal(julia[site], python[site]), site


def test_a_pythoncall_model_takes_tracers_as_arguments_and_traces_to_the_python_models_jaxpr(m, blobs):
    """Under JAX tracing the data themselves are tracers (K stays a static int), and the Julia-shaped
    model traces to exactly the computation of the Python model: the reason their draws agree."""
    import jax
    from numpyro import handlers
    from numpyro.infer.util import log_density

    data, centroids = blobs
    seen = new_record()

    def log_joint(model):
        def f(data, initial_means, key):
            kwargs = {"data": data, "K": K, "initial_means": initial_means}
            with handlers.seed(rng_seed=key):
                trace = handlers.trace(gmm_model(m)).get_trace(**kwargs)
            params = {k: v["value"] for k, v in trace.items() if v["type"] == "sample" and not v["is_observed"]}
            return log_density(model, (), kwargs, params)[0]
        return f

    key = jax.random.PRNGKey(0)
    julia = jax.make_jaxpr(log_joint(julia_gmm(m, seen)))(data, centroids, key)
    python = jax.make_jaxpr(log_joint(gmm_model(m)))(data, centroids, key)
    data_arg, k, means_arg = seen["args"][-1]
    assert isinstance(data_arg, jax.core.Tracer) and isinstance(means_arg, jax.core.Tracer)
    assert type(k) is int
    assert str(julia) == str(python)
    assert pyro_stack() == []


class JuliaMatrix:
    """A Julia ``Matrix{Float64}`` as PythonCall hands it to Python (``juliacall.ArrayValue``): the
    Julia column-major memory, ``shape = size(x)``, ``strides = strides(x) .* sizeof(Float64)``
    (``pyjlarray_array_interface`` in src/JlWrap/array.jl), and ``to_numpy()``."""

    def __init__(self, matrix):
        rows, cols = matrix.shape
        self._memory = (ctypes.c_double * (rows * cols))(*np.asarray(matrix, dtype=float).ravel(order="F"))
        self.shape = (rows, cols)
        self.__array_interface__ = {
            "shape": (rows, cols), "typestr": "<f8", "version": 3,
            "data": (ctypes.addressof(self._memory), False), "strides": (8, 8 * rows),
        }

    def to_numpy(self, dtype=None, copy=True, order="K"):
        return np.array(self, dtype=dtype, copy=copy, order=order)


def test_a_julia_matrix_arrives_n_by_d_whichever_way_it_is_converted(m, blobs):
    from bayesforge.fit import match_arguments

    data, centroids = blobs
    julia = JuliaMatrix(data)
    as_numpy = np.asarray(julia)
    assert as_numpy.shape == (200, 2) and np.array_equal(as_numpy, data)   # not transposed
    assert as_numpy.flags.f_contiguous and not as_numpy.flags.c_contiguous
    converted = np.array(julia, order="C")                                   # BayesForge.to_python
    assert converted.flags.c_contiguous and np.array_equal(converted, data)
    # the core's own paths for a wrapped Julia matrix: data_on_model values and m.ml.KMEANS
    given = match_arguments(gmm_model(m), {"data": julia, "K": K, "initial_means": JuliaMatrix(centroids)})
    assert np.array_equal(np.asarray(given["data"]), data.astype(np.float32))
    assert np.array_equal(np.asarray(given["initial_means"]), centroids.astype(np.float32))
    kmeans = m.ml.KMEANS(julia, n_clusters=K)
    assert kmeans["labels"].shape == (200,)
    assert np.array_equal(kmeans["centroids"], m.ml.KMEANS(data, n_clusters=K)["centroids"])


def normal_model(m, error=None, seen=None):
    """``@BF function f(y) ... pywith(m.dist.plate("n", y.shape[0])) do _ ... end end``, optionally
    failing inside the plate with a Julia error or a Python one; ``seen["stack"]`` is NumPyro's
    handler stack right after pywith let the error out."""
    from numpyro.primitives import _PYRO_STACK

    def f(y):
        mu = m.dist.normal(0.0, 10.0, name="mu")

        def do_block(_):
            if error == "julia":
                raise JuliaError("boom inside the plate")
            if error == "python":
                m.dist.normall(mu, 1.0, name="y", obs=y)
            return m.dist.normal(mu, 1.0, name="y", obs=y)

        try:
            return pywith(do_block, m.dist.plate("n", y.shape[0]))
        except Exception:
            if seen is not None:
                seen["stack"] = [type(h).__name__ for h in _PYRO_STACK]
            raise
    return interop.model(pyfunc(f, "f"), ["y"], name="f")


@pytest.mark.parametrize("error, raised, match", [
    ("julia", JuliaError, r"\Aboom inside the plate(\n|\Z)"),  # JAX may add a note after it
    ("python", AttributeError, r"m\.dist has no distribution 'normall'; did you mean normal"),
])
def test_an_error_inside_a_pywith_plate_leaves_no_plate_behind(m, error, raised, match):
    from numpyro import handlers

    quick = dict(num_warmup=50, num_samples=50, num_chains=1, seed=0, progress_bar=False)  # fails at its first trace
    m.data_on_model = {"y": np.array([0.9, 1.1, 1.0])}
    seen = {}
    with pytest.raises(raised, match=match):
        m.fit(normal_model(m, error, seen), **quick)
    assert seen["stack"] and "plate" not in seen["stack"], seen  # the plate left with the error
    assert pyro_stack() == []
    with handlers.seed(rng_seed=0):                               # the next model sees only its own plate
        trace = handlers.trace(normal_model(m)).get_trace(y=np.array([0.9, 1.1, 1.0]))
    assert [f.name for f in trace["mu"]["cond_indep_stack"]] == []
    assert [f.name for f in trace["y"]["cond_indep_stack"]] == ["n"]
