"""Devices: where a tensor's memory lives, and which backend computes on it.

`device("cpu")` uses the Numba backend (`kernels/cpu`); `device("cuda")` / `"cuda:0"` uses the
numba.cuda backend (`kernels/cuda`), imported on first use so that `import tinygrad_edu` never
pays for CUDA (and so the CUDA simulator can still be switched on before that).
"""

from typing import Any

from kernels.cpu import CPUBackend

_cpu_backend = CPUBackend()
_cuda_backend: list = []


class device:  # noqa: N801  (PyTorch's name)
    """A device: `device("cpu")`, `device("cuda")`, `device("cuda", 0)`, `device("cuda:0")`."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        text = str(type)
        if ":" in text:
            text, number = text.split(":", 1)
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if text not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}")
        if text == "cpu" and index not in (None, 0):
            raise RuntimeError(f"CPU device index must be 0 or None, got {index}")
        self.type = text
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True  # the common case: tensors share the one device object of their device
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def to_device(value: Any) -> device:
    """Accept a device, a string like "cuda:0", or None (the CPU)."""
    if value is None:
        return CPU
    if isinstance(value, device):
        return value
    if isinstance(value, int):
        return device("cuda", value)
    return device(value)


def canonical(value: Any) -> device:
    """The device a tensor is stored on: 'cuda' means 'cuda:0' (PyTorch does the same)."""
    d = to_device(value)
    if d.type == "cuda" and d.index is None:
        return device("cuda", 0)
    if d.type == "cpu":
        return CPU
    return d


def backend_for(d: device) -> Any:
    """The backend object that computes on device `d`."""
    if d.type == "cpu":
        return _cpu_backend
    if not _cuda_backend:
        from tinygrad_edu import cuda

        cuda._require_device()  # a clear error, not the driver loader's, when there is no GPU
        try:
            from kernels.cuda import CUDABackend
        except Exception as error:  # no numba.cuda at all
            raise RuntimeError(f"the CUDA backend could not be loaded: {error}") from error
        _cuda_backend.append(CUDABackend())
    if d.index not in (None, 0):
        raise RuntimeError(f"CUDA error: invalid device ordinal {d.index} (tinygrad_edu "
                           "uses one GPU)")
    return _cuda_backend[0]


def loaded_backends() -> list:
    """The backend objects in use so far: the CPU's, and the GPU's once a CUDA tensor exists."""
    return [_cpu_backend] + _cuda_backend


# ---------------------------------------------------------------------------- CPU threads


def set_num_threads(count: int) -> None:
    """Use at most `count` threads on the CPU: in Numba's parallel loops and in BLAS.

    As in PyTorch, small work still runs on one thread: a matmul is split across threads
    only from 128 x 64 x 128 on (kernels/cpu/blas_threads.py). On a machine busy with other
    work, set_num_threads(1) is often fastest.
    """
    import numba

    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {count!r}")
    numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
    _cpu_backend.blas_threads.max_threads = count


def get_num_threads() -> int:
    """The number of threads the CPU kernels' parallel loops use."""
    import numba

    return numba.get_num_threads()
