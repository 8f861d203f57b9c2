"""Activation functions, each composed from primitives (autograd derives the gradients).

Every branchy formula is written so that neither branch overflows: `where` sends a zero
gradient to the branch it did not pick, but 0 * inf is still nan, so e.g. ELU takes
exp(min(x, 0)) rather than exp(x).
"""

import math
import warnings
from typing import Any

from tinygrad_edu import composite as C
from tinygrad_edu import dtypes
from tinygrad_edu import functions as F
from tinygrad_edu.tensor import Tensor


def _inplace(input: Tensor, compute: Any, inplace: bool) -> Tensor:
    """compute(input), or written back into input's memory when inplace=True."""
    if not inplace:
        return compute(input)
    return input._assign(compute(input._inplace_input()))


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
        return C.where(x <= min_val, min_val, C.where(x >= max_val, max_val, x))

    return _inplace(input, compute, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x"""
    return _inplace(input, lambda x: C.where(x > 0, x, C.mul(x, negative_slope)), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)"""
    def compute(x: Tensor) -> Tensor:
        negative = C.mul(C.sub(F.Exp.apply(C.clamp(x, max=0.0)), 1.0), alpha)
        return C.where(x > 0, x, negative)
    return _inplace(input, compute, inplace)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return _inplace(input, lambda x: C.mul(elu(x, SELU_ALPHA), SELU_SCALE), inplace)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)"""
    return _inplace(input, lambda x: C.mul(x, F.Sigmoid.apply(x)), inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))"""
    return _inplace(input, lambda x: C.mul(x, F.Tanh.apply(softplus(x))), inplace)


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
    return C.where(scaled > threshold, input, smooth)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|"""
    return C.neg(softplus(C.neg(input)))


# erfc by W. J. Cody's rational Chebyshev fits ("Rational Chebyshev approximations for the
# error function", Math. Comp. 23, 1969; netlib specfun CALERF), relative error ~1e-16.
# Coefficients run from the highest power down; each denominator is monic.
ERF_NEAR_0 = ((1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
               3.77485237685302021e02, 3.20937758913846947e03),
              (1.0, 2.36012909523441209e01, 2.44024637934444173e02,
               1.28261652607737228e03, 2.84423683343917062e03))
ERFC_MIDDLE = ((2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
                6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
                1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03),
               (1.0, 1.57449261107098347e01, 1.17693950891312499e02,
                5.37181101862009858e02, 1.62138957456669019e03, 3.29079923573345963e03,
                4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03))
ERFC_TAIL = ((1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
              1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4),
             (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
              6.05183413124413191e-2, 2.33520497626869185e-3))


def _polynomial(t: Tensor, coefficients: tuple) -> Tensor:
    """c0 t^k + c1 t^(k-1) + ... + ck by Horner's rule: ((c0 t + c1) t + c2) t + ..."""
    result = C.add(C.mul(t, coefficients[0]), coefficients[1])
    for coefficient in coefficients[2:]:
        result = C.add(C.mul(result, t), coefficient)
    return result


def _rational(t: Tensor, fit: tuple) -> Tensor:
    """p(t) / q(t) for fit = (p's coefficients, q's coefficients)"""
    return C.div(_polynomial(t, fit[0]), _polynomial(t, fit[1]))


def _erfc(y: Tensor) -> Tensor:
    """erfc(y) = 1 - erf(y) for y >= 0, in three ranges (Cody's CALERF):

        y <= 0.46875:   1 - y R1(y^2)
        y <= 4:         exp(-y^2) R2(y)
        y > 4:          exp(-y^2) (1/sqrt(pi) - R3(1/y^2) / y^2) / y

    All three are computed everywhere and `where` picks one; each on y clamped to its range,
    so that none overflows (1/y at y = 0, y^8 in float32). Cody also splits y^2 to get
    exp(-y^2) to full precision; without that the relative error grows to about y^2 * 1e-16
    in the far tail. Nothing differentiates through this: gelu passes a detached y.
    """
    near, middle, far = C.minimum(y, 0.46875), C.clamp(y, 0.46875, 4.0), C.maximum(y, 4.0)
    near_0 = C.sub(1.0, C.mul(near, _rational(C.mul(near, near), ERF_NEAR_0)))
    in_middle = C.mul(F.Exp.apply(C.neg(C.mul(middle, middle))),
                      _rational(middle, ERFC_MIDDLE))
    inverse_square = C.div(1.0, C.mul(far, far))
    asymptotic = C.sub(1.0 / math.sqrt(math.pi),
                       C.mul(inverse_square, _rational(inverse_square, ERFC_TAIL)))
    tail = C.div(C.mul(F.Exp.apply(C.neg(C.mul(far, far))), asymptotic), far)
    return C.where(y <= 0.46875, near_0, C.where(y <= 4.0, in_middle, tail))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2.

    'none': Phi from Cody's erfc (see _erfc; float64 is within ~1e-15 of PyTorch's erf);
    'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    The exact GELU has no erf primitive beneath it, so its gradient is added by hand:
    Phi is computed on a detached x, and d/dx gelu = Phi(x) + x phi(x) (phi the normal
    density) comes from x * Phi plus the term phi.detach() - phi, which is exactly 0 and
    has d/dx = x phi(x). PyTorch: its GELU also has a second derivative; this one does not.
    """
    if approximate == "tanh":
        inner = C.mul(C.add(input, C.mul(C.mul(C.mul(input, input), input), 0.044715)),
                      math.sqrt(2.0 / math.pi))
        return C.mul(C.mul(input, 0.5), C.add(F.Tanh.apply(inner), 1.0))
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got "
                           f"{approximate}")
    detached = input.detach()
    tail = _erfc(C.mul(F.Abs.apply(detached), 1.0 / math.sqrt(2.0)))  # = 2 Phi(-|x|)
    cdf = C.mul(C.where(detached >= 0, C.sub(2.0, tail), tail), 0.5)  # Phi(x)
    density = C.mul(F.Exp.apply(C.mul(C.mul(input, input), -0.5)),
                    1.0 / math.sqrt(2.0 * math.pi))  # phi(x), differentiable
    return C.add(C.mul(input, cdf), C.sub(density.detach(), density))


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
