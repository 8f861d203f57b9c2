"""one_hot, pad and interpolate: ops that pick or repeat elements.

pad ('reflect', 'replicate', 'circular') and interpolate both work out, on the host, which
input element each output element reads (per axis: an index array), turn that into
row-major element numbers, and Gather them: the Gather primitive's backward then adds each
output gradient back to the element it came from. The element numbers are cached per shape.
Constant padding is a Cat of the input with filled blocks.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from kernels.strided import contiguous_strides
from tinygrad_edu import composite as C
from tinygrad_edu import creation, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu.movement import _to_device, cat
from tinygrad_edu.tensor import Tensor


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """out[..., k] = 1 if tensor[...] == k else 0 (int64); num_classes=-1: max + 1."""
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = tensor.detach().cpu().numpy()
    if values.size and values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(values.max()) + 1 if values.size else 0
    elif values.size and values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = _to_device(np.arange(num_classes, dtype=np.int64), tensor)
    return C.eq(tensor.unsqueeze(-1), classes).long()


_positions: dict = {}  # (shape, sources, device) -> element numbers on that device


def _gather_by_axis(x: Tensor, sources: tuple) -> Tensor:
    """out[i0, i1, ...] = x[src_0[i0], src_1[i1], ...]; sources[d] None keeps axis d.
    The element numbers are computed once per shape and kept on the device."""
    key = (tuple(x.shape), sources, str(x.device))
    positions = _positions.get(key)
    if positions is None:
        positions = _to_device(_element_numbers(key[0], sources), x)
        if len(_positions) < 256:
            _positions[key] = positions
    return F.Gather.apply(x, positions)


def _element_numbers(shape: tuple, sources: tuple) -> np.ndarray:
    strides = contiguous_strides(shape)
    sizes = [size if index is None else len(index) for size, index in zip(shape, sources)]
    total = np.zeros(sizes, dtype=np.int64)
    for axis, (size, index) in enumerate(zip(shape, sources)):
        picked = np.arange(size) if index is None else np.asarray(index)
        view = [1] * len(shape)
        view[axis] = sizes[axis]
        total += (picked.astype(np.int64) * strides[axis]).reshape(view)
    return total


# ---------------------------------------------------------------------------- pad


@lru_cache(maxsize=256)
def _pad_source(size: int, before: int, after: int, mode: str) -> tuple:
    """For each output position along one axis, the input position it copies."""
    index = np.arange(-before, size + after)
    if mode == "reflect":  # mirror without repeating the edge: -1 -> 1, size -> size - 2
        index = np.abs(index)
        index = np.where(index >= size, 2 * (size - 1) - index, index)
    elif mode == "replicate":
        index = np.clip(index, 0, size - 1)
    else:  # circular
        index = index % size
    return tuple(int(i) for i in index)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims: pad = (last_before, last_after, prev_before, ...).

    constant: fill with value (negative pads crop); reflect: mirror at the edge (edge not
    repeated); replicate: repeat the edge; circular: wrap around.
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    pairs = [(input.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)]
    if mode == "constant":
        return _pad_constant(input, pairs, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    sources: list = [None] * input.ndim
    for pair, (axis, before, after) in enumerate(pairs):
        size = input.shape[axis]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #{4 + 2 * pair}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({before}, "
                               f"{after}) at dimension {axis} of input {list(input.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        sources[axis] = _pad_source(size, before, after, mode)
    return _gather_by_axis(input, tuple(sources))


def _pad_constant(x: Tensor, pairs: list, value: float) -> Tensor:
    for axis, before, after in pairs:
        if before < 0:
            x = x.narrow(axis, -before, x.shape[axis] + before)
        if after < 0:
            x = x.narrow(axis, 0, x.shape[axis] + after)
        parts = []
        for amount in (before, after):
            shape = list(x.shape)
            shape[axis] = max(amount, 0)
            parts.append(creation.full(shape, value, dtype=x.dtype, device=x.device)
                         if amount > 0 else None)
        pieces = [p for p in (parts[0], x, parts[1]) if p is not None]
        if len(pieces) > 1:
            x = cat(pieces, axis)
    return x


# ---------------------------------------------------------------------------- interpolate


@lru_cache(maxsize=256)
def _nearest_source(size: int, out: int, scale: float | None, exact: bool) -> tuple:
    """PyTorch's nearest index, in float32 as its CPU kernel: floor(i * scale) (or
    floor((i + 0.5) * scale) for nearest-exact), at most size - 1; scale = 1/scale_factor
    when given, else size/out."""
    step = np.float32(1.0 / scale if scale else size / out)
    positions = np.arange(out, dtype=np.float32) + np.float32(0.5 if exact else 0.0)
    return tuple(int(i) for i in np.minimum(np.floor(positions * step), size - 1))


@lru_cache(maxsize=256)
def _linear_source(size: int, out: int, scale: float | None, align_corners: bool) -> tuple:
    """(i0, i1, lambda1): out[i] = x[i0] * (1 - lambda1) + x[i1] * lambda1, with source
    position (i + 0.5) * step - 0.5 clamped at 0 (or i * (size - 1)/(out - 1) when
    align_corners)."""
    if align_corners:
        step = (size - 1) / (out - 1) if out > 1 else 0.0
        source = np.arange(out) * step
    else:
        step = 1.0 / scale if scale else size / out
        source = np.maximum((np.arange(out) + 0.5) * step - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    return tuple(low), tuple(high), tuple(source - low)


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial): 'nearest', 'nearest-exact', 'linear'
    (3-d), 'bilinear' (4-d), 'trilinear' (5-d) or 'area' (adaptive average pooling)."""
    spatial = input.ndim - 2
    linear_modes = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if mode in linear_modes and linear_modes[mode] != spatial:
        raise ValueError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{linear_modes[mode] + 2}D input")
    if input.ndim not in (3, 4, 5) or (mode not in linear_modes
                                       and mode not in ("nearest", "nearest-exact", "area")):
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | trilinear | area | nearest-exact (got {mode})")
    if antialias:
        raise ValueError("Anti-alias option is only supported for bilinear and bicubic modes "
                         "in PyTorch, and not supported by tinygrad_edu")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        out_sizes = (int(size),) * spatial if isinstance(size, int) else tuple(map(int, size))
        if len(out_sizes) != spatial:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(in_sizes)} and output size of {list(out_sizes)}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                             "size in (o1, o2, ...,oK) format.")
        scales: tuple = (None,) * spatial
    elif scale_factor is not None:
        factors = (float(scale_factor),) * spatial if isinstance(scale_factor, (int, float)) \
            else tuple(map(float, scale_factor))
        out_sizes = tuple(int(np.floor(n * f)) for n, f in zip(in_sizes, factors))
        scales = (None,) * spatial if recompute_scale_factor else factors
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(o <= 0 for o in out_sizes) or any(n <= 0 for n in in_sizes):
        names = "DHW"[-spatial:] if spatial > 1 else "W"
        shown = [", ".join(f"{d}: {v}" for d, v in zip(names, sizes))
                 for sizes in (in_sizes, out_sizes)]
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({shown[0]}) output ({shown[1]})")
    if mode == "area":
        from tinygrad_edu.nn.functional.pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
        return (adaptive_avg_pool1d if spatial == 1 else adaptive_avg_pool2d)(input, out_sizes)
    if mode in ("nearest", "nearest-exact"):
        sources = (None, None) + tuple(
            None if o == n and mode == "nearest" else  # same size: PyTorch copies
            _nearest_source(n, o, s, mode == "nearest-exact")
            for n, o, s in zip(in_sizes, out_sizes, scales))
        return _gather_by_axis(input, sources)
    out = input
    for k, (n, o, s) in enumerate(zip(in_sizes, out_sizes, scales)):
        if o == n:
            continue  # PyTorch copies an axis that keeps its size, whatever the scale says
        axis = 2 + k
        low, high, weights = _linear_source(n, o, s, bool(align_corners))
        picked = [None] * input.ndim
        picked[axis] = low
        lower = _gather_by_axis(out, tuple(picked))
        picked[axis] = high
        upper = _gather_by_axis(out, tuple(picked))
        shape = [1] * input.ndim
        shape[axis] = o
        lam = _to_device(np.asarray(weights, dtype=input.dtype.numpy).reshape(shape), input)
        out = C.add(lower, C.mul(C.sub(upper, lower), lam))
    return out
