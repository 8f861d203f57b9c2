"""The reference backend: every primitive written with NumPy, as plainly as possible.

This is the living definition of what each kernel computes, and the oracle the tests
compare the Numba and CUDA backends against. It is slow where NumPy is slow and that is
fine: clarity first. Buffers are flat NumPy arrays, as in the CPU backend.
"""

from typing import Any

import numpy as np

from kernels import ops, scalar_math
from kernels.strided import Buffer, Strided, numel


def view(x: Strided) -> np.ndarray:
    """x as a NumPy array of shape x.shape aliasing the buffer (strides in bytes for NumPy)."""
    if numel(x.shape) == 0:
        return np.empty(x.shape, dtype=x.buffer.dtype)
    itemsize = x.buffer.dtype.itemsize
    return np.ndarray(x.shape, dtype=x.buffer.dtype, buffer=x.buffer, offset=x.offset * itemsize,
                      strides=tuple(s * itemsize for s in x.strides))


def _elementwise(function, *arrays: np.ndarray) -> np.ndarray:
    """Apply a scalar_math function element by element (broadcasting), as float64 or int64."""
    vectorized = np.vectorize(function, otypes=[np.float64])
    if any(a.size == 0 for a in arrays):
        return np.zeros(np.broadcast_shapes(*(a.shape for a in arrays)))
    return vectorized(*[a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays])


UNARY = {
    ops.IDENTITY: lambda x: x,
    ops.NEG: np.negative,
    ops.ABS: np.abs,
    ops.EXP: np.exp,
    ops.LOG: np.log,
    ops.LOG1P: np.log1p,
    ops.SQRT: np.sqrt,
    ops.RSQRT: lambda x: 1.0 / np.sqrt(x),
    ops.SIN: np.sin,
    ops.COS: np.cos,
    ops.TANH: np.tanh,
    ops.SIGMOID: lambda x: np.exp(-np.logaddexp(0, -x.astype(np.float64))),
    ops.RELU: lambda x: np.where(x > 0, x, 0 * x),
    ops.SIGN: np.sign,
    ops.RECIPROCAL: lambda x: 1.0 / x,
    ops.LOGICAL_NOT: np.logical_not,
}

BINARY = {
    ops.ADD: np.add,
    ops.SUB: np.subtract,
    ops.MUL: np.multiply,
    ops.DIV: lambda a, b: np.true_divide(a, b),
    ops.POW: lambda a, b: _elementwise(scalar_math.power, a, b),
    ops.MAXIMUM: np.maximum,
    ops.MINIMUM: np.minimum,
    ops.EQ: np.equal,
    ops.NE: np.not_equal,
    ops.LT: np.less,
    ops.LE: np.less_equal,
    ops.GT: np.greater,
    ops.GE: np.greater_equal,
    ops.FLOOR_DIVIDE: np.floor_divide,
    ops.REMAINDER: np.remainder,
    ops.LOGICAL_AND: np.logical_and,
    ops.LOGICAL_OR: np.logical_or,
    ops.EXP_BACK: lambda y, g: g * y,
    ops.LOG_BACK: lambda x, g: g / x,
    ops.LOG1P_BACK: lambda x, g: g / (1 + x),
    ops.SQRT_BACK: lambda y, g: g / (2 * y),
    ops.RSQRT_BACK: lambda y, g: -0.5 * g * y * y * y,
    ops.SIN_BACK: lambda x, g: g * np.cos(x),
    ops.COS_BACK: lambda x, g: -g * np.sin(x),
    ops.TANH_BACK: lambda y, g: g * (1 - y * y),
    ops.SIGMOID_BACK: lambda y, g: g * y * (1 - y),
    ops.RELU_BACK: lambda x, g: np.where(x > 0, g, 0 * g),
    ops.ABS_BACK: lambda x, g: g * np.sign(x),
    ops.RECIPROCAL_BACK: lambda y, g: -g * y * y,
    ops.POW_BACK_BASE: lambda a, b: _elementwise(scalar_math.power_back_base, a, b),
    ops.POW_BACK_EXPONENT: lambda a, y: _elementwise(scalar_math.power_back_exponent, a, y),
}

REDUCE = {ops.SUM: np.sum, ops.PROD: np.prod, ops.MAX: np.max, ops.MIN: np.min}


class ReferenceBackend:
    """The backend interface in NumPy (see kernels/backend.py)."""

    name = "reference"

    def empty(self, size: int, dtype: np.dtype) -> Buffer:
        return np.empty(size, dtype=dtype)

    def full(self, size: int, value: Any, dtype: np.dtype) -> Buffer:
        return np.full(size, value, dtype=dtype)

    def from_numpy(self, array: np.ndarray) -> Buffer:
        return np.ascontiguousarray(array).reshape(-1)

    def to_numpy(self, x: Strided) -> np.ndarray:
        return view(x)

    def map(self, op: int, x: Strided, out: Strided) -> None:
        with np.errstate(all="ignore"):
            result = UNARY[op](view(x))
        view(out)[...] = np.broadcast_to(result, out.shape)

    def zip(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        with np.errstate(all="ignore"):
            result = BINARY[op](view(a), view(b))
        view(out)[...] = np.broadcast_to(result, out.shape)

    def where(self, condition: Strided, a: Strided, b: Strided, out: Strided) -> None:
        view(out)[...] = np.where(view(condition), view(a), view(b))

    def copy(self, source: Strided, out: Strided) -> None:
        view(out)[...] = np.broadcast_to(view(source), out.shape)

    def reduce(self, op: int, x: Strided, axes: tuple[int, ...], dtype: np.dtype) -> Buffer:
        result = REDUCE[op](view(x), axis=tuple(axes))
        return np.ascontiguousarray(result, dtype=dtype).reshape(-1)

    def arg_reduce(self, op: int, x: Strided, axis: int) -> Buffer:
        function = np.argmax if op == ops.ARGMAX else np.argmin
        return np.ascontiguousarray(function(view(x), axis=axis), dtype=np.int64).reshape(-1)

    def matmul(self, a: Strided, b: Strided, dtype: np.dtype) -> Buffer:
        return np.ascontiguousarray(np.matmul(view(a), view(b)), dtype=dtype).reshape(-1)

    def take(self, buffer: Buffer, positions: Strided, dtype: np.dtype) -> Buffer:
        return np.ascontiguousarray(buffer[view(positions)], dtype=dtype).reshape(-1)

    def index_add(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        np.add.at(buffer, view(positions).reshape(-1),
                  np.broadcast_to(view(source), positions.shape).reshape(-1))

    def index_put(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        buffer[view(positions).reshape(-1)] = np.broadcast_to(view(source),
                                                              positions.shape).reshape(-1)
