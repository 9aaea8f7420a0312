"""bayesforge.linalg: the LAPACK-free Cholesky factor, triangular solve and inverse against NumPy for D = 1..6,
batched, and their compiled graphs free of LAPACK calls."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from bayesforge.linalg import cholesky_lower, inverse_lower, solve_lower

#: A LAPACK custom call in StableHLO (as tests/test_likelihood.py).
LAPACK_CALL = re.compile(r"[@\"]lapack_\w+")


@jax.jit
def _all(matrix, rhs):
    factor = cholesky_lower(matrix)
    return factor, solve_lower(factor, rhs), inverse_lower(factor)


def _problem(dim, seed, batch=(3,)):
    """Symmetric positive-definite matrices (well conditioned) and right-hand sides, in float64 for NumPy."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=batch + (dim, dim))
    return a @ np.swapaxes(a, -1, -2) + dim * np.eye(dim), rng.normal(size=batch + (dim,))


def _check(dim, seed):
    matrix, rhs = _problem(dim, seed)
    factor, solved, inverse = map(np.asarray, _all(matrix.astype(np.float32), rhs.astype(np.float32)))
    expected = np.linalg.cholesky(matrix)
    np.testing.assert_allclose(factor, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(solved, np.linalg.solve(expected, rhs[..., None])[..., 0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(inverse, np.linalg.inv(expected), rtol=1e-4, atol=1e-5)
    assert np.all(np.triu(factor, 1) == 0) and np.all(np.triu(inverse, 1) == 0)


@pytest.mark.parametrize("dim", range(1, 7))
def test_cholesky_solve_and_inverse_equal_numpys(dim):
    _check(dim, seed=dim)


@settings(max_examples=25, deadline=None)
@given(dim=st.integers(1, 6), seed=st.integers(0, 2 ** 32 - 1))
def test_any_well_conditioned_matrix(dim, seed):
    _check(dim, seed)  # one compile per dimension: the examples reuse them


def test_inverse_ignores_the_upper_triangle_and_broadcasts_over_leading_axes():
    lower = np.array([[2.0, 9.0], [1.0, 4.0]], np.float32)  # 9.0 above the diagonal: not part of L
    batch = np.broadcast_to(lower, (2, 3, 2, 2))
    inverse = np.asarray(jax.jit(inverse_lower)(batch))
    assert inverse.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(inverse[1, 2], np.linalg.inv(np.tril(lower)), rtol=1e-6)


def test_the_compiled_graph_and_its_gradient_call_no_lapack():
    matrix, rhs = (x.astype(np.float32) for x in _problem(4, seed=0))

    def total(matrix, rhs):
        factor, solved, inverse = _all(matrix, rhs)
        return jnp.sum(solved) + jnp.sum(inverse) + jnp.sum(factor)

    text = jax.jit(jax.grad(total, argnums=(0, 1))).lower(matrix, rhs).as_text()
    assert not LAPACK_CALL.search(text)
    assert LAPACK_CALL.search(jax.jit(jnp.linalg.cholesky).lower(matrix).as_text())  # the pattern finds one
