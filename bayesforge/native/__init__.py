"""The compiled CPU kernel of the Gaussian-mixture likelihood (``gmm_kernel.cc``), found and registered lazily.

``pip install`` compiles ``gmm_kernel.cc`` into the extension file ``_gmm_kernel`` next to this
module when a C++ compiler and jaxlib's XLA FFI headers are there (``setup.py``); nothing here
runs at import. :func:`gmm_targets` loads it with ``ctypes`` and registers its two XLA FFI
handlers (float32, float64) for the CPU on first call, and returns their names, or ``None``
when the library is absent or cannot be loaded (no compiler at install time, another
platform): :mod:`bayesforge.likelihood` then keeps its XLA path.

The registration is process-wide by nature (XLA's table of custom-call targets is), so it is
done once per process (``functools.cache``); it is idempotent and holds no state a caller can
change, so two ``bf()`` objects cannot interfere through it.

>>> targets = gmm_targets()
>>> targets is None or sorted(targets) == ["float32", "float64"]
True
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util

__all__ = ["LIBRARY", "gmm_targets"]

#: Module name of the compiled kernel (an extension file built by ``setup.py``; it has no Python entry point).
LIBRARY = f"{__name__}._gmm_kernel"
_SYMBOLS = {"float32": "BayesforgeGmmF32", "float64": "BayesforgeGmmF64"}


@functools.cache
def gmm_targets() -> dict[str, str] | None:
    """``{"float32": name, "float64": name}`` of the registered FFI targets, or ``None`` without the library."""
    try:
        spec = importlib.util.find_spec(LIBRARY)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return None
    try:
        library = ctypes.CDLL(spec.origin)
        handlers = {dtype: getattr(library, symbol) for dtype, symbol in _SYMBOLS.items()}
    except (OSError, AttributeError):
        return None
    import jax

    targets = {}
    for dtype, handler in handlers.items():
        name = f"bayesforge_gmm_{dtype}"
        jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(handler), platform="cpu")
        targets[dtype] = name
    return targets
