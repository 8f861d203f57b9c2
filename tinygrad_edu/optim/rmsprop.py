"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import (
    Optimizer,
    Params,
    advance,
    evaluate,
    fused_update,
    new_step_count,
)


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's `torch.optim.RMSprop`).

    For each parameter p with gradient g, every step (lr γ, smoothing α, weight decay λ,
    momentum μ):

        g ← -g                            if maximize
        g ← g + λ p                       if λ ≠ 0
        v ← α v + (1 - α) g²              mean square       (state["square_avg"])
        if centered:
            ḡ ← α ḡ + (1 - α) g           mean gradient     (state["grad_avg"])
            v' ← v - ḡ²                   variance instead of mean square
        else:
            v' ← v
        a ← √v' + ε
        if μ > 0:
            b ← μ b + g / a               (state["momentum_buffer"])
            p ← p - γ b
        else:
            p ← p - γ g / a

    One fused kernel per parameter (`backend.rmsprop_update`); `foreach` is accepted for
    PyTorch compatibility.
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if capturable or differentiable:
            raise ValueError("capturable=True and differentiable=True are not supported by "
                             "tinygrad_edu")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RMSprop update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["square_avg"] = creation.zeros_like(param)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = creation.zeros_like(param)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = creation.zeros_like(param)
                advance(state["step"])
                with fused_update(param, state["square_avg"],
                                  state["grad_avg"] if centered else None,
                                  state["momentum_buffer"] if momentum > 0 else None
                                  ) as (backend, p, g, v, g_mean, b):
                    backend.rmsprop_update(p, g, v, g_mean, b, lr=float(group["lr"]),
                                           alpha=group["alpha"], eps=group["eps"],
                                           weight_decay=group["weight_decay"],
                                           momentum=momentum, centered=centered,
                                           maximize=group["maximize"])
        return loss
