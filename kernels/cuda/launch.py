"""Launch geometry for the CUDA kernels: block size, grid size, and the host-side view planning.

Every kernel here is a grid-stride loop:

    for i in range(cuda.grid(1), size, cuda.gridsize(1)):   # thread t does t, t + G, t + 2G, ..
        ...

so a launch needs only *some* grid, not one thread per element: `blocks_for(size)` asks for
ceil(size / THREADS_PER_BLOCK) blocks, capped at a few dozen per multiprocessor (more only
queue up and cost scheduling). Adjacent threads touch adjacent elements, so each warp's loads
and stores coalesce into a few memory transactions.

Under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1) every GPU thread is a Python thread, so the
block is made small and the grid capped at two blocks: the same code paths run (several
blocks, grid-stride wrap-around, shared-memory trees), only fast enough for tests.
"""

import numpy as np
from numba import cuda
from numba.core import config

from kernels.strided import Shape, Strides, broadcast_strides

SIMULATOR: bool = bool(config.ENABLE_CUDASIM)

# Threads per block for 1-D kernels; a power of two (the shared-memory trees halve it).
THREADS_PER_BLOCK: int = 16 if SIMULATOR else 256
# Grid cap for grid-stride loops: this many resident blocks per multiprocessor is plenty.
BLOCKS_PER_SM: int = 32
SIMULATOR_MAX_BLOCKS: int = 2

_sm_count: list[int] = []  # filled on first use: asking the driver costs a call


def sm_count() -> int:
    """Number of streaming multiprocessors of the current device (1 under the simulator)."""
    if SIMULATOR:
        return 1
    if not _sm_count:
        _sm_count.append(int(cuda.current_context().device.MULTIPROCESSOR_COUNT))
    return _sm_count[0]


def max_blocks() -> int:
    """The most blocks a grid-stride launch asks for."""
    return SIMULATOR_MAX_BLOCKS if SIMULATOR else BLOCKS_PER_SM * sm_count()


def blocks_for(size: int, threads: int = THREADS_PER_BLOCK) -> int:
    """Blocks for `size` work items: ceil(size / threads), at least 1, at most max_blocks()."""
    return max(1, min((size + threads - 1) // threads, max_blocks()))


# ---- host-side view planning --------------------------------------------------------------


def collapse(shape: Shape, strides_list: list[Strides]) -> tuple[Shape, list[Strides]]:
    """Drop size-1 dims and merge neighbours that are contiguous in *every* view.

    Dims k and k+1 merge when stride[k] == stride[k+1] * shape[k+1] for each view; the
    row-major order of the elements is unchanged, but a kernel then does fewer div/mod per
    element in `ordinal_to_position`. A contiguous view collapses to shape (n,), strides (1,).
    A 0-d or all-ones shape becomes (1,) with stride 0 (the kernels want at least one dim).
    """
    kept = [k for k, size in enumerate(shape) if size != 1]
    new_shape: list[int] = []
    new_strides: list[list[int]] = [[] for _ in strides_list]
    for k in kept:
        size = int(shape[k])
        mergeable = bool(new_shape) and all(
            new[-1] == int(strides[k]) * size for new, strides in zip(new_strides, strides_list)
        )
        if mergeable:
            new_shape[-1] *= size
            for new, strides in zip(new_strides, strides_list):
                new[-1] = int(strides[k])
        else:
            new_shape.append(size)
            for new, strides in zip(new_strides, strides_list):
                new.append(int(strides[k]))
    if not new_shape:
        return (1,), [(0,) for _ in strides_list]
    return tuple(new_shape), [tuple(new) for new in new_strides]


def plan_elementwise(out_shape: Shape, views: list) -> tuple[Shape, list[Strides], bool]:
    """Shape and per-view strides for an elementwise loop over out_shape, and whether every
    view is plain contiguous (then the kernel can use out[o + i] = f(x[x0 + i]))."""
    strides_list = [broadcast_strides(v.shape, v.strides, out_shape) for v in views]
    shape, strides_list = collapse(out_shape, strides_list)
    contiguous = len(shape) == 1 and all(s == (1,) for s in strides_list)
    return shape, strides_list, contiguous


def is_device_buffer(buffer: object) -> bool:
    """True for a numba device array (real or simulated); False for a NumPy array, which a
    kernel launch would silently copy to the device and back."""
    return hasattr(buffer, "copy_to_host")


def accumulator_dtype(dtype: np.dtype) -> np.dtype:
    """float64 for floating outputs, int64 for integer and bool ones (reduction partials)."""
    return np.dtype(np.float64) if np.dtype(dtype).kind in "fc" else np.dtype(np.int64)
