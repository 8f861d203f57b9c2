"""Arithmetic: add sub mul div pow (+ - * / **), floor_divide remainder (// %), neg;
rounding (floor ceil trunc round frac), nan_to_num, isfinite; bitwise ops; clamp, sign.

Each is a line or two over a primitive (Add, Sub, Mul, Div, Pow, Neg, Floor, ...) once
`promote` has made both operands tensors of PyTorch's result dtype: `x + 1` is an Add of x
and a cached 0-d tensor that holds 1.
"""

import builtins
import math
from typing import Any

import numpy as np

from kernels import ops
from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu.composite.logic import (
    any,
    eq,
    ge,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    where,
)
from tinygrad_edu.composite.operands import _as_common, _is_tensor, promote, scalar_tensor

# ---------------------------------------------------------------------------- arithmetic


def add(a: Any, b: Any, alpha: Any = 1) -> Any:
    """a + alpha * b"""
    if alpha != 1:
        b = mul(b, alpha) if _is_tensor(b) else b * alpha
    a, b, dtype = promote(a, b)
    return F.Add.apply(a, b, dtype=dtype)


def sub(a: Any, b: Any, alpha: Any = 1) -> Any:
    """a - alpha * b"""
    number_first = not _is_tensor(a) and _is_tensor(b)
    if _is_bool(a) or _is_bool(b):
        if _is_bool(a) and _is_bool(b):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    if alpha != 1:
        b = mul(b, alpha) if _is_tensor(b) else b * alpha
    a, b, dtype = promote(a, b)
    out = F.Sub.apply(a, b, dtype=dtype)
    return autograd.named(out, "RsubBackward1") if number_first else out  # PyTorch: 2 - x


def _is_bool(value: Any) -> bool:
    """A bool tensor or a Python bool (PyTorch refuses both in a subtraction)."""
    return value.dtype is dtypes.bool_ if _is_tensor(value) else isinstance(value, builtins.bool)


def mul(a: Any, b: Any) -> Any:
    """a * b"""
    a, b, dtype = promote(a, b)
    return F.Mul.apply(a, b, dtype=dtype)


def div(a: Any, b: Any, rounding_mode: str | None = None) -> Any:
    """a / b (true division: integers give the default float dtype)"""
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        a, b, dtype = promote(a, b)
        if not dtype.is_floating_point:  # integers stay integers: round the floor towards 0
            floored = floor_divide(a, b)
            inexact = logical_and(ne(remainder(a, b), 0), ne(lt(a, 0), lt(b, 0)))
            return where(inexact, add(floored, 1), floored)
        quotient = div(a, b)
        truncated = where(quotient < 0, neg(floor_divide(neg(quotient), 1)),
                          floor_divide(quotient, 1))
        return where(isinf(quotient), quotient, truncated)  # inf // 1 is nan, trunc(inf) inf
    if _is_tensor(a) != _is_tensor(b):  # a number divides as a float: uint8 x / -3 is
        if _is_tensor(a) and not a.dtype.is_floating_point:  # x / -3.0, not x / uint8(-3)
            b = builtins.float(b)
        elif _is_tensor(b) and not b.dtype.is_floating_point:
            a = builtins.float(a)
    a, b, dtype = promote(a, b)
    if not dtype.is_floating_point:
        dtype = dtypes.get_default_dtype()
    return F.Div.apply(a, b, dtype=dtype)


def pow(a: Any, b: Any) -> Any:  # noqa: A001
    """a ** b"""
    if (_is_tensor(a) and not a.dtype.is_floating_point and isinstance(b, builtins.int)
            and b < 0):  # PyTorch checks a number exponent only, not a tensor one
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    name = "PowBackward2" if not _is_tensor(a) else "PowBackward1" if _is_tensor(b) else None
    a, b, dtype = promote(a, b)
    out = F.Pow.apply(a, b, dtype=dtype)  # PyTorch names its three overloads' nodes apart
    return out if name is None else autograd.named(out, name)


def _integer_op(op: int, int_op: int, a: Any, b: Any) -> Any:
    """floor_divide or remainder without a gradient: the integer op code for integer dtypes
    (kernels/ops.py: exact above 2**53)."""
    a, b, dtype = _as_common(a, b)
    return dispatch.binary(op if dtype.is_floating_point else int_op, a, b, dtype, "op")


def floor_divide(a: Any, b: Any) -> Any:
    """floor(a / b) (no gradient, as PyTorch)"""
    _check_integer_divisor(a, b)
    return _integer_op(ops.FLOOR_DIVIDE, ops.INT_FLOOR_DIVIDE, a, b)


def _check_integer_divisor(a: Any, b: Any) -> None:
    """Integer // 0 and % 0 have no answer (floats give inf or nan): raise as PyTorch does.

    A number is checked directly; a tensor divisor costs one 'any zero?' reduction."""
    dtype = promote(a, b)[2]
    if dtype.is_floating_point:
        return
    if _is_tensor(b):
        zero = builtins.bool(any(eq(b, 0)).item()) if b.numel() else False
    else:
        zero = b == 0
    if zero:
        raise RuntimeError("ZeroDivisionError")


def remainder(a: Any, b: Any) -> Any:
    """a - floor(a / b) * b, with the sign of b (Python's and PyTorch's %).

    The value is the exact kernel result. The gradient is that of t = a - q * b with
    q = floor(a / b) held constant: d/da = 1, d/db = -q (PyTorch's). It is attached with
    `t - t.detach()`, which is 0 with t's gradient (dropped where t is inf, e.g. b = inf)."""
    _check_integer_divisor(a, b)
    a, b, dtype = promote(a, b)
    recording = autograd._grad_enabled and (a._requires_grad or b._requires_grad)
    if not (recording and dtype.is_floating_point):
        return _integer_op(ops.REMAINDER, ops.INT_REMAINDER, a, b)
    exact = dispatch.binary(ops.REMAINDER, a, b, dtype, "remainder")
    quotient = dispatch.binary(ops.FLOOR_DIVIDE, a, b, dtype, "remainder")  # no gradient
    tangent = sub(a, mul(quotient, b))
    zero_with_gradient = sub(tangent, tangent.detach())
    return add(exact, where(eq(zero_with_gradient, 0), zero_with_gradient, 0.0))


def neg(x: Any) -> Any:
    if x.dtype is dtypes.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return F.Neg.apply(x)


def floor(x: Any) -> Any:
    """the largest integer <= x (inf and nan kept); gradient 0"""
    return F.Floor.apply(x)


def ceil(x: Any) -> Any:
    """the smallest integer >= x; gradient 0"""
    return F.Ceil.apply(x)


def trunc(x: Any) -> Any:
    """x rounded toward 0; gradient 0"""
    return F.Trunc.apply(x)


def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001
    """x rounded to the nearest integer, ties to even (round(2.5) = 2), or to `decimals`
    places as PyTorch does it: round(x * 10**decimals) / 10**decimals; gradient 0"""
    if decimals == 0:
        return F.Round.apply(x)
    scale = 10.0**decimals
    return div(F.Round.apply(mul(x, scale)), scale)


def frac(x: Any) -> Any:
    """x - trunc(x): the fractional part, with x's sign"""
    return sub(x, trunc(x).detach())


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """x with nan, +inf and -inf replaced (by default by 0 and the dtype's largest and
    smallest finite values); integer tensors are returned as a copy"""
    if not x.dtype.is_floating_point:
        return mul(x, 1)
    info = np.finfo(x.dtype.numpy)
    posinf = builtins.float(info.max) if posinf is None else posinf
    neginf = builtins.float(info.min) if neginf is None else neginf
    out = where(isnan(x), nan, x)
    out = where(eq(x.detach(), math.inf), posinf, out)
    return where(eq(x.detach(), -math.inf), neginf, out)


def isfinite(x: Any) -> Any:
    """True where x is neither inf nor nan: exactly where x - x is 0"""
    if not x.dtype.is_floating_point:
        return dispatch.full_like(x, x._shape, True, dtypes.bool_)
    x = x.detach()
    return eq(sub(x, x), 0)


def bitwise_and(a: Any, b: Any) -> Any:
    """a & b: bit by bit on integers, logical on bools (as PyTorch); no gradient"""
    return _bitwise("bitwise_and", ops.BITWISE_AND, a, b, on_bools=logical_and)


def bitwise_or(a: Any, b: Any) -> Any:
    """a | b: bit by bit on integers, logical on bools"""
    return _bitwise("bitwise_or", ops.BITWISE_OR, a, b, on_bools=logical_or)


def bitwise_xor(a: Any, b: Any) -> Any:
    """a ^ b: bit by bit on integers, logical on bools"""
    return _bitwise("bitwise_xor", ops.BITWISE_XOR, a, b, on_bools=logical_xor)


def bitwise_left_shift(a: Any, b: Any) -> Any:
    """a << b on integers, wrapping in a's dtype; a negative shift, or one past the dtype's
    bits, gives 0 (as PyTorch)"""
    return _bitwise("lshift", ops.BITWISE_LEFT_SHIFT, a, b)


def bitwise_right_shift(a: Any, b: Any) -> Any:
    """a >> b on integers, copying the sign bit in: -8 >> 1 is -4; a negative shift, or one
    past the dtype's bits, gives -1 for negative a and 0 otherwise (as PyTorch)"""
    return _bitwise("rshift", ops.BITWISE_RIGHT_SHIFT, a, b)


def bitwise_not(x: Any) -> Any:
    """~x: logical on bools; on integers ~x = -x - 1 (two's complement), 255 - x for uint8"""
    if x.dtype is dtypes.bool_:
        return logical_not(x)
    _check_bitwise("bitwise_not", x.dtype)
    with autograd.no_grad():
        return sub(-1, x) if x.dtype.is_signed else sub(np.iinfo(x.dtype.numpy).max, x)


def _check_bitwise(name: str, dtype: dtypes.dtype) -> None:
    if dtype.is_floating_point or (dtype is dtypes.bool_ and name.endswith("shift")):
        # PyTorch raises NotImplementedError; we a RuntimeError
        raise RuntimeError(f'"{name}_cpu" not implemented for '
                           f"'{dtypes.scalar_type_name(dtype)}': only integer"
                           f"{'' if name.endswith('shift') else ' and bool'} tensors "
                           "have bits to combine")


def _bitwise(name: str, op: int, a: Any, b: Any, on_bools: Any = None) -> Any:
    """A bit op (kernels/ops.py BITWISE_OPS) on the operands' device: both are cast to the
    promoted integer dtype, which the result has. No gradient: integers have none."""
    a, b, dtype = promote(a, b)
    if dtype is dtypes.bool_ and on_bools is not None:
        return on_bools(a, b)
    _check_bitwise(name, dtype)
    dispatch.same_device(name, a, b)
    shape = dispatch.broadcast(name, a, b)  # PyTorch's error for shapes that do not broadcast
    a, b = (x if x.dtype is dtype else dispatch.contiguous(x, dtype) for x in (a, b))
    out = dispatch.new_tensor(a, shape, dtype)
    a._storage.backend.bitwise(op, a._strided(), b._strided(), out._strided())
    return out


def clamp(x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """min(max(x, min), max); the gradient is 0 where x was clamped (on a tie: passes).

    nan stays nan, with gradient 0, as PyTorch: x >= min is False for nan, so the fill
    value is nan there instead of the bound."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dtype = x.dtype
    for bound in (min, max):
        if bound is not None:
            dtype = promote(x.detach().to(dtype), bound)[2]
    result = x if dtype is x.dtype else x.to(dtype)
    for bound, inside in ((min, ge), (max, le)):
        if bound is None:
            continue
        fill = bound if _is_tensor(bound) else scalar_tensor(bound, dtype, x).expand(x._shape)
        if dtype.is_floating_point:
            fill = where(ne(result, result), np.nan, fill)  # nan != nan: nan stays
        result = where(inside(result, bound), result, fill)
    tensor_bound = _is_tensor(min) or _is_tensor(max)
    return autograd.named(result, "ClampBackward0" if tensor_bound else "ClampBackward1")


def sign(x: Any) -> Any:
    return F.Sign.apply(x)
