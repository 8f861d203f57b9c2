"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import Optimizer, Params, advance, evaluate, new_step_count
from tinygrad_edu.optim.tensor_update import addcmul_, check_unsupported, signed_gradient


class Adadelta(Optimizer):
    r"""Adadelta (PyTorch's `torch.optim.Adadelta`).

    For each parameter p with gradient g, every step (lr γ, decay ρ, weight decay λ):

        g ← -g                                 if maximize
        g ← g + λ p                            if λ ≠ 0
        v ← ρ v + (1 - ρ) g²                   mean square of g       (state["square_avg"])
        Δ ← √(u + ε) / √(v + ε) · g            the update, before γ
        u ← ρ u + (1 - ρ) Δ²                   mean square of Δ       (state["acc_delta"])
        p ← p - γ Δ

    The ratio √(u + ε) / √(v + ε) carries the units of p, so the default γ = 1 works without
    tuning; at the start u = 0 and the steps are about √ε / |g| · g, small, and grow as
    the updates accumulate.

    No fused kernel: the update is a few Tensor ops under no_grad on the parameter's device
    (each op one compiled kernel), writing into the parameter and the state in place.
    `foreach` is accepted for PyTorch compatibility.
    """

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        check_unsupported(capturable, differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adadelta update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
            weight_decay = group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["square_avg"] = creation.zeros_like(param)
                    state["acc_delta"] = creation.zeros_like(param)
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                advance(state["step"])
                grad = signed_gradient(param, group["maximize"])
                if weight_decay != 0:
                    grad = grad.add(param, alpha=weight_decay)
                addcmul_(square_avg.mul_(rho), grad, grad, 1 - rho)
                std = square_avg.add(eps).sqrt()
                delta = acc_delta.add(eps).sqrt().div_(std).mul_(grad)
                addcmul_(acc_delta.mul_(rho), delta, delta, 1 - rho)
                param.add_(delta, alpha=-lr)
        return loss
