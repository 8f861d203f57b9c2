"""The legacy typed constructors older tutorials still use: `FloatTensor(2, 3)`, `LongTensor([1])`.

`FloatTensor(2, 3)` makes an uninitialised float32 tensor of shape (2, 3); given a list it
makes a float32 tensor holding that data. Prefer `tensor(data, dtype=...)` in new code.
"""

import numbers
from typing import Any

from tinygrad_edu import creation, dtypes


def _legacy(dtype: dtypes.dtype, name: str) -> Any:
    def construct(*args: Any, device: Any = None) -> Any:
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            return creation.tensor(args[0], dtype=dtype, device=device)
        return creation.empty(*args, dtype=dtype, device=device)

    construct.__name__ = name
    construct.__doc__ = f"{name}(*sizes) or {name}(data): a {dtype.name} tensor (legacy)."
    return construct


FloatTensor = _legacy(dtypes.float32, "FloatTensor")
DoubleTensor = _legacy(dtypes.float64, "DoubleTensor")
LongTensor = _legacy(dtypes.int64, "LongTensor")
IntTensor = _legacy(dtypes.int32, "IntTensor")
BoolTensor = _legacy(dtypes.bool_, "BoolTensor")
ByteTensor = _legacy(dtypes.uint8, "ByteTensor")
