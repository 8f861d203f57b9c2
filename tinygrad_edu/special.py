"""tinygrad_edu.special (PyTorch: torch.special): special functions under SciPy's names.

Nothing here is new math: each name is the library op it is another name for (`expit` is
`sigmoid`, `gammaln` is `lgamma`, `psi` is `digamma`), or a line or two composed from them,
so every gradient comes from the primitives. The ones composed here:

    erfc(x)      = 1 - erf(x)
    ndtr(x)      = (1 + erf(x / sqrt 2)) / 2             the standard normal CDF
    log_ndtr(x)  = log ndtr(x), with the asymptotic series in the far left tail
    entr(x)      = -x log x  (0 at x = 0, -inf for x < 0)

PyTorch: erfc, ndtr and log_ndtr have kernels of their own (erfc keeps its relative accuracy
for large x, where 1 - erf(x) rounds to 0 here: erfc(6) is 2e-17 in PyTorch, 0 here in
float32). `i0` is left out: there is no Bessel kernel to delegate to.
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu import autograd, dtypes
from tinygrad_edu import composite as C
from tinygrad_edu import functions as F

__all__ = ["digamma", "entr", "erf", "erfc", "exp2", "expit", "expm1", "gammaln", "log1p",
           "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr", "psi", "round", "sinc",
           "softmax", "xlogy"]

# the same functions as torch.*, under torch.special's names
digamma = psi = C.digamma
gammaln = C.lgamma
exp2 = C.exp2
logit = C.logit
xlogy = C.xlogy
sinc = C.sinc
logsumexp = C.logsumexp
round = C.round  # noqa: A001  (torch.special.round(input, decimals=0))


def _float(x: Any) -> Any:
    """x as a floating tensor: integers become the default dtype, as PyTorch promotes."""
    x = C.scalar_tensor(x) if not hasattr(x, "_shape") else x
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.get_default_dtype())
    return x


def erf(x: Any) -> Any:
    """erf(x) = 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt."""
    return F.Erf.apply(_float(x))


def erfc(x: Any) -> Any:
    """erfc(x) = 1 - erf(x), the complementary error function."""
    return autograd.named(C.sub(1, F.Erf.apply(_float(x))), "ErfcBackward0")


def expit(x: Any) -> Any:
    """expit(x) = 1 / (1 + exp(-x)): the logistic sigmoid."""
    return F.Sigmoid.apply(_float(x))


def expm1(x: Any) -> Any:
    """exp(x) - 1, accurate for small x."""
    return F.Expm1.apply(_float(x))


def log1p(x: Any) -> Any:
    """log(1 + x), accurate for small x."""
    return F.Log1p.apply(_float(x))


def softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """exp(x_i) / sum_j exp(x_j) along dim."""
    return C.softmax(input, dim, dtype)


def log_softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """x_i - logsumexp(x) along dim."""
    return C.log_softmax(input, dim, dtype)


def ndtr(x: Any) -> Any:
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2: the probability that a standard normal is <= x."""
    x = _float(x)
    return C.mul(0.5, C.add(1, F.Erf.apply(C.mul(x, 1 / math.sqrt(2)))))


# where log(ndtr(x)) loses its digits (ndtr(x) is 1 - erf(...) ~ 1e-9) the series takes over
_TAIL = -6.0
_TAIL_TERMS = 16


def log_ndtr(x: Any) -> Any:
    """log Phi(x), in float64 inside (cast back to x's dtype).

    For x >= -6: log(ndtr(x)). Below, ndtr(x) is 1 + erf(x / sqrt 2), a difference of two
    numbers close to 1, so it is replaced by the asymptotic (Mills ratio) series
        log Phi(x) = -x^2 / 2 - log(-x) - log(2 pi) / 2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6 ...)
    whose terms (2k - 1)!! / x^2k shrink fast for |x| >= 6. Each branch sees an input clamped
    to its own side, so the branch `where` drops never makes a nan gradient."""
    x = _float(x)
    wide = x.to(dtypes.float64)
    near = C.clamp(wide, min=_TAIL)
    tail = C.clamp(wide, max=_TAIL)
    inverse_square = C.div(1.0, C.mul(tail, tail))
    series, term = 1.0, 1.0
    power = None
    for k in range(1, _TAIL_TERMS):
        term *= -(2 * k - 1)
        power = inverse_square if power is None else C.mul(power, inverse_square)
        series = C.add(series, C.mul(term, power))
    far = C.sub(C.sub(C.mul(-0.5, C.mul(tail, tail)), F.Log.apply(C.neg(tail))),
                0.5 * math.log(2 * math.pi))
    far = C.add(far, F.Log.apply(series))
    result = C.where(C.lt(wide, _TAIL), far, F.Log.apply(ndtr(near)))
    return result.to(x.dtype)


def entr(x: Any) -> Any:
    """entr(x) = -x log x for x > 0, 0 at x = 0, -inf for x < 0 (nan stays nan).

    Composed from xlogy, whose 0 log 0 = 0 gives the x = 0 case with a finite gradient."""
    x = _float(x)
    positive_part = C.neg(C.xlogy(x, C.where(C.lt(x, 0), 1.0, x)))
    return C.where(C.lt(x, 0), -math.inf, positive_part)
