"""tinygrad_edu.viz: draw_graph writes a picture, to_dot names every node."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from tinygrad_edu import viz
from tinygrad_edu.scalar import Value
from tinygrad_edu.scalar_nn import MLP

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def every_op_graph() -> tuple[Value, list[str]]:
    """An expression using every Value op, and the op names its DOT text must show."""
    a, b = Value(0.7, label="a"), Value(-1.2, label="b")
    out = ((a + b) * (a - b) / (a**2 + 1)).tanh() + (-a).exp().log().sigmoid() + b.relu()
    out = out + 2.0**a
    ops = ["+", "-", "*", "/", "** 2", "tanh", "neg", "exp", "log", "sigmoid", "relu", "2 **"]
    return out, ops


def test_draw_graph_writes_png(tmp_path: Path) -> None:
    root, _ = every_op_graph()
    root.backward()
    path = tmp_path / "graph.png"
    fig = viz.draw_graph(root, path)
    assert isinstance(fig, Figure)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), f"not a PNG: starts with {data[:8]!r}"
    assert len(data) > 5_000, f"PNG suspiciously small: {len(data)} bytes"


def test_draw_graph_other_format_and_no_path(tmp_path: Path) -> None:
    x = Value(1.0)
    fig = viz.draw_graph(x)  # a single leaf, nothing saved
    assert isinstance(fig, Figure)
    path = tmp_path / "graph.svg"
    viz.draw_graph(x * 2, path, format="svg", title="two nodes")
    assert b"<svg" in path.read_bytes()[:500]


def test_draw_graph_of_about_60_nodes(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], rng=random.Random(0))
    out = model([0.5, -0.5])
    order, _, _ = viz.walk(out)
    assert 40 <= len(order) <= 80
    positions, _, _ = viz.layout(out)
    assert len(set(positions.values())) == len(order), "two boxes drawn at the same place"
    viz.draw_graph(out, tmp_path / "mlp.png")
    assert (tmp_path / "mlp.png").stat().st_size > 10_000


def test_to_dot_names_every_op_and_node() -> None:
    root, ops = every_op_graph()
    dot = viz.to_dot(root)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    labels = [line for line in dot.splitlines() if "[label=" in line]
    for op in ops:
        assert any(f'label="{op}\\n' in line for line in labels), f"op {op!r} missing in DOT"
    assert any('label="a\\n' in line for line in labels), "leaf label 'a' missing in DOT"
    order, _, edges = viz.walk(root)
    assert len(labels) == len(order)
    assert dot.count("->") == len(edges)


def test_walk_lists_a_reused_input_once() -> None:
    a = Value(2.0)
    order, infos, edges = viz.walk(a * a)
    assert len(order) == 2 and len(edges) == 1
    assert order[-1]._op == "*"
    assert infos[id(a)].is_leaf


def test_walk_deep_graph_without_recursion() -> None:
    y = Value(1.0)
    for _ in range(5_000):
        y = y * 1.0
    order, _, edges = viz.walk(y)
    assert len(order) == 10_001 and len(edges) == 10_000


# --- the Tensor graph shape (PyTorch's): grad_fn nodes with name() and next_functions


class AccumulateGrad:
    def __init__(self, variable: object) -> None:
        self.variable = variable
        self.next_functions: tuple = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"


class MulBackward0:
    def __init__(self, *inputs: object) -> None:
        self.next_functions = tuple((fn, 0) for fn in inputs)

    def name(self) -> str:
        return type(self).__name__


class FakeTensor:
    def __init__(self, shape: tuple[int, ...], grad_fn: object = None) -> None:
        self.shape = shape
        self.grad_fn = grad_fn
        self.grad = None


def test_duck_typed_tensor_graph(tmp_path: Path) -> None:
    w = FakeTensor((3, 2))
    leaf = AccumulateGrad(w)
    out = FakeTensor((4, 2), MulBackward0(leaf, None, MulBackward0(leaf)))
    order, infos, edges = viz.walk(out)
    assert [infos[id(n)].title for n in order] == [
        "leaf tensor", "MulBackward0", "MulBackward0", "tensor"]
    assert "shape (3, 2)" in infos[id(leaf)].detail
    assert len(edges) == 4  # leaf->mul, leaf->inner mul, inner->mul, mul->tensor
    dot = viz.to_dot(out)
    assert "MulBackward0" in dot and "leaf tensor" in dot
    viz.draw_graph(out, tmp_path / "tensor.png")
    assert (tmp_path / "tensor.png").read_bytes().startswith(PNG_MAGIC)
    assert infos[id(order[0])].is_leaf
    assert viz.node_info(FakeTensor((2,))).title == "leaf tensor"


def test_pytorch_graph(torch, tmp_path: Path) -> None:
    w = torch.randn(3, 2, requires_grad=True)
    x = torch.randn(4, 3)
    loss = (x @ w).tanh().sum()
    dot = viz.to_dot(loss)
    for name in ("SumBackward0", "TanhBackward0", "MmBackward0", "leaf tensor"):
        assert name in dot, f"{name} missing in DOT of a PyTorch graph"
    viz.draw_graph(loss, tmp_path / "torch.png")
    assert (tmp_path / "torch.png").stat().st_size > 1_000


def test_unsupported_root_raises() -> None:
    with pytest.raises(TypeError, match="cannot draw a graph from a int"):
        viz.draw_graph(3)
