"""Special functions, composed: sinh cosh asinh acosh atanh; logaddexp logaddexp2 hypot;
xlogy logit; fmod copysign signbit; sinc deg2rad rad2deg heaviside float_power.

Each is a few primitives (Exp, Expm1, Log, Log1p, Sqrt, Where, ...) chosen so that the
result stays accurate where the textbook formula is not: sinh(x) = (e^x - e^-x) / 2 loses
every digit for tiny x (two numbers near 1 subtracted), so it is (expm1(x) - expm1(-x)) / 2
there; asinh(x) = log(x + sqrt(x^2 + 1)) overflows x^2 for large x, so it is log(2x) there.

Two pieces come up again and again:

- A choice between two formulas is `where(condition, near, far)`. Its gradient sends grad
  to the chosen branch and 0 to the other, and the other branch's backward still runs:
  0 * (an infinite local derivative) is nan, which would poison the result. So each
  branch is fed a *safe operand* (`where(condition, x, harmless)`): a value where the
  branch that will be thrown away is finite and has a finite derivative.
- An odd function f(-x) = -f(x) is computed on |x| and given its sign back (`_odd`); |x|
  is `where(x < 0, -x, x)` rather than abs(x), whose gradient at 0 is 0 (and f'(0) is not).
"""

import math
from typing import Any

from tinygrad_edu import autograd, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu.composite.arithmetic import (
    _check_integer_divisor,
    add,
    div,
    mul,
    neg,
    pow,
    remainder,
    sub,
)
from tinygrad_edu.composite.logic import (
    eq,
    gt,
    isinf,
    le,
    logical_and,
    logical_or,
    lt,
    maximum,
    minimum,
    where,
)
from tinygrad_edu.composite.operands import _is_tensor, promote, scalar_tensor

_LN2 = math.log(2.0)
_HUGE = 2.0**28  # beyond it x^2 + 1 == x^2 in float64: asinh(x) = log(2x) to the last bit


def _float(x: Any) -> Any:
    """x, with integer and bool tensors cast to the default float dtype (as PyTorch's float
    functions do: sinh of an int64 tensor is float32)."""
    return x if x.dtype.is_floating_point else x.to(dtypes.get_default_dtype())


def _float_pair(a: Any, b: Any) -> tuple:
    """(a, b) as tensors of their promoted dtype, integers promoted further to float."""
    a, b, dtype = promote(a, b)
    if not dtype.is_floating_point:
        dtype = dtypes.get_default_dtype()
    return (a if a.dtype is dtype else a.to(dtype)), (b if b.dtype is dtype else b.to(dtype))


def _odd(x: Any, f: Any) -> Any:
    """f(x) for an odd f given on x >= 0: sign(x) * f(|x|), with the gradient right at 0."""
    negative = lt(x, 0)
    y = f(where(negative, neg(x), x))
    return where(negative, neg(y), y)


# ---------------------------------------------------------------------------- hyperbolic


def _half_exp(a: Any) -> Any:
    """e^a / 2 as (e^(a/2) / 2) * e^(a/2): finite up to the largest sinh and cosh, where
    e^a alone overflows first (sinh(89) fits in float32, e^89 does not)."""
    root = F.Exp.apply(mul(a, 0.5))
    return mul(mul(root, 0.5), root)


def sinh(x: Any) -> Any:
    """(e^x - e^-x) / 2: (expm1(x) - expm1(-x)) / 2 for |x| < 1 (no cancellation), else
    e^|x| / 2 - e^-|x| / 2 with the sign of x.

    The gradient cosh(x) overflows to inf a little early, within log(2) of where cosh does
    (float32: 88.4 < |x| < 88.7): the backward of e^(x/2) * e^(x/2) forms 2 cosh(x)."""
    def positive(a: Any) -> Any:
        near = lt(a, 1)
        small = where(near, a, 0)  # safe operand: expm1 of a huge a is inf
        inner = mul(sub(F.Expm1.apply(small), F.Expm1.apply(neg(small))), 0.5)
        outer = sub(_half_exp(a), mul(F.Exp.apply(neg(a)), 0.5))
        return where(near, inner, outer)
    return autograd.named(_odd(_float(x), positive), "SinhBackward0")


def cosh(x: Any) -> Any:
    """(e^x + e^-x) / 2, both terms positive (no cancellation), even in x"""
    a = F.Abs.apply(_float(x))  # abs's gradient 0 at 0 is cosh's: sinh(0) = 0
    return autograd.named(add(_half_exp(a), mul(F.Exp.apply(neg(a)), 0.5)), "CoshBackward0")


def asinh(x: Any) -> Any:
    """log(x + sqrt(x^2 + 1)) = log1p(x + x^2 / (1 + sqrt(1 + x^2))) (accurate near 0),
    log(2|x|) beyond 2^28 (where x^2 would overflow); odd"""
    def positive(a: Any) -> Any:
        far = gt(a, _HUGE)
        small = where(far, 0, a)  # safe operands: each branch finite where it is unused
        large = where(far, a, 1)
        square = mul(small, small)
        root = F.Sqrt.apply(add(square, 1))
        inner = F.Log1p.apply(add(small, div(square, add(root, 1))))
        return where(far, add(F.Log.apply(large), _LN2), inner)
    return autograd.named(_odd(_float(x), positive), "AsinhBackward0")


def acosh(x: Any) -> Any:
    """log(x + sqrt(x^2 - 1)) = log1p(t + sqrt(t (t + 2))) with t = x - 1 (accurate near
    x = 1), log(2x) beyond 2^28; nan below 1"""
    x = _float(x)
    far = gt(x, _HUGE)
    t = where(far, 1, sub(x, 1))  # safe: sqrt'(0) is inf, so the unused branch gets t = 1
    inner = F.Log1p.apply(add(t, F.Sqrt.apply(mul(t, add(t, 2)))))
    outer = add(F.Log.apply(where(far, x, 1)), _LN2)
    return autograd.named(where(far, outer, inner), "AcoshBackward0")


def atanh(x: Any) -> Any:
    """log((1 + x) / (1 - x)) / 2 = log1p(2x / (1 - x)) / 2 (accurate near 0); odd;
    inf at 1, nan beyond"""
    def positive(a: Any) -> Any:
        return mul(F.Log1p.apply(div(mul(a, 2), sub(1, a))), 0.5)
    return autograd.named(_odd(_float(x), positive), "AtanhBackward0")


# ---------------------------------------------------------------------------- log-space sums


def _not_for_integers(name: str, a: Any, b: Any) -> None:
    dtype = promote(a, b)[2]
    if not dtype.is_floating_point:  # PyTorch: NotImplementedError (a RuntimeError)
        raise RuntimeError(f"\"{name}_cpu\" not implemented for "
                           f"'{dtypes.scalar_type_name(dtype)}'")


def logaddexp(a: Any, b: Any) -> Any:
    """log(e^a + e^b) = max(a, b) + log1p(e^-|a - b|): no overflow, exact for a = b = -inf
    (the log of 0 + 0), where a - b would be nan"""
    _not_for_integers("logaddexp", a, b)
    a, b = _float_pair(a, b)
    same = eq(a, b)  # equal infinities: a - b is nan, the answer a + log 2 (= a)
    difference = where(same, 0, sub(a, b))
    tail = F.Log1p.apply(F.Exp.apply(neg(F.Abs.apply(difference))))
    return autograd.named(add(maximum(a, b), tail), "LogaddexpBackward0")


def logaddexp2(a: Any, b: Any) -> Any:
    """log2(2^a + 2^b) = max(a, b) + log1p(2^-|a - b|) / log 2"""
    _not_for_integers("logaddexp2", a, b)
    a, b = _float_pair(a, b)
    difference = where(eq(a, b), 0, sub(a, b))
    power = F.Exp.apply(mul(F.Abs.apply(difference), -_LN2))  # 2^-|d|
    tail = mul(F.Log1p.apply(power), 1 / _LN2)
    return autograd.named(add(maximum(a, b), tail), "Logaddexp2Backward0")


def hypot(a: Any, b: Any) -> Any:
    """sqrt(a^2 + b^2) as m * sqrt(1 + (n / m)^2), m = max(|a|, |b|), n = min: no overflow
    of a^2; inf if either is inf (even with a nan), as C's hypot.

    PyTorch: the gradient at a = b = 0 is nan (a / hypot); here it is 0."""
    _not_for_integers("hypot", a, b)
    a, b = _float_pair(a, b)
    magnitude_a, magnitude_b = F.Abs.apply(a), F.Abs.apply(b)
    large = maximum(magnitude_a, magnitude_b)
    small = minimum(magnitude_a, magnitude_b)
    zero = eq(large, 0)
    ratio = div(small, where(zero, 1, large))  # safe operand: 0 / 0 would be nan
    out = mul(large, F.Sqrt.apply(add(mul(ratio, ratio), 1)))
    out = where(logical_or(isinf(a), isinf(b)), math.inf, out)
    return autograd.named(out, "HypotBackward0")


# ---------------------------------------------------------------------------- x log y, logit


def xlogy(x: Any, y: Any) -> Any:
    """x * log(y), with 0 where x == 0 and y is not nan (PyTorch's 0 * log(0) = 0, also for
    y < 0 and y = inf, where 0 * log(y) is nan).

    The where-gradient trap: where(x == 0, 0, x * log(y)) gives the right values, but its
    backward still runs x * log(y)'s: dy = x / y is 0 / 0 = nan at x = y = 0, and the
    0 that where sends to that branch cannot cancel a nan (0 * nan is nan). So y itself is
    made safe first: 1 where x == 0 and y has no log, so x * log(1) = 0 with finite grads.

    Gradients: d/dx = log(y) (0 where x = 0 and y <= 0), d/dy = x / y.
    PyTorch: at x = 0, y = inf, d/dx is inf (here 0); at x = y = 0, d/dy is nan (here 0)."""
    x, y = _float_pair(x, y)
    no_log = logical_and(eq(x, 0), logical_or(le(y, 0), isinf(y)))
    safe_y = where(no_log, 1, y)
    return autograd.named(mul(x, F.Log.apply(safe_y)), "XlogyBackward0")


def logit(x: Any, eps: Any = None) -> Any:
    """log(x / (1 - x)) = log(x) - log1p(-x), the inverse of sigmoid; with eps, x clamped
    to [eps, 1 - eps] first (the gradient is then 0 outside that range).

    PyTorch: without eps, the gradient outside [0, 1] (where the value is nan) is nan; here
    it is the formula's 1 / (x (1 - x))."""
    x = _float(x)
    if eps is not None:
        x = where(lt(x, eps), eps, where(gt(x, 1 - eps), 1 - eps, x))
    return autograd.named(sub(F.Log.apply(x), F.Log1p.apply(neg(x))), "LogitBackward0")


# ---------------------------------------------------------------------------- signs


def signbit(x: Any) -> Any:
    """True where x's sign bit is set: x < 0, and -0.0 (1 / -0.0 = -inf); no gradient.

    PyTorch reads the bit itself, so signbit(-nan) is True there; here every nan is False
    (the bit cannot be read without reinterpreting memory)."""
    with autograd.no_grad():
        if not x.dtype.is_floating_point:
            return lt(x, 0)
        negative_zero = logical_and(eq(x, 0), lt(F.Reciprocal.apply(x), 0))
        return logical_or(lt(x, 0), negative_zero)


def copysign(a: Any, b: Any) -> Any:
    """|a| with the sign of b (-0.0 counts as negative); always floating. Gradient: d/da =
    sign(a) * sign(b) (0 at a = 0), d/db = 0. PyTorch: d/da at a = +-inf is nan."""
    a, b = _float_pair(a, b)
    magnitude = F.Abs.apply(a)
    out = where(signbit(b), neg(magnitude), magnitude)
    return autograd.named(_zero_gradient_to(b, out), "CopysignBackward0")


def _zero_gradient_to(t: Any, out: Any) -> Any:
    """out, with t in its graph with gradient 0 (not None), as PyTorch gives an operand an
    op ignores: where(True, out, t) selects out, nan in t included, and sends t zeros."""
    if not (_is_tensor(t) and t._requires_grad and autograd.is_grad_enabled()):
        return out
    return where(scalar_tensor(True, dtypes.bool_, out), out, t)


def fmod(a: Any, b: Any) -> Any:
    """a - trunc(a / b) * b: C's fmod, with the sign of the dividend a (remainder's, Python's
    %, has the sign of b); an integer divisor 0 raises, as remainder does.

    Composed from remainder on magnitudes, which is exact: fmod(a, b) = sign(a) (|a| % |b|).
    Gradients: d/da = 1, d/db = -trunc(a / b), as PyTorch."""
    a, b, dtype = promote(a, b)
    if dtype is dtypes.bool_:  # PyTorch: NotImplementedError (a RuntimeError)
        raise RuntimeError("\"fmod_cpu\" not implemented for 'Bool'")
    _check_integer_divisor(a, b)
    a, b = (t if t.dtype is dtype else t.to(dtype) for t in (a, b))
    if not dtype.is_floating_point and not dtype.is_signed:
        return autograd.named(remainder(a, b), "FmodBackward0")  # no signs to mind
    negative = signbit(a)
    magnitude_a = where(negative, neg(a), a)  # |a|, gradient 1 at 0 (abs's would be 0)
    magnitude_b = where(signbit(b), neg(b), b)
    out = remainder(magnitude_a, magnitude_b)
    return autograd.named(where(negative, neg(out), out), "FmodBackward0")


def heaviside(x: Any, values: Any) -> Any:
    """0 where x < 0, values where x == 0, 1 where x > 0 (and 0 for nan); no gradient.

    PyTorch: backward through it raises; here the result simply does not require grad."""
    if not _is_tensor(values):
        raise TypeError("heaviside(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    if x.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    with autograd.no_grad():
        return where(eq(x, 0), values, gt(x, 0).to(x.dtype))


# ---------------------------------------------------------------------------- the rest


def sinc(x: Any) -> Any:
    """sin(pi x) / (pi x), 1 at x = 0 (the limit), with gradient 0 there"""
    x = _float(x)
    zero = eq(x, 0)
    angle = mul(where(zero, 1, x), math.pi)  # safe operand: 0 / 0 would be nan
    return autograd.named(where(zero, 1, div(F.Sin.apply(angle), angle)), "SincBackward0")


def deg2rad(x: Any) -> Any:
    """x * pi / 180"""
    return autograd.named(mul(_float(x), math.pi / 180), "Deg2RadBackward0")


def rad2deg(x: Any) -> Any:
    """x * 180 / pi"""
    return autograd.named(mul(_float(x), 180 / math.pi), "Rad2DegBackward0")


def float_power(a: Any, b: Any) -> Any:
    """a ** b computed in float64 (both operands cast to it), the result float64"""
    a = a.to(dtypes.float64) if _is_tensor(a) else float(a)
    b = b.to(dtypes.float64) if _is_tensor(b) else float(b)
    return pow(a, b)


arcsinh, arccosh, arctanh = asinh, acosh, atanh
