"""Cauchy and Gumbel: a heavy-tailed location-scale family and the law of maxima."""

from __future__ import annotations

import math

from tinygrad_edu import creation, dtypes
from tinygrad_edu.distributions.distribution import LocationScale, ShapeLike
from tinygrad_edu.tensor import Tensor

EULER_GAMMA = 0.57721566490153286061  # the Euler-Mascheroni constant: Gumbel's mean shift


class Cauchy(LocationScale):
    r"""Cauchy(loc x0, scale γ): density 1 / (π γ (1 + ((x - x0) / γ)²)).

        log_prob(x) = -log π - log γ - log1p(((x - x0) / γ)²)
        cdf(x)      = atan((x - x0) / γ) / π + 1/2,   icdf(u) = x0 + γ tan(π (u - 1/2))
        entropy     = log(4 π γ);   mode = x0;   mean = nan and variance = inf (the tails
        are too heavy for either integral to converge; PyTorch returns the same)

    rsample inverts the cdf with u ~ U[0, 1) from tinygrad_edu.rand (PyTorch: cauchy_).
    """

    @property
    def mean(self) -> Tensor:
        return creation.full(self._extended_shape(), math.nan, dtype=self.loc.dtype,
                             device=self.loc.device)

    @property
    def variance(self) -> Tensor:
        return creation.full(self._extended_shape(), math.inf, dtype=self.loc.dtype,
                             device=self.loc.device)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = creation.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - z.pow(2).log1p()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(LocationScale):
    r"""Gumbel(loc μ, scale β): the limit law of maxima, cdf exp(-exp(-(x - μ) / β)).

        log_prob(x) = z - exp(z) - log β   with z = (μ - x) / β
        icdf(u)     = μ - β log(-log u)
        entropy     = log β + 1 + γ_E;   mean = μ + β γ_E;   mode = μ
        variance    = (π β)² / 6

    rsample = icdf(u) with u uniform on [tiny, 1 - eps) (PyTorch's base Uniform), so
    both logs stay finite. PyTorch's cdf goes through that Uniform's cdf and so differs
    from exp(-exp(-z)) by a relative ~eps.
    """

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        finfo = dtypes.finfo(self.loc.dtype)
        u = creation.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        u = (u * (1 - finfo.eps - finfo.tiny) + finfo.tiny).clamp(max=1 - finfo.eps)
        return self.loc - self.scale * (-u.log()).log()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        z = (self.loc - value) / self.scale
        return (z - z.exp()) - self.scale.log()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER_GAMMA)
