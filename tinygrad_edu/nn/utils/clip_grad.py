"""Gradient clipping, applied in place to the .grad of parameters after backward()."""

import math
from collections.abc import Iterable

from tinygrad_edu import autograd
from tinygrad_edu import composite as C
from tinygrad_edu.creation import tensor as make_tensor
from tinygrad_edu.movement import stack
from tinygrad_edu.tensor import Tensor

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(parameters: TensorOrTensors) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of all tensors taken together as one vector: (sum_t ||t||_p^p)^(1/p), or the
    largest |element| for p = inf."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return make_tensor(0.0)
    with autograd.no_grad():
        norms = [C.norm(t.detach(), norm_type).to(tensors[0].device) for t in tensors]
        total = C.norm(stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return total


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale all gradients by min(1, max_norm / (total_norm + 1e-6)), total_norm the norm
    of all gradients as one vector; returns total_norm (before clipping)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    if not grads:
        return total
    with autograd.no_grad():
        coefficient = C.clamp(C.div(max_norm, C.add(total, 1e-6)), max=1.0)
        for grad in grads:
            grad.mul_(coefficient.to(grad.device, grad.dtype))
    return total


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with autograd.no_grad():
        for parameter in _as_list(parameters):
            if parameter.grad is not None:
                parameter.grad.clamp_(-clip_value, clip_value)
