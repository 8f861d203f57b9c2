"""Unfold and Fold: sliding blocks to columns (im2col) and back (col2im); see F.unfold and
F.fold. Unfold followed by a matrix product is a convolution."""

from typing import Any

from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.tensor import Tensor


class Unfold(Module):
    """(N, C, H, W) -> (N, C * prod(kernel_size), L): every kernel-sized block of the
    (zero-padded) input, one block per column, L blocks in row-major order."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """(N, C * prod(kernel_size), L) -> (N, C, *output_size): adds every column back into
    its block (the adjoint of Unfold; overlapping blocks add up)."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
