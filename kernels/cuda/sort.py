"""Sorting along one axis on the GPU: argsort, one thread per row, by insertion sort.

The host (backend.py) first copies x into a contiguous scratch `keys` of shape (rows, n),
the sorted axis last, widened to float64 (floats) or int64 (ints, bools): both hold every
value of the narrower dtypes exactly, so the order is unchanged and the kernel compiles for
two dtypes only. Then for every row (one thread each):

    order[row, :] = 0, 1, ..., n - 1
    insertion sort of keys[row, :], moving order[row, :] along with it

Insertion sort is O(n^2) per row and one thread per row leaves a GPU mostly idle for few
long rows: chosen because it is short, stable, and needs no shared memory. A fast GPU sort
(a block-wide bitonic or radix sort, as PyTorch and CUB use) is the exercise. Stability:
an element moves left past only those it strictly precedes, so equal keys keep their index
order; nan counts as larger than every number (last ascending, first descending).
"""

from numba import cuda


@cuda.jit(device=True)
def before(a, b, descending):
    """True when a must come strictly before b (a != a tests for nan, for every dtype)."""
    if descending:
        return a > b or (a != a and b == b)
    return a < b or (b != b and a == a)


@cuda.jit
def argsort_rows_kernel(keys, order, n, rows, descending):
    """for row (one thread each): sort keys[row*n : row*n + n] stably by insertion, with
    order[row*n + j] = the original index of the element now at j."""
    for row in range(cuda.grid(1), rows, cuda.gridsize(1)):
        base = row * n
        for j in range(n):
            order[base + j] = j
        for i in range(1, n):
            key = keys[base + i]
            index = order[base + i]
            j = i - 1
            while j >= 0:
                if not before(key, keys[base + j], descending):
                    break
                keys[base + j + 1] = keys[base + j]
                order[base + j + 1] = order[base + j]
                j -= 1
            keys[base + j + 1] = key
            order[base + j + 1] = index
