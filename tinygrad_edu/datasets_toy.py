"""Toy 2-D classification sets, generated in code (NumPy only), for the scalar tutorials.

Each function returns `(X, y)`: `X` a float array of shape (n_samples, 2), `y` an int64 array of
shape (n_samples,) with class labels 0..k-1. Every call is reproducible: the random numbers come
from `numpy.random.default_rng(seed)`, never from global state. The shapes follow scikit-learn's
`make_moons` / `make_circles` (same geometry, different random streams) and CS231n's spirals.

This module imports neither Tensor nor Numba, so a tutorial on `Value` can use it alone.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["make_circles", "make_moons", "make_spirals"]


def _split_counts(n_samples: int, n_classes: int) -> list[int]:
    """Split n_samples over classes as evenly as possible (the first ones get the remainder)."""
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    base, extra = divmod(n_samples, n_classes)
    return [base + (1 if k < extra else 0) for k in range(n_classes)]


def _finish(
    points: list[np.ndarray],
    rng: np.random.Generator,
    noise: float,
    shuffle: bool,
    dtype: DTypeLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-class point arrays, add N(0, noise^2) jitter, optionally shuffle, cast."""
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    X = np.concatenate(points, axis=0) if points else np.zeros((0, 2))
    y = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(points)])
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    return X.astype(dtype), y


def make_moons(
    n_samples: int = 100,
    *,
    noise: float = 0.0,
    shuffle: bool = True,
    seed: int = 0,
    dtype: DTypeLike = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0: (cos t, sin t) for t in linspace(0, pi); class 1: (1 - cos t, 1/2 - sin t).
    Class 0 gets n_samples // 2 points, class 1 the rest; then Gaussian noise of std `noise`.
    """
    n_out, n_in = n_samples // 2, n_samples - n_samples // 2
    rng = np.random.default_rng(seed)
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    return _finish([outer, inner], rng, noise, shuffle, dtype)


def make_circles(
    n_samples: int = 100,
    *,
    noise: float = 0.0,
    factor: float = 0.8,
    shuffle: bool = True,
    seed: int = 0,
    dtype: DTypeLike = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius `factor`) inside a unit circle (class 0).

    Points at angles linspace(0, 2 pi) without the endpoint; class 0 gets n_samples // 2.
    """
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor must be in [0, 1), got {factor}")
    n_out, n_in = n_samples // 2, n_samples - n_samples // 2
    rng = np.random.default_rng(seed)
    t_out = np.linspace(0.0, 2.0 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2.0 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    return _finish([outer, inner], rng, noise, shuffle, dtype)


def make_spirals(
    n_samples: int = 300,
    *,
    n_classes: int = 3,
    noise: float = 0.2,
    turns: float = 0.65,
    shuffle: bool = True,
    seed: int = 0,
    dtype: DTypeLike = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n "spiral" set).

    Arm k: radius r = linspace(0, 1, m), angle a = 2 pi (k / n_classes + turns * r)
    + N(0, noise^2) angular jitter; point = (r sin a, r cos a). Not linearly separable.
    """
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    arms = []
    for k, count in enumerate(_split_counts(n_samples, n_classes)):
        radius = np.linspace(0.0, 1.0, count)
        angle = 2.0 * np.pi * (k / n_classes + turns * radius)
        angle = angle + rng.normal(0.0, noise, size=count) if noise > 0 else angle
        arms.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
    # the jitter is angular (already applied), so no extra Cartesian noise here
    return _finish(arms, rng, 0.0, shuffle, dtype)
