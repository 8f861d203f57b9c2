"""Gather and scatter by flat buffer position: the kernels behind all advanced indexing.

The Tensor layer turns any gather-like operation (`x[idx]`, `x[mask]`, `gather`, embedding
lookup, the windows of a convolution) into an int64 array of buffer positions. Then:

    take:       for i: out[i] = buffer[positions[i]]
    index_add:  for i: buffer[positions[i]] += source[i]   (the gradient of take)
    index_put:  for i: buffer[positions[i]] = source[i]    (x[idx] = v)

The Tensor layer checks indices against the tensor's shape and raises PyTorch's errors. As a
last line of defence (compiled code has no bounds checks: a bad position would read or write
memory outside the buffer), each kernel also checks every position against the buffer.
"""

from kernels.cpu.jit import inline, kernel


@inline
def _check_positions(positions, size):
    """Raise IndexError unless 0 <= positions[i] < size for every i."""
    for i in range(positions.shape[0]):
        if positions[i] < 0 or positions[i] >= size:
            raise IndexError("indexing kernel: a position is outside the buffer")


@kernel
def take(buffer, positions, out):
    """for i: out[i] = buffer[positions[i]]"""
    _check_positions(positions, buffer.shape[0])
    for i in range(positions.shape[0]):
        out[i] = buffer[positions[i]]


@kernel
def index_add(buffer, positions, source):
    """for i: buffer[positions[i]] += source[i]; repeated positions add up, in order."""
    _check_positions(positions, buffer.shape[0])
    for i in range(positions.shape[0]):
        buffer[positions[i]] += source[i]


@kernel
def index_put(buffer, positions, source):
    """for i: buffer[positions[i]] = source[i]; with repeats, the last write wins."""
    _check_positions(positions, buffer.shape[0])
    for i in range(positions.shape[0]):
        buffer[positions[i]] = source[i]
