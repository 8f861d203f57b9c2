"""Comparisons, logic and selection: eq ne lt le gt ge, logical_and/or/xor/not, isnan
isinf, maximum minimum, where, masked_fill, any all.

A comparison gives a bool tensor and has no gradient; it is computed in the operands'
common dtype (operands._as_common). maximum, minimum, where and masked_fill carry gradients
through their primitives (Maximum, Minimum, Where).
"""

import math
from typing import Any

from kernels import ops
from kernels.strided import contiguous_strides, numel
from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu.composite.operands import (
    _as_common,
    _axes,
    _is_tensor,
    _no_grad_binary,
    promote,
    scalar_tensor,
)


def _compare(op: int, a: Any, b: Any) -> Any:
    a, b, _ = _as_common(a, b)
    return dispatch.binary(op, a, b, dtypes.bool_, "op")


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


def isnan(x: Any) -> Any:
    """True where x is nan (the one value not equal to itself)"""
    return ne(x, x)


def isinf(x: Any) -> Any:
    """True where x is +inf or -inf"""
    if not x.dtype.is_floating_point:
        return dispatch.full_like(x, x._shape, False, dtypes.bool_)
    return eq(abs(x.detach()), math.inf)


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
