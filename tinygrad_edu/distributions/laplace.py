"""Laplace distribution: a two-sided exponential around loc (the L1 loss's likelihood)."""

from __future__ import annotations

import math

from tinygrad_edu import creation, dtypes
from tinygrad_edu.distributions.distribution import LocationScale, ShapeLike
from tinygrad_edu.tensor import Tensor


class Laplace(LocationScale):
    r"""Laplace(loc, scale b): density exp(-|x - loc| / b) / (2 b).

        log_prob(x) = -log(2 b) - |x - loc| / b
        cdf(x)      = 1/2 - sign(x - loc) expm1(-|x - loc| / b) / 2
        entropy     = 1 + log(2 b);   mean = mode = loc;   variance = 2 b²

    rsample inverts the cdf: x = loc - b sign(u) log(1 - |u|) with u uniform on
    [eps - 1, 1) (eps keeps |u| < 1), from tinygrad_edu.rand.
    """

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = dtypes.finfo(self.loc.dtype).eps
        u = creation.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        u = u * (2 - eps) + (eps - 1)  # uniform on [eps - 1, 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        distance = value - self.loc
        return 0.5 - 0.5 * distance.sign() * (-distance.abs() / self.scale).expm1()

    def icdf(self, value: Tensor) -> Tensor:
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()
