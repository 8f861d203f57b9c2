"""Toy 2-D sets: shapes, dtypes, class balance, geometry, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu.datasets_toy import make_circles, make_moons, make_spirals

MAKERS = [make_moons, make_circles, make_spirals]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_shapes_and_types(make, n: int) -> None:
    X, y = make(n)
    assert X.shape == (n, 2) and X.dtype == np.float32, (X.shape, X.dtype)
    assert y.shape == (n,) and y.dtype == np.int64, (y.shape, y.dtype)
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make", MAKERS)
def test_seeded_and_reproducible(make) -> None:
    X1, y1 = make(50, seed=3, noise=0.1)
    X2, y2 = make(50, seed=3, noise=0.1)
    X3, _ = make(50, seed=4, noise=0.1)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3), "different seeds gave the same data"


def test_class_balance() -> None:
    assert np.bincount(make_moons(101)[1]).tolist() == [50, 51]
    assert np.bincount(make_circles(10)[1]).tolist() == [5, 5]
    assert np.bincount(make_spirals(100, n_classes=3)[1]).tolist() == [34, 33, 33]
    assert np.bincount(make_spirals(40, n_classes=4)[1]).tolist() == [10] * 4


def test_geometry_without_noise() -> None:
    X, y = make_circles(200, factor=0.5)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.5, rtol=1e-6)
    X, y = make_moons(200, shuffle=False)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0, rtol=1e-6)
    assert (y[:100] == 0).all() and (y[100:] == 1).all(), "shuffle=False must keep class order"
    X, _ = make_spirals(90, noise=0.0)
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-6


def test_dtype_option_and_errors() -> None:
    assert make_moons(4, dtype=np.float64)[0].dtype == np.float64
    with pytest.raises(ValueError, match="noise"):
        make_moons(4, noise=-1.0)
    with pytest.raises(ValueError, match="factor"):
        make_circles(4, factor=1.5)
    with pytest.raises(ValueError, match="n_classes"):
        make_spirals(4, n_classes=0)
    with pytest.raises(ValueError, match="n_samples"):
        make_spirals(-1)
