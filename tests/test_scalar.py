"""Value (tinygrad_edu.scalar) and its tiny nn (tinygrad_edu.scalar_nn).

Oracles: central finite differences in float64, and PyTorch (float64) when installed.
"""

from __future__ import annotations

import gc
import math
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels import scalar_math
from tinygrad_edu.scalar import Value
from tinygrad_edu.scalar_nn import MLP, Layer, Module, Neuron

H = 1e-6  # finite-difference step
RTOL = 1e-5
ATOL = 1e-7

# name -> (Value function, torch function, sample inputs): functions of one argument
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, [-1.3, 0.4, 2.0]),
    "neg_method": (lambda x: x.neg(), lambda x: x.neg(), [0.7]),
    "exp": (lambda x: x.exp(), lambda x: x.exp(), [-2.0, 0.0, 1.5]),
    "log": (lambda x: x.log(), lambda x: x.log(), [0.3, 1.0, 4.0]),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), [-2.0, 0.1, 0.9]),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), [-3.0, 0.0, 2.5]),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), [-1.5, 0.5, 3.0]),
    "pow2": (lambda x: x**2, lambda x: x**2, [-1.5, 0.5, 3.0]),
    "pow3": (lambda x: x**3, lambda x: x**3, [-1.5, 0.5]),
    "pow_neg1": (lambda x: x**-1, lambda x: x**-1, [-2.0, 0.5]),
    "pow_half": (lambda x: x**0.5, lambda x: x**0.5, [0.3, 2.0]),
    "pow0": (lambda x: x**0, lambda x: x**0, [1.7]),
    "rpow": (lambda x: 2.0**x, lambda x: 2.0**x, [-1.0, 0.5, 3.0]),
    "radd": (lambda x: 3 + x, lambda x: 3 + x, [0.5]),
    "rsub": (lambda x: 3 - x, lambda x: 3 - x, [0.5]),
    "rmul": (lambda x: 3 * x, lambda x: 3 * x, [0.5]),
    "rdiv": (lambda x: 3 / x, lambda x: 3 / x, [0.5, -2.0]),
    "add_number": (lambda x: x + 2.5, lambda x: x + 2.5, [0.5]),
    "sub_number": (lambda x: x - 2.5, lambda x: x - 2.5, [0.5]),
    "mul_number": (lambda x: x * 2.5, lambda x: x * 2.5, [0.5]),
    "div_number": (lambda x: x / 2.5, lambda x: x / 2.5, [0.5]),
}

# name -> (function of two arguments, sample pairs); the same lambda serves Value and torch
BINARY = {
    "add": (lambda a, b: a + b, [(1.5, -2.0), (0.0, 3.0)]),
    "sub": (lambda a, b: a - b, [(1.5, -2.0), (0.0, 3.0)]),
    "mul": (lambda a, b: a * b, [(1.5, -2.0), (0.0, 3.0)]),
    "div": (lambda a, b: a / b, [(1.5, -2.0), (-0.7, 0.4)]),
}

UNARY_CASES = [(name, x) for name, (_, _, xs) in UNARY.items() for x in xs]
BINARY_CASES = [(name, a, b) for name, (_, pairs) in BINARY.items() for a, b in pairs]


def close(actual: float, expected: float, what: str) -> None:
    """Assert two floats agree; the message says which quantity and by how much."""
    assert math.isclose(actual, expected, rel_tol=RTOL, abs_tol=ATOL), (
        f"{what}: got {actual!r}, expected {expected!r}, error {abs(actual - expected):.3g}"
    )


def numeric_grad(fn, args: list[float], i: int) -> float:
    """Central difference (f(x+h) - f(x-h)) / 2h in argument i, on plain Value data."""
    plus = list(args)
    minus = list(args)
    plus[i] += H
    minus[i] -= H
    return (fn(*map(Value, plus)).data - fn(*map(Value, minus)).data) / (2 * H)


# ----------------------------------------------------------------------------- every op


@pytest.mark.parametrize("name,x", UNARY_CASES)
def test_unary_forward_and_grad_vs_finite_differences(name: str, x: float) -> None:
    fn, _, _ = UNARY[name]
    v = Value(x)
    out = fn(v)
    out.backward()
    close(v.grad, numeric_grad(fn, [x], 0), f"d {name}(x)/dx at x={x}")


@pytest.mark.parametrize("name,a,b", BINARY_CASES)
def test_binary_forward_and_grad_vs_finite_differences(name: str, a: float, b: float) -> None:
    fn, _ = BINARY[name]
    va, vb = Value(a), Value(b)
    out = fn(va, vb)
    close(out.data, fn(a, b), f"{name}({a}, {b})")
    out.backward()
    close(va.grad, numeric_grad(fn, [a, b], 0), f"d {name}/da at ({a}, {b})")
    close(vb.grad, numeric_grad(fn, [a, b], 1), f"d {name}/db at ({a}, {b})")


@pytest.mark.parametrize("name,x", UNARY_CASES)
def test_unary_vs_torch(torch, name: str, x: float) -> None:
    value_fn, torch_fn, _ = UNARY[name]
    v = Value(x)
    out = value_fn(v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = torch_fn(t)
    t_out.backward()
    close(out.data, t_out.item(), f"{name}({x}) forward vs torch")
    close(v.grad, t.grad.item(), f"{name}({x}) grad vs torch")


@pytest.mark.parametrize("name,a,b", BINARY_CASES)
def test_binary_vs_torch(torch, name: str, a: float, b: float) -> None:
    fn, _ = BINARY[name]
    va, vb = Value(a), Value(b)
    out = fn(va, vb)
    out.backward()
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    t_out = fn(ta, tb)
    t_out.backward()
    close(out.data, t_out.item(), f"{name}({a}, {b}) forward vs torch")
    close(va.grad, ta.grad.item(), f"d {name}/da vs torch")
    close(vb.grad, tb.grad.item(), f"d {name}/db vs torch")


def test_composite_expression_vs_torch(torch) -> None:
    def expr(a, b, c):
        d = a * b + c.exp() - a / c
        e = (d.tanh() * b).sigmoid() + (a * a).log() + (-b).relu() ** 2
        return e * 2 + 1 / (c + 3) - 2**a

    vals = [0.7, -1.2, 0.3]
    vs = [Value(x) for x in vals]
    out = expr(*vs)
    out.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in vals]
    t_out = expr(*ts)
    t_out.backward()
    close(out.data, t_out.item(), "composite forward vs torch")
    for name, v, t in zip("abc", vs, ts):
        close(v.grad, t.grad.item(), f"d out/d{name} vs torch")


finite = st.floats(min_value=-3, max_value=3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(a=finite, b=finite.filter(lambda b: abs(b) > 0.1))
def test_random_expression_vs_finite_differences(a: float, b: float) -> None:
    def expr(x, y):
        return (x * y + x / y).tanh() * (y - x).sigmoid() + (x * x + 1).log()

    va, vb = Value(a), Value(b)
    expr(va, vb).backward()
    close(va.grad, numeric_grad(expr, [a, b], 0), f"d expr/da at ({a}, {b})")
    close(vb.grad, numeric_grad(expr, [a, b], 1), f"d expr/db at ({a}, {b})")


def test_forward_uses_ieee_division_and_shared_scalar_math() -> None:
    assert (Value(1.0) / 0).data == math.inf
    assert (Value(-1.0) / Value(0.0)).data == -math.inf
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-8.0).__pow__(1 / 3).data)  # negative ** fraction is nan
    assert Value(-2.0).relu().data == 0.0


def test_backward_calls_the_shared_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    """Value's derivatives are the kernels' derivatives: swap one and Value follows."""
    calls = []

    def spy(y: float, grad: float) -> float:
        calls.append((y, grad))
        return 42.0

    monkeypatch.setattr(scalar_math, "tanh_back", spy)
    x = Value(0.5)
    x.tanh().backward()
    assert calls == [(math.tanh(0.5), 1.0)]
    assert x.grad == 42.0


# ----------------------------------------------------------------------------- the graph


def test_node_used_twice_accumulates() -> None:
    a = Value(3.0)
    y = a * a + a  # dy/da = 2a + 1
    y.backward()
    close(a.grad, 7.0, "d(a*a + a)/da")
    b = Value(-2.0)
    z = b + b
    z.backward()
    close(b.grad, 2.0, "d(b + b)/db")


def test_diamond_graph() -> None:
    x = Value(0.5)
    u = x.exp()
    v = u * x + u.tanh()  # both paths go through u
    v.backward()
    u_value = math.exp(0.5)
    expected = u_value * 0.5 + u_value + (1 - math.tanh(u_value) ** 2) * u_value
    close(x.grad, expected, "diamond d v/dx")


def test_deep_chain_of_10000_nodes_needs_no_recursion() -> None:
    assert sys.getrecursionlimit() < 100_000  # a recursive sort would fail on this graph
    x = Value(1.0)
    y = x
    for _ in range(5_000):
        y = (y * 1.0001).tanh() + y * 0.0  # 4 nodes per step (with the number leaves)
    order = y.topological_order()
    assert len(order) > 10_000
    y.backward()
    # compare with the same chain differentiated forward in plain floats
    value, slope = 1.0, 1.0
    for _ in range(5_000):
        t = math.tanh(value * 1.0001)
        slope = (1 - t * t) * 1.0001 * slope
        value = t
    close(y.data, value, "deep chain forward")
    close(x.grad, slope, "deep chain gradient")


def test_topological_order_puts_inputs_first() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = e.topological_order()
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node._prev:
            assert position[id(child)] < position[id(node)], "an input comes after its output"
    assert order[-1] is e and len(order) == 5


def test_backward_accumulates_and_zero_grad_resets() -> None:
    model = MLP(2, [3, 1], rng=random.Random(0))
    out = model([0.5, -1.0]) * 2
    out.backward()
    first = [p.grad for p in model.parameters()]
    out.backward()  # accumulates into leaves, like PyTorch
    for p, g in zip(model.parameters(), first):
        close(p.grad, 2 * g, "leaf grad after two backward calls")
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    out.backward()
    for p, g in zip(model.parameters(), first):
        close(p.grad, g, "leaf grad after zero_grad and backward")


def test_backward_twice_matches_torch_accumulation(torch) -> None:
    x = Value(0.3)
    y = (x * 2).tanh() * x
    y.backward()
    y.backward()
    t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    ty = (t * 2).tanh() * t
    ty.backward(retain_graph=True)
    ty.backward()
    close(x.grad, t.grad.item(), "grad after two backward calls vs torch")


def test_backward_seed_gradient() -> None:
    x = Value(2.0)
    (x * x).backward(0.5)
    close(x.grad, 2.0, "backward(gradient=0.5) of x*x at 2")


def test_graph_has_no_reference_cycles() -> None:
    """A graph is freed by reference counting alone (DESIGN.md §5: no closure cycles)."""
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        y = (x * 2 + 1).tanh().sigmoid() / x
        y.backward()
        del x, y
        unreachable = gc.collect()  # objects only the cycle collector could free
    finally:
        gc.enable()
    assert unreachable == 0, f"{unreachable} objects were in reference cycles"


def test_records_inputs_and_op() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._prev == (a, b) and c._op == "*"
    assert a._prev == () and a._op == ""
    assert (a**2)._op == "**" and a.tanh()._prev == (a,)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "bad",
    [lambda: Value(1.0) + "a", lambda: "a" + Value(1.0), lambda: Value(1.0) * None,
     lambda: [1.0] - Value(1.0), lambda: Value(1.0) / {}, lambda: Value(1.0) ** Value(2.0),
     lambda: Value(1.0) ** "2", lambda: "2" ** Value(1.0), lambda: Value("1.0"),
     lambda: Value([1.0])],
)
def test_unsupported_operands_raise_clear_type_error(bad) -> None:
    with pytest.raises(TypeError) as info:
        bad()
    message = str(info.value)
    assert "Value" in message or "int or float" in message, f"unclear message: {message!r}"


def test_type_error_names_both_operand_types() -> None:
    with pytest.raises(TypeError, match=r"for \*: 'Value' and 'NoneType'"):
        Value(1.0) * None
    with pytest.raises(TypeError, match=r"for -: 'list' and 'Value'"):
        [1.0] - Value(1.0)


def test_numbers_of_other_kinds_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    assert (Value(1.0) + np.float32(2.0)).data == 3.0
    assert (Value(1.0) * True).data == 1.0
    assert isinstance(Value(np.int64(3)).data, float)


# ----------------------------------------------------------------------------- scalar_nn


def test_mlp_shapes_parameters_and_deterministic_init() -> None:
    model = MLP(2, [3, 1], rng=random.Random(7))
    assert len(model.parameters()) == (2 * 3 + 3) + (3 * 1 + 1)
    same = MLP(2, [3, 1], rng=random.Random(7))
    assert [p.data for p in model.parameters()] == [p.data for p in same.parameters()]
    other = MLP(2, [3, 1], rng=random.Random(8))
    assert [p.data for p in model.parameters()] != [p.data for p in other.parameters()]
    bound = 1 / math.sqrt(2)
    assert all(-bound <= p.data <= bound for p in model.layers[0].parameters())
    assert isinstance(model([1.0, 2.0]), Value)
    assert len(MLP(2, [3, 2])([1.0, 2.0])) == 2
    assert isinstance(model, Module) and isinstance(model.layers[0], Layer)


def test_neuron_activations_and_errors() -> None:
    rng = random.Random(0)
    x = [Value(0.5), -1.0]
    for activation, fn in [("relu", scalar_math.relu), ("tanh", scalar_math.tanh),
                           ("sigmoid", scalar_math.sigmoid), (None, lambda z: z)]:
        n = Neuron(2, activation, rng)
        pre = n.w[0].data * 0.5 + n.w[1].data * -1.0 + n.b.data
        close(n(x).data, fn(pre), f"Neuron with {activation}")
    with pytest.raises(ValueError, match="expects 2 inputs"):
        Neuron(2, rng=rng)([1.0])
    with pytest.raises(ValueError, match="activation"):
        Neuron(2, "softplus")


def test_mlp_trains_loss_decreases() -> None:
    data = [([0.0, 0.0], -1.0), ([1.0, 1.0], -1.0), ([0.0, 1.0], 1.0), ([1.0, 0.0], 1.0)]
    model = MLP(2, [6, 1], activation="tanh", rng=random.Random(3))

    def loss_fn() -> Value:
        return sum(((model(x) - y) ** 2 for x, y in data), Value(0.0)) * 0.25

    losses = []
    for _ in range(40):
        loss = loss_fn()
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.2 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.5 * losses[0], f"loss went {losses[0]:.4f} -> {losses[-1]:.4f}"
