"""Test-suite setup that must happen before any test module imports numba.cuda.

- No NVIDIA GPU (no /dev/nvidia0 and `nvidia-smi -L` fails or is missing): run numba.cuda
  kernels on Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1), so `gpu` tests still run.
- MPLBACKEND=Agg: figures are written to files, never shown.
- TINYGRAD_EDU_FAST=1: tutorials and examples shrink their data and epochs.
setdefault everywhere: a value you export yourself wins.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def _has_nvidia_gpu() -> bool:
    """True if this machine shows an NVIDIA GPU (device node, or nvidia-smi lists one)."""
    if os.path.exists("/dev/nvidia0"):
        return True
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        result = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and "GPU" in result.stdout


if not _has_nvidia_gpu():
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TINYGRAD_EDU_FAST", "1")


@pytest.fixture
def torch():
    """The torch module, or skip the test when PyTorch is not installed (tests/helpers.py has
    the same as a function, `require_torch()`, for use outside fixtures)."""
    return pytest.importorskip("torch", reason="PyTorch not installed")
