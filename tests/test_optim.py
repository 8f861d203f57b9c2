"""Optimizers: trajectories vs PyTorch and vs NumPy re-implementations, fused kernels vs the
reference backend (bit for bit), state_dict round trips, param groups, closures, errors."""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from kernels import reference
from kernels.cpu import CPUBackend
from kernels.cpu import optim as cpu_optim
from tinygrad_edu import optim
from tinygrad_edu.serialization import load, save

STEPS = 12
SHAPES = [(4, 5), (3,)]

# (optimizer class name, options): every option of every optimizer, alone and combined
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "maximize": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.8), "eps": 1e-3}),  # lerp weight >= 0.5 branch
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.5}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "maximize": True, "eps": 1e-3}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items())}" for name, options in CASES]


def problem(dtype: type = np.float32) -> tuple[list, list, list]:
    """Start values, targets and per-step noise for a quadratic bowl (the same every run)."""
    rng = np.random.default_rng(7)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    target = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    noise = [[(0.1 * rng.standard_normal(s)).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return start, target, noise


def gradient(value: np.ndarray, target: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """d/dp of (p - target)^2 plus noise, computed in NumPy so every library sees the same."""
    return (2 * (value - target) + noise).astype(value.dtype)


def run_library(lib: object, name: str, options: dict, dtype: type = np.float32,
                steps: int = STEPS) -> list[list[np.ndarray]]:
    """Parameter values after each step, with `lib` = tinygrad_edu or torch."""
    start, target, noise = problem(dtype)
    params = [lib.tensor(s.copy(), requires_grad=True) for s in start]
    optimizer = getattr(lib.optim, name)(params, **options)
    history = []
    for step in range(steps):
        for p, t, n in zip(params, target, noise[step]):
            p.grad = lib.tensor(gradient(p.detach().numpy(), t, n))
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def assert_trajectories_close(ours: list, theirs: list, rtol: float, atol: float) -> None:
    for step, (a_step, b_step) in enumerate(zip(ours, theirs)):
        for index, (a, b) in enumerate(zip(a_step, b_step)):
            error = np.abs(a.astype(np.float64) - b).max()
            assert np.allclose(a, b, rtol=rtol, atol=atol), \
                f"step {step}, param {index} {a.shape}: max abs difference {error:.3g}"


# ---------------------------------------------------------------------------- vs PyTorch


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_trajectory_matches_pytorch_float32(torch: object, name: str, options: dict) -> None:
    ours = run_library(tg, name, options)
    theirs = run_library(torch, name, options)
    assert_trajectories_close(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "options"), CASES[::3], ids=IDS[::3])
def test_trajectory_matches_pytorch_float64(torch: object, name: str, options: dict) -> None:
    ours = run_library(tg, name, options, np.float64)
    theirs = run_library(torch, name, options, np.float64)
    assert_trajectories_close(ours, theirs, rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------------------- vs NumPy


def numpy_step(name: str, options: dict, p: np.ndarray, g: np.ndarray, state: dict,
               t: int) -> np.ndarray:
    """One step of each algorithm as the textbooks write it (float64, no fusing)."""
    lr = options.get("lr")
    wd = options.get("weight_decay", 0.01 if name == "AdamW" else 0.0)
    if options.get("maximize"):
        g = -g
    if name == "SGD":
        g = g + wd * p
        momentum = options.get("momentum", 0.0)
        if momentum:
            dampening = options.get("dampening", 0.0)
            state["b"] = g.copy() if t == 1 else momentum * state["b"] + (1 - dampening) * g
            g = g + momentum * state["b"] if options.get("nesterov") else state["b"]
        return p - lr * g
    if name in ("Adam", "AdamW"):
        beta1, beta2 = options.get("betas", (0.9, 0.999))
        eps = options.get("eps", 1e-8)
        if name == "AdamW":
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
        state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * g * g
        v = state["v"]
        if options.get("amsgrad"):
            state["v_max"] = v = np.maximum(state.get("v_max", 0), v)
        m_hat = state["m"] / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)
    if name == "RMSprop":
        alpha, eps, momentum = options.get("alpha", 0.99), options.get("eps", 1e-8), \
            options.get("momentum", 0.0)
        g = g + wd * p
        state["v"] = alpha * state.get("v", 0) + (1 - alpha) * g * g
        v = state["v"]
        if options.get("centered"):
            state["mean"] = alpha * state.get("mean", 0) + (1 - alpha) * g
            v = v - state["mean"] ** 2
        if momentum:
            state["b"] = momentum * state.get("b", 0) + g / (np.sqrt(v) + eps)
            return p - lr * state["b"]
        return p - lr * g / (np.sqrt(v) + eps)
    # Adagrad
    g = g + wd * p
    state["sum"] = state.get("sum", options.get("initial_accumulator_value", 0.0)) + g * g
    rate = lr / (1 + (t - 1) * options.get("lr_decay", 0.0))
    return p - rate * g / (np.sqrt(state["sum"]) + options.get("eps", 1e-10))


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_trajectory_matches_numpy_reimplementation(name: str, options: dict) -> None:
    ours = run_library(tg, name, options, np.float64)
    start, target, noise = problem(np.float64)
    values, states, expected = [s.copy() for s in start], [{} for _ in start], []
    for step in range(STEPS):
        values = [numpy_step(name, options, p, gradient(p, t, n), state, step + 1)
                  for p, t, n, state in zip(values, target, noise[step], states)]
        expected.append(values)
    assert_trajectories_close(ours, expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- the kernels


def _buffers(rng: np.random.Generator, count: int, n: int, dtype: type) -> list[np.ndarray]:
    """param, grad, then state: the first state buffer >= 1 (a mean square), the rest small,
    so centered RMSprop's v - mean^2 stays positive."""
    buffers = [rng.standard_normal(n).astype(dtype) for _ in range(count)]
    state = [(np.abs(b) + 1) * (1 if k == 0 else 0.1) for k, b in enumerate(buffers[2:])]
    return buffers[:2] + [s.astype(dtype) for s in state]


KERNEL_CALLS = [
    ("sgd_update", 3, {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1,
                       "nesterov": False, "maximize": True, "first_step": False}),
    ("sgd_update", 3, {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0,
                       "nesterov": True, "maximize": False, "first_step": True}),
    ("sgd_update", 2, {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0,
                       "nesterov": False, "maximize": False, "first_step": False}),
    ("adam_update", 5, {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                        "weight_decay": 0.1, "step": 3.0, "amsgrad": True, "maximize": True,
                        "decoupled": False}),
    ("adam_update", 4, {"lr": 1e-2, "beta1": 0.2, "beta2": 0.9, "eps": 1e-8,
                        "weight_decay": 0.1, "step": 1.0, "amsgrad": False, "maximize": False,
                        "decoupled": True}),
    ("rmsprop_update", 5, {"lr": 1e-2, "alpha": 0.9, "eps": 1e-8, "weight_decay": 0.1,
                           "momentum": 0.5, "centered": True, "maximize": True}),
    ("rmsprop_update", 3, {"lr": 1e-2, "alpha": 0.2, "eps": 1e-8, "weight_decay": 0.0,
                           "momentum": 0.0, "centered": False, "maximize": False}),
    ("adagrad_update", 3, {"lr": 1e-2, "lr_decay": 0.1, "eps": 1e-10, "weight_decay": 0.1,
                           "step": 4.0, "maximize": True}),
]


def _positional(method: str, buffers: list) -> list:
    """The buffers in the method's order, None for the optional ones that are off."""
    count = {"sgd_update": 3, "adam_update": 5, "rmsprop_update": 5, "adagrad_update": 3}
    return buffers + [None] * (count[method] - len(buffers))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("method", "count", "options"), KERNEL_CALLS,
                         ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(KERNEL_CALLS)])
def test_cpu_kernels_equal_reference_bit_for_bit(method: str, count: int, options: dict,
                                                 dtype: type) -> None:
    rng = np.random.default_rng(3)
    start = _buffers(rng, count, 1000, dtype)
    ours, expected = [b.copy() for b in start], [b.copy() for b in start]
    for _ in range(3):
        getattr(CPUBackend(), method)(*_positional(method, ours), **options)
        getattr(reference.ReferenceBackend(), method)(*_positional(method, expected), **options)
    for index, (a, b) in enumerate(zip(ours, expected)):
        assert np.array_equal(a, b, equal_nan=True), (f"{method} buffer {index}: max difference "
                                      f"{np.abs(a - b).max():.3g}")


def test_parallel_kernels_equal_serial_bit_for_bit() -> None:
    rng = np.random.default_rng(4)
    n = 1000  # not a multiple of the chunk count: uneven chunks
    float32 = np.dtype(np.float32)
    calls = [
        ("sgd_update", 3, cpu_optim.sgd_arguments(0.1, 0.9, 0.1, 0.1, True, True, False,
                                                  float32)),
        ("adam_update", 5, cpu_optim.adam_arguments(1e-2, 0.9, 0.99, 1e-8, 0.1, 2.0, True,
                                                    False, False, float32)),
        ("rmsprop_update", 5, cpu_optim.rmsprop_arguments(1e-2, 0.9, 1e-8, 0.1, 0.5, True,
                                                          True, float32)),
        ("adagrad_update", 3, cpu_optim.adagrad_arguments(1e-2, 0.1, 1e-10, 0.1, 3.0, False,
                                                          float32)),
    ]
    for name, count, arguments in calls:
        start = _buffers(rng, count, n, np.float32)
        serial, parallel = [b.copy() for b in start], [b.copy() for b in start]
        getattr(cpu_optim, name)(*serial, *arguments)
        getattr(cpu_optim, name + "_parallel")(*parallel, *arguments)
        for index, (a, b) in enumerate(zip(serial, parallel)):
            assert np.array_equal(a, b), f"{name}_parallel differs in buffer {index}"


def test_kernel_division_by_zero_gives_inf_like_pytorch() -> None:
    # eps = 0 and a zero gradient: 0 / 0 = nan, no ZeroDivisionError
    param, grad, total = np.ones(3, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32)
    CPUBackend().adagrad_update(param, grad, total, lr=0.1, lr_decay=0.0, eps=0.0,
                                weight_decay=0.0, step=1.0, maximize=False)
    assert np.isnan(param).all()


# ---------------------------------------------------------------------------- the Optimizer API


def test_step_updates_in_place_bumps_version_and_skips_params_without_grad() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0], requires_grad=True)
    storage, version = a._storage, a._version
    optimizer = optim.Adam([a, b], lr=0.1)
    a.grad = tg.tensor([1.0, -1.0])
    optimizer.step()
    assert a._storage is storage and a._version == version + 1
    assert b.tolist() == [3.0] and len(optimizer.state[b]) == 0
    assert a.requires_grad and a.is_leaf and a.grad_fn is None
    assert float(optimizer.state[a]["step"]) == 1.0


def test_non_contiguous_parameter_and_gradient(torch: object) -> None:
    base = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    grad = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    results = []
    for lib in (tg, torch):
        param = lib.tensor(base).t().detach().requires_grad_(True)  # (4, 3), strides (1, 4)
        assert not param.is_contiguous()
        optimizer = lib.optim.SGD([param], lr=0.5, momentum=0.9)
        for _ in range(3):
            param.grad = lib.tensor(grad.T.copy()).t()  # non-contiguous gradient too
            optimizer.step()
        results.append(param.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_zero_grad_to_none_and_to_zeros() -> None:
    p = tg.ones(3, requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.tolist() == [0.0, 0.0, 0.0]
    optimizer.zero_grad()
    assert p.grad is None


def test_closure_is_evaluated_with_grad_and_its_loss_returned(torch: object) -> None:
    def make_closure(optimizer: object, p: object) -> object:
        def closure() -> object:
            optimizer.zero_grad()
            loss = (p * p).sum()
            loss.backward()  # step() runs under no_grad; the closure must record anyway
            return loss
        return closure

    results = []
    for lib in (tg, torch):
        p = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        optimizer = lib.optim.SGD([p], lr=0.1, momentum=0.5)
        closure = make_closure(optimizer, p)
        losses = [optimizer.step(closure).item() for _ in range(4)]
        results.append((losses, p.detach().numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


def test_param_groups_and_add_param_group(torch: object) -> None:
    start, target, _ = problem()
    results = []
    for lib in (tg, torch):
        a, b = (lib.tensor(s.copy(), requires_grad=True) for s in start)
        optimizer = lib.optim.Adam([{"params": [a]}], lr=0.1, betas=(0.8, 0.9))
        optimizer.add_param_group({"params": b, "lr": 0.01, "amsgrad": True})
        assert optimizer.param_groups[1]["betas"] == (0.8, 0.9)
        for _ in range(5):
            for p, t in zip((a, b), target):
                p.grad = lib.tensor(gradient(p.detach().numpy(), t, 0 * t))
            optimizer.step()
        results.append([a.detach().numpy().copy(), b.detach().numpy().copy()])
    assert_trajectories_close([results[0]], [results[1]], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer_ours = optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
        optimizer_ours.add_param_group({"params": optimizer_ours.param_groups[0]["params"]})


def test_state_dict_has_pytorchs_layout(torch: object) -> None:
    for name, options in CASES:
        dicts = []
        for lib in (tg, torch):
            params = [lib.tensor(np.ones(s, np.float32), requires_grad=True) for s in SHAPES]
            optimizer = getattr(lib.optim, name)(params, **options)
            for p in params:
                p.grad = lib.ones(*p.shape)
            optimizer.step()
            dicts.append(optimizer.state_dict())
        ours, theirs = dicts
        assert [sorted(g) for g in ours["param_groups"]] == \
            [sorted(g) for g in theirs["param_groups"]], name
        assert ours["param_groups"][0]["params"] == theirs["param_groups"][0]["params"]
        assert sorted(ours["state"]) == sorted(theirs["state"]), name
        for index in theirs["state"]:
            assert sorted(ours["state"][index]) == sorted(theirs["state"][index]), name
            for key, value in theirs["state"][index].items():
                np.testing.assert_allclose(ours["state"][index][key].numpy(), value.numpy(),
                                           rtol=1e-6, err_msg=f"{name} state {key}")


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_state_dict_round_trip_continues_bit_for_bit(name: str, options: dict) -> None:
    """Save after 3 steps, load into a fresh optimizer over fresh tensors: same next steps."""
    start, target, noise = problem()

    def steps(optimizer: optim.Optimizer, params: list, first: int, last: int) -> None:
        for step in range(first, last):
            for p, t, n in zip(params, target, noise[step]):
                p.grad = tg.tensor(gradient(p.detach().numpy(), t, n))
            optimizer.step()

    params = [tg.tensor(s.copy(), requires_grad=True) for s in start]
    optimizer = getattr(optim, name)(params, **options)
    steps(optimizer, params, 0, 3)
    buffer = io.BytesIO()
    save({"optimizer": optimizer.state_dict(), "params": params}, buffer)
    buffer.seek(0)
    checkpoint = load(buffer)
    resumed_params = [p.detach().clone().requires_grad_(True) for p in checkpoint["params"]]
    resumed = getattr(optim, name)(resumed_params, lr=123.0)  # options come from the dict
    resumed.load_state_dict(checkpoint["optimizer"])
    steps(optimizer, params, 3, 6)
    steps(resumed, resumed_params, 3, 6)
    for a, b in zip(params, resumed_params):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    assert resumed.param_groups[0]["lr"] == options["lr"]


def test_load_state_dict_copies_and_casts_state() -> None:
    p = tg.ones(3, dtype=tg.float64, requires_grad=True)
    optimizer = optim.Adam([p])
    p.grad = tg.ones(3, dtype=tg.float64)
    optimizer.step()
    state = optimizer.state_dict()
    state32 = copy.deepcopy(state)
    state32["state"][0]["exp_avg"] = state["state"][0]["exp_avg"].float()
    other = optim.Adam([tg.ones(3, dtype=tg.float64, requires_grad=True)])
    other.load_state_dict(state32)
    loaded = next(iter(other.state.values()))
    assert loaded["exp_avg"].dtype is tg.float64
    assert loaded["step"].dtype is tg.float32 and float(loaded["step"]) == 1.0
    assert loaded["exp_avg_sq"] is not state["state"][0]["exp_avg_sq"]


def test_load_state_dict_keeps_a_plain_number_step() -> None:
    """A custom optimizer may count steps with an int: it stays an int (PyTorch's rule)."""
    p = tg.ones(2, requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1)
    optimizer.state[p]["step"] = 3
    optimizer.load_state_dict(optimizer.state_dict())
    step = optimizer.state[p]["step"]
    assert type(step) is int and step == 3, repr(step)


def test_load_state_dict_refuses_mismatched_groups_and_shapes() -> None:
    a = tg.ones(3, requires_grad=True)
    optimizer = optim.Adam([a])
    a.grad = tg.ones(3)
    optimizer.step()
    state = optimizer.state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.Adam([tg.ones(3, requires_grad=True), tg.ones(1, requires_grad=True)]) \
            .load_state_dict(state)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.Adam([{"params": [tg.ones(3, requires_grad=True)]},
                    {"params": [tg.ones(1, requires_grad=True)]}]).load_state_dict(state)
    wrong = tg.ones(5, requires_grad=True)
    other = optim.Adam([wrong])
    other.load_state_dict(state)  # like PyTorch, shapes are only checked when used
    wrong.grad = tg.ones(5)
    with pytest.raises(RuntimeError, match=r"state of shape \[3\].*parameter of shape \[5\]"):
        other.step()


def test_invalid_arguments_raise_like_pytorch() -> None:
    p = tg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.Adam(p)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.Adam([p * 2])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.Adam([{"params": {p}}])


def test_repr_lists_groups() -> None:
    text = repr(optim.SGD([tg.ones(1, requires_grad=True)], lr=0.5, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.5" in text and "momentum: 0.9" in text


def test_adagrad_state_exists_before_the_first_step() -> None:
    p = tg.ones(2, requires_grad=True)
    optimizer = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert optimizer.state[p]["sum"].tolist() == [0.25, 0.25]
    assert math.isclose(float(optimizer.state[p]["step"]), 0.0)


@pytest.mark.gpu
def test_fused_update_on_cuda_matches_cpu() -> None:
    from tinygrad_edu.device import backend_for

    backend = backend_for(tg.device("cuda"))
    if not hasattr(backend, "adam_update"):
        pytest.skip("the CUDA backend has no optimizer kernels yet")
    start, target, noise = problem()
    results = []
    for device in ("cpu", "cuda"):
        params = [tg.tensor(s.copy(), device=device, requires_grad=True) for s in start]
        optimizer = optim.Adam(params, lr=0.05, amsgrad=True, weight_decay=0.1)
        for step in range(3):
            for p, t, n in zip(params, target, noise[step]):
                p.grad = tg.tensor(gradient(p.detach().cpu().numpy(), t, n), device=device)
            optimizer.step()
        results.append([p.detach().cpu().numpy() for p in params])
    assert_trajectories_close([results[0]], [results[1]], rtol=1e-5, atol=1e-6)
