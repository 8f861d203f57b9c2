"""LogNormal and HalfNormal: a Normal seen through exp and through abs.

PyTorch builds both as a TransformedDistribution (a base Normal and a transform); this
library has no transforms yet, so each holds its Normal as `base_dist` and writes the
change of variables out: for y = f(x) with f monotone, p_Y(y) = p_X(f⁻¹(y)) |d f⁻¹/dy|.
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu.composite import where
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import Distribution, ShapeLike
from tinygrad_edu.distributions.normal import Normal
from tinygrad_edu.tensor import Tensor


class LogNormal(Distribution):
    r"""LogNormal(loc μ, scale σ): y = exp(x) with x ~ N(μ, σ²), so log y is normal.

        log_prob(y) = Normal.log_prob(log y) - log y     (d log y / dy = 1 / y)
        cdf(y)      = Normal.cdf(log y),   icdf(u) = exp(Normal.icdf(u))
        entropy     = Normal.entropy + μ
        mean = exp(μ + σ²/2),   mode = exp(μ - σ²),   variance = (exp(σ²) - 1) exp(2μ + σ²)

    rsample = exp(Normal.rsample): differentiable in μ and σ.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        # the Normal checks loc and scale: PyTorch's message names Normal
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.pow(2)).exp()

    @property
    def variance(self) -> Tensor:
        square = self.scale.pow(2)
        return square.expm1() * (2 * self.loc + square).exp()

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_value = value.log()
        return self.base_dist.log_prob(log_value) - log_value

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self.base_dist.cdf(value.log())

    def icdf(self, value: Tensor) -> Tensor:
        return self.base_dist.icdf(value).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc


class HalfNormal(Distribution):
    r"""HalfNormal(scale σ): |x| with x ~ N(0, σ²), density 2 N(y; 0, σ²) for y >= 0.

        log_prob(y) = Normal.log_prob(y) + log 2 (y >= 0; -inf below)
        cdf(y) = 2 Normal.cdf(y) - 1,   icdf(u) = Normal.icdf((u + 1) / 2)
        entropy = Normal.entropy - log 2
        mean = σ sqrt(2/π),   variance = σ² (1 - 2/π),   mode = 0

    rsample = |Normal.rsample|: differentiable in σ.
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        self.base_dist = Normal(0.0, scale, validate_args=False)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return 0 * self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, log_prob, -math.inf)

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value: Tensor) -> Tensor:
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)
