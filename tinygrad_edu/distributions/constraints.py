"""Constraints: which values a parameter or a sample may take (PyTorch's `constraints`).

A constraint answers one question, `check(value)`: a bool tensor saying, element by element
(or event by event), whether `value` is allowed. A distribution uses them twice:

    arg_constraints  {"loc": real, "scale": positive}: checked in __init__ when validating
    support          where samples live (real, boolean, simplex, ...): checked in log_prob

Their reprs are PyTorch's (`GreaterThan(lower_bound=0.0)`), so error messages read the same.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu.tensor import Tensor


class Constraint:
    """The base class: `check(value)` returns a bool tensor of value's batch shape.

    is_discrete: the values are integers (Bernoulli, Categorical); event_dim: how many
    rightmost dims make one event (0 for real, 1 for simplex, 2 for lower_cholesky).
    """

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        raise TypeError(f"{type(self).__name__} has no check")  # every subclass defines it

    def __repr__(self) -> str:
        return _name(self) + "()"


class _Dependent(Constraint):
    """A placeholder for a constraint that depends on other parameters: never checked."""

    def check(self, value: Tensor) -> Tensor:
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint: Constraint) -> bool:
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    """Any real number that is not NaN (x == x is False only for NaN)."""

    def check(self, value: Tensor) -> Tensor:
        return value == value


class _Boolean(Constraint):
    """0 or 1 (Bernoulli's support)."""

    is_discrete = True

    def check(self, value: Tensor) -> Tensor:
        return (value == 0) | (value == 1)


class _GreaterThan(Constraint):
    """lower_bound < x."""

    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Tensor) -> Tensor:
        return self.lower_bound < value

    def __repr__(self) -> str:
        return f"{_name(self)}(lower_bound={_show(self.lower_bound)})"


class _GreaterThanEq(_GreaterThan):
    """lower_bound <= x."""

    def check(self, value: Tensor) -> Tensor:
        return self.lower_bound <= value


class _LessThan(Constraint):
    """x < upper_bound."""

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Tensor) -> Tensor:
        return value < self.upper_bound

    def __repr__(self) -> str:
        return f"{_name(self)}(upper_bound={_show(self.upper_bound)})"


class _Interval(Constraint):
    """lower_bound <= x <= upper_bound."""

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def check(self, value: Tensor) -> Tensor:
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return (f"{_name(self)}(lower_bound={_show(self.lower_bound)}, "
                f"upper_bound={_show(self.upper_bound)})")


class _HalfOpenInterval(_Interval):
    """lower_bound <= x < upper_bound (Uniform's support)."""

    def check(self, value: Tensor) -> Tensor:
        return (self.lower_bound <= value) & (value < self.upper_bound)


class _IntegerInterval(_Interval):
    """Whole numbers lower_bound, ..., upper_bound (Categorical's support)."""

    is_discrete = True

    def check(self, value: Tensor) -> Tensor:
        whole = value.remainder(1) == 0
        return whole & (self.lower_bound <= value) & (value <= self.upper_bound)


class _Simplex(Constraint):
    """Vectors of non-negative entries that sum to 1 (within 1e-6) along the last dim."""

    event_dim = 1

    def check(self, value: Tensor) -> Tensor:
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _OneHot(Constraint):
    """Vectors of 0s and 1s with exactly one 1 (OneHotCategorical's support)."""

    is_discrete = True
    event_dim = 1

    def check(self, value: Tensor) -> Tensor:
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _LowerCholesky(Constraint):
    """Lower-triangular square matrices with a positive diagonal (a Cholesky factor)."""

    event_dim = 2

    def check(self, value: Tensor) -> Tensor:
        lower = (value.tril() == value).all(-1).all(-1)
        positive = (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)
        return lower & positive


class _PositiveDefinite(Constraint):
    """Symmetric matrices whose Cholesky factorisation exists (all pivots positive)."""

    event_dim = 2

    def check(self, value: Tensor) -> Tensor:
        from tinygrad_edu.distributions.multivariate_normal import cholesky_pivots

        symmetric = ((value - value.mT).abs() <= 1e-6 * (1 + value.abs())).all(-1).all(-1)
        return symmetric & cholesky_pivots(value).all(-1)


class _IndependentConstraint(Constraint):
    """A base constraint on each element, required of every element of the last
    `reinterpreted_batch_ndims` dims at once (so it checks whole events)."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims

    def check(self, value: Tensor) -> Tensor:
        result = self.base_constraint.check(value)
        for _ in range(self.reinterpreted_batch_ndims):
            result = result.all(-1)
        return result

    def __repr__(self) -> str:
        return (f"IndependentConstraint({self.base_constraint!r}, "
                f"{self.reinterpreted_batch_ndims})")


def _name(constraint: Constraint) -> str:
    """The class name without its leading underscore: _GreaterThan -> GreaterThan."""
    return type(constraint).__name__.lstrip("_")


def _show(bound: Any) -> Any:
    """A bound as PyTorch prints it: a number, or a one-element tensor as its number."""
    if isinstance(bound, Tensor) and bound.numel() == 1:
        return bound.item()
    return bound


# the public names, as PyTorch spells them (instances where the constraint has no argument)
dependent = _Dependent()
real = _Real()
boolean = _Boolean()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
real_vector = _IndependentConstraint(real, 1)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
integer_interval = _IntegerInterval
independent = _IndependentConstraint

__all__ = ["Constraint", "boolean", "dependent", "greater_than", "greater_than_eq",
           "half_open_interval", "independent", "integer_interval", "interval", "is_dependent",
           "less_than", "lower_cholesky", "nonnegative", "one_hot", "positive",
           "positive_definite", "real", "real_vector", "simplex", "unit_interval"]
