"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay, AMSGrad."""

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
    fused_update,
    new_step_count,
)


class Adam(Optimizer):
    r"""Adam (PyTorch's `torch.optim.Adam`); `decoupled_weight_decay=True` makes it AdamW.

    For each parameter p with gradient g, at step t = 1, 2, ... (lr γ, betas β1 β2,
    weight decay λ):

        g ← -g                                   if maximize
        g ← g + λ p                              Adam:  weight decay as an L2 penalty
        p ← p (1 - γ λ)                          AdamW: decoupled weight decay
        m ← β1 m + (1 - β1) g                    first moment  (state["exp_avg"])
        v ← β2 v + (1 - β2) g²                   second moment (state["exp_avg_sq"])
        v̂ ← max(v̂, v); use v̂ for v below          if amsgrad    (state["max_exp_avg_sq"])
        p ← p - γ / (1 - β1^t) · m / (√v / √(1 - β2^t) + ε)

    The divisions by 1 - β^t undo the bias of m and v towards their zero start. As in
    PyTorch, ε is added after dividing √v by √(1 - β2^t). The whole update of one parameter
    is one fused kernel (`backend.adam_update`); `foreach` and `fused` are accepted for
    PyTorch compatibility.
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        if capturable or differentiable:
            raise ValueError("capturable=True and differentiable=True are not supported by "
                             "tinygrad_edu")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter that has a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            amsgrad = group["amsgrad"]
            # the group's options, read once for all its parameters
            options = {"lr": float(group["lr"]), "beta1": float(beta1), "beta2": float(beta2),
                       "eps": group["eps"], "weight_decay": group["weight_decay"],
                       "amsgrad": amsgrad, "maximize": group["maximize"],
                       "decoupled": group["decoupled_weight_decay"]}
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["exp_avg"] = creation.zeros_like(param)
                    state["exp_avg_sq"] = creation.zeros_like(param)
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = creation.zeros_like(param)
                t = advance(state["step"])
                max_exp_avg_sq = state["max_exp_avg_sq"] if amsgrad else None
                with fused_update(param, state["exp_avg"], state["exp_avg_sq"],
                                  max_exp_avg_sq) as (backend, p, g, m, v, v_max):
                    backend.adam_update(p, g, m, v, v_max, step=t, **options)
        return loss


class AdamW(Adam):
    r"""AdamW (PyTorch's `torch.optim.AdamW`): Adam with decoupled weight decay.

    Instead of adding λ p to the gradient (where Adam's scaling by 1/√v would weaken it for
    parameters with large gradients), every step shrinks the weights directly:
    p ← p (1 - γ λ), then the Adam update with the plain gradient. Default λ = 0.01.
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
