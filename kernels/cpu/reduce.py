"""Reduction kernels: fold sum / prod / max / min (or arg-max / arg-min) over some axes.

The backend first permutes the view so that the kept axes come first and the reduced axes
last (a strided view: no copy). Then, for every output element o:

    out[o] = fold(f, x[o, r] for every index r of the reduced axes)

The reduced elements are visited row by row (index math once per row of the last reduced
axis, then a stride walk), like the elementwise kernels.
"""

import numpy as np
from numba import prange

from kernels import ops
from kernels.cpu.jit import inline, kernel, parallel_kernel
from kernels.cpu.scalar import maximum, minimum, ordinal_to_position, row_start_position


@inline
def _fold(op, x, out_index, kept_shape, kept_strides, reduced_shape, reduced_strides, offset,
          initial):
    base = ordinal_to_position(out_index, kept_shape, kept_strides, offset)
    accumulator = initial
    n_reduced_dims = reduced_shape.shape[0]
    if n_reduced_dims == 0:
        value = x[base]
        if op == ops.SUM:
            return accumulator + value
        elif op == ops.PROD:
            return accumulator * value
        return value
    inner = reduced_shape[n_reduced_dims - 1]
    stride = reduced_strides[n_reduced_dims - 1]
    n_rows = 1
    for k in range(n_reduced_dims - 1):
        n_rows *= reduced_shape[k]
    first = True
    for row in range(n_rows):
        start = row_start_position(row, reduced_shape, reduced_strides, base)
        for j in range(inner):
            value = x[start + j * stride]
            if op == ops.SUM:
                accumulator += value
            elif op == ops.PROD:
                accumulator *= value
            elif first:
                accumulator = value
                first = False
            elif op == ops.MAX:
                accumulator = maximum(accumulator, value)
            else:
                accumulator = minimum(accumulator, value)
    return accumulator


@kernel
def reduce_strided(op, x, kept_shape, kept_strides, reduced_shape, reduced_strides, offset,
                   initial, out):
    """for o: out[o] = fold(op, x[o, r] over r), starting from `initial` (sum: 0, prod: 1).

    `initial` also fixes the accumulator's type: float64 for float inputs (so a float32 sum
    of many terms keeps its precision), int64 for integer inputs.
    """
    for o in range(out.shape[0]):
        out[o] = _fold(op, x, o, kept_shape, kept_strides, reduced_shape, reduced_strides,
                       offset, initial)


@parallel_kernel
def reduce_strided_parallel(op, x, kept_shape, kept_strides, reduced_shape, reduced_strides,
                            offset, initial, out):
    """reduce_strided with the output elements split across threads."""
    for o in prange(out.shape[0]):
        out[o] = _fold(op, x, o, kept_shape, kept_strides, reduced_shape, reduced_strides,
                       offset, initial)


@kernel
def sum_rows_contiguous(x, n_rows, n_cols, out):
    """Column sums of a row-major (n_rows, n_cols) block: out[j] = sum_i x[i * n_cols + j].

    The common case `grad.sum(0)` (a bias gradient), walked row by row so memory is read in
    order; accumulates in float64.
    """
    accumulator = np.zeros(n_cols, dtype=np.float64)
    for i in range(n_rows):
        base = i * n_cols
        for j in range(n_cols):
            accumulator[j] += x[base + j]
    for j in range(n_cols):
        out[j] = accumulator[j]


@kernel
def reduce_last_contiguous(op, x, n_rows, n_cols, out):
    """Row folds of a row-major (n_rows, n_cols) block, n_cols >= 1:
    out[i] = fold(op, x[i * n_cols + j] for j), e.g. the max and sum inside a softmax.

    The same results as reduce_strided (sum and prod accumulate in float64, max and min
    propagate nan), with the op chosen once per call instead of once per element.
    """
    for i in range(n_rows):
        base = i * n_cols
        if op == ops.SUM:
            total = 0.0
            for j in range(n_cols):
                total += x[base + j]
            out[i] = total
        elif op == ops.PROD:
            product = 1.0
            for j in range(n_cols):
                product *= x[base + j]
            out[i] = product
        elif op == ops.MAX:
            best = x[base]
            for j in range(1, n_cols):
                best = maximum(best, x[base + j])
            out[i] = best
        else:
            best = x[base]
            for j in range(1, n_cols):
                best = minimum(best, x[base + j])
            out[i] = best


@kernel
def arg_reduce_strided(op, x, kept_shape, kept_strides, length, stride, offset, out):
    """for o: out[o] = first index r in [0, length) of the max (ARGMAX) or min of x[o, r].

    A nan counts as the extreme value, as in PyTorch.
    """
    for o in range(out.shape[0]):
        base = ordinal_to_position(o, kept_shape, kept_strides, offset)
        best = x[base]
        best_index = 0
        for r in range(1, length):
            value = x[base + r * stride]
            if best != best:  # a nan already won
                break
            if value != value:
                best = value
                best_index = r
            elif op == ops.ARGMAX and value > best:
                best = value
                best_index = r
            elif op == ops.ARGMIN and value < best:
                best = value
                best_index = r
        out[o] = best_index
