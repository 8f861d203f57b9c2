"""Dropout layers: active in training mode only (model.eval() turns them off)."""

from tinygrad_edu.nn.functional import dropout, dropout1d, dropout2d
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.tensor import Tensor


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Training: zero each element with probability p, scale the others by 1/(1 - p)."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Training: zero whole channels of (N, C, L) input with probability p."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Training: zero whole feature maps of (N, C, H, W) input with probability p."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training, self.inplace)
