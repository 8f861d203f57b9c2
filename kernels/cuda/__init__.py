"""The CUDA backend: the backend interface (kernels/backend.py) in numba.cuda.

Modules, in reading order:
- `launch`: THREADS_PER_BLOCK, the grid helper `blocks_for`, and host-side view planning;
- `device`: scalar_math and strided index math compiled with `cuda.jit(device=True)`;
- `elementwise`, `reduce`, `matmul`, `indexing`: the kernels (grid-stride loops,
  shared-memory reduction trees, naive and tiled matmul, atomics);
- `conv`, `optim`: direct-loop convolution and max pooling (forward and backward), and the
  fused optimizer updates (per-step scalars from kernels/optim_math.py, shared with the CPU);
- `loss`: cross entropy of logits and class indices, fused (one thread per row);
- `sort`: argsort along one axis, a stable bitonic sort of (key, index) pairs: one block
  per row in shared memory, or one launch per stage in global memory for long rows;
- `backend`: `CUDABackend`, which plans each call on the host and launches the kernels.

Which numba.cuda runs this
--------------------------
Numba's built-in CUDA target (`numba.cuda` inside the `numba` package) is deprecated; its
development moved to NVIDIA's `numba-cuda` package, which, once installed, provides
`numba.cuda` in its place (`numba.cuda.implementation` tells which one is running).
NVIDIA's installation guide for numba-cuda says it supports the two most recent CUDA Toolkit
major releases, presently CUDA 12 and CUDA 13 (`pip install numba-cuda[cu12]` or
`numba-cuda[cu13]`, which bring the toolkit libraries as wheels); GPUs of compute capability
5.0 to 12.1 with CUDA 12 and 7.5 to 12.1 with CUDA 13. Earlier numba-cuda releases supported
CUDA 11 (11.2 at least) and 12. The project's `[cuda]` extra is meant for a real GPU.

Without numba-cuda, the built-in `numba.cuda` still works, and with NUMBA_ENABLE_CUDASIM=1
(set before numba.cuda is imported) it runs every kernel here on the CUDA simulator: each GPU
thread is a Python thread, so it is slow but needs no GPU and no CUDA toolkit. The tests use
it on machines without a GPU; under it THREADS_PER_BLOCK and TILE are made small.

Bool buffers are NumPy bool device arrays; the kernels read and write them directly (numba
casts a stored value v to bool as v != 0). Atomics have no bool/int8/int16/float16 form, so
index_add on such buffers runs a one-thread serial kernel instead (see indexing.py).
Random numbers are generated on the host by the Tensor layer and copied with from_numpy.
"""

import sys

if "numba.cuda" not in sys.modules:
    # NUMBA_ENABLE_CUDASIM may have been set after numba itself was imported (tests/conftest.py
    # does so): re-read the environment so that numba.cuda picks the target it names.
    from numba.core import config

    config.reload_config()

from kernels.cuda.backend import CUDABackend  # after the config reload
from kernels.cuda.launch import SIMULATOR, THREADS_PER_BLOCK, blocks_for
from kernels.cuda.matmul import TILE

__all__ = ["SIMULATOR", "THREADS_PER_BLOCK", "TILE", "CUDABackend", "blocks_for"]
