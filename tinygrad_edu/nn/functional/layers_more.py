"""bilinear, channel_shuffle and gumbel_softmax, composed from Tensor ops (no backward of
their own: autograd differentiates the few ops each is made of)."""

import math

import numpy as np

from tinygrad_edu import creation
from tinygrad_edu.nn.functional.activation import softmax
from tinygrad_edu.tensor import Tensor


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o].

    Shapes: input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out,).
    Computed as one matrix product and one reduction:
        t = input1 @ weight seen as (in1, out * in2)     # (B, out * in2)
        y = sum_j t.view(B, out, in2)[..., j] * input2[..., None, j]
    """
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional (out, in1, in2), got "
                           f"weight of size {list(weight.shape)}")
    out_features, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    lead = tuple(input1.shape[:-1])
    rows = math.prod(lead)
    x1 = input1.reshape(rows, in1)
    x2 = input2.reshape(rows, 1, in2)
    folded = weight.permute(1, 0, 2).reshape(in1, out_features * in2)   # (in1, out * in2)
    t = x1.matmul(folded).reshape(rows, out_features, in2)              # (B, out, in2)
    out = (t * x2).sum(-1)                                              # (B, out)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, out_features)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of `groups` groups (ShuffleNet): (N, C, *) -> (N, C, *).

    Channel c = g * (C / groups) + k moves to k * groups + g: view the channels as a
    (groups, C / groups) grid, transpose it, and flatten it back.
    """
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value "
                           f"of groups:{groups}")
    n, channels = input.shape[0], input.shape[1]
    if channels % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} "
                           f"channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    grid = input.reshape(n, groups, channels // groups, *rest)          # (N, g, C/g, *)
    return grid.transpose(1, 2).contiguous().reshape(n, channels, *rest)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A differentiable sample from the categorical distribution softmax(logits).

        g = -log(-log(u)),  u ~ U(0, 1)         Gumbel(0, 1) noise, one per logit
        y = softmax((logits + g) / tau, dim)    the "soft" sample (tau -> 0: one-hot)

    argmax(logits + g) is an exact sample of the categorical (the Gumbel-max trick); the
    softmax relaxes it so gradients flow. hard=True returns the one-hot of argmax y in the
    forward pass and y's gradient in the backward pass (straight-through):
        y_hard - y.detach() + y
    `eps` is unused (PyTorch keeps it, deprecated, for old callers).
    The noise comes from tinygrad_edu's generator (torch.manual_seed makes it repeatable).
    PyTorch draws g = -log(Exponential(1)), the same distribution by other random numbers.
    """
    # u in [tiny, 1): log(u) is finite and -log(u) > 0, so g is always finite
    u = creation.rand_like(logits).clamp(min=_tiny(logits))
    gumbels = u.log().neg().log().neg()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = creation.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _tiny(x: Tensor) -> float:
    """The smallest positive normal number of x's dtype."""
    return float(np.finfo(x.dtype.numpy).tiny)
