"""Learning-rate schedulers: every rate equal to PyTorch's (==, not approximately), state_dict
round trips through save/load, and PyTorch's errors and warnings."""

from __future__ import annotations

import io
import math
import warnings

import pytest

import tinygrad_edu as tg
from tinygrad_edu.optim import lr_scheduler
from tinygrad_edu.serialization import load, save

EPOCHS = 40


class Warmup:
    """A callable object with state (saved by LambdaLR.state_dict, unlike a function)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.epochs)


def make_optimizer(lib: object, name: str = "SGD") -> object:
    """An optimizer with two param groups (lr 0.1 and 0.05), as lib (tinygrad_edu/torch)."""
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if name == "Adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


# name -> function (lr_scheduler module, optimizer) -> scheduler, and the optimizer it needs
SCHEDULERS = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[3, 8, 8, 20], gamma=0.3),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=9, eta_min=0.001),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e, Warmup(5)]),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=EPOCHS + 1),
    "OneCycleLR-linear-3phase": lambda s, o: s.OneCycleLR(
        o, max_lr=0.4, epochs=4, steps_per_epoch=11, anneal_strategy="linear",
        three_phase=True, pct_start=0.25),
    "SequentialLR": lambda s, o: s.SequentialLR(o, [
        s.LinearLR(o, start_factor=0.1, total_iters=4),
        s.CosineAnnealingLR(o, T_max=10),
        s.ExponentialLR(o, gamma=0.9)], milestones=[5, 15]),
}
ADAM_ONES = {"OneCycleLR-linear-3phase"}  # cycles Adam's beta1 instead of SGD's momentum


def record(lib: object, name: str, epochs: int = EPOCHS) -> list:
    """(lrs of both groups, momentum/betas) after construction and after each step."""
    optimizer = make_optimizer(lib, "Adam" if name in ADAM_ONES else "SGD")
    scheduler = SCHEDULERS[name](lib.optim.lr_scheduler, optimizer)
    rows = []
    for _ in range(epochs):
        rows.append(_row(optimizer, scheduler))
        optimizer.step()
        scheduler.step()
    rows.append(_row(optimizer, scheduler))
    return rows


def _row(optimizer: object, scheduler: object) -> tuple:
    momentum = [g.get("momentum", g.get("betas")) for g in optimizer.param_groups]
    return (list(scheduler.get_last_lr()), [g["lr"] for g in optimizer.param_groups], momentum)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_learning_rates_equal_pytorchs_exactly(torch: object, name: str) -> None:
    ours, theirs = record(tg, name), record(torch, name)
    for epoch, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"{name}, epoch {epoch}: ours {a} vs PyTorch {b}"


def test_reduce_lr_on_plateau_equals_pytorchs(torch: object) -> None:
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.81, 0.82, 0.83, 0.84, 0.7, 0.7, 0.7, 0.7,
               0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    for options in ({"patience": 2, "factor": 0.5, "cooldown": 1, "min_lr": [0.02, 0.0]},
                    {"mode": "max", "patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
                    {"patience": 0, "factor": 0.1, "min_lr": 1e-3, "eps": 1e-4}):
        rows = []
        for lib in (tg, torch):
            optimizer = make_optimizer(lib)
            scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)
            lrs = []
            for metric in metrics:
                scheduler.step(lib.tensor(metric))
                lrs.append((scheduler.get_last_lr(), scheduler.num_bad_epochs,
                            scheduler.cooldown_counter, scheduler.best))
            rows.append(lrs)
        assert rows[0] == rows[1], options


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR"])
def test_closed_form_step_epoch_equals_pytorchs(torch: object, name: str) -> None:
    rows = []
    for lib in (tg, torch):
        optimizer = make_optimizer(lib)
        scheduler = SCHEDULERS[name](lib.optim.lr_scheduler, optimizer)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch: step(epoch) is deprecated
            for epoch in (3, 10, 4, 25, 8):
                optimizer.step()
                scheduler.step(epoch)
                lrs.append(scheduler.get_last_lr())
        rows.append(lrs)
    assert rows[0] == rows[1]


@pytest.mark.parametrize("name", list(SCHEDULERS) + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_through_save_and_load(name: str) -> None:
    """Stop after 13 epochs, save optimizer + scheduler, load into fresh ones: same lrs."""
    def build() -> tuple:
        optimizer = make_optimizer(tg, "Adam" if name in ADAM_ONES else "SGD")
        if name == "ReduceLROnPlateau":
            return optimizer, lr_scheduler.ReduceLROnPlateau(optimizer, patience=1)
        return optimizer, SCHEDULERS[name](lr_scheduler, optimizer)

    def advance(optimizer: object, scheduler: object, epochs: range) -> list:
        rows = []
        for epoch in epochs:
            optimizer.step()
            if name == "ReduceLROnPlateau":
                scheduler.step(1.0 / (1 + epoch % 4))
            else:
                scheduler.step()
            rows.append(_row(optimizer, scheduler))
        return rows

    optimizer, scheduler = build()
    advance(optimizer, scheduler, range(13))
    buffer = io.BytesIO()
    save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = load(buffer)
    expected = advance(optimizer, scheduler, range(13, 30))
    fresh_optimizer, fresh_scheduler = build()
    fresh_scheduler.load_state_dict(checkpoint["scheduler"])
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])
    assert advance(fresh_optimizer, fresh_scheduler, range(13, 30)) == expected


def test_lambda_state_dict_keeps_callable_objects_state_only() -> None:
    optimizer = make_optimizer(tg)
    warmup = Warmup(5)
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda e: 1.0, warmup])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"epochs": 5}]
    warmup.epochs = 99
    scheduler.load_state_dict(state)
    assert warmup.epochs == 5


def test_scheduler_step_before_optimizer_step_warns() -> None:
    optimizer = make_optimizer(tg)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    optimizer = make_optimizer(tg)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_errors_like_pytorch() -> None:
    optimizer = make_optimizer(tg)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(optimizer, step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(optimizer, [lambda e: 1.0])
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(optimizer, factor=1.0)
    with pytest.raises(ValueError, match="number of milestone points"):
        lr_scheduler.SequentialLR(optimizer, [lr_scheduler.StepLR(optimizer, 2)], [3])
    optimizer = make_optimizer(tg)
    cycle = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=2)
    optimizer.step()
    cycle.step()
    cycle.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        cycle.step()


def test_cosine_schedule_follows_its_closed_form() -> None:
    optimizer = make_optimizer(tg)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)
    for epoch in range(1, 11):
        optimizer.step()
        scheduler.step()
        expected = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert math.isclose(scheduler.get_last_lr()[0], expected, rel_tol=1e-12)
