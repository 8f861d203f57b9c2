"""The CPU backend: the backend interface (kernels/backend.py) over Numba kernels.

This class only chooses a kernel and unpacks `Strided` views into flat arrays plus int64
shape/stride arrays; the loops live in `elementwise.py`, `reduce.py`, `matmul.py`,
`indexing.py`, `conv.py`, `optim.py`, `loss.py` and `sort.py`. Buffers are flat NumPy arrays.
"""

from functools import lru_cache
from math import prod  # the element count of a shape (kernels.strided.numel, at C speed)
from typing import Any

import numpy as np

from kernels import ops
from kernels.backend import linear_by_parts, linear_grad_weight_by_parts
from kernels.cpu import conv, elementwise, indexing, loss, matmul, optim, reduce, sort
from kernels.cpu.blas_threads import BlasThreads
from kernels.reference import ReferenceBackend
from kernels.strided import Buffer, Strided, broadcast_strides, contiguous_strides

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
        buffer = x.buffer
        size = prod(x.shape)
        if x.offset == 0 and buffer.shape[0] == size:
            return buffer  # the common case: a whole fresh buffer, no slice needed
        return buffer[x.offset:x.offset + size]
    return None


def collapse(shape: tuple, *strides_list: tuple) -> tuple:
    """Merge neighbouring dims that every operand walks as one: fewer rows, longer inner loops.

    Dims k and k+1 merge when, for each operand, stride[k] == stride[k+1] * shape[k+1]. E.g. a
    (64, 32, 24, 24) tensor plus a (1, 32, 1, 1) bias: the last two dims merge, so the kernel
    runs 64*32 rows of 576 instead of 64*32*24 rows of 24. Size-1 dims are dropped.
    Returns (shape, strides_0, strides_1, ...) as tuples.
    """
    kept = [k for k, size in enumerate(shape) if size != 1]
    new_shape = [shape[k] for k in kept]
    new_strides = [[strides[k] for k in kept] for strides in strides_list]
    k = len(new_shape) - 2
    while k >= 0:
        if all(s[k] == s[k + 1] * new_shape[k + 1] for s in new_strides):
            new_shape[k] *= new_shape[k + 1]
            del new_shape[k + 1]
            for s in new_strides:
                s[k] = s[k + 1]
                del s[k + 1]
        k -= 1
    return (tuple(new_shape),) + tuple(tuple(s) for s in new_strides)


# ---- per-geometry plans: a training step meets the same few shapes every step, so the index
# bookkeeping of a strided kernel call (broadcast, collapse, int64 arrays) is worked out once
# per geometry and then looked up. Each plan is the kernel's (shape, strides...) arguments.


@lru_cache(maxsize=4096)
def _elementwise_plan(out_shape: tuple, out_strides: tuple, *views: tuple) -> tuple:
    """(shape, strides of each view..., out strides, rows) for the strided map/zip kernels:
    int64 arrays, collapsed; `views` are (shape, strides) pairs of the inputs, broadcast to
    out_shape. `rows` is (n_rows, n_cols, row stride of each view..., of out) when the
    collapsed view is 2-d with every row contiguous (zip_rows' case), else None."""
    input_strides = [broadcast_strides(shape, strides, out_shape) for shape, strides in views]
    shape, *strides_list = collapse(out_shape, *input_strides, out_strides)
    rows = None
    if len(shape) == 2 and all(strides[1] == 1 for strides in strides_list):
        rows = shape + tuple(strides[0] for strides in strides_list)
    return (_int64(shape),) + tuple(_int64(strides) for strides in strides_list) + (rows,)


@lru_cache(maxsize=4096)
def _reduce_plan(shape: tuple, strides: tuple, axes: tuple) -> tuple:
    """(output size, kept shape, kept strides, reduced shape, reduced strides) for
    reduce_strided, the last four as int64 arrays (each group of axes collapsed)."""
    kept = [k for k in range(len(shape)) if k not in axes]
    kept_shape, kept_strides = collapse(tuple(shape[k] for k in kept),
                                        tuple(strides[k] for k in kept))
    reduced_shape, reduced_strides = collapse(tuple(shape[k] for k in axes),
                                              tuple(strides[k] for k in axes))
    size = prod(tuple(shape[k] for k in kept))
    return (size, _int64(kept_shape), _int64(kept_strides), _int64(reduced_shape),
            _int64(reduced_strides))


def numpy_view(x: Strided) -> np.ndarray:
    """A NumPy array of shape x.shape that aliases x's buffer (no copy)."""
    buffer = x.buffer
    itemsize = buffer.dtype.itemsize
    if prod(x.shape) == 0:
        return np.empty(x.shape, dtype=buffer.dtype)
    return np.ndarray(x.shape, dtype=buffer.dtype, buffer=buffer, offset=x.offset * itemsize,
                      strides=tuple(s * itemsize for s in x.strides))


_HALF = np.dtype(np.float16)
_ROW_OPS = (ops.ADD, ops.SUB, ops.MUL)  # the ops elementwise.zip_rows has loops for


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
        self.blas_threads = BlasThreads()
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
        n = prod(out.shape)
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
        shape, x_strides, out_strides, _ = _elementwise_plan(out.shape, out.strides,
                                                             (x.shape, x.strides))
        kernel = elementwise.map_strided
        if n >= PARALLEL_THRESHOLD and len(shape) > 0:
            kernel = elementwise.map_strided_parallel
        kernel(op, x.buffer, x_strides, x.offset, out.buffer, out_strides, out.offset, shape)

    def zip(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        n = prod(out.shape)
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
            if a_flat is not None and prod(b.shape) == 1:
                elementwise.zip_scalar(op, a_flat, b.buffer[b.offset], out_flat, False)
                return
            if b_flat is not None and prod(a.shape) == 1:
                elementwise.zip_scalar(op, b_flat, a.buffer[a.offset], out_flat, True)
                return
        shape, a_strides, b_strides, out_strides, rows = _elementwise_plan(
            out.shape, out.strides, (a.shape, a.strides), (b.shape, b.strides))
        if rows is not None and op in _ROW_OPS and n < PARALLEL_THRESHOLD:
            n_rows, n_cols, a_row, b_row, out_row = rows
            elementwise.zip_rows(op, a.buffer, a.offset, a_row, b.buffer, b.offset, b_row,
                                 out.buffer, out.offset, out_row, n_rows, n_cols)
            return
        kernel = elementwise.zip_strided
        if n >= PARALLEL_THRESHOLD and len(shape) > 0:
            kernel = elementwise.zip_strided_parallel
        kernel(op, a.buffer, a_strides, a.offset, b.buffer, b_strides, b.offset,
               out.buffer, out_strides, out.offset, shape)

    def where(self, condition: Strided, a: Strided, b: Strided, out: Strided) -> None:
        if prod(out.shape) == 0:
            return
        if _half(condition, a, b, out):
            return self._numpy.where(condition, a, b, out)
        if condition.shape == a.shape == b.shape == out.shape:
            flats = [_flat(view) for view in (condition, a, b, out)]
            if all(flat is not None for flat in flats):
                elementwise.where_contiguous(*flats)
                return
        shape, c_strides, a_strides, b_strides, out_strides, _ = _elementwise_plan(
            out.shape, out.strides, (condition.shape, condition.strides), (a.shape, a.strides),
            (b.shape, b.strides))
        elementwise.where_strided(condition.buffer, c_strides, condition.offset,
                                  a.buffer, a_strides, a.offset, b.buffer, b_strides, b.offset,
                                  out.buffer, out_strides, out.offset, shape)

    def bitwise(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        if prod(out.shape) == 0:
            return
        shape = out.shape
        elementwise.bitwise_strided(
            op, a.buffer, _int64(broadcast_strides(a.shape, a.strides, shape)), a.offset,
            b.buffer, _int64(broadcast_strides(b.shape, b.strides, shape)), b.offset,
            out.buffer, _int64(out.strides), out.offset, _int64(shape))

    def copy(self, source: Strided, out: Strided) -> None:
        self.map(ops.IDENTITY, source, out)

    # ---- reductions
    def reduce(self, op: int, x: Strided, axes: tuple[int, ...], dtype: np.dtype) -> Buffer:
        if _half(x) or np.dtype(dtype) == _HALF:
            return self._numpy.reduce(op, x, axes, dtype)
        size, kept_shape, kept_strides, reduced_shape, reduced_strides = _reduce_plan(
            x.shape, x.strides, axes)
        out = np.empty(size, dtype=dtype)
        if size == 0:
            return out
        floating = x.buffer.dtype.kind == "f"
        if floating and len(x.shape) == 2 and _flat(x) is not None:
            if op == ops.SUM and axes == (0,):
                reduce.sum_rows_contiguous(_flat(x), x.shape[0], x.shape[1], out)
                return out
            if axes == (1,) and x.shape[1] > 0:  # one result per row: softmax's max, sum
                reduce.reduce_last_contiguous(op, _flat(x), x.shape[0], x.shape[1], out)
                return out
        if floating:
            initial = np.float64(1.0 if op == ops.PROD else 0.0)
        else:
            initial = np.int64(1 if op == ops.PROD else 0)
        kernel = reduce.reduce_strided_parallel if size >= 64 and prod(x.shape) >= \
            PARALLEL_THRESHOLD else reduce.reduce_strided
        kernel(op, x.buffer, kept_shape, kept_strides, reduced_shape, reduced_strides,
               x.offset, initial, out)
        return out

    def arg_reduce(self, op: int, x: Strided, axis: int) -> Buffer:
        if _half(x):
            return self._numpy.arg_reduce(op, x, axis)
        kept = [k for k in range(len(x.shape)) if k != axis]
        out = np.empty(prod(tuple(x.shape[k] for k in kept)), dtype=np.int64)
        if out.size == 0:
            return out
        reduce.arg_reduce_strided(
            op, x.buffer, _int64(tuple(x.shape[k] for k in kept)),
            _int64(tuple(x.strides[k] for k in kept)), x.shape[axis], x.strides[axis], x.offset,
            out)
        return out

    def argsort(self, x: Strided, axis: int, descending: bool) -> Buffer:
        """Stable argsort along axis (kernels/cpu/sort.py): a contiguous int64 buffer of
        x.shape."""
        if _half(x):
            return self._numpy.argsort(x, axis, descending)
        if not x.shape:  # a 0-d tensor: one row of one
            x = Strided(x.buffer, (1,), (0,), x.offset)
        axis %= len(x.shape)
        out = np.empty(prod(x.shape), dtype=np.int64)
        if out.size == 0:
            return out
        kept = [k for k in range(len(x.shape)) if k != axis]
        out_strides = _c_strides(x.shape)
        sort.argsort_strided(
            x.buffer, _int64(tuple(x.shape[k] for k in kept)),
            _int64(tuple(x.strides[k] for k in kept)), x.offset, x.shape[axis],
            x.strides[axis], _int64(tuple(out_strides[k] for k in kept)), out_strides[axis],
            bool(descending), out)
        return out

    # ---- matrix multiply
    def matmul(self, a: Strided, b: Strided, dtype: np.dtype) -> Buffer:
        if _half(a, b):
            return self._numpy.matmul(a, b, dtype)
        *batch, n, k = a.shape
        m = b.shape[-1]
        n_batch = prod(tuple(batch))
        out = np.empty(n_batch * n * m, dtype=dtype)
        if out.size == 0:
            return out
        if k == 0:
            out[:] = 0
            return out
        use_blas = (self.matmul_kernel == "blas" and a.buffer.dtype == b.buffer.dtype == dtype
                    and dtype in (np.float32, np.float64))
        if use_blas and not batch:
            parts = self.blas_threads.matmul(n * k * m, n)
            if parts > 1:  # blocks of a's rows in parallel: a must be row-major to slice
                matmul.matmul_blas_2d_parts(_row_major(a), _blas_matrix(b), out.reshape(n, m),
                                            parts)
            else:
                matmul.matmul_blas_2d(_blas_matrix(a), _blas_matrix(b), out.reshape(n, m))
            return out
        if use_blas:  # a batch of products: BLAS unsplit, all cores for large ones
            self.blas_threads.serial(n_batch * n * k * m)
        a_view = numpy_view(a)
        b_view = numpy_view(b)
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

    def linear(self, x: Strided, weight: Strided, bias: Strided | None,
               relu: bool = False) -> Buffer:
        dtype = x.buffer.dtype
        (n, k), m = x.shape, weight.shape[0]
        if not self._blas_linear(dtype, n * m * k):
            return linear_by_parts(self, x, weight, bias, relu)
        out = np.empty(n * m, dtype=dtype)
        bias_array = out[:0] if bias is None else _flat(bias)
        if bias_array is None:  # a strided bias (rare): a contiguous copy
            bias_array = _contiguous_copy(bias)
        # in parallel: blocks of the rows of the larger operand, x's or weight's
        parts = self.blas_threads.matmul(n * m * k, max(n, m))
        if parts > 1 and m > n:
            matmul.linear_blas_column_parts(_blas_matrix(x), _row_major(weight), bias_array,
                                            out.reshape(n, m), relu, parts)
        elif parts > 1:
            matmul.linear_blas_parts(_row_major(x), _blas_matrix(weight).T, bias_array,
                                     out.reshape(n, m), relu, parts)
        else:
            matmul.linear_blas(_blas_matrix(x), _blas_matrix(weight).T, bias_array,
                               out.reshape(n, m), relu)
        return out

    def linear_grad_weight(self, grad: Strided, x: Strided, with_bias: bool) -> tuple:
        dtype = grad.buffer.dtype
        (n, m), k = grad.shape, x.shape[1]
        if not self._blas_linear(dtype, n * m * k):
            return linear_grad_weight_by_parts(self, grad, x, with_bias)
        grad_weight = np.empty((m, k), dtype=dtype)
        grad_bias = np.empty(m if with_bias else 0, dtype=dtype)
        parts = self.blas_threads.matmul(n * m * k, m)
        if parts > 1:  # blocks of grad_weight's rows in parallel
            matmul.linear_grad_weight_blas_parts(_blas_matrix(grad), _blas_matrix(x),
                                                 grad_weight, grad_bias, parts)
        else:
            matmul.linear_grad_weight_blas(_blas_matrix(grad), _blas_matrix(x), grad_weight,
                                           grad_bias)
        return grad_weight.reshape(-1), grad_bias if with_bias else None

    def _blas_linear(self, dtype: np.dtype, flops: int) -> bool:
        """Whether linear's fused BLAS kernels apply (float32/64, no empty dim: flops > 0)."""
        return self.matmul_kernel == "blas" and dtype in (np.float32, np.float64) and flops > 0

    # ---- indexing
    def take(self, buffer: Buffer, positions: Strided, dtype: np.dtype) -> Buffer:
        if buffer.dtype == _HALF or np.dtype(dtype) == _HALF:
            return self._numpy.take(buffer, positions, dtype)
        flat_positions = _contiguous_copy(positions)
        out = np.empty(flat_positions.shape[0], dtype=dtype)
        indexing.take(buffer, flat_positions, out)
        return out

    def index_add(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        if buffer.dtype == _HALF or _half(source):
            return self._numpy.index_add(buffer, positions, source)
        flat_positions = _contiguous_copy(positions)
        source_flat = _contiguous_copy(source, positions.shape)
        indexing.index_add(buffer, flat_positions, source_flat)

    def index_put(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        if buffer.dtype == _HALF or _half(source):
            return self._numpy.index_put(buffer, positions, source)
        flat_positions = _contiguous_copy(positions)
        source_flat = _contiguous_copy(source, positions.shape).astype(buffer.dtype, copy=False)
        indexing.index_put(buffer, flat_positions, source_flat)

    # ---- cross entropy of logits (N, C) and class indices (N,), fused (kernels/cpu/loss.py)
    def cross_entropy_forward(self, x: Strided, target: Strided, reduction: str,
                              ignore_index: int, smoothing: float) -> tuple:
        """(loss, probabilities): loss (N,) or (1,) of x's dtype, the softmax (N, C) float64
        (backend.py)."""
        if _half(x):
            return self._numpy.cross_entropy_forward(x, target, reduction, ignore_index,
                                                     smoothing)
        rows, classes = x.shape
        code = loss.REDUCTIONS[reduction]
        out = np.empty(rows if code == 0 else 1, dtype=x.buffer.dtype)
        probabilities = np.empty(rows * classes, dtype=np.float64)
        bad = loss.cross_entropy_forward(
            x.buffer, x.offset, x.strides[0], x.strides[1], target.buffer, target.offset,
            target.strides[0], rows, classes, int(ignore_index), float(smoothing), code, out,
            probabilities)
        if bad >= 0:
            raise IndexError(f"Target {target.buffer[target.offset + bad * target.strides[0]]}"
                             " is out of bounds.")
        return out, probabilities

    def cross_entropy_backward(self, probabilities: Strided, target: Strided, grad: Strided,
                               reduction: str, ignore_index: int, smoothing: float,
                               dtype: np.dtype) -> Buffer:
        """grad_x, a contiguous (N, C) buffer of `dtype` (backend.py)."""
        if _half(grad):
            return self._numpy.cross_entropy_backward(probabilities, target, grad, reduction,
                                                      ignore_index, smoothing, dtype)
        rows, classes = probabilities.shape
        out = np.empty(rows * classes, dtype=dtype)
        loss.cross_entropy_backward(
            _contiguous_copy(probabilities), target.buffer, target.offset,
            target.strides[0], grad.buffer, grad.offset, grad.strides[0] if grad.shape else 0,
            rows, classes, int(ignore_index), float(smoothing), loss.REDUCTIONS[reduction], out)
        return out

    # ---- convolution and max pooling (kernels/cpu/conv.py): x (N, C, H, W) views
    conv_kernel = "im2col"  # or "direct"; benchmarks/conv.py times both

    def conv2d(self, x: Strided, weight: Strided, bias: Strided | None, stride: tuple,
               padding: tuple, dilation: tuple, groups: int, out_size: tuple) -> Buffer:
        """(N, C, H, W) * (O, C // groups, KH, KW) + bias (O,) (or None) -> contiguous
        (N, O, *out_size)."""
        if _half(x, weight):
            return self._numpy.conv2d(x, weight, bias, stride, padding, dilation, groups,
                                      out_size)
        x_array, w_array = _array(x), _array(weight)
        b_array = _array(bias) if bias is not None else w_array.reshape(-1)[:0]
        out = np.empty((x.shape[0], weight.shape[0]) + tuple(out_size), dtype=x_array.dtype)
        if out.size:
            self.blas_threads.serial(out.size * prod(weight.shape[1:]))
            kernel = conv.conv2d_direct if self.conv_kernel == "direct" else conv.conv2d_im2col
            kernel(x_array, w_array, b_array, out, *stride, *padding, *dilation, groups)
        return out.reshape(-1)

    def conv2d_grad_bias(self, grad: Strided) -> Buffer:
        """for o: sum of grad[:, o] over the batch and positions (grad (N, O, ...))."""
        if _half(grad):
            return self._numpy.conv2d_grad_bias(grad)
        out = np.empty(grad.shape[1], dtype=grad.buffer.dtype)
        conv.conv2d_grad_bias(_array(grad), out)
        return out

    def conv2d_grad_input(self, grad: Strided, weight: Strided, input_shape: tuple,
                          stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        """d(conv2d)/dx: grad (N, O, OH, OW) back to a contiguous buffer of input_shape."""
        if _half(grad, weight):
            return self._numpy.conv2d_grad_input(grad, weight, input_shape, stride, padding,
                                                 dilation, groups)
        grad_x = np.zeros(input_shape, dtype=grad.buffer.dtype)
        if grad_x.size and prod(grad.shape):
            self.blas_threads.serial(prod(grad.shape) * prod(weight.shape[1:]))
            kernel = conv.conv2d_grad_input_direct if self.conv_kernel == "direct" \
                else conv.conv2d_grad_input_im2col
            kernel(_array(grad), _array(weight), grad_x, *stride, *padding, *dilation, groups)
        return grad_x.reshape(-1)

    def conv2d_grad_weight(self, x: Strided, grad: Strided, weight_shape: tuple,
                           stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        """d(conv2d)/dweight: sum over samples and positions, a buffer of weight_shape."""
        if _half(x, grad):
            return self._numpy.conv2d_grad_weight(x, grad, weight_shape, stride, padding,
                                                  dilation, groups)
        grad_weight = np.zeros(weight_shape, dtype=grad.buffer.dtype)
        if grad_weight.size and prod(grad.shape):
            self.blas_threads.serial(prod(grad.shape) * prod(tuple(weight_shape[1:])))
            kernel = conv.conv2d_grad_weight_direct if self.conv_kernel == "direct" \
                else conv.conv2d_grad_weight_im2col
            kernel(_array(x), _array(grad), grad_weight, *stride, *padding, *dilation, groups)
        return grad_weight.reshape(-1)

    def max_pool2d(self, x: Strided, kernel_size: tuple, stride: tuple, padding: tuple,
                   dilation: tuple, out_size: tuple) -> tuple:
        """(values, positions): the max of each window of x (N, C, H, W) and its row-major
        element number in x (int64), both contiguous (N, C, *out_size)."""
        if _half(x):
            return self._numpy.max_pool2d(x, kernel_size, stride, padding, dilation, out_size)
        shape = tuple(x.shape[:2]) + tuple(out_size)
        values = np.empty(shape, dtype=x.buffer.dtype)
        positions = np.empty(shape, dtype=np.int64)
        if values.size:
            conv.max_pool2d(_array(x), values, positions, *kernel_size, *stride, *padding,
                            *dilation)
        return values.reshape(-1), positions.reshape(-1)


    # ---- optimizer updates: one fused pass per parameter (kernels/cpu/optim.py)
    # Every buffer is flat, contiguous, of the parameter's float dtype and length; all are
    # updated in place. Optional state buffers are None when the option is off.
    def sgd_update(self, param: Buffer, grad: Buffer, momentum_buffer: Buffer | None,
                   lr: float, momentum: float, dampening: float, weight_decay: float,
                   nesterov: bool, maximize: bool, first_step: bool) -> None:
        """SGD: g = grad (+ wd * param); buf = g on the first step, else momentum * buf +
        (1 - dampening) * g; g = g + momentum * buf (nesterov) or buf; param -= lr * g."""
        arguments = optim.sgd_arguments(lr, momentum, dampening, weight_decay, nesterov,
                                        maximize, first_step, param.dtype)
        kernel = optim.sgd_update_parallel if param.shape[0] >= optim.PARALLEL_THRESHOLD \
            else optim.sgd_update
        kernel(param, grad, param[:0] if momentum_buffer is None else momentum_buffer,
               *arguments)

    def adam_update(self, param: Buffer, grad: Buffer, exp_avg: Buffer, exp_avg_sq: Buffer,
                    max_exp_avg_sq: Buffer | None, lr: float, beta1: float, beta2: float,
                    eps: float, weight_decay: float, step: float, amsgrad: bool, maximize: bool,
                    decoupled: bool) -> None:
        """Adam / AdamW step number `step` (counted from 1), see kernels/cpu/optim.py."""
        arguments = optim.adam_arguments(lr, beta1, beta2, eps, weight_decay, step, amsgrad,
                                         maximize, decoupled, param.dtype)
        kernel = optim.adam_update_parallel if param.shape[0] >= optim.PARALLEL_THRESHOLD \
            else optim.adam_update
        kernel(param, grad, exp_avg, exp_avg_sq,
               param[:0] if max_exp_avg_sq is None else max_exp_avg_sq, *arguments)

    def rmsprop_update(self, param: Buffer, grad: Buffer, square_avg: Buffer,
                       grad_avg: Buffer | None, momentum_buffer: Buffer | None, lr: float,
                       alpha: float, eps: float, weight_decay: float, momentum: float,
                       centered: bool, maximize: bool) -> None:
        """RMSprop: v = alpha v + (1 - alpha) g^2; centered subtracts the mean of g squared;
        param -= lr * g / (sqrt(v) + eps), through a momentum buffer when momentum > 0."""
        arguments = optim.rmsprop_arguments(lr, alpha, eps, weight_decay, momentum, centered,
                                            maximize, param.dtype)
        kernel = optim.rmsprop_update_parallel if param.shape[0] >= optim.PARALLEL_THRESHOLD \
            else optim.rmsprop_update
        kernel(param, grad, square_avg, param[:0] if grad_avg is None else grad_avg,
               param[:0] if momentum_buffer is None else momentum_buffer, *arguments)

    def adagrad_update(self, param: Buffer, grad: Buffer, state_sum: Buffer, lr: float,
                       lr_decay: float, eps: float, weight_decay: float, step: float,
                       maximize: bool) -> None:
        """Adagrad: sum += g^2; param -= clr * g / (sqrt(sum) + eps),
        clr = lr / (1 + (step - 1) * lr_decay)."""
        arguments = optim.adagrad_arguments(lr, lr_decay, eps, weight_decay, step, maximize,
                                            param.dtype)
        kernel = optim.adagrad_update_parallel if param.shape[0] >= optim.PARALLEL_THRESHOLD \
            else optim.adagrad_update
        kernel(param, grad, state_sum, *arguments)

def _blas_ready(view: np.ndarray) -> np.ndarray:
    """A 2-d view as BLAS takes it: C- or Fortran-contiguous (a transpose is free), else a copy."""
    if view.flags.c_contiguous or view.flags.f_contiguous:
        return view
    return np.ascontiguousarray(view)


def _row_major(x: Strided) -> np.ndarray:
    """The 2-d view x as a C-ordered array (a view when it is one, else a copy)."""
    matrix = _blas_matrix(x)
    return matrix if matrix.flags.c_contiguous else np.ascontiguousarray(matrix)


def _blas_matrix(x: Strided) -> np.ndarray:
    """The 2-d view x as BLAS takes it (as _blas_ready(numpy_view(x))), with a quick path for
    the usual operands of a training step: a whole buffer, row-major or transposed."""
    rows, columns = x.shape
    buffer = x.buffer
    if x.offset == 0 and buffer.size == rows * columns:
        if x.strides == (columns, 1):
            return buffer.reshape(rows, columns)
        if x.strides == (1, rows):
            return buffer.reshape(columns, rows).T
    return _blas_ready(numpy_view(x))


def _contiguous_copy(x: Strided, shape: tuple | None = None) -> np.ndarray:
    """x (broadcast to `shape` if given) as a flat contiguous array; no copy when it already is."""
    if shape is None or tuple(shape) == tuple(x.shape):
        flat = _flat(x)
        if flat is not None:
            return flat
        return np.ascontiguousarray(numpy_view(x)).reshape(-1)
    return np.ascontiguousarray(np.broadcast_to(numpy_view(x), shape)).reshape(-1)


def _array(x: Strided) -> np.ndarray:
    """x as a C-contiguous NumPy array of its shape (a view when it already is one)."""
    return np.ascontiguousarray(numpy_view(x))
