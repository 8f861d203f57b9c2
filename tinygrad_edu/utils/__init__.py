"""tinygrad_edu.utils: helpers around the core (PyTorch: torch.utils). `utils.data` is the
data-loading package; `utils.checkpoint` trades compute for memory (gradient checkpointing)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
