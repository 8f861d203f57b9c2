"""Searching sorted data and counting into bins: searchsorted bucketize, histc; aminmax.

searchsorted is a binary search written with tensor ops: every value searches at once,
one gather and one comparison per halving, so it costs log2(n) steps of m work (m the
number of values) and no kernel of its own. None of these has a gradient but aminmax.
"""

import builtins
import math
from collections import namedtuple
from typing import Any

from tinygrad_edu import autograd, dispatch, dtypes, indexing
from tinygrad_edu.composite.arithmetic import add, clamp, div, floor, floor_divide, mul, sub
from tinygrad_edu.composite.logic import ge, gt, le, logical_and, logical_not, lt, where
from tinygrad_edu.composite.operands import _is_tensor, scalar_tensor
from tinygrad_edu.composite.reductions import amax, amin
from tinygrad_edu.movement import expand, reshape


def searchsorted(sorted_sequence: Any, values: Any, *, out_int32: bool = False,
                 right: bool = False, side: Any = None, sorter: Any = None) -> Any:
    """For each value, the index where it would be inserted into the sorted last dim of
    sorted_sequence to keep it sorted: the first i with s[i] >= v (left), or s[i] > v
    (right=True or side='right'). A 1-d sequence serves values of any shape; else its
    leading dims match values'. sorter: the indices that sort an unsorted sequence.

    A binary search over [start, end), all values at once: at mid = (start + end) // 2,
    go right where not (s[mid] >= v) (left) or not (s[mid] > v) (right), written as
    PyTorch writes it, so a nan value goes to the end."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    s = sorted_sequence
    if not _is_tensor(values):
        if s.ndim != 1:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries "
                               f"tensor dim({s.ndim}) and input value's dim(0) numel(1)")
        values = scalar_tensor(values, dtypes.scalar_dtype(values), s)
    if s.ndim != 1 and s._shape[:-1] != values._shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value "
                           "tensor must match, but we got boundaries tensor "
                           f"{list(s._shape)} and input value tensor {list(values._shape)}")
    if sorter is not None:
        if sorter.dtype is not dtypes.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype "
                               f"but got dtype {dtypes.scalar_type_name(sorter.dtype)}")
        if sorter._shape != s._shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(s._shape)}and got "
                               f"sorter tensor {list(sorter._shape)}")
    dtype = dtypes.int32 if out_int32 else dtypes.int64
    with autograd.no_grad():
        return _binary_search(s.detach(), values.detach(), right, sorter).to(dtype)


def _binary_search(s: Any, values: Any, right: bool, sorter: Any) -> Any:
    """The insertion index of every value (int64, values' shape); see searchsorted."""
    size = s._shape[-1]
    if size == 0 or values.numel() == 0:
        return dispatch.full_like(values, values._shape, 0, dtypes.int64)
    shape = values._shape
    if s.ndim == 1:  # one sequence for all values: search a (1, m) row of them
        values = reshape(values, (1, -1))
        s = reshape(s, (1, size))
        sorter = None if sorter is None else reshape(sorter, (1, size))
    start = dispatch.full_like(values, values._shape, 0, dtypes.int64)
    end = dispatch.full_like(values, values._shape, size, dtypes.int64)
    s = expand(s, values._shape[:-1] + (size,))
    sorter = None if sorter is None else expand(sorter, values._shape[:-1] + (size,))
    for _ in range(builtins.max(size, 1).bit_length()):  # each step halves [start, end)
        active = lt(start, end)
        mid = clamp(floor_divide(add(start, end), 2), None, size - 1)  # in range, always
        position = mid if sorter is None else indexing.gather(sorter, -1, mid)
        probe = indexing.gather(s, -1, position)
        before = logical_not(gt(probe, values) if right else ge(probe, values))
        start = where(logical_and(active, before), add(mid, 1), start)
        end = where(logical_and(active, logical_not(before)), mid, end)
    return reshape(start, shape)


def bucketize(values: Any, boundaries: Any, *, out_int32: bool = False,
              right: bool = False) -> Any:
    """The bucket of each value among 1-d sorted boundaries: i with b[i-1] < v <= b[i]
    (right=True: b[i-1] <= v < b[i]); searchsorted(boundaries, values, right=right)."""
    if boundaries.ndim != 1:
        raise RuntimeError("boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim})")
    return searchsorted(boundaries, values, out_int32=out_int32, right=right)


def histc(x: Any, bins: int = 100, min: Any = 0, max: Any = 0) -> Any:  # noqa: A002
    """The counts of x's elements in `bins` equal bins over [min, max] (x's own range when
    both are 0; widened by 1 each way when the range is one point), in x's dtype; elements
    outside, and nan, are not counted. No gradient.

    An element's bin is int((x - min) * bins / (max - min)) in x's dtype, as PyTorch's,
    x = max going to the last bin; the counts are an index_add of 1 per element (0 outside)."""
    if not x.dtype.is_floating_point:  # PyTorch: NotImplementedError (a RuntimeError)
        raise RuntimeError(f"\"histogram_cpu\" not implemented for "
                           f"'{dtypes.scalar_type_name(x.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    with autograd.no_grad():
        x = reshape(x.detach(), (-1,))
        low, high = builtins.float(min), builtins.float(max)
        if low == high == 0 and x.numel():
            low, high = amin(x).item(), amax(x).item()
        if low > high:
            raise RuntimeError("torch.histc: max must be larger than min")
        if not (math.isfinite(low) and math.isfinite(high)):
            raise RuntimeError(f"torch.histc: range of [{low:g}, {high:g}] is not finite")
        if low == high:
            low, high = low - 1, high + 1
        counts = dispatch.full_like(x, (bins,), 0, x.dtype)
        if x.numel() == 0:
            return counts
        low_t, high_t = (scalar_tensor(v, x.dtype, x) for v in (low, high))
        inside = logical_and(ge(x, low_t), le(x, high_t))
        position = floor(div(mul(sub(x, low_t), bins), sub(high_t, low_t)))
        position = clamp(where(inside, position, 0), 0, bins - 1).long()
        ones = where(inside, scalar_tensor(1, x.dtype, x), scalar_tensor(0, x.dtype, x))
        return indexing.index_add(counts, 0, position, ones)


AminmaxResult = namedtuple("aminmax", ["min", "max"])


def aminmax(x: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
    """(amin, amax) over dim (all elements by default), as one namedtuple (min, max)"""
    if (dim is None and x.numel() == 0) or (dim is not None and x.ndim and
                                            x._shape[dim] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is None:
        return AminmaxResult(amin(x), amax(x))
    return AminmaxResult(amin(x, dim, keepdim), amax(x, dim, keepdim))
