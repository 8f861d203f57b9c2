"""`tinygrad_edu.cuda`: PyTorch's `torch.cuda` names for asking about the GPU.

numba.cuda is imported only inside these functions, on first use: `import tinygrad_edu` stays
fast, and NUMBA_ENABLE_CUDASIM=1 may still be set after it (before the first CUDA call).

Under the CUDA simulator, "cuda" tensors work (slowly) but there is no GPU, so
`is_available()` is False, as PyTorch would say on that machine; `is_simulator()` (our
addition) tells that the simulator is on, and the other functions describe the simulated
device. PyTorch: `device_count()` is 0 without a GPU; here it is 1 under the simulator,
because "cuda:0" tensors do exist there.
"""

import os
import sys
from types import ModuleType

__all__ = [
    "current_device", "device_count", "empty_cache", "get_device_name", "is_available",
    "is_simulator", "manual_seed", "manual_seed_all", "synchronize",
]

SIMULATOR_NAME = "CUDA simulator (numba)"


def _numba_cuda() -> ModuleType:
    """numba.cuda, imported on first use (re-reading NUMBA_ENABLE_CUDASIM if numba was
    imported before it was set, as kernels/cuda/launch.py does)."""
    if "numba.cuda" not in sys.modules:
        from numba.core import config

        config.reload_config()
    from numba import cuda

    return cuda


def is_simulator() -> bool:
    """True when numba.cuda runs on its CUDA simulator (NUMBA_ENABLE_CUDASIM=1)."""
    if "numba.cuda" in sys.modules:
        from numba.core import config

        return bool(config.ENABLE_CUDASIM)  # what numba.cuda was imported with
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def is_available() -> bool:
    """True only when a real CUDA GPU and driver are usable (False under the simulator)."""
    if is_simulator():
        return False
    return bool(_numba_cuda().is_available())  # False when no driver library loads


def _require_device() -> None:
    """Raise PyTorch's kind of error when there is neither a GPU nor the simulator."""
    if not is_simulator() and not is_available():
        raise RuntimeError("Found no NVIDIA driver or CUDA GPU on this system (to run "
                           "'cuda' tensors on Numba's simulator instead, set "
                           "NUMBA_ENABLE_CUDASIM=1 before Python starts)")


def device_count() -> int:
    """Number of CUDA devices: the GPUs numba sees, 1 under the simulator, else 0."""
    if is_simulator():
        return 1
    if not is_available():
        return 0
    return len(_numba_cuda().gpus)


def current_device() -> int:
    """Index of the device that new CUDA tensors go to (always 0 under the simulator)."""
    _require_device()
    if is_simulator():
        return 0
    return int(_numba_cuda().get_current_device().id)


def get_device_name(device: int | None = None) -> str:
    """The GPU's name, e.g. "NVIDIA H100 80GB HBM3" (SIMULATOR_NAME under the simulator)."""
    _require_device()
    if is_simulator():
        return SIMULATOR_NAME
    cuda = _numba_cuda()
    gpu = cuda.gpus[current_device() if device is None else int(device)]
    name = gpu.name
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize() -> None:
    """Wait until every kernel launched so far has finished (a no-op on the simulator, whose
    kernels finish before the launch returns)."""
    _require_device()
    _numba_cuda().synchronize()


def manual_seed(seed: int) -> None:
    """Accepted and ignored, so that the usual seed-everything helper runs.

    Differs from PyTorch on purpose: here random numbers for "cuda" tensors are drawn on the
    host from the one default generator and copied over (creation.py), so
    `tinygrad_edu.manual_seed(seed)` already makes them reproducible; there is no separate
    GPU generator to seed. (PyTorch also ignores this call when no GPU is there.)"""
    int(seed)  # as PyTorch: ValueError for a seed that is not a number


def manual_seed_all(seed: int) -> None:
    """manual_seed for every GPU: ignored as well (see manual_seed)."""
    manual_seed(seed)


def empty_cache() -> None:
    """Nothing to do: device buffers are freed when their last tensor goes (numba.cuda's
    deallocation), there is no caching allocator holding memory back as PyTorch's does."""


# torch.cuda.amp (deprecated in PyTorch, still in many scripts): `tinygrad_edu.cuda.amp`, also
# importable as a module (`from tinygrad_edu.cuda.amp import GradScaler`)
from tinygrad_edu.amp import cuda_amp as amp  # noqa: E402

sys.modules[__name__ + ".amp"] = amp
