"""The 3-d layers, (N, C, D, H, W): Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d,
BatchNorm3d and InstanceNorm3d. The computation is composed from the 2-d kernels
(nn/functional/conv3d.py explains how); the norms are the N-d batch and instance norms."""

from typing import Any

from tinygrad_edu.nn.functional.conv3d import (
    adaptive_avg_pool3d,
    avg_pool3d,
    conv3d,
    max_pool3d,
)
from tinygrad_edu.nn.modules.conv import _ConvNd
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.modules.normalization import _BatchNorm, _InstanceNorm
from tinygrad_edu.nn.modules.pooling import AdaptiveAvgPool1d, _MaxPoolNd
from tinygrad_edu.tensor import Tensor


class Conv3d(_ConvNd):
    """(N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out): a 3-d cross-correlation per
    channel pair, summed over input channels, plus bias; see F.conv3d.
    weight (out_channels, in_channels / groups, KD, KH, KW), initialised as Conv2d's."""

    dims = 3

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, conv3d)


class MaxPool3d(_MaxPoolNd):
    """out[n, c, z, i, j] = max of x[n, c] over the kernel_size window at (z, i, j) * stride.

    PyTorch: return_indices=True also returns the argmax positions; not offered here (the
    pooling is two separable 2-d max pools, whose indices are not the 3-d ones).
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        if return_indices:
            raise ValueError("MaxPool3d(return_indices=True) is not supported by tinygrad_edu")
        super().__init__(kernel_size, stride, padding, dilation, return_indices, ceil_mode)

    def forward(self, input: Tensor) -> Tensor:
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode)


class AvgPool3d(Module):
    """out[n, c, z, i, j] = mean of x[n, c] over the kernel_size window at (z, i, j) * stride
    (see F.avg_pool3d for count_include_pad and divisor_override)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(AdaptiveAvgPool1d):
    """(N, C, D, H, W) -> (N, C, *output_size) (None keeps that size), windows chosen to
    cover each axis evenly; (1, 1, 1) is global average pooling."""

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool3d(input, self.output_size)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input, statistics per channel C over N, D, H, W."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) input, or an unbatched (C, D, H, W)."""

    no_batch_dim = 4
