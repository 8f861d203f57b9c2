"""Gather and scatter by flat buffer position: the kernels behind all advanced indexing.

The Tensor layer turns any gather-like operation (`x[idx]`, `x[mask]`, `gather`, embedding
lookup, the windows of a convolution) into an int64 array of buffer positions. Then:

    take:       for i: out[i] = buffer[positions[i]]
    index_add:  for i: buffer[positions[i]] += source[i]   (the gradient of take)
    index_put:  for i: buffer[positions[i]] = source[i]    (x[idx] = v)
"""

from kernels.cpu.jit import kernel


@kernel
def take(buffer, positions, out):
    """for i: out[i] = buffer[positions[i]]"""
    for i in range(positions.shape[0]):
        out[i] = buffer[positions[i]]


@kernel
def index_add(buffer, positions, source):
    """for i: buffer[positions[i]] += source[i]; repeated positions add up, in order."""
    for i in range(positions.shape[0]):
        buffer[positions[i]] += source[i]


@kernel
def index_put(buffer, positions, source):
    """for i: buffer[positions[i]] = source[i]; with repeats, the last write wins."""
    for i in range(positions.shape[0]):
        buffer[positions[i]] = source[i]
