"""Gaussian elimination with partial pivoting, composed: det, solve, inv (batched).

The LU factorization LAPACK's getrf computes, written as tensor ops, one column at a time:

    for k in 0 .. n-1:
        p = argmax_i>=k |A[i, k]|            the pivot row (no gradient: an index)
        swap rows k and p                     a gather of the rows (gradient: scattered back)
        A[i, :] -= A[i, k] / A[k, k] * A[k, :]   for every row i > k

after which A is upper triangular (U) and det(A) = (-1)^swaps * prod(diag U). To solve
A X = B, the same row operations run on B alongside (an augmented matrix [A | B]), then
back substitution: X[i] = (C[i] - U[i, i+1:] @ X[i+1:]) / U[i, i], from the last row up.

Every step is a primitive (Gather, Slice, Div, Mul, Sub, Cat, ...), so autograd gives the
gradients; n steps of O(n^2) work each: meant for the small matrices a learner inverts, not
a replacement for LAPACK. A zero pivot (an exactly singular matrix) gives det 0, and makes
solve and inv raise PyTorch's error.
"""

from typing import Any

import numpy as np

from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu.composite.arithmetic import add, div, mul, sub
from tinygrad_edu.composite.logic import eq, ne, where
from tinygrad_edu.composite.products import matmul
from tinygrad_edu.composite.reductions import argmax, prod, sum
from tinygrad_edu.movement import (
    _to_device,
    cat,
    diagonal,
    expand,
    gather,
    narrow,
    stack,
    unsqueeze,
)


def _check_square(name: str, a: Any) -> None:
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {dtypes.scalar_type_name(a.dtype)}")
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 "
                           "dimensions.")
    if a._shape[-1] != a._shape[-2]:
        shape = a._shape[-2:]
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they "
                           f"are {' by '.join(map(str, shape))} matrices")


def _eliminate(a: Any) -> tuple:
    """(U | C, pivots, signs): rows of the (..., n, n + m) matrix [A | B] reduced so its
    left n x n block is upper triangular; the pivot U[k, k] of each step (..., n); and the
    sign (-1)^swaps (..., ), from the n x n block's column maxima."""
    n = a._shape[-2]
    positions = _to_device(np.arange(n, dtype=np.int64), a)  # (n,)
    sign = dispatch.full_like(a, a._shape[:-2], 1, a.dtype)
    pivots = []
    for k in range(n):
        with autograd.no_grad():
            column = narrow(a, -2, k, n - k).detach().abs()[..., k]  # (..., n - k)
            pivot_row = unsqueeze(argmax(column, -1) + k, -1)  # (..., 1)
            swap = where(eq(positions, k), pivot_row, where(eq(positions, pivot_row), k,
                                                            positions))  # (..., n)
            sign = where(ne(pivot_row[..., 0], k), -sign, sign)
        a = gather(a, -2, expand(unsqueeze(swap, -1), a._shape))  # rows k and p swapped
        top = narrow(a, -2, 0, k + 1)
        row = narrow(a, -2, k, 1)  # (..., 1, n + m)
        pivot = row[..., 0, k]
        pivots.append(pivot)
        if k + 1 < n:
            below = narrow(a, -2, k + 1, n - k - 1)
            safe = where(eq(pivot, 0), 1, pivot)  # a zero column below: factors 0, not nan
            factors = div(below[..., :, k], unsqueeze(safe, -1))  # (..., n - k - 1)
            a = cat([top, sub(below, mul(unsqueeze(factors, -1), row))], -2)
    return a, stack(pivots, -1), sign


def det(a: Any) -> Any:
    """The determinant: (-1)^swaps * the product of the pivots (0 for a singular matrix).

    The gradient is autograd's through the elimination: the cofactor matrix, also at an
    exactly singular matrix. PyTorch 2.13 returns zeros there (det([[1, 2], [2, 4]]) has
    gradient [[4, -2], [-2, 1]]: d/da of ad - bc is d, ...)."""
    _check_square("det", a)
    if a._shape[-1] == 0:  # the empty product, 1, still in a's graph
        return autograd.named(prod(diagonal(a, 0, -2, -1), -1), "LinalgDetBackward0")
    _, pivots, sign = _eliminate(a)
    return autograd.named(mul(sign, prod(pivots, -1)), "LinalgDetBackward0")


def solve(a: Any, b: Any, *, left: bool = True) -> Any:
    """X with A X = B (A (..., n, n); B (..., n, k), or (..., n) a vector when its batch
    dims are A's or it is 1-d), batch dims broadcast. left=False solves X A = B."""
    _check_square("solve", a)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve(a.transpose(-2, -1), b.transpose(-2, -1)).transpose(-2, -1)
    return autograd.named(_solve(a, b, "solve"), "LinalgSolveExBackward0")


def _solve(a: Any, b: Any, name: str) -> Any:
    """solve's work, raising `name`'s error for a singular A."""
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b._shape[:-1] == a._shape[:-2])
    if vector:
        b = unsqueeze(b, -1)
    if b._shape[-2] != a._shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({'x'.join(map(str, a._shape[-2:]))} and "
                           f"{'x'.join(map(str, b._shape[-2:]))})")
    batch = dispatch.broadcast("linalg.solve", _Shape(a._shape[:-2]), _Shape(b._shape[:-2]))
    a = expand(a, batch + a._shape[-2:])
    b = expand(b.to(a.dtype) if b.dtype is not a.dtype else b, batch + b._shape[-2:])
    n = a._shape[-1]
    if n == 0:  # nothing to solve: B's empty shape, in the graph of both
        b = add(b, sum(a, (-2, -1), keepdim=True))
        return b[..., 0] if vector else b
    reduced, pivots, _ = _eliminate(cat([a, b], -1))  # [U | C]
    _check_pivots(pivots, name)
    upper, rhs = narrow(reduced, -1, 0, n), narrow(reduced, -1, n, b._shape[-1])
    rows: list = [None] * n  # X[i], (..., k), found from the last row up
    for i in reversed(range(n)):
        value = narrow(rhs, -2, i, 1)[..., 0, :]
        if i + 1 < n:
            known = stack(rows[i + 1:], -2)  # (..., n - i - 1, k)
            coefficients = unsqueeze(narrow(upper, -2, i, 1)[..., 0, i + 1:], -2)
            value = sub(value, matmul(coefficients, known)[..., 0, :])
        rows[i] = div(value, unsqueeze(pivots[..., i], -1))
    out = stack(rows, -2)
    return out[..., 0] if vector else out


def inv(a: Any) -> Any:
    """The inverse: solve(A, I)"""
    _check_square("inv", a)
    identity = _to_device(np.eye(a._shape[-1], dtype=a.dtype.numpy), a)
    return autograd.named(_solve(a, expand(identity, a._shape), "inv"), "LinalgInvExBackward0")


def _check_pivots(pivots: Any, name: str) -> None:
    """PyTorch's error when a pivot is exactly 0 (one host read): it names the batch
    element and, for inv, the (1-based) diagonal element that is 0."""
    zero = pivots._storage.backend.to_numpy(pivots.detach()._strided()) == 0
    if not zero.any():
        return
    flat = zero.reshape(-1, zero.shape[-1])
    batch = int(np.argmax(flat.any(axis=1)))
    where_ = f"(Batch element {batch}): " if zero.ndim > 1 else ""
    if name == "inv":
        element = int(np.argmax(flat[batch])) + 1
        raise RuntimeError(f"linalg.inv: {where_}The diagonal element {element} is zero, the "
                           "inversion could not be completed because the input matrix is "
                           "singular.")
    raise RuntimeError(f"torch.linalg.solve: {where_}The solver failed because the input "
                       "matrix is singular.")


class _Shape:  # a stand-in with a shape, for dispatch.broadcast
    def __init__(self, shape: tuple) -> None:
        self._shape = shape
