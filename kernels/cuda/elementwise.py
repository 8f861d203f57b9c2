"""Elementwise kernels: fill, map, zip, where; a contiguous fast path and a strided path each.

All are grid-stride loops over the `size` elements of the output (see launch.py):

    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        out[out_position(i)] = f(x[x_position(i)])

The contiguous kernels take positions offset + i (every view plain row-major, same shape);
the strided kernels compute each position with `ordinal_to_position(i, shape, strides, offset)`,
where a broadcast dimension has stride 0 (the host computes strides with broadcast_strides).
`copy` is `map` with op IDENTITY: the store casts to out's dtype.

map and zip come in two versions, made by `map_kernels(load)` and `zip_kernels(load)`: `keep`
uses each loaded value as it is; `widen` turns inputs to float32 first (the host picks the
*_half kernels when an input is float16 and none is float64).
"""

from numba import cuda, float32

from kernels.cuda.device import ordinal_to_position, store_binary, store_bitwise, store_unary


@cuda.jit
def fill_kernel(out, value, size):
    """for i: out[i] = value"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        out[i] = value


@cuda.jit(device=True)
def keep(value):
    """A loaded value as it is."""
    return value


@cuda.jit(device=True)
def widen(value):
    """float16 -> float32, exactly: the *_half kernels compute in float32 and round once, when
    they store (as PyTorch's CUDA kernels do). Numba's CUDA targets also cannot compile a
    float16 -> bool conversion (a cast, or any comparison's store), so this is needed too."""
    return float32(value)


def map_kernels(load):
    """map's contiguous and strided kernels, each loaded value passed through `load`."""

    @cuda.jit
    def map_contiguous(op, x, x_offset, out, out_offset, size):
        """for i: out[out_offset + i] = f(x[x_offset + i])"""
        for i in range(cuda.grid(1), size, cuda.gridsize(1)):
            store_unary(op, load(x[x_offset + i]), out, out_offset + i)

    @cuda.jit
    def map_strided(op, x, x_strides, x_offset, out, out_strides, out_offset, shape, size):
        """for i: out[pos_out(i)] = f(x[pos_x(i)]), pos(i) = ordinal_to_position(i, shape, ...)"""
        for i in range(cuda.grid(1), size, cuda.gridsize(1)):
            x_position = ordinal_to_position(i, shape, x_strides, x_offset)
            out_position = ordinal_to_position(i, shape, out_strides, out_offset)
            store_unary(op, load(x[x_position]), out, out_position)

    return map_contiguous, map_strided


def zip_kernels(load, store=store_binary):
    """zip's contiguous and strided kernels, each loaded value passed through `load`, the
    result stored by `store` (store_binary; store_bitwise makes the bit-op kernels)."""

    @cuda.jit
    def zip_contiguous(op, a, a_offset, b, b_offset, out, out_offset, size):
        """for i: out[out_offset + i] = f(a[a_offset + i], b[b_offset + i])"""
        for i in range(cuda.grid(1), size, cuda.gridsize(1)):
            store(op, load(a[a_offset + i]), load(b[b_offset + i]), out, out_offset + i)

    @cuda.jit
    def zip_strided(op, a, a_strides, a_offset, b, b_strides, b_offset,
                    out, out_strides, out_offset, shape, size):
        """for i: out[pos_out(i)] = f(a[pos_a(i)], b[pos_b(i)]) (stride 0 = broadcast)"""
        for i in range(cuda.grid(1), size, cuda.gridsize(1)):
            a_position = ordinal_to_position(i, shape, a_strides, a_offset)
            b_position = ordinal_to_position(i, shape, b_strides, b_offset)
            out_position = ordinal_to_position(i, shape, out_strides, out_offset)
            store(op, load(a[a_position]), load(b[b_position]), out, out_position)

    return zip_contiguous, zip_strided


map_contiguous_kernel, map_strided_kernel = map_kernels(keep)
zip_contiguous_kernel, zip_strided_kernel = zip_kernels(keep)
# for float16 inputs with no float64 one (the host checks): every input is widened; float32
# holds any float16 or float32 exactly, and an integer to more precision than the float16
# result (or the comparison) needs
map_contiguous_half_kernel, map_strided_half_kernel = map_kernels(widen)
zip_contiguous_half_kernel, zip_strided_half_kernel = zip_kernels(widen)

# the host's choice: (contiguous, half) -> kernel
MAP_KERNELS = {(True, False): map_contiguous_kernel, (False, False): map_strided_kernel,
               (True, True): map_contiguous_half_kernel, (False, True): map_strided_half_kernel}
ZIP_KERNELS = {(True, False): zip_contiguous_kernel, (False, False): zip_strided_kernel,
               (True, True): zip_contiguous_half_kernel, (False, True): zip_strided_half_kernel}

# bit ops (integers only, kernels/ops.py BITWISE_OPS): zip's loops with the bit-op store;
# contiguous -> kernel
bitwise_contiguous_kernel, bitwise_strided_kernel = zip_kernels(keep, store_bitwise)
BITWISE_KERNELS = {True: bitwise_contiguous_kernel, False: bitwise_strided_kernel}


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
