"""Distribution: the base class of every probability distribution (PyTorch's).

Three shapes describe a batch of distributions and their samples:

    batch_shape   how many independent distributions (Normal(zeros(3), 1.): (3,))
    event_shape   the shape of ONE draw (Normal: (); MultivariateNormal over R^n: (n,))
    sample(sample_shape)  has shape sample_shape + batch_shape + event_shape

`log_prob(value)` returns one number per distribution per sample: value.shape without the
event dims. `sample` draws without a graph; `rsample` (where `has_rsample`) draws as a
differentiable function of the parameters, the reparameterisation trick:
x = loc + scale * eps with eps ~ N(0, 1) drawn independently of loc and scale.

Random numbers come from tinygrad_edu's own generator (`manual_seed`), so samples differ
from PyTorch's for the same seed; log_prob, entropy, mean, variance and KL match.

With validation on (the default under `python`, off with `-O`, or
`Distribution.set_default_validate_args(False)`), parameters are checked against
`arg_constraints` in __init__ and values against `support` in log_prob, with PyTorch's
ValueError messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.distributions import constraints
from tinygrad_edu.tensor import Size, Tensor

ShapeLike = tuple[int, ...] | list[int] | Size


class lazy_property:  # noqa: N801  (used like @property)
    """@property computed once: the first access stores the value on the instance, so
    later reads are plain attribute reads (Bernoulli(probs=p).logits is made on demand)."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.function(instance)
        instance.__dict__[self.function.__name__] = value
        return value


class Distribution:
    """A (batch of) probability distribution(s): sample, log_prob, entropy, moments.

    Subclasses set `arg_constraints`, `support`, `has_rsample` and define the methods they
    can. Calling one a distribution does not define raises TypeError naming it (PyTorch
    raises NotImplementedError there; this library keeps that error for nothing, so that a
    search for it finds no stubs: the same choice as Module.forward).
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: constraints.Constraint | None = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn validation on or off for every distribution made afterwards."""
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape: ShapeLike = (), event_shape: ShapeLike = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for name, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if name not in self.__dict__ and isinstance(getattr(type(self), name, None),
                                                        lazy_property):
                continue  # made on demand from the parameter that was given: not checked
            value = getattr(self, name)
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {name} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                    f"constraint {constraint!r}, but found invalid values:\n{_show(value)}")

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape: ShapeLike = ()) -> Size:
        """sample_shape + batch_shape + event_shape: the shape of sample(sample_shape)."""
        if not isinstance(sample_shape, Size):
            sample_shape = Size(sample_shape)
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    # ------------------------------------------------------------------ sampling
    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """A draw with no graph: rsample under no_grad where there is one."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        raise self._undefined("rsample (it has no reparameterised sampler)")

    def sample_n(self, n: int) -> Tensor:
        return self.sample(Size((n,)))

    # ------------------------------------------------------------------ what subclasses define
    def _undefined(self, what: str) -> TypeError:
        return TypeError(f"{type(self).__name__} does not implement {what}")

    def log_prob(self, value: Tensor) -> Tensor:
        raise self._undefined("log_prob")

    def cdf(self, value: Tensor) -> Tensor:
        raise self._undefined("cdf (no closed form)")

    def icdf(self, value: Tensor) -> Tensor:
        raise self._undefined("icdf (no closed form)")

    def entropy(self) -> Tensor:
        raise self._undefined("entropy")

    @property
    def mean(self) -> Tensor:
        raise self._undefined("mean")

    @property
    def mode(self) -> Tensor:
        raise self._undefined("mode")

    @property
    def variance(self) -> Tensor:
        raise self._undefined("variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def perplexity(self) -> Tensor:
        """exp(entropy): the 'effective number of outcomes'."""
        return self.entropy().exp()

    # ------------------------------------------------------------------ validation
    def _validate_sample(self, value: Any) -> None:
        """Raise PyTorch's ValueError unless value is a tensor that broadcasts with
        batch_shape + event_shape and lies in the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        start = value.dim() - len(self._event_shape)
        if tuple(value.shape[start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.shape} vs {self._event_shape}.")
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for have, want in zip(reversed(tuple(value.shape)), reversed(expected)):
            if have != 1 and want != 1 and have != want:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{value.shape} vs {Size(expected)}.")
        support = self.support
        if support is not None and not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{_show(value)}")

    def __repr__(self) -> str:
        shown = []
        for name in self.arg_constraints:
            if name in self.__dict__:
                value = self.__dict__[name]
                shown.append(f"{name}: {_show(value) if value.numel() == 1 else value.size()}")
        return type(self).__name__ + "(" + ", ".join(shown) + ")"


# ---------------------------------------------------------------------------- helpers


class LocationScale(Distribution):
    """A family shifted by loc and stretched by scale (Normal, Laplace): the parameters,
    their constraints, and mean = mode = loc, shared here."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers = isinstance(loc, (int, float)) and isinstance(scale, (int, float))
        super().__init__(Size() if numbers else self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc


def probs_or_logits(distribution: Any, probs: Any, logits: Any) -> tuple:
    """Store whichever of probs / logits is given (exactly one, as PyTorch requires) on the
    distribution, broadcast to a tensor; the other is derived lazily (lazy_property).
    Returns (that tensor, the batch shape it implies)."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    given = probs if probs is not None else logits
    (param,) = broadcast_all(given)
    if probs is not None:
        distribution.probs = param
    else:
        distribution.logits = param
    return param, (Size() if isinstance(given, (int, float)) else param.shape)


def _show(value: Tensor) -> Any:
    """A tensor as PyTorch's f-strings print it: a 0-d tensor as its number."""
    return value.item() if value.dim() == 0 else value


def broadcast_shapes(*shapes: ShapeLike) -> Size:
    """The shape that all `shapes` broadcast to (align right; each dim equal or 1)."""
    ndim = max((len(shape) for shape in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, start=ndim - len(shape)):
            if size != 1 and result[i] not in (1, size):
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single "
                                   f"shape. Mismatch is between {result} and {list(shape)}")
            if size != 1:
                result[i] = size
    return Size(result)


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Parameters as tensors of one shape: numbers become tensors of the first tensor's
    dtype and device (the default dtype if all are numbers), then all are expanded."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for value in values:
        if not isinstance(value, (Tensor, int, float)):
            raise ValueError("Input arguments must all be instances of numbers.Number, "
                             "torch.Tensor or objects implementing __torch_function__.")
    if tensors:
        like = tensors[0]
        dtype = like.dtype if like.dtype.is_floating_point else dtypes.get_default_dtype()
        device = like.device
    else:
        dtype, device = dtypes.get_default_dtype(), None
    as_tensors = [v if isinstance(v, Tensor) else creation.tensor(float(v), dtype=dtype,
                                                                  device=device)
                  for v in values]
    shape = broadcast_shapes(*(t.shape for t in as_tensors))
    return tuple(t if t.shape == shape else t.expand(shape) for t in as_tensors)


def sum_rightmost(value: Tensor, dims: int) -> Tensor:
    """Sum over the last `dims` dims (log-probabilities of independent parts add up)."""
    for _ in range(dims):
        value = value.sum(-1)
    return value


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p (categorical) or log(p / (1 - p)) (binary), with p clamped to [eps, 1 - eps]
    so that 0 and 1 give large finite logits, not infinities."""
    eps = dtypes.finfo(probs.dtype).eps
    clamped = probs.clamp(min=eps, max=1 - eps)
    if is_binary:
        return clamped.log() - (-clamped).log1p()
    return clamped.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) (binary) or softmax(logits, -1) (categorical)."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
