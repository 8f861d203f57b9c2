"""Rprop: resilient backpropagation, steps that grow or shrink with the gradient's sign."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import Optimizer, Params, advance, evaluate, new_step_count
from tinygrad_edu.optim.tensor_update import check_unsupported, signed_gradient


class Rprop(Optimizer):
    r"""Rprop (PyTorch's `torch.optim.Rprop`): only the sign of each gradient is used.

    For each element of a parameter p with gradient g, every step (etas η-, η+, step-size
    bounds Γmin, Γmax; the step sizes Δ start at lr):

        g ← -g                                   if maximize
        s ← sign(g · g_prev)                     did the gradient keep its sign?
        f ← η+ if s > 0,  η- if s < 0,  1 if s = 0
        Δ ← clamp(Δ · f, Γmin, Γmax)             (state["step_size"])
        g ← 0 where f = η-                       a sign change: no step, and forget g
        p ← p - sign(g) · Δ
        g_prev ← g                               (state["prev"])

    While the sign stays, the step grows by η+ per step (accelerating down a long slope);
    when it flips (a minimum was jumped over) the step shrinks by η- and that element waits
    one step. It needs full-batch gradients: the signs of noisy minibatch gradients flip at
    random. No fused kernel: a few Tensor ops under no_grad, in place.
    """

    def __init__(self, params: Params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        check_unsupported(capturable, differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Rprop update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["prev"] = creation.zeros_like(param)
                    state["step_size"] = creation.full_like(param, group["lr"])
                prev, step_size = state["prev"], state["step_size"]
                advance(state["step"])
                grad = signed_gradient(param, group["maximize"])
                sign = grad.mul(prev).sign()
                # f = η+ where s > 0, η- where s < 0, 1 where s = 0 (in p's dtype)
                factor = creation.full_like(sign, eta_plus).where(
                    sign > 0, creation.full_like(sign, eta_minus).where(
                        sign < 0, creation.ones_like(sign)))
                step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                grad = creation.zeros_like(grad).where(factor == eta_minus, grad)
                param.sub_(grad.sign().mul_(step_size))
                prev.copy_(grad)
        return loss
