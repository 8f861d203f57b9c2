"""Elementwise kernels: map (one input), zip (two), where (three), each in two shapes.

- `*_contiguous`: every view is row-major with no gaps and the same shape, so element i of
  the output is element i of each input: `for i: out[i] = f(a[i], b[i])`. The fast path.
- `*_strided`: any strides (0 = broadcast). The index math runs once per row of the last
  dimension; the inner loop just adds the last stride:
  `for row: pa, pb, po = row starts; for j: out[po + j*so] = f(a[pa + j*sa], b[pb + j*sb])`.

Shapes and strides come as int64 arrays (not tuples) so that one compiled kernel per dtype
combination serves every number of dimensions: fewer compilations on a cold start.
Each kernel has a `_parallel` twin (`prange` over elements or rows) that the backend uses
above `PARALLEL_THRESHOLD` elements, where the thread launch cost pays for itself.
"""

from numba import prange

from kernels import ops
from kernels.cpu.jit import inline, kernel, parallel_kernel
from kernels.cpu.scalar import (
    ordinal_to_position,
    row_start_position,
    store_binary,
    store_bitwise,
    store_unary,
)

# Below this many elements the serial kernels win. Measured on the project's 2-core machines
# (benchmarks/kernels.py): a serial float32 add keeps up with NumPy, while a `prange` launch
# costs from ~5 us (idle machine) to several ms (busy machine, Numba's workqueue threads
# waiting for a core). So the parallel kernels are kept for very large arrays only.
PARALLEL_THRESHOLD = 1 << 23

# (Numba checks a cached kernel against this file's text only, not against the op tables it
# inlines from ops.py, scalar.py and scalar_math.py; kernels/cpu/jit.py drops the cache when
# any of them changes.)


@kernel
def map_contiguous(op, x, out):
    """for i: out[i] = f(x[i])   (x, out: flat arrays of equal length)

    A plain copy/cast and relu get loops of their own (vectorised, see zip_contiguous).
    """
    n = out.shape[0]
    if op == ops.IDENTITY:
        for i in range(n):
            out[i] = x[i]
    elif op == ops.RELU:
        for i in range(n):
            out[i] = 0 if x[i] < 0 else x[i]  # not `x > 0`: nan stays nan, as PyTorch
    else:
        for i in range(n):
            store_unary(op, x[i], out, i)


@parallel_kernel
def map_contiguous_parallel(op, x, out):
    """map_contiguous with the loop split across threads."""
    for i in prange(out.shape[0]):
        store_unary(op, x[i], out, i)


@kernel
def zip_contiguous(op, a, b, out):
    """for i: out[i] = f(a[i], b[i])

    The arithmetic ops and relu_back get loops of their own: with the operation fixed, the compiler
    turns them into SIMD instructions (several elements per instruction). Every other op
    shares the generic loop through store_binary.
    """
    n = out.shape[0]
    if op == ops.ADD:
        for i in range(n):
            out[i] = a[i] + b[i]
    elif op == ops.SUB:
        for i in range(n):
            out[i] = a[i] - b[i]
    elif op == ops.MUL:
        for i in range(n):
            out[i] = a[i] * b[i]
    elif op == ops.RELU_BACK:  # every ReLU's backward: ~20x faster than the generic loop
        for i in range(n):
            out[i] = b[i] if a[i] > 0 else 0.0 * b[i]  # scalar_math.relu_back
    else:
        for i in range(n):
            store_binary(op, a[i], b[i], out, i)


@parallel_kernel
def zip_contiguous_parallel(op, a, b, out):
    """zip_contiguous with the loop split across threads."""
    n = out.shape[0]
    if op == ops.ADD:
        for i in prange(n):
            out[i] = a[i] + b[i]
    elif op == ops.MUL:
        for i in prange(n):
            out[i] = a[i] * b[i]
    else:
        for i in prange(n):
            store_binary(op, a[i], b[i], out, i)


@kernel
def zip_scalar(op, a, b_value, out, scalar_first):
    """for i: out[i] = f(a[i], b) (or f(b, a[i])): a tensor with a single broadcast value."""
    n = out.shape[0]
    if op == ops.MUL:
        for i in range(n):
            out[i] = a[i] * b_value
    elif op == ops.ADD:
        for i in range(n):
            out[i] = a[i] + b_value
    elif op == ops.SUB and not scalar_first:
        for i in range(n):
            out[i] = a[i] - b_value
    elif op == ops.SUB:
        for i in range(n):
            out[i] = b_value - a[i]
    elif scalar_first:
        for i in range(n):
            store_binary(op, b_value, a[i], out, i)
    else:
        for i in range(n):
            store_binary(op, a[i], b_value, out, i)


@inline
def _map_rows(op, first, last, x, x_strides, x_offset, out, out_strides, out_offset, shape):
    inner = shape[shape.shape[0] - 1]
    sx = x_strides[x_strides.shape[0] - 1]
    so = out_strides[out_strides.shape[0] - 1]
    for row in range(first, last):
        px = row_start_position(row, shape, x_strides, x_offset)
        po = row_start_position(row, shape, out_strides, out_offset)
        for j in range(inner):
            store_unary(op, x[px + j * sx], out, po + j * so)


@kernel
def map_strided(op, x, x_strides, x_offset, out, out_strides, out_offset, shape):
    """for every index i of `shape`: out[pos_out(i)] = f(x[pos_x(i)])"""
    if shape.shape[0] == 0:
        store_unary(op, x[x_offset], out, out_offset)
        return
    inner = shape[shape.shape[0] - 1]
    if inner == 0:
        return
    n_rows = 1
    for k in range(shape.shape[0] - 1):
        n_rows *= shape[k]
    _map_rows(op, 0, n_rows, x, x_strides, x_offset, out, out_strides, out_offset, shape)


@parallel_kernel
def map_strided_parallel(op, x, x_strides, x_offset, out, out_strides, out_offset, shape):
    """map_strided with the rows split across threads (needs at least one dimension)."""
    n_rows = 1
    for k in range(shape.shape[0] - 1):
        n_rows *= shape[k]
    for row in prange(n_rows):
        _map_rows(op, row, row + 1, x, x_strides, x_offset, out, out_strides, out_offset, shape)


@inline
def _zip_rows(op, first, last, a, a_strides, a_offset, b, b_strides, b_offset,
              out, out_strides, out_offset, shape):
    last_dim = shape.shape[0] - 1
    inner = shape[last_dim]
    sa = a_strides[last_dim]
    sb = b_strides[last_dim]
    so = out_strides[last_dim]
    for row in range(first, last):
        pa = row_start_position(row, shape, a_strides, a_offset)
        pb = row_start_position(row, shape, b_strides, b_offset)
        po = row_start_position(row, shape, out_strides, out_offset)
        # the hot ops get loops of their own, as in zip_contiguous (a bias add is one)
        if op == ops.ADD:
            for j in range(inner):
                out[po + j * so] = a[pa + j * sa] + b[pb + j * sb]
        elif op == ops.MUL:
            for j in range(inner):
                out[po + j * so] = a[pa + j * sa] * b[pb + j * sb]
        elif op == ops.SUB:
            for j in range(inner):
                out[po + j * so] = a[pa + j * sa] - b[pb + j * sb]
        else:
            for j in range(inner):
                store_binary(op, a[pa + j * sa], b[pb + j * sb], out, po + j * so)


@kernel
def zip_rows(op, a, a_offset, a_row_stride, b, b_offset, b_row_stride, out, out_offset,
             out_row_stride, n_rows, n_cols):
    """for row, j: out[po + j] = f(a[pa + j], b[pb + j]), p = offset + row * row_stride

    2-d views whose rows are contiguous, e.g. a bias add x (N, F) + b (F,) (b's row stride
    is 0): each row is walked as a slice, which the compiler vectorises, ~5x faster than
    zip_strided. For ADD, SUB and MUL only (the backend checks): with the op tested outside
    the row loop and no generic op in it, Numba keeps the slices free of reference counting.
    """
    if op == ops.ADD:
        for row in range(n_rows):
            pa = a_offset + row * a_row_stride
            pb = b_offset + row * b_row_stride
            po = out_offset + row * out_row_stride
            a_row, b_row, out_row = a[pa:pa + n_cols], b[pb:pb + n_cols], out[po:po + n_cols]
            for j in range(n_cols):
                out_row[j] = a_row[j] + b_row[j]
    elif op == ops.SUB:
        for row in range(n_rows):
            pa = a_offset + row * a_row_stride
            pb = b_offset + row * b_row_stride
            po = out_offset + row * out_row_stride
            a_row, b_row, out_row = a[pa:pa + n_cols], b[pb:pb + n_cols], out[po:po + n_cols]
            for j in range(n_cols):
                out_row[j] = a_row[j] - b_row[j]
    else:  # ops.MUL
        for row in range(n_rows):
            pa = a_offset + row * a_row_stride
            pb = b_offset + row * b_row_stride
            po = out_offset + row * out_row_stride
            a_row, b_row, out_row = a[pa:pa + n_cols], b[pb:pb + n_cols], out[po:po + n_cols]
            for j in range(n_cols):
                out_row[j] = a_row[j] * b_row[j]


@kernel
def zip_strided(op, a, a_strides, a_offset, b, b_strides, b_offset,
                out, out_strides, out_offset, shape):
    """for every index i of `shape`: out[pos_out(i)] = f(a[pos_a(i)], b[pos_b(i)])"""
    if shape.shape[0] == 0:
        store_binary(op, a[a_offset], b[b_offset], out, out_offset)
        return
    if shape[shape.shape[0] - 1] == 0:
        return
    n_rows = 1
    for k in range(shape.shape[0] - 1):
        n_rows *= shape[k]
    _zip_rows(op, 0, n_rows, a, a_strides, a_offset, b, b_strides, b_offset,
              out, out_strides, out_offset, shape)


@parallel_kernel
def zip_strided_parallel(op, a, a_strides, a_offset, b, b_strides, b_offset,
                         out, out_strides, out_offset, shape):
    """zip_strided with the rows split across threads (needs at least one dimension)."""
    n_rows = 1
    for k in range(shape.shape[0] - 1):
        n_rows *= shape[k]
    for row in prange(n_rows):
        _zip_rows(op, row, row + 1, a, a_strides, a_offset, b, b_strides, b_offset,
                  out, out_strides, out_offset, shape)


@kernel
def where_contiguous(c, a, b, out):
    """for i: out[i] = a[i] if c[i] else b[i] (four flat views of one shape)"""
    for i in range(out.shape[0]):
        out[i] = a[i] if c[i] else b[i]


@kernel
def where_strided(c, c_strides, c_offset, a, a_strides, a_offset, b, b_strides, b_offset,
                  out, out_strides, out_offset, shape):
    """for every index i: out[i] = a[i] if c[i] else b[i] (positions from each view's strides),
    with the index math once per row, as in zip_strided (a causal mask (T, T) broadcast over
    (B, H, T, T) is a common case)"""
    if shape.shape[0] == 0:
        out[out_offset] = a[a_offset] if c[c_offset] else b[b_offset]
        return
    last = shape.shape[0] - 1
    inner = shape[last]
    if inner == 0:
        return
    sc, sa, sb, so = c_strides[last], a_strides[last], b_strides[last], out_strides[last]
    n_rows = 1
    for k in range(last):
        n_rows *= shape[k]
    for row in range(n_rows):
        pc = row_start_position(row, shape, c_strides, c_offset)
        pa = row_start_position(row, shape, a_strides, a_offset)
        pb = row_start_position(row, shape, b_strides, b_offset)
        po = row_start_position(row, shape, out_strides, out_offset)
        for j in range(inner):
            out[po + j * so] = a[pa + j * sa] if c[pc + j * sc] else b[pb + j * sb]


@kernel
def bitwise_strided(op, a, a_strides, a_offset, b, b_strides, b_offset,
                    out, out_strides, out_offset, shape):
    """for every index i: out[i] = f(a[i], b[i]) for a bit op (integers; ops.BITWISE_OPS).

    Bit ops are rare in a network, so they get this one plain strided loop, no fast paths.
    """
    n = 1
    for k in range(shape.shape[0]):
        n *= shape[k]
    for ordinal in range(n):
        pa = ordinal_to_position(ordinal, shape, a_strides, a_offset)
        pb = ordinal_to_position(ordinal, shape, b_strides, b_offset)
        po = ordinal_to_position(ordinal, shape, out_strides, out_offset)
        store_bitwise(op, a[pa], b[pb], out, po)
