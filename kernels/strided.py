"""Strided arrays: how an n-d tensor lives in a flat buffer, and the index math on it.

A tensor of shape (2, 3) with strides (3, 1) and offset 0 keeps element [i, j] at
`buffer[0 + i*3 + j*1]`. Its transpose is shape (3, 2), strides (1, 3): same buffer, no copy.
Broadcasting a dimension is a stride of 0: every index along it reads the same element.

The index functions here are plain Python on purpose: `kernels/cpu` compiles them with
`njit(inline="always")` and `kernels/cuda` with `cuda.jit(device=True)`, so the CPU loops,
the GPU threads and a learner reading this file all use one definition.
"""

from typing import Any, NamedTuple

Shape = tuple[int, ...]
Strides = tuple[int, ...]
Buffer = Any  # a flat 1-D array: numpy.ndarray on the CPU, a device array on CUDA


class Strided(NamedTuple):
    """A strided view of a flat buffer: x[i0, i1, ...] = buffer[offset + sum(ik * strides[k])]."""

    buffer: Buffer
    shape: Shape
    strides: Strides
    offset: int


def contiguous_strides(shape: Shape) -> Strides:
    """Row-major (C order) strides: the last dimension moves fastest. (2, 3, 4) -> (12, 4, 1)."""
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def is_contiguous(shape: Shape, strides: Strides) -> bool:
    """True when the view is laid out row-major with no gaps (size-1 dims may have any stride)."""
    step = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1 and stride != step:
            return False
        step *= size
    return True


def numel(shape: Shape) -> int:
    """Number of elements of a shape (1 for the 0-d shape ())."""
    n = 1
    for size in shape:
        n *= size
    return n


def broadcast_shapes(*shapes: Shape) -> Shape:
    """The shape that all `shapes` broadcast to (NumPy/PyTorch rules), or ValueError.

    Right-align the shapes; in each column the sizes must be equal or 1; the result takes the
    size that is not 1. (3, 1) and (4,) -> (3, 4).
    """
    ndim = max((len(s) for s in shapes), default=0)
    result = []
    for axis in range(-ndim, 0):
        size = 1
        for shape in shapes:
            if -axis <= len(shape):
                dim = shape[axis]
                if dim != 1:
                    if size != 1 and size != dim:
                        raise ValueError(
                            f"shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be "
                            f"broadcast together: size {size} vs {dim} at dimension {axis}"
                        )
                    size = dim
        result.append(size)
    return tuple(result)


def broadcast_strides(shape: Shape, strides: Strides, out_shape: Shape) -> Strides:
    """Strides that read a view of `shape` as if it had `out_shape`: 0 where it is broadcast."""
    lead = len(out_shape) - len(shape)
    result = [0] * lead
    for size, stride, out_size in zip(shape, strides, out_shape[lead:]):
        result.append(stride if size == out_size else 0)
    return tuple(result)


# ---- index math, compiled per target (see the module docstring) ----------------------------


def index_to_position(index, strides, offset):
    """Flat buffer position of a multi-index: offset + sum(index[k] * strides[k])."""
    position = offset
    for k in range(len(strides)):
        position += index[k] * strides[k]
    return position


def to_index(ordinal, shape, out_index):
    """Write into `out_index` the multi-index of the `ordinal`-th element in row-major order.

    Example: shape (2, 3), ordinal 4 -> index (1, 1), since 4 = 1*3 + 1.
    """
    remaining = ordinal
    for k in range(len(shape) - 1, -1, -1):
        size = shape[k]
        out_index[k] = remaining % size
        remaining = remaining // size


def ordinal_to_position(ordinal, shape, strides, offset):
    """Buffer position of the `ordinal`-th element (row-major) of a strided view, no temp index.

    This is to_index followed by index_to_position, fused so a kernel needs no scratch array.
    """
    position = offset
    remaining = ordinal
    for k in range(len(shape) - 1, -1, -1):
        size = shape[k]
        position += (remaining % size) * strides[k]
        remaining = remaining // size
    return position


def row_start_position(row, shape, strides, offset):
    """Buffer position of element [.., 0] of the `row`-th row (all dims but the last).

    Kernels run the index math once per row and then walk the last dimension by its stride.
    The outermost dim needs no `%`: row < the number of rows, so what remains is its index
    (a 64-bit division costs ~40 cycles, and a 2-d view then needs none at all).
    """
    position = offset
    remaining = row
    for k in range(len(shape) - 2, 0, -1):
        size = shape[k]
        position += (remaining % size) * strides[k]
        remaining = remaining // size
    if len(shape) >= 2:
        position += remaining * strides[0]
    return position
