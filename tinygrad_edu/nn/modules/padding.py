"""Padding layers: each F.pad with a fixed padding and mode.

    ZeroPad2d, ConstantPad1d/2d   fill with a value (negative padding crops)
    ReflectionPad1d/2d            mirror at the edge (the edge itself not repeated)
    ReplicationPad1d/2d           repeat the edge

An int padding pads every side by it; a tuple is (left, right) for 1d and (left, right,
top, bottom) for 2d, as F.pad reads it (last dim first).
"""

from collections.abc import Sequence
from typing import Any

from tinygrad_edu.nn.functional import pad
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.tensor import Tensor


def _sides(padding: Any, count: int) -> tuple:
    """PyTorch's _ntuple: an iterable as a tuple, a number repeated count times."""
    return tuple(padding) if isinstance(padding, Sequence) else (padding,) * count


class _PadNd(Module):
    mode = "constant"
    sides = 2

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _sides(padding, self.sides)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with `value`: (left, right)."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with `value`: (left, right, top, bottom)."""

    sides = 4


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: (left, right, top, bottom)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirror the last dim at its ends: [a b c] padded (2, 1) is [c b a b c b]."""

    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Mirror the last two dims at their ends."""

    sides = 4


class ReplicationPad1d(_PadNd):
    """Repeat the edge of the last dim: [a b c] padded (2, 1) is [a a a b c c]."""

    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Repeat the edges of the last two dims."""

    sides = 4
