"""Image transforms in torchvision's shape, on NumPy arrays and tensors (no PIL).

Layouts: a NumPy image is (H, W) or (H, W, C), as a dataset returns it; a tensor image is
(..., H, W), usually (C, H, W) after `ToTensor`. Every geometric transform works on an
(..., H, W) array internally and hands back the type and layout it was given.

Random transforms draw from the library's global RNG (`tinygrad_edu.rand` / `randint`), so
`tinygrad_edu.manual_seed(s)` makes them reproducible; in DataLoader workers that RNG is seeded
with base_seed + worker_id. PyTorch: torchvision's tensor transforms are differentiable; these
compute in NumPy and return a tensor without autograd history (except `Normalize`, which uses
tensor ops for a tensor that requires grad).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import tinygrad_edu as _tg

__all__ = [
    "Compose",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "RandomAffine",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "ToTensor",
]


class InterpolationMode(enum.Enum):
    """How a warped image samples its source: nearest pixel or bilinear blend."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


# --- helpers: random draws and the (..., H, W) view of an image -------------------------------


def _uniform(low: float, high: float) -> float:
    """One draw from U[low, high) out of the global RNG."""
    return low + (high - low) * float(_tg.rand(1).item())


def _randint(low: int, high: int) -> int:
    """One draw from {low, ..., high - 1} out of the global RNG."""
    return int(_tg.randint(low, high, (1,)).item())


def _apply_hw(img: Any, fn: Callable[[np.ndarray], np.ndarray]) -> Any:
    """Run fn on img seen as an (..., H, W) array; return the result as img's type and layout."""
    if isinstance(img, _tg.Tensor):
        source = img.detach().cpu() if hasattr(img, "detach") else img
        out = _tg.from_numpy(np.ascontiguousarray(fn(source.numpy())))
        device = getattr(img, "device", None)
        if device is not None and not str(device).startswith("cpu"):
            out = out.to(device)
        return out
    if not isinstance(img, np.ndarray):
        raise TypeError(f"img should be a NumPy array or a Tensor. Got {type(img)}")
    if img.ndim == 2:  # (H, W)
        return np.ascontiguousarray(fn(img[None])[0])
    if img.ndim == 3:  # (H, W, C) -> (C, H, W) -> back
        return np.ascontiguousarray(fn(img.transpose(2, 0, 1)).transpose(1, 2, 0))
    raise ValueError(f"a NumPy image should be (H, W) or (H, W, C). Got shape {img.shape}")


# --- composition and conversion ----------------------------------------------------------------


class Compose:
    """Apply transforms one after another: img -> t_n(... t_2(t_1(img)))."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class ToTensor:
    """NumPy (H, W) or (H, W, C) -> tensor (C, H, W); uint8 becomes float32 x / 255 in [0, 1].

    Other dtypes keep their values and dtype (torchvision's rule for NumPy input).
    """

    def __call__(self, pic: np.ndarray) -> Any:
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        chw = np.ascontiguousarray(pic.transpose(2, 0, 1))  # (C, H, W)
        if chw.dtype == np.uint8:
            chw = chw.astype(np.float32) / np.float32(255)
        return _tg.from_numpy(chw)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Normalize:
    """out[c] = (x[c] - mean[c]) / std[c] on a float tensor (..., C, H, W)."""

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float,
                 inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace
        self._cache: dict[np.dtype, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, tensor: Any) -> Any:
        if not isinstance(tensor, _tg.Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.dtype.is_floating_point:
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if len(tensor.shape) < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). "
                             f"Got tensor.size() = {tuple(tensor.shape)}.")
        mean, std = self._constants(np.dtype(tensor.dtype.numpy), tensor.dtype)
        on_cpu = str(getattr(tensor, "device", "cpu")).startswith("cpu")
        if tensor.requires_grad or not on_cpu:  # keep autograd / device: tensor ops
            mean_t = _tg.from_numpy(mean).to(tensor.device)
            std_t = _tg.from_numpy(std).to(tensor.device)
            return (tensor - mean_t) / std_t
        array = tensor.numpy()
        if self.inplace:  # writes through to the tensor's memory
            np.subtract(array, mean, out=array)
            np.divide(array, std, out=array)
            return tensor
        out = np.subtract(array, mean)
        np.divide(out, std, out=out)
        return _tg.from_numpy(out)

    def _constants(self, numpy_dtype: np.dtype, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """mean and std as (C or 1, 1, 1) arrays of the tensor's dtype, made once per dtype."""
        cached = self._cache.get(numpy_dtype)
        if cached is None:
            mean = np.asarray(self.mean, dtype=numpy_dtype).reshape(-1, 1, 1)
            std = np.asarray(self.std, dtype=numpy_dtype).reshape(-1, 1, 1)
            if np.any(std == 0):
                raise ValueError(f"std evaluated to zero after conversion to {dtype}, "
                                 "leading to division by zero.")
            cached = self._cache[numpy_dtype] = (mean, std)
        return cached

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Wrap a user function as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


# --- random geometric transforms ---------------------------------------------------------------


class RandomHorizontalFlip:
    """With probability p, mirror left-right: out[..., i, j] = x[..., i, W - 1 - j]."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if _uniform(0.0, 1.0) < self.p:
            return _apply_hw(img, lambda a: a[..., ::-1])
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


def _pad_widths(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, int):
        return padding, padding, padding, padding
    values = [int(v) for v in padding]
    if len(values) == 1:
        return values[0], values[0], values[0], values[0]
    if len(values) == 2:  # (left/right, top/bottom)
        return values[0], values[1], values[0], values[1]
    if len(values) == 4:
        return values[0], values[1], values[2], values[3]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element sequence, got {padding}")


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def _pad(array: np.ndarray, padding: int | Sequence[int], fill: float, mode: str) -> np.ndarray:
    """Pad the last two axes of an (..., H, W) array."""
    left, top, right, bottom = _pad_widths(padding)
    widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(array, widths, mode="constant", constant_values=fill)
    return np.pad(array, widths, mode=_PAD_MODES[mode])  # type: ignore[call-overload]


def _pair(size: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"Please provide only two dimensions (h, w) for {name}, got {size}")


class RandomCrop:
    """Pad (optionally), then cut a (th, tw) window at a random top-left corner (i, j):
    i ~ U{0..H-th}, j ~ U{0..W-tw}; out = x[..., i:i+th, j:j+tw]."""

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: float = 0,
                 padding_mode: str = "constant") -> None:
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"padding_mode should be one of {sorted(_PAD_MODES)}, "
                             f"got {padding_mode!r}")
        if padding is not None:
            _pad_widths(padding)  # validate now, not at the first image
        self.size = _pair(size, "size")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def _crop(self, array: np.ndarray) -> np.ndarray:
        if self.padding is not None:
            array = _pad(array, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        if self.pad_if_needed and array.shape[-1] < tw:  # torchvision pads both sides
            array = _pad(array, [tw - array.shape[-1], 0], self.fill, self.padding_mode)
        if self.pad_if_needed and array.shape[-2] < th:
            array = _pad(array, [0, th - array.shape[-2]], self.fill, self.padding_mode)
        h, w = array.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if (h, w) == (th, tw):
            return array
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return array[..., i : i + th, j : j + tw]

    def __call__(self, img: Any) -> Any:
        return _apply_hw(img, self._crop)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


def _range(value: float | Sequence[float], name: str) -> tuple[float, float]:
    """A number d -> (-d, d); a pair -> itself."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return -float(value), float(value)
    if len(value) != 2:
        raise ValueError(f"If {name} is a sequence, it must be of len 2.")
    return float(value[0]), float(value[1])


def _affine_warp(array: np.ndarray, angle: float, translate: tuple[float, float], scale: float,
                 shear: tuple[float, float], interpolation: InterpolationMode, fill: float,
                 center: Sequence[float] | None, out_hw: tuple[int, int] | None = None,
                 ) -> np.ndarray:
    """Warp an (..., H, W) array: x_out = c + t + A (x_in - c), sampled backwards.

    Coordinates are pixel centres, x right, y down; A = R(angle) Sh(shear) * scale with R a
    counter-clockwise rotation as seen on screen [[cos, sin], [-sin, cos]] and
    Sh = [[1, tan sx], [0, 1]] [[1, 0], [tan sy, 1]]. Each output pixel reads the input at
    c + A^-1 (x_out - c_out - t) (nearest or bilinear); points outside get `fill`.
    """
    h, w = array.shape[-2:]
    out_h, out_w = out_hw if out_hw is not None else (h, w)
    if center is None:
        cx, cy = (w - 1) * 0.5, (h - 1) * 0.5
    else:  # torchvision's (x, y) with the origin at the upper-left corner of the image
        cx, cy = float(center[0]) - 0.5, float(center[1]) - 0.5
    out_cx = cx + (out_w - w) * 0.5
    out_cy = cy + (out_h - h) * 0.5
    a = math.radians(angle)
    rotation = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    shear_x = np.array([[1.0, math.tan(math.radians(shear[0]))], [0.0, 1.0]])
    shear_y = np.array([[1.0, 0.0], [math.tan(math.radians(shear[1])), 1.0]])
    inverse = np.linalg.inv(rotation @ shear_x @ shear_y * scale)
    ys, xs = np.meshgrid(np.arange(out_h, dtype=np.float64),
                         np.arange(out_w, dtype=np.float64), indexing="ij")
    dx = xs - out_cx - translate[0]
    dy = ys - out_cy - translate[1]
    src_x = cx + inverse[0, 0] * dx + inverse[0, 1] * dy  # (out_h, out_w)
    src_y = cy + inverse[1, 0] * dx + inverse[1, 1] * dy
    flat = array.reshape(-1, h, w)
    if interpolation == InterpolationMode.NEAREST:
        xi = np.rint(src_x).astype(np.int64)
        yi = np.rint(src_y).astype(np.int64)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        values = flat[:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        out = np.where(inside, values, np.asarray(fill, dtype=array.dtype))
        return out.reshape(*array.shape[:-2], out_h, out_w).astype(array.dtype)
    # bilinear: blend the four neighbours; a neighbour outside the image counts as `fill`
    x0 = np.floor(src_x).astype(np.int64)
    y0 = np.floor(src_y).astype(np.int64)
    fx = src_x - x0
    fy = src_y - y0
    total = np.zeros((flat.shape[0], out_h, out_w), dtype=np.float64)
    for oy, ox, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yi, xi = y0 + oy, x0 + ox
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        values = flat[:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)].astype(np.float64)
        total += weight * np.where(inside, values, float(fill))
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        total = np.clip(np.rint(total), info.min, info.max)
    return total.reshape(*array.shape[:-2], out_h, out_w).astype(array.dtype)


def _interpolation(mode: InterpolationMode | str) -> InterpolationMode:
    return mode if isinstance(mode, InterpolationMode) else InterpolationMode(mode)


class RandomRotation:
    """Rotate by angle ~ U[degrees] (counter-clockwise for a positive angle) about `center`.

    `expand=True` enlarges the output to hold the whole rotated image.
    """

    def __init__(self, degrees: float | Sequence[float],
                 interpolation: InterpolationMode | str = InterpolationMode.NEAREST,
                 expand: bool = False, center: Sequence[float] | None = None,
                 fill: float = 0) -> None:
        self.degrees = _range(degrees, "degrees")
        self.interpolation = _interpolation(interpolation)
        self.expand = expand
        self.center = center
        self.fill = fill

    def __call__(self, img: Any) -> Any:
        angle = _uniform(*self.degrees)

        def rotate(array: np.ndarray) -> np.ndarray:
            h, w = array.shape[-2:]
            out_hw = None
            if self.expand:  # bounding box of the rotated corners (rounded as torchvision)
                a = math.radians(angle)
                cos, sin = abs(math.cos(a)), abs(math.sin(a))
                out_hw = (math.ceil(h * cos + w * sin - 1e-4),
                          math.ceil(w * cos + h * sin - 1e-4))
            return _affine_warp(array, angle, (0.0, 0.0), 1.0, (0.0, 0.0),
                                self.interpolation, self.fill, self.center, out_hw)

        return _apply_hw(img, rotate)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(degrees={self.degrees})"


class RandomAffine:
    """Random rotation, translation, scale and shear, drawn in torchvision's order:

    angle ~ U[degrees]; (tx, ty) = round(U[-a W, a W]), round(U[-b H, b H]) for translate=(a, b);
    scale ~ U[scale]; shear_x ~ U[shear[0:2]], shear_y ~ U[shear[2:4]] (when given).
    """

    def __init__(self, degrees: float | Sequence[float],
                 translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None,
                 shear: float | Sequence[float] | None = None,
                 interpolation: InterpolationMode | str = InterpolationMode.NEAREST,
                 fill: float = 0, center: Sequence[float] | None = None) -> None:
        self.degrees = _range(degrees, "degrees")
        if translate is not None and (
            len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate)
        ):
            raise ValueError("translate should be a sequence of two values in [0, 1]")
        if scale is not None and (len(scale) != 2 or any(s <= 0 for s in scale)):
            raise ValueError("scale values should be positive")
        self.shear: tuple[float, ...] | None = None
        if shear is not None:
            if isinstance(shear, (int, float)):
                self.shear = _range(shear, "shear")
            elif len(shear) in (2, 4):
                self.shear = tuple(float(s) for s in shear)
            else:
                raise ValueError("shear should be a number or a sequence of 2 or 4 values")
        self.translate = translate
        self.scale = scale
        self.interpolation = _interpolation(interpolation)
        self.fill = fill
        self.center = center

    def get_params(self, height: int, width: int) -> tuple[float, tuple[float, float], float,
                                                           tuple[float, float]]:
        """Draw (angle, (tx, ty), scale, (shear_x, shear_y)) from the global RNG."""
        angle = _uniform(*self.degrees)
        translate = (0.0, 0.0)
        if self.translate is not None:
            max_dx = self.translate[0] * width
            max_dy = self.translate[1] * height
            translate = (float(round(_uniform(-max_dx, max_dx))),
                         float(round(_uniform(-max_dy, max_dy))))
        scale = 1.0 if self.scale is None else _uniform(self.scale[0], self.scale[1])
        shear = (0.0, 0.0)
        if self.shear is not None:
            shear_x = _uniform(self.shear[0], self.shear[1])
            shear_y = _uniform(self.shear[2], self.shear[3]) if len(self.shear) == 4 else 0.0
            shear = (shear_x, shear_y)
        return angle, translate, scale, shear

    def __call__(self, img: Any) -> Any:
        def warp(array: np.ndarray) -> np.ndarray:
            angle, translate, scale, shear = self.get_params(*array.shape[-2:])
            return _affine_warp(array, angle, translate, scale, shear, self.interpolation,
                                self.fill, self.center)

        return _apply_hw(img, warp)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear})")
