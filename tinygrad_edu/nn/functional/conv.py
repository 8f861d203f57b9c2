"""Convolution: conv1d/2d, conv_transpose1d/2d; unfold/fold (im2col and col2im). Pooling and
pixel (un)shuffle are in pooling.py, which shares the helpers here (_ntuple, _constant).

Two of these are primitives (nn/functions_nn.py): `Convolution` and `ConvolutionTranspose`.
The 1-d forms view (N, C, L) as (N, C, 1, L). Unfold and fold pick elements by constant
tables of positions (index_select, index_add).

Output size along an axis, for input size n, kernel k, stride s, padding p, dilation d:
    floor((n + 2p - d(k - 1) - 1) / s) + 1
"""

from typing import Any

import numpy as np

from tinygrad_edu import autograd, creation, dispatch, dtypes
from tinygrad_edu.amp.autocast_mode import cast as autocast
from tinygrad_edu.movement import _to_device
from tinygrad_edu.nn.functional.shape import pad
from tinygrad_edu.nn.functions_nn import (
    Convolution,
    ConvolutionTranspose,
)
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


def _constant(key: tuple, like: Tensor, make: Any, dtype: Any = None) -> Tensor:
    """A host-computed constant array (make()) as a tensor on like's device, cached; of
    like's dtype unless dtype is given."""
    dtype = dtype or like.dtype
    full_key = key + (dtype.name, str(like.device))
    tensor = _constants.get(full_key)
    if tensor is None:
        tensor = _to_device(np.ascontiguousarray(make(), dtype=dtype.numpy), like)
        if len(_constants) < 512:
            _constants[full_key] = tensor
    return tensor


def _check_float(name: str, *tensors: Tensor, error: type = RuntimeError) -> None:
    for tensor in tensors:
        if not tensor.dtype.is_floating_point:
            raise error(f"\"{name}\" not implemented for '{tensor.type()[6:-6]}'")


# ---------------------------------------------------------------------------- convolution


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, dims: int, name: str) -> Tensor:
    """conv1d / conv2d: check, pad, call the Convolution primitive on 4-d views, add bias."""
    input, weight, bias = autocast(name, input, weight, bias)
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


def _check_window(name: str, stride: tuple, padding: tuple, dilation: tuple) -> None:
    """PyTorch's errors for a stride or dilation below 1 or a negative padding."""
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: non-positive stride is not supported, got stride="
                           f"{list(stride)}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{name}: negative padding is not supported, got padding="
                           f"{list(padding)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation should be greater than zero, but got dilation="
                           f"{list(dilation)}")


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any, dims: int,
                    name: str) -> Tensor:
    """conv_transpose1d / 2d: check, then the ConvolutionTranspose primitive on 4-d views."""
    input, weight, bias = autocast(name, input, weight, bias)
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{name}: expected a {dims + 2}-d weight (in_channels, out_channels "
                           f"/ groups, *kernel_size), but got weight of size "
                           f"{list(weight.shape)}")
    for argument, value in (("padding", padding), ("output_padding", output_padding)):
        if isinstance(value, str):
            raise TypeError(f"{name}(): argument '{argument}' must be tuple of ints, not str "
                            "(transposed convolutions take no 'same' or 'valid')")
    unbatched = input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    stride, padding, dilation = (_ntuple(stride, dims, "stride"),
                                 _ntuple(padding, dims, "padding"),
                                 _ntuple(dilation, dims, "dilation"))
    output_padding = _ntuple(output_padding, dims, "output_padding")
    _check_window(name, stride, padding, dilation)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    in_channels, out_channels = weight.shape[0], weight.shape[1] * groups
    if in_channels % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} "
                           "instead")
    if x.shape[1] != in_channels:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {in_channels} channels, but got "
                           f"{x.shape[1]} channels instead")
    if any(o < 0 or (o >= s and o >= d) for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, "
                           f"but got output_padding={list(output_padding)}, stride="
                           f"{list(stride)}, dilation={list(dilation)}")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {out_channels} elements, but got "
                           f"bias of size {list(bias.shape)} instead")
    kernel = tuple(weight.shape[2:])
    sizes = tuple(x.shape[2:])
    out_size = tuple((n - 1) * s - 2 * p + d * (k - 1) + 1 + o for n, s, p, d, k, o in
                     zip(sizes, stride, padding, dilation, kernel, output_padding))
    if any(o <= 0 for o in out_size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, sizes))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, out_size))}). Output size is too small")
    if x.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {weight.type()[6:-6]} but found "
                           f"{x.type()[6:-6]} (input {x.dtype} and weight {weight.dtype} "
                           "must match)")
    # PyTorch (CPU) also accepts a bias of another float dtype here (and casts it); we ask
    # for one dtype, as conv2d does
    if bias is not None and bias.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({x.dtype}) and bias type ({bias.dtype}) should be "
                           "the same")
    _check_float(name, x)  # PyTorch (CPU) also computes integer transposed convolutions
    dispatch.same_device(name, x, weight, *([] if bias is None else [bias]))
    if dims == 1:  # (N, C, L) -> (N, C, 1, L)
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, padding, dilation, out_size = ((1,) + stride, (0,) + padding,
                                               (1,) + dilation, (1,) + out_size)
    out = ConvolutionTranspose.apply(x, weight, bias, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups, out_size=out_size)
    if dims == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """(N, C_in, L) * (C_in, C_out/groups, K) -> (N, C_out, L_out), the transpose of conv1d:
    L_out = (L - 1)*stride - 2*padding + dilation*(K - 1) + 1 + output_padding."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """(N, C_in, H, W) * (C_in, C_out/groups, KH, KW) -> (N, C_out, H_out, W_out), the
    transpose of conv2d (its input gradient), + bias[o]; per axis
    H_out = (H - 1)*stride - 2*padding + dilation*(KH - 1) + 1 + output_padding.
    output_padding only lengthens the output (by rows no input reaches: they hold bias) and
    must be smaller than stride or dilation. Note the argument order: groups before
    dilation, as in PyTorch."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


# ---------------------------------------------------------------------------- unfold and fold
# unfold (im2col) copies every kernel-sized block of x into a column; fold (col2im) adds the
# columns back into their blocks. Both use one constant table of positions in the padded
# (Hp, Wp) plane, for tap (p, q) of block (i, j):
#     position[p, q, i, j] = (i*sh + p*dh) * Wp + (j*sw + q*dw)
# unfold is index_select at these positions, fold is index_add at the same positions, so
# fold is exactly unfold's adjoint (its gradient), and each one's backward is the other.


def _pair_of(value: Any, what: str) -> tuple:
    """An int or a pair of ints, as a pair (PyTorch's error for other lengths)."""
    items = (int(value),) * 2 if isinstance(value, (int, np.integer)) else \
        tuple(int(v) for v in value)
    if len(items) != 2:
        raise RuntimeError(f"It is expected {what} equals to 2, but got size {len(items)}")
    return items


def _block_geometry(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    kernel, dilation, padding, stride = (_pair_of(kernel_size, "kernel_size"),
                                         _pair_of(dilation, "dilation"),
                                         _pair_of(padding, "padding"),
                                         _pair_of(stride, "stride"))
    for what, pair, low in (("kernel size", kernel, 1), ("stride", stride, 1),
                            ("dilation", dilation, 1), ("padding", padding, 0)):
        if pair[0] < low or pair[1] < low:
            condition = "non-negative" if low == 0 else "greater than zero"
            raise RuntimeError(f"{what} should be {condition}, but got {what}={list(pair)}")
    return kernel, dilation, padding, stride


def _blocks(size: int, kernel: int, dilation: int, padding: int, stride: int) -> int:
    """How many blocks fit along one axis: floor((n + 2p - d(k - 1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _block_positions(padded: tuple, kernel: tuple, dilation: tuple, stride: tuple,
                     blocks: tuple) -> np.ndarray:
    """The flat (KH*KW*L,) table of positions above, in the order (p, q, i, j)."""
    (kh, kw), (dh, dw), (sh, sw), (bh, bw) = kernel, dilation, stride, blocks
    rows = np.arange(bh)[None, :] * sh + np.arange(kh)[:, None] * dh  # (KH, BH)
    cols = np.arange(bw)[None, :] * sw + np.arange(kw)[:, None] * dw  # (KW, BW)
    table = rows[:, None, :, None] * padded[1] + cols[None, :, None, :]  # (KH, KW, BH, BW)
    return table.reshape(-1)


def _positions_tensor(like: Tensor, padded: tuple, kernel: tuple, dilation: tuple,
                      stride: tuple, blocks: tuple) -> Tensor:
    return _constant(("blocks", padded, kernel, dilation, stride, blocks), like,
                     lambda: _block_positions(padded, kernel, dilation, stride, blocks),
                     dtypes.int64)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*KH*KW, L), L = BH*BW blocks, BH = floor((H + 2p -
    d(KH - 1) - 1) / s) + 1 (likewise BW), with
    out[n, (c*KH + p)*KW + q, i*BW + j] = x_padded[n, c, i*sh + p*dh, j*sw + q*dw].
    Then conv2d(x, w) = (w.view(O, -1) @ unfold(x)).view(N, O, BH, BW)."""
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    kernel, dilation, padding, stride = _block_geometry(kernel_size, dilation, padding, stride)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    n, c, height, width = x.shape
    blocks = tuple(_blocks(size, *args) for size, *args in
                   zip((height, width), kernel, dilation, padding, stride))
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given input with spatial size ({height}, {width}), kernel_size="
                           f"{kernel}, dilation={dilation}, padding={padding}, calculated "
                           f"shape of the array of sliding blocks as {blocks}, but its "
                           "components must be at least one.")
    _check_float("unfold", x, error=NotImplementedError)
    (ph, pw) = padding
    padded = pad(x, (pw, pw, ph, ph)) if ph or pw else x
    plane = (height + 2 * ph, width + 2 * pw)
    positions = _positions_tensor(x, plane, kernel, dilation, stride, blocks)
    columns = padded.reshape(n, c, plane[0] * plane[1]).index_select(2, positions)
    out = columns.view(n, c * kernel[0] * kernel[1], blocks[0] * blocks[1])
    return autograd.named(out if input.ndim == 4 else out.squeeze(0), "Im2ColBackward0")


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """col2im, the adjoint of unfold: (N, C*KH*KW, L) -> (N, C, H, W), (H, W) = output_size,
    out_padded[n, c, i*sh + p*dh, j*sw + q*dw] += x[n, (c*KH + p)*KW + q, i*BW + j]
    (where blocks overlap their values add up), then the padding is cut off. So
    fold(unfold(x)) is x times how many blocks cover each pixel."""
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    size = _pair_of(output_size, "output_size")
    kernel, dilation, padding, stride = _block_geometry(kernel_size, dilation, padding, stride)
    x = input if input.ndim == 3 else input.unsqueeze(0)
    n, channels, length = x.shape
    if channels % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={channels} and "
                           f"kernel_size={kernel}.")
    blocks = tuple(_blocks(s, *args) for s, *args in
                   zip(size, kernel, dilation, padding, stride))
    if blocks[0] < 1 or blocks[1] < 1 or length != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation="
                           f"{dilation}, padding={padding}, stride={stride}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]} "
                           "(each at least 1), but got input.size(2)="
                           f"{length}.")
    _check_float("fold", x, error=NotImplementedError)
    (ph, pw), c = padding, channels // (kernel[0] * kernel[1])
    plane = (size[0] + 2 * ph, size[1] + 2 * pw)
    positions = _positions_tensor(x, plane, kernel, dilation, stride, blocks)
    empty = creation.zeros(n, c, plane[0] * plane[1], dtype=x.dtype, device=x.device)
    summed = empty.index_add(2, positions, x.reshape(n, c, channels // c * length))
    summed = summed.view(n, c, *plane)
    if ph or pw:  # cut the padding off; a copy, so the result is contiguous like PyTorch's
        summed = summed[:, :, ph:ph + size[0], pw:pw + size[1]].contiguous()
    return autograd.named(summed if input.ndim == 3 else summed.squeeze(0), "Col2ImBackward0")
