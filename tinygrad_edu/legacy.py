"""The legacy typed constructors older tutorials still use: `FloatTensor(2, 3)`, `LongTensor([1])`.

`FloatTensor(2, 3)` makes an uninitialised float32 tensor of shape (2, 3); given a list it
makes a float32 tensor holding that data. Prefer `tensor(data, dtype=...)` in new code.
"""

import numbers
from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.tensor import Size, Tensor


class _LegacyTensorType(type):
    """The type of FloatTensor and its kin: calling one makes a plain Tensor of its dtype,
    and isinstance(t, FloatTensor) asks whether t is a float32 tensor on the CPU (PyTorch's
    rule: a CUDA tensor is a torch.cuda.FloatTensor). They are not Tensor's subclasses."""

    dtype: dtypes.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        if not args:  # PyTorch: FloatTensor() is empty, of shape [0]
            return creation.empty(0, dtype=cls.dtype, device=device)
        if len(args) == 1 and isinstance(args[0], Size):  # a Size is a shape, a tuple data
            return creation.empty(*args[0], dtype=cls.dtype, device=device)
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            return creation.tensor(args[0], dtype=cls.dtype, device=device)
        return creation.empty(*args, dtype=cls.dtype, device=device)

    def __instancecheck__(cls, instance: Any) -> bool:
        return (isinstance(instance, Tensor) and instance.dtype is cls.dtype
                and instance.device.type == "cpu")


def _legacy(dtype: dtypes.dtype, name: str) -> _LegacyTensorType:
    doc = f"{name}(*sizes) or {name}(data): a {dtype.name} tensor (legacy)."
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": doc,
                                        "__module__": "tinygrad_edu"})


FloatTensor = _legacy(dtypes.float32, "FloatTensor")
DoubleTensor = _legacy(dtypes.float64, "DoubleTensor")
LongTensor = _legacy(dtypes.int64, "LongTensor")
IntTensor = _legacy(dtypes.int32, "IntTensor")
BoolTensor = _legacy(dtypes.bool_, "BoolTensor")
ByteTensor = _legacy(dtypes.uint8, "ByteTensor")
