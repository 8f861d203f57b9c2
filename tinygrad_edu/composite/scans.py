"""Scans and counting: cumsum cumprod, cummax cummin logcumsumexp, count_nonzero nonzero
bincount; and composites of the reductions: cdist, var_mean std_mean, diff, nansum nanmean,
isin.
"""

import builtins
from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.amp.autocast_mode import cast as autocast
from tinygrad_edu.composite.arithmetic import add, div, mul, sub
from tinygrad_edu.composite.logic import (
    any,
    eq,
    isnan,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    ne,
    where,
)
from tinygrad_edu.composite.operands import _is_tensor, scalar_tensor
from tinygrad_edu.composite.reductions import mean, norm, std, sum, var
from tinygrad_edu.composite.special import logaddexp
from tinygrad_edu.movement import _to_device, cat, gather, narrow, reshape, unsqueeze


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


CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])


def cummax(x: Any, dim: int) -> Any:
    """(values, indices): values[i] = max(x[..j..] for j <= i) along dim, and the index it
    came from: the last one on a tie; nan, once met, wins (the latest nan's index).

    values = x.gather(dim, indices), so the gradient goes to the element chosen."""
    values, indices = _running_extreme(x, dim, maximum, "cummax")
    return CummaxResult(autograd.named(values, "CummaxBackward0"), indices)


def cummin(x: Any, dim: int) -> Any:
    """(values, indices) of the running minimum along dim (ties and nan as cummax)"""
    values, indices = _running_extreme(x, dim, minimum, "cummin")
    return CumminResult(autograd.named(values, "CumminBackward0"), indices)


def _running_extreme(x: Any, dim: int, combine: Any, name: str) -> tuple:
    """The indices first, without gradient: with m the running extreme (a scan), position j
    is a candidate where x[j] == m[j] (a new extreme or a tie) or x[j] is nan, and
    indices[i] is the last candidate j <= i: a running max of where(candidate, j, -1).
    (No extreme changes between that j and i, or a later j would be a candidate.)"""
    axis = tensor_module._axis(dim, x.ndim)
    if x.ndim == 0:
        return F.Clone.apply(x), dispatch.full_like(x, (), 0, dtypes.int64)
    with autograd.no_grad():
        running = _scan(x.detach(), axis, combine)
        candidate = logical_or(eq(x.detach(), running), isnan(x.detach()))
        size = x._shape[axis]
        shape = (size,) + (1,) * (x.ndim - axis - 1)  # positions along axis, broadcast
        positions = _to_device(np.arange(size, dtype=np.int64).reshape(shape), x)
        marked = where(candidate, positions, -1)
        indices = _scan(marked, axis, maximum).contiguous()
    return gather(x, axis, indices), indices


def logcumsumexp(x: Any, dim: int) -> Any:
    """out[i] = log(sum(exp(x[j]) for j <= i)) along dim, as the scan of logaddexp
    (max + log1p(exp(-|a - b|)) per step): no exp of the whole row that could overflow."""
    if not x.dtype.is_floating_point:  # PyTorch: NotImplementedError (a RuntimeError)
        raise RuntimeError("\"logcumsumexp_out_cpu\" not implemented for "
                           f"'{dtypes.scalar_type_name(x.dtype)}'")
    axis = tensor_module._axis(dim, x.ndim)
    return autograd.named(_scan(x, axis, logaddexp), "LogcumsumexpBackward0")


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
    if x.dtype.is_floating_point:  # PyTorch's text; its type is NotImplementedError, a
        # subclass of RuntimeError that this library keeps for nothing (no stubs to find)
        raise RuntimeError(f"\"bincount_cpu\" not implemented for '{x.type()[6:-6]}'")
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
    x1, x2 = autocast("cdist", x1, x2)
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
