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


class EveryThird:
    """A callable object with state: factor `factor` on every third epoch, else 1."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, epoch: float) -> float:
        return self.factor if epoch % 3 == 0 else 1.0


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
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(
        o, lr_lambda=[lambda e: 0.95, EveryThird(0.5)]),
    "ConstantLR": lambda s, o: s.ConstantLR(o, factor=0.4, total_iters=6),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, total_iters=9, power=1.7),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.002),
    "CosineAnnealingWarmRestarts-T_mult-1": lambda s, o: s.CosineAnnealingWarmRestarts(
        o, T_0=7),
    "ChainedScheduler": lambda s, o: s.ChainedScheduler([
        s.ConstantLR(o, factor=0.1, total_iters=5),
        s.ExponentialLR(o, gamma=0.9)], optimizer=o),
    "ChainedScheduler-no-optimizer": lambda s, o: s.ChainedScheduler([
        s.LinearLR(o, start_factor=0.5, total_iters=8),
        s.MultiStepLR(o, milestones=[4, 12], gamma=0.5),
        s.CosineAnnealingLR(o, T_max=15)]),
    "CyclicLR-triangular": lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1,
                                                   step_size_up=4, step_size_down=3),
    "CyclicLR-triangular2": lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=[0.1, 0.3],
                                                    step_size_up=5, mode="triangular2",
                                                    base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-exp_range": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.2,
                                                  step_size_up=3, step_size_down=6,
                                                  mode="exp_range", gamma=0.97),
    "CyclicLR-scale_fn-iterations": lambda s, o: s.CyclicLR(
        o, base_lr=0.01, max_lr=0.2, step_size_up=4, scale_fn=EveryThird(0.25),
        scale_mode="iterations", cycle_momentum=False),
}
# these cycle Adam's beta1 instead of SGD's momentum
ADAM_ONES = {"OneCycleLR-linear-3phase", "CyclicLR-triangular2"}


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
                                  "LinearLR", "ConstantLR", "PolynomialLR", "MultiplicativeLR",
                                  "CosineAnnealingWarmRestarts", "CyclicLR-exp_range"])
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


# --- the schedulers added after the first ones -------------------------------------------


def test_module_exports_pytorchs_names(torch: object) -> None:
    assert sorted(lr_scheduler.__all__) == sorted(torch.optim.lr_scheduler.__all__)
    for name in lr_scheduler.__all__:
        assert isinstance(getattr(lr_scheduler, name), type), name


def test_old_lr_scheduler_base_class_still_subclassable() -> None:
    class Halving(lr_scheduler._LRScheduler):  # old code: get_lr from base_lrs
        def get_lr(self) -> list:
            return [base_lr * 0.5 ** self.last_epoch for base_lr in self.base_lrs]

    assert lr_scheduler._LRScheduler.__name__ == "_LRScheduler"
    optimizer = make_optimizer(tg)
    scheduler = Halving(optimizer)
    assert isinstance(scheduler, lr_scheduler.LRScheduler)
    optimizer.step()
    scheduler.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.1 * 0.25, 0.05 * 0.25]


def test_warm_restarts_lengthen_by_t_mult() -> None:
    """T_0=2, T_mult=3: periods 2, 6, 18, so restarts (back to initial_lr) at 2, 8 and 26."""
    optimizer = make_optimizer(tg)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=3,
                                                         eta_min=0.01)
    periods, restarts = [], []
    for epoch in range(1, 30):
        optimizer.step()
        scheduler.step()
        periods.append(scheduler.T_i)
        if scheduler.T_cur == 0:
            restarts.append(epoch)
            assert scheduler.get_last_lr() == [0.1, 0.05]
        start = max([0, *restarts])
        expected = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * (epoch - start)
                                                        / scheduler.T_i)) / 2
        assert math.isclose(scheduler.get_last_lr()[0], expected, rel_tol=1e-12), epoch
    assert restarts == [2, 8, 26]
    assert periods[:2] == [2, 6] and periods[7] == 18 and periods[25] == 54


def test_warm_restarts_fractional_epochs() -> None:
    """step(epoch + batch / batches): T_cur is fractional, last_epoch its floor."""
    optimizer = make_optimizer(tg)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2)
    optimizer.step()
    scheduler.step(5.5)  # periods 2 and 4 (restart at 2 and 6): 3.5 into the second
    assert (scheduler.T_i, scheduler.T_cur, scheduler.last_epoch) == (4, 3.5, 5)
    assert math.isclose(scheduler.get_last_lr()[1],
                        0.05 * (1 + math.cos(math.pi * 3.5 / 4)) / 2, rel_tol=1e-12)
    scheduler.step(0.25)  # back into the first period
    assert (scheduler.T_i, scheduler.T_cur, scheduler.last_epoch) == (2, 0.25, 0)
    scheduler.step()  # goes on from there: T_cur 1.25, epoch 1
    assert (scheduler.T_i, scheduler.T_cur, scheduler.last_epoch) == (2, 1.25, 1)
    scheduler.step()  # T_cur 2.25 >= 2: restart, 0.25 into a period of 4
    assert (scheduler.T_i, scheduler.T_cur, scheduler.last_epoch) == (4, 0.25, 2)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        scheduler.step(-1)


def test_warm_restarts_fractional_epochs_equal_pytorchs(torch: object) -> None:
    epochs = [0.5, 1.25, None, 2.0, 5.75, None, None, 13.9, 14.0, 2.5, None, 26, None, 0]
    for t_mult in (1, 2, 3):
        rows = []
        for lib in (tg, torch):
            optimizer = make_optimizer(lib)
            scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
                optimizer, T_0=3, T_mult=t_mult, eta_min=0.001)
            lrs = []
            for epoch in epochs:
                optimizer.step()
                scheduler.step(epoch)
                lrs.append((scheduler.get_last_lr(), scheduler.T_cur, scheduler.T_i,
                            scheduler.last_epoch))
            rows.append(lrs)
        assert rows[0] == rows[1], t_mult


def _cycle(mode: str, steps: int, **options: object) -> tuple:
    optimizer = make_optimizer(tg)
    scheduler = lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.09, step_size_up=4,
                                      mode=mode, **options)
    lrs, momentums = [scheduler.get_last_lr()[0]], [optimizer.param_groups[0]["momentum"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        momentums.append(optimizer.param_groups[0]["momentum"])
    return lrs, momentums


def test_cyclic_triangular_goes_up_and_down_between_base_and_max() -> None:
    lrs, momentums = _cycle("triangular", 16)  # up 4 steps, down 4 steps, twice
    expected = [0.01 + 0.08 * height for height in (0, 0.25, 0.5, 0.75, 1, 0.75, 0.5, 0.25)]
    assert all(math.isclose(a, b, rel_tol=1e-12)
               for a, b in zip(lrs, expected * 2 + [0.01]))
    # momentum moves the other way: max_momentum (0.9) at base_lr, base (0.8) at max_lr
    assert momentums[0] == momentums[8] == 0.9
    assert math.isclose(momentums[4], 0.8) and math.isclose(momentums[12], 0.8)
    assert math.isclose(momentums[2], 0.85)


def test_cyclic_triangular2_halves_each_cycle() -> None:
    lrs, momentums = _cycle("triangular2", 24)
    peaks = [lrs[4], lrs[12], lrs[20]]
    assert all(math.isclose(peak, 0.01 + 0.08 / 2 ** i, rel_tol=1e-12)
               for i, peak in enumerate(peaks))
    assert math.isclose(momentums[12], 0.9 - 0.1 / 2, rel_tol=1e-12)


def test_cyclic_exp_range_scales_by_gamma_to_the_iteration() -> None:
    lrs, momentums = _cycle("exp_range", 16, gamma=0.9, scale_mode="cycle")  # mode wins
    for t in (2, 4, 6, 12):
        height = 1 - abs(t % 8 - 4) / 4
        assert math.isclose(lrs[t], 0.01 + 0.08 * height * 0.9 ** t, rel_tol=1e-12), t
        assert math.isclose(momentums[t], 0.9 - 0.1 * height * 0.9 ** t, rel_tol=1e-12), t


def test_cyclic_momentum_cycles_adams_beta1_only() -> None:
    optimizer = make_optimizer(tg, "Adam")
    scheduler = lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2,
                                      base_momentum=0.85, max_momentum=0.95)
    assert [g["betas"] for g in optimizer.param_groups] == [(0.95, 0.999)] * 2
    optimizer.step()
    scheduler.step()
    scheduler.step()
    betas = optimizer.param_groups[1]["betas"]
    assert math.isclose(betas[0], 0.85) and betas[1] == 0.999
    assert optimizer.param_groups[0]["max_momentum"] == 0.95
    assert optimizer.param_groups[0]["base_momentum"] == 0.85
    no_momentum = tg.optim.Adagrad([tg.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.CyclicLR(no_momentum, base_lr=0.01, max_lr=0.1)
    lr_scheduler.CyclicLR(no_momentum, base_lr=0.01, max_lr=0.1, cycle_momentum=False)


def test_cyclic_cycles_from_base_lr_even_when_initial_lr_was_set(torch: object) -> None:
    """A scheduler made before sets group["initial_lr"]; CyclicLR still cycles from base_lr
    (only its constructor's step starts from initial_lr, as in PyTorch)."""
    rows = []
    for lib in (tg, torch):
        optimizer = make_optimizer(lib)
        lib.optim.lr_scheduler.StepLR(optimizer, step_size=3)
        cyclic = lib.optim.lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.05,
                                                 step_size_up=2)
        lrs = [cyclic.get_last_lr()]
        for _ in range(5):
            optimizer.step()
            cyclic.step()
            lrs.append(cyclic.get_last_lr())
        rows.append(lrs)
    assert rows[0] == rows[1]
    assert math.isclose(rows[0][1][0], 0.03, rel_tol=1e-12)  # halfway from 0.01 to 0.05


def test_chained_scheduler_multiplies_two_schedules() -> None:
    optimizer = make_optimizer(tg)
    chained = lr_scheduler.ChainedScheduler([
        lr_scheduler.ConstantLR(optimizer, factor=0.1, total_iters=3),
        lr_scheduler.ExponentialLR(optimizer, gamma=0.9)], optimizer=optimizer)
    for epoch in range(8):
        expected = 0.05 * 0.9 ** epoch * (0.1 if epoch < 3 else 1.0)
        assert math.isclose(chained.get_last_lr()[1], expected, rel_tol=1e-12), epoch
        optimizer.step()
        chained.step()


def test_chained_scheduler_checks_its_schedulers() -> None:
    optimizer, other = make_optimizer(tg), make_optimizer(tg)
    step = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.raises(ValueError, match="expects at least one scheduler to be chained"):
        lr_scheduler.ChainedScheduler([])
    with pytest.raises(ValueError, match="StepLR at index 0 has"):
        lr_scheduler.ChainedScheduler([step], optimizer=other)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lr_scheduler.ChainedScheduler([step, lr_scheduler.ReduceLROnPlateau(optimizer)])
    with pytest.raises(TypeError, match="at index 1 should have `optimizer`"):
        lr_scheduler.ChainedScheduler([step, object()])
    assert lr_scheduler.ChainedScheduler([step]).optimizer is optimizer


def test_new_schedulers_state_dicts_keep_no_functions() -> None:
    """Functions cannot be saved: None for them, the attributes of callable objects."""
    optimizer = make_optimizer(tg)
    every_third = EveryThird(0.5)
    scheduler = lr_scheduler.MultiplicativeLR(optimizer, [lambda e: 0.9, every_third])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.5}]
    every_third.factor = 0.1
    scheduler.load_state_dict(state)
    assert every_third.factor == 0.5 and state["lr_lambdas"] == [None, {"factor": 0.5}]
    cyclic = lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, scale_fn=every_third)
    state = cyclic.state_dict()
    assert state["_scale_fn_custom"] == {"factor": 0.5}
    assert not any(callable(value) for value in state.values())
    every_third.factor = 0.2
    cyclic.load_state_dict(state)
    assert every_third.factor == 0.5 and cyclic._scale_fn_custom is every_third
    plain = lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None
    chained = lr_scheduler.ChainedScheduler([scheduler, cyclic])
    assert chained.state_dict()["_schedulers"][0]["lr_lambdas"] == [None, {"factor": 0.5}]


def test_cyclic_load_state_dict_restores_mode() -> None:
    optimizer = make_optimizer(tg)
    source = lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, step_size_up=3, mode="exp_range",
                                   gamma=0.8)
    target = lr_scheduler.CyclicLR(make_optimizer(tg), 0.01, 0.1, step_size_up=3)
    target.load_state_dict(source.state_dict())
    assert (target.mode, target.gamma, target.scale_mode) == ("exp_range", 0.8, "iterations")
    target.last_epoch = source.last_epoch = 5
    assert target.get_lr() == source.get_lr()


NEW_ERRORS = [
    ("MultiplicativeLR", lambda s, o: s.MultiplicativeLR(o, [lambda e: 1.0])),
    ("MultiplicativeLR", lambda s, o: s.MultiplicativeLR(o, 0.5)),
    ("ConstantLR", lambda s, o: s.ConstantLR(o, factor=1.5)),
    ("ConstantLR", lambda s, o: s.ConstantLR(o, factor=-0.1)),
    ("CosineAnnealingWarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=0)),
    ("CosineAnnealingWarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2.0)),
    ("CosineAnnealingWarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, 2, T_mult=0)),
    ("CosineAnnealingWarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, 2,
                                                                               eta_min="0")),
    ("CyclicLR", lambda s, o: s.CyclicLR(o, 0.01, 0.1, mode="sawtooth")),
    ("CyclicLR", lambda s, o: s.CyclicLR(o, [0.01], 0.1)),
    ("CyclicLR", lambda s, o: s.CyclicLR(o, 0.01, 0.1, max_momentum=[0.9, 0.9, 0.9])),
    ("CyclicLR", lambda s, o: s.CyclicLR(object(), 0.01, 0.1)),
    ("ChainedScheduler", lambda s, o: s.ChainedScheduler([])),
    ("ChainedScheduler", lambda s, o: s.ChainedScheduler([s.ReduceLROnPlateau(o)])),
]


@pytest.mark.parametrize("case", range(len(NEW_ERRORS)))
def test_new_schedulers_errors_equal_pytorchs(torch: object, case: int) -> None:
    name, build = NEW_ERRORS[case]
    raised = []
    for lib in (tg, torch):
        with pytest.raises((ValueError, TypeError)) as error:
            build(lib.optim.lr_scheduler, make_optimizer(lib))
        raised.append((error.type, str(error.value)))
    assert raised[0] == raised[1], name


def test_step_with_an_epoch_warns_as_pytorch() -> None:
    """step(epoch) still jumps (closed form) but warns that the argument is deprecated."""
    param = tg.ones(1, requires_grad=True)
    optimizer = tg.optim.SGD([param], lr=1.0)
    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    optimizer.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not"):
        scheduler.step(4)
    assert scheduler.get_last_lr() == [0.25]
