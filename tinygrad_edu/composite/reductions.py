"""Reductions: sum mean var std norm logsumexp prod amax amin; max and min (with a dim:
values and indices); argmax argmin.

`mean` is a Sum then a Div; `var` sums the squared deviations from the mean; `max(x, dim)`
is an argmax (the backend's arg_reduce) then a gather, so its gradient goes to the element
picked.
"""

import builtins
from collections import namedtuple
from typing import Any

from kernels import ops
from kernels.strided import numel
from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.amp.autocast_mode import cast as autocast
from tinygrad_edu.composite.arithmetic import add, div, mul, pow, sub
from tinygrad_edu.composite.logic import eq, maximum, minimum, ne, where
from tinygrad_edu.composite.operands import _axes, _is_tensor, scalar_tensor
from tinygrad_edu.movement import _squeeze_axes, gather, reshape, unsqueeze


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
    x, = autocast("prod", x)
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
