"""nn.utils.stateless (PyTorch: deprecated since 2.0 in favour of torch.func.functional_call,
which is the same function; PyTorch's alias also warns, this one does not)."""

from tinygrad_edu.func import functional_call

__all__ = ["functional_call"]
