"""Adagrad: per-coordinate step sizes that shrink with the sum of past squared gradients."""

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


class Adagrad(Optimizer):
    r"""Adagrad (PyTorch's `torch.optim.Adagrad`).

    For each parameter p with gradient g, at step t = 1, 2, ... (lr γ, lr decay η,
    weight decay λ):

        g ← -g                            if maximize
        g ← g + λ p                       if λ ≠ 0
        γ_t ← γ / (1 + (t - 1) η)         decayed learning rate
        s ← s + g²                        (state["sum"], starts at initial_accumulator_value)
        p ← p - γ_t g / (√s + ε)

    Coordinates with large past gradients take small steps. One fused kernel per parameter
    (`backend.adagrad_update`); `foreach` and `fused` are accepted for PyTorch compatibility.
    """

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if differentiable:
            raise ValueError("differentiable=True is not supported by tinygrad_edu")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch makes Adagrad's state up front
            for param in group["params"]:
                self._init_state(param, group)

    def _init_state(self, param: Any, group: dict[str, Any]) -> None:
        state = self.state[param]
        state["step"] = new_step_count()
        state["sum"] = creation.full_like(param, group["initial_accumulator_value"])

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adagrad update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:  # a group added after construction
                    self._init_state(param, group)
                t = advance(state["step"])
                with fused_update(param, state["sum"]) as (backend, p, g, s):
                    backend.adagrad_update(p, g, s, lr=float(group["lr"]),
                                           lr_decay=group["lr_decay"], eps=group["eps"],
                                           weight_decay=group["weight_decay"], step=t,
                                           maximize=group["maximize"])
        return loss
