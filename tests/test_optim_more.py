"""Adamax, NAdam, RAdam, Adadelta (Tensor-op optimizers): trajectories vs PyTorch, param
groups, state layout, state_dict round trips, defaults, repr, argument errors, devices."""

from __future__ import annotations

import io

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.serialization import load, save

STEPS = 8  # RAdam's rectified branch starts at step 6 (rho_t > 5 for beta2 = 0.999)
SHAPES = [(4, 5), (3,)]
NAMES = ["Adamax", "NAdam", "RAdam", "Adadelta"]

# (optimizer class name, options): each option alone and combined
CASES = [
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "maximize": True, "betas": (0.3, 0.8), "eps": 1e-3}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.3, "maximize": True, "betas": (0.6, 0.9)}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05, "maximize": True, "betas": (0.3, 0.9), "eps": 1e-3}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.5, "maximize": True, "eps": 1e-3}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items())}" for name, options in CASES]
STATE_KEYS = {"Adamax": {"step", "exp_avg", "exp_inf"},
              "NAdam": {"step", "mu_product", "exp_avg", "exp_avg_sq"},
              "RAdam": {"step", "exp_avg", "exp_avg_sq"},
              "Adadelta": {"step", "square_avg", "acc_delta"}}


def problem(dtype: type = np.float32) -> tuple[list, list, list]:
    """Start values, targets and per-step noise for a quadratic bowl (the same every run)."""
    rng = np.random.default_rng(11)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    target = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    noise = [[(0.3 * rng.standard_normal(s)).astype(dtype) for s in SHAPES]
             for _ in range(STEPS)]
    return start, target, noise


def gradient(value: np.ndarray, target: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """d/dp of (p - target)^2 plus noise, computed in NumPy so both libraries see the same."""
    return (2 * (value - target) + noise).astype(value.dtype)


def to_numpy(tensor: object) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def feed(lib: object, params: list, target: list, noise: list, device: str = "cpu") -> None:
    for p, t, n in zip(params, target, noise):
        p.grad = lib.tensor(gradient(to_numpy(p), t, n), device=device)


def run_library(lib: object, name: str, options: dict, dtype: type = np.float32,
                device: str = "cpu", groups: list | None = None) -> list[list[np.ndarray]]:
    """Parameter values after each step, with `lib` = tinygrad_edu or torch; `groups`: per
    parameter a dict of group options (one group per parameter) instead of one group."""
    start, target, noise = problem(dtype)
    params = [lib.tensor(s.copy(), device=device, requires_grad=True) for s in start]
    if groups is None:
        optimizer = getattr(lib.optim, name)(params, **options)
    else:
        optimizer = getattr(lib.optim, name)(
            [{"params": [p], **g} for p, g in zip(params, groups)], **options)
    history = []
    for step in range(STEPS):
        feed(lib, params, target, noise[step], device)
        optimizer.step()
        history.append([to_numpy(p) for p in params])
    return history


def assert_trajectories_close(ours: list, theirs: list, rtol: float, atol: float) -> None:
    assert len(ours) == len(theirs) == STEPS
    for step, (a_step, b_step) in enumerate(zip(ours, theirs)):
        for index, (a, b) in enumerate(zip(a_step, b_step)):
            assert a.dtype == b.dtype, f"step {step}, param {index}: {a.dtype} vs {b.dtype}"
            error = np.abs(a.astype(np.float64) - b).max()
            assert np.allclose(a, b, rtol=rtol, atol=atol), \
                f"step {step}, param {index} {a.shape}: max abs difference {error:.3g}"


def test_every_case_moves_the_parameters() -> None:
    """The trajectory tests compare something: every case changes every parameter."""
    start, _, _ = problem()
    for name, options in CASES:
        last = run_library(tg, name, options)[-1]
        for s, p in zip(start, last):
            assert np.abs(p - s).max() > 1e-4, (name, options)


# ---------------------------------------------------------------------------- vs PyTorch


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_trajectory_matches_pytorch_float32(torch: object, name: str, options: dict) -> None:
    ours = run_library(tg, name, options)
    theirs = run_library(torch, name, options)
    assert_trajectories_close(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_trajectory_matches_pytorch_float64(torch: object, name: str, options: dict) -> None:
    ours = run_library(tg, name, options, np.float64)
    theirs = run_library(torch, name, options, np.float64)
    assert_trajectories_close(ours, theirs, rtol=1e-12, atol=1e-13)


def test_radam_takes_both_branches() -> None:
    """rho_t <= 5 for steps 1-5 (momentum steps) and > 5 from step 6 (rectified steps):
    the rectified steps depend on eps, the early ones do not."""
    small = run_library(tg, "RAdam", {"lr": 0.05, "eps": 1e-8}, np.float64)
    large = run_library(tg, "RAdam", {"lr": 0.05, "eps": 10.0}, np.float64)
    for step in range(5):
        for a, b in zip(small[step], large[step]):
            assert np.array_equal(a, b), step
    assert all(not np.allclose(a, b) for a, b in zip(small[5], large[5]))


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_with_their_own_options_match_pytorch(torch: object, name: str) -> None:
    groups = [{"lr": 0.1, "weight_decay": 0.2}, {"lr": 0.01}]
    options = {"lr": 0.03, "maximize": name == "Adadelta"}
    ours = run_library(tg, name, options, groups=groups)
    theirs = run_library(torch, name, options, groups=groups)
    assert_trajectories_close(ours, theirs, rtol=1e-5, atol=1e-6)
    # the groups really differ: each parameter alone under the other group's lr moves less/more
    single = run_library(tg, name, {**options, **groups[1]})
    assert not np.allclose(ours[-1][0], single[-1][0])


@pytest.mark.parametrize("name", NAMES)
def test_add_param_group_takes_the_defaults(torch: object, name: str) -> None:
    results = []
    start, target, noise = problem()
    for lib in (tg, torch):
        a, b = (lib.tensor(s.copy(), requires_grad=True) for s in start)
        optimizer = getattr(lib.optim, name)([a], lr=0.05, weight_decay=0.1)
        optimizer.add_param_group({"params": b, "lr": 0.2})
        assert optimizer.param_groups[1]["weight_decay"] == 0.1
        history = []
        for step in range(STEPS):
            feed(lib, (a, b), target, noise[step])
            optimizer.step()
            history.append([to_numpy(a), to_numpy(b)])
        results.append(history)
    assert_trajectories_close(results[0], results[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_closure_loss_and_params_without_grad(torch: object, name: str) -> None:
    results = []
    for lib in (tg, torch):
        p = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        frozen = lib.tensor([5.0], requires_grad=True)
        optimizer = getattr(lib.optim, name)([p, frozen], lr=0.1)

        def closure(p: object = p, optimizer: object = optimizer) -> object:
            optimizer.zero_grad()
            loss = (p * p).sum()
            loss.backward()  # step() runs under no_grad: the closure records anyway
            return loss

        losses = [optimizer.step(closure).item() for _ in range(4)]
        assert frozen.tolist() == [5.0] and len(optimizer.state[frozen]) == 0
        results.append((losses, to_numpy(p)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert not np.allclose(results[0][1], [1.0, -2.0, 3.0])


@pytest.mark.parametrize("name", NAMES)
def test_step_writes_in_place(name: str) -> None:
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    storage, version = p._storage, p._version
    optimizer = getattr(optim, name)([p], lr=0.1)
    p.grad = tg.tensor([1.0, -1.0])
    optimizer.step()
    assert p._storage is storage and p._version > version
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.tolist() != [1.0, 2.0]
    for key, value in optimizer.state[p].items():
        if key not in ("step", "mu_product"):
            assert value.shape == p.shape and not value.requires_grad, key


@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_parameter_matches_pytorch(torch: object, name: str) -> None:
    base = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    grad = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    results = []
    for lib in (tg, torch):
        param = lib.tensor(base).t().detach().requires_grad_(True)  # (4, 3), strides (1, 4)
        assert not param.is_contiguous()
        optimizer = getattr(lib.optim, name)([param], lr=0.1, weight_decay=0.1)
        for _ in range(3):
            param.grad = lib.tensor(grad.T.copy()).t()
            optimizer.step()
        results.append(to_numpy(param))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-7)
    assert not np.allclose(results[0], base.T)


# ---------------------------------------------------------------------------- state


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_state_dict_has_pytorchs_layout_and_values(torch: object, name: str,
                                                   options: dict) -> None:
    dicts = []
    for lib in (tg, torch):
        start, target, noise = problem()
        params = [lib.tensor(s.copy(), requires_grad=True) for s in start]
        optimizer = getattr(lib.optim, name)(params, **options)
        for step in range(3):
            feed(lib, params, target, noise[step])
            optimizer.step()
        dicts.append(optimizer.state_dict())
    ours, theirs = dicts
    assert [sorted(g) for g in ours["param_groups"]] == \
        [sorted(g) for g in theirs["param_groups"]]
    for group, their_group in zip(ours["param_groups"], theirs["param_groups"]):
        assert group == their_group
    assert sorted(ours["state"]) == sorted(theirs["state"]) == [0, 1]
    for index, their_state in theirs["state"].items():
        state = ours["state"][index]
        assert set(state) == set(their_state) == STATE_KEYS[name]
        for key, value in their_state.items():
            assert tuple(state[key].shape) == tuple(value.shape), key
            assert str(state[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1]
            assert state[key].device.type == "cpu"
            np.testing.assert_allclose(state[key].numpy(), value.numpy(), rtol=1e-5,
                                       atol=1e-7, err_msg=f"{name} state {key}")
        assert state["step"].shape == () and state["step"].dtype is tg.float32
        assert float(state["step"]) == 3.0


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_state_dict_round_trip_continues_bit_for_bit(name: str, options: dict) -> None:
    """Save after 3 steps, load into a fresh optimizer over fresh tensors: same next steps."""
    start, target, noise = problem()

    def steps(optimizer: optim.Optimizer, params: list, first: int, last: int) -> list:
        for step in range(first, last):
            feed(tg, params, target, noise[step])
            optimizer.step()
        return [to_numpy(p) for p in params]

    params = [tg.tensor(s.copy(), requires_grad=True) for s in start]
    optimizer = getattr(optim, name)(params, **options)
    steps(optimizer, params, 0, 3)
    buffer = io.BytesIO()
    save({"optimizer": optimizer.state_dict(), "params": params}, buffer)
    buffer.seek(0)
    checkpoint = load(buffer)
    resumed_params = [p.detach().clone().requires_grad_(True) for p in checkpoint["params"]]
    resumed = getattr(optim, name)(resumed_params, lr=123.0, weight_decay=0.5)
    resumed.load_state_dict(checkpoint["optimizer"])
    assert resumed.param_groups[0]["lr"] == options.get("lr", optimizer.defaults["lr"])
    assert resumed.param_groups[0]["weight_decay"] == options.get("weight_decay", 0)
    state = resumed.state[resumed_params[0]]
    assert set(state) == STATE_KEYS[name]
    assert state["step"].dtype is tg.float32 and float(state["step"]) == 3.0
    expected = steps(optimizer, params, 3, STEPS)
    got = steps(resumed, resumed_params, 3, STEPS)
    for a, b in zip(expected, got):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_float64_round_trip_matches_pytorchs_resumed_run(torch: object, name: str) -> None:
    """load_state_dict casts floating state (NAdam's mu_product too, not "step") to the
    parameter's dtype, as PyTorch does; the resumed runs agree."""
    results = []
    for lib in (tg, torch):
        start, target, noise = problem(np.float64)
        params = [lib.tensor(s.copy(), requires_grad=True) for s in start]
        optimizer = getattr(lib.optim, name)(params, lr=0.05)
        for step in range(3):
            feed(lib, params, target, noise[step])
            optimizer.step()
        fresh = [lib.tensor(to_numpy(p), requires_grad=True) for p in params]
        resumed = getattr(lib.optim, name)(fresh, lr=0.05)
        resumed.load_state_dict(optimizer.state_dict())
        state = resumed.state[fresh[0]]
        dtypes = {key: str(value.dtype).split(".")[-1] for key, value in state.items()}
        for step in range(3, STEPS):
            feed(lib, fresh, target, noise[step])
            resumed.step()
        results.append((dtypes, [to_numpy(p) for p in fresh]))
    assert results[0][0] == results[1][0]
    assert results[0][0]["step"] == "float32"
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------------------- the API


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_repr_equal_pytorchs(torch: object, name: str) -> None:
    ours = getattr(optim, name)([tg.ones(2, requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)])
    assert ours.defaults == theirs.defaults
    assert repr(ours) == repr(theirs)
    ours = getattr(optim, name)([tg.ones(2, requires_grad=True)], lr=0.25, maximize=True)
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], lr=0.25,
                                        maximize=True)
    assert repr(ours) == repr(theirs)
    assert "lr: 0.25" in repr(ours) and repr(ours).startswith(f"{name} (")


INVALID = [
    ("Adamax", {"lr": -1.0}), ("Adamax", {"eps": -1e-8}), ("Adamax", {"betas": (1.0, 0.9)}),
    ("Adamax", {"betas": (0.9, -0.1)}), ("Adamax", {"weight_decay": -0.1}),
    ("Adamax", {"lr": -1.0, "eps": -1.0}),
    ("NAdam", {"lr": -1e-3}), ("NAdam", {"eps": -1.0}), ("NAdam", {"betas": (-0.5, 0.9)}),
    ("NAdam", {"betas": (0.9, 1.0)}), ("NAdam", {"weight_decay": -1.0}),
    ("NAdam", {"momentum_decay": -0.1}), ("NAdam", {"weight_decay": -1.0, "momentum_decay": -1}),
    ("RAdam", {"lr": -0.5}), ("RAdam", {"eps": -0.5}), ("RAdam", {"betas": (1.5, 0.9)}),
    ("RAdam", {"betas": (0.9, 1.5)}), ("RAdam", {"weight_decay": -0.5}),
    ("RAdam", {"betas": (0.9, 1.5), "weight_decay": -0.5}),
    ("Adadelta", {"lr": -1.0}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"rho": -0.1}),
    ("Adadelta", {"eps": -1.0}), ("Adadelta", {"weight_decay": -1.0}),
    ("Adadelta", {"rho": 2.0, "eps": -1.0}),
]


@pytest.mark.parametrize(("name", "options"), INVALID,
                         ids=[f"{n}-{o}" for n, o in INVALID])
def test_invalid_arguments_raise_pytorchs_error(torch: object, name: str,
                                                options: dict) -> None:
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **options)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([tg.ones(2, requires_grad=True)], **options)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", NAMES)
def test_edge_values_are_accepted(torch: object, name: str) -> None:
    """The bounds themselves are valid (lr = eps = 0, beta = 0, rho = 1), as in PyTorch."""
    options = {"lr": 0.0, "eps": 0.0, "weight_decay": 0.0}
    options.update({"rho": 1.0} if name == "Adadelta" else {"betas": (0.0, 0.0)})
    getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **options)
    optimizer = getattr(optim, name)([tg.ones(2, requires_grad=True)], **options)
    assert all(optimizer.param_groups[0][k] == v for k, v in options.items())


@pytest.mark.parametrize("name", NAMES)
def test_unsupported_and_generic_errors(name: str) -> None:
    p = tg.ones(2, requires_grad=True)
    cls = getattr(optim, name)
    with pytest.raises(ValueError, match="not supported by tinygrad_edu"):
        cls([p], capturable=True)
    with pytest.raises(ValueError, match="not supported by tinygrad_edu"):
        cls([p], differentiable=True)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        cls(p)
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([])
    with pytest.raises(ValueError, match="non-leaf"):
        cls([p * 2])


# ---------------------------------------------------------------------------- devices


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", NAMES)
def test_on_each_device_matches_pytorch(torch: object, name: str, device: str) -> None:
    options = {"lr": 0.05, "weight_decay": 0.1}
    if name in ("NAdam", "RAdam"):
        options["decoupled_weight_decay"] = True
    ours = run_library(tg, name, options, device=device)
    theirs = run_library(torch, name, options)
    assert_trajectories_close(ours, theirs, rtol=1e-5, atol=1e-6)
    # the state lives on the parameter's device, the step count on the CPU
    p = tg.ones(3, device=device, requires_grad=True)
    optimizer = getattr(optim, name)([p], **options)
    p.grad = tg.ones(3, device=device)
    optimizer.step()
    for key, value in optimizer.state[p].items():
        expected = "cpu" if key in ("step", "mu_product") else device
        assert value.device.type == expected, key
