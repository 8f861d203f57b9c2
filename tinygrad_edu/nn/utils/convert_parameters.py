"""One flat vector from many parameters, and back (for optimisers that want a vector)."""

from collections.abc import Iterable

from tinygrad_edu.movement import cat
from tinygrad_edu.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """cat([p.view(-1) for p in parameters]): all on one device (PyTorch's check)."""
    device = None
    flat = []
    for parameter in parameters:
        device = _check_same_device(parameter, device)
        flat.append(parameter.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the next slice of vec (they share vec's memory, as in
    PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    start = 0
    for parameter in parameters:
        device = _check_same_device(parameter, device)
        count = parameter.numel()
        parameter.data = vec[start:start + count].view_as(parameter).data
        start += count


def _check_same_device(parameter: Tensor, device: object) -> object:
    if device is None:
        return parameter.device
    if parameter.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return device
