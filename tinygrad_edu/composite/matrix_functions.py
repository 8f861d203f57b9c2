"""Functions of square matrices, composed: slogdet logdet, matrix_power, multi_dot, inv_ex
solve_ex (batched).

slogdet reuses elimination.py's LU: det(A) = (-1)^swaps * prod(U[i, i]), so

    sign = (-1)^swaps * prod(sign(U[i, i]))      logabsdet = sum(log |U[i, i]|)

a sum of logs where det's product of pivots would overflow or underflow. matrix_power is
repeated squaring (A^13 = A^8 A^4 A: log2(n) squarings); multi_dot picks the order of the
products by the matrix-chain dynamic program, so (1000 x 2)(2 x 1000)(1000 x 2) costs two
small products, not a 1000 x 1000 one.
"""

from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dispatch
from tinygrad_edu.composite.arithmetic import add, mul
from tinygrad_edu.composite.elimination import _check_square, _eliminate, inv, solve
from tinygrad_edu.composite.logic import lt, where
from tinygrad_edu.composite.products import matmul
from tinygrad_edu.composite.reductions import prod, sum
from tinygrad_edu.composite.triangular import solve_triangular
from tinygrad_edu.movement import _to_device, cat, diagonal, expand, narrow, unsqueeze

SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
InvExResult = namedtuple("linalg_inv_ex", ["inverse", "info"])
SolveExResult = namedtuple("linalg_solve_ex", ["result", "info"])


def slogdet(a: Any) -> Any:
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet); a singular A gives (0, -inf).
    The gradient of logabsdet is A^-T (autograd's, through the elimination)."""
    _check_square("slogdet", a)
    if a._shape[-1] == 0:  # det of a 0 x 0 matrix: 1
        empty = diagonal(a, 0, -2, -1)
        return SlogdetResult(prod(empty, -1).detach(), sum(empty, -1))
    _, pivots, swaps = _eliminate(a)
    sign = mul(swaps, prod(pivots.detach().sign(), -1))
    logabsdet = sum(pivots.abs().log(), -1)
    return SlogdetResult(sign, autograd.named(logabsdet, "LinalgSlogdetBackward0"))


def logdet(a: Any) -> Any:
    """log(det(A)): logabsdet where det > 0, -inf where det = 0, nan where det < 0."""
    sign, logabsdet = slogdet(a)
    return where(lt(sign, 0), float("nan"), logabsdet)


def matrix_power(a: Any, n: int) -> Any:
    """A^n for an integer n: I for n = 0, inv(A)^-n for n < 0; by repeated squaring."""
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if a._shape[-1] != a._shape[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {a._shape[-2]} by {a._shape[-1]} matrices")
    if n == 0:
        eye = _to_device(np.eye(a._shape[-1], dtype=a.dtype.numpy), a)
        return add(expand(eye, a._shape), mul(a, 0))  # in A's graph, as PyTorch's (grad 0)
    if n < 0:
        a, n = inv(a), -n
    result = None
    square = a  # A^(2^i)
    while True:
        if n % 2:
            result = square if result is None else matmul(result, square)
        n //= 2
        if n == 0:
            return result
        square = matmul(square, square)


def multi_dot(tensors: Any) -> Any:
    """A_1 A_2 ... A_k in the cheapest order (the first may be a row vector, the last a
    column vector, both 1-d), the order found by the matrix-chain dynamic program:
    cost[i][j] = min over s of cost[i][s] + cost[s+1][j] + rows_i * cols_s * cols_j."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, tensor in enumerate(tensors):
        where_ = "first" if i == 0 else "last" if i == len(tensors) - 1 else None
        allowed = (1, 2) if where_ else (2,)
        if tensor.ndim not in allowed:
            which = f"the {where_} tensor must be 1D or 2D" if where_ else f"tensor {i} must be 2D"
            raise RuntimeError(f"multi_dot(): {which} but got {tensor.ndim}D")
        if tensor.dtype is not tensors[0].dtype:
            raise RuntimeError("multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {_name(tensors[0].dtype)} and tensor {i} "
                               f"{_name(tensor.dtype)}")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    matrices = list(tensors)
    if first_vector:
        matrices[0] = unsqueeze(matrices[0], 0)
    if last_vector:
        matrices[-1] = unsqueeze(matrices[-1], -1)
    for i in range(len(matrices) - 1):
        if matrices[i]._shape[1] != matrices[i + 1]._shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i]._shape)} and {list(tensors[i + 1]._shape)} "
                               "cannot be multiplied")
    sizes = [m._shape[0] for m in matrices] + [matrices[-1]._shape[1]]
    split = _chain_order(sizes)
    out = _multiply(matrices, split, 0, len(matrices) - 1)
    if first_vector:
        out = out[0]
    if last_vector:
        out = out[..., 0]
    return out


def _name(dtype: Any) -> str:
    return str(dtype).split(".")[-1].replace("float32", "float").replace("float64", "double")


def _chain_order(sizes: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (matrix k is
    sizes[k] x sizes[k + 1])."""
    count = len(sizes) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(2, count + 1):
        for i in range(count - length + 1):
            j = i + length - 1
            options = [(cost[i][s] + cost[s + 1][j] + sizes[i] * sizes[s + 1] * sizes[j + 1], s)
                       for s in range(i, j)]
            cost[i][j], split[i][j] = min(options)
    return split


def _multiply(matrices: list, split: list, i: int, j: int) -> Any:
    if i == j:
        return matrices[i]
    s = split[i][j]
    return matmul(_multiply(matrices, split, i, s), _multiply(matrices, split, s + 1, j))


def _info(pivots: Any) -> np.ndarray:
    """LAPACK's getrf info per batch element: 1 + the first zero pivot, 0 if none."""
    zero = pivots._storage.backend.to_numpy(pivots.detach()._strided()) == 0
    return np.where(zero.any(-1), np.argmax(zero, -1) + 1, 0).astype(np.int32)


def solve_ex(a: Any, b: Any, *, left: bool = True, check_errors: bool = False) -> Any:
    """(result, info): solve(A, B) and getrf's info (0, or k when U[k-1, k-1] is exactly
    0: then result holds inf / nan instead of an error; with check_errors, solve's error)."""
    _check_square("solve", a)
    if a._shape[-1] == 0:
        result = solve(a, b, left=left)
        return SolveExResult(result, _to_device(np.zeros(result._shape[:a.ndim - 2], np.int32),
                                                a))
    if not left:
        out = solve_ex(a.transpose(-2, -1), b.transpose(-2, -1), check_errors=check_errors)
        return SolveExResult(out.result.transpose(-2, -1), out.info)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b._shape[:-1] == a._shape[:-2])
    matrix_b = unsqueeze(b, -1) if vector else b
    if matrix_b._shape[-2] != a._shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({'x'.join(map(str, a._shape[-2:]))} and "
                           f"{'x'.join(map(str, matrix_b._shape[-2:]))})")
    batch = dispatch.broadcast("linalg.solve", _Shape(a._shape[:-2]),
                               _Shape(matrix_b._shape[:-2]))
    a = expand(a, batch + a._shape[-2:])
    matrix_b = expand(matrix_b.to(a.dtype), batch + matrix_b._shape[-2:])
    n = a._shape[-1]
    reduced, pivots, _ = _eliminate(cat([a, matrix_b], -1))  # [U | C]
    upper = narrow(reduced, -1, 0, n)
    result = solve_triangular(upper, narrow(reduced, -1, n, matrix_b._shape[-1]), upper=True)
    result = autograd.named(result[..., 0] if vector else result, "LinalgSolveExBackward0")
    info = _info(pivots)
    if check_errors:
        _raise_singular(info, "torch.linalg.solve_ex: {}The solver failed because the input "
                        "matrix is singular.")
    return SolveExResult(result, _to_device(info, a))


def _raise_singular(info: np.ndarray, message: str) -> None:
    """PyTorch's error (message with the batch element and the 1-based diagonal element
    filled in) for the first batch element whose info is not 0."""
    flat = info.reshape(-1)
    if flat.any():
        batch = int(np.argmax(flat != 0))
        where_ = f"(Batch element {batch}): " if info.ndim > 0 else ""
        raise RuntimeError(message.format(where_, int(flat[batch])))


def _eye_like(a: Any) -> Any:
    return _to_device(np.eye(a._shape[-1], dtype=a.dtype.numpy), a)


def inv_ex(a: Any, *, check_errors: bool = False) -> Any:
    """(inverse, info): inv(A) and getrf's info (0, or k when U[k-1, k-1] is exactly 0: then
    inverse holds inf / nan instead of an error; with check_errors, inv's error)."""
    _check_square("inv", a)
    result, info = solve_ex(a, expand(_eye_like(a), a._shape))
    if check_errors:
        _raise_singular(info._storage.backend.to_numpy(info._strided()),
                        "linalg.inv_ex: {}The diagonal element {} is zero, the inversion could "
                        "not be completed because the input matrix is singular.")
    return InvExResult(autograd.named(result, "LinalgInvExBackward0"), info)


class _Shape:  # a stand-in with a shape, for dispatch.broadcast
    def __init__(self, shape: tuple) -> None:
        self._shape = shape
