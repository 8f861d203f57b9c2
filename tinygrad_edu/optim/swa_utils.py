"""Stochastic weight averaging and EMA of weights (PyTorch's `torch.optim.swa_utils`).

    swa_model = AveragedModel(model)                 # a copy that holds the running average
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)    # anneal to a constant lr for SWA
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        if epoch >= swa_start:
            swa_model.update_parameters(model)       # avg ← avg + (w - avg) / (n + 1)
            swa_scheduler.step()
    update_bn(train_loader, swa_model)               # BatchNorm stats for the averaged weights

Averaging the weights visited late in training (with a constant or cyclic lr) lands nearer
the centre of a wide, flat region of the loss than any single iterate, which tends to
generalise better (Izmailov et al., 2018). `get_ema_multi_avg_fn(decay)` turns the same
class into an exponential moving average of the weights instead.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_edu import creation, dtypes
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.modules.normalization import _BatchNorm, _InstanceNorm
from tinygrad_edu.optim.lr_scheduler import LRScheduler
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.optim.tensor_update import lerp_
from tinygrad_edu.tensor import Tensor

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn"]

AvgFn = Callable[[Tensor, Tensor, Any], Tensor]            # (averaged, current, n) -> new
MultiAvgFn = Callable[[list, list, Any], None]             # updates the averaged list in place


def get_swa_avg_fn() -> AvgFn:
    """The equal-weight running mean: avg + (current - avg) / (n + 1)."""
    def swa_update(averaged: Tensor, current: Tensor, num_averaged: Any) -> Tensor:
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """The exponential moving average: decay * avg + (1 - decay) * current."""
    def ema_update(averaged: Tensor, current: Tensor, num_averaged: Any) -> Tensor:
        return decay * averaged + (1 - decay) * current
    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """The running mean, in place over lists: avg ← lerp(avg, current, 1 / (n + 1)).

    Integer tensors (e.g. BatchNorm's num_batches_tracked, with use_buffers=True) get the
    same mean computed in float64 and truncated towards zero, as PyTorch's result."""
    def swa_update(averaged: list, current: list, num_averaged: Any) -> None:
        weight = 1 / (float(num_averaged) + 1)
        for avg, cur in zip(averaged, current):
            if avg.dtype.is_floating_point:
                lerp_(avg, cur, weight)
            else:
                mean = avg.to(dtypes.float64) + (cur - avg).to(dtypes.float64) * weight
                avg.copy_(mean.to(avg.dtype))
    return swa_update


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """The exponential moving average in place: avg ← lerp(avg, current, 1 - decay)."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    def ema_update(averaged: list, current: list, num_averaged: Any) -> None:
        for avg, cur in zip(averaged, current):
            lerp_(avg, cur, 1 - decay)
    return ema_update


class AveragedModel(Module):
    """A deep copy of `model` (as `self.module`) whose weights are an average of `model`'s.

    Each `update_parameters(model)`: the first call copies the weights; later calls apply
    `multi_avg_fn(averaged_list, current_list, n_averaged)` in place, or
    `avg_fn(averaged, current, n_averaged)` per tensor (the equal-weight mean by default);
    then `n_averaged += 1` (an int64 buffer, saved in state_dict as "n_averaged" before the
    "module." entries). With use_buffers=True the buffers (BatchNorm's running stats) are
    averaged too; otherwise they are copied from `model` at each update.
    forward(*args) runs the averaged copy.
    """

    def __init__(self, model: Module, device: Any = None, avg_fn: AvgFn | None = None,
                 multi_avg_fn: MultiAvgFn | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", creation.tensor(0, dtype=dtypes.int64,
                                                           device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _tensors(self, model: Module) -> Iterable[Tensor]:
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return model.parameters()

    @no_grad()
    def update_parameters(self, model: Module) -> None:
        """Fold `model`'s current weights into the average (the first call copies them)."""
        averaged = [t.detach() for t in self._tensors(self.module)]
        current = [t.detach().to(a.device) for t, a in zip(self._tensors(model), averaged)]
        count = int(self.n_averaged.item())
        if count == 0:
            for avg, cur in zip(averaged, current):
                avg.copy_(cur)
        elif self.avg_fn is not None:
            for avg, cur in zip(averaged, current):
                avg.copy_(self.avg_fn(avg, cur, self.n_averaged.to(avg.device)))
        else:
            update = self.multi_avg_fn or get_swa_multi_avg_fn()
            update(averaged, current, self.n_averaged.to(averaged[0].device))
        if not self.use_buffers:
            # the averaged copy's buffers simply follow the model's
            for mine, theirs in zip(self.module.buffers(), model.buffers()):
                mine.detach().copy_(theirs.detach().to(mine.device))
        self.n_averaged.add_(1)


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the BatchNorm running statistics of `model` with one pass over `loader`.

    The averaged weights never ran forward, so the running mean and var that BatchNorm
    kept belong to other weights: reset them, then average the statistics of every batch
    equally (momentum=None: a cumulative mean), in training mode. A batch that is a list or
    tuple is read as (input, ...). InstanceNorm layers are left alone (as in PyTorch).
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to swa_lr over anneal_epochs steps,
    then hold it there (the constant lr that SWA averages under).

        t = min(1, epoch / anneal_epochs),  a(t) = (1 - cos(π t)) / 2   ("cos")  or  t
        lr_epoch = a(t) swa_lr + (1 - a(t)) lr_0

    written, as PyTorch, as a recursion on the group's current lr (lr_0 is recovered from
    the previous epoch's lr), so it can follow another schedule. swa_lr is a number or one
    per param group, and is stored in each group as group["swa_lr"].
    """

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float],
                 anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        swa_lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) \
            else [swa_lr] * len(optimizer.param_groups)
        if len(swa_lrs) != len(optimizer.param_groups):
            raise ValueError(f"swa_lr must have the same length as optimizer.param_groups: "
                             f"swa_lr has {len(swa_lrs)}, optimizer.param_groups has "
                             f"{len(optimizer.param_groups)}")
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must by one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self._anneal_strategy = anneal_strategy  # a name, not a function: state_dict saves it
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t: float) -> float:
        """How far along the way to swa_lr at fraction t of the annealing (0 to 1)."""
        if self._anneal_strategy == "linear":
            return t
        return (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        lrs = []
        for group in self.optimizer.param_groups:
            swa = group["swa_lr"]
            # undo the previous epoch's mix: lr_prev = a' swa + (1 - a') lr_0
            start = swa if prev_alpha == 1 else \
                (group["lr"] - prev_alpha * swa) / (1 - prev_alpha)
            lrs.append(swa * alpha + start * (1 - alpha))
        return lrs
