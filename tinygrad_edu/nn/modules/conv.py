"""Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d layers (the computation is F.conv1d,
F.conv2d, F.conv_transpose1d and F.conv_transpose2d)."""

import math
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.nn import init
from tinygrad_edu.nn.functional import conv1d, conv2d, conv_transpose1d, conv_transpose2d, pad
from tinygrad_edu.nn.functional.conv import _ntuple
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import Tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared set-up: weight (out_channels, in_channels / groups, *kernel_size) and bias
    (out_channels,), both ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = in_channels / groups * prod(kernel_size) (kaiming_uniform_(a=sqrt(5))).
    The transposed layers (_ConvTransposeNd) only change the weight's shape."""

    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        n = self.dims
        kernel_size, stride, dilation = (_ntuple(kernel_size, n), _ntuple(stride, n),
                                         _ntuple(dilation, n))
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0,) * n
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-zero padding modes: last dim first, (before, after)
        self._reversed_padding_repeated_twice = self._pad_amounts()
        self.weight = Parameter(creation.empty(*self._weight_shape(kernel_size), device=device,
                                               dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _weight_shape(self, kernel_size: tuple) -> tuple:
        return (self.out_channels, self.in_channels // self.groups) + kernel_size

    def _pad_amounts(self) -> list:
        amounts: list = []
        for axis in reversed(range(self.dims)):
            if self.padding == "valid":
                before = after = 0
            elif self.padding == "same":
                total = self.dilation[axis] * (self.kernel_size[axis] - 1)
                before, after = total // 2, total - total // 2
            else:
                before = after = self.padding[axis]
            amounts += [before, after]
        return amounts

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _conv_forward(self, input: Tensor, function: Any) -> Tensor:
        if self.padding_mode != "zeros":
            padded = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return function(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return function(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """(N, C_in, L) -> (N, C_out, L_out): out[n, o] = bias[o] + sum_c weight[o, c] * x[n, c]
    (cross-correlation along L)."""

    dims = 1

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, conv1d)


class Conv2d(_ConvNd):
    """(N, C_in, H, W) -> (N, C_out, H_out, W_out), a 2-d cross-correlation per channel pair
    summed over input channels, plus bias; see F.conv2d."""

    dims = 2

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, conv2d)


class _ConvTransposeNd(_ConvNd):
    """Shared set-up of the transposed layers: weight (in_channels, out_channels / groups,
    *kernel_size), so fan_in = out_channels / groups * prod(kernel_size), and bias
    (out_channels,), both initialised as _ConvNd does (as PyTorch's, with transposed=True).
    Only padding_mode='zeros' exists for them (as in PyTorch)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                 bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        if isinstance(padding, str):  # PyTorch: accepted here, a TypeError in forward
            raise TypeError(f"{type(self).__name__}: padding must be an int or a tuple of "
                            f"ints, not {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)
        self.transposed = True
        self.output_padding = _ntuple(output_padding, self.dims, "output_padding")

    def _weight_shape(self, kernel_size: tuple) -> tuple:
        return (self.in_channels, self.out_channels // self.groups) + kernel_size

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """output_padding, or, given output_size ((H, W), or with the leading (N, C) too),
        the output_padding that reaches it: output_size - the smallest output size, which
        must lie in [smallest, smallest + stride - 1] (PyTorch's ValueError otherwise)."""
        if output_size is None:
            return self.output_padding
        n = self.dims
        lead = 2 if input.ndim == n + 2 else 1
        sizes = [int(s) for s in output_size]
        if len(sizes) == lead + n:
            sizes = sizes[lead:]
        if len(sizes) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.ndim}D input, output_size must "
                             f"have {n} or {lead + n} elements (got {len(sizes)})")
        smallest = [(input.shape[lead + d] - 1) * self.stride[d] - 2 * self.padding[d] +
                    self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= size <= high for size, low, high in zip(sizes, smallest, largest)):
            raise ValueError(f"requested an output size of {sizes}, but valid sizes range "
                             f"from {smallest} to {largest} (for an input of "
                             f"{list(input.shape[lead:])})")
        return tuple(size - low for size, low in zip(sizes, smallest))

    def _transposed_forward(self, input: Tensor, output_size: Any, function: Any) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return function(input, self.weight, self.bias, self.stride, self.padding,
                        output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """(N, C_in, L) -> (N, C_out, L_out), the transpose of Conv1d (its input gradient):
    L_out = (L - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1;
    forward(input, output_size) picks output_padding to reach output_size."""

    dims = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return self._transposed_forward(input, output_size, conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """(N, C_in, H, W) -> (N, C_out, H_out, W_out), the transpose of Conv2d with the same
    arguments (it maps Conv2d's output shape back to its input shape; output_padding, or
    forward's output_size, settles which when stride > 1 allows several); see
    F.conv_transpose2d."""

    dims = 2

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return self._transposed_forward(input, output_size, conv_transpose2d)
