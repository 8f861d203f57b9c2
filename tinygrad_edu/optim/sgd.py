"""SGD: stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import Optimizer, Params, evaluate, fused_update


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (PyTorch's `torch.optim.SGD`).

    For each parameter p with gradient g, every step (lr γ, momentum μ, dampening τ,
    weight decay λ):

        g ← -g                      if maximize (climb instead of descend)
        g ← g + λ p                 if λ ≠ 0 (L2 penalty λ/2 |p|² added to the loss)
        if μ ≠ 0:
            b ← g                   on the first step (b: state["momentum_buffer"])
            b ← μ b + (1 - τ) g     afterwards
            g ← g + μ b             if nesterov (look ahead along the velocity)
            g ← b                   otherwise
        p ← p - γ g

    The whole update of one parameter is one fused kernel (`backend.sgd_update`).
    `foreach` and `fused` are accepted for PyTorch compatibility; the update is always fused.
    """

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if differentiable:
            raise ValueError("differentiable=True (gradients through the update) is not "
                             "supported by tinygrad_edu")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One SGD update of every parameter that has a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            # the group's options, read once for all its parameters
            options = {"lr": float(group["lr"]), "momentum": group["momentum"],
                       "dampening": group["dampening"], "weight_decay": group["weight_decay"],
                       "nesterov": group["nesterov"], "maximize": group["maximize"]}
            momentum = group["momentum"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                buffer, first_step = None, False
                if momentum != 0:
                    state = self.state[param]
                    if state.get("momentum_buffer") is None:
                        # b ← g on the first step: the kernel fills this buffer
                        state["momentum_buffer"] = creation.zeros_like(param)
                        first_step = True
                    buffer = state["momentum_buffer"]
                with fused_update(param, buffer) as (backend, p, g, b):
                    backend.sgd_update(p, g, b, first_step=first_step, **options)
        return loss
