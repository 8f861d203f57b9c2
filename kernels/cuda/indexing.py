"""Gather and scatter by flat buffer position: take, index_add (atomics), index_put.

`positions` is an int64 strided view; element i of it (row-major) names a position in the
flat `buffer`. `source` is read broadcast to positions' shape (its strides come from the host).

index_add must be right when a position repeats: two threads adding to one element at once
would lose an update (read, add, write interleave), so each add is `cuda.atomic.add`, which
the hardware serialises per address. Atomics exist for int32, int64, uint32, uint64, float32
and float64; for other dtypes (bool, int8, uint8, int16, float16) the host runs
`index_add_serial_kernel`, a single thread doing every add in order: correct, not fast.

The Tensor layer checks indices and raises PyTorch's errors. A GPU kernel cannot raise, so as
a last line of defence each kernel skips a position outside the buffer (take reads 0 there)
rather than touch memory it does not own.
"""

from numba import cuda

from kernels.cuda.device import ordinal_to_position

ATOMIC_DTYPES = ("int32", "int64", "uint32", "uint64", "float32", "float64")


@cuda.jit
def take_kernel(buffer, positions, p_strides, p_offset, shape, size, out):
    """for i: out[i] = buffer[positions[pos_p(i)]]"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        target = positions[ordinal_to_position(i, shape, p_strides, p_offset)]
        if 0 <= target < buffer.shape[0]:
            out[i] = buffer[target]
        else:
            out[i] = 0


@cuda.jit
def index_add_kernel(buffer, positions, p_strides, p_offset, source, s_strides, s_offset,
                     shape, size):
    """for i: buffer[positions[pos_p(i)]] += source[pos_s(i)], atomically"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        target = positions[ordinal_to_position(i, shape, p_strides, p_offset)]
        value = source[ordinal_to_position(i, shape, s_strides, s_offset)]
        if 0 <= target < buffer.shape[0]:
            cuda.atomic.add(buffer, target, value)


@cuda.jit
def index_add_serial_kernel(buffer, positions, p_strides, p_offset, source, s_strides,
                            s_offset, shape, size):
    """Thread 0 alone: for i in order: buffer[positions[pos_p(i)]] += source[pos_s(i)]"""
    if cuda.grid(1) == 0:
        for i in range(size):
            target = positions[ordinal_to_position(i, shape, p_strides, p_offset)]
            if 0 <= target < buffer.shape[0]:
                buffer[target] += source[ordinal_to_position(i, shape, s_strides, s_offset)]


@cuda.jit
def index_put_kernel(buffer, positions, p_strides, p_offset, source, s_strides, s_offset,
                     shape, size):
    """for i: buffer[positions[pos_p(i)]] = source[pos_s(i)] (a repeated position: any one
    of its writes wins, as on PyTorch's GPU)"""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        target = positions[ordinal_to_position(i, shape, p_strides, p_offset)]
        if 0 <= target < buffer.shape[0]:
            buffer[target] = source[ordinal_to_position(i, shape, s_strides, s_offset)]
