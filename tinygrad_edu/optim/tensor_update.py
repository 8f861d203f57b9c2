"""In-place building blocks for optimizers written with Tensor operations (no fused kernel).

Adamax, NAdam, RAdam and Adadelta update each parameter with ordinary Tensor ops under
`no_grad`, on the parameter's device: every op is one compiled kernel, so an update is a
handful of kernels (each reads and writes the whole tensor) instead of the one fused kernel
that Adam or SGD use. PyTorch's `lerp_`, `addcmul_` and `addcdiv_` are spelled out here with
the same order of operations as its CPU kernels, so the results agree to rounding.
"""

from __future__ import annotations

from tinygrad_edu.tensor import Tensor


def lerp_(start: Tensor, end: Tensor, weight: float) -> Tensor:
    """start ← start + weight (end - start), in place (PyTorch's `start.lerp_(end, weight)`).

    Like PyTorch, a weight of 0.5 or more is computed from the other end,
    end - (end - start)(1 - weight), which is more accurate when the weight is near 1.
    """
    if weight < 0.5:
        return start.add_(end.sub(start).mul_(weight))
    return start.copy_(end.sub(end.sub(start).mul_(1 - weight)))


def addcmul_(target: Tensor, a: Tensor, b: Tensor, value: float) -> Tensor:
    """target ← target + value · a · b, in place (PyTorch's `target.addcmul_(a, b, value=)`)."""
    return target.add_(a.mul(value).mul_(b))


def addcdiv_(target: Tensor, a: Tensor, b: Tensor, value: float) -> Tensor:
    """target ← target + value · a / b, in place (PyTorch's `target.addcdiv_(a, b, value=)`)."""
    return target.add_(a.mul(value).div_(b))


def signed_gradient(param: Tensor, maximize: bool) -> Tensor:
    """The parameter's gradient, negated (as a new tensor) to climb instead of descend."""
    grad = param.grad
    return grad.neg() if maximize else grad


def check_unsupported(capturable: bool, differentiable: bool) -> None:
    """tinygrad_edu keeps no CUDA graphs and does not differentiate through a step."""
    if capturable or differentiable:
        raise ValueError("capturable=True and differentiable=True are not supported by "
                         "tinygrad_edu")

