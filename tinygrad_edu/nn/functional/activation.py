"""Activation functions, each composed from primitives (autograd derives the gradients).

Every branchy formula is written so that neither branch overflows: `where` sends a zero
gradient to the branch it did not pick, but 0 * inf is still nan, so e.g. ELU takes
exp(min(x, 0)) rather than exp(x).
"""

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_edu import autograd, creation, dtypes
from tinygrad_edu import composite as C
from tinygrad_edu import functions as F
from tinygrad_edu.movement import _to_device
from tinygrad_edu.tensor import Tensor


def _inplace(input: Tensor, compute: Any, inplace: bool, name: str | None = None,
             inplace_name: str | None = None) -> Tensor:
    """compute(input), or written back into input's memory when inplace=True; its node is
    labelled with PyTorch's name (`name`, or `inplace_name` where in-place has its own)."""
    if not inplace:
        result = compute(input)
        return result if name is None else autograd.named(result, name)
    result = compute(input._inplace_input())
    if name is not None:
        autograd.named(result, inplace_name or name)
    return input._assign(result)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)"""
    return _inplace(input, F.Relu.apply, inplace)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)"""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val); the gradient is 1 strictly inside, 0 at and beyond the
    bounds (PyTorch's choice at the kinks)"""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")

    def compute(x: Tensor) -> Tensor:
        if not x.dtype.is_floating_point:  # integer bounds keep an integer tensor's dtype
            low, high = C.scalar_tensor(int(min_val), x.dtype, x), C.scalar_tensor(
                int(max_val), x.dtype, x)
            return C.where(x <= min_val, low, C.where(x >= max_val, high, x))
        return C.where(x <= min_val, min_val, C.where(x >= max_val, max_val, x))

    return _inplace(input, compute, inplace, "HardtanhBackward0")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x"""
    return _inplace(input, lambda x: C.where(x > 0, x, C.mul(x, negative_slope)), inplace,
                    "LeakyReluBackward0", "LeakyReluBackward1")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)"""
    def compute(x: Tensor) -> Tensor:
        negative = C.mul(C.sub(F.Exp.apply(C.clamp(x, max=0.0)), 1.0), alpha)
        return C.where(x > 0, x, negative)
    return _inplace(input, compute, inplace, "EluBackward0", "EluBackward1")


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return _inplace(input, lambda x: C.mul(elu(x, SELU_ALPHA), SELU_SCALE), inplace,
                    "EluBackward0", "EluBackward1")  # PyTorch: selu is an elu node


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)"""
    return _inplace(input, lambda x: C.mul(x, F.Sigmoid.apply(x)), inplace, "SiluBackward0")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))"""
    return _inplace(input, lambda x: C.mul(x, F.Tanh.apply(softplus(x))), inplace,
                    "MishBackward0")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))"""
    return F.Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    return F.Tanh.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.

    Computed as (max(beta x, 0) + log1p(exp(-|beta x|))) / beta, which never overflows.
    `maximum` splits the gradient at the tie x = 0, giving the true slope 1/2 there (relu
    and abs would both give 0 at their kinks).
    """
    scaled = C.mul(input, beta) if beta != 1 else input
    smooth = C.add(C.maximum(scaled, 0.0),
                   F.Log1p.apply(F.Exp.apply(C.neg(F.Abs.apply(scaled)))))
    if beta != 1:
        smooth = C.div(smooth, beta)
    return autograd.named(C.where(scaled > threshold, input, smooth), "SoftplusBackward0")


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|"""
    return autograd.named(C.neg(softplus(C.neg(input))), "LogSigmoidBackward0")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF.

    'none': x * 0.5 * (1 + erf(x / sqrt 2)), on the Erf primitive;
    'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    if approximate == "tanh":
        inner = C.mul(C.add(input, C.mul(C.mul(C.mul(input, input), input), 0.044715)),
                      math.sqrt(2.0 / math.pi))
        return autograd.named(C.mul(C.mul(input, 0.5), C.add(F.Tanh.apply(inner), 1.0)),
                              "GeluBackward0")
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got "
                           f"{approximate}")
    cdf = C.add(C.mul(F.Erf.apply(C.mul(input, 1.0 / math.sqrt(2.0))), 0.5), 0.5)  # Phi(x)
    return autograd.named(C.mul(input, cdf), "GeluBackward0")


def _softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's implicit dim (deprecated): 0 for 0-, 1- and 3-d input, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along dim (a fused, stable primitive)"""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return C.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """x_i - log(sum_j exp(x_j)) along dim (a fused, stable primitive)"""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return C.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x)"""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    if dtype is not None:
        input = input.to(dtypes.to_dtype(dtype))
    return C.softmax(C.neg(input), dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, weight one slope (1 element) or one per channel (dim 1)"""
    if weight.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    if weight.numel() != 1 and input.ndim >= 2:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    elif weight.ndim == 1 and input.ndim == 0:
        weight = weight.reshape(())
    return autograd.named(C.where(input > 0, input, C.mul(weight, input)),
                          "PreluKernelBackward0")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 up to -3, 1 from 3, x / 6 + 1/2 between (gradient 0 at +-3).

    The slope is the exact 1/6; PyTorch's backward multiplies by 1/6 rounded to float32, so
    float64 gradients differ from its by 3e-8 relative (float32 ones agree).
    """
    return _inplace(input, lambda x: C.where(x <= -3.0, 0.0, C.where(
        x >= 3.0, 1.0, C.add(C.div(x, 6.0), 0.5))), inplace, "HardsigmoidBackward0")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6: 0 up to -3, x from 3, x (x + 3) / 6 between (so the gradient is
    0 at -3 and 1 at 3, as PyTorch's)"""
    return _inplace(input, lambda x: C.where(x <= -3.0, 0.0, C.where(
        x >= 3.0, x, C.div(C.mul(x, C.add(x, 3.0)), 6.0))), inplace, "HardswishBackward0")


# ---------------------------------------------------------------------------- more activations


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a * sigmoid(b), with a, b the two halves of input along dim."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = dim + input.ndim if dim < 0 else dim
    if input.shape[axis] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size "
                           f"{input.shape[axis]}")
    first, second = input.chunk(2, axis)
    return autograd.named(C.mul(first, F.Sigmoid.apply(second)), "GluBackward0")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)): an ELU whose slope at 0 is 1 for
    every alpha (PyTorch computes it as elu with input scale 1 / alpha, as here)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")

    def compute(x: Tensor) -> Tensor:
        scaled = C.mul(C.clamp(x, max=0.0), 1.0 / alpha)  # exp of x <= 0 only: no overflow
        return C.where(x > 0, x, C.mul(C.sub(F.Exp.apply(scaled), 1.0), alpha))

    return _inplace(input, compute, inplace, "CeluBackward0", "CeluBackward1")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)"""
    return C.div(input, C.add(F.Abs.apply(input), 1.0))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)"""
    return C.sub(input, F.Tanh.apply(input))


def _threshold(input: Tensor, threshold: float, value: float,
               inplace: bool = False) -> Tensor:
    """x where x > threshold, else value (gradient 0 there). Named _threshold, as in
    PyTorch, because its argument `threshold` hides the function's own name."""
    def compute(x: Tensor) -> Tensor:
        fill = value if x.dtype.is_floating_point else C.scalar_tensor(int(value), x.dtype, x)
        return C.where(x > threshold, x, fill)

    return _inplace(input, compute, inplace, "ThresholdBackward0", "ThresholdBackward1")


threshold = _threshold


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (also at |x| = lambd, with gradient 0 there)."""
    inside = C.logical_and(input >= -lambd, input <= lambd)
    return autograd.named(C.where(inside, 0.0, input), "HardshrinkBackward0")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (gradient 0 at +-lambd)."""
    if lambd < 0:
        largest = np.finfo(input.dtype.numpy).max if input.dtype.is_floating_point else 0
        raise RuntimeError(f"lambda must be in range [0, {largest:g}] for input dtype "
                           f"{dtypes.scalar_type_name(input.dtype)}, but found {lambd:g}")
    shrunk = C.where(input > lambd, C.sub(input, lambd),
                     C.where(input < -lambd, C.add(input, lambd), 0.0))
    return autograd.named(shrunk, "SoftshrinkBackward0")


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: x if x > 0 else a * x.

    Evaluation: a = (lower + upper) / 2 for every element (a leaky_relu).
    Training: a ~ Uniform(lower, upper), drawn afresh for every element and call.
    PyTorch draws the slopes from its own generator; we draw them, one per element (positive
    ones too, unused), from NumPy's generator behind tinygrad_edu.manual_seed: the same
    distribution, not the same numbers as PyTorch's for one seed.
    """
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")

    def compute(x: Tensor) -> Tensor:
        if not training:
            return C.where(x > 0, x, C.mul(x, (lower + upper) / 2))
        draws = creation._rng(None).uniform(lower, upper, tuple(x.shape))
        slopes = _to_device(draws.astype(x.dtype.numpy), x)
        return C.where(x > 0, x, C.mul(x, slopes))

    return _inplace(input, compute, inplace, "RreluWithNoiseBackward0",
                    "RreluWithNoiseBackward1")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)
