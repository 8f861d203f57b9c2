"""LBFGS against PyTorch's: same start, same closure, same parameters after N steps."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.optim.lbfgs import cubic_minimizer, strong_wolfe

torch = pytest.importorskip("torch")

LINE_SEARCHES = [None, "strong_wolfe"]


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _run_rosenbrock(lib, steps: int, dtype_name: str = "float64", **options):
    """Minimise Rosenbrock from (-1.5, 2) for `steps` LBFGS steps; the final point, the
    losses step() returned and the state counters."""
    x = lib.tensor([-1.5, 2.0], dtype=getattr(lib, dtype_name), requires_grad=True)
    optimizer = lib.optim.LBFGS([x], **options)

    def closure():
        optimizer.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    losses = [float(optimizer.step(closure).detach()) for _ in range(steps)]
    state = optimizer.state[x]
    return x.detach().numpy().copy(), losses, state["func_evals"], state["n_iter"]


def _assert_same_run(ours, theirs, atol: float) -> None:
    error = np.abs(ours[0] - theirs[0]).max()
    assert error <= atol, f"parameters differ by {error}: {ours[0]} vs {theirs[0]}"
    loss_error = np.abs(np.array(ours[1]) - np.array(theirs[1])).max()
    assert loss_error <= atol * (1 + max(theirs[1])), f"losses {ours[1]} vs {theirs[1]}"
    assert ours[2:] == theirs[2:], f"(func_evals, n_iter) {ours[2:]} vs {theirs[2:]}"


@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
@pytest.mark.parametrize("options", [{}, {"lr": 0.1, "history_size": 3},
                                     {"max_iter": 7, "history_size": 4}])
def test_rosenbrock_matches_pytorch(line_search_fn, options):
    ours = _run_rosenbrock(tg, 3, line_search_fn=line_search_fn, **options)
    theirs = _run_rosenbrock(torch, 3, line_search_fn=line_search_fn, **options)
    _assert_same_run(ours, theirs, atol=1e-5)


def test_rosenbrock_converges_with_strong_wolfe():
    point, losses, _, _ = _run_rosenbrock(tg, 3, line_search_fn="strong_wolfe")
    assert np.abs(point - 1).max() < 1e-4, f"did not reach (1, 1): {point}"
    assert losses[0] > losses[-1]


def test_rosenbrock_float32_close_to_pytorch():
    ours = _run_rosenbrock(tg, 1, "float32", line_search_fn="strong_wolfe", max_iter=10)
    theirs = _run_rosenbrock(torch, 1, "float32", line_search_fn="strong_wolfe", max_iter=10)
    error = np.abs(ours[0] - theirs[0]).max()
    assert error < 1e-3, f"float32 parameters differ by {error}"


def _problem_data(seed: int = 0):
    generator = np.random.default_rng(seed)
    inputs = generator.normal(size=(40, 3))
    weight = generator.normal(size=(3, 1))
    targets = inputs @ weight + 0.1 * generator.normal(size=(40, 1))
    labels = (targets > 0).astype(np.float64)
    start_w, start_b = 0.1 * generator.normal(size=(3, 1)), np.zeros(1)
    return inputs, targets, labels, start_w, start_b


def _run_regression(lib, kind: str, line_search_fn, steps: int = 3):
    """Least squares (kind "ls") or logistic regression ("logistic") on fixed data."""
    inputs, targets, labels, start_w, start_b = _problem_data()
    x = lib.tensor(inputs)
    y = lib.tensor(targets if kind == "ls" else labels)
    w = lib.tensor(start_w, requires_grad=True)
    b = lib.tensor(start_b, requires_grad=True)
    optimizer = lib.optim.LBFGS([w, b], line_search_fn=line_search_fn, max_iter=10)
    functional = F if lib is tg else torch.nn.functional

    def closure():
        optimizer.zero_grad()
        scores = x @ w + b
        if kind == "ls":
            loss = ((scores - y) ** 2).mean()
        else:
            loss = functional.binary_cross_entropy_with_logits(scores, y) + 0.01 * (w * w).sum()
        loss.backward()
        return loss

    losses = [float(optimizer.step(closure).detach()) for _ in range(steps)]
    params = np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()])
    return params, losses


@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
@pytest.mark.parametrize("kind", ["ls", "logistic"])
def test_regression_matches_pytorch(kind, line_search_fn):
    ours, our_losses = _run_regression(tg, kind, line_search_fn)
    theirs, their_losses = _run_regression(torch, kind, line_search_fn)
    error = np.abs(ours - theirs).max()
    assert error < 1e-5, f"{kind}: parameters differ by {error}: {ours} vs {theirs}"
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-6, atol=1e-9)
    assert our_losses[-1] < our_losses[0], f"{kind}: the loss did not fall: {our_losses}"


def test_step_returns_first_loss_and_stops_at_minimum():
    x = tg.tensor([1.0, 1.0], dtype=tg.float64, requires_grad=True)
    optimizer = tg.optim.LBFGS([x])
    calls = []

    def closure():
        optimizer.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        calls.append(float(loss))
        return loss

    loss = optimizer.step(closure)
    assert float(loss) == 0.0
    assert len(calls) == 1, f"at the minimum one evaluation suffices, got {len(calls)}"
    assert x.tolist() == [1.0, 1.0]


def test_max_eval_limits_closure_calls():
    x = tg.tensor([-1.5, 2.0], dtype=tg.float64, requires_grad=True)
    optimizer = tg.optim.LBFGS([x], max_iter=50, max_eval=6)
    count = [0]

    def closure():
        count[0] += 1
        optimizer.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    optimizer.step(closure)
    assert count[0] == 6, f"expected 6 closure calls, got {count[0]}"
    assert optimizer.param_groups[0]["max_eval"] == 6
    assert tg.optim.LBFGS([x], max_iter=8).param_groups[0]["max_eval"] == 10  # 8 * 5 // 4


def test_state_dict_round_trip_continues_identically():
    def make():
        x = tg.tensor([-1.5, 2.0], dtype=tg.float64, requires_grad=True)
        optimizer = tg.optim.LBFGS([x], max_iter=4, line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss

        return x, optimizer, closure

    x, optimizer, closure = make()
    optimizer.step(closure)
    saved = optimizer.state_dict()
    assert {"d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss",
            "func_evals", "n_iter"} <= set(saved["state"][0])
    assert saved["param_groups"][0]["line_search_fn"] == "strong_wolfe"
    x2, optimizer2, closure2 = make()
    with tg.no_grad():
        x2.copy_(x)
    optimizer2.load_state_dict(saved)
    optimizer.step(closure)
    optimizer2.step(closure2)
    assert x2.tolist() == x.tolist(), f"{x2.tolist()} vs {x.tolist()}"
    assert optimizer2.state[x2]["n_iter"] == optimizer.state[x]["n_iter"] > 4


def test_argument_errors_match_pytorch():
    a = tg.zeros(2, requires_grad=True)
    b = tg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        tg.optim.LBFGS([a], lr=-1)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        tg.optim.LBFGS([{"params": [a]}, {"params": [b]}])
    optimizer = tg.optim.LBFGS([a], line_search_fn="backtracking")

    def closure():
        optimizer.zero_grad()
        loss = (a * a).sum() + 1
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optimizer.step(closure)


def test_parameters_without_gradient_stay_put():
    used = tg.tensor([3.0, -2.0], dtype=tg.float64, requires_grad=True)
    unused = tg.tensor([5.0], dtype=tg.float64, requires_grad=True)
    optimizer = tg.optim.LBFGS([used, unused], line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = ((used - 1) ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert unused.tolist() == [5.0]
    np.testing.assert_allclose(used.tolist(), [1.0, 1.0], atol=1e-6)


def test_cubic_minimizer_is_exact_for_a_cubic():
    # φ(t) = t³ - 3t has its local minimum at t = 1; φ' = 3t² - 3
    def phi(t):
        return t**3 - 3 * t

    def slope(t):
        return 3 * t * t - 3

    for a, b in [(0.0, 2.0), (2.0, 0.0), (-0.5, 3.0)]:
        found = cubic_minimizer(a, phi(a), slope(a), b, phi(b), slope(b))
        assert abs(found - 1.0) < 1e-12, f"bracket ({a}, {b}): {found}"
    # rising everywhere (values 0 and 2/3, slopes 1 and 1): no minimiser, the midpoint
    assert cubic_minimizer(0.0, 0.0, 1.0, 1.0, 2 / 3, 1.0) == 0.5
    assert cubic_minimizer(0.0, phi(0.0), slope(0.0), 2.0, phi(2.0), slope(2.0),
                           bounds=(1.5, 4.0)) == 1.5


@pytest.mark.parametrize("first_try", [1e-3, 1.0, 50.0])
def test_strong_wolfe_step_satisfies_both_conditions(first_try):
    # f(x) = x⁴ - 3x along d = 1 from x = 0: φ(0) = 0, φ'(0) = -3
    d = tg.tensor([1.0], dtype=tg.float64)

    def evaluate(t):
        return t**4 - 3 * t, tg.tensor([4 * t**3 - 3], dtype=tg.float64)

    f0, g0 = evaluate(0.0)
    f, g, t, calls = strong_wolfe(evaluate, first_try, d, f0, g0, -3.0)
    assert f <= f0 + 1e-4 * t * -3.0, f"no sufficient decrease at t = {t}"
    assert abs(float(g.dot(d))) <= 0.9 * 3.0, f"slope too steep at t = {t}"
    assert f == evaluate(t)[0] and 1 <= calls <= 25
