"""More layers with PyTorch's names, each a thin Module over a function.

    LPPool1d/2d               power-average pooling (F.lp_pool1d/2d)
    MaxUnpool1d/2d            undo max pooling, given its indices (F.max_unpool1d/2d)
    CircularPad1d/2d, ConstantPad3d, ZeroPad1d/3d   more F.pad modes and ranks
    AlphaDropout, FeatureAlphaDropout, Dropout3d    dropout for SELU nets; per 3-d map
    LazyConv1d/2d             a conv that reads in_channels from its first input
    TripletMarginWithDistanceLoss   the triplet loss with any distance function
    UpsamplingNearest2d, UpsamplingBilinear2d   Upsample with a fixed mode (deprecated)
"""

from collections.abc import Callable
from typing import Any

from tinygrad_edu.nn.functional.conv import _ntuple
from tinygrad_edu.nn.functional.more_names import (
    alpha_dropout,
    dropout3d,
    feature_alpha_dropout,
    lp_pool1d,
    lp_pool2d,
    max_unpool1d,
    max_unpool2d,
    triplet_margin_with_distance_loss,
)
from tinygrad_edu.nn.modules.conv import Conv1d, Conv2d
from tinygrad_edu.nn.modules.distance import PairwiseDistance
from tinygrad_edu.nn.modules.dropout import _DropoutNd
from tinygrad_edu.nn.modules.lazy import UninitializedParameter, is_lazy
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.modules.padding import ConstantPad1d, _ConstantPadNd, _PadNd
from tinygrad_edu.nn.modules.upsampling import Upsample
from tinygrad_edu.tensor import Tensor

# ---------------------------------------------------------------------------- pooling

class _LPPoolNd(Module):
    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """(sum over each window of x^p)^(1/p) along the last dim."""

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """(sum over each kh x kw window of x^p)^(1/p) over the last two dims."""

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)


class _MaxUnpoolNd(Module):
    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, self.dims)
        self.stride = _ntuple(stride if stride is not None else kernel_size, self.dims)
        self.padding = _ntuple(padding, self.dims)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d(return_indices=True): forward(input, indices)."""

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d(return_indices=True): forward(input, indices)."""

    dims = 2

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


# ---------------------------------------------------------------------------- padding

class CircularPad1d(_PadNd):
    """Wrap the last dim around: [a b c] padded (1, 2) is [c a b c a b]."""

    mode = "circular"


class CircularPad2d(CircularPad1d):
    """Wrap the last two dims around: (left, right, top, bottom)."""

    sides = 4


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with `value`: (left, right, top, bottom, front, back)."""

    sides = 6


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros: (left, right)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


# ---------------------------------------------------------------------------- dropout

class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: keeps zero mean and unit variance (F.alpha_dropout)."""

    def forward(self, input: Tensor) -> Tensor:
        return alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (F.feature_alpha_dropout)."""

    def forward(self, input: Tensor) -> Tensor:
        return feature_alpha_dropout(input, self.p, self.training)


class Dropout3d(_DropoutNd):
    """Training: zero whole 3-d feature maps of (N, C, D, H, W) input with probability p."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout3d(input, self.p, self.training, self.inplace)


# ---------------------------------------------------------------------------- lazy convs

class _LazyConvMixin:
    """in_channels from the first input (dim 1 if batched, dim 0 if not), as LazyLinear
    reads in_features; then the parameters get their shapes, are initialised as the conv
    does, and the module becomes a plain Conv (cls_to_become)."""

    cls_to_become: type
    dims: int

    def _lazy_init(self, out_channels: int, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, groups: int, bias: bool, padding_mode: str, device: Any,
                   dtype: Any) -> None:
        # a valid in_channels for the base constructor, replaced by placeholders below
        self.cls_to_become.__init__(self, groups, out_channels, kernel_size, stride, padding,
                                    dilation, groups, bias, padding_mode, device, dtype)
        self.in_channels = 0
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(p) for p in self._parameters.values())

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            self.cls_to_become.reset_parameters(self)

    def initialize_parameters(self, input: Tensor) -> None:
        if not self.has_uninitialized_params():
            return
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise RuntimeError(f"Expected {self.dims + 1}D (unbatched) or {self.dims + 2}D "
                               f"(batched) input to {type(self).__name__}, but got input of "
                               f"size: {list(input.shape)}")
        self.in_channels = input.shape[1] if input.ndim == self.dims + 2 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        self.weight.materialize(self._weight_shape(self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:
        self.initialize_parameters(input)
        self.__class__ = self.cls_to_become
        return self.forward(input)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        """Loading before the first call gives the placeholders the checkpoint's shapes."""
        for name, param in self._parameters.items():
            value = state_dict.get(prefix + name)
            if is_lazy(param) and isinstance(value, Tensor) and not is_lazy(value):
                param.materialize(tuple(value.shape))
                if name == "weight":
                    self.in_channels = value.shape[1] * self.groups
        super()._load_from_state_dict(state_dict, prefix, *args)  # type: ignore[misc]


class LazyConv1d(_LazyConvMixin, Conv1d):
    """Conv1d whose in_channels is read from the first input."""

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """Conv2d whose in_channels is read from the first input."""

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype)


# ---------------------------------------------------------------------------- loss, upsample

class TripletMarginWithDistanceLoss(Module):
    """max(d(a, p) - d(a, n) + margin, 0) with d = distance_function (default: the
    pairwise L2 distance); swap uses min(d(a, n), d(p, n))."""

    def __init__(self, *, distance_function: Callable | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None:
        super().__init__()
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin, self.swap, self.reduction = margin, swap, reduction

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class UpsamplingNearest2d(Upsample):
    """Upsample(mode='nearest') for (N, C, H, W) input."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(mode='bilinear', align_corners=True) for (N, C, H, W) input."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
