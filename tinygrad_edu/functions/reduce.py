"""The reduction primitives: Sum Prod Amax Amin over a tuple of axes (keepdim or not).

Backward broadcasts the gradient back over the reduced axes: Sum's as it is, Prod's times
the product of the other elements, Amax's and Amin's shared by the elements that tie.
"""

from typing import Any

from kernels import ops
from kernels.strided import contiguous_strides, numel
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function
from tinygrad_edu.functions.broadcasting import _as_dtype, _expand_view
from tinygrad_edu.functions.movement import Cat


def _keepdim_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if axis in axes else size for axis, size in enumerate(shape))


class Sum(Function):
    """out = sum of x over `axes`; grad_x = grad broadcast back over those axes"""

    @staticmethod
    def forward(ctx: Function, x: Any, axes: tuple, keepdim: bool, dtype: dtypes.dtype) -> Any:
        ctx.shape, ctx.axes, ctx.dtype = x._shape, axes, x.dtype
        if keepdim or len(axes) < len(x._shape):
            # PyTorch: SumBackward1 for sum(dim); a dim list naming every axis (or 0 of a
            # vector) reads here as sum() and keeps SumBackward0
            ctx.label = "SumBackward1"
        out = dispatch.reduce(ops.SUM, x, axes, dtype)
        if keepdim:
            shape = _keepdim_shape(x._shape, axes)
            out = out._view_of(shape, contiguous_strides(shape), 0)
            out._base = None
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        shape = _keepdim_shape(ctx.shape, ctx.axes)
        grad = dispatch.contiguous(grad)._view_of(shape, contiguous_strides(shape), 0)
        return _as_dtype(_expand_view(grad, ctx.shape), ctx.dtype)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        grad = grad.reshape(_keepdim_shape(ctx.shape, ctx.axes)).expand(ctx.shape)
        return grad if grad.dtype is ctx.dtype else grad.to(ctx.dtype)


class Prod(Function):
    """out = product of x over `axes`; grad_x[i] = grad * (product of the other elements).

    Without zeros that is out / x[i]. With one zero in a slice only the zero's gradient is
    non-zero (the product of the rest); with two or more, every gradient is 0.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, axes: tuple, keepdim: bool) -> Any:
        out = dispatch.reduce(ops.PROD, x, axes, x.dtype)
        shape = _keepdim_shape(x._shape, axes)
        kept = out._view_of(shape, contiguous_strides(shape), 0)
        ctx.save_for_backward(x)
        ctx.axes = axes
        if keepdim:
            kept._base = None
            return kept
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        shape = _keepdim_shape(x._shape, ctx.axes)
        zero, one = (dispatch.full_like(grad, (), v, x.dtype) for v in (0, 1))
        is_zero = dispatch.binary(ops.EQ, x, zero, x.dtype)
        zeros = _keep(dispatch.reduce(ops.SUM, is_zero, ctx.axes, x.dtype), shape)
        nonzero = dispatch.where(dispatch.binary(ops.EQ, x, zero, dtypes.bool_), one, x, x.dtype)
        rest = _keep(dispatch.reduce(ops.PROD, nonzero, ctx.axes, x.dtype), shape)
        # no zero in the slice: rest / x; one zero: rest at the zero, 0 elsewhere
        no_zero = dispatch.binary(ops.DIV, rest, nonzero)
        one_zero = dispatch.binary(ops.MUL, is_zero, rest)
        local = dispatch.where(dispatch.binary(ops.EQ, zeros, zero, dtypes.bool_), no_zero,
                               dispatch.where(dispatch.binary(ops.EQ, zeros, one, dtypes.bool_),
                                              one_zero, zero, x.dtype), x.dtype)
        return dispatch.binary(ops.MUL, local, _keep(dispatch.contiguous(grad), shape))

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        # the product of the other elements as (product of those before) * (of those after),
        # two cumprods: exact where x has zeros and differentiable again (out / x is neither)
        (x,) = ctx.saved_tensors
        kept = [axis for axis in range(len(x._shape)) if axis not in ctx.axes]
        order = kept + list(ctx.axes)
        moved = x.permute(order)
        rows = moved.reshape(-1, numel(tuple(x._shape[a] for a in ctx.axes)))
        before = _exclusive_cumprod(rows)
        after = _exclusive_cumprod(rows.flip(1)).flip(1)
        others = (before * after).reshape(moved.shape)
        inverse = [order.index(axis) for axis in range(len(order))]
        return others.permute(inverse) * grad.reshape(_keepdim_shape(x._shape, ctx.axes))


def _exclusive_cumprod(rows: Any) -> Any:
    """out[:, i] = product of rows[:, :i] (1 for i = 0), in Tensor ops."""
    ones = rows.new_ones((rows.shape[0], 1))
    if rows.shape[1] <= 1:
        return ones.expand(rows.shape)
    return Cat.apply(ones, rows[:, :-1].cumprod(1), dim=1, dtype=rows.dtype)


def _keep(x: Any, shape: tuple) -> Any:
    """A contiguous reduction result viewed with its reduced axes kept as size 1."""
    return x._view_of(shape, contiguous_strides(shape), 0)


class Amax(Function):
    """out = max of x over `axes`; the gradient is shared equally by the elements that tie"""

    op = ops.MAX

    @staticmethod
    def forward(ctx: Function, x: Any, axes: tuple, keepdim: bool) -> Any:
        out = dispatch.reduce(ctx.op, x, axes, x.dtype)
        shape = _keepdim_shape(x._shape, axes)
        kept = out._view_of(shape, contiguous_strides(shape), 0)
        ctx.save_for_backward(x, kept)
        ctx.axes = axes
        if keepdim:
            kept._base = None
            return kept
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        x, kept = ctx.saved_tensors
        shape = kept._shape
        is_extreme = dispatch.binary(ops.EQ, x, kept, grad.dtype)
        count = dispatch.reduce(ops.SUM, is_extreme, ctx.axes, grad.dtype)
        grad = dispatch.contiguous(grad)._view_of(shape, contiguous_strides(shape), 0)
        count = count._view_of(shape, contiguous_strides(shape), 0)
        share = dispatch.binary(ops.DIV, grad, count)
        return dispatch.binary(ops.MUL, is_extreme, share)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        x, kept = ctx.saved_tensors  # which elements won does not change: no graph needed
        is_extreme = (x == kept).to(grad.dtype)
        count = is_extreme.sum(dim=ctx.axes, keepdim=True)
        return is_extreme * (grad.reshape(kept._shape) / count)


class Amin(Amax):
    """out = min of x over `axes`; the gradient is shared equally by the elements that tie"""

    op = ops.MIN
