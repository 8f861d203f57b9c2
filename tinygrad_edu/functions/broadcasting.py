"""Broadcasting both ways: the helpers the primitives' backward passes share.

`_expand_view` reads x as a larger shape through 0 strides (no copy): Expand's forward and
Sum's backward. `unbroadcast` sums a gradient back to its input's shape: the one place
broadcasting is undone. `_as_dtype` casts a gradient to its input's dtype.
"""

from typing import Any

from kernels import ops
from kernels.strided import contiguous_strides
from tinygrad_edu import dispatch, dtypes


def unbroadcast(grad: Any, shape: tuple) -> Any:
    """Sum `grad` over the dimensions that broadcasting expanded, giving `shape` back.

    (4, 3) -> (3,): sum over dim 0.   (4, 3) -> (4, 1): sum over dim 1, keep it as size 1.
    """
    if grad._shape == shape:
        return grad
    lead = len(grad._shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, size in enumerate(shape) if size == 1 and grad._shape[lead + k] != 1)
    summed = dispatch.reduce(ops.SUM, grad, axes, grad.dtype) if axes else grad
    return summed._view_of(shape, contiguous_strides(shape), 0) if summed.is_contiguous() \
        else dispatch.contiguous(summed)._view_of(shape, contiguous_strides(shape), 0)


def _as_dtype(grad: Any, dtype: dtypes.dtype) -> Any:
    return grad if grad.dtype is dtype else dispatch.contiguous(grad, dtype)


def _expand_view(x: Any, shape: tuple) -> Any:
    """x (with 1s where `shape` is larger) read as `shape` through 0 strides: no copy."""
    lead = len(shape) - len(x._shape)
    strides = (0,) * lead + tuple(
        0 if size == 1 and target != 1 else stride
        for size, stride, target in zip(x._shape, x._strides, shape[lead:]))
    return x._view_of(shape, strides, x._offset)


# ---- the same two, in Tensor ops (they record a graph): for the graph_backward formulas


def sum_to(grad: Any, shape: tuple) -> Any:
    """unbroadcast in Tensor ops: `grad` summed back to `shape`, recording the Sum."""
    if grad._shape == shape:
        return grad
    lead = len(grad._shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, size in enumerate(shape) if size == 1 and grad._shape[lead + k] != 1)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)


def back_to(grad: Any, like: tuple) -> Any:
    """`grad` summed back to an input's (shape, dtype) and cast to that dtype, in Tensor ops."""
    shape, dtype = like
    grad = sum_to(grad, shape)
    return grad if grad.dtype is dtype else grad.to(dtype)
