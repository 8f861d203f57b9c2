"""ASGD: SGD that also keeps a running average of the iterates (Polyak-Ruppert averaging)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.optim.optimizer import Optimizer, Params, advance, evaluate, new_step_count
from tinygrad_edu.optim.tensor_update import check_unsupported, signed_gradient


class ASGD(Optimizer):
    r"""Averaged SGD (PyTorch's `torch.optim.ASGD`).

    For each parameter p with gradient g, at step t = 1, 2, ... (lr γ, decay λ, power α,
    averaging start t0, weight decay w; η starts at γ and μ at 1):

        g ← -g                                   if maximize
        g ← g + w p                              if w ≠ 0
        p ← p (1 - λ η) - η g                    an SGD step with a shrinking rate η
        ax ← ax + μ (p - ax)                     (state["ax"]; ax ← p while μ = 1)
        η ← γ / (1 + λ γ t)^α                    (state["eta"])
        μ ← 1 / max(1, t - t0)                   (state["mu"])

    Until step t0 (a million by default) μ = 1 and ax just follows p; after it, ax is the
    running mean of the iterates since t0, which converges faster than p itself on noisy
    convex problems. ax is only kept: `p` is what the model uses; copy ax into the model to
    evaluate the average. eta, mu and step are 0-d float32 CPU tensors, as PyTorch keeps
    them (so η enters the update rounded to float32, as in PyTorch).
    No fused kernel: a few Tensor ops under no_grad, in place.
    """

    def __init__(self, params: Params, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        check_unsupported(capturable, differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One ASGD update of every parameter with a gradient; returns closure()'s loss."""
        loss = evaluate(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = (float(group["lr"]), group["lambd"], group["alpha"],
                                    group["t0"])
            weight_decay = group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = new_step_count()
                    state["eta"] = creation.tensor(lr, dtype=dtypes.float32)
                    state["mu"] = creation.ones((), dtype=dtypes.float32)
                    state["ax"] = creation.zeros_like(param)
                t = advance(state["step"])
                grad = signed_gradient(param, group["maximize"])
                if weight_decay != 0:
                    grad = grad.add(param, alpha=weight_decay)
                eta = float(state["eta"].item())
                param.mul_(1 - lambd * eta)
                param.add_(grad, alpha=-eta)
                ax, mu = state["ax"], float(state["mu"].item())
                if mu != 1:
                    ax.add_(param.sub(ax).mul_(mu))
                else:
                    ax.copy_(param)
                # new values pass through a float32 tensor (PyTorch's as_tensor), so they are
                # rounded to float32 even in a state loaded as float64
                state["eta"].copy_(creation.tensor(lr / ((1 + lambd * lr * t) ** alpha)))
                state["mu"].copy_(creation.tensor(1 / max(1, t - t0)))
        return loss
