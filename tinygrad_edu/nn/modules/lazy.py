"""Bilinear, LazyLinear (with UninitializedParameter) and ChannelShuffle.

A lazy layer does not know its input size when it is built: `LazyLinear(out_features)`
holds UninitializedParameter placeholders until the first forward call, which reads
in_features from the input, gives the parameters their shapes, initialises them as Linear
does, and turns the module into a plain Linear (PyTorch's `cls_to_become`). Build the
optimizer after that first call (a dry run), as PyTorch advises: before it, parameters()
yields the placeholders.
"""

import math
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.nn import init
from tinygrad_edu.nn.functional.layers_more import bilinear, channel_shuffle
from tinygrad_edu.nn.modules.linear import Linear
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import Tensor

UNINITIALIZED = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                 "usually happens in `load_state_dict` when trying to load an uninitialized "
                 "parameter into an initialized one. Call `forward` to initialize the "
                 "parameters before accessing their attributes.")


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet: an empty placeholder until materialize().

    Asking for its shape raises PyTorch's error; `materialize(shape)` gives it memory of that
    shape (uninitialised values) and makes it an ordinary Parameter (the same object, so an
    optimizer or a dict that holds it keeps working).
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,
                dtype: Any = None) -> "UninitializedParameter":
        parameter = super().__new__(cls, creation.empty(0, device=device, dtype=dtype),
                                    requires_grad)
        return parameter

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        pass

    def materialize(self, shape: tuple, device: Any = None, dtype: Any = None) -> None:
        """Take memory of `shape` (on this placeholder's device and dtype unless given)."""
        data = creation.empty(*shape, device=device or self.device, dtype=dtype or self.dtype)
        requires_grad = self.requires_grad
        self._set_from(data)
        self.__class__ = self.cls_to_become
        self.requires_grad_(requires_grad)

    @property
    def shape(self) -> Any:
        raise RuntimeError(UNINITIALIZED)

    def size(self, dim: int | None = None) -> Any:
        raise RuntimeError(UNINITIALIZED)

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    def detach(self) -> "UninitializedParameter":
        return self  # state_dict() lists the placeholder itself, as PyTorch's does

    def __deepcopy__(self, memo: dict) -> "UninitializedParameter":
        result = UninitializedParameter(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


def is_lazy(value: Any) -> bool:
    """True for a parameter that has not been materialised yet."""
    return isinstance(value, UninitializedParameter)


class LazyLinear(Linear):
    """Linear whose in_features is read from the first input: y = x @ weight^T + bias.

    Before the first call: in_features == 0, weight and bias are UninitializedParameter.
    The first forward materialises weight (out_features, x.shape[-1]) and bias
    (out_features,), initialises them as Linear.reset_parameters does, and the module
    becomes a Linear. load_state_dict before the first call also materialises them (to the
    checkpoint's shapes). PyTorch: that also sets in_features here; PyTorch leaves it 0
    until the first call.
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(p) for p in self._parameters.values())

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Give weight and bias their shapes from input's last dim, then initialise them."""
        if not self.has_uninitialized_params():
            return
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:
        self.initialize_parameters(input)
        self.__class__ = self.cls_to_become  # from now on an ordinary Linear
        return Linear.forward(self, input)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        for name, param in self._parameters.items():
            value = state_dict.get(prefix + name)
            if is_lazy(param) and isinstance(value, Tensor) and not is_lazy(value):
                param.materialize(tuple(value.shape))
                if name == "weight":
                    self.in_features = value.shape[-1]
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)


class Bilinear(Module):
    """y = x1^T A x2 + b: y[o] = sum_ij x1[i] weight[o, i, j] x2[j] + bias[o].

    weight (out_features, in1_features, in2_features), bias (out_features,), both
    ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features)) (PyTorch's initialisation).
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in1_features, in2_features,
                                               device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class ChannelShuffle(Module):
    """Interleave the channels of `groups` groups (ShuffleNet); see F.channel_shuffle."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
