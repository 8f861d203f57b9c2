"""3-d convolution and pooling, composed from the 2-d kernels (no kernel of their own).

conv3d folds the depth into the batch. For output depth index z the kernel sees the input
depths z*sd - pd + kd*dd (kd = 0 .. KD-1), so, after zero-padding the depth:

    windows = x.index_select(depth, table)      # table[z, kd] = z*sd + kd*dd
              (N, C, OD*KD, H, W) -> (N*OD, C*KD, H, W)   channel c*KD + kd
    weight  (O, C/g, KD, KH, KW)  -> (O, C/g*KD, KH, KW)   the same channel order
    out     = conv2d(windows, weight, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw),
                     groups=g) -> (N, OD, O, OH, OW) -> (N, O, OD, OH, OW)

A 3-d cross-correlation is a 2-d one over (H, W) summed over the input channels *and* the
kernel depth, so folding KD into the channels and OD into the batch is exact. Stride,
padding and dilation along the depth live in the table; groups carry over because group i's
channels c stay a contiguous block of c*KD + kd. Cost: the input is copied KD/sd times (the
im2col idea along one axis); the alternative, a sum of KD conv2d calls on strided depth
slices, needs no copy but KD kernel launches and KD graph nodes.

max_pool3d and avg_pool3d are separable: the max (or sum) over a (KD, KH, KW) box is the max
(sum) over depth of the max (sum) over (KH, KW). So: the 2-d pool over (H, W) with depth in
the batch, then the 2-d pool with a (KD, 1) window over (D, OH*OW). PyTorch's divisor for an
average window is a product of per-axis counts, so the two stages' divisors multiply to it.
"""

from typing import Any

import numpy as np

from tinygrad_edu import dtypes
from tinygrad_edu.nn.functional.conv import _constant, _ntuple, conv2d
from tinygrad_edu.nn.functional.pooling import (
    _average_last_axis,
    _pool_geometry,
    avg_pool2d,
    max_pool2d,
)
from tinygrad_edu.nn.functional.shape import pad
from tinygrad_edu.tensor import Tensor


def _batched(input: Tensor, name: str) -> tuple[Tensor, bool]:
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    return (input.unsqueeze(0), True) if input.ndim == 4 else (input, False)


def _padding_3d(padding: Any, kernel: tuple, dilation: tuple, stride: tuple) -> tuple:
    """((before, after) per axis D, H, W) from an int, a triple, 'valid' or 'same'."""
    if padding == "valid":
        return ((0, 0),) * 3
    if padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)  # the odd one at the end
    if isinstance(padding, str):
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    return tuple((p, p) for p in _ntuple(padding, 3, "padding"))


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """(N, C, D, H, W) * (O, C/groups, KD, KH, KW) -> (N, O, OD, OH, OW), + bias[o]:

        out[n, o, z, i, j] = bias[o] + sum_{c, a, p, q} weight[o, c, a, p, q]
                             * x[n, c, z*sd - pd + a*dd, i*sh - ph + p*dh, j*sw - pw + q*dw]
    """
    x, unbatched = _batched(input, "conv3d")
    if weight.ndim != 5:
        raise RuntimeError(f"weight should have five dimensions to match a 3-d conv3d, got "
                           f"weight of size {list(weight.shape)}")
    stride = _ntuple(stride, 3, "stride")
    dilation = _ntuple(dilation, 3, "dilation")
    out_channels, in_per_group, kd, kh, kw = weight.shape
    pads = _padding_3d(padding, (kd, kh, kw), dilation, stride)
    if x.shape[1] != in_per_group * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {in_per_group * groups} "
                           f"channels, but got {x.shape[1]} channels instead")
    (d_before, d_after), (h_before, h_after), (w_before, w_after) = pads
    if (h_before, w_before) != (h_after, w_after):  # 'same' with an even kernel: pad first
        x = pad(x, (w_before, w_after, h_before, h_after, 0, 0))
        plane_padding = (0, 0)
    else:
        plane_padding = (h_before, w_before)
    if d_before or d_after:
        x = pad(x, (0, 0, 0, 0, d_before, d_after))
    n, channels, depth, height, width = x.shape
    sd, dd = stride[0], dilation[0]
    span = dd * (kd - 1) + 1
    if depth < span:
        raise RuntimeError(f"Calculated padded input size per channel: ({depth} x {height} x "
                           f"{width}). Kernel size: ({kd} x {kh} x {kw}). Kernel size can't "
                           "be greater than actual input size")
    out_depth = (depth - span) // sd + 1
    table = _constant(("conv3d-depth", out_depth, kd, sd, dd), x,
                      lambda: (np.arange(out_depth)[:, None] * sd
                               + np.arange(kd)[None, :] * dd).reshape(-1), dtypes.int64)
    windows = x.index_select(2, table)                              # (N, C, OD*KD, H, W)
    windows = windows.view(n, channels, out_depth, kd, height, width)
    windows = windows.permute(0, 2, 1, 3, 4, 5).reshape(n * out_depth, channels * kd,
                                                        height, width)
    folded = weight.reshape(out_channels, in_per_group * kd, kh, kw)
    out = conv2d(windows, folded, bias, stride[1:], plane_padding, dilation[1:], groups)
    out = out.view(n, out_depth, out_channels, *out.shape[2:]).permute(0, 2, 1, 3, 4)
    return out.squeeze(0) if unbatched else out


def _depth_stage(y: Tensor, pool: Any, kernel: int, stride: int, padding: int,
                 **options: Any) -> Tensor:
    """Pool (N, C, D, OH, OW) along D with a 2-d pool of window (kernel, 1) over
    (D, OH*OW), with N*C planes in the batch."""
    n, c, depth, oh, ow = y.shape
    planes = y.reshape(n * c, 1, depth, oh * ow)
    out = pool(planes, (kernel, 1), (stride, 1), (padding, 0), **options)
    return out.view(n, c, out.shape[2], oh, ow)


def _plane_stage(x: Tensor, pool: Any, kernel: tuple, stride: tuple, padding: tuple,
                 **options: Any) -> Tensor:
    """Pool (N, C, D, H, W) over (H, W) with the depth in the batch."""
    n, c, depth, height, width = x.shape
    out = pool(x.reshape(n * c, depth, height, width), kernel, stride, padding, **options)
    return out.view(n, c, depth, *out.shape[2:])


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """out[n, c, z, i, j] = max of x[n, c] over the (KD, KH, KW) window (dilated, padded
    with -inf) at (z, i, j) * stride - padding. PyTorch: also return_indices, not here."""
    x, unbatched = _batched(input, "max_pool3d")
    kernel, stride, padding, dilation, _ = _pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode, 3, "max_pool3d")
    y = _plane_stage(x, max_pool2d, kernel[1:], stride[1:], padding[1:],
                     dilation=dilation[1:], ceil_mode=ceil_mode)
    out = _depth_stage(y, max_pool2d, kernel[0], stride[0], padding[0],
                       dilation=(dilation[0], 1), ceil_mode=ceil_mode)
    return out.squeeze(0) if unbatched else out


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """out[n, c, z, i, j] = sum of the (KD, KH, KW) window / its size (padding counted
    unless count_include_pad=False; divisor_override replaces the size)."""
    x, unbatched = _batched(input, "avg_pool3d")
    kernel, stride, padding, _, _ = _pool_geometry(
        x, kernel_size, stride, padding, 1, ceil_mode, 3, "avg_pool3d")
    # with an override, each stage sums (divisor 1) and the total is divided once at the end
    divisor = 1 if divisor_override else None
    options = {"ceil_mode": ceil_mode, "count_include_pad": count_include_pad,
               "divisor_override": divisor}
    y = _plane_stage(x, avg_pool2d, kernel[1:], stride[1:], padding[1:], **options)
    out = _depth_stage(y, avg_pool2d, kernel[0], stride[0], padding[0], **options)
    if divisor_override:
        out = out / divisor_override
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """(N, C, D, H, W) -> (N, C, OD, OH, OW), separable: average along W, then H, then D
    (window i of n -> o spans [floor(i n / o), ceil((i + 1) n / o)) on each axis)."""
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got "
                           f"{list(input.shape)}")
    items = (output_size,) * 3 if isinstance(output_size, int) or output_size is None \
        else tuple(output_size)
    sizes = tuple(input.shape[-3:])
    out_d, out_h, out_w = (n if o is None else int(o) for o, n in zip(items, sizes))
    x = _average_last_axis(input, out_w)
    x = _average_last_axis(x.transpose(-2, -1), out_h).transpose(-2, -1)
    x = _average_last_axis(x.transpose(-3, -1), out_d).transpose(-3, -1)
    return x
