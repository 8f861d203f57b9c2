"""lgamma and digamma, composed: log|Gamma(x)| and its derivative psi(x) = Gamma'(x) / Gamma(x).

Three classical steps, each a handful of primitives:

1. Shift up. Gamma(x + 1) = x Gamma(x), so for y = x + 10
       lgamma(x) = lgamma(y) - sum_{k<10} log(x + k),   psi(x) = psi(y) - sum_{k<10} 1 / (x + k)
2. Stirling's series at y >= 10, where its terms shrink fast (B_2k the Bernoulli numbers):
       lgamma(y) = (y - 1/2) log y - y + log(2 pi) / 2 + sum_k B_2k / (2k (2k - 1) y^(2k-1))
       psi(y)    = log y - 1 / (2y) - sum_k B_2k / (2k y^(2k))
   Six terms leave an error below 1e-16 at y = 10.
3. Reflect negative x: Gamma(x) Gamma(1 - x) = pi / sin(pi x), so
       lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x),   psi(x) = psi(1 - x) - pi cot(pi x)
   with pi x reduced first (x - round(x): exact), so a large negative x keeps its fraction.

float32 and float16 inputs are computed in float64 and the result cast back. The gradient
is autograd's: lgamma's is the derivative of the series above, which is digamma's series.
Accuracy: about 1e-15 absolute (float64) near lgamma's zeros at 1 and 2, where the shift
subtracts two numbers near 15; elsewhere a few ulps relative. digamma's gradient agrees
with SciPy's polygamma(1, x) to ~1e-15; PyTorch's (a shorter series) only to ~1e-9.
"""

import math
from typing import Any

from tinygrad_edu import autograd, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu.composite.arithmetic import add, div, mul, sub
from tinygrad_edu.composite.logic import eq, isinf, logical_and, lt, where
from tinygrad_edu.composite.special import _float

_SHIFT = 10
# B_2k / (2k (2k - 1)) for lgamma's series and B_2k / 2k for digamma's, k = 1..6
_LGAMMA_TERMS = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)
_DIGAMMA_TERMS = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760)


def _in_float64(x: Any) -> tuple:
    """(x as float64, its float dtype to cast the result back to)."""
    x = _float(x)
    return (x if x.dtype is dtypes.float64 else x.to(dtypes.float64)), x.dtype


def _series(inverse: Any, square: Any, terms: tuple) -> Any:
    """sum_k terms[k] * inverse * square^k by Horner's rule (inverse = 1/y^p, square = 1/y^2)."""
    total = terms[-1]
    for coefficient in reversed(terms[:-1]):
        total = add(mul(square, total), coefficient)
    return mul(inverse, total)


def _reflection(x: Any) -> tuple:
    """(negative, a, fraction): where x < 0, a = 1 - x and the fraction x - round(x) that
    the reflection's sin / cot read; elsewhere a = x and a harmless fraction 1/4 (a safe
    operand: sin(pi * 0) = 0 there would send log's and cot's infinite derivatives, times
    the 0 that where passes back, into the gradient as nan)."""
    negative = lt(x, 0)
    a = where(negative, sub(1, x), x)
    fraction = where(negative, sub(x, F.Round.apply(x).detach()), 0.25)
    return negative, a, fraction


def lgamma(x: Any) -> Any:
    """log |Gamma(x)|: inf at 0 and the negative integers, +inf at +-inf"""
    x, dtype = _in_float64(x)
    negative, a, fraction = _reflection(x)
    y = add(a, _SHIFT)
    log_y = F.Log.apply(y)
    inverse = F.Reciprocal.apply(y)
    # (y - 1/2)(log y - 1) - 1/2 is (y - 1/2) log y - y, and inf (not inf - inf) at y = inf
    stirling = sub(mul(sub(y, 0.5), sub(log_y, 1)), 0.5)
    stirling = add(add(stirling, 0.5 * math.log(2 * math.pi)),
                   _series(inverse, mul(inverse, inverse), _LGAMMA_TERMS))
    shifted = F.Log.apply(a)
    for k in range(1, _SHIFT):
        shifted = add(shifted, F.Log.apply(add(a, k)))
    positive = sub(stirling, shifted)
    sine = F.Abs.apply(F.Sin.apply(mul(fraction, math.pi)))
    reflected = sub(F.Log.apply(div(math.pi, sine)), positive)
    out = where(negative, reflected, positive)
    out = where(isinf(x), math.inf, out)
    return autograd.named(out if dtype is dtypes.float64 else out.to(dtype), "LgammaBackward0")


def digamma(x: Any) -> Any:
    """psi(x) = d/dx lgamma(x): -inf at 0 (+inf at -0.0), nan at the negative integers"""
    x, dtype = _in_float64(x)
    negative, a, fraction = _reflection(x)
    y = add(a, _SHIFT)
    inverse = F.Reciprocal.apply(y)
    asymptotic = sub(sub(F.Log.apply(y), mul(inverse, 0.5)),
                     _series(mul(inverse, inverse), mul(inverse, inverse), _DIGAMMA_TERMS))
    shifted = F.Reciprocal.apply(a)
    for k in range(1, _SHIFT):
        shifted = add(shifted, F.Reciprocal.apply(add(a, k)))
    positive = sub(asymptotic, shifted)
    angle = mul(fraction, math.pi)
    cotangent = div(F.Cos.apply(angle), F.Sin.apply(angle))
    reflected = sub(positive, mul(cotangent, math.pi))
    out = where(negative, reflected, positive)
    pole = logical_and(negative, eq(F.Round.apply(x).detach(), x))  # -1, -2, ...: nan
    out = where(pole, math.nan, out)
    return autograd.named(out if dtype is dtypes.float64 else out.to(dtype), "DigammaBackward0")
