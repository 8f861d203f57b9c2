"""Folding a BatchNorm into the layer before it, for inference (torch.nn.utils.fusion).

In eval mode a BatchNorm is a fixed affine map per channel,

    bn(y) = (y - mean) / sqrt(var + eps) * gamma + beta  =  y * s + (beta - mean * s),
    s = gamma / sqrt(var + eps),

so after a conv or linear layer y = W x + b it can be merged into new weights:

    W' = W * s   (each output channel's row scaled)       b' = (b - mean) * s + beta

One layer instead of two: the same outputs (up to rounding), less work per call.
"""

import copy
from typing import Any

from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import Tensor

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _scale_and_bias(w: Tensor, b: Tensor | None, mean: Tensor, var: Tensor, eps: float,
                    gamma: Tensor | None, beta: Tensor | None) -> tuple:
    if gamma is None:
        gamma = mean * 0 + 1
    if beta is None:
        beta = mean * 0
    if b is None:
        b = mean * 0
    scale = gamma * (var + eps).rsqrt()
    return scale, (b - mean) * scale + beta


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """(W', b') for a conv followed by an eval-mode BatchNorm. The output channels are dim 0
    of a conv's weight, dim 1 of a transposed conv's (transpose=True)."""
    scale, bias = _scale_and_bias(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    shape = [1] * conv_w.ndim
    shape[1 if transpose else 0] = -1
    fused_w = conv_w * scale.reshape(shape).to(dtype=conv_w.dtype)
    return (Parameter(fused_w.detach(), conv_w.requires_grad),
            Parameter(bias.to(dtype=conv_w.dtype).detach(), conv_w.requires_grad))


def fuse_conv_bn_eval(conv: Any, bn: Any, transpose: bool = False) -> Any:
    """A copy of conv with bn folded in (both must be in eval mode)."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn must track running statistics")
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor, bn_b: Tensor
                           ) -> tuple[Parameter, Parameter]:
    """(W', b') for a linear layer followed by an eval-mode BatchNorm1d."""
    scale, bias = _scale_and_bias(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    fused_w = linear_w * scale.unsqueeze(-1)
    return (Parameter(fused_w.detach(), linear_w.requires_grad),
            Parameter(bias.detach(), linear_w.requires_grad))


def fuse_linear_bn_eval(linear: Any, bn: Any) -> Any:
    """A copy of linear with bn folded in (both in eval mode; bn's features = linear's
    out_features, or 1 to broadcast)."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or "
                             "bn.num_features must equal 1")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn must track running statistics")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused
