"""NAdam: Adam with Nesterov momentum (the first moment looks one step ahead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import (
    Optimizer,
    Params,
    advance,
    check_adam_arguments,
    evaluate,
    new_step_count,
)
from tinygrad_edu.optim.tensor_update import (
    addcdiv_,
    addcmul_,
    check_unsupported,
    lerp_,
    signed_gradient,
)


class NAdam(Optimizer):
    r"""NAdam (PyTorch's `torch.optim.NAdam`); `decoupled_weight_decay=True` makes it NAdamW.

    For each parameter p with gradient g, at step t = 1, 2, ... (lr γ, betas β1 β2,
    weight decay λ, momentum decay ψ):

        g ← -g                                   if maximize
        p ← p (1 - γ λ)                          if λ ≠ 0 and decoupled_weight_decay
        g ← g + λ p                              if λ ≠ 0 otherwise (L2 penalty)
        μ_t ← β1 (1 - ½ · 0.96^(t ψ))            momentum of this step, μ_{t+1} of the next
        Π ← Π · μ_t                              product μ_1 ⋯ μ_t  (state["mu_product"])
        m ← β1 m + (1 - β1) g                    first moment       (state["exp_avg"])
        v ← β2 v + (1 - β2) g²                   second moment      (state["exp_avg_sq"])
        d ← √(v / (1 - β2^t)) + ε
        p ← p - γ (1 - μ_t) / (1 - Π) · g / d
        p ← p - γ μ_{t+1} / (1 - Π μ_{t+1}) · m / d

    The two last lines are the Nesterov trick: the current gradient enters with its own
    weight, and the moment m with the weight it will have at the next step. The momentum
    μ_t warms up from β1/2 towards β1 (slowly: ψ = 0.004 by default). Π is a 0-d float32
    CPU tensor like "step" (PyTorch's layout); load_state_dict casts it to the parameter's
    dtype and device, as PyTorch does.

    No fused kernel: the update is a few Tensor ops under no_grad on the parameter's device
    (each op one compiled kernel), writing into the parameter and the state in place.
    `foreach` is accepted for PyTorch compatibility.
    """

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        check_unsupported(capturable, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One NAdam update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = float(group["lr"]), group["eps"], group["weight_decay"]
            momentum_decay = group["momentum_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["mu_product"] = creation.ones((), dtype=dtypes.float32)
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
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
                mu_product = float(state["mu_product"].mul_(mu).item())
                mu_product_next = mu_product * mu_next
                lerp_(exp_avg, grad, 1 - beta1)
                addcmul_(exp_avg_sq.mul_(beta2), grad, grad, 1 - beta2)
                denom = exp_avg_sq.div(1 - beta2 ** t).sqrt().add_(eps)
                addcdiv_(param, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
                addcdiv_(param, exp_avg, denom, -lr * mu_next / (1.0 - mu_product_next))
        return loss
