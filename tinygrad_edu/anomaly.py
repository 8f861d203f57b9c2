"""Anomaly detection (PyTorch: torch.autograd.detect_anomaly): find the node that made a nan.

A nan in a gradient spreads: one bad node and every leaf's .grad is nan, with no hint of
where it began. With anomaly mode on, backward looks at the gradients each node returns,
right after it returns them, and stops at the first node whose result holds a nan:

    with tinygrad_edu.autograd.detect_anomaly():
        loss.backward()   # RuntimeError: Function 'DivBackward0' returned nan values in
                          # its 1th output.

The check sits behind one module-level flag in autograd.py (`_anomaly_mode`), so the normal
backward pays one boolean test per node. Exposed as `tinygrad_edu.autograd.detect_anomaly`,
`set_detect_anomaly` and `is_anomaly_enabled`, as in PyTorch.
PyTorch: anomaly mode also records each node's forward traceback and prints it with the
error (and warns that it is slow); here only the failing node's name is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_edu import autograd

__all__ = ["detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly"]


def is_anomaly_enabled() -> bool:
    """True while backward checks every node's gradients for nan."""
    return autograd._anomaly_mode


def check_gradients(node: Any, input_grads: tuple) -> None:
    """Raise PyTorch's RuntimeError if one of the gradients `node` returned holds a nan.

    Called by autograd.run_backward, only in anomaly mode."""
    for index, grad in enumerate(input_grads):
        if grad is None or not grad.dtype.is_floating_point:
            continue
        if np.isnan(grad.detach().cpu().numpy()).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its "
                               f"{index}th output.")


class set_detect_anomaly:  # noqa: N801  (PyTorch's name)
    """Turn anomaly mode on or off: as a call, or a context manager that restores the
    previous mode on exit. `check_nan` is accepted, as in PyTorch (False: no check)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.previous = autograd._anomaly_mode
        autograd._anomaly_mode = bool(mode) and bool(check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> None:
        autograd._anomaly_mode = self.previous


class detect_anomaly:  # noqa: N801  (PyTorch's name)
    """A context manager (or decorator) that turns anomaly mode on inside it."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        self.previous = False

    def __enter__(self) -> None:
        self.previous = autograd._anomaly_mode
        autograd._anomaly_mode = self.check_nan

    def __exit__(self, *exc_info: Any) -> None:
        autograd._anomaly_mode = self.previous

    def __call__(self, function: Callable) -> Callable:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return function(*args, **kwargs)
        wrapped.__name__ = getattr(function, "__name__", "wrapped")
        wrapped.__doc__ = function.__doc__
        return wrapped


# torch.autograd.detect_anomaly: autograd is a module, so its names are set on it here
autograd.detect_anomaly = detect_anomaly
autograd.set_detect_anomaly = set_detect_anomaly
autograd.is_anomaly_enabled = is_anomaly_enabled
