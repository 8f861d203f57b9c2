"""The indexing primitives: Gather (read elements by index), IndexPut (write them) and
IndexAdd (add into them), all on row-major element numbers of the flattened tensor.
"""

from typing import Any

from kernels import ops
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function
from tinygrad_edu.functions.broadcasting import _as_dtype, back_to, unbroadcast


class Gather(Function):
    """out[i] = x.flatten()[indices[i]] (indices: int64 row-major element numbers of x);
    grad_x = zeros with grad added at those indices (repeats add up)"""

    @staticmethod
    def forward(ctx: Function, x: Any, indices: Any) -> Any:
        ctx.shape = x._shape
        ctx.save_for_backward(indices)
        source = x if x.is_contiguous() else dispatch.contiguous(x)
        if source._offset:
            indices = dispatch.binary(ops.ADD, indices,
                                      dispatch.full_like(indices, (), source._offset,
                                                         dtypes.int64))
        return dispatch.take(source, indices)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        zeros = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        dispatch.index_add(zeros, indices, grad)
        return zeros

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        zeros = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        return IndexAdd.apply(zeros, indices, grad)


class IndexPut(Function):
    """out = copy of x with out.flatten()[indices[i]] = values[i] (values broadcast);
    grad_x = grad with those elements zeroed, grad_values = grad at those elements"""

    @staticmethod
    def forward(ctx: Function, x: Any, indices: Any, values: Any) -> Any:
        ctx.save_for_backward(indices)
        ctx.values = (values._shape, values.dtype)
        out = dispatch.contiguous(x)
        dispatch.index_put(out, indices, values)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        grad_x = dispatch.contiguous(grad)
        dispatch.index_put(grad_x, indices, dispatch.full_like(grad, (), 0, grad.dtype))
        grad_values = dispatch.take(dispatch.contiguous(grad), indices)
        return grad_x, None, _as_dtype(unbroadcast(grad_values, ctx.values[0]), ctx.values[1])

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        grad_x = IndexPut.apply(grad, indices, grad.new_zeros(()))
        return grad_x, None, back_to(Gather.apply(grad, indices), ctx.values)


class IndexAdd(Function):
    """out = copy of x with out.flatten()[indices[i]] += values[i] (repeats add up; values of
    indices' shape); grad_x = grad, grad_values = grad at those elements"""

    @staticmethod
    def forward(ctx: Function, x: Any, indices: Any, values: Any) -> Any:
        ctx.save_for_backward(indices)
        ctx.values_dtype = values.dtype
        out = dispatch.contiguous(x)
        dispatch.index_add(out, indices, values)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        grad_values = dispatch.take(dispatch.contiguous(grad), indices)
        return grad, None, _as_dtype(grad_values, ctx.values_dtype)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        return grad, None, Gather.apply(grad, indices).to(ctx.values_dtype)
