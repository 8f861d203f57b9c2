"""Triangular matrices, composed: cholesky, cholesky_ex, solve_triangular, cholesky_solve.

Cholesky writes a symmetric positive-definite A as L L^T, L lower triangular with a positive
diagonal. Equating the entries of column j of A and of L L^T gives L one column at a time:

    c = A[:, j] - L[:, :j] @ L[j, :j]          what the columns found so far do not explain
    L[j, j] = sqrt(c[j])                        c[j] <= 0: A is not positive-definite
    L[j+1:, j] = c[j+1:] / L[j, j]

Triangular solves are substitution, one row at a time (L X = B, from the top row down):

    X[i] = (B[i] - L[i, :i] @ X[:i]) / L[i, i]

Every step is a primitive, so autograd differentiates both; n steps of O(n^2) work: for the
small matrices a learner factors, not a replacement for LAPACK's potrf / trsm.
"""

from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu.composite.arithmetic import add, div, mul, sub
from tinygrad_edu.composite.elementwise import tril, triu
from tinygrad_edu.composite.elimination import _check_square
from tinygrad_edu.composite.logic import where
from tinygrad_edu.composite.products import matmul
from tinygrad_edu.movement import _to_device, expand, narrow, stack, unsqueeze

CholeskyExResult = namedtuple("linalg_cholesky_ex", ["L", "info"])

_NOT_PD = ("The factorization could not be completed because the input is not "
           "positive-definite (the leading minor of order {} is not positive-definite).")


def symmetric_from_triangle(a: Any, upper: bool = False) -> Any:
    """The symmetric matrix that A's lower (upper) triangle describes, as LAPACK reads it;
    its gradient is the symmetric part of the incoming one, as PyTorch's is.

    Value: tril(A) + tril(A, -1)^T. Gradient: that of (A + A^T) / 2. The trick is
    `s + (t - s).detach()`: the value of t, the gradient of s (for a symmetric A, s = t
    exactly, so the value is exact). PyTorch's cholesky and eigh backward formulas assume a
    symmetric perturbation of A; differentiating only the triangle read would give a
    triangular gradient instead (2 S[i, j] below the diagonal, 0 above)."""
    transposed = a.transpose(-2, -1)
    if upper:
        exact = add(triu(a), triu(a, 1).transpose(-2, -1))
    else:
        exact = add(tril(a), tril(a, -1).transpose(-2, -1))
    symmetric = mul(add(a, transposed), 0.5)
    return add(symmetric, sub(exact, symmetric).detach())


def _factor(a: Any) -> tuple:
    """(L, the pivots c[j] of every step (..., n)) for a symmetric A, column by column."""
    n = a._shape[-1]
    columns: list = []  # L[:, j], each (..., n)
    pivots = []
    rows = _to_device(np.arange(n), a)  # row numbers, to mask the rows above the diagonal
    for j in range(n):
        c = a[..., :, j]  # (..., n)
        if j > 0:
            known = stack(columns, -1)  # (..., n, j): the columns of L found so far
            c = sub(c, matmul(known, unsqueeze(known[..., j, :], -1))[..., 0])
        pivot = c[..., j]
        pivots.append(pivot)
        diagonal = unsqueeze(pivot.sqrt(), -1)  # nan for a negative pivot: A is not PD
        # column[i] = c[i] / L[j, j] below the diagonal, L[j, j] on it, 0 above
        columns.append(where(rows > j, div(c, diagonal), where(rows == j, diagonal, 0.0)))
    return stack(columns, -1), stack(pivots, -1)


def _first_failure(pivots: Any) -> np.ndarray:
    """info per batch element (one host read): the 1-based order of the first leading minor
    that is not positive-definite (a pivot <= 0 or nan), 0 where there is none."""
    values = pivots._storage.backend.to_numpy(pivots.detach()._strided())
    bad = ~(values > 0)
    first = np.argmax(bad, axis=-1) + 1
    return np.where(bad.any(axis=-1), first, 0).astype(np.int32)


def _raise_not_pd(info: np.ndarray, name: str) -> None:
    """PyTorch's error for the first batch element that failed (numbered in the flattened
    batch), if any."""
    flat = info.reshape(-1)
    if not flat.any():
        return
    batch = int(np.argmax(flat != 0))
    where_ = f"(Batch element {batch}): " if info.ndim > 0 else ""
    raise RuntimeError(f"linalg.{name}: {where_}{_NOT_PD.format(int(flat[batch]))}")


def cholesky_ex(a: Any, *, upper: bool = False, check_errors: bool = False) -> Any:
    """(L, info): the Cholesky factor of A = L L^T (U^T U with upper=True, U = L^T) and an
    int32 info per batch element: 0, or k when the leading k x k minor is not positive-
    definite. Only A's lower (upper) triangle is read. L of a failed element is not
    meaningful (nan or inf from the step that failed on; LAPACK stops there instead)."""
    _check_square("cholesky", a)  # PyTorch: shape errors name cholesky, even from _ex
    n = a._shape[-1]
    if n == 0 or a.numel() == 0:
        factor = mul(a, 0)
        info = np.zeros(a._shape[:-2], np.int32)
    else:
        factor, pivots = _factor(symmetric_from_triangle(a, upper))
        info = _first_failure(pivots)
    if check_errors:
        _raise_not_pd(info, "cholesky_ex")
    if upper:
        factor = factor.transpose(-2, -1)
    return CholeskyExResult(autograd.named(factor, "LinalgCholeskyExBackward0"),
                            _to_device(info, a))


def cholesky(a: Any, *, upper: bool = False) -> Any:
    """L lower triangular with A = L L^T (A symmetric positive-definite; U with A = U^T U
    for upper=True); raises PyTorch's error naming the first leading minor that is not
    positive-definite (and the batch element)."""
    _check_square("cholesky", a)
    factor, info = cholesky_ex(a, upper=upper)
    _raise_not_pd(info._storage.backend.to_numpy(info._strided()), "cholesky")
    return factor


def _check_triangular_operands(name: str, a: Any, b: Any) -> tuple:
    """(A, B) with their batch dims broadcast; PyTorch's errors for bad shapes or dtypes."""
    for tensor in (a, b):
        if not tensor.dtype.is_floating_point:
            raise RuntimeError(f'"triangular_solve_cpu" not implemented for '
                               f"'{dtypes.scalar_type_name(tensor.dtype)}'")
    if b.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor B must have at least 2 "
                           "dimensions.")
    _check_square(name, a)
    if a.dtype is not b.dtype:  # PyTorch promotes the two (float32 and float64: float64)
        common = dtypes.promote_types(a.dtype, b.dtype)
        a, b = a.to(common), b.to(common)
    batch = dispatch.broadcast(f"linalg.{name}", _Shape(a._shape[:-2]), _Shape(b._shape[:-2]))
    return expand(a, batch + a._shape[-2:]), expand(b, batch + b._shape[-2:])


def solve_triangular(a: Any, b: Any, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Any:
    """X with A X = B for a triangular A (X A = B with left=False), by substitution; only
    A's upper (lower) triangle is read, and not its diagonal when unitriangular (taken as
    1s). A zero on the diagonal gives inf / nan, as LAPACK's trsm does: no error."""
    if not left:  # X A = B  <=>  A^T X^T = B^T, and A^T is triangular the other way
        return solve_triangular(a.transpose(-2, -1), b.transpose(-2, -1), upper=not upper,
                                unitriangular=unitriangular).transpose(-2, -1)
    a, b = _check_triangular_operands("solve_triangular", a, b)
    if b._shape[-2] != a._shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation AX = B ({'x'.join(map(str, a._shape[-2:]))} and "
                           f"{'x'.join(map(str, b._shape[-2:]))})")
    return autograd.named(_substitute(a, b, upper, unitriangular),
                          "LinalgSolveTriangularBackward0")


def _substitute(a: Any, b: Any, upper: bool, unitriangular: bool) -> Any:
    """Forward (lower) or back (upper) substitution: X row by row, (..., n, k)."""
    n = a._shape[-1]
    if n == 0 or b._shape[-1] == 0:
        return add(b, mul(narrow(a, -1, 0, 0).sum((-2, -1), keepdim=True), 0))
    order = reversed(range(n)) if upper else range(n)
    rows: list = [None] * n  # X[i], (..., k)
    for i in order:
        value = b[..., i, :]
        done = range(i + 1, n) if upper else range(i)
        if len(done):
            start = done[0]
            known = stack(rows[start:start + len(done)], -2)  # (..., len(done), k)
            coefficients = unsqueeze(narrow(a[..., i, :], -1, start, len(done)), -2)
            value = sub(value, matmul(coefficients, known)[..., 0, :])
        rows[i] = value if unitriangular else div(value, unsqueeze(a[..., i, i], -1))
    return stack(rows, -2)


def cholesky_solve(b: Any, factor: Any, upper: bool = False) -> Any:
    """X with A X = B where A = L L^T (U^T U with upper=True) and `factor` is L (U): two
    triangular solves, L Y = B then L^T X = Y.

    Only factor's lower (upper) triangle is read, so its gradient is zero above (below) the
    diagonal. PyTorch's formula gives a full matrix there (it differentiates (L L^T)^-1 B
    as if L were a full matrix); the triangles it reads agree."""
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} "
                           "dimensions instead")
    if factor.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {factor.ndim} "
                           "dimensions instead")
    if factor._shape[-1] != factor._shape[-2]:
        raise RuntimeError("A must be batches of square matrices, but they are "
                           f"{factor._shape[-2]} by {factor._shape[-1]} matrices")
    if factor._shape[-1] != b._shape[-2]:
        raise RuntimeError("Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{factor._shape[-1]} by {factor._shape[-1]} but each b matrix is "
                           f"{b._shape[-2]} by {b._shape[-1]}")
    factor, b = _check_triangular_operands("cholesky_solve", factor, b)
    lower = factor.transpose(-2, -1) if upper else factor
    middle = _substitute(lower, b, False, False)
    return autograd.named(_substitute(lower.transpose(-2, -1), middle, True, False),
                          "CholeskySolveBackward0")


class _Shape:  # a stand-in with a shape, for dispatch.broadcast
    def __init__(self, shape: tuple) -> None:
        self._shape = shape
