"""The fused primitives of nn: convolution and max pooling, forward and backward side by side.

Everything else in `nn` (linear, batch norm, the losses, average pooling, ...) is composed
from the primitives in `tinygrad_edu/functions/`. These two are primitives because a
composed version (gather every window, multiply, sum) is many times slower and uses memory
proportional to the kernel size; the backend does them in one pass (kernels/cpu/conv.py).

    Convolution            out = conv2d(x, weight) + bias     (bias optional)
    ConvolutionTranspose   out = conv2d's transpose (adjoint in x) applied to x, + bias
    MaxPool2DWithIndices   out = max over each window of x    (positions kept for backward)

All work on 4-d (N, C, H, W) tensors; 1-d layers reshape to H = 1 first.

For create_graph=True each has a `graph_backward` made of these same primitives: the three
conv2d maps are each other's adjoints (conv2d in x, its transpose, and the weight gradient
`ConvolutionWeightGrad`, which is linear in each of its two inputs), so the gradient of
any of them is one of the others, and can be differentiated again.
ConvolutionTranspose needs no kernel of its own: the transposed convolution is exactly what
conv2d's input gradient computes, so the three conv2d methods of the backend serve both
primitives, with the roles of forward and backward exchanged.
"""

from typing import Any

from kernels import ops
from kernels.strided import Strided
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function
from tinygrad_edu.functions import IndexAdd
from tinygrad_edu.tensor import Tensor

NN_PRIMITIVES = ("Convolution", "ConvolutionTranspose", "MaxPool2DWithIndices")


def _wrap(buffer: Any, shape: tuple, like: Any, dtype: Any = None) -> Any:
    """A fresh contiguous backend buffer as a Tensor on like's device."""
    storage = like._storage
    return Tensor._from_buffer(buffer, tuple(shape), dtype or like.dtype, storage.device,
                               storage.backend)


class Convolution(Function):
    """out[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] * x[n, g*Cg + c, ih, iw],
    ih = i*stride - padding + p*dilation (likewise iw), zero outside x; g = o's group.

    grad_x      = the transposed convolution of grad with weight (backend.conv2d_grad_input)
    grad_weight = sum over n, i, j of grad[n, o, i, j] * x[n, ., ih, iw]   (conv2d_grad_weight)
    grad_bias   = sum over n, i, j of grad[n, o, i, j]                      (conv2d_grad_bias)
    """

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any, stride: tuple, padding: tuple,
                dilation: tuple, groups: int, out_size: tuple) -> Any:
        ctx.save_for_backward(x, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.has_bias = bias is not None
        buffer = x._storage.backend.conv2d(x._strided(), weight._strided(),
                                           bias._strided() if bias is not None else None,
                                           stride, padding, dilation, groups, out_size)
        return _wrap(buffer, (x._shape[0], weight._shape[0]) + tuple(out_size), x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> tuple:
        x, weight = ctx.saved_tensors
        backend = grad._storage.backend
        needs = ctx.needs_input_grad  # one flag per tensor input (no bias: two flags)
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            buffer = backend.conv2d_grad_input(grad._strided(), weight._strided(), x._shape,
                                               *ctx.geometry)
            grad_x = _wrap(buffer, x._shape, grad)
        if needs[1]:
            buffer = backend.conv2d_grad_weight(x._strided(), grad._strided(), weight._shape,
                                                *ctx.geometry)
            grad_weight = _wrap(buffer, weight._shape, grad)
        if ctx.has_bias and needs[2]:
            grad_bias = _wrap(backend.conv2d_grad_bias(grad._strided()), weight._shape[:1],
                              grad)
        return grad_x, grad_weight, grad_bias

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> tuple:
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x = ConvolutionTranspose.apply(grad, weight, None, *ctx.geometry,
                                            x._shape[2:]) if needs[0] else None
        grad_weight = ConvolutionWeightGrad.apply(x, grad, weight._shape, *ctx.geometry) \
            if needs[1] else None
        grad_bias = grad.sum(dim=(0, 2, 3)) if ctx.has_bias and needs[2] else None
        return grad_x, grad_weight, grad_bias


class ConvolutionTranspose(Function):
    """The transpose of Convolution (a "deconvolution"): every input pixel spreads a weighted
    copy of the kernel into the output. With x (N, Cin, H, W), weight (Cin, Cout / groups,
    KH, KW) and out (N, Cout, OH, OW), for each n, input channel ci, tap (p, q) and input
    position (i, j):

        out[n, g*Cg + c, ih, iw] += weight[ci, c, p, q] * x[n, ci, i, j],
        ih = i*stride - padding + p*dilation (likewise iw), g = ci's group, Cg = Cout/groups

    (taps outside out dropped), then out[n, o] += bias[o]. That is conv2d_grad_input with
    x in the place of conv2d's output gradient, so backward is conv2d's forward and weight
    gradient with x and grad exchanged:

    grad_x      = conv2d(grad, weight)                                    (backend.conv2d)
    grad_weight = sum over n, i, j of x[n, ci, i, j] * grad[n, ., ih, iw] (conv2d_grad_weight
                  with grad as conv2d's input and x as its output gradient)
    grad_bias   = sum over n, ih, iw of grad[n, o, ih, iw]                (conv2d_grad_bias)

    out_size (OH, OW) is given by the caller (output_padding and output_size only change it).
    """

    label = "ConvolutionBackward0"  # PyTorch names both directions so

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any, stride: tuple, padding: tuple,
                dilation: tuple, groups: int, out_size: tuple) -> Any:
        ctx.save_for_backward(x, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.has_bias = bias is not None
        backend = x._storage.backend
        shape = (x._shape[0], weight._shape[1] * groups) + tuple(out_size)
        buffer = backend.conv2d_grad_input(x._strided(), weight._strided(), shape,
                                           *ctx.geometry)
        out = _wrap(buffer, shape, x)
        if bias is not None:  # out[n, o, :, :] += bias[o], in place (bias viewed (1, O, 1, 1))
            along_channels = Strided(bias._storage.buffer, (1, shape[1], 1, 1),
                                     (0, bias._strides[0], 0, 0), bias._offset)
            backend.zip(ops.ADD, out._strided(), along_channels, out._strided())
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> tuple:
        x, weight = ctx.saved_tensors
        backend = grad._storage.backend
        needs = ctx.needs_input_grad  # one flag per tensor input (no bias: two flags)
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            buffer = backend.conv2d(grad._strided(), weight._strided(), None, *ctx.geometry,
                                    x._shape[2:])
            grad_x = _wrap(buffer, x._shape, grad)
        if needs[1]:
            buffer = backend.conv2d_grad_weight(grad._strided(), x._strided(), weight._shape,
                                                *ctx.geometry)
            grad_weight = _wrap(buffer, weight._shape, grad)
        if ctx.has_bias and needs[2]:
            grad_bias = _wrap(backend.conv2d_grad_bias(grad._strided()), grad._shape[1:2],
                              grad)
        return grad_x, grad_weight, grad_bias

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> tuple:
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x = Convolution.apply(grad, weight, None, *ctx.geometry, x._shape[2:]) \
            if needs[0] else None
        grad_weight = ConvolutionWeightGrad.apply(grad, x, weight._shape, *ctx.geometry) \
            if needs[1] else None
        grad_bias = grad.sum(dim=(0, 2, 3)) if ctx.has_bias and needs[2] else None
        return grad_x, grad_weight, grad_bias


class ConvolutionWeightGrad(Function):
    """conv2d's weight gradient as an op of its own, out = W(x, g) with out[o, c, p, q] =
    sum over n, i, j of g[n, o, i, j] * x[n, g*Cg + c, ih, iw] (backend.conv2d_grad_weight).
    Only create_graph=True makes one (Convolution's graph_backward). W is linear in x and in
    g, and <G, W(x, g)> = <g, conv2d(x, G)> = <conv2d_transpose(g, G), x>, so:

    grad_x = ConvolutionTranspose(g, G)      grad_g = Convolution(x, G)
    """

    @staticmethod
    def forward(ctx: Function, x: Any, grad_out: Any, weight_shape: tuple, stride: tuple,
                padding: tuple, dilation: tuple, groups: int) -> Any:
        ctx.save_for_backward(x, grad_out)
        ctx.geometry = (stride, padding, dilation, groups)
        buffer = x._storage.backend.conv2d_grad_weight(x._strided(), grad_out._strided(),
                                                       weight_shape, *ctx.geometry)
        return _wrap(buffer, weight_shape, x)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> tuple:
        x, grad_out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x = ConvolutionTranspose.apply(grad_out, grad, None, *ctx.geometry,
                                            x._shape[2:]) if needs[0] else None
        grad_g = Convolution.apply(x, grad, None, *ctx.geometry, grad_out._shape[2:]) \
            if needs[1] else None
        return grad_x, grad_g

    backward = graph_backward  # the same formula serves both: these primitives are fast


class MaxPool2DWithIndices(Function):
    """out[n, c, i, j] = max over the window of x[n, c] (padding never wins: it reads -inf);
    grad_x = zeros with grad[n, c, i, j] added at the position of each window's maximum.

    `positions_out`, when given a list, receives the int64 tensor of those positions
    (row-major element numbers of x), from which `return_indices=True` is computed.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, kernel_size: tuple, stride: tuple, padding: tuple,
                dilation: tuple, out_size: tuple, positions_out: list | None = None) -> Any:
        values, positions = x._storage.backend.max_pool2d(x._strided(), kernel_size, stride,
                                                          padding, dilation, out_size)
        shape = x._shape[:2] + tuple(out_size)
        positions = _wrap(positions, shape, x, dtypes.int64)
        ctx.save_for_backward(positions)
        ctx.shape = x._shape
        if positions_out is not None:
            positions_out.append(positions)
        return _wrap(values, shape, x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (positions,) = ctx.saved_tensors
        grad_x = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        dispatch.index_add(grad_x, positions, grad)
        return grad_x

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        (positions,) = ctx.saved_tensors
        zeros = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        return IndexAdd.apply(zeros, positions, grad.contiguous())

