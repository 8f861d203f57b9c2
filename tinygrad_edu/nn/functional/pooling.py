"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d, adaptive_max_pool1d/2d;
and pixel_shuffle/pixel_unshuffle.

Max pooling is the primitive `MaxPool2DWithIndices` (nn/functions_nn.py); the 1-d forms view
(N, C, L) as (N, C, 1, L). Average pooling is a convolution of each channel with a kernel of
ones, divided by the window sizes; adaptive average pooling is two matrix products with
constant averaging matrices (one per axis). Adaptive max pooling picks elements by a constant
table of positions (index_select); pixel (un)shuffle is a reshape and a permute.

Output size along an axis, for input size n, kernel k, stride s, padding p, dilation d:
    floor((n + 2p - d(k - 1) - 1) / s) + 1        (ceil instead of floor with ceil_mode)
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dtypes
from tinygrad_edu import composite as C
from tinygrad_edu.nn.functional.conv import _check_float, _constant, _ntuple
from tinygrad_edu.nn.functions_nn import (
    Convolution,
    MaxPool2DWithIndices,
)
from tinygrad_edu.tensor import Tensor

# ---------------------------------------------------------------------------- pooling


def _pool_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
               ceil_mode: bool) -> int:
    """Windows along one axis; with ceil_mode the last may hang over the end, but must
    start inside the input or its left padding (PyTorch's rule)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def _pool_geometry(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool, dims: int, name: str) -> tuple:
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}: Expected {dims + 1}D or {dims + 2}D (batch mode) tensor "
                           f"for input, but got: {list(input.shape)}")
    kernel = _ntuple(kernel_size, dims, "kernel_size", "pooling")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _ntuple(stride, dims, "stride", "pooling")
    padding = _ntuple(padding, dims, "padding", "pooling")
    dilation = _ntuple(dilation, dims, "dilation", "pooling")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    sizes = tuple(input.shape[-dims:])
    out_size = tuple(_pool_size(n, k, s, p, d, ceil_mode)
                     for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out_size):
        lead = "x".join(map(str, input.shape[-dims - 1:-dims]))
        raise RuntimeError(f"Given input size: ({lead}x{'x'.join(map(str, sizes))}). "
                           f"Calculated output size: ({lead}x{'x'.join(map(str, out_size))}). "
                           "Output size is too small")
    return kernel, stride, padding, dilation, out_size


def _as_4d(input: Tensor, dims: int) -> Tensor:
    """(N, C, H, W) from 3-d/4-d (2-d pooling) or 2-d/3-d (1-d pooling) input."""
    x = input if input.ndim == dims + 2 else input.unsqueeze(0)
    return x.unsqueeze(2) if dims == 1 else x


def _from_4d(out: Tensor, input: Tensor, dims: int) -> Tensor:
    out = out.squeeze(2) if dims == 1 else out
    return out if input.ndim == dims + 2 else out.squeeze(0)


def _max_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, return_indices: bool, dims: int, name: str) -> Any:
    kernel, stride, padding, dilation, out_size = _pool_geometry(
        input, kernel_size, stride, padding, dilation, ceil_mode, dims, name)
    x = _as_4d(input, dims)
    if dims == 1:
        kernel, stride, padding, dilation, out_size = ((1,) + kernel, (1,) + stride,
                                                       (0,) + padding, (1,) + dilation,
                                                       (1,) + out_size)
    positions: list = []
    out = MaxPool2DWithIndices.apply(x, kernel_size=kernel, stride=stride, padding=padding,
                                     dilation=dilation, out_size=out_size,
                                     positions_out=positions if return_indices else None)
    out = _from_4d(out, input, dims)
    if not return_indices:
        return out
    plane = x.shape[2] * x.shape[3]
    indices = C.remainder(positions[0], plane)  # PyTorch: index within each (H, W) plane
    return out, _from_4d(indices, input, dims)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """out[n, c, i] = max_q x[n, c, i*stride - padding + q*dilation]"""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """out[n, c, i, j] = max over the (kernel_size) window at (i*stride, j*stride)"""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


@lru_cache(maxsize=256)
def _window_counts(size: int, out: int, kernel: int, stride: int, padding: int,
                   count_include_pad: bool) -> tuple:
    """How many elements each window along one axis averages over (PyTorch's rule)."""
    counts = []
    for i in range(out):
        start = i * stride - padding
        end = min(start + kernel, size + padding)
        if not count_include_pad:
            start, end = max(start, 0), min(end, size)
        counts.append(end - start)
    return tuple(counts)


def _avg_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: Any, dims: int, name: str) -> Tensor:
    kernel, stride, padding, _, out_size = _pool_geometry(
        input, kernel_size, stride, padding, 1, ceil_mode, dims, name)
    _check_float(name, input)
    x = _as_4d(input, dims)
    if dims == 1:
        kernel, stride, padding, out_size = ((1,) + kernel, (1,) + stride, (0,) + padding,
                                             (1,) + out_size)
    n, c, h, w = x.shape
    planes = x.reshape(n * c, 1, h, w)
    ones = _constant(("ones",) + kernel, x, lambda: np.ones((1, 1) + kernel))
    sums = Convolution.apply(planes, ones, None, stride=stride, padding=padding,
                             dilation=(1, 1), groups=1, out_size=out_size)
    sums = sums.view(n, c, *out_size)
    if divisor_override:
        out = C.div(sums, divisor_override)
    else:
        rows = _window_counts(h, out_size[0], kernel[0], stride[0], padding[0],
                              count_include_pad)
        cols = _window_counts(w, out_size[1], kernel[1], stride[1], padding[1],
                              count_include_pad)
        divisor = _constant(("divisor", rows, cols), x, lambda: np.outer(rows, cols))
        out = C.div(sums, divisor)
    return _from_4d(out, input, dims)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """out[n, c, i] = mean of x[n, c] over the window at i*stride - padding"""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     1, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """out[n, c, i, j] = sum of the window / its size (padding counted unless
    count_include_pad=False; divisor_override replaces the size)"""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


@lru_cache(maxsize=256)
def _adaptive_matrix(size: int, out: int) -> np.ndarray:
    """A (out, size) matrix whose row i averages x[floor(i*size/out) : ceil((i+1)*size/out)]."""
    matrix = np.zeros((out, size))
    for i in range(out):
        start = (i * size) // out
        end = -((-(i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def _adaptive_sizes(output_size: Any, sizes: Sequence[int]) -> tuple:
    items = (output_size,) * len(sizes) if isinstance(output_size, int) or output_size is None \
        else tuple(output_size)
    return tuple(size if o is None else int(o) for o, size in zip(items, sizes))


def _average_last_axis(x: Tensor, out: int) -> Tensor:
    """x (..., n) -> (..., out) by the adaptive averaging matrix (one matrix product)."""
    n = x.shape[-1]
    if n == out:
        return x
    matrix = _constant(("adaptive", n, out), x, lambda: _adaptive_matrix(n, out).T)
    return x.reshape(-1, n).matmul(matrix).reshape(*x.shape[:-1], out)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """(N, C, L) -> (N, C, output_size): window i spans [floor(iL/o), ceil((i+1)L/o))"""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got "
                           f"{list(input.shape)}")
    (out,) = _adaptive_sizes(output_size, input.shape[-1:])
    return _average_last_axis(input, out)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """(N, C, H, W) -> (N, C, OH, OW), separable: average along W, then along H"""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    out_h, out_w = _adaptive_sizes(output_size, input.shape[-2:])
    if out_h == 1 and out_w == 1:
        return input.mean((-2, -1), keepdim=True)  # global average pooling
    along_w = _average_last_axis(input, out_w)
    along_h = _average_last_axis(along_w.transpose(-2, -1), out_h)
    return along_h.transpose(-2, -1)


@lru_cache(maxsize=256)
def _adaptive_windows(size: int, out: int) -> np.ndarray:
    """An (out, K) table: row i lists the positions of window i, floor(i*size/out) up to
    ceil((i+1)*size/out) - 1, K the longest window's length. A shorter window repeats its
    last position: a repeat never changes the max, and it comes after the original, so the
    first maximum still wins."""
    starts = [(i * size) // out for i in range(out)]
    ends = [-((-(i + 1) * size) // out) for i in range(out)]
    longest = max((end - start for start, end in zip(starts, ends)), default=1)
    rows = [[min(start + t, end - 1) for t in range(longest)] for start, end in zip(starts, ends)]
    return np.array(rows, dtype=np.int64).reshape(out, longest)


def _adaptive_positions(height: int, width: int, out_h: int, out_w: int) -> np.ndarray:
    """(OH, OW, KH*KW): the element numbers row*W + column of each 2-d window, row-major."""
    rows, cols = _adaptive_windows(height, out_h), _adaptive_windows(width, out_w)
    table = rows[:, None, :, None] * width + cols[None, :, None, :]  # (OH, OW, KH, KW)
    return table.reshape(out_h, out_w, rows.shape[1] * cols.shape[1])


def _adaptive_output_size(output_size: Any, sizes: Sequence[int], name: str) -> tuple:
    """output_size as one int per axis; in 2-d, None keeps that axis' size (PyTorch's rule)."""
    dims = len(sizes)
    items = (output_size,) if isinstance(output_size, (int, np.integer)) or \
        output_size is None else tuple(output_size)
    allowed = (int, np.integer) if dims == 1 else (int, np.integer, type(None))
    if not all(isinstance(o, allowed) for o in items):
        raise TypeError(f"{name}(): argument 'output_size' must be "
                        f"{'an int' if dims == 1 else 'an int or a pair of int or None'}, "
                        f"but got {output_size!r}")
    if len(items) not in (1, dims):
        raise RuntimeError(f"{name}(): output_size must have {dims} element(s), but got "
                           f"{len(items)}: {output_size!r}")
    result = _adaptive_sizes(items * dims if len(items) == 1 else items, sizes)
    if any(o < 0 for o in result):
        raise RuntimeError(f"{name}(): output_size must be non-negative, but got "
                           f"{list(result)}")
    return result


def _adaptive_max(input: Tensor, output_size: Any, return_indices: bool, dims: int,
                  name: str) -> Any:
    """Check, then: gather every window of the (H*W) plane into a last axis of K elements
    (one index_select with a constant table), max over it; indices = the table at argmax."""
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    sizes = _adaptive_output_size(output_size, input.shape[-dims:], name)
    for axis in range(input.ndim - dims - 1, input.ndim):  # C and the spatial dims
        if input.shape[axis] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {axis} being empty")
    _check_float(name, input, error=NotImplementedError)
    x = _as_4d(input, dims)  # (N, C, H, W)
    n, c, height, width = x.shape
    out_h, out_w = (1,) + sizes if dims == 1 else sizes
    table = _constant(("adaptive_max", height, width, out_h, out_w), x,
                      lambda: _adaptive_positions(height, width, out_h, out_w), dtypes.int64)
    picked = x.reshape(n, c, height * width).index_select(2, table.reshape(-1))
    values, chosen = picked.view(n, c, out_h, out_w, table.shape[-1]).max(-1)
    out = _from_4d(values, input, dims)
    if dims == 2:  # PyTorch's 1-d form ends in a squeeze, as ours
        out = autograd.named(out, "AdaptiveMaxPool2DBackward0")
    if not return_indices:
        return out
    indices = table.expand(n, c, out_h, out_w, table.shape[-1]).gather(-1, chosen.unsqueeze(-1))
    return out, _from_4d(indices.squeeze(-1), input, dims)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """(N, C, L) -> (N, C, o): out[n, c, i] = max of x[n, c, floor(iL/o) : ceil((i+1)L/o)].
    The gradient goes to the first maximum of each window (overlapping windows add up), as
    in PyTorch. PyTorch: where a window holds several nan, its index is the last of them;
    ours is the first (values and the other indices agree)."""
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """(N, C, H, W) -> (N, C, OH, OW): the max over window (i, j), rows
    [floor(iH/OH), ceil((i+1)H/OH)) times columns [floor(jW/OW), ceil((j+1)W/OW)); indices
    are row*W + column within each (H, W) plane. Ties and nan as adaptive_max_pool1d."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


# ---------------------------------------------------------------------------- pixel shuffle


def _check_factor(input: Tensor, factor: Any, name: str, what: str) -> int:
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)):
        raise TypeError(f"{name}(): argument '{what}' (position 2) must be int, not "
                        f"{type(factor).__name__}")
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")
    return int(factor)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r), r = upscale_factor:
    out[..., c, h*r + a, w*r + b] = x[..., (c*r + a)*r + b, h, w]
    (a reshape to (*, C, r, r, H, W), a permute to (*, C, H, r, W, r), a reshape)."""
    r = _check_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{channels} is not divisible by {r * r}")
    k = len(batch)
    x = input.reshape(*batch, channels // (r * r), r, r, height, width)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    out = x.reshape(*batch, channels // (r * r), height * r, width * r)
    return autograd.named(out, "PixelShuffleBackward0")


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of pixel_shuffle:
    out[..., (c*r + a)*r + b, h, w] = x[..., c, h*r + a, w*r + b]."""
    r = _check_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *batch, channels, height, width = input.shape
    for what, size, axis in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor, but input.size({axis})={size} is not "
                               f"divisible by {r}")
    k = len(batch)
    x = input.reshape(*batch, channels, height // r, r, width // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    out = x.reshape(*batch, channels * r * r, height // r, width // r)
    return autograd.named(out, "PixelUnshuffleBackward0")
