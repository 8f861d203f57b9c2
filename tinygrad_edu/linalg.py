"""torch.linalg's names for what tinygrad_edu computes: cross, vector_norm, matrix_norm,
norm, vecdot, matmul, diagonal, multi_dot, matrix_power; det, slogdet, solve, inv (and the
_ex forms) by Gaussian elimination with partial pivoting (composite/elimination.py);
cholesky, solve_triangular (composite/triangular.py); qr, householder_product, lstsq by
Householder reflections (composite/householder.py); eigh, eigvalsh by the cyclic Jacobi
method (composite/eigen.py); svd, svdvals, matrix_rank by one-sided Jacobi (composite/
svd.py). All composed of tensor ops, so autograd differentiates them.

Not here: eig (non-symmetric), pinv, matrix_exp and the matrix norms ord = 2, -2, 'nuc';
the backend has no LAPACK kernel.
"""

import builtins
from typing import Any

from tinygrad_edu import composite as C
from tinygrad_edu import dtypes
from tinygrad_edu.composite.eigen import eigh, eigvalsh
from tinygrad_edu.composite.elimination import det, inv, solve
from tinygrad_edu.composite.householder import householder_product, lstsq, qr
from tinygrad_edu.composite.linalg import linalg_cross as cross
from tinygrad_edu.composite.matrix_functions import (
    inv_ex,
    matrix_power,
    multi_dot,
    slogdet,
    solve_ex,
)
from tinygrad_edu.composite.svd import matrix_rank, svd, svdvals
from tinygrad_edu.composite.triangular import cholesky, cholesky_ex, solve_triangular
from tinygrad_edu.movement import diagonal as _diagonal
from tinygrad_edu.tensor import _axis

matmul = C.matmul

__all__ = ["cholesky", "cholesky_ex", "cross", "det", "diagonal", "eigh", "eigvalsh",
           "householder_product", "inv", "inv_ex", "lstsq", "matmul", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "qr", "slogdet", "solve",
           "solve_ex", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm"]


def _check_floating(name: str, x: Any) -> None:
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {dtypes.scalar_type_name(x.dtype)}")


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Any:
    """(sum |x|^ord)^(1/ord) over dim (all elements by default); ord inf / -inf: the
    largest / smallest |x|; ord 0: the count of non-zeros"""
    _check_floating("vector_norm", x)
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    return C.norm(x, ord, dim, keepdim)


def matrix_norm(x: Any, ord: Any = "fro", dim: tuple = (-2, -1),  # noqa: A002
                keepdim: bool = False, *, dtype: Any = None) -> Any:
    """The norm of the matrices in dims `dim`: 'fro' sqrt(sum x^2); 1 / -1 the largest /
    smallest column sum of |x|; inf / -inf the largest / smallest row sum."""
    _check_floating("matrix_norm", x)
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    if x.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    rows, columns = (_axis(d, x.ndim) for d in dim)
    if ord == "fro":
        return C.norm(x, 2, (rows, columns), keepdim)
    if ord in (1, -1, builtins.float("inf"), builtins.float("-inf")):
        summed, other = (rows, columns) if ord in (1, -1) else (columns, rows)
        sums = C.sum(x.abs(), summed, keepdim=True)
        pick = C.amax if ord in (1, builtins.float("inf")) else C.amin
        out = pick(sums, other, keepdim=True)
        return out if keepdim else out.squeeze((rows, columns))
    raise RuntimeError(f"linalg.matrix_norm: ord={ord!r} needs singular values, which "
                       "tinygrad_edu does not compute (use 'fro', 1, -1, inf or -inf)")


def norm(x: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: Any = None) -> Any:
    """vector_norm, or matrix_norm when dim names two dims (or x is 2-d, ord is given and
    dim is None), as torch.linalg.norm chooses"""
    two_dims = (dim is not None and not isinstance(dim, builtins.int) and len(dim) == 2) or (
        dim is None and ord is not None and x.ndim == 2)
    if two_dims:
        return matrix_norm(x, "fro" if ord is None else ord, (-2, -1) if dim is None else dim,
                           keepdim, dtype=dtype)
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Any:
    """sum(x * y) along dim (x and y broadcast)"""
    return C.sum(C.mul(x, y), dim)


def diagonal(x: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """x's diagonals over the last two dims by default (torch.diagonal's are 0 and 1)"""
    return _diagonal(x, offset, dim1, dim2)
