"""The CPU backend: the backend interface (kernels/backend.py) over Numba kernels.

This class only chooses a kernel and unpacks `Strided` views into flat arrays plus int64
shape/stride arrays; the loops live in `elementwise.py`, `reduce.py`, `matmul.py` and
`indexing.py`. Buffers are flat NumPy arrays.
"""

from functools import lru_cache
from typing import Any

import numpy as np

from kernels import ops
from kernels.cpu import elementwise, indexing, matmul, reduce
from kernels.reference import ReferenceBackend
from kernels.strided import Buffer, Strided, broadcast_strides, contiguous_strides, numel

PARALLEL_THRESHOLD = elementwise.PARALLEL_THRESHOLD


@lru_cache(maxsize=4096)
def _c_strides(shape: tuple) -> tuple:
    return contiguous_strides(shape)


@lru_cache(maxsize=4096)
def _int64(values: tuple) -> np.ndarray:
    """A tuple of ints as a read-only int64 array (cached: shapes repeat every step)."""
    array = np.array(values, dtype=np.int64)
    array.flags.writeable = False
    return array


def _flat(x: Strided) -> np.ndarray | None:
    """The flat slice of x's buffer when x is contiguous, else None."""
    if x.strides == _c_strides(x.shape):
        return x.buffer[x.offset:x.offset + numel(x.shape)]
    return None


def numpy_view(x: Strided) -> np.ndarray:
    """A NumPy array of shape x.shape that aliases x's buffer (no copy)."""
    buffer = x.buffer
    itemsize = buffer.dtype.itemsize
    if numel(x.shape) == 0:
        return np.empty(x.shape, dtype=buffer.dtype)
    return np.ndarray(x.shape, dtype=buffer.dtype, buffer=buffer, offset=x.offset * itemsize,
                      strides=tuple(s * itemsize for s in x.strides))


_HALF = np.dtype(np.float16)


def _half(*views: Strided) -> bool:
    """True when any view is float16, which Numba cannot compile: NumPy computes those."""
    for view in views:
        if view.buffer.dtype == _HALF:
            return True
    return False


class CPUBackend:
    """Numba kernels on NumPy buffers. `matmul_kernel` picks "blas", "tiled" or "naive".

    float16 tensors are computed by the NumPy reference backend: Numba has no float16 on the
    CPU (PyTorch's CPU float16 support is also partial).
    """

    name = "cpu"

    def __init__(self) -> None:
        self.matmul_kernel = "blas"
        self._numpy = ReferenceBackend()

    # ---- allocation and transfers
    def empty(self, size: int, dtype: np.dtype) -> Buffer:
        return np.empty(size, dtype=dtype)

    def full(self, size: int, value: Any, dtype: np.dtype) -> Buffer:
        return np.full(size, value, dtype=dtype)

    def from_numpy(self, array: np.ndarray) -> Buffer:
        return np.ascontiguousarray(array).reshape(-1)

    def to_numpy(self, x: Strided) -> np.ndarray:
        return numpy_view(x)

    # ---- elementwise
    def map(self, op: int, x: Strided, out: Strided) -> None:
        n = numel(out.shape)
        if n == 0:
            return
        if _half(x, out):
            return self._numpy.map(op, x, out)
        x_flat = _flat(x) if x.shape == out.shape else None
        out_flat = _flat(out)
        if x_flat is not None and out_flat is not None:
            if n >= PARALLEL_THRESHOLD:
                elementwise.map_contiguous_parallel(op, x_flat, out_flat)
            else:
                elementwise.map_contiguous(op, x_flat, out_flat)
            return
        shape = _int64(out.shape)
        x_strides = _int64(broadcast_strides(x.shape, x.strides, out.shape))
        kernel = elementwise.map_strided
        if n >= PARALLEL_THRESHOLD and len(out.shape) > 0:
            kernel = elementwise.map_strided_parallel
        kernel(op, x.buffer, x_strides, x.offset, out.buffer, _int64(out.strides), out.offset,
               shape)

    def zip(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        n = numel(out.shape)
        if n == 0:
            return
        if _half(a, b, out):
            return self._numpy.zip(op, a, b, out)
        out_flat = _flat(out)
        if out_flat is not None:
            a_flat = _flat(a) if a.shape == out.shape else None
            b_flat = _flat(b) if b.shape == out.shape else None
            if a_flat is not None and b_flat is not None:
                if n >= PARALLEL_THRESHOLD:
                    elementwise.zip_contiguous_parallel(op, a_flat, b_flat, out_flat)
                else:
                    elementwise.zip_contiguous(op, a_flat, b_flat, out_flat)
                return
            if a_flat is not None and numel(b.shape) == 1:
                elementwise.zip_scalar(op, a_flat, b.buffer[b.offset], out_flat, False)
                return
            if b_flat is not None and numel(a.shape) == 1:
                elementwise.zip_scalar(op, b_flat, a.buffer[a.offset], out_flat, True)
                return
        shape = _int64(out.shape)
        a_strides = _int64(broadcast_strides(a.shape, a.strides, out.shape))
        b_strides = _int64(broadcast_strides(b.shape, b.strides, out.shape))
        kernel = elementwise.zip_strided
        if n >= PARALLEL_THRESHOLD and len(out.shape) > 0:
            kernel = elementwise.zip_strided_parallel
        kernel(op, a.buffer, a_strides, a.offset, b.buffer, b_strides, b.offset,
               out.buffer, _int64(out.strides), out.offset, shape)

    def where(self, condition: Strided, a: Strided, b: Strided, out: Strided) -> None:
        if numel(out.shape) == 0:
            return
        if _half(condition, a, b, out):
            return self._numpy.where(condition, a, b, out)
        shape = out.shape
        elementwise.where_strided(
            condition.buffer, _int64(broadcast_strides(condition.shape, condition.strides, shape)),
            condition.offset,
            a.buffer, _int64(broadcast_strides(a.shape, a.strides, shape)), a.offset,
            b.buffer, _int64(broadcast_strides(b.shape, b.strides, shape)), b.offset,
            out.buffer, _int64(out.strides), out.offset, _int64(shape))

    def copy(self, source: Strided, out: Strided) -> None:
        self.map(ops.IDENTITY, source, out)

    # ---- reductions
    def reduce(self, op: int, x: Strided, axes: tuple[int, ...], dtype: np.dtype) -> Buffer:
        if _half(x) or np.dtype(dtype) == _HALF:
            return self._numpy.reduce(op, x, axes, dtype)
        kept = [k for k in range(len(x.shape)) if k not in axes]
        out = np.empty(numel(tuple(x.shape[k] for k in kept)), dtype=dtype)
        if out.size == 0:
            return out
        if op == ops.SUM and axes == (0,) and len(x.shape) == 2 and _flat(x) is not None:
            reduce.sum_rows_contiguous(_flat(x), x.shape[0], x.shape[1], out)
            return out
        if np.issubdtype(x.buffer.dtype, np.floating):
            initial = np.float64(1.0 if op == ops.PROD else 0.0)
        else:
            initial = np.int64(1 if op == ops.PROD else 0)
        kernel = reduce.reduce_strided_parallel if out.size >= 64 and numel(x.shape) >= \
            PARALLEL_THRESHOLD else reduce.reduce_strided
        kernel(op, x.buffer,
               _int64(tuple(x.shape[k] for k in kept)), _int64(tuple(x.strides[k] for k in kept)),
               _int64(tuple(x.shape[k] for k in axes)), _int64(tuple(x.strides[k] for k in axes)),
               x.offset, initial, out)
        return out

    def arg_reduce(self, op: int, x: Strided, axis: int) -> Buffer:
        if _half(x):
            return self._numpy.arg_reduce(op, x, axis)
        kept = [k for k in range(len(x.shape)) if k != axis]
        out = np.empty(numel(tuple(x.shape[k] for k in kept)), dtype=np.int64)
        if out.size == 0:
            return out
        reduce.arg_reduce_strided(
            op, x.buffer, _int64(tuple(x.shape[k] for k in kept)),
            _int64(tuple(x.strides[k] for k in kept)), x.shape[axis], x.strides[axis], x.offset,
            out)
        return out

    # ---- matrix multiply
    def matmul(self, a: Strided, b: Strided, dtype: np.dtype) -> Buffer:
        if _half(a, b):
            return self._numpy.matmul(a, b, dtype)
        *batch, n, k = a.shape
        m = b.shape[-1]
        n_batch = numel(tuple(batch))
        out = np.empty(n_batch * n * m, dtype=dtype)
        if out.size == 0:
            return out
        if k == 0:
            out[:] = 0
            return out
        a_view = numpy_view(a)
        b_view = numpy_view(b)
        use_blas = (self.matmul_kernel == "blas" and a_view.dtype == b_view.dtype == dtype
                    and dtype in (np.float32, np.float64))
        if use_blas and not batch:
            matmul.matmul_blas_2d(_blas_ready(a_view), _blas_ready(b_view), out.reshape(n, m))
            return out
        a3 = np.ascontiguousarray(a_view.reshape(n_batch, n, k))
        b3 = np.ascontiguousarray(b_view.reshape(n_batch, k, m))
        out3 = out.reshape(n_batch, n, m)
        if use_blas:
            matmul.matmul_blas(a3, b3, out3)
        elif self.matmul_kernel == "naive":
            matmul.matmul_naive(a3, b3, out3)
        else:
            matmul.matmul_tiled(a3, b3, out3)
        return out

    # ---- indexing
    def take(self, buffer: Buffer, positions: Strided, dtype: np.dtype) -> Buffer:
        flat_positions = _contiguous_copy(positions)
        out = np.empty(flat_positions.shape[0], dtype=dtype)
        indexing.take(buffer, flat_positions, out)
        return out

    def index_add(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        flat_positions = _contiguous_copy(positions)
        source_flat = _contiguous_copy(source, positions.shape)
        indexing.index_add(buffer, flat_positions, source_flat)

    def index_put(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        flat_positions = _contiguous_copy(positions)
        source_flat = _contiguous_copy(source, positions.shape).astype(buffer.dtype, copy=False)
        indexing.index_put(buffer, flat_positions, source_flat)


def _blas_ready(view: np.ndarray) -> np.ndarray:
    """A 2-d view as BLAS takes it: C- or Fortran-contiguous (a transpose is free), else a copy."""
    if view.flags.c_contiguous or view.flags.f_contiguous:
        return view
    return np.ascontiguousarray(view)


def _contiguous_copy(x: Strided, shape: tuple | None = None) -> np.ndarray:
    """x (broadcast to `shape` if given) as a flat contiguous array; no copy when it already is."""
    if shape is None or tuple(shape) == tuple(x.shape):
        flat = _flat(x)
        if flat is not None:
            return flat
        return np.ascontiguousarray(numpy_view(x)).reshape(-1)
    return np.ascontiguousarray(np.broadcast_to(numpy_view(x), shape)).reshape(-1)
