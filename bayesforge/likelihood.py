"""The log-likelihood of a Gaussian mixture in one pass over the data (the fused kernel).

For N points ``x`` (N×D), K components with log-weights ``log w_k``, means ``μ_k``
and lower Cholesky factors ``L_k`` (D ≤ 16), :func:`mixture_log_prob` returns the
N values

    log p(x_n) = logsumexp_k [log w_k − ½|z_nk|² − Σ_i log L_k,ii − ½ D log 2π],
    z_nk = L_k⁻¹ (x_n − μ_k),

which is what NumPyro's ``MixtureSameFamily(Categorical, MultivariateNormal).log_prob``
computes, written for speed (NUTS spends nearly all its time in this gradient):

* **one scan over chunks of rows.** Each chunk's K whitened residuals, their
  logsumexp and responsibilities are formed and used at once; no N×K×D array is
  ever written (NumPyro's path writes several). Each step works on a chunk the
  step before sliced out (see :func:`_sweep` for why), and the moments below are
  summed over chunks with compensation (TwoSum), so float32 at 10⁶ rows keeps the
  gradient's error against float64 at that of 10⁵ rows.
* **the gradient from moments.** Under ``jax.grad`` the forward sweep also sums,
  per component, Σ r_nk, Σ r_nk z_nk and Σ r_nk z_nk z_nkᵀ (responsibility-weighted
  moments in whitened coordinates); the gradients with respect to the weights, means
  and Cholesky factors follow from these in closed form (a ``jax.custom_vjp``). Each
  point-component pair is exponentiated once and the data are read once.
* **centred.** Residuals x_n − μ_k are formed before whitening: no quadratic
  features of x, whose float32 cancellation puts the gradient percents off at 10⁶ points.
* **no LAPACK.** L⁻¹ is unrolled substitution (:mod:`bayesforge.linalg`): LAPACK
  batches deadlock jax 0.10's CPU thread pool under parallel chains.
* **native on the CPU.** The values and moments are computed by a C++ kernel
  (:mod:`bayesforge.native`, an XLA FFI call: one core, 16 rows per vector step, each
  exp once, moments summed in double) when it was compiled at install time and the
  computation runs on the CPU (``lax.platform_dependent``); else, and for rows sharded
  over devices (:func:`xla_only`), by the XLA scan above. ∂/∂x stays on the XLA scan.

>>> import jax, jax.numpy as jnp
>>> x = jnp.array([[0.0, 0.0], [3.0, 1.0]])
>>> log_w, loc, scale_tril = jnp.log(jnp.array([0.5, 0.5])), jnp.array([[0.0, 0.0], [3.0, 0.0]]), jnp.stack([jnp.eye(2)] * 2)
>>> [round(v, 4) for v in mixture_log_prob(log_w, loc, scale_tril, x).tolist()]
[-2.52, -3.02]
>>> g = jax.grad(lambda m: mixture_log_prob(log_w, m, scale_tril, x).sum())(loc)
>>> [round(v, 4) for v in g[1].tolist()]
[-0.033, 0.989]
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero

from . import native
from .linalg import MAX_UNROLLED_DIM, cholesky_lower, inverse_lower
from .missing import Missingness

__all__ = ["CHUNK_ROWS", "MAX_DIM", "incomplete_mixture_log_prob", "marginal_components", "mixture_log_prob",
           "mixture_log_prob_reference", "native_likelihood_allowed", "xla_only"]

#: Rows per step of the scan (measured on 2 cores, K = 8: 2048–16384 within noise of each other).
CHUNK_ROWS = 4096
#: Largest dimension the fused kernel takes (its arithmetic is unrolled, as in :mod:`bayesforge.linalg`).
MAX_DIM = MAX_UNROLLED_DIM


class _Moments(NamedTuple):
    """Per component: Σ r, Σ r z (K×D), Σ r z zᵀ (K×D×D), r the (weighted) responsibilities."""

    count: jax.Array
    first: jax.Array
    second: jax.Array


def _two_sum(a, b):
    """``(s, e)`` with s = fl(a + b) and s + e = a + b exactly (Knuth's TwoSum)."""
    total = a + b
    shifted = total - a
    return total, (a - (total - shifted)) + (b - shifted)


def _accumulate(pair, part):
    """``(total, error)`` plus ``part``, the rounding of each addition kept in ``error`` (compensated summation)."""
    total, error = _two_sum(pair[0], part)
    return total, pair[1] + error


def _whitening(log_weights, loc, scale_tril):
    """L⁻¹ per component, and the part of each log-joint that does not depend on x as a pair ``hi + lo``.

    ``lo`` carries the rounding error of ``hi = fl(log w_k − Σ log L_ii − ½ D log 2π)``.
    Added to every row's −½|z|² (whose rounding differs row by row), it keeps the
    sum over N rows from inheriting N_k copies of one rounding error: in float32 at
    10⁶ points (seed data, K = 8) that error moved differences of the summed
    log-likelihood by 0.15–0.23 as the weights or scales moved, coarse for NUTS's
    energy differences; with ``lo``, 0.02–0.06 (what is left is the rounding of the
    inputs themselves).
    """
    dim = loc.shape[-1]
    half_log_det = jnp.sum(jnp.log(jnp.diagonal(scale_tril, axis1=-2, axis2=-1)), axis=-1)
    hi, lo = _two_sum(log_weights, -half_log_det)
    hi, lo2 = _two_sum(hi, jnp.asarray(-0.5 * dim * math.log(2 * math.pi), hi.dtype))
    # A component of weight 0 (log w = -inf, e.g. underflowed in float32) has hi = -inf and TwoSum's error
    # -inf - -inf = NaN: its error is 0, so that its log-joint is -inf and every row stays finite.
    return inverse_lower(scale_tril), hi, jnp.where(jnp.isfinite(hi), lo + lo2, 0.0)


def _sweep(log_weights, loc, scale_tril, x, row_weights=None, *, rows=True, moments=False, data_grad=False):
    """One pass over the rows of ``x``: per-row log p(x_n); optionally the moments and ∂/∂x.

    ``row_weights`` (N,) weight the moments (a cotangent that is not the same for
    every row); the data gradient is unweighted, to be scaled by the caller.

    Each step reads the chunk the step before it sliced out of ``x`` (it travels in
    the scan's carry). Sliced in the step that uses it, XLA's CPU code generator
    fuses the dynamic slice into every loop that reads the chunk and emits them as
    scalar code (4× slower values); the product with the identity that used to copy
    it out was a YNNPACK matmul per chunk (an eighth of the call in XLA's profile).
    Prefetched, the slice is a copy of its own and every loop reads a plain array
    (value and gradient at N = 10⁵–10⁶, K = 8: 6–14 % less wall time).
    """
    n, dim = x.shape
    k = loc.shape[0]
    dtype = x.dtype
    inverse, constant, correction = _whitening(log_weights, loc, scale_tril)
    size = min(CHUNK_ROWS, n)
    chunks = -(-n // size)
    pairs = [(p, q) for p in range(dim) for q in range(p + 1)]

    def body(carry, index):
        out, acc, grad_x, chunk = carry
        # The last chunk is shifted back to end at row n; its rows already counted are masked out.
        start = jnp.minimum(index * size, n - size)
        following = lax.dynamic_slice(x, (jnp.minimum(start + size, n - size), 0), (size, dim))
        residual = [chunk[:, i, None] - loc[None, :, i] for i in range(dim)]  # D arrays of size×K
        z = []
        for i in range(dim):
            value = inverse[None, :, i, 0] * residual[0]
            for j in range(1, i + 1):
                value = value + inverse[None, :, i, j] * residual[j]
            z.append(value)
        squared = z[0] * z[0]
        for i in range(1, dim):
            squared = squared + z[i] * z[i]
        log_joint = constant[None, :] + (correction[None, :] - 0.5 * squared)  # size×K
        top = jnp.max(log_joint, axis=1)
        top = lax.stop_gradient(jnp.where(jnp.isfinite(top), top, 0.0))
        unnormalised = jnp.exp(log_joint - top[:, None])
        total = jnp.sum(unnormalised, axis=1)
        if rows:
            out = lax.dynamic_update_slice(out, top + jnp.log(total), (start,))
        inverse_total = jnp.where(total > 0, 1.0 / total, 0.0)
        if data_grad:
            # ∂ log p(x_n)/∂x_n = −Σ_k r_nk L_k⁻ᵀ z_nk
            resp = unnormalised * inverse_total[:, None]
            columns = []
            for j in range(dim):
                value = inverse[None, :, j, j] * z[j]
                for i in range(j + 1, dim):
                    value = value + inverse[None, :, i, j] * z[i]
                columns.append(-jnp.sum(resp * value, axis=1))
            grad_x = lax.dynamic_update_slice(grad_x, jnp.stack(columns, axis=1), (start, 0))
        if moments:
            weight = jnp.where(jnp.arange(size) + start >= index * size, inverse_total, 0.0)
            if row_weights is not None:
                weight = weight * lax.dynamic_slice(row_weights, (start,), (size,))
            resp = unnormalised * weight[:, None]
            weighted = [resp * zi for zi in z]
            sums = (
                jnp.sum(resp, axis=0),
                jnp.stack([jnp.sum(w, axis=0) for w in weighted], axis=1),
                jnp.stack([jnp.sum(weighted[p] * z[q], axis=0) for p, q in pairs], axis=1),
            )
            # Compensated (TwoSum) accumulation over the chunks: at 10⁶ rows in float32 the plain
            # running sum of 245 chunk sums doubled the gradient's error against float64.
            acc = tuple(_accumulate(pair, part) for pair, part in zip(acc, sums))
        return (out, acc, grad_x, following), None

    init = (
        jnp.zeros((n if rows else 0,), dtype),
        tuple((jnp.zeros(shape, dtype),) * 2 for shape in ((k,), (k, dim), (k, len(pairs)))),
        jnp.zeros((n if data_grad else 0, dim), dtype),
    )
    (out, acc, grad_x, _), _ = lax.scan(body, (*init, x[:size]), jnp.arange(chunks))
    count, first, packed = (total + error for total, error in acc)
    second = None
    if moments:
        second = jnp.zeros((k, dim, dim), dtype)
        for column, (p, q) in enumerate(pairs):
            second = second.at[:, p, q].set(packed[:, column]).at[:, q, p].set(packed[:, column])
    return out, _Moments(count, first, second), grad_x


#: True while :func:`xla_only` is active: the native kernel is not used in what is traced then.
_XLA_ONLY = contextvars.ContextVar("bayesforge_likelihood_xla_only", default=False)


@contextlib.contextmanager
def xla_only():
    """Within this block, :func:`mixture_log_prob` traces its XLA path only, never the native CPU kernel.

    For rows sharded over devices under ``jit`` (:mod:`bayesforge.sharding`): XLA cannot
    split a custom call by rows and would gather every row to one device for it. Scoped to
    the current thread or task (a ``contextvars`` variable), so it affects no other caller.

    >>> with xla_only():
    ...     _native_target(jnp.float32) is None
    True
    """
    token = _XLA_ONLY.set(True)
    try:
        yield
    finally:
        _XLA_ONLY.reset(token)


def native_likelihood_allowed() -> bool:
    """False inside :func:`xla_only`: what a distribution created now should remember for its later ``log_prob``."""
    return not _XLA_ONLY.get()


def _native_target(dtype):
    """Name of the native kernel's FFI target for ``dtype``, or None (no library, or :func:`xla_only`)."""
    if _XLA_ONLY.get():
        return None
    targets = native.gmm_targets()
    return None if targets is None else targets.get(jnp.dtype(dtype).name)


def _native_sweep(target, log_weights, loc, scale_tril, x, row_weights=None, *, rows=True, moments=False):
    """What :func:`_sweep` returns (no data gradient), from the native kernel (``bayesforge/native``)."""
    n, dim = x.shape
    k = loc.shape[0]
    dtype = x.dtype
    inverse, constant, correction = _whitening(log_weights, loc, scale_tril)
    shapes = ((n if rows else 0,), (k if moments else 0,), (k if moments else 0, dim), (k if moments else 0, dim, dim))
    call = jax.ffi.ffi_call(target, tuple(jax.ShapeDtypeStruct(s, dtype) for s in shapes), vmap_method="sequential")
    weights = jnp.zeros((0,), dtype) if row_weights is None else row_weights
    out, count, first, second = call(x, weights, loc, inverse, constant, correction)
    return out, (_Moments(count, first, second) if moments else None)


def _values_and_moments(target, log_weights, loc, scale_tril, x, row_weights=None, *, rows=True, moments=False):
    """:func:`_sweep` without the data gradient: the native kernel ``target`` on the CPU, else the XLA scan.

    ``target`` None: the XLA scan. Otherwise the choice is made where the computation is
    compiled (``lax.platform_dependent``): an accelerator compiles the XLA path.
    """
    options = {"rows": rows, "moments": moments}

    def xla(*args):
        out, sums, _ = _sweep(*args, **options)
        return out, (sums if moments else None)

    if target is None:
        return xla(log_weights, loc, scale_tril, x, row_weights)

    def kernel(*args):
        return _native_sweep(target, *args, **options)

    return lax.platform_dependent(log_weights, loc, scale_tril, x, row_weights, cpu=kernel, default=xla)


def _parameter_grads(moments: _Moments, inverse):
    """∂/∂(log w, μ, L) of Σ_n ω_n log p(x_n) from the ω-weighted moments."""
    dim = inverse.shape[-1]
    grad_log_weights = moments.count
    grad_loc = jnp.einsum("kij,ki->kj", inverse, moments.first)  # L⁻ᵀ Σ r z
    centred = moments.second - moments.count[:, None, None] * jnp.eye(dim, dtype=inverse.dtype)
    grad_scale_tril = jnp.tril(jnp.einsum("kij,kil->kjl", inverse, centred))  # tril(L⁻ᵀ (Σ r z zᵀ − Σ r I))
    return grad_log_weights, grad_loc, grad_scale_tril


# ``target``: the native kernel's FFI target or None, chosen once where the call is traced (see
# :func:`xla_only`) and static, so that the backward pass, traced later, makes the same choice.
@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _fused(target, log_weights, loc, scale_tril, x):
    return _values_and_moments(target, log_weights, loc, scale_tril, x)[0]


def _fused_fwd(target, log_weights, loc, scale_tril, x):
    params = (log_weights.value, loc.value, scale_tril.value)
    want_params = log_weights.perturbed or loc.perturbed or scale_tril.perturbed
    out, moments = _values_and_moments(target, *params, x.value, moments=want_params)
    grad_x = _sweep(*params, x.value, rows=False, data_grad=True)[2] if x.perturbed else None
    return out, (params, x.value, moments if want_params else None, grad_x)


def _fused_bwd(target, residuals, cotangent):
    params, x, moments, grad_x = residuals
    if isinstance(cotangent, SymbolicZero):
        return None, None, None, None
    grads = (None, None, None)
    if moments is not None:
        inverse = inverse_lower(params[2])

        def same_for_every_row():  # the gradient of a sum (NUTS): the moments already computed
            return tuple(cotangent[0] * g for g in _parameter_grads(moments, inverse))

        def row_by_row():  # e.g. masked rows: the moments again, weighted by the cotangent
            sums = _values_and_moments(target, *params, x, cotangent, rows=False, moments=True)[1]
            return _parameter_grads(sums, inverse)

        grads = lax.cond(jnp.all(cotangent == cotangent[0]), same_for_every_row, row_by_row)
    return (*grads, None if grad_x is None else cotangent[:, None] * grad_x)


_fused.defvjp(_fused_fwd, _fused_bwd, symbolic_zeros=True)


def mixture_log_prob(log_weights, loc, scale_tril, x):
    """log p(x_n) for each row of ``x`` (…×D) under a K-component Gaussian mixture; shape ``x.shape[:-1]``.

    ``log_weights`` (K,) are normalised log mixing weights, ``loc`` (K, D) the means,
    ``scale_tril`` (K, D, D) lower Cholesky factors of the covariances (its upper
    triangle is ignored), D ≤ :data:`MAX_DIM`. Differentiable in every argument.
    """
    log_weights, loc, scale_tril, x = (jnp.asarray(a) for a in (log_weights, loc, scale_tril, x))
    dtype = jnp.result_type(log_weights, loc, scale_tril, x, float)
    k, dim = loc.shape[-2:] if loc.ndim >= 2 else (None, None)
    if loc.ndim != 2 or log_weights.shape != (k,) or scale_tril.shape != (k, dim, dim) or x.shape[-1:] != (dim,):
        raise ValueError(
            "mixture_log_prob needs log_weights (K,), loc (K, D), scale_tril (K, D, D) and x (..., D); got shapes "
            f"{log_weights.shape}, {loc.shape}, {scale_tril.shape}, {x.shape}"
        )
    if dim > MAX_DIM:
        raise ValueError(f"mixture_log_prob handles D ≤ {MAX_DIM}, got D = {dim}")
    batch = x.shape[:-1]
    flat = x.reshape((-1, dim)).astype(dtype)
    if flat.shape[0] == 0:
        return jnp.zeros(batch, dtype)
    # Rows already spread over several devices (outside jit) stay on XLA's path, which XLA splits by rows.
    spread = isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer) and len(x.sharding.device_set) > 1
    target = None if spread else _native_target(dtype)
    out = _fused(target, log_weights.astype(dtype), loc.astype(dtype), scale_tril.astype(dtype), flat)
    return out.reshape(batch)


def mixture_log_prob_reference(log_weights, loc, scale_tril, x):
    """The same values by plain broadcasting (an N×K×D array): the kernel's test oracle."""
    inverse, constant, correction = _whitening(log_weights, loc, scale_tril)
    constant = constant + correction
    z = jnp.einsum("kij,...kj->...ki", inverse, x[..., None, :] - loc)
    return jax.nn.logsumexp(constant - 0.5 * jnp.sum(z * z, axis=-1), axis=-1)


# -- rows with missing values (NaN) ----------------------------------------------------------------------
def marginal_components(loc, scale_tril, columns):
    """Means (K×d) and lower Cholesky factors (K×d×d) of each component's marginal over ``columns`` (static).

    The marginal covariance is Σ_oo = (L Lᵀ)_oo = L_o· L_o·ᵀ, L_o· the rows ``columns``
    of L; its factor is :func:`~bayesforge.linalg.cholesky_lower` (no LAPACK). When
    ``columns`` are the first d coordinates the factor is L's leading block, exactly.
    """
    columns = tuple(int(c) for c in columns)
    if columns == tuple(range(len(columns))):
        return loc[:, : len(columns)], scale_tril[:, : len(columns), : len(columns)]
    index = jnp.asarray(columns)
    rows = jnp.tril(scale_tril)[:, index, :]
    return loc[:, index], cholesky_lower(rows @ jnp.swapaxes(rows, -1, -2))


def incomplete_mixture_log_prob(log_weights, loc, scale_tril, x, missingness: Missingness | None = None):
    """log p(x_n,o) for each row of ``x`` (N×D, NaN marking missing cells): the mixture of the components'
    marginals over the row's observed coordinates o.

    Arguments as for :func:`mixture_log_prob`. Rows are taken one missingness pattern
    at a time; each pattern's rows go through the fused kernel with that pattern's
    marginal means and Cholesky factors (:func:`marginal_components`), so the
    complete rows take exactly the path of complete data.

    * ``x`` concrete (a NumPy array: the data NUTS closes over): the patterns are
      ``missingness`` when it describes ``x`` (found once where the data entered),
      else found here; each pattern's sub-matrix is cut out with NumPy, a constant.
    * ``x`` traced (minibatches of variational inference, rows split over devices):
      the patterns cannot be read from it, so every row is scored under each
      pattern of ``missingness`` (missing cells read as 0) and keeps the value of
      its own; a row whose pattern is not there gets 0.

    A row with every value missing gets 0 (the marginal over nothing).

    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [np.nan, 1.0]])
    >>> log_w, loc, L = jnp.log(jnp.array([0.5, 0.5])), jnp.array([[0.0, 0.0], [3.0, 0.0]]), jnp.stack([jnp.eye(2)] * 2)
    >>> [round(v, 4) for v in incomplete_mixture_log_prob(log_w, loc, L, x).tolist()]
    [-2.52, -1.4189]
    """
    log_weights, loc, scale_tril = (jnp.asarray(a) for a in (log_weights, loc, scale_tril))
    dim = loc.shape[-1]
    try:
        values = np.asarray(x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        if missingness is None:
            raise ValueError("incomplete_mixture_log_prob needs the missingness patterns (Missingness.of(data)) "
                             "when the data are traced") from None
        return _masked(log_weights, loc, scale_tril, x, missingness)
    if values.ndim < 1 or values.shape[-1] != dim:
        raise ValueError(f"x must have {dim} columns (…×D), got shape {values.shape}")
    batch = values.shape[:-1]
    flat = values.reshape(-1, dim)
    if missingness is None or not missingness.describes(flat):
        missingness = Missingness.of(flat)
    if len(missingness.observed) == 1 and len(missingness.observed[0]) == dim:  # complete data
        return mixture_log_prob(log_weights, loc, scale_tril, flat).reshape(batch)
    dtype = jnp.result_type(log_weights, loc, scale_tril, float)
    out = jnp.zeros((flat.shape[0],), dtype)
    for columns, rows in zip(missingness.observed, missingness.rows):
        if not columns:
            continue
        sub_loc, sub_tril = marginal_components(loc, scale_tril, columns)
        part = mixture_log_prob(log_weights, sub_loc, sub_tril, flat[np.ix_(rows, columns)])
        out = out.at[rows].set(part.astype(dtype))
    return out.reshape(batch)


def _masked(log_weights, loc, scale_tril, x, missingness: Missingness):
    """Traced rows: each scored under every pattern of ``missingness``, keeping its own pattern's value."""
    dim = loc.shape[-1]
    batch = x.shape[:-1]
    flat = x.reshape((-1, dim))
    present = ~jnp.isnan(flat)
    filled = jnp.where(present, flat, 0.0)
    out = None
    for columns, mask in zip(missingness.observed, missingness.observed_mask()):
        if not columns:
            continue
        mine = jnp.all(present == jnp.asarray(mask), axis=-1)
        sub_loc, sub_tril = marginal_components(loc, scale_tril, columns)
        part = mixture_log_prob(log_weights, sub_loc, sub_tril, filled[:, jnp.asarray(columns)])
        part = jnp.where(mine, part, 0.0)
        out = part if out is None else out + part
    if out is None:
        out = jnp.zeros(flat.shape[:1], jnp.result_type(log_weights, loc, scale_tril, float))
    return out.reshape(batch)
