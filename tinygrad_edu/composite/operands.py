"""How a composite reads its operands: tensor or number, PyTorch's result dtype, dims.

`promote(a, b)` makes a Python number (or an array) a tensor on the other operand's device
and picks PyTorch's result dtype; `_as_common` casts both operands to it (where a comparison
is computed); `_axes` reads a `dim` argument (None, an int or a sequence) as sorted axes.
"""

import builtins
from typing import Any

import numpy as np

from tinygrad_edu import dispatch, dtypes
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.movement import _to_device


def _is_tensor(value: Any) -> bool:
    return isinstance(value, tensor_module.Tensor)


# ---------------------------------------------------------------------------- operands

_scalar_cache: dict = {}


def scalar_tensor(value: Any, dtype: dtypes.dtype, like: Any) -> Any:
    """A 0-d tensor holding a Python number, on like's device (cached: they never change)."""
    key = (type(value), value, dtype.name, like._storage.device)
    tensor = _scalar_cache.get(key)
    if tensor is None:
        if dtype.category == dtypes.INTEGER and isinstance(value, builtins.int):
            value = np.array(value).astype(dtype.numpy)  # wraps: -2 as uint8 is 254
        buffer = like._storage.backend.full(1, value, dtype.numpy)
        tensor = tensor_module.Tensor._from_buffer(buffer, (), dtype, like._storage.device,
                                                   like._storage.backend)
        if len(_scalar_cache) < 1024:
            _scalar_cache[key] = tensor
    return tensor


def promote(a: Any, b: Any) -> tuple:
    """(a, b) as tensors on one device, and PyTorch's result dtype (see dtypes.result_type)."""
    if _is_tensor(a) and _is_tensor(b):
        if a.dtype is b.dtype:
            return a, b, a.dtype
        ranks: tuple = ([], [])
        ranks[0 if a._shape else 1].append(a.dtype)
        ranks[0 if b._shape else 1].append(b.dtype)
        return a, b, dtypes.result_type(ranks[0], ranks[1], [])
    if _is_tensor(a):
        tensor, number, number_first = a, b, False
    elif _is_tensor(b):
        tensor, number, number_first = b, a, True
    else:
        raise TypeError(f"expected a Tensor operand, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if isinstance(number, np.ndarray) and number.ndim:
        # PyTorch hands `x + array` to NumPy (which reads x as an array): NumPy's result
        # dtype, float32 and int64 giving float64. Here both become tensors of that dtype.
        common = dtypes.from_numpy_dtype(np.result_type(tensor.dtype.numpy, number.dtype))
        other = _to_device(np.ascontiguousarray(number, dtype=common.numpy), tensor)
        tensor = tensor if tensor.dtype is common else tensor.to(common)
        return (other, tensor, common) if number_first else (tensor, other, common)
    if not isinstance(number, (builtins.int, builtins.float, builtins.bool)):
        if hasattr(number, "item") and getattr(number, "ndim", 1) == 0:
            number = number.item()
        else:
            raise TypeError(f"unsupported operand type for a Tensor op: "
                            f"'{type(number).__name__}'")
    ranked = ([tensor.dtype], []) if tensor._shape else ([], [tensor.dtype])
    dtype = dtypes.result_type(ranked[0], ranked[1], [dtypes.scalar_dtype(number)])
    other = scalar_tensor(number, dtype, tensor)
    return (other, tensor, dtype) if number_first else (tensor, other, dtype)


def _no_grad_binary(op: int, a: Any, b: Any, result: dtypes.dtype | None = None) -> Any:
    """A binary op with no gradient (logic), on the operands as they are."""
    a, b, dtype = promote(a, b)
    return dispatch.binary(op, a, b, result or dtype, "op")


def _as_common(a: Any, b: Any) -> tuple:
    """(a, b, dtype) with both operands cast to their common dtype, which is where PyTorch
    computes a comparison or an integer op: float32 x == a float64 0-d 0.1 compares x with
    float32(0.1), and int8 x < a 0-d 300 compares with int8(300) = 44."""
    a, b, dtype = promote(a, b)
    if a.dtype is not dtype:
        a = dispatch.contiguous(a, dtype)
    if b.dtype is not dtype:
        b = dispatch.contiguous(b, dtype)
    return a, b, dtype


def _axes(x: Any, dim: Any) -> tuple:
    """dim (None, int, or a sequence) as sorted non-negative axes; None means all."""
    if dim is None:
        return tuple(range(x.ndim))
    if isinstance(dim, builtins.int):
        dim = (dim,)
    axes = [tensor_module._axis(d, x.ndim) for d in dim]
    for a in axes:
        if axes.count(a) > 1:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    axes = sorted(axes)
    return tuple(a for a in axes if a < x.ndim) if x.ndim else ()
