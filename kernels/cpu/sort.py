"""Sorting along one axis: argsort, the kernel behind sort, argsort and topk.

The backend passes the view with the sorted axis taken out ("kept" dims, walked by row
number as in arg_reduce) plus that axis' length and stride. For every row:

    copy the row into a contiguous scratch (keys), order = 0, 1, ..., n - 1
    merge sort `order` by keys[order[j]], bottom-up: runs of 1, 2, 4, ... merged pairwise
    out[row, j] = order[j]            (out is contiguous of x's shape: written strided)

Merge sort is stable (on a tie the left run's element goes first), so equal elements keep
their index order, as PyTorch's stable sort. nan counts as larger than every number: last
ascending, first descending (`before` below). Integers and bools compare as themselves.
"""

import numpy as np

from kernels.cpu.jit import inline, kernel
from kernels.cpu.scalar import ordinal_to_position


@inline
def before(a, b, descending):
    """True when a must come strictly before b (a != a tests for nan, for every dtype)."""
    if descending:
        return a > b or (a != a and b == b)
    return a < b or (b != b and a == a)


@inline
def _merge_sort(keys, order, scratch, n, descending):
    """Sort order[0:n] stably by keys[order[j]]; scratch holds n int64s."""
    width = 1
    while width < n:
        for left in range(0, n, 2 * width):
            middle = min(left + width, n)
            right = min(left + 2 * width, n)
            i = left
            j = middle
            for k in range(left, right):
                # take from the right run only when it is strictly first: stability
                if j < right and (i >= middle or before(keys[order[j]], keys[order[i]],
                                                        descending)):
                    scratch[k] = order[j]
                    j += 1
                else:
                    scratch[k] = order[i]
                    i += 1
        for k in range(n):
            order[k] = scratch[k]
        width *= 2


@kernel
def argsort_strided(x, kept_shape, kept_strides, offset, length, stride, out_kept_strides,
                    out_stride, descending, out):
    """for row: out[row's positions] = the stable argsort of x[base(row) + j * stride]."""
    rows = 1
    for k in range(kept_shape.shape[0]):
        rows *= kept_shape[k]
    keys = np.empty(length, dtype=x.dtype)
    order = np.empty(length, dtype=np.int64)
    scratch = np.empty(length, dtype=np.int64)
    for row in range(rows):
        base = ordinal_to_position(row, kept_shape, kept_strides, offset)
        for j in range(length):
            keys[j] = x[base + j * stride]
            order[j] = j
        _merge_sort(keys, order, scratch, length, descending)
        out_base = ordinal_to_position(row, kept_shape, out_kept_strides, 0)
        for j in range(length):
            out[out_base + j * out_stride] = order[j]
