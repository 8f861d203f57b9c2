"""Upsample: F.interpolate as a layer (size or scale_factor, mode, align_corners)."""

from typing import Any

from tinygrad_edu.nn.functional import interpolate
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.tensor import Tensor


class Upsample(Module):
    """Resize the spatial dims of (N, C, *spatial) input to `size`, or by `scale_factor`,
    with mode 'nearest' (default), 'linear', 'bilinear', 'trilinear', ... (F.interpolate)."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None \
            else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"
