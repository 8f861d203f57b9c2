"""Gamma and Chi2: waiting times of several events; sums of squared standard normals."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu import creation, dtypes
from tinygrad_edu.autograd import is_grad_enabled
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import Distribution, ShapeLike, broadcast_all
from tinygrad_edu.distributions.incomplete_gamma import gamma_p_and_grad, standard_gamma_grad
from tinygrad_edu.tensor import Size, Tensor


class Gamma(Distribution):
    r"""Gamma(concentration a, rate b): density b^a x^(a-1) e^(-b x) / Gamma(a) for x >= 0.

        log_prob(x) = a log b + (a - 1) log x - b x - lgamma(a)
        entropy     = a - log b + lgamma(a) + (1 - a) digamma(a)
        mean = a / b,   variance = a / b²,   mode = max((a - 1) / b, 0)
        cdf(x)      = P(a, b x), the regularised lower incomplete gamma

    rsample draws z ~ Gamma(a, 1) with NumPy's standard_gamma on the host (from
    tinygrad_edu's generator, copied to the parameters' device; at least finfo.tiny, as
    PyTorch clamps) and returns z / b. z is not a formula of a and noise, so its gradient
    is the implicit one: keep the draw's quantile u = P(a, z) fixed as a moves, so
    dz/da = -(dP/da) / p(z; a). It enters the graph as z + (a - a.detach()) * dz/da:
    that value is z, its derivative in a is dz/da (incomplete_gamma.py computes it to
    ~1e-12 relative for typical draws; PyTorch uses faster approximations, good to ~1e-4).
    cdf's gradient flows to the value and the rate (density b p(b x)) and to the
    concentration (dP/da; PyTorch's igamma raises for that one).
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        numbers = isinstance(concentration, (int, float)) and isinstance(rate, (int, float))
        shape = Size() if numbers else self.concentration.shape
        super().__init__(shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        concentration = self.concentration.expand(shape)
        standard = standard_gamma(concentration)
        return standard / self.rate.expand(shape)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return a.xlogy(b) + (a - 1).xlogy(value) - b * value - a.lgamma()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return regularized_gamma_p(self.concentration, self.rate * value)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma()


class Chi2(Gamma):
    r"""Chi2(df) = Gamma(df / 2, 1 / 2): the sum of df squared standard normals.

    mean = df, variance = 2 df; everything else is Gamma's.
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        if not isinstance(df, (int, float)):
            (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self) -> Tensor:
        return self.concentration * 2


def _host(value: Tensor) -> np.ndarray:
    return np.asarray(value.detach().cpu().contiguous().numpy(), dtype=np.float64)


def _like(array: np.ndarray, like: Tensor) -> Tensor:
    return creation.tensor(array, dtype=like.dtype, device=like.device)


def standard_gamma(concentration: Tensor) -> Tensor:
    """Draws z ~ Gamma(a, 1) of a's shape, differentiable in a through dz/da (see Gamma)."""
    a = _host(concentration)
    draws = creation._rng(None).standard_gamma(a)
    draws = np.maximum(draws, dtypes.finfo(concentration.dtype).tiny)
    # draws rounded to the tensor's dtype first, so that the gradient belongs to that value
    z = _like(draws, concentration)
    if not (concentration.requires_grad and is_grad_enabled()):
        return z
    slope = _like(standard_gamma_grad(a, _host(z)), concentration)
    return z + (concentration - concentration.detach()) * slope


def regularized_gamma_p(a: Tensor, x: Tensor) -> Tensor:
    """P(a, x) (PyTorch's torch.special.gammainc), with gradients to both arguments:
    dP/dx = x^(a-1) e^(-x) / Gamma(a) (from Tensor ops) and dP/da (from the host series)."""
    a, x = broadcast_all(a, x)
    x_host = np.maximum(_host(x), 0.0)
    value, derivative = gamma_p_and_grad(_host(a), x_host)
    out = _like(value, x)
    if x.requires_grad:
        safe = x.detach().clamp(min=0)
        density = ((a.detach() - 1).xlogy(safe) - safe - a.detach().lgamma()).exp()
        out = out + (x - x.detach()) * density
    if a.requires_grad:
        out = out + (a - a.detach()) * _like(derivative, a)
    return out
