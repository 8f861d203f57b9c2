"""RAdam: Adam whose adaptive step is switched on gradually, as v becomes reliable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import (
    Optimizer,
    Params,
    advance,
    check_adam_arguments,
    evaluate,
    new_step_count,
)
from tinygrad_edu.optim.tensor_update import addcmul_, check_unsupported, lerp_, signed_gradient


class RAdam(Optimizer):
    r"""RAdam, rectified Adam (PyTorch's `torch.optim.RAdam`).

    For each parameter p with gradient g, at step t = 1, 2, ... (lr γ, betas β1 β2,
    weight decay λ):

        g ← -g                                   if maximize
        p ← p (1 - γ λ)                          if λ ≠ 0 and decoupled_weight_decay
        g ← g + λ p                              if λ ≠ 0 otherwise (L2 penalty)
        m ← β1 m + (1 - β1) g                    first moment   (state["exp_avg"])
        v ← β2 v + (1 - β2) g²                   second moment  (state["exp_avg_sq"])
        m̂ ← m / (1 - β1^t)
        ρ∞ ← 2 / (1 - β2) - 1
        ρ_t ← ρ∞ - 2 t β2^t / (1 - β2^t)         how many gradients v effectively averages
        if ρ_t > 5:
            r ← √((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t))    rectification, < 1
            p ← p - m̂ γ · √(1 - β2^t) / (√v + ε) · r
        else:
            p ← p - γ m̂                          SGD with momentum while v is too noisy

    Early on v averages only a few g², so Adam's 1/√v step would have a large variance;
    RAdam takes plain momentum steps until ρ_t > 5 (about 6 steps for β2 = 0.999) and then
    scales the adaptive step by r, which grows towards 1.

    No fused kernel: the update is a few Tensor ops under no_grad on the parameter's device
    (each op one compiled kernel), writing into the parameter and the state in place.
    `foreach` is accepted for PyTorch compatibility.
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        check_unsupported(capturable, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RAdam update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = float(group["lr"]), group["eps"], group["weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["exp_avg"] = creation.zeros_like(param)
                    state["exp_avg_sq"] = creation.zeros_like(param)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                t = advance(state["step"])
                grad = signed_gradient(param, group["maximize"])
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(param, alpha=weight_decay)
                lerp_(exp_avg, grad, 1 - beta1)
                addcmul_(exp_avg_sq.mul_(beta2), grad, grad, 1 - beta2)
                bias_correction2 = 1 - beta2 ** t
                update = exp_avg.div(1 - beta1 ** t).mul_(lr)
                rho_t = rho_inf - 2 * t * beta2 ** t / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive_lr = bias_correction2 ** 0.5 / exp_avg_sq.sqrt().add_(eps)
                    update.mul_(adaptive_lr).mul_(rect)
                param.sub_(update)
        return loss
