"""Small helpers shared by the tests (the `tests/` folder is on sys.path under pytest)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest


def require_torch() -> ModuleType:
    """Return the torch module, or skip the calling test: PyTorch is an optional oracle."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        pytest.skip("PyTorch not installed")


def cuda_imports() -> bool:
    """True if the CUDA backend imports (a real GPU, or Numba's simulator as conftest.py sets)."""
    try:
        importlib.import_module("kernels.cuda")
    except Exception:
        return False
    return True


# the devices that the op suites run on; cuda tests carry the `gpu` marker
DEVICES = ["cpu"] + ([pytest.param("cuda", marks=pytest.mark.gpu)] if cuda_imports() else [])
