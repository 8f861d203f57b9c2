"""Counting distributions: Poisson (events in an interval), Binomial (successes in n trials),
Geometric (failures before the first success); and the constraint they share.

Their samplers are NumPy's poisson and binomial on the host, fed by tinygrad_edu's
generator and copied to the parameters' device (PyTorch: torch.poisson and torch.binomial
kernels on the device; the law is the same, the numbers differ). Counts are returned as
floats of the parameters' dtype, as PyTorch returns them. None has rsample: a count
is not a differentiable function of its parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu import creation, dtypes
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.composite import where
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import (
    Distribution,
    ShapeLike,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_or_logits,
    probs_to_logits,
)
from tinygrad_edu.nn.functional import binary_cross_entropy_with_logits
from tinygrad_edu.tensor import Size, Tensor


class _IntegerGreaterThanEq(constraints.Constraint):
    """Whole numbers >= lower_bound (PyTorch's constraints.nonnegative_integer is this at 0;
    here until constraints.py gains it). PyTorch names it IntegerGreaterThan."""

    is_discrete = True

    def __init__(self, lower_bound: int) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Tensor) -> Tensor:
        return (value.remainder(1) == 0) & (value >= self.lower_bound)

    def __repr__(self) -> str:
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


nonnegative_integer = _IntegerGreaterThanEq(0)
positive_integer = _IntegerGreaterThanEq(1)


def _on_host(draw: Any, like: Tensor, *parameters: Tensor) -> Tensor:
    """NumPy's sampler `draw` applied to the parameters (float64 host copies), as `like`."""
    arrays = [np.asarray(p.detach().cpu().numpy(), dtype=np.float64) for p in parameters]
    values = draw(creation._rng(None), *arrays)
    return creation.tensor(np.asarray(values, dtype=np.float64), dtype=like.dtype,
                           device=like.device)


class Poisson(Distribution):
    r"""Poisson(rate λ): P(k) = λ^k e^(-λ) / k! for k = 0, 1, 2, ...

        log_prob(k) = k log λ - λ - lgamma(k + 1)     (xlogy: 0 log 0 = 0, so λ = 0 works)
        mean = variance = λ,   mode = floor(λ)

    No entropy (no closed form; PyTorch has none either).
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        shape = Size() if isinstance(rate, (int, float)) else self.rate.shape
        super().__init__(shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return _on_host(lambda rng, rate: rng.poisson(rate), self.rate,
                            self.rate.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()


class Binomial(Distribution):
    r"""Binomial(total_count n, probs p | logits): P(k) = C(n, k) p^k (1 - p)^(n - k).

        log_prob(k) = lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1) + k logit - n log(1 + e^logit)
        mean = n p,   variance = n p (1 - p),   mode = min(floor((n + 1) p), n)
        entropy = -sum_k P(k) log P(k) over k = 0..n (needs one n for the whole batch)

    log(1 + e^logit) is written max(logit, 0) + log1p(e^-|logit|), which never overflows.
    """

    arg_constraints = {"total_count": nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        count, param = broadcast_all(total_count, probs if probs is not None else logits)
        self.total_count = count.to(param.dtype)  # PyTorch: type_as(probs)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return _on_host(lambda rng, n, p: rng.binomial(n.astype(np.int64), p),
                            self.probs, self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorials = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        # (clamp(min=0) + x - clamp(max=0)) / 2 is max(x, 0) with gradient 1/2 at 0, as PyTorch
        positive_part = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2
        log_normaliser = n * positive_part + n * (-logits.abs()).exp().log1p()
        return value * logits + log_factorials - log_normaliser

    def _homogeneous_count(self, what: str) -> int:
        count = int(self.total_count.max().item())
        if self.total_count.min().item() != count:
            # PyTorch raises NotImplementedError; TypeError, as everywhere in this library
            raise TypeError(f"Inhomogeneous total count not supported by `{what}`.")
        return count

    def entropy(self) -> Tensor:
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, ..., n shaped (n + 1, 1, ..., 1), expanded to (n + 1,) + batch_shape."""
        count = self._homogeneous_count("enumerate_support")
        values = creation.arange(1 + count, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class Geometric(Distribution):
    r"""Geometric(probs p | logits): failures before the first success, P(k) = (1 - p)^k p.

        log_prob(k) = k log(1 - p) + log p        (k = 0 at p = 1: 0, not 0 * -inf)
        entropy     = BCEWithLogits(logits, p) / p
        mean = 1/p - 1,   variance = (1/p - 1) / p,   mode = 0

    sample inverts the cdf: floor(log u / log(1 - p)) with u uniform on [tiny, 1).
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        _, shape = probs_or_logits(self, probs, logits)
        super().__init__(shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0  # beyond unit_interval: p = 0 never succeeds
            if not bool(valid.all()):
                raise ValueError(
                    f"Expected parameter probs ({type(self.probs).__name__} of shape "
                    f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but "
                    f"found invalid values:\n{self.probs[~valid]}")

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return 0 * self.probs

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        tiny = dtypes.finfo(self.probs.dtype).tiny
        with no_grad():
            u = creation.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
            return (u.clamp(min=tiny).log() / (-self.probs).log1p()).floor()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        losses = binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return losses / self.probs
