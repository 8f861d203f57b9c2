"""More of nn.functional, each composed from existing ops (no backward of its own).

    lp_pool1d/2d           (sum of x^p over each window)^(1/p): average pooling of x^p
    max_unpool1d/2d        put each max back where max_pool(return_indices=True) found it
    alpha_dropout          dropout that keeps SELU's zero mean and unit variance
    feature_alpha_dropout  the same, one coin per channel; dropout3d: per 3-d feature map
    pdist                  the distances between all pairs of rows, i < j
    triplet_margin_with_distance_loss   triplet loss with any distance function
    upsample*              deprecated names for interpolate (they warn, as PyTorch's do)
    hardtanh_, elu_, leaky_relu_, selu_   the in-place forms
"""

import warnings
from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.nn.functional.activation import (
    SELU_ALPHA,
    SELU_SCALE,
    elu,
    hardtanh,
    leaky_relu,
    relu,
    selu,
)
from tinygrad_edu.nn.functional.distance import pairwise_distance
from tinygrad_edu.nn.functional.layers import _apply_dropout, _check_probability
from tinygrad_edu.nn.functional.pooling import avg_pool1d, avg_pool2d
from tinygrad_edu.nn.functional.shape import interpolate
from tinygrad_edu.tensor import Tensor

__all__ = ["lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d", "alpha_dropout",
           "feature_alpha_dropout", "dropout3d", "pdist", "triplet_margin_with_distance_loss",
           "upsample", "upsample_nearest", "upsample_bilinear", "hardtanh_", "elu_",
           "leaky_relu_", "selu_"]


# ---------------------------------------------------------------------------- in place

def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


# ---------------------------------------------------------------------------- pooling

def _pair(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _lp(pooled: Tensor, norm_type: float, window: int) -> Tensor:
    """(window * mean(x^p))^(1/p); relu keeps a negative mean (odd p) from a NaN root,
    and PyTorch does the same (sign(m) * relu(|m|))."""
    return (pooled.sign() * relu(pooled.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over the last dim: (sum over the window of x^p)^(1/p).
    p = 1: sum pooling; p -> inf: max pooling."""
    pooled = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kernel_size)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """lp_pool1d over the last two dims (a kh x kw window)."""
    kh, kw = _pair(kernel_size)
    pooled = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kh * kw)


def _unpool(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any, padding: Any,
            output_size: Any, dims: int, name: str) -> Tensor:
    """Scatter input's values into zeros at `indices` (flat positions in each plane)."""
    kernel = _pair(kernel_size)[:dims] if dims == 2 else (_pair(kernel_size)[0],)
    stride = kernel if stride is None else (_pair(stride)[:dims] if dims == 2
                                            else (_pair(stride)[0],))
    padding = _pair(padding)[:dims] if dims == 2 else (_pair(padding)[0],)
    spatial = tuple(input.shape[-dims:])
    if output_size is None:
        out = tuple((s - 1) * st - 2 * p + k
                    for s, st, p, k in zip(spatial, stride, padding, kernel))
    else:
        out = tuple(output_size)[-dims:]
        if len(tuple(output_size)) not in (dims, dims + 1, dims + 2):
            raise ValueError(f"{name}: output_size must have {dims} or {dims + 2} elements, "
                             f"got {len(tuple(output_size))}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{name}: Expected shape of indices to be same as that of the "
                           f"input tensor ({tuple(input.shape)}) but got indices tensor with "
                           f"shape: {tuple(indices.shape)}")
    lead = tuple(input.shape[:-dims])
    plane = 1
    for size in out:
        plane *= size
    flat_in = input.reshape(lead + (-1,))
    flat_idx = indices.reshape(lead + (-1,))
    zeros = creation.zeros(*lead, plane, dtype=input.dtype, device=input.device)
    return zeros.scatter(-1, flat_idx, flat_in).reshape(lead + out)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of max_pool1d: maxima back at their positions, zeros elsewhere."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                   "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of max_pool2d (indices: flat positions in each H x W plane)."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                   "max_unpool2d")


# ---------------------------------------------------------------------------- dropout

def _alpha_dropout(input: Tensor, p: float, training: bool, mask_shape: tuple,
                   inplace: bool) -> Tensor:
    """Dropped entries are set to SELU's negative saturation a' = -scale * alpha (not 0),
    then an affine map a * x + b restores mean 0 and variance 1 for SELU-normalised x:
    a = ((1 - p) (1 + p a'^2))^(-1/2), b = -a a' p (Klambauer et al., 2017)."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    x = input._inplace_input() if inplace else input
    if p == 1.0:
        return input._assign(x * 0.0) if inplace else x * 0.0
    saturation = -SELU_SCALE * SELU_ALPHA
    a = ((1 - p) * (1 + p * saturation ** 2)) ** -0.5
    keep = (creation._rng(None).random(mask_shape) >= p).astype(input.dtype.numpy)
    keep_t = creation.tensor(keep, dtype=input.dtype, device=input.device)
    dropped_value = (1.0 - keep_t) * (saturation * a - a * saturation * p)
    out = x * (keep_t * a) + keep_t * (-a * saturation * p) + dropped_value
    return input._assign(out) if inplace else out


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Alpha dropout of every element (training defaults to False, as in PyTorch)."""
    return _alpha_dropout(input, p, training, tuple(input.shape), inplace)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels: one coin per (n, c) of (N, C, ...) input."""
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha_dropout(input, p, training, shape, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole 3-d feature maps of (N, C, D, H, W) or (C, D, H, W) input."""
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. "
                      "Note that dropout3d exists to provide channel-wise dropout on inputs "
                      "with 3 spatial dimensions, a channel dimension, and an optional batch "
                      "dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    channels = 1 if input.ndim == 4 else 2
    shape = tuple(input.shape[:channels]) + (1,) * (input.ndim - channels)
    return _apply_dropout(input, shape, p, training, inplace)


# ---------------------------------------------------------------------------- distances

def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of an (N, M) input, in the order
    (0,1), (0,2), ..., (1,2), ...: N (N - 1) / 2 numbers (the condensed distance matrix)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    first = [i for i in range(n) for _ in range(i + 1, n)]
    second = [j for i in range(n) for j in range(i + 1, n)]
    if not first:
        return creation.zeros(0, dtype=input.dtype, device=input.device)
    rows = creation.tensor(first, device=input.device)
    cols = creation.tensor(second, device=input.device)
    diff = input.index_select(0, rows) - input.index_select(0, cols)
    return diff.norm(p, dim=1)


def triplet_margin_with_distance_loss(
        anchor: Tensor, positive: Tensor, negative: Tensor, *,
        distance_function: Callable | None = None, margin: float = 1.0, swap: bool = False,
        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0), d = distance_function (default
    pairwise_distance); swap: use min(d(a, n), d(p, n)) as the negative distance."""
    if margin <= 0:
        raise ValueError("triplet_margin_with_distance_loss: expected margin to be greater "
                         f"than 0, got {margin} instead")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    distance = pairwise_distance if distance_function is None else distance_function
    positive_dist = distance(anchor, positive)
    negative_dist = distance(anchor, negative)
    if swap:
        swapped = distance(positive, negative)
        negative_dist = negative_dist.minimum(swapped)
    loss = (positive_dist - negative_dist + margin).clamp(min=0.0)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# ---------------------------------------------------------------------------- deprecated

def upsample(input: Tensor, size: Any = None, scale_factor: Any = None,
             mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
