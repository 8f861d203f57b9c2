"""The arithmetic behind nn.utils.prune: checking `amount`, turning it into a count, and
building masks with NumPy (masks are 0/1 constants, outside the autograd graph)."""

import numbers
from typing import Any

import numpy as np

from tinygrad_edu.creation import tensor as _tensor
from tinygrad_edu.tensor import Tensor


def _validate_pruning_amount_init(amount: Any) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (amount > 1.0 or amount < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _validate_pruning_amount(amount: Any, tensor_size: int) -> None:
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to "
                         f"prune={tensor_size}")


def _compute_nparams_toprune(amount: Any, tensor_size: int) -> int:
    """An int is a count; a float a fraction of tensor_size, rounded to the nearest int."""
    if isinstance(amount, numbers.Integral):
        return int(amount)
    return round(amount * tensor_size)


def _validate_structured_pruning(t: Any) -> None:
    if t.ndim <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {tuple(t.shape)} with {t.ndim} dims")


def _np(t: Tensor) -> np.ndarray:
    """A CPU NumPy copy of t's values (masks are computed off the autograd graph)."""
    return np.array(t.detach().cpu().numpy())


def _like(array: np.ndarray, like: Tensor) -> Tensor:
    """A new tensor from array with like's dtype and device."""
    return _tensor(np.ascontiguousarray(array), dtype=like.dtype, device=like.device)


def _rng_uniform(size: int) -> np.ndarray:
    """size uniform numbers drawn from the library's global generator (manual_seed works)."""
    from tinygrad_edu.creation import rand
    return rand(size, dtype=None).numpy().astype(np.float64) if size else np.zeros(0)


def _smallest(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest scores; ties: the lower index first (stable sort)."""
    return np.argsort(scores, kind="stable")[:k]


def _channel_norms(t: np.ndarray, n: Any, dim: int) -> np.ndarray:
    """The n-norm of each slice t[..., i, ...] along dim (one number per channel)."""
    moved = np.moveaxis(t, dim, 0).reshape(t.shape[dim], -1)
    if n == "fro":
        n = 2
    return np.linalg.norm(moved, ord=n, axis=1)


def _structured_mask(keep: np.ndarray, dim: int, t: Tensor, default_mask: Tensor) -> Tensor:
    """Ones on the kept slices along dim, zeros elsewhere, times the mask so far."""
    mask = np.zeros(tuple(t.shape))
    index = [slice(None)] * t.ndim
    index[dim] = np.sort(keep)
    mask[tuple(index)] = 1
    return _like(mask * _np(default_mask), default_mask)
