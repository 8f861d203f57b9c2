"""Bernoulli distribution: 1 with probability p, else 0 (a coin; a binary label)."""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu import creation
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
from tinygrad_edu.tensor import Tensor


class Bernoulli(Distribution):
    r"""Bernoulli(p), given by `probs` p or by `logits` log(p / (1 - p)) (exactly one).

        log_prob(x) = x log p + (1 - x) log(1 - p) = -BCEWithLogits(logits, x)
        entropy     = -p log p - (1 - p) log(1 - p) = BCEWithLogits(logits, p)
        mean = p, variance = p (1 - p), mode = [p >= 1/2] (nan at p = 1/2: two modes)

    Through logits the log-probabilities stay finite and exact for very confident p.
    No rsample: a 0/1 draw has no useful gradient (use the score function, REINFORCE:
    loss = -log_prob(action) * reward).
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._param, shape = probs_or_logits(self, probs, logits)
        super().__init__(shape, validate_args=validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        """log(p / (1 - p)), p clamped away from 0 and 1."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """sigmoid(logits)."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return creation.bernoulli(self.probs.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value.to(logits.dtype),
                                                 reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """tensor([0., 1.]) shaped (2, 1, ..., 1), expanded to (2,) + batch_shape."""
        values = creation.tensor([0.0, 1.0], dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((2,) + (1,) * len(self._batch_shape))
        return values.expand((2,) + tuple(self._batch_shape)) if expand else values
