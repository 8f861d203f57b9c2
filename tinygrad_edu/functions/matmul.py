"""The matmul primitives: Mm (batched a @ b) and Linear (x @ w^T + b fused: one node)."""

from typing import Any

from kernels import ops
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function
from tinygrad_edu.functions.broadcasting import _as_dtype


class Mm(Function):
    """out = a @ b for (..., n, k) @ (..., k, m) with equal batch dims;
    grad_a = grad @ b^T, grad_b = a^T @ grad"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        needs = ctx.needs_input_grad  # grad_a reads b, grad_b reads a
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        ctx.dtypes = (a.dtype, b.dtype)
        return dispatch.matmul(a, b, dtype)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = _as_dtype(dispatch.matmul(grad, _transpose(b), grad.dtype), ctx.dtypes[0])
        if ctx.needs_input_grad[1]:
            grad_b = _as_dtype(dispatch.matmul(_transpose(a), grad, grad.dtype), ctx.dtypes[1])
        return grad_a, grad_b

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = Mm.apply(grad, b.transpose(-2, -1), grad.dtype).to(ctx.dtypes[0])
        if ctx.needs_input_grad[1]:
            grad_b = Mm.apply(a.transpose(-2, -1), grad, grad.dtype).to(ctx.dtypes[1])
        return grad_a, grad_b


class Linear(Function):
    """out = x @ weight^T + bias for x (n, in), weight (out, in), bias (out,) or None;
    grad_x = grad @ weight, grad_weight = grad^T @ x, grad_bias = grad summed over rows.

    The composite `x.matmul(w.t()) + b` records three nodes (Mm, Permute, Add) and runs
    four kernels forward; this is one node and one backend call each way (`linear`: BLAS
    and the bias add in one kernel; `linear_grad_weight`: grad_weight and grad_bias in one).
    On the digits MLP it makes a training step ~1.4x faster (benchmarks/train.py).

    With relu=True the node is relu(x @ weight^T + bias), the ReLU done in the same kernel
    (nn.Sequential's fusion of a Linear and the ReLU after it): backward first zeroes grad
    where the output is not positive (relu's own backward), then goes on as above.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any = None, relu: bool = False) -> Any:
        needs = ctx.needs_input_grad  # grad_x reads weight, grad_weight reads x
        ctx.has_bias = bias is not None
        ctx.label = "AddmmBackward0" if ctx.has_bias else "MmBackward0"  # PyTorch's nodes
        out = dispatch.linear(x, weight, bias, relu)
        if relu:
            ctx.label = "ReluBackward0"  # PyTorch's node for the output of the ReLU
            ctx.save_for_backward(x if needs[1] else None, weight if needs[0] else None,
                                  out.detach())
        else:
            ctx.save_for_backward(x if needs[1] else None, weight if needs[0] else None)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        x, weight, *relu_output = ctx.saved_tensors
        if relu_output:
            grad = dispatch.binary(ops.RELU_BACK, relu_output[0], grad, grad.dtype)
        needs = ctx.needs_input_grad
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            grad_x = dispatch.matmul(grad, weight, grad.dtype)
        with_bias = ctx.has_bias and needs[2]
        if needs[1]:
            grad_weight, grad_bias = dispatch.linear_grad_weight(grad, x, with_bias)
        elif with_bias:
            grad_bias = dispatch.reduce(ops.SUM, grad, (0,), grad.dtype)
        return grad_x, grad_weight, grad_bias

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        x, weight, *relu_output = ctx.saved_tensors
        if relu_output:  # where the ReLU passed its input (a mask: no graph needed)
            grad = grad * (relu_output[0] > 0).to(grad.dtype)
        needs = ctx.needs_input_grad
        grad_x = Mm.apply(grad, weight, grad.dtype) if needs[0] else None
        grad_weight = Mm.apply(grad.t(), x, grad.dtype) if needs[1] else None
        grad_bias = grad.sum(dim=0) if ctx.has_bias and needs[2] else None
        return grad_x, grad_weight, grad_bias


def _transpose(x: Any) -> Any:
    """Swap the last two dims (a view)."""
    order = list(range(len(x._shape)))
    order[-1], order[-2] = order[-2], order[-1]
    return x._view_of(tuple(x._shape[k] for k in order), tuple(x._strides[k] for k in order),
                      x._offset)
