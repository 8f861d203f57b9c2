"""Elementwise kernels: fill, map, zip, where; a contiguous fast path and a strided path each.

All are grid-stride loops over the `size` elements of the output (see launch.py):

    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        out[out_position(i)] = f(x[x_position(i)])

The contiguous kernels take positions offset + i (every view plain row-major, same shape);
the strided kernels compute each position with `ordinal_to_position(i, shape, strides, offset)`,
where a broadcast dimension has stride 0 (the host computes strides with broadcast_strides).
`copy` is `map` with op IDENTITY: the store casts to out's dtype.
"""

from numba import cuda

from kernels.cuda.device import ordinal_to_position, store_binary, store_unary


@cuda.jit
def fill_kernel(out, value, size):
    """for i: out[i] = value"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        out[i] = value


@cuda.jit
def map_contiguous_kernel(op, x, x_offset, out, out_offset, size):
    """for i: out[out_offset + i] = f(x[x_offset + i])"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        store_unary(op, x[x_offset + i], out, out_offset + i)


@cuda.jit
def map_strided_kernel(op, x, x_strides, x_offset, out, out_strides, out_offset, shape, size):
    """for i: out[pos_out(i)] = f(x[pos_x(i)]), pos(i) = ordinal_to_position(i, shape, ...)"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        x_position = ordinal_to_position(i, shape, x_strides, x_offset)
        out_position = ordinal_to_position(i, shape, out_strides, out_offset)
        store_unary(op, x[x_position], out, out_position)


@cuda.jit
def zip_contiguous_kernel(op, a, a_offset, b, b_offset, out, out_offset, size):
    """for i: out[out_offset + i] = f(a[a_offset + i], b[b_offset + i])"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        store_binary(op, a[a_offset + i], b[b_offset + i], out, out_offset + i)


@cuda.jit
def zip_strided_kernel(op, a, a_strides, a_offset, b, b_strides, b_offset,
                       out, out_strides, out_offset, shape, size):
    """for i: out[pos_out(i)] = f(a[pos_a(i)], b[pos_b(i)]) (stride 0 = broadcast)"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        a_position = ordinal_to_position(i, shape, a_strides, a_offset)
        b_position = ordinal_to_position(i, shape, b_strides, b_offset)
        out_position = ordinal_to_position(i, shape, out_strides, out_offset)
        store_binary(op, a[a_position], b[b_position], out, out_position)


@cuda.jit
def where_contiguous_kernel(condition, c_offset, a, a_offset, b, b_offset, out, out_offset,
                            size):
    """for i: out[i] = a[i] if condition[i] else b[i] (all at their offsets)"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        if condition[c_offset + i]:
            out[out_offset + i] = a[a_offset + i]
        else:
            out[out_offset + i] = b[b_offset + i]


@cuda.jit
def where_strided_kernel(condition, c_strides, c_offset, a, a_strides, a_offset,
                         b, b_strides, b_offset, out, out_strides, out_offset, shape, size):
    """for i: out[pos_out(i)] = a[pos_a(i)] if condition[pos_c(i)] else b[pos_b(i)]"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        out_position = ordinal_to_position(i, shape, out_strides, out_offset)
        if condition[ordinal_to_position(i, shape, c_strides, c_offset)]:
            out[out_position] = a[ordinal_to_position(i, shape, a_strides, a_offset)]
        else:
            out[out_position] = b[ordinal_to_position(i, shape, b_strides, b_offset)]
