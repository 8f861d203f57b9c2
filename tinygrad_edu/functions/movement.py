"""The movement primitives: View Permute Expand Slice (views of the same memory), Cat and
Clone (copies); and CopySlices, the node an in-place write through a view gives its base.
"""

from typing import Any

from kernels.strided import contiguous_strides, numel
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function
from tinygrad_edu.functions.broadcasting import _as_dtype, _expand_view, sum_to, unbroadcast
from tinygrad_edu.functions.indexing import Gather, IndexAdd, IndexPut


class View(Function):
    """out = x with a new shape over the same memory (x must be viewable); grad reshaped back"""

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple, strides: tuple) -> Any:
        ctx.shape = x._shape
        return x._view_of(shape, strides, x._offset)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        if not grad.is_contiguous():
            grad = dispatch.contiguous(grad)
        return grad._view_of(ctx.shape, contiguous_strides(ctx.shape), grad._offset)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return grad.reshape(ctx.shape)


class Permute(Function):
    """out = x with its dimensions reordered (strides permuted); grad permuted back"""

    @staticmethod
    def forward(ctx: Function, x: Any, order: tuple) -> Any:
        ctx.order = order
        return x._view_of(tuple(x._shape[k] for k in order), tuple(x._strides[k] for k in order),
                          x._offset)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        inverse = [0] * len(ctx.order)
        for position, axis in enumerate(ctx.order):
            inverse[axis] = position
        return grad._view_of(tuple(grad._shape[k] for k in inverse),
                             tuple(grad._strides[k] for k in inverse), grad._offset)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return grad.permute([ctx.order.index(axis) for axis in range(len(ctx.order))])


class Expand(Function):
    """out = x broadcast to `shape` with 0 strides (no copy); grad summed back"""

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple) -> Any:
        ctx.shape = x._shape
        return _expand_view(x, shape)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return unbroadcast(grad, ctx.shape)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return sum_to(grad, ctx.shape)


class Slice(Function):
    """out = a strided window of x: (shape, strides, offset) relative to x's own geometry.

    Basic indexing (`x[1]`, `x[:, 2:8:2]`), narrow, select, unbind and split all land here.
    The gradient is a zero tensor of x's shape with `grad` copied into the same window.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, window: Any) -> Any:
        ctx.shape, ctx.window, ctx.dtype = x._shape, window, x.dtype
        shape, strides, offset = window(x._shape, x._strides, x._offset)
        return x._view_of(shape, strides, offset)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        zeros = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        shape, strides, offset = ctx.window(zeros._shape, zeros._strides, 0)
        dispatch.copy_into(grad, zeros._view_of(shape, strides, offset))
        return zeros

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        # the window's element numbers in x (row-major), then grad added there: IndexAdd
        count = numel(ctx.shape)
        numbers = _arange_like(grad, count)
        shape, strides, offset = ctx.window(ctx.shape, contiguous_strides(ctx.shape), 0)
        positions = dispatch.contiguous(numbers._view_of(shape, strides, offset))
        zeros = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        return IndexAdd.apply(zeros, positions, grad.contiguous())


class Cat(Function):
    """out = the inputs joined along `dim`; each input's grad is its slice of grad"""

    @staticmethod
    def forward(ctx: Function, *tensors: Any, dim: int, dtype: dtypes.dtype) -> Any:
        ctx.sizes = [t._shape[dim] for t in tensors]
        ctx.dtypes = [t.dtype for t in tensors]
        ctx.dim = dim
        shape = list(tensors[0]._shape)
        shape[dim] = sum(ctx.sizes)
        out = dispatch.new_tensor(tensors[0], tuple(shape), dtype)
        start = 0
        for tensor in tensors:
            window = _narrow_geometry(out, dim, start, tensor._shape[dim])
            dispatch.copy_into(tensor, out._view_of(*window))
            start += tensor._shape[dim]
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> tuple:
        grads, start = [], 0
        for size, dtype in zip(ctx.sizes, ctx.dtypes):
            grads.append(_as_dtype(grad._view_of(*_narrow_geometry(grad, ctx.dim, start, size)),
                                   dtype))
            start += size
        return tuple(grads)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> tuple:
        grads, start = [], 0
        for size, dtype in zip(ctx.sizes, ctx.dtypes):
            grads.append(grad.narrow(ctx.dim, start, size).to(dtype))
            start += size
        return tuple(grads)


class CopySlices(Function):
    """base[window] = result, recorded on the base: PyTorch's CopySlices. Not an op that users
    call (so not in PRIMITIVES) but the node an in-place op on a view gives its base.

    tensor._assign has already written result through the view; forward only returns the
    base, which so takes this node. grad_base = grad with the window zeroed (those values
    were overwritten), grad_result = grad[window], which result's own graph carries on
    through the in-place op's backward. The window may be all of the base: a tensor that is
    not a view, overwritten by values that need no gradient (copy_ of a constant).
    """

    label = "torch::autograd::CopySlices"

    @staticmethod
    def forward(ctx: Function, base: Any, result: Any, view: Any) -> Any:
        # the base's geometry and the view's, both counted from the base's first element
        ctx.base = (base._shape, base._strides)
        ctx.window = (view._shape, view._strides, view._offset - base._offset)
        return base

    @staticmethod
    def backward(ctx: Function, grad: Any) -> tuple:
        shape, strides = ctx.base
        # a buffer laid out like the base, so that the view's strides address it too
        extent = 1 + sum((size - 1) * stride for size, stride in zip(shape, strides)) \
            if numel(shape) else 0
        buffer = dispatch.full_like(grad, (extent,), 0, grad.dtype)
        grad_base = buffer._view_of(shape, strides, 0)
        dispatch.copy_into(grad, grad_base)
        window = buffer._view_of(*ctx.window)
        grad_result = dispatch.contiguous(window) if ctx.needs_input_grad[1] else None
        dispatch.copy_into(dispatch.full_like(grad, (), 0, grad.dtype), window)
        return grad_base, grad_result

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> tuple:
        # element numbers of the base's memory layout, read through the base's geometry and
        # through the window's: grad_base is grad with the window's elements set to 0
        # (IndexPut), grad_result is grad at them (Gather)
        shape, strides = ctx.base
        extent = 1 + sum((size - 1) * stride for size, stride in zip(shape, strides)) \
            if numel(shape) else 0
        memory = _arange_like(grad, extent)
        slots = dispatch.contiguous(memory._view_of(shape, strides, 0))  # base order -> slot
        # slot -> the base element that lives there (each slot holds at most one)
        element = dispatch.full_like(memory, (extent,), 0, dtypes.int64)
        dispatch.index_put(element, slots, _arange_like(grad, numel(shape)))
        window = dispatch.contiguous(memory._view_of(*ctx.window))
        positions = dispatch.take(element, window)  # base element numbers of the window
        flat = grad.contiguous().reshape(-1)
        grad_base = IndexPut.apply(flat, positions, flat.new_zeros(())).reshape(shape)
        grad_result = Gather.apply(flat, positions) if ctx.needs_input_grad[1] else None
        return grad_base, grad_result


def _narrow_geometry(x: Any, dim: int, start: int, length: int) -> tuple:
    shape = list(x._shape)
    shape[dim] = length
    return tuple(shape), x._strides, x._offset + start * x._strides[dim]


class Clone(Function):
    """out = a contiguous copy of x; grad passes through"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return dispatch.contiguous(x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return grad

    graph_backward = backward  # grad itself: its graph goes on


def _arange_like(like: Any, count: int) -> Any:
    """0, 1, ..., count - 1 as an int64 tensor on like's device (element numbers)."""
    from tinygrad_edu.creation import arange  # (creation imports the Tensor class, as we do)
    return arange(count, device=like.device)
