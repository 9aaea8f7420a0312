"""Small-matrix linear algebra written as plain ``jax.numpy`` arithmetic.

Why this exists: jax 0.10.x splits a large batch of LAPACK calls (``trsm``,
``potrf``) over XLA's CPU thread pool, and when chains run in parallel
(``pmap`` over host devices) both pool threads can end up waiting on work
queued to themselves: the fit hangs forever. A Gaussian mixture of N ≥ ~6 000
points hits it through the batched triangular solve in
``MultivariateNormal.log_prob``. For the small dimensions such models use, the
same computation unrolled into elementwise arithmetic never calls LAPACK, gives
the same values to rounding, and is no slower. See ``ARCHITECTURE.md``.

>>> import jax.numpy as jnp
>>> L = cholesky_lower(jnp.array([[4.0, 2.0], [2.0, 3.0]]))
>>> L.tolist()
[[2.0, 0.0], [1.0, 1.4142135381698608]]
>>> solve_lower(L, jnp.array([2.0, 2.0])).tolist()
[1.0, 0.7071067690849304]
>>> inverse_lower(jnp.array([[2.0, 0.0], [1.0, 4.0]])).tolist()
[[0.5, 0.0], [-0.125, 0.25]]
"""
from __future__ import annotations

import jax.numpy as jnp

__all__ = ["MAX_UNROLLED_DIM", "cholesky_lower", "inverse_lower", "solve_lower"]

#: Largest event dimension handled by unrolled arithmetic (the unrolled graph
#: grows as D²; beyond this LAPACK's batching rarely meets the hang's sizes).
MAX_UNROLLED_DIM = 16


def solve_lower(scale_tril: jnp.ndarray, rhs: jnp.ndarray) -> jnp.ndarray:
    """Solve ``L y = b`` for lower-triangular ``L`` (``..., D, D``) and ``b`` (``..., D``), broadcasting."""
    dim = scale_tril.shape[-1]
    ys: list[jnp.ndarray] = []
    for i in range(dim):
        acc = rhs[..., i]
        for j in range(i):
            acc = acc - scale_tril[..., i, j] * ys[j]
        ys.append(acc / scale_tril[..., i, i])
    return jnp.stack(ys, axis=-1)


def cholesky_lower(matrix: jnp.ndarray) -> jnp.ndarray:
    """Lower Cholesky factor of symmetric positive-definite ``matrix`` (``..., D, D``)."""
    dim = matrix.shape[-1]
    rows: list[list[jnp.ndarray]] = []
    zero = jnp.zeros_like(matrix[..., 0, 0])
    for i in range(dim):
        row: list[jnp.ndarray] = []
        for j in range(i + 1):
            acc = matrix[..., i, j]
            other = row if j == i else rows[j]
            for k in range(j):
                acc = acc - row[k] * other[k]
            row.append(jnp.sqrt(acc) if i == j else acc / rows[j][j])
        rows.append(row + [zero] * (dim - i - 1))
    return jnp.stack([jnp.stack(r, axis=-1) for r in rows], axis=-2)


def inverse_lower(scale_tril: jnp.ndarray) -> jnp.ndarray:
    """Inverse of lower-triangular ``L`` (``..., D, D``), itself lower triangular; the upper triangle of ``L`` is ignored."""
    dim = scale_tril.shape[-1]
    zero = jnp.zeros_like(scale_tril[..., 0, 0])
    columns: list[jnp.ndarray] = []
    for j in range(dim):  # column j of L⁻¹ solves L y = e_j; its entries above j are zero
        ys: list[jnp.ndarray] = [zero] * j
        for i in range(j, dim):
            acc = (1.0 if i == j else 0.0) - sum((scale_tril[..., i, k] * ys[k] for k in range(j, i)), zero)
            ys.append(acc / scale_tril[..., i, i])
        columns.append(jnp.stack(ys, axis=-1))
    return jnp.stack(columns, axis=-1)
