"""Relaxed (Concrete, Gumbel-softmax) Bernoulli and one-hot Categorical: differentiable
stand-ins for discrete draws, sharpening towards them as the temperature goes to 0.

Each is two classes, as in PyTorch: a distribution of logits (LogitRelaxedBernoulli,
ExpRelaxedCategorical: numerically safe, real-valued) and the distribution of their image
(sigmoid, exp) on (0, 1) or the simplex. PyTorch builds the image as a
TransformedDistribution; this library has no transforms yet, so the change of variables
is written out: log p_Y(y) = log p_X(x) - log |dy/dx| at x = f⁻¹(y).
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.categorical import Categorical
from tinygrad_edu.distributions.distribution import (
    Distribution,
    ShapeLike,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_or_logits,
    probs_to_logits,
)
from tinygrad_edu.nn.functional import softplus
from tinygrad_edu.tensor import Size, Tensor


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps], so that log p and log(1 - p) stay finite."""
    eps = dtypes.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


class LogitRelaxedBernoulli(Distribution):
    r"""The logit of a RelaxedBernoulli: x = (logit p + log u - log(1 - u)) / τ, u ~ U(0, 1).

        log_prob(x) = log τ + d - 2 softplus(d),   d = logit p - τ x
    (PyTorch writes softplus(d) as log1p(exp(d)), which overflows to inf for d > ~710.)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.temperature = temperature
        self._param, shape = probs_or_logits(self, probs, logits)
        super().__init__(shape, validate_args=validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(creation.rand(shape, dtype=probs.dtype, device=probs.device))
        logistic = u.log() - (-u).log1p()  # a standard logistic draw
        return (logistic + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        difference = logits - value * self.temperature
        return self.temperature.log() + difference - 2 * softplus(difference)


class RelaxedBernoulli(Distribution):
    r"""RelaxedBernoulli(temperature τ, probs | logits) on (0, 1): y = sigmoid(x) with
    x ~ LogitRelaxedBernoulli. τ -> 0 gives Bernoulli(p); rsample is differentiable in p.

        log_prob(y) = LogitRelaxedBernoulli.log_prob(x) + softplus(-x) + softplus(x),
        x = logit(y)   (log sigmoid'(x) = -softplus(-x) - softplus(x))

    y is clamped to [tiny, 1 - eps] before the logit and samples to [eps, 1 - eps], as
    PyTorch's SigmoidTransform does. No mean or variance (PyTorch has none either).
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.base_dist = LogitRelaxedBernoulli(temperature, probs, logits,
                                               validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return clamp_probs(self.base_dist.rsample(sample_shape).sigmoid())

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        finfo = dtypes.finfo(value.dtype)
        y = value.clamp(min=finfo.tiny, max=1 - finfo.eps)
        x = y.log() - (-y).log1p()
        return self.base_dist.log_prob(x) + softplus(-x) + softplus(x)


class ExpRelaxedCategorical(Distribution):
    r"""The log of a RelaxedOneHotCategorical: x = log_softmax((logits + g) / τ), g Gumbel.

        log_prob(x) = lgamma(K) + (K - 1) log τ + sum_k (s_k - logsumexp(s)),
        s = logits - τ x
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        logits = self.logits
        u = clamp_probs(creation.rand(shape, dtype=logits.dtype, device=logits.device))
        gumbels = -(-u.log()).log()
        scores = (logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        count = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = math.lgamma(count) + (count - 1) * self.temperature.log()
        scores = logits - value * self.temperature
        return (scores - scores.logsumexp(dim=-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(Distribution):
    r"""RelaxedOneHotCategorical(temperature τ, probs | logits) on the simplex: y = exp(x)
    with x ~ ExpRelaxedCategorical (the Gumbel-softmax / Concrete distribution).

        log_prob(y) = ExpRelaxedCategorical.log_prob(log y) - sum_k log y_k

    rsample = exp(ExpRelaxedCategorical.rsample): softmax((logits + Gumbel noise) / τ),
    differentiable in the logits. No mean or variance (PyTorch has none either).
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.base_dist = ExpRelaxedCategorical(temperature, probs, logits,
                                               validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, self.base_dist.event_shape,
                         validate_args=validate_args)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_value = value.log()
        return self.base_dist.log_prob(log_value) - log_value.sum(-1)
