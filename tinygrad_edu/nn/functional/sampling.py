"""affine_grid and grid_sample (4-d input): spatial transformers, composed from Tensor ops.

    grid = F.affine_grid(theta, size)     # (N, H, W, 2): where each output pixel samples
    out = F.grid_sample(input, grid)      # (N, C, H, W): input read at those places

Coordinates are normalised: x = -1 is the left edge of the input and x = +1 the right,
y likewise top to bottom. With align_corners=True, ±1 are the centres of the corner
pixels; with False (the default), the outer edges of the corner pixels, so the result does
not depend on the resolution. grid_sample turns each (x, y) into pixel units, applies the
padding mode to the coordinates, and gathers the (up to) four neighbours:

    ix = (x + 1) / 2 * (W - 1)         align_corners=True
    ix = ((x + 1) W - 1) / 2           align_corners=False
    bilinear: out = sum over the 4 corners (x0 or x0+1, y0 or y0+1) of
              input[y_k, x_k] * (1 - |ix - x_k|) (1 - |iy - y_k|),   x0 = floor(ix)
    nearest:  out = input[round(iy), round(ix)]   (round half to even, as PyTorch)

Corners outside the input read 0 ("zeros"); "border" first clamps the coordinates into
the input, "reflection" first mirrors them at the edges. The gathers (Tensor.gather) carry
the gradient back to the input (a scatter-add); the bilinear weights carry it to the grid.
PyTorch: a fused kernel with its own backward; bicubic mode and 5-d input are not offered.
In nearest mode the output does not depend on the grid, so grid.grad stays None where
PyTorch's is zeros.
"""

from typing import Any

import numpy as np

from tinygrad_edu import creation, dtypes
from tinygrad_edu.nn.functional.conv import _constant
from tinygrad_edu.tensor import Tensor

MODES = ("bilinear", "nearest")
PADDING_MODES = ("zeros", "border", "reflection")


def _base_coordinates(steps: int, align_corners: bool) -> np.ndarray:
    """The normalised centres of `steps` pixels along one axis."""
    if steps <= 1:
        return np.zeros(max(steps, 0))
    line = np.linspace(-1.0, 1.0, steps)
    return line if align_corners else line * (steps - 1) / steps


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """(N, 2, 3) affine matrices -> the (N, H, W, 2) sampling grid for an output of `size`
    (N, C, H, W): grid[n, i, j] = theta[n] @ (x_j, y_i, 1), with x_j, y_i the normalised
    centres of output column j and row i."""
    align_corners = bool(align_corners)
    size = tuple(int(s) for s in size)
    if len(size) != 4:
        raise ValueError(f"affine_grid only supports 4D sizes, for 2D affine transforms. Got "
                         f"size {list(size)}. (PyTorch: also 5D; not offered here.)")
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    n, _, height, width = size
    if theta.ndim != 3 or tuple(theta.shape) != (n, 2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                         f"{list(size)}. Got {list(theta.shape)}.")
    if min(size[2:]) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")

    def make() -> np.ndarray:
        xs = _base_coordinates(width, align_corners)
        ys = _base_coordinates(height, align_corners)
        base = np.ones((height, width, 3))
        base[..., 0] = xs[None, :]
        base[..., 1] = ys[:, None]
        return base.reshape(1, height * width, 3)

    base = _constant(("affine_grid", height, width, align_corners), theta, make)
    grid = base.matmul(theta.transpose(1, 2))                   # (N, H*W, 2)
    return grid.reshape(n, height, width, 2)


def _reflect(coordinate: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Mirror coordinates at low and high (given doubled, to stay integers) until they fall
    inside [low, high]: fold |x - low| by the span, reversing every other fold."""
    if twice_low == twice_high:
        return coordinate * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    distance = (coordinate - low).abs()
    flips = (distance / span).floor()                # how many edges were crossed
    extra = distance - flips * span                  # fmod(distance, span)
    even = (flips - (flips / 2).floor() * 2) == 0
    return (extra + low).where(even, span - extra + low)


def _source_index(coordinate: Tensor, size: int, padding_mode: str,
                  align_corners: bool) -> Tensor:
    """Normalised coordinates -> pixel units, after the padding mode's treatment."""
    if align_corners:
        pixel = (coordinate + 1) / 2 * (size - 1)
    else:
        pixel = ((coordinate + 1) * size - 1) / 2
    if padding_mode == "border":
        pixel = pixel.clamp(0, size - 1)
    elif padding_mode == "reflection":
        pixel = _reflect(pixel, 0, 2 * (size - 1)) if align_corners \
            else _reflect(pixel, -1, 2 * size - 1)
        pixel = pixel.clamp(0, size - 1)
    return pixel


def _gather(flat: Tensor, rows: Tensor, cols: Tensor, height: int, width: int) -> Tensor:
    """flat (N, C, H*W) read at integer (rows, cols) of shape (N, P); 0 outside the input."""
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    position = (rows.clamp(0, height - 1) * width + cols.clamp(0, width - 1)).to(dtypes.int64)
    n, channels, _ = flat.shape
    index = position.unsqueeze(1).expand(n, channels, position.shape[1])
    values = flat.gather(2, index)                              # (N, C, P)
    return values * inside.unsqueeze(1).to(flat.dtype)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """(N, C, H, W) sampled at grid (N, Ho, Wo, 2) of normalised (x, y) -> (N, C, Ho, Wo);
    see the module docstring for the formulas."""
    if mode not in MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear' or "
                         f"'nearest', but got: '{mode}' (PyTorch also offers 'bicubic')")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sample(): expected 4D input and a grid of shape (N, H_out, "
                           f"W_out, 2), but got input of size {list(input.shape)} and grid "
                           f"of size {list(grid.shape)} (PyTorch: also 5D; not offered here)")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but input has {input.dtype} and grid has {grid.dtype}")
    align_corners = bool(align_corners)
    n, channels, height, width = input.shape
    out_h, out_w = grid.shape[1], grid.shape[2]
    points = grid.reshape(n, out_h * out_w, 2)
    ix = _source_index(points[..., 0], width, padding_mode, align_corners)   # (N, P)
    iy = _source_index(points[..., 1], height, padding_mode, align_corners)
    flat = input.reshape(n, channels, height * width)
    if mode == "nearest":
        out = _gather(flat, iy.detach().round(), ix.detach().round(), height, width)
        return out.reshape(n, channels, out_h, out_w)
    x0, y0 = ix.detach().floor(), iy.detach().floor()
    wx1, wy1 = ix - x0, iy - y0                       # weights of the right / lower corner
    wx0, wy0 = 1 - wx1, 1 - wy1
    out = creation.zeros((n, channels, out_h * out_w), dtype=input.dtype, device=input.device)
    for rows, weight_y in ((y0, wy0), (y0 + 1, wy1)):
        for cols, weight_x in ((x0, wx0), (x0 + 1, wx1)):
            corner = _gather(flat, rows, cols, height, width)
            out = out + corner * (weight_y * weight_x).unsqueeze(1)
    return out.reshape(n, channels, out_h, out_w)
