"""Dirichlet and Beta: distributions over probability vectors (Beta: over one probability)."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.composite import where
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import Distribution, ShapeLike, broadcast_all
from tinygrad_edu.distributions.gamma import standard_gamma
from tinygrad_edu.movement import stack
from tinygrad_edu.tensor import Size, Tensor


class Dirichlet(Distribution):
    r"""Dirichlet(concentration α of shape (..., K)): density over the simplex
    prod_k x_k^(α_k - 1) / B(α), with B(α) = prod_k Gamma(α_k) / Gamma(α_0), α_0 = sum α_k.

        log_prob(x) = sum_k (α_k - 1) log x_k + lgamma(α_0) - sum_k lgamma(α_k)
        entropy     = log B(α) + (α_0 - K) digamma(α_0) - sum_k (α_k - 1) digamma(α_k)
        mean = α / α_0,   variance = α (α_0 - α) / (α_0² (α_0 + 1))
        mode = (α - 1)⁺ / sum (α - 1)⁺  (the first vertex where every α_k < 1, as PyTorch)

    rsample normalises K independent Gamma(α_k, 1) draws, x = g / sum g, each g carrying
    Gamma's implicit gradient: a valid pathwise gradient, though not PyTorch's (which
    differentiates the Dirichlet's own cdf), so one draw's gradient differs from PyTorch's
    while their expectations agree.
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        excess = (self.concentration - 1).clamp(min=0.0)
        mode = excess / excess.sum(-1, keepdim=True)
        # every α_k < 1: the density is unbounded at every vertex; PyTorch takes the first
        corner = creation.zeros(mode.shape[-1], dtype=mode.dtype, device=mode.device)
        corner[0] = 1.0
        return where((self.concentration < 1).all(-1, keepdim=True), corner, mode)

    @property
    def variance(self) -> Tensor:
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        gammas = standard_gamma(self.concentration.expand(shape))
        draws = gammas / gammas.sum(-1, keepdim=True)
        finfo = dtypes.finfo(draws.dtype)
        return draws.clamp(min=finfo.tiny, max=1 - finfo.eps)  # as PyTorch's sampler

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        alpha = self.concentration
        return ((alpha - 1).xlogy(value).sum(-1) + alpha.sum(-1).lgamma()
                - alpha.lgamma().sum(-1))

    def entropy(self) -> Tensor:
        alpha = self.concentration
        count = alpha.shape[-1]
        total = alpha.sum(-1)
        return (alpha.lgamma().sum(-1) - total.lgamma() - (count - total) * total.digamma()
                - ((alpha - 1.0) * alpha.digamma()).sum(-1))


class Beta(Distribution):
    r"""Beta(concentration1 a, concentration0 b) on [0, 1]: density x^(a-1) (1-x)^(b-1) / B(a, b).

    The two-class Dirichlet((a, b)) read at (x, 1 - x): log_prob, entropy, mode and
    rsample (g_a / (g_a + g_b), two Gamma draws) are the Dirichlet's.

        mean = a / (a + b),   variance = a b / ((a + b)² (a + b + 1))
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None) -> None:
        numbers = isinstance(concentration1, (int, float)) and isinstance(concentration0,
                                                                          (int, float))
        first, second = broadcast_all(concentration1, concentration0)
        # the Dirichlet checks the stacked pair first: PyTorch's message names it
        self._dirichlet = Dirichlet(stack([first, second], -1), validate_args=validate_args)
        shape = Size() if numbers else self._dirichlet.batch_shape
        super().__init__(shape, validate_args=validate_args)

    @property
    def concentration1(self) -> Tensor:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        pair = stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(pair)

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()
