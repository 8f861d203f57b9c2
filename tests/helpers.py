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
