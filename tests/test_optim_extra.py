"""Rprop, ASGD and swa_utils (AveragedModel, SWALR, update_bn, the EMA helpers), step by
step against PyTorch from the same start in float64: parameters, state keys and values,
state_dict round trips, learning rates."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
from tinygrad_edu import optim
from tinygrad_edu.optim import swa_utils

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


def close(ours, theirs, what: str, atol: float = 1e-12) -> None:
    a = ours.detach().numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    error = float(np.abs(a - b).max()) if a.size else 0.0
    assert error <= atol * max(1.0, float(np.abs(b).max())), f"{what}: max error {error:.3g}"


class Problem:
    """loss = sum((x @ W^T + b - y)^2) + sum(sin(3 W)): curved enough for sign flips."""

    def __init__(self) -> None:
        self.x, self.y = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 3))
        self.start = [RNG.standard_normal((3, 4)), RNG.standard_normal(3)]

    def params(self, lib):
        return [lib.tensor(a.copy(), dtype=lib.float64, requires_grad=True)
                for a in self.start]

    def loss(self, lib, params):
        weight, bias = params
        x, y = lib.tensor(self.x), lib.tensor(self.y)
        return ((x @ weight.t() + bias - y) ** 2).sum() + (3 * weight).sin().sum()


def run(lib, optimizer, params, problem: Problem, steps: int) -> None:
    for _ in range(steps):
        optimizer.zero_grad()
        problem.loss(lib, params).backward()
        optimizer.step()


def compare_states(ours, theirs, ours_params, theirs_params, what: str) -> None:
    for p, q in zip(ours_params, theirs_params):
        close(p, q, f"{what}: parameter")
        mine, reference = ours.state[p], theirs.state[q]
        assert list(mine) == list(reference), f"{what}: state keys {list(mine)}"
        for key in reference:
            close(mine[key], reference[key], f"{what}: state[{key!r}]", atol=1e-7
                  if key in ("eta", "mu") else 1e-12)


CASES = [
    ("Rprop", {}),
    ("Rprop", {"lr": 0.3, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.5)}),
    ("Rprop", {"lr": 0.05, "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.02, "lambd": 0.1, "alpha": 0.5, "t0": 3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.01, "t0": 2, "maximize": True}),
]


@pytest.mark.parametrize("name,options", CASES)
def test_steps_match_pytorch(name, options):
    problem = Problem()
    ours_params, theirs_params = problem.params(tg), problem.params(torch)
    ours = getattr(optim, name)(ours_params, **options)
    theirs = getattr(torch.optim, name)(theirs_params, **options)
    assert sorted(ours.defaults) == sorted(theirs.defaults)
    assert ours.defaults == theirs.defaults
    for step in range(8):
        run(tg, ours, ours_params, problem, 1)
        run(torch, theirs, theirs_params, problem, 1)
        compare_states(ours, theirs, ours_params, theirs_params, f"{name} step {step + 1}")


@pytest.mark.parametrize("name,options", [CASES[1], CASES[4]])
def test_state_dict_round_trip(name, options):
    problem = Problem()
    ours_params, theirs_params = problem.params(tg), problem.params(torch)
    ours = getattr(optim, name)(ours_params, **options)
    theirs = getattr(torch.optim, name)(theirs_params, **options)
    run(tg, ours, ours_params, problem, 4)
    run(torch, theirs, theirs_params, problem, 4)
    saved = copy.deepcopy(ours.state_dict())
    reference = theirs.state_dict()
    assert list(saved["state"]) == list(reference["state"]) == [0, 1]
    assert saved["state"][0].keys() == reference["state"][0].keys()
    assert saved["param_groups"][0].keys() == reference["param_groups"][0].keys()
    # a new optimizer over copies of the parameters continues exactly
    copies = [tg.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ours_params]
    resumed = getattr(optim, name)(copies, **options)
    resumed.load_state_dict(saved)
    theirs_copies = [torch.tensor(p.detach().numpy().copy(), requires_grad=True)
                     for p in theirs_params]
    theirs_resumed = getattr(torch.optim, name)(theirs_copies, **options)
    theirs_resumed.load_state_dict(reference)
    run(tg, resumed, copies, problem, 4)
    run(torch, theirs_resumed, theirs_copies, problem, 4)
    compare_states(resumed, theirs_resumed, copies, theirs_copies, f"{name} resumed")


def test_argument_errors():
    param = [tg.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="Invalid eta values: 1.5, 1.2"):
        optim.Rprop(param, etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.ASGD(param, lr=-1)
    with pytest.raises(ValueError, match="Invalid weight_decay"):
        optim.ASGD(param, weight_decay=-1)


# ---------------------------------------------------------------------------- swa_utils


def twin_models():
    """The same small model (Linear, BatchNorm1d, Linear) in both libraries, float64."""
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    ours.double()
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def perturb(ours, theirs, seed: int) -> None:
    """Move both models' weights the same way and run a training batch (new BN stats)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((5, 3))
    with tg.no_grad(), torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            delta = rng.standard_normal(tuple(q.shape))
            p.add_(tg.tensor(delta))
            q.add_(torch.tensor(delta))
    ours.train(), theirs.train()
    ours(tg.tensor(x)), theirs(torch.tensor(x))


@pytest.mark.parametrize("kind", ["swa", "swa_buffers", "ema_multi", "ema_avg"])
def test_averaged_model_matches_pytorch(kind):
    ours, theirs = twin_models()
    options_ours, options_theirs = {}, {}
    if kind == "swa_buffers":
        options_ours = options_theirs = {"use_buffers": True}
    elif kind == "ema_multi":
        options_ours = {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.7)}
        options_theirs = {"multi_avg_fn": torch.optim.swa_utils.get_ema_multi_avg_fn(0.7)}
    elif kind == "ema_avg":
        options_ours = {"avg_fn": swa_utils.get_ema_avg_fn(0.6)}
        options_theirs = {"avg_fn": torch.optim.swa_utils.get_ema_avg_fn(0.6)}
    averaged = swa_utils.AveragedModel(ours, **options_ours)
    reference = torch.optim.swa_utils.AveragedModel(theirs, **options_theirs)
    assert repr(averaged) == repr(reference)
    assert list(averaged.state_dict()) == list(reference.state_dict())
    for seed in range(4):
        perturb(ours, theirs, seed)
        averaged.update_parameters(ours)
        reference.update_parameters(theirs)
    mine, expected = averaged.state_dict(), reference.state_dict()
    assert int(mine["n_averaged"]) == int(expected["n_averaged"]) == 4
    for key, value in expected.items():
        close(mine[key], value, f"{kind}: {key}")
    x = np.random.default_rng(9).standard_normal((3, 3))
    averaged.eval(), reference.eval()
    close(averaged(tg.tensor(x)), reference(torch.tensor(x)), f"{kind}: forward")
    # the averaged copy is a copy: the model's own weights did not move with it
    assert not np.allclose(averaged.module[0].weight.detach().numpy(),
                           ours[0].weight.detach().numpy())


def test_update_bn_matches_pytorch():
    ours, theirs = twin_models()
    batches = [np.random.default_rng(i).standard_normal((4, 3)) * (i + 1) for i in range(3)]
    ours.eval(), theirs.eval()
    swa_utils.update_bn([(tg.tensor(b), 0) for b in batches], ours)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    assert not ours.training and ours[1].momentum == 0.1
    for key in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        close(ours.state_dict()[key], theirs.state_dict()[key], f"update_bn {key}")
    model = nn.Sequential(nn.Linear(2, 2))
    swa_utils.update_bn([tg.randn(2, 2)], model)  # no BatchNorm: nothing to do


@pytest.mark.parametrize("strategy,epochs", [("cos", 4), ("linear", 3), ("cos", 0)])
def test_swalr_rates_match_pytorch(strategy, epochs):
    ours_opt = optim.SGD([tg.zeros(2, requires_grad=True)], lr=0.5)
    ours_opt.add_param_group({"params": [tg.zeros(1, requires_grad=True)], "lr": 0.2})
    theirs_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.5)
    theirs_opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 0.2})
    ours = swa_utils.SWALR(ours_opt, swa_lr=[0.05, 0.01], anneal_epochs=epochs,
                           anneal_strategy=strategy)
    theirs = torch.optim.swa_utils.SWALR(theirs_opt, swa_lr=[0.05, 0.01],
                                         anneal_epochs=epochs, anneal_strategy=strategy)
    for _ in range(7):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-14)
        ours_opt.step(), theirs_opt.step()
        ours.step(), theirs.step()
    assert ours_opt.param_groups[0]["swa_lr"] == 0.05
    state = ours.state_dict()
    assert state["_anneal_strategy"] == strategy and not any(callable(v) for v in
                                                             state.values())
    with pytest.raises(ValueError, match="anneal_strategy must by one of"):
        swa_utils.SWALR(ours_opt, 0.1, anneal_strategy="step")
