"""PixelShuffle and PixelUnshuffle: channels to space and back (F.pixel_shuffle and
F.pixel_unshuffle, a reshape and a permute each)."""

from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.tensor import Tensor


class PixelShuffle(Module):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r), r = upscale_factor: each group of r*r channels
    becomes an r x r block of pixels (the sub-pixel convolution's last step)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), r = downscale_factor: the inverse of
    PixelShuffle (each r x r block of pixels becomes r*r channels)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
