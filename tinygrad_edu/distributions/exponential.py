"""Exponential distribution: waiting times of a process with a constant rate."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import Distribution, ShapeLike, broadcast_all
from tinygrad_edu.tensor import Size, Tensor


class Exponential(Distribution):
    r"""Exponential(rate λ): density λ exp(-λ x) for x >= 0.

        log_prob(x) = log λ - λ x;   cdf(x) = 1 - exp(-λ x);   icdf(u) = -log(1 - u) / λ
        entropy = 1 - log λ;   mean = stddev = 1 / λ;   variance = 1 / λ²;   mode = 0

    rsample inverts the cdf: x = -log1p(-u) / λ with u ~ U[0, 1) from tinygrad_edu.rand
    (PyTorch draws with `exponential_`; the law is the same, the numbers differ).
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        shape = Size() if isinstance(rate, (int, float)) else self.rate.shape
        super().__init__(shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return 0 * self.rate

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = creation.rand(shape, dtype=self.rate.dtype, device=self.rate.device)
        return -(-u).log1p() / self.rate

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value: Tensor) -> Tensor:
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()
