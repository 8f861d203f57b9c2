"""Adamax: Adam with the infinity norm of past gradients in place of their root mean square."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import composite, creation
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import (
    Optimizer,
    Params,
    advance,
    check_adam_arguments,
    evaluate,
    new_step_count,
)
from tinygrad_edu.optim.tensor_update import addcdiv_, check_unsupported, lerp_, signed_gradient


class Adamax(Optimizer):
    r"""Adamax (PyTorch's `torch.optim.Adamax`).

    For each parameter p with gradient g, at step t = 1, 2, ... (lr γ, betas β1 β2,
    weight decay λ):

        g ← -g                                 if maximize
        g ← g + λ p                            if λ ≠ 0
        m ← β1 m + (1 - β1) g                  first moment      (state["exp_avg"])
        u ← max(β2 u, |g| + ε)                 infinity norm     (state["exp_inf"])
        p ← p - γ / (1 - β1^t) · m / u

    u decays like Adam's second moment but takes the largest recent |g| instead of a mean
    of g², so it needs no bias correction (and no square root). ε is added to |g| before
    the maximum, so u > 0 from the first step.

    No fused kernel: the update is a few Tensor ops under no_grad on the parameter's device
    (each op one compiled kernel), writing into the parameter and the state in place.
    `foreach` is accepted for PyTorch compatibility.
    """

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        check_unsupported(capturable, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adamax update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = float(group["lr"]), group["eps"], group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["exp_avg"] = creation.zeros_like(param)
                    state["exp_inf"] = creation.zeros_like(param)
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                t = advance(state["step"])
                grad = signed_gradient(param, group["maximize"])
                if weight_decay != 0:
                    grad = grad.add(param, alpha=weight_decay)
                lerp_(exp_avg, grad, 1 - beta1)
                exp_inf.copy_(composite.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
                addcdiv_(param, exp_avg, exp_inf, -(lr / (1 - beta1 ** t)))
        return loss
