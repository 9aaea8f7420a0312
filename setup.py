"""Build of BayesForge's optional native kernel; everything else is in pyproject.toml.

``bayesforge/native/gmm_kernel.cc`` (the Gaussian-mixture likelihood as an XLA FFI handler,
see :mod:`bayesforge.native`) is compiled against the XLA FFI headers that jaxlib ships
(``jaxlib/include``, hence jaxlib in the build requirements). The build is optional: without
a C++ compiler, without the headers, or when compiling fails, the package installs without
it and :mod:`bayesforge.likelihood` keeps its XLA path (a warning says so).

The library is compiled for the x86-64 baseline plus AVX2 and AVX-512 variants of its inner
loop chosen at run time (``#pragma GCC target`` in the source), never with ``-march=native``:
a wheel built on one machine must run on another.
"""
from __future__ import annotations

import importlib.util
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, ExecError, LinkError, PlatformError

NATIVE = os.path.join("bayesforge", "native")


def _ffi_include_dir() -> str | None:
    """jaxlib's ``include`` folder (what ``jax.ffi.include_dir()`` returns), located without importing jax."""
    spec = importlib.util.find_spec("jaxlib")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        include = os.path.join(folder, "include")
        if os.path.isfile(os.path.join(include, "xla", "ffi", "api", "ffi.h")):
            return include
    return None


class OptionalBuildExt(build_ext):
    """``build_ext`` that warns instead of failing: the kernel is an accelerator, not a requirement."""

    def build_extension(self, ext):
        include = _ffi_include_dir()
        if include is None:
            self.warn("bayesforge: jaxlib's XLA FFI headers not found; the native likelihood kernel is not built "
                      "(the XLA path is used)")
            return
        ext.include_dirs.append(include)
        try:
            super().build_extension(ext)
        except (CCompilerError, CompileError, ExecError, LinkError, PlatformError, OSError) as error:
            self.warn(f"bayesforge: the native likelihood kernel did not compile ({error}); the XLA path is used")


extensions = []
# BAYESFORGE_NATIVE=0 builds without the kernel (a wheel of the pure-Python package in seconds; the XLA path runs)
if sys.platform != "win32" and os.environ.get("BAYESFORGE_NATIVE", "1") != "0":
    extensions.append(Extension(
        "bayesforge.native._gmm_kernel",
        sources=[os.path.join(NATIVE, "gmm_kernel.cc")],
        depends=[os.path.join(NATIVE, "gmm_body.inc")],
        language="c++",
        extra_compile_args=["-O3", "-std=c++17", "-fopenmp-simd", "-fno-trapping-math", "-fno-math-errno", "-g0"],
    ))

setup(ext_modules=extensions, cmdclass={"build_ext": OptionalBuildExt})
