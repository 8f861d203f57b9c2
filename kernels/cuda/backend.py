"""CUDABackend: the backend interface (kernels/backend.py) on numba.cuda device arrays.

Buffers are flat 1-D device arrays. Every method only plans on the host (shapes, strides,
grid sizes) and launches kernels; no method but `to_numpy` copies data to the host.
The optimizer updates take their per-step scalars from kernels/optim_math.py, as the CPU does.
"""

import math
from typing import Any

import numpy as np
from numba import cuda

from kernels import ops, optim_math
from kernels.backend import linear_by_parts, linear_grad_weight_by_parts
from kernels.cuda import conv, elementwise, indexing, loss, matmul, optim, reduce, sort
from kernels.cuda.launch import (
    THREADS_PER_BLOCK,
    accumulator_dtype,
    blocks_for,
    collapse,
    is_device_buffer,
    max_blocks,
    plan_elementwise,
    sm_count,
)
from kernels.strided import (
    Buffer,
    Strided,
    broadcast_strides,
    contiguous_strides,
    is_contiguous,
    numel,
)

# A block reducing a row wants at least this many elements per thread before a row is cut
# into more parts (fewer, fuller blocks amortise the tree and the second launch).
ITEMS_PER_THREAD = 4
REDUCTIONS = {"none": 0, "sum": 1, "mean": 2}  # the loss kernels' `reduction` codes
MATMUL_KERNELS = ("tiled", "naive")


def _launch_binary(method: str, pick: Any, op: int, a: Strided, b: Strided,
                   out: Strided) -> None:
    """zip and bitwise: one grid-stride launch over out, the kernel that pick(contiguous)
    chooses (the contiguous one takes offsets only, the strided one the strides too)."""
    _require_device(method, a.buffer, b.buffer, out.buffer)
    size = numel(out.shape)
    if size == 0:
        return
    shape, (a_strides, b_strides, out_strides), contiguous = plan_elementwise(
        out.shape, [a, b, out])
    launch = (blocks_for(size), THREADS_PER_BLOCK)
    kernel = pick(contiguous)
    if contiguous:
        kernel[launch](op, a.buffer, a.offset, b.buffer, b.offset, out.buffer, out.offset, size)
    else:
        kernel[launch](op, a.buffer, a_strides, a.offset, b.buffer, b_strides, b.offset,
                       out.buffer, out_strides, out.offset, shape, size)


def _require_device(method: str, *buffers: Any) -> None:
    """Refuse host arrays: numba would copy them to the GPU and back behind our back.
    None (an optional buffer that is off) passes."""
    for buffer in buffers:
        if buffer is not None and not is_device_buffer(buffer):
            raise TypeError(f"CUDABackend.{method}: expected a CUDA device buffer, got "
                            f"{type(buffer).__name__} (use CUDABackend.from_numpy first)")


def _widen(*views: Strided) -> bool:
    """Whether map / zip take their *_half kernels (elementwise.widen): some input is
    float16 and none is float64 (float32 would round a float64)."""
    dtypes = {view.buffer.dtype for view in views}
    return np.dtype(np.float16) in dtypes and np.dtype(np.float64) not in dtypes


def _reduce_identity(op: int, accumulator: np.dtype) -> np.generic:
    """The fold's starting value: sum 0, prod 1, max -inf (or the lowest int64), min +inf."""
    floating = accumulator.kind == "f"
    if op == ops.SUM:
        value = 0
    elif op == ops.PROD:
        value = 1
    elif op == ops.MAX:
        value = -math.inf if floating else np.iinfo(np.int64).min
    else:
        value = math.inf if floating else np.iinfo(np.int64).max
    return accumulator.type(value)


def _sum_zero(dtype: np.dtype, long_sum: bool = False) -> np.generic:
    """The starting value of a sum, in the accumulator's dtype: float32 for float32 and
    float16 as in matmul (float64 when `long_sum`, as in reduce), float64, or int64."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return np.int64(0)
    if dtype == np.float64 or long_sum:
        return np.float64(0)
    return np.float32(0)


def _window(stride: tuple, padding: tuple, dilation: tuple) -> tuple:
    """(sh, sw, ph, pw, dh, dw) as plain ints, the kernels' window geometry."""
    return tuple(int(v) for v in (*stride, *padding, *dilation))


def _ints(values: tuple) -> tuple:
    return tuple(int(v) for v in values)


def _split_axes(x: Strided, axes: tuple[int, ...]):
    """(kept shape, kept strides), (reduced shape, reduced strides), each collapsed."""
    ndim = len(x.shape)
    reduced = sorted({axis % ndim for axis in axes}) if ndim else []
    kept = [d for d in range(ndim) if d not in reduced]
    kept_shape, (kept_strides,) = collapse(tuple(x.shape[d] for d in kept),
                                           [tuple(x.strides[d] for d in kept)])
    reduced_shape, (reduced_strides,) = collapse(tuple(x.shape[d] for d in reduced),
                                                 [tuple(x.strides[d] for d in reduced)])
    rows = numel(tuple(x.shape[d] for d in kept))
    row_length = numel(tuple(x.shape[d] for d in reduced))
    return kept_shape, kept_strides, reduced_shape, reduced_strides, rows, row_length


class CUDABackend:
    """The backend interface in numba.cuda (see kernels/backend.py for each method's contract).

    `matmul_kernel` picks the matmul kernel: "tiled" (shared memory, the default) or "naive".
    """

    name = "cuda"

    def __init__(self, matmul_kernel: str = "tiled") -> None:
        self.matmul_kernel = matmul_kernel

    # ---- allocation and transfers ------------------------------------------------------------
    def empty(self, size: int, dtype: np.dtype) -> Buffer:
        return cuda.device_array(int(size), dtype=np.dtype(dtype))

    def full(self, size: int, value: Any, dtype: np.dtype) -> Buffer:
        buffer = self.empty(size, dtype)
        if size > 0:
            elementwise.fill_kernel[blocks_for(size), THREADS_PER_BLOCK](
                buffer, np.dtype(dtype).type(value), int(size))
        return buffer

    def from_numpy(self, array: np.ndarray) -> Buffer:
        return cuda.to_device(np.ascontiguousarray(array).reshape(-1))

    def to_numpy(self, x: Strided) -> np.ndarray:
        _require_device("to_numpy", x.buffer)
        if numel(x.shape) == 0:
            return np.empty(x.shape, dtype=x.buffer.dtype)
        # gathered on the device first if strided, then one copy of exactly its elements
        return self._contiguous(x).copy_to_host().reshape(x.shape)

    def _contiguous(self, x: Strided) -> Buffer:
        """x's elements in row-major order as a flat device buffer (a slice when they already
        are, else a gathered copy)."""
        size = numel(x.shape)
        if is_contiguous(x.shape, x.strides):
            return x.buffer[x.offset:x.offset + size]
        flat = self.empty(size, x.buffer.dtype)
        self.copy(x, Strided(flat, x.shape, contiguous_strides(x.shape), 0))
        return flat

    # ---- elementwise -------------------------------------------------------------------------
    def map(self, op: int, x: Strided, out: Strided) -> None:
        _require_device("map", x.buffer, out.buffer)
        size = numel(out.shape)
        if size == 0:
            return
        shape, (x_strides, out_strides), contiguous = plan_elementwise(out.shape, [x, out])
        launch = (blocks_for(size), THREADS_PER_BLOCK)
        kernel = elementwise.MAP_KERNELS[contiguous, _widen(x)]
        if contiguous:
            kernel[launch](op, x.buffer, x.offset, out.buffer, out.offset, size)
        else:
            kernel[launch](
                op, x.buffer, x_strides, x.offset, out.buffer, out_strides, out.offset,
                shape, size)

    def zip(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        half = _widen(a, b)
        _launch_binary("zip", lambda contiguous: elementwise.ZIP_KERNELS[contiguous, half],
                       op, a, b, out)

    def bitwise(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        _launch_binary("bitwise", elementwise.BITWISE_KERNELS.__getitem__, op, a, b, out)

    def where(self, condition: Strided, a: Strided, b: Strided, out: Strided) -> None:
        _require_device("where", condition.buffer, a.buffer, b.buffer, out.buffer)
        size = numel(out.shape)
        if size == 0:
            return
        shape, strides, contiguous = plan_elementwise(out.shape, [condition, a, b, out])
        c_strides, a_strides, b_strides, out_strides = strides
        launch = (blocks_for(size), THREADS_PER_BLOCK)
        if contiguous:
            elementwise.where_contiguous_kernel[launch](
                condition.buffer, condition.offset, a.buffer, a.offset, b.buffer, b.offset,
                out.buffer, out.offset, size)
        else:
            elementwise.where_strided_kernel[launch](
                condition.buffer, c_strides, condition.offset, a.buffer, a_strides, a.offset,
                b.buffer, b_strides, b.offset, out.buffer, out_strides, out.offset, shape, size)

    def copy(self, source: Strided, out: Strided) -> None:
        self.map(ops.IDENTITY, source, out)

    # ---- reductions --------------------------------------------------------------------------
    def reduce(self, op: int, x: Strided, axes: tuple[int, ...], dtype: np.dtype) -> Buffer:
        _require_device("reduce", x.buffer)
        dtype = np.dtype(dtype)
        kept_shape, kept_strides, reduced_shape, reduced_strides, rows, row_length = (
            _split_axes(x, axes))
        out = self.empty(rows, dtype)
        if rows == 0:
            return out
        accumulator = accumulator_dtype(dtype)
        identity = _reduce_identity(op, accumulator)
        args = (x.buffer, kept_shape, kept_strides, reduced_shape, reduced_strides, x.offset,
                row_length, rows)
        # One thread per row for short rows, and for rows along a slow axis when there are
        # enough rows to fill the GPU (adjacent threads then read adjacent elements).
        slow_axis = reduced_strides[-1] != 1
        if row_length < THREADS_PER_BLOCK or (
                slow_axis and rows >= THREADS_PER_BLOCK * sm_count()):
            reduce.reduce_columns_kernel[blocks_for(rows), THREADS_PER_BLOCK](
                op, identity, *args, out)
            return out
        per_block = THREADS_PER_BLOCK * ITEMS_PER_THREAD
        parts = max(1, min((row_length + per_block - 1) // per_block, max_blocks() // rows))
        target = out if parts == 1 else self.empty(rows * parts, accumulator)
        kernel = reduce.reduce_rows_float if accumulator.kind == "f" else reduce.reduce_rows_int
        kernel[min(rows * parts, max_blocks()), THREADS_PER_BLOCK](
            op, identity, *args, parts, target)
        if parts == 1:
            return out
        # second pass: fold the parts of each row (sum of partial sums, max of maxima, ...)
        partials = Strided(target, (rows, parts), (parts, 1), 0)
        return self.reduce(op, partials, (1,), dtype)

    def arg_reduce(self, op: int, x: Strided, axis: int) -> Buffer:
        _require_device("arg_reduce", x.buffer)
        if len(x.shape) == 0:  # a 0-d tensor is its own only element
            x = Strided(x.buffer, (1,), (0,), x.offset)
            axis = 0
        axis %= len(x.shape)
        kept_shape, kept_strides, _, _, rows, length = _split_axes(x, (axis,))
        stride = x.strides[axis]
        out = self.empty(rows, np.int64)
        if rows == 0:
            return out
        args = (op, x.buffer, kept_shape, kept_strides, x.offset, stride, length, rows, out)
        if length >= THREADS_PER_BLOCK:
            reduce.arg_reduce_rows_kernel[min(rows, max_blocks()), THREADS_PER_BLOCK](*args)
        else:
            reduce.arg_reduce_columns_kernel[blocks_for(rows), THREADS_PER_BLOCK](*args)
        return out

    def argsort(self, x: Strided, axis: int, descending: bool) -> Buffer:
        """Stable argsort along axis (kernels/cuda/sort.py): copy the rows, the sorted axis
        last, into a contiguous float64 / int64 scratch; sort each row's (key, index) pairs
        by a bitonic sort, in shared memory (rows padded to at most sort.BLOCK_SORT_MAX) or
        in global memory, one launch per stage (longer rows); copy the indices back into x's
        layout when the axis was not the last. All on the device."""
        _require_device("argsort", x.buffer)
        if not x.shape:  # a 0-d tensor: one row of one
            x = Strided(x.buffer, (1,), (0,), x.offset)
        axis %= len(x.shape)
        size = numel(x.shape)
        out = self.empty(size, np.int64)
        if size == 0:
            return out
        n = x.shape[axis]
        rows = size // n
        # strides that lay x's dims out as (kept dims..., axis): the scratch's row-major order
        dims = [k for k in range(len(x.shape)) if k != axis] + [axis]
        row_major = contiguous_strides(tuple(x.shape[k] for k in dims))
        scratch_strides = [0] * len(x.shape)
        for k, stride in zip(dims, row_major):
            scratch_strides[k] = stride
        scratch_strides = tuple(scratch_strides)
        wide = np.float64 if x.buffer.dtype.kind == "f" else np.int64
        keys = self.empty(size, wide)
        self.copy(x, Strided(keys, x.shape, scratch_strides, 0))
        last = axis == len(x.shape) - 1
        order = out if last else self.empty(size, np.int64)
        padded = sort.padded_length(n)
        descending = bool(descending)
        if padded <= sort.BLOCK_SORT_MAX:  # whole rows in one block's shared memory
            rows_per_block = min(sort.BLOCK_SORT_MAX // padded, rows)
            threads = max(1, min(THREADS_PER_BLOCK, rows_per_block * padded // 2))
            groups = (rows + rows_per_block - 1) // rows_per_block
            kernel = sort.argsort_block_float64 if wide is np.float64 \
                else sort.argsort_block_int64
            kernel[min(groups, max_blocks()), threads](
                keys, order, n, rows, padded, rows_per_block, descending)
        else:  # padded pairs in global memory, one launch per stage (k, j)
            padded_keys = self.empty(rows * padded, wide)
            padded_index = self.empty(rows * padded, np.int64)
            sort.pad_rows_kernel[blocks_for(rows * padded), THREADS_PER_BLOCK](
                keys, n, rows, padded, padded_keys, padded_index)
            launch = (blocks_for(rows * padded // 2), THREADS_PER_BLOCK)
            k = 2
            while k <= padded:
                j = k // 2
                while j > 0:
                    sort.bitonic_stage_kernel[launch](
                        padded_keys, padded_index, n, rows, padded, k, j, descending)
                    j //= 2
                k *= 2
            sort.unpad_rows_kernel[blocks_for(size), THREADS_PER_BLOCK](
                padded_index, n, rows, padded, order)
        if not last:
            self.copy(Strided(order, x.shape, scratch_strides, 0),
                      Strided(out, x.shape, contiguous_strides(x.shape), 0))
        return out

    # ---- matrix multiply ---------------------------------------------------------------------
    def matmul(self, a: Strided, b: Strided, dtype: np.dtype) -> Buffer:
        _require_device("matmul", a.buffer, b.buffer)
        if len(a.shape) < 2 or len(b.shape) < 2 or a.shape[-1] != b.shape[-2] \
                or a.shape[:-2] != b.shape[:-2]:
            raise ValueError(f"CUDABackend.matmul: shapes {tuple(a.shape)} and "
                             f"{tuple(b.shape)} do not match as (..., n, k) @ (..., k, m)")
        if self.matmul_kernel not in MATMUL_KERNELS:
            raise ValueError(f"CUDABackend.matmul_kernel must be one of {MATMUL_KERNELS}, "
                             f"got {self.matmul_kernel!r}")
        dtype = np.dtype(dtype)
        n, k = a.shape[-2:]
        m = b.shape[-1]
        batch = numel(a.shape[:-2])
        out = self.empty(batch * n * m, dtype)
        if batch * n * m == 0:
            return out
        batch_shape, (a_batch_strides, b_batch_strides) = collapse(
            a.shape[:-2], [a.strides[:-2], b.strides[:-2]])
        if dtype == np.float64:
            zero, tiled = np.float64(0), matmul.matmul_tiled_float64
        elif dtype.kind == "f":  # float32 (and float16, accumulated in float32)
            zero, tiled = np.float32(0), matmul.matmul_tiled_float32
        else:
            zero, tiled = np.int64(0), matmul.matmul_tiled_int64
        args = (zero, a.buffer, a_batch_strides, a.offset, a.strides[-2], a.strides[-1],
                b.buffer, b_batch_strides, b.offset, b.strides[-2], b.strides[-1],
                out, batch_shape, batch, n, k, m)
        if self.matmul_kernel == "naive":
            matmul.matmul_naive_kernel[blocks_for(batch * n * m), THREADS_PER_BLOCK](*args)
        else:
            tiles = batch * ((n + matmul.TILE - 1) // matmul.TILE) * (
                (m + matmul.TILE - 1) // matmul.TILE)
            tiled[min(tiles, max_blocks()), (matmul.TILE, matmul.TILE)](*args)
        return out

    # nn.Linear: the matmul kernel, then the bias added (or summed) by the elementwise ones
    def linear(self, x: Strided, weight: Strided, bias: Strided | None,
               relu: bool = False) -> Buffer:
        return linear_by_parts(self, x, weight, bias, relu)

    def linear_grad_weight(self, grad: Strided, x: Strided, with_bias: bool) -> tuple:
        return linear_grad_weight_by_parts(self, grad, x, with_bias)

    # ---- indexing ----------------------------------------------------------------------------
    def take(self, buffer: Buffer, positions: Strided, dtype: np.dtype) -> Buffer:
        _require_device("take", buffer, positions.buffer)
        size = numel(positions.shape)
        out = self.empty(size, dtype)
        if size == 0:
            return out
        shape, (p_strides,) = collapse(positions.shape, [positions.strides])
        indexing.take_kernel[blocks_for(size), THREADS_PER_BLOCK](
            buffer, positions.buffer, p_strides, positions.offset, shape, size, out)
        return out

    def index_add(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        _require_device("index_add", buffer, positions.buffer, source.buffer)
        size = numel(positions.shape)
        if size == 0:
            return
        args = self._scatter_args(buffer, positions, source)
        if buffer.dtype.name in indexing.ATOMIC_DTYPES:
            indexing.index_add_kernel[blocks_for(size), THREADS_PER_BLOCK](*args)
        else:
            indexing.index_add_serial_kernel[1, 1](*args)

    def index_put(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        _require_device("index_put", buffer, positions.buffer, source.buffer)
        size = numel(positions.shape)
        if size == 0:
            return
        indexing.index_put_kernel[blocks_for(size), THREADS_PER_BLOCK](
            *self._scatter_args(buffer, positions, source))

    @staticmethod
    def _scatter_args(buffer: Buffer, positions: Strided, source: Strided) -> tuple:
        """Kernel arguments for index_add / index_put: source read broadcast to positions."""
        source_strides = broadcast_strides(source.shape, source.strides, positions.shape)
        shape, (p_strides, s_strides) = collapse(positions.shape,
                                                 [positions.strides, source_strides])
        return (buffer, positions.buffer, p_strides, positions.offset, source.buffer, s_strides,
                source.offset, shape, numel(positions.shape))

    # ---- cross entropy of logits (N, C) and class indices (N,), fused (kernels/cuda/loss.py)
    def cross_entropy_forward(self, x: Strided, target: Strided, reduction: str,
                              ignore_index: int, smoothing: float) -> tuple:
        _require_device("cross_entropy_forward", x.buffer, target.buffer)
        rows, classes = _ints(x.shape)
        code = REDUCTIONS[reduction]
        out = self.empty(rows if code == 0 else 1, x.buffer.dtype)
        probabilities = self.empty(rows * classes, np.float64)
        totals = self.full(2, 0.0, np.float64)  # (sum of losses, count of rows not ignored)
        bad = self.full(1, rows, np.int64)  # the first row with a bad target, or rows
        if rows > 0:
            loss.cross_entropy_rows_kernel[blocks_for(rows), THREADS_PER_BLOCK](
                x.buffer, int(x.offset), int(x.strides[0]), int(x.strides[1]), target.buffer,
                int(target.offset), int(target.strides[0]), rows, classes, int(ignore_index),
                float(smoothing), code, out, probabilities, totals, bad)
        if code != 0:
            loss.cross_entropy_total_kernel[1, 1](totals, code, out)
        first_bad = int(bad.copy_to_host()[0])  # the one host read: a GPU cannot raise
        if first_bad < rows:
            value = target.buffer[target.offset + first_bad * target.strides[0]]
            raise IndexError(f"Target {int(value)} is out of bounds.")
        return out, probabilities

    def cross_entropy_backward(self, probabilities: Strided, target: Strided, grad: Strided,
                               reduction: str, ignore_index: int, smoothing: float,
                               dtype: np.dtype) -> Buffer:
        _require_device("cross_entropy_backward", probabilities.buffer, target.buffer,
                        grad.buffer)
        rows, classes = _ints(probabilities.shape)
        out = self.empty(rows * classes, dtype)
        if rows * classes == 0:
            return out
        t_args = (target.buffer, int(target.offset), int(target.strides[0]))
        if reduction == "mean":  # scale = 1 / (count of rows not ignored), on the device
            scale = self.full(1, 0.0, np.float64)
            loss.count_kept_kernel[blocks_for(rows), THREADS_PER_BLOCK](
                *t_args, rows, int(ignore_index), scale)
            loss.invert_kernel[1, 1](scale)
        else:
            scale = self.full(1, 1.0, np.float64)
        loss.cross_entropy_grad_kernel[blocks_for(rows * classes), THREADS_PER_BLOCK](
            self._contiguous(probabilities), *t_args, grad.buffer, int(grad.offset),
            int(grad.strides[0]) if grad.shape else 0, scale, rows, classes,
            int(ignore_index), float(smoothing), out)
        return out

    # ---- convolution and max pooling (kernels/cuda/conv.py): x (N, C, H, W) views --------
    def conv2d(self, x: Strided, weight: Strided, bias: Strided | None, stride: tuple,
               padding: tuple, dilation: tuple, groups: int, out_size: tuple) -> Buffer:
        _require_device("conv2d", x.buffer, weight.buffer, None if bias is None else bias.buffer)
        out_shape = (x.shape[0], weight.shape[0]) + _ints(out_size)
        size = numel(out_shape)
        out = self.empty(size, x.buffer.dtype)
        if size == 0:
            return out
        # no bias: the kernel skips it, and reads weight's buffer as a stand-in of its dtype
        bias_args = (weight.buffer, 0, 0, False) if bias is None else (
            bias.buffer, int(bias.strides[0]), bias.offset, True)
        conv.conv2d_kernel[blocks_for(size), THREADS_PER_BLOCK](
            _sum_zero(x.buffer.dtype), x.buffer, _ints(x.strides), x.offset, weight.buffer,
            _ints(weight.strides), weight.offset, *bias_args, out, _ints(x.shape),
            _ints(weight.shape), _ints(out_size), _window(stride, padding, dilation),
            int(groups), size)
        return out

    def conv2d_grad_input(self, grad: Strided, weight: Strided, input_shape: tuple,
                          stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        _require_device("conv2d_grad_input", grad.buffer, weight.buffer)
        size = numel(tuple(input_shape))
        grad_x = self.empty(size, grad.buffer.dtype)
        if size == 0:
            return grad_x
        conv.conv2d_grad_input_kernel[blocks_for(size), THREADS_PER_BLOCK](
            _sum_zero(grad.buffer.dtype), grad.buffer, _ints(grad.strides), grad.offset,
            weight.buffer, _ints(weight.strides), weight.offset, grad_x, _ints(input_shape),
            _ints(weight.shape), _ints(grad.shape[2:]), _window(stride, padding, dilation),
            int(groups), size)
        return grad_x

    def conv2d_grad_weight(self, x: Strided, grad: Strided, weight_shape: tuple,
                           stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        _require_device("conv2d_grad_weight", x.buffer, grad.buffer)
        size = numel(tuple(weight_shape))
        grad_weight = self.empty(size, grad.buffer.dtype)
        if size == 0:
            return grad_weight
        conv.conv2d_grad_weight_kernel[blocks_for(size), THREADS_PER_BLOCK](
            _sum_zero(grad.buffer.dtype, long_sum=True), x.buffer, _ints(x.strides), x.offset,
            grad.buffer, _ints(grad.strides), grad.offset, grad_weight, _ints(x.shape),
            _ints(weight_shape), _ints(grad.shape[2:]), _window(stride, padding, dilation),
            int(groups), size)
        return grad_weight

    def conv2d_grad_bias(self, grad: Strided) -> Buffer:
        # a sum over every axis but 1: the reduction kernels (float64 partials) do it
        axes = (0,) + tuple(range(2, len(grad.shape)))
        return self.reduce(ops.SUM, grad, axes, grad.buffer.dtype)

    def max_pool2d(self, x: Strided, kernel_size: tuple, stride: tuple, padding: tuple,
                   dilation: tuple, out_size: tuple) -> tuple:
        _require_device("max_pool2d", x.buffer)
        size = numel(tuple(x.shape[:2]) + _ints(out_size))
        values = self.empty(size, x.buffer.dtype)
        positions = self.empty(size, np.int64)
        if size > 0:
            conv.max_pool2d_kernel[blocks_for(size), THREADS_PER_BLOCK](
                x.buffer, _ints(x.strides), x.offset, values, positions, _ints(x.shape),
                _ints(out_size), _ints(kernel_size), _window(stride, padding, dilation), size)
        return values, positions

    # ---- optimizer updates (kernels/cuda/optim.py): flat contiguous buffers, in place -------
    # An optional state buffer that is off (None) is passed as an empty slice of param.
    def sgd_update(self, param: Buffer, grad: Buffer, momentum_buffer: Buffer | None,
                   lr: float, momentum: float, dampening: float, weight_decay: float,
                   nesterov: bool, maximize: bool, first_step: bool) -> None:
        _require_device("sgd_update", param, grad, momentum_buffer)
        size = param.shape[0]
        if size == 0:
            return
        arguments = optim_math.sgd_arguments(lr, momentum, dampening, weight_decay, nesterov,
                                             maximize, first_step, param.dtype)
        optim.sgd_update_kernel[blocks_for(size), THREADS_PER_BLOCK](
            param, grad, param[:0] if momentum_buffer is None else momentum_buffer,
            *arguments, size)

    def adam_update(self, param: Buffer, grad: Buffer, exp_avg: Buffer, exp_avg_sq: Buffer,
                    max_exp_avg_sq: Buffer | None, lr: float, beta1: float, beta2: float,
                    eps: float, weight_decay: float, step: float, amsgrad: bool, maximize: bool,
                    decoupled: bool) -> None:
        _require_device("adam_update", param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq)
        size = param.shape[0]
        if size == 0:
            return
        arguments = optim_math.adam_arguments(lr, beta1, beta2, eps, weight_decay, step,
                                              amsgrad, maximize, decoupled, param.dtype)
        optim.adam_update_kernel[blocks_for(size), THREADS_PER_BLOCK](
            param, grad, exp_avg, exp_avg_sq,
            param[:0] if max_exp_avg_sq is None else max_exp_avg_sq, *arguments, size)

    def rmsprop_update(self, param: Buffer, grad: Buffer, square_avg: Buffer,
                       grad_avg: Buffer | None, momentum_buffer: Buffer | None, lr: float,
                       alpha: float, eps: float, weight_decay: float, momentum: float,
                       centered: bool, maximize: bool) -> None:
        _require_device("rmsprop_update", param, grad, square_avg, grad_avg, momentum_buffer)
        size = param.shape[0]
        if size == 0:
            return
        arguments = optim_math.rmsprop_arguments(lr, alpha, eps, weight_decay, momentum,
                                                 centered, maximize, param.dtype)
        optim.rmsprop_update_kernel[blocks_for(size), THREADS_PER_BLOCK](
            param, grad, square_avg, param[:0] if grad_avg is None else grad_avg,
            param[:0] if momentum_buffer is None else momentum_buffer, *arguments, size)

    def adagrad_update(self, param: Buffer, grad: Buffer, state_sum: Buffer, lr: float,
                       lr_decay: float, eps: float, weight_decay: float, step: float,
                       maximize: bool) -> None:
        _require_device("adagrad_update", param, grad, state_sum)
        size = param.shape[0]
        if size == 0:
            return
        arguments = optim_math.adagrad_arguments(lr, lr_decay, eps, weight_decay, step,
                                                 maximize, param.dtype)
        optim.adagrad_update_kernel[blocks_for(size), THREADS_PER_BLOCK](
            param, grad, state_sum, *arguments, size)
