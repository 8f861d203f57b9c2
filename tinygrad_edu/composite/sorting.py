"""Sorting and what is built on it: sort argsort topk; median nanmedian kthvalue mode;
unique unique_consecutive. All start from one backend kernel, a stable argsort along an axis.
"""

import builtins
import math
from collections import namedtuple
from typing import Any

import numpy as np

from kernels import ops
from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.composite.arithmetic import add, clamp, div, floor_divide, sub
from tinygrad_edu.composite.logic import (
    eq,
    gt,
    isnan,
    logical_and,
    logical_or,
    maximum,
    ne,
    where,
)
from tinygrad_edu.composite.operands import scalar_tensor
from tinygrad_edu.composite.reductions import sum
from tinygrad_edu.composite.scans import _scan, cumsum
from tinygrad_edu.movement import _squeeze_axes, cat, gather, narrow, reshape, unsqueeze

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
        # Tensor ops: under create_graph=True (grad mode on) they record a graph too
        x, value = ctx.saved_tensors
        ties = logical_or(eq(x, value), logical_and(isnan(x), isnan(value)))
        share = div(grad, sum(ties).to(grad.dtype))
        return where(ties, share, scalar_tensor(0, grad.dtype, x)).to(grad.dtype), None

    graph_backward = backward


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
