"""tinygrad_edu.utils: helpers around the core (PyTorch: torch.utils). `utils.data` is the
data-loading package."""

from . import data

__all__ = ["data"]
