"""Categorical and OneHotCategorical: one of K classes, with probabilities along the last dim."""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import (
    Distribution,
    ShapeLike,
    broadcast_shapes,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from tinygrad_edu.nn.functional import one_hot
from tinygrad_edu.tensor import Size, Tensor


class Categorical(Distribution):
    r"""Categorical over {0, ..., K-1}: `probs` (..., K) or `logits` (..., K), exactly one.

    Either is normalised along the last dim: probs / probs.sum(-1), and
    logits - logsumexp(logits) (so logits are log-probabilities afterwards). batch_shape is
    the shape without the last dim; a sample is an int64 class index.

        log_prob(k) = logits[..., k]
        entropy     = -sum_k p_k log p_k

    mean and variance are nan, as in PyTorch (class labels have no order); mode is argmax.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        """log p, p clamped to [eps, 1 - eps]."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        """softmax(logits, -1)."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return creation.full(self._extended_shape(), math.nan, dtype=self.probs.dtype,
                             device=self.probs.device)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return creation.full(self._extended_shape(), math.nan, dtype=self.probs.dtype,
                             device=self.probs.device)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """Class indices of shape sample_shape + batch_shape (multinomial with replacement,
        one row of K probabilities per distribution)."""
        sample_shape = Size(sample_shape)
        count = 1
        for size in sample_shape:
            count *= size
        with no_grad():
            rows = self.probs.reshape(-1, self._num_events)
            draws = creation.multinomial(rows, count, True)  # (rows, count)
            return draws.t().reshape(self._extended_shape(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = broadcast_shapes(value.shape[:-1], self.logits.shape[:-1])
        logits = self.logits.expand(tuple(shape) + (self._num_events,))
        return logits.gather(-1, value.expand(tuple(shape) + (1,))).squeeze(-1)

    def entropy(self) -> Tensor:
        # logits of a zero probability are -inf; 0 * -inf is nan, so clamp them first
        logits = self.logits.clamp(min=dtypes.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, ..., K-1 shaped (K, 1, ..., 1), expanded to (K,) + batch_shape."""
        values = creation.arange(self._num_events, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class OneHotCategorical(Distribution):
    r"""A Categorical whose samples are one-hot vectors of length K (event_shape (K,)).

        log_prob(x) = log p[argmax x];  mean = p;  variance = p (1 - p);
        mode = one_hot(argmax p)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        if probs is not None:
            self.probs = self._categorical.probs
        else:
            self.logits = self._categorical.logits
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @lazy_property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        probs = self._categorical.probs
        return one_hot(probs.argmax(-1), probs.shape[-1]).to(probs.dtype)

    @property
    def variance(self) -> Tensor:
        probs = self._categorical.probs
        return probs * (1 - probs)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return one_hot(indices, probs.shape[-1]).to(probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors, shaped (K, 1, ..., 1, K), expanded over batch_shape."""
        count = self._categorical.param_shape[-1]
        probs = self._categorical.probs
        values = creation.eye(count, dtype=probs.dtype, device=probs.device)
        values = values.reshape((count,) + (1,) * len(self._batch_shape) + (count,))
        if expand:
            values = values.expand((count,) + tuple(self._batch_shape) + (count,))
        return values
