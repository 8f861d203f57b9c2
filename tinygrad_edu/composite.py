"""Ops composed from the primitives in functions.py: no backward of their own.

Autograd differentiates these for free, because every step is a primitive that knows its
gradient. Read `mean` as "a Sum, then a Div": that is exactly the graph it records.
"""

import builtins
import math
from collections import namedtuple
from typing import Any

import numpy as np

from kernels import ops
from kernels.strided import contiguous_strides, numel
from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu import tensor as tensor_module


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


def _compare(op: int, a: Any, b: Any) -> Any:
    a, b, _ = _as_common(a, b)
    return dispatch.binary(op, a, b, dtypes.bool_, "op")


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


def eq(a: Any, b: Any) -> Any:
    return _compare(ops.EQ, a, b)


def ne(a: Any, b: Any) -> Any:
    return _compare(ops.NE, a, b)


def lt(a: Any, b: Any) -> Any:
    return _compare(ops.LT, a, b)


def le(a: Any, b: Any) -> Any:
    return _compare(ops.LE, a, b)


def gt(a: Any, b: Any) -> Any:
    return _compare(ops.GT, a, b)


def ge(a: Any, b: Any) -> Any:
    return _compare(ops.GE, a, b)


def logical_and(a: Any, b: Any) -> Any:
    return _no_grad_binary(ops.LOGICAL_AND, a, b, dtypes.bool_)


def logical_or(a: Any, b: Any) -> Any:
    return _no_grad_binary(ops.LOGICAL_OR, a, b, dtypes.bool_)


def logical_xor(a: Any, b: Any) -> Any:
    return _no_grad_binary(ops.NE, ne(a, 0), ne(b, 0), dtypes.bool_)


def logical_not(x: Any) -> Any:
    return dispatch.unary(ops.LOGICAL_NOT, x, dtypes.bool_)


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


def isnan(x: Any) -> Any:
    """True where x is nan (the one value not equal to itself)"""
    return ne(x, x)


def isinf(x: Any) -> Any:
    """True where x is +inf or -inf"""
    if not x.dtype.is_floating_point:
        return dispatch.full_like(x, x._shape, False, dtypes.bool_)
    return eq(abs(x.detach()), math.inf)


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


def maximum(a: Any, b: Any) -> Any:
    a, b, dtype = promote(a, b) if _floating(a, b) else _as_common(a, b)
    return F.Maximum.apply(a, b, dtype=dtype)


def minimum(a: Any, b: Any) -> Any:
    a, b, dtype = promote(a, b) if _floating(a, b) else _as_common(a, b)
    return F.Minimum.apply(a, b, dtype=dtype)


def _floating(a: Any, b: Any) -> bool:
    """Whether a binary op's result is floating (then its operands are not cast first: a
    cast would add a node to the graph, and a wider float compares the same)."""
    return promote(a, b)[2].is_floating_point


def where(condition: Any, a: Any, b: Any) -> Any:
    """a where condition else b (broadcasting all three)"""
    if not _is_tensor(a) and not _is_tensor(b):
        a = scalar_tensor(a, dtypes.scalar_dtype(a), condition)
    a, b, dtype = promote(a, b)
    if condition.dtype is not dtypes.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {dtypes.scalar_type_name(condition.dtype)}")
    return F.Where.apply(condition, a, b, dtype=dtype)


def masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """x with value wherever mask is True"""
    name = "MaskedFillBackward1" if _is_tensor(value) else "MaskedFillBackward0"
    if _is_tensor(value):
        value = value.to(x.dtype)
    else:
        value = scalar_tensor(value, x.dtype, x)
    if mask.dtype is not dtypes.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{dtypes.cpp_type_name(mask.dtype)}")
    return autograd.named(F.Where.apply(mask, value, x, dtype=x.dtype), name)


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


# ---------------------------------------------------------------------------- reductions


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


def sum(x: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:  # noqa: A001
    """sum over dim (all by default); bool and integer tensors sum to int64, as PyTorch"""
    if dtype is not None:
        result_dtype = dtypes.to_dtype(dtype)
    elif x.dtype.is_floating_point:
        result_dtype = x.dtype
    else:
        result_dtype = dtypes.int64
    if dtype is not None and result_dtype is not x.dtype:
        x = x.to(result_dtype)
    out = F.Sum.apply(x, axes=_axes(x, dim), keepdim=keepdim, dtype=result_dtype)
    return out if dim is None else autograd.named(out, "SumBackward1")  # PyTorch's sum(dim)


def mean(x: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    """sum / count over dim"""
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {x.type()[6:-6]}")
    axes = _axes(x, dim)
    count = numel(tuple(x._shape[a] for a in axes))
    out = div(sum(x, axes, keepdim), count if count else float("nan"))
    return autograd.named(out, "MeanBackward0" if dim is None else "MeanBackward1")


def var(x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
        correction: Any = None) -> Any:
    """sum((x - mean)**2) / (N - correction), correction 1 (Bessel) unless unbiased=False"""
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _axes(x, dim)
    count = numel(tuple(x._shape[a] for a in axes))
    centered = sub(x, mean(x, axes, keepdim=True))
    out = div(sum(mul(centered, centered), axes, keepdim), builtins.max(count - correction, 0))
    return autograd.named(out, "VarBackward0")


def std(x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
        correction: Any = None) -> Any:
    """sqrt(var)"""
    return autograd.named(F.Sqrt.apply(var(x, dim, unbiased, keepdim, correction)),
                          "StdBackward0")


def norm(x: Any, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    """(sum |x|**p)**(1/p); p may be 'fro', inf or -inf; p = 0 counts the non-zeros"""
    if p == 0:  # sum of 1 per non-zero, gradient 0 (x * 0 keeps x in the graph, as PyTorch)
        out = sum(where(ne(x, 0), 1.0, mul(x, 0)), dim, keepdim)
    elif p == "fro" or p == 2:
        out = _safe_sqrt(sum(mul(x, x), dim, keepdim))
    elif p == float("inf"):
        out = amax(F.Abs.apply(x), dim, keepdim)
    elif p == float("-inf"):
        out = amin(F.Abs.apply(x), dim, keepdim)
    elif p == 1:
        out = sum(F.Abs.apply(x), dim, keepdim)
    else:
        out = pow(sum(pow(F.Abs.apply(x), p), dim, keepdim), 1.0 / p)
    return autograd.named(out, "LinalgVectorNormBackward0")  # PyTorch's x.norm() node


def _safe_sqrt(total: Any) -> Any:
    """sqrt with gradient 0 (not nan) where total == 0, as PyTorch's norm gives at 0."""
    is_zero = eq(total, 0)
    one = scalar_tensor(1, total.dtype, total).expand(total._shape)
    root = F.Sqrt.apply(where(is_zero, one, total))
    return where(is_zero, scalar_tensor(0, total.dtype, total).expand(total._shape), root)


def logsumexp(x: Any, dim: Any, keepdim: bool = False) -> Any:
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m = max: no overflow"""
    axes = _axes(x, dim)
    if numel(tuple(x._shape[a] for a in axes)) == 0:  # log(sum of nothing) = log 0 = -inf
        shape = F._keepdim_shape(x._shape, axes) if keepdim else tuple(
            s for a, s in enumerate(x._shape) if a not in axes)
        return dispatch.full_like(x, shape, float("-inf"), x.dtype)
    with autograd.no_grad():
        shift = amax(x, axes, keepdim=True)
        shift = where(F.Abs.apply(shift) == float("inf"), 0.0, shift)
    total = sum(F.Exp.apply(sub(x, shift)), axes, keepdim=True)
    result = add(F.Log.apply(total), shift)
    return autograd.named(result if keepdim else _squeeze_axes(result, axes),
                          "LogsumexpBackward0")


def prod(x: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    """product over dim (int and bool tensors multiply as int64)"""
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    elif not x.dtype.is_floating_point:
        x = x.to(dtypes.int64)
    return F.Prod.apply(x, axes=_axes(x, dim), keepdim=keepdim)


def amax(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    _check_nonempty(x, dim, "amax")
    return F.Amax.apply(x, axes=_axes(x, dim), keepdim=keepdim)


def amin(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    _check_nonempty(x, dim, "amin")
    return F.Amin.apply(x, axes=_axes(x, dim), keepdim=keepdim)


def _check_nonempty(x: Any, dim: Any, name: str) -> None:
    if numel(tuple(x._shape[a] for a in _axes(x, dim))) == 0 and (x.numel() == 0 or x.ndim):
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                         "== 0. Specify the reduction dim with the 'dim' argument.")


MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def max(x: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """max of all elements; with dim: (values, indices); with a tensor: elementwise maximum"""
    if _is_tensor(dim):
        return maximum(x, dim)
    if dim is None:
        _check_nonempty(x, None, "max")
        return autograd.named(amax(x), "MaxBackward1")
    values, indices = _extreme_along(x, dim, keepdim, ops.ARGMAX)
    return MaxResult(autograd.named(values, "MaxBackward0"), indices)


def min(x: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """min of all elements; with dim: (values, indices); with a tensor: elementwise minimum"""
    if _is_tensor(dim):
        return minimum(x, dim)
    if dim is None:
        _check_nonempty(x, None, "min")
        return autograd.named(amin(x), "MinBackward1")
    values, indices = _extreme_along(x, dim, keepdim, ops.ARGMIN)
    return MinResult(autograd.named(values, "MinBackward0"), indices)


def _extreme_along(x: Any, dim: int, keepdim: bool, op: int) -> tuple:
    axis = tensor_module._axis(dim, x.ndim)
    if x.ndim == 0:
        return x.clone(), dispatch.full_like(x, (), 0, dtypes.int64)
    if x._shape[axis] == 0:
        raise IndexError(f"max(): Expected reduction dim {dim} to have non-zero size.")
    indices = dispatch.arg_reduce(op, x, axis)
    kept_indices = unsqueeze(indices, axis)
    values = gather(x, axis, kept_indices)
    if keepdim:
        return values, kept_indices
    return _squeeze_axes(values, (axis,)), indices


def argmax(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    return _arg(x, dim, keepdim, ops.ARGMAX)


def argmin(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    return _arg(x, dim, keepdim, ops.ARGMIN)


def _arg(x: Any, dim: Any, keepdim: bool, op: int) -> Any:
    name = "argmax" if op == ops.ARGMAX else "argmin"
    if dim is None:
        if x.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        flat = reshape(x.detach(), (-1,))
        return dispatch.arg_reduce(op, flat, 0)
    axis = tensor_module._axis(dim, x.ndim)
    if x.ndim == 0:  # a 0-d tensor is its own only element: index 0
        return dispatch.full_like(x, (), 0, dtypes.int64)
    if x._shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    result = dispatch.arg_reduce(op, x, axis)
    return unsqueeze(result, axis) if keepdim else result


def any(x: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """True where any element (over dim) is non-zero"""
    axes = _axes(x, dim)
    flags = ne(x, 0)
    if numel(tuple(x._shape[a] for a in axes)) == 0:  # any of nothing is False
        shape = tuple(s for a, s in enumerate(x._shape) if a not in axes)
        return _uint8_stays(_keep(dispatch.full_like(x, shape, False, dtypes.bool_), x, dim,
                                  keepdim), x)
    out = dispatch.reduce(ops.MAX, flags, axes, dtypes.bool_)
    return _uint8_stays(_keep(out, x, dim, keepdim), x)


def _uint8_stays(result: Any, x: Any) -> Any:
    """any / all of a uint8 tensor are uint8 (0 or 1) in PyTorch, bool for every other dtype."""
    return result.to(dtypes.uint8) if x.dtype is dtypes.uint8 else result


def all(x: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """True where every element (over dim) is non-zero"""
    axes = _axes(x, dim)
    flags = ne(x, 0)
    if numel(tuple(x._shape[a] for a in axes)) == 0:  # all of nothing is True
        shape = tuple(s for a, s in enumerate(x._shape) if a not in axes)
        return _uint8_stays(_keep(dispatch.full_like(x, shape, True, dtypes.bool_), x, dim,
                                  keepdim), x)
    out = dispatch.reduce(ops.MIN, flags, axes, dtypes.bool_)
    return _uint8_stays(_keep(out, x, dim, keepdim), x)


def _keep(out: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    if not keepdim:
        return out
    shape = F._keepdim_shape(x._shape, _axes(x, dim))
    result = out._view_of(shape, contiguous_strides(shape), 0)
    result._base = None
    return result


# ---------------------------------------------------------------------------- unary math


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


def addmm(bias: Any, a: Any, b: Any, beta: Any = 1, alpha: Any = 1) -> Any:
    """beta * bias + alpha * (a @ b), a (n, k) and b (k, m); bias broadcasts to (n, m)"""
    product = mm(a, b)
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # PyTorch: bias is then ignored, nan and inf included
        return product
    return add(bias if beta == 1 else mul(bias, beta), product)


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


def neg(x: Any) -> Any:
    if x.dtype is dtypes.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return F.Neg.apply(x)


# ---------------------------------------------------------------------------- matmul


def matmul(a: Any, b: Any) -> Any:
    """a @ b with PyTorch's rules: 1-d operands are vectors, leading dims broadcast"""
    if not (_is_tensor(a) and _is_tensor(b)):
        raise TypeError("matmul(): argument 'other' must be Tensor, not "
                        f"{type(b if _is_tensor(a) else a).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{dtypes.cpp_type_name(a.dtype)} != {dtypes.cpp_type_name(b.dtype)}")
    dispatch.same_device("matmul", a, b)
    a2 = unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = unsqueeze(b, -1) if b.ndim == 1 else b
    if a2._shape[-1] != b2._shape[-2]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, a2._shape))} and "
                           f"{'x'.join(map(str, b2._shape))})")
    batch = dispatch.broadcast("matmul", _shell(a2._shape[:-2]), _shell(b2._shape[:-2]))
    if a2._shape[:-2] != batch:
        a2 = expand(a2, batch + a2._shape[-2:])
    if b2._shape[:-2] != batch:
        b2 = expand(b2, batch + b2._shape[-2:])
    out = F.Mm.apply(a2, b2, dtype=a.dtype)
    if a.ndim == 1:
        out = _squeeze_axes(out, (out.ndim - 2,))
    if b.ndim == 1:
        out = _squeeze_axes(out, (out.ndim - 1,))
    return autograd.named(out, _matmul_node(a.ndim, b.ndim))


def _matmul_node(a_ndim: int, b_ndim: int) -> str:
    """The node name PyTorch's matmul ends with, which depends on the operands' ranks."""
    if a_ndim == 1 and b_ndim == 1:
        return "DotBackward0"
    if a_ndim == 2 and b_ndim == 1:
        return "MvBackward0"
    if a_ndim == 1:
        return "SqueezeBackward4"
    if a_ndim == 2 and b_ndim == 2:
        return "MmBackward0"
    return "UnsafeViewBackward0"


class _shell:  # noqa: N801  (a stand-in with a shape, for dispatch.broadcast)
    def __init__(self, shape: tuple) -> None:
        self._shape = shape


def mm(a: Any, b: Any) -> Any:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {a.ndim}D and {b.ndim}D")
    return matmul(a, b)


def bmm(a: Any, b: Any) -> Any:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got {a.ndim}D and {b.ndim}D")
    if a._shape[0] != b._shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {a._shape[0]} and {b._shape[0]}")
    return autograd.named(matmul(a, b), "BmmBackward0")


def mv(a: Any, v: Any) -> Any:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: expected a 2D matrix and a 1D vector, got {a.ndim}D and "
                           f"{v.ndim}D")
    return matmul(a, v)


def dot(a: Any, b: Any) -> Any:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a._shape != b._shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a._shape[0]}] and src "
                           f"[{b._shape[0]}] to have the same number of elements, but got "
                           f"{a._shape[0]} and {b._shape[0]} elements respectively")
    return matmul(a, b)


def outer(a: Any, b: Any) -> Any:
    return mul(unsqueeze(a, 1), unsqueeze(b, 0))


def softmax(x: Any, dim: int, dtype: Any = None) -> Any:
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.get_default_dtype())
    if x.ndim == 0:
        return autograd.named(F.Softmax.apply(unsqueeze(x, 0), dim=0).reshape(()),
                              "SoftmaxBackward0")
    return F.Softmax.apply(x, dim=tensor_module._axis(dim, x.ndim))


def log_softmax(x: Any, dim: int, dtype: Any = None) -> Any:
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.get_default_dtype())
    if x.ndim == 0:
        return autograd.named(F.LogSoftmax.apply(unsqueeze(x, 0), dim=0).reshape(()),
                              "LogSoftmaxBackward0")
    return F.LogSoftmax.apply(x, dim=tensor_module._axis(dim, x.ndim))


from tinygrad_edu.movement import (  # noqa: E402  (movement uses the helpers above)
    _squeeze_axes,
    _to_device,
    expand,
    gather,
    reshape,
    unsqueeze,
)


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


# ---------------------------------------------------------------------------- scans, counting

from tinygrad_edu.movement import cat, narrow  # noqa: E402


def cumsum(x: Any, dim: int, dtype: Any = None) -> Any:
    """out[..., i, ...] = sum_{j <= i} x[..., j, ...] along dim; bool and int sum as int64.

    Composed (see _scan), so the gradient is autograd's: grad summed from the end back."""
    x = _scan_input(x, dtype, "cumsum")
    return autograd.named(_scan(x, dim, add), "CumsumBackward0")


def cumprod(x: Any, dim: int, dtype: Any = None) -> Any:
    """out[..., i, ...] = prod_{j <= i} x[..., j, ...] along dim; bool and int as int64.

    The same scan with Mul: its gradient is exact where x has zeros (the textbook formula
    sum_{k >= i} grad[k] * out[k] / x[i] divides by them)."""
    x = _scan_input(x, dtype, "cumprod")
    return autograd.named(_scan(x, dim, mul), "CumprodBackward0")


def _scan_input(x: Any, dtype: Any, name: str) -> Any:
    """x cast as PyTorch casts before a scan: to dtype if given, else ints and bools to int64."""
    target = dtypes.to_dtype(dtype) if dtype is not None else (
        x.dtype if x.dtype.is_floating_point else dtypes.int64)
    if target is dtypes.bool_:  # PyTorch: NotImplementedError (a RuntimeError)
        raise RuntimeError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    return x if target is x.dtype else x.to(target)


def _scan(x: Any, dim: int, combine: Any) -> Any:
    """Inclusive scan along dim by doubling (Hillis and Steele): for shift s = 1, 2, 4, ...

        y[i] = combine(y[i - s], y[i]) for i >= s   (y[i] kept for i < s)

    after which y[i] combines x[i - 2s + 1 .. i]. ceil(log2 n) steps of two slices, one
    combine and one Cat: O(n log n) work and log2(n) graph nodes of each kind.

    Why composed: the backend has no scan kernel (a sequential loop would be O(n)).
    The other composition, x @ triu(ones(n, n)) with dim moved last, is one matmul but
    O(n^2) work and memory, cannot do cumprod, and is inexact for int64 through float."""
    axis = tensor_module._axis(dim, x.ndim)
    size = x._shape[axis] if x.ndim else 1
    if size <= 1:
        return F.Clone.apply(x)  # a new tensor, as PyTorch's
    y, shift = x, 1
    while shift < size:
        head = narrow(y, axis, 0, shift)
        tail = combine(narrow(y, axis, 0, size - shift), narrow(y, axis, shift, size - shift))
        y = cat([head, tail], axis)
        shift *= 2
    return y


def count_nonzero(x: Any, dim: Any = None) -> Any:
    """sum(x != 0) over dim (all by default), an int64 tensor; no gradient"""
    if dim is not None and not isinstance(dim, builtins.int):
        axes = [tensor_module._axis(d, x.ndim) for d in dim]
        for axis in axes:
            if axes.count(axis) > 1:
                raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
    return sum(ne(x, 0), dim)


def nonzero(x: Any, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements: an int64 (count, ndim) tensor, row-major order;
    with as_tuple, one 1-d tensor per dim (a 0-d x counts as 1-d), as NumPy's nonzero.

    Found on the host with NumPy: the result's size depends on the values, so the kernels
    could not size it in advance. (PyTorch on CUDA also waits for the values; here a CUDA
    tensor is copied to the host and the indices back.)"""
    host = x._storage.backend.to_numpy(x._strided()) != 0
    if as_tuple:
        return tuple(_to_device(np.ascontiguousarray(indices, dtype=np.int64), x)
                     for indices in np.nonzero(np.atleast_1d(host)))
    indices = np.argwhere(host) if host.ndim else np.zeros((builtins.int(host), 0), np.int64)
    return _to_device(np.ascontiguousarray(indices, dtype=np.int64), x)


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> Any:
    """out[v] = how many times v occurs in the 1-d non-negative int tensor x (or the sum of
    weights[i] over x[i] == v); length max(x) + 1, at least minlength; no gradient.

    Counted on the host with NumPy, as nonzero: the output's length depends on the values.
    int64 counts; with weights, float32 weights give float32 and others float64 (PyTorch)."""
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.dtype.is_floating_point:  # PyTorch's own error type and text for a float input
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{x.type()[6:-6]}'")
    values = x._storage.backend.to_numpy(x._strided())
    if x.ndim != 1 or x.dtype is dtypes.bool_ or (values < 0).any():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _to_device(np.bincount(values, minlength=minlength).astype(np.int64), x)
    if weights._shape != x._shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    host = weights._storage.backend.to_numpy(weights._strided())
    dtype = np.float32 if weights.dtype is dtypes.float32 else np.float64
    return _to_device(np.bincount(values, host, minlength).astype(dtype), x)


def cdist(x1: Any, x2: Any, p: float = 2.0) -> Any:
    """out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p, x1 (B, P, M) and x2 (B, R, M)
    with broadcast batch dims B; gradient 0 where a distance is 0, as PyTorch.

    Composed as norm(x1[..., :, None, :] - x2[..., None, :, :], dim=-1): (B, P, R, M)
    memory. PyTorch computes p = 2 from matrix products on large inputs: faster, a few
    ulps apart from this."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1._shape[-1] != x2._shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. "
                           f"X1: {x1._shape[-1]} X2: {x2._shape[-1]}")
    differences = sub(unsqueeze(x1, -2), unsqueeze(x2, -3))  # (B, P, R, M)
    return autograd.named(norm(differences, p, dim=-1), "CdistBackward0")


def var_mean(x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
             correction: Any = None) -> tuple:
    """(var(x), mean(x)) over dim, in one call as PyTorch offers it"""
    return (var(x, dim, unbiased, keepdim, correction), mean(x, dim, keepdim))


def std_mean(x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
             correction: Any = None) -> tuple:
    """(std(x), mean(x)) over dim"""
    return (std(x, dim, unbiased, keepdim, correction), mean(x, dim, keepdim))


def diff(x: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """out[..., i] = x[..., i + 1] - x[..., i] along dim, n times (bools: x[i + 1] != x[i]);
    prepend and append are joined to x along dim first."""
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = tensor_module._axis(dim, x.ndim)
    parts = [t for t in (prepend, x, append) if t is not None]
    out = cat(parts, axis) if len(parts) > 1 else x
    step = logical_xor if out.dtype is dtypes.bool_ else sub
    for _ in range(n):
        size = out._shape[axis]
        if size == 0:
            break
        out = step(narrow(out, axis, 1, size - 1), narrow(out, axis, 0, size - 1))
    return out


def nansum(x: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    """sum over dim with nan counted as 0"""
    if x.dtype.is_floating_point:
        x = where(isnan(x), scalar_tensor(0, x.dtype, x), x)
    return autograd.named(sum(x, dim, keepdim, dtype), "NansumBackward0")


def nanmean(x: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    """nansum / the number of non-nan elements, over dim"""
    if not x.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {x.type()[6:-6]}")
    count = sum(logical_not(isnan(x)), dim, keepdim)
    return div(nansum(x, dim, keepdim, dtype), count)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """out[i] = elements[i] is one of test_elements (either may be a number); a bool tensor
    of elements' shape, no gradient. Compares every pair: O(len(elements) * len(tests))."""
    if not _is_tensor(elements):  # a number: a 0-d tensor; eq promotes it as needed
        elements = _to_device(np.asarray(elements), test_elements)
    with autograd.no_grad():
        if _is_tensor(test_elements):
            tests = reshape(test_elements, (-1,))
            found = any(eq(unsqueeze(elements, -1), tests), -1) if tests._shape[0] else \
                dispatch.full_like(elements, elements._shape, False, dtypes.bool_)
        else:
            found = eq(elements, test_elements)
        return logical_not(found) if invert else found


# ---------------------------------------------------------------------------- sorting
# One backend kernel, argsort (stable, along one axis); the values are x.gather(dim, indices),
# so autograd scatters a gradient back to the positions the values came from for free.

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _argsort_along(x: Any, axis: int, descending: bool) -> Any:
    """The backend's stable argsort of x along axis: an int64 tensor of x's shape."""
    storage = x._storage
    buffer = storage.backend.argsort(x._strided(), axis, descending)
    return tensor_module.Tensor._from_buffer(buffer, x._shape, dtypes.int64, storage.device,
                                             storage.backend)


def _index_zero(x: Any) -> Any:
    """The index of a 0-d tensor's only element: int64 0, 0-d."""
    return dispatch.full_like(x, (), 0, dtypes.int64)


def sort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """(values, indices): x sorted along dim, and where each value came from, so that
    values = x.gather(dim, indices). nan counts as the largest value.

    PyTorch: with stable=False ties may come in any order; here the sort is always stable
    (ties keep their index order), which stable=False allows."""
    axis = tensor_module._axis(dim, x.ndim)
    if x.ndim == 0:
        return SortResult(autograd.named(x.clone(), "SortBackward0"), _index_zero(x))
    indices = _argsort_along(x, axis, descending)
    return SortResult(autograd.named(gather(x, axis, indices), "SortBackward0"), indices)


def argsort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """The indices that sort x along dim: sort(x, dim, descending).indices (no gradient)."""
    axis = tensor_module._axis(dim, x.ndim)
    if x.ndim == 0:
        return _index_zero(x)
    return _argsort_along(x, axis, descending)


def topk(x: Any, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> Any:  # noqa: A002
    """(values, indices) of the k largest (smallest) elements along dim, largest first
    (smallest first); values = x.gather(dim, indices).

    The first k of a stable sort. PyTorch: the order among ties, and with sorted=False the
    order of the results, are unspecified; here they are always sorted, ties by index."""
    if isinstance(k, builtins.bool) or not isinstance(k, (builtins.int, np.integer)):
        raise TypeError(f"topk(): argument 'k' (position 2) must be int, not "
                        f"{type(k).__name__}")
    if x.dtype is dtypes.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    axis = tensor_module._axis(dim, x.ndim)
    size = x._shape[axis] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:  # PyTorch returns the element itself, for k = 1 and for k = 0
        return TopkResult(autograd.named(x.clone(), "TopkBackward0"), _index_zero(x))
    indices = narrow(_argsort_along(x, axis, largest), axis, 0, builtins.int(k)).contiguous()
    return TopkResult(autograd.named(gather(x, axis, indices), "TopkBackward0"), indices)


# ---------------------------------------------------------------------------- order statistics
# median, nanmedian, kthvalue and mode pick an element per row from one stable argsort (the
# backend kernel above), with comparisons, cumsum/scans and gather on the tensor's device:
# nothing is read to the host. Values are x.gather(dim, indices), so the gradient goes to the
# element picked (PyTorch's MedianBackward1, KthvalueBackward0, ModeBackward0); the full
# reductions median() / nanmedian() share it among the elements equal to the result, as
# PyTorch's MedianBackward0 / NanmedianBackward0 do.

MedianResult = namedtuple("median", ["values", "indices"])
NanmedianResult = namedtuple("nanmedian", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])


class _EvenShare(autograd.Function):
    """out = value (a 0-d tensor picked from x); the gradient is shared equally by the
    elements of x equal to it (nan counts as equal to nan), as PyTorch's
    evenly_distribute_backward."""

    @staticmethod
    def forward(ctx: Any, x: Any, value: Any) -> Any:
        ctx.save_for_backward(x, value)
        return dispatch.contiguous(value)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, value = ctx.saved_tensors
        with autograd.no_grad():
            ties = logical_or(eq(x, value), logical_and(isnan(x), isnan(value)))
            share = div(grad, sum(ties).to(grad.dtype))
            return where(ties, share, scalar_tensor(0, grad.dtype, x)).to(grad.dtype), None


def _order_operand(x: Any, dim: Any, name: str) -> int:
    """The axis of x that an order statistic reduces, checked as PyTorch checks it."""
    if x.dtype is dtypes.bool_ and name != "mode":  # PyTorch's kernel names
        kernel = "kthvalue_cpu" if name == "kthvalue" else "median_out"
        # PyTorch raises NotImplementedError; we a RuntimeError (its base) with its message
        raise RuntimeError(f"\"{kernel}\" not implemented for 'Bool'")
    axis = tensor_module._axis(dim, x.ndim)
    if x.ndim and x._shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    return axis


def _pick(x: Any, axis: int, order: Any, position: Any, keepdim: bool, name: str,
          result: Any) -> Any:
    """(x[index], index) with index = order[position] along axis; position is kept-dim."""
    indices = gather(order, axis, position)
    values = gather(x, axis, indices)
    if not keepdim:
        values, indices = _squeeze_axes(values, (axis,)), _squeeze_axes(indices, (axis,))
    return result(autograd.named(values, name), indices)


def _empty_pick(x: Any, axis: int, keepdim: bool, name: str, result: Any) -> Any:
    """The (values, indices) of an x with no elements (but a non-empty axis): empty too."""
    shape = x._shape if keepdim else tuple(s for a, s in enumerate(x._shape) if a != axis)
    return result(autograd.named(F.Clone.apply(reshape(x, shape)), name),
                  dispatch.full_like(x, shape, 0, dtypes.int64))


def _reduced_shape(x: Any, axis: int) -> tuple:
    return tuple(1 if a == axis else s for a, s in enumerate(x._shape))


def _median_along(x: Any, dim: Any, keepdim: bool, ignore_nan: bool) -> Any:
    name = "nanmedian" if ignore_nan else "median"
    result = NanmedianResult if ignore_nan else MedianResult
    node = "NanmedianBackward1" if ignore_nan else "MedianBackward1"
    axis = _order_operand(x, dim, name)
    if x.ndim == 0:
        return result(autograd.named(x.clone(), node), _index_zero(x))
    if x.numel() == 0:
        return _empty_pick(x, axis, keepdim, node, result)
    size = x._shape[axis]
    order = _argsort_along(x, axis, False)  # stable: nan last, in index order
    nans = sum(isnan(x), axis, keepdim=True) if x.dtype.is_floating_point else None
    if nans is None:
        position = dispatch.full_like(x, _reduced_shape(x, axis), (size - 1) // 2, dtypes.int64)
    elif ignore_nan:  # the lower median of the others; a row of nan only gives its first
        position = clamp(floor_divide(sub(size - 1, nans), 2), min=0)
    else:  # a row with nan gives its first nan, as PyTorch
        position = where(gt(nans, 0), sub(size, nans), (size - 1) // 2)
    return _pick(x, axis, order, position, keepdim, node, result)


def _median_all(x: Any, ignore_nan: bool) -> Any:
    node = "NanmedianBackward0" if ignore_nan else "MedianBackward0"
    if x.dtype is dtypes.bool_:
        raise RuntimeError("\"median_cpu\" not implemented for 'Bool'")  # as above
    if x.numel() == 0:  # PyTorch: nan (of x's dtype)
        return dispatch.full_like(x, (), math.nan, x.dtype)
    flat = reshape(x, (-1,))
    with autograd.no_grad():
        value = reshape(_median_along(flat, 0, True, ignore_nan).values, ())
    return autograd.named(_EvenShare.apply(x, value), node)


def median(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median (the ((n - 1) // 2)-th smallest) of all elements, a 0-d tensor; with
    dim: (values, indices) along dim. nan propagates: a row with nan gives nan, with the
    index of its first nan (PyTorch). Among ties the index is that of a stable sort (the
    ((n - 1) // 2)-th in index order); PyTorch's is its quickselect's, unspecified.

    Runs on x's device: one stable argsort, a count of nans, gather. Gradient: to the element
    picked (MedianBackward1); for median() shared by the elements equal to the result
    (MedianBackward0)."""
    if dim is None:
        return _median_all(x, False)
    return _median_along(x, dim, keepdim, False)


def nanmedian(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """median that ignores nan: the lower median of the other elements; nan only where all
    are nan (then the index here is 0, the first nan; PyTorch's is its quickselect's,
    unspecified). See median."""
    if dim is None:
        return _median_all(x, True)
    return _median_along(x, dim, keepdim, True)


def kthvalue(x: Any, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices): the k-th smallest element along dim (k counts from 1), nan largest.
    Among ties the index is a stable sort's (PyTorch's quickselect leaves it unspecified).

    Runs on x's device: one stable argsort, then gather at k - 1 (KthvalueBackward0)."""
    if isinstance(k, builtins.bool) or not isinstance(k, (builtins.int, np.integer)):
        raise TypeError(f"kthvalue(): argument 'k' (position 2) must be int, not "
                        f"{type(k).__name__}")
    axis = _order_operand(x, dim, "kthvalue")
    size = x._shape[axis] if x.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    if x.ndim == 0:
        return KthvalueResult(autograd.named(x.clone(), "KthvalueBackward0"), _index_zero(x))
    if x.numel() == 0:
        return _empty_pick(x, axis, keepdim, "KthvalueBackward0", KthvalueResult)
    order = _argsort_along(x, axis, False)
    position = dispatch.full_like(x, _reduced_shape(x, axis), builtins.int(k) - 1, dtypes.int64)
    return _pick(x, axis, order, position, keepdim, "KthvalueBackward0", KthvalueResult)


def mode(x: Any, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices): the most frequent value along dim. Among values as frequent, the
    smallest; its index is that of its last occurrence, as PyTorch's CPU kernel (a sort and
    one pass over the runs of equal values) gives (for short rows: its std::sort is not
    stable, so on long rows it may give another occurrence).

    Runs on x's device: a stable argsort; run lengths from comparisons of neighbours and a
    running max (the scan of cumsum, with maximum); argmax of the lengths at the run ends
    (the first maximum is the smallest value; the end of its run its last occurrence).
    nan: here each nan is a value of its own (nan != nan), so a repeated number wins over
    them; PyTorch's result with nan is unspecified (its sort compares with <).
    Gradient to the element picked (ModeBackward0)."""
    from tinygrad_edu import creation
    axis = _order_operand(x, dim, "mode")
    if x.ndim == 0:
        return ModeResult(autograd.named(x.clone(), "ModeBackward0"), _index_zero(x))
    if x.numel() == 0:
        return _empty_pick(x, axis, keepdim, "ModeBackward0", ModeResult)
    size = x._shape[axis]
    order = _argsort_along(x, axis, False)
    with autograd.no_grad():
        ordered = gather(x.detach(), axis, order)
        rest = size - 1
        differs = ne(narrow(ordered, axis, 1, rest), narrow(ordered, axis, 0, rest))
        edge = dispatch.full_like(x, _reduced_shape(x, axis), True, dtypes.bool_)
        starts = cat([edge, differs], axis)  # a run of equal values begins here
        ends = cat([differs, edge], axis)  # ... and ends here
        shape = [1] * x.ndim
        shape[axis] = size
        positions = reshape(creation.arange(size, device=x.device), tuple(shape))
        run_start = _scan(where(starts, positions, 0), axis, maximum)
        lengths = where(ends, add(sub(positions, run_start), 1), 0)
        position = unsqueeze(dispatch.arg_reduce(ops.ARGMAX, lengths, axis), axis)
    return _pick(x, axis, order, position, keepdim, "ModeBackward0", ModeResult)


# ---------------------------------------------------------------------------- unique
# How many distinct values there are decides the output's size, so it is read to the host
# (PyTorch synchronizes too); the rest runs on x's device: a stable argsort, comparisons of
# neighbours, cumsum, gather, and boolean-mask selection of the run starts.


def _runs(values: Any) -> tuple:
    """For a 1-d tensor: (starts, where), starts True where a run of equal values begins
    (nan != nan: each nan is a run of its own, as PyTorch) and where the positions of the
    starts, an int64 tensor."""
    from tinygrad_edu import creation
    size = values._shape[0]
    first = dispatch.full_like(values, (1,), True, dtypes.bool_)
    starts = cat([first, ne(narrow(values, 0, 1, size - 1), narrow(values, 0, 0, size - 1))], 0)
    positions = creation.arange(size, device=values.device)
    return starts, positions[starts]


def _unique_from_runs(x: Any, ordered: Any, order: Any, return_inverse: bool,
                      return_counts: bool) -> Any:
    """unique's result from x's elements in the order runs are read (ordered), and the
    permutation (order, or None for x's own order) that read them."""
    if x.numel() == 0:
        values = F.Clone.apply(reshape(x.detach(), (0,)))
        inverse = dispatch.full_like(x, x._shape, 0, dtypes.int64)
        counts = dispatch.full_like(x, (0,), 0, dtypes.int64)
    else:
        starts, where_start = _runs(ordered)
        values = ordered[starts]
        inverse = sub(cumsum(starts, 0), 1)  # the run each read element belongs to
        if order is not None:  # back to x's order: the inverse permutation is argsort(order)
            inverse = gather(inverse, 0, _argsort_along(order, 0, False))
        inverse = reshape(inverse, x._shape)
        ends = cat([where_start, dispatch.full_like(x, (1,), x.numel(), dtypes.int64)], 0)
        size = ends._shape[0]
        counts = sub(narrow(ends, 0, 1, size - 1), narrow(ends, 0, 0, size - 1))
    if return_inverse and return_counts:
        return values, inverse, counts
    if return_inverse:
        return values, inverse
    if return_counts:
        return values, counts
    return values


def unique(x: Any, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: Any = None) -> Any:
    """The distinct elements of x, sorted, as a 1-d tensor; with return_inverse also the
    index into them of each element of x (x's shape), with return_counts how often each
    occurs (both int64). nan: each nan is distinct (PyTorch on the CPU does the same).

    sorted=False: PyTorch leaves the order unspecified (its CPU result is sorted); here it is
    always sorted. dim is not supported (only dim=None: the flattened x). No gradient
    (PyTorch has none either: its backward raises).

    Runs on x's device: a stable argsort, comparisons, cumsum, gather; the boolean-mask
    selection of the run starts reads their count to the host (the output's size)."""
    if dim is not None:
        raise TypeError("unique(dim=...) is not supported by tinygrad_edu: only dim=None (the "
                        "unique elements of the flattened tensor)")
    with autograd.no_grad():
        flat = reshape(x.detach(), (-1,))
        if flat.numel() == 0:
            return _unique_from_runs(x, flat, None, return_inverse, return_counts)
        order = _argsort_along(flat, 0, False)
        return _unique_from_runs(x, gather(flat, 0, order), order, return_inverse,
                                 return_counts)


def unique_consecutive(x: Any, return_inverse: bool = False, return_counts: bool = False,
                       dim: Any = None) -> Any:
    """unique without sorting: one element per run of equal consecutive elements of the
    flattened x (nan never equals nan); inverse and counts as unique's. dim is not
    supported (only dim=None). No gradient. Runs as unique does, without the argsort."""
    if dim is not None:
        raise TypeError("unique_consecutive(dim=...) is not supported by tinygrad_edu: only "
                        "dim=None")
    with autograd.no_grad():
        return _unique_from_runs(x, reshape(x.detach(), (-1,)), None, return_inverse,
                                 return_counts)
