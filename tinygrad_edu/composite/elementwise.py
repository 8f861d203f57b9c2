"""Elementwise math beyond arithmetic: exp log log2 log10, asin acos atan atan2 tan, expm1
exp2, lerp addcmul addcdiv, the tril/triu masks, masked_select; isclose allclose equal.
"""

import builtins
import math
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu.composite.arithmetic import add, div, mul, pow, sub
from tinygrad_edu.composite.logic import all, eq, le, logical_and, logical_or, ne
from tinygrad_edu.composite.operands import _is_tensor, promote, scalar_tensor
from tinygrad_edu.movement import _to_device


def exp(x: Any) -> Any:
    return F.Exp.apply(x)


def log(x: Any) -> Any:
    return F.Log.apply(x)


def log2(x: Any) -> Any:
    """log(x) / log(2)"""
    return mul(log(x), 1 / math.log(2))


def log10(x: Any) -> Any:
    """log(x) / log(10) (Log10Backward0)"""
    return autograd.named(mul(log(x), 1 / math.log(10)), "Log10Backward0")


def tril(x: Any, diagonal: int = 0) -> Any:
    """x with the elements above the diagonal-th diagonal zeroed, in the last two dims: keeps
    x[..., i, j] where j - i <= diagonal. tril(ones(T, T)) is a causal attention mask."""
    return _triangle("tril", x, diagonal, lambda offset: offset <= diagonal)


def triu(x: Any, diagonal: int = 0) -> Any:
    """x with the elements below the diagonal-th diagonal zeroed: keeps j - i >= diagonal."""
    return _triangle("triu", x, diagonal, lambda offset: offset >= diagonal)


def _triangle(name: str, x: Any, diagonal: int, keep: Any) -> Any:
    """where(mask, x, 0) with the (rows, cols) mask built on the host from j - i."""
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    rows, cols = x._shape[-2:]
    offset = np.arange(cols)[None, :] - np.arange(rows)[:, None]
    mask = _to_device(np.ascontiguousarray(keep(offset)), x)
    zero = scalar_tensor(0, x.dtype, x)
    return autograd.named(F.Where.apply(mask, x, zero, dtype=x.dtype),
                          f"{name.capitalize()}Backward0")


def lerp(start: Any, end: Any, weight: Any) -> Any:
    """start + weight * (end - start), weight a number or a tensor (broadcast)"""
    return add(start, mul(weight, sub(end, start)))


def addcmul(x: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """x + value * tensor1 * tensor2 (all broadcast): the second-moment update of Adam"""
    product = mul(tensor1, tensor2)
    return add(x, product if value == 1 else mul(product, value))


def addcdiv(x: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """x + value * tensor1 / tensor2 (true division, all broadcast): Adam's step"""
    if not (_floating_operand(tensor1) or _floating_operand(tensor2)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic "
            "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
            "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
            "tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    quotient = div(tensor1, tensor2)
    return add(x, quotient if value == 1 else mul(quotient, value))


def _floating_operand(value: Any) -> bool:
    """True for a floating-point tensor or a Python float."""
    if _is_tensor(value):
        return value.dtype.is_floating_point
    return isinstance(value, builtins.float)


def atan2(a: Any, b: Any) -> Any:
    """atan2(a, b): the angle of the point (x = b, y = a), in [-pi, pi], quadrant and all
    (atan(a / b) alone cannot tell (1, 1) from (-1, -1)); integers are made float first"""
    a, b, dtype = promote(a, b)
    if not dtype.is_floating_point:
        dtype = dtypes.get_default_dtype()
        a, b = a.to(dtype), b.to(dtype)
    return F.Atan2.apply(a, b, dtype=dtype)


def asin(x: Any) -> Any:
    return F.Asin.apply(x)


def acos(x: Any) -> Any:
    return F.Acos.apply(x)


def atan(x: Any) -> Any:
    return F.Atan.apply(x)


def expm1(x: Any) -> Any:
    return F.Expm1.apply(x)


def exp2(x: Any) -> Any:
    """2 ** x"""
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.get_default_dtype())
    return pow(2.0, x)


def tan(x: Any) -> Any:
    """sin(x) / cos(x)"""
    return div(F.Sin.apply(x), F.Cos.apply(x))


def masked_select(x: Any, mask: Any) -> Any:
    """The elements of x where mask is True, as a 1-d tensor (x and mask broadcast)"""
    if mask.dtype is not dtypes.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got "
                           f"{dtypes.scalar_type_name(mask.dtype)}")
    shape = dispatch.broadcast("masked_select", x, mask)
    return x.expand(shape)[mask.expand(shape)]


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Any:
    """|a - b| <= atol + rtol * |b| elementwise (nan == nan only with equal_nan)"""
    with autograd.no_grad():
        a, b, dtype = promote(a, b)
        difference = F.Abs.apply(sub(a.to(dtypes.float64), b.to(dtypes.float64)))
        close = le(difference, add(mul(F.Abs.apply(b.to(dtypes.float64)), rtol), atol))
        close = logical_or(close, eq(a, b))
        if equal_nan:
            close = logical_or(close, logical_and(ne(a, a), ne(b, b)))
        return close


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return builtins.bool(all(isclose(a, b, rtol, atol, equal_nan)).item())


def equal(a: Any, b: Any) -> bool:
    """True when a and b have the same shape and the same values."""
    return a._shape == b._shape and builtins.bool(all(eq(a, b)).item())
