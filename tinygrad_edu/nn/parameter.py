"""Parameter: a Tensor that a Module registers as learnable when assigned as an attribute.

`Parameter(t)` shares t's memory (no copy), is a leaf, and requires grad by default, as in
PyTorch: `nn.Parameter(torch.zeros(3))` is the usual way to make one.
"""

from typing import Any

from tinygrad_edu import autograd, creation
from tinygrad_edu.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with requires_grad=True (by default) over the given tensor's storage."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> "Parameter":
        if data is None:
            data = creation.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, got {type(data).__name__}")
        parameter = object.__new__(cls)
        # Alias data's storage and geometry, as Tensor._set_from does (`param.data = t`);
        # the fresh object gets empty autograd fields: a leaf with no grad yet.
        parameter._set_from(data.detach())
        if requires_grad:  # with the factories' wording, as PyTorch ("Only Tensors ...")
            parameter._set_requires_grad(True, creation.INTEGER_REQUIRES_GRAD)
        return parameter

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__ (Tensor.__init__ would build a new tensor)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> "Parameter":
        """A new Parameter over a copy of the memory (PyTorch's behaviour for deepcopy)."""
        if id(self) in memo:
            return memo[id(self)]
        with autograd.no_grad():
            result = Parameter(self.detach().clone(), self.requires_grad)
        if self.grad is not None:
            result.grad = self.grad.detach().clone()
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self.detach().cpu().numpy().copy(), self.requires_grad,
                                     str(self.device)))


def _rebuild_parameter(array: Any, requires_grad: bool, device: str) -> Parameter:
    """Unpickle a Parameter (as `copy.copy` and multiprocessing do)."""
    return Parameter(creation.tensor(array, device=device), requires_grad)
