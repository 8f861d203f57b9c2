"""Convolution and pooling: conv1d/2d, max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d.

Only two of these are primitives (nn/functions_nn.py): `Convolution` and
`MaxPool2DWithIndices`. The 1-d forms view (N, C, L) as (N, C, 1, L). Average pooling is a
convolution of each channel with a kernel of ones, divided by the window sizes; adaptive
average pooling is two matrix products with constant averaging matrices (one per axis).

Output size along an axis, for input size n, kernel k, stride s, padding p, dilation d:
    floor((n + 2p - d(k - 1) - 1) / s) + 1        (ceil instead of floor with ceil_mode)
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from tinygrad_edu import composite as C
from tinygrad_edu import dispatch
from tinygrad_edu.movement import _to_device
from tinygrad_edu.nn.functions_nn import Convolution, MaxPool2DWithIndices
from tinygrad_edu.tensor import Tensor


def _ntuple(value: Any, n: int, name: str = "value", op: str = "") -> tuple:
    """An int repeated n times, or a sequence of n ints (else PyTorch's error)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    items = tuple(int(v) for v in value)
    if len(items) == 1:
        return items * n
    if len(items) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the {op or 'convolution'} dimensions, but got "
                           f"{name}={list(items)}")
    return items


_constants: dict = {}


def _constant(key: tuple, like: Tensor, make: Any) -> Tensor:
    """A host-computed constant array (make()) as a tensor on like's device, cached."""
    full_key = key + (like.dtype.name, str(like.device))
    tensor = _constants.get(full_key)
    if tensor is None:
        tensor = _to_device(np.ascontiguousarray(make(), dtype=like.dtype.numpy), like)
        if len(_constants) < 512:
            _constants[full_key] = tensor
    return tensor


def _check_float(name: str, *tensors: Tensor) -> None:
    for tensor in tensors:
        if not tensor.dtype.is_floating_point:
            raise RuntimeError(f"\"{name}\" not implemented for '{tensor.type()[6:-6]}'")


# ---------------------------------------------------------------------------- convolution


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, dims: int, name: str) -> Tensor:
    """conv1d / conv2d: check, pad, call the Convolution primitive on 4-d views, add bias."""
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"weight should have at least three dimensions to match a {dims}-d "
                           f"{name}, got weight of size {list(weight.shape)}")
    unbatched = input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    stride = _ntuple(stride, dims, "stride")
    dilation = _ntuple(dilation, dims, "dilation")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * dims
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
            before = tuple(t // 2 for t in totals)  # PyTorch puts the odd one at the end
            after = tuple(t - t // 2 for t in totals)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        before = after = _ntuple(padding, dims, "padding")
    channels, out_channels = x.shape[1], weight.shape[0]
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if out_channels % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} "
                           "instead")
    if channels != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {weight.shape[1] * groups} "
                           f"channels, but got {channels} channels instead")
    sizes = x.shape[2:]
    padded = [n + b + a for n, b, a in zip(sizes, before, after)]
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, kernel))}). Kernel size can't be greater "
                           "than actual input size")
    if x.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {weight.type()[6:-6]} but found "
                           f"{x.type()[6:-6]} (input {x.dtype} and weight {weight.dtype} "
                           "must match)")
    _check_float(name, x)
    dispatch.same_device(name, x, weight)
    out_size = tuple((p - s) // st + 1 for p, s, st in zip(padded, spans, stride))
    if dims == 1:  # (N, C, L) -> (N, C, 1, L)
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, before, dilation, out_size = ((1,) + stride, (0,) + before, (1,) + dilation,
                                              (1,) + out_size)
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    if bias is not None and bias.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({x.dtype}) and bias type ({bias.dtype}) should be "
                           "the same")
    out = Convolution.apply(x, weight, bias, stride=stride, padding=before, dilation=dilation,
                            groups=groups, out_size=out_size)
    if dims == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """(N, C, L) * (O, C/groups, K) -> (N, O, L_out); see Convolution for the sum."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """(N, C, H, W) * (O, C/groups, KH, KW) -> (N, O, H_out, W_out), + bias[o]."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


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
