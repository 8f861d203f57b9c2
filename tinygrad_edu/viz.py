"""Pictures of computation graphs: the graph that `backward()` walks.

`draw_graph(root)` draws it with matplotlib (one box per node: op, data, grad; arrows from
inputs to outputs) and `to_dot(root)` writes Graphviz DOT text.

Two kinds of graph are understood, both duck-typed through `node_info`, the one function
that knows what a node looks like:
- a `Value` (tinygrad_edu.scalar): the inputs of a node are `node._prev`;
- a Tensor and its `grad_fn` nodes (PyTorch's shape): a grad_fn has `.name()` and
  `.next_functions`, a tuple of (node or None, int); the leaves are `AccumulateGrad` nodes
  whose `.variable` is the leaf tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tinygrad_edu.scalar import Value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Layout in data units: layers are COLUMN_STEP apart, nodes in a layer ROW_STEP apart.
BOX_WIDTH = 1.1
BOX_HEIGHT = 0.72
COLUMN_STEP = 1.6
ROW_STEP = 1.0
INCHES_PER_UNIT = 1.25
MAX_INCHES = 40.0  # matplotlib/Agg struggles beyond this; the font shrinks instead

LEAF_COLOR = "#cfe2f3"
OP_COLOR = "#fff2cc"
ROOT_COLOR = "#d9ead3"


@dataclass
class NodeInfo:
    """What the drawing needs from one node."""

    title: str  # the op ("*", "tanh", "MulBackward0") or the leaf's label
    detail: str  # data and grad, one per line
    inputs: list[object]  # the nodes this one was computed from
    is_leaf: bool


def _shape_text(tensor: object) -> str:
    shape = getattr(tensor, "shape", None)
    return "scalar" if shape is None or len(tuple(shape)) == 0 else f"shape {tuple(shape)}"


def node_info(node: object) -> NodeInfo:
    """Describe a graph node of any supported kind (the only place that knows the kinds)."""
    if isinstance(node, Value):
        op = node._op
        if op == "**":
            op = f"** {node._const:g}"
        elif op == "rpow":
            op = f"{node._const:g} **"
        if not op:
            title = node.label or "leaf"
        else:
            title = f"{node.label} = {op}" if node.label else op
        # + 0.0 turns -0.0 (relu of a negative) into 0.0 for display
        detail = f"data {node.data + 0.0:.4g}\ngrad {node.grad + 0.0:.4g}"
        return NodeInfo(title, detail, list(node._prev), not node._prev)
    if hasattr(node, "next_functions"):  # an autograd node (a tensor's grad_fn)
        if type(node).__name__ == "AccumulateGrad":
            leaf = node.variable
            has_grad = getattr(leaf, "grad", None) is not None
            detail = f"{_shape_text(leaf)}\ngrad {'set' if has_grad else 'None'}"
            return NodeInfo("leaf tensor", detail, [], True)
        inputs = [fn for fn, _ in node.next_functions if fn is not None]
        return NodeInfo(node.name(), "", inputs, False)
    if hasattr(node, "grad_fn"):  # a tensor: its graph starts at its grad_fn
        grad_fn = node.grad_fn
        detail = _shape_text(node)
        if grad_fn is None:
            return NodeInfo("leaf tensor", detail, [], True)
        return NodeInfo("tensor", detail, [grad_fn], False)
    raise TypeError(
        f"cannot draw a graph from a {type(node).__name__}: expected a Value, a tensor with "
        "grad_fn, or an autograd node with next_functions"
    )


def walk(root: object) -> tuple[list[object], dict[int, NodeInfo], list[tuple[int, int]]]:
    """All nodes reachable from root (inputs before outputs), their infos, and the edges.

    Iterative depth-first search, as in Value.topological_order. Edges are (input, output)
    pairs of node ids, each listed once even when an input is used twice (`a * a`).
    """
    order: list[object] = []
    infos: dict[int, NodeInfo] = {}
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in infos:
            continue
        info = node_info(node)
        infos[id(node)] = info
        stack.append((node, True))
        for child in info.inputs:
            if id(child) not in infos:
                stack.append((child, False))
    edges: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for node in order:
        for child in infos[id(node)].inputs:
            edge = (id(child), id(node))
            if edge not in seen:
                seen.add(edge)
                edges.append(edge)
    return order, infos, edges


def layout(root: object) -> tuple[dict[int, tuple[float, float]], dict[int, NodeInfo], list]:
    """Place nodes in columns by distance from the root (root rightmost), then order rows.

    column(node) = max over the node's consumers of column(consumer) + 1, counted from the
    root, so a leaf sits just left of the first op that uses it. Rows within a column are
    sorted by the mean row of the neighbours (barycenter sweeps), which untangles arrows.
    """
    order, infos, edges = walk(root)
    consumers: dict[int, list[int]] = {id(n): [] for n in order}
    producers: dict[int, list[int]] = {id(n): [] for n in order}
    for src, dst in edges:
        consumers[src].append(dst)
        producers[dst].append(src)
    dist = {id(n): 0 for n in order}
    for node in reversed(order):  # outputs first
        for src in producers[id(node)]:
            dist[src] = max(dist[src], dist[id(node)] + 1)
    depth = max(dist.values())
    columns: list[list[int]] = [[] for _ in range(depth + 1)]
    for node in order:
        columns[depth - dist[id(node)]].append(id(node))
    row = {key: float(i) for col in columns for i, key in enumerate(col)}

    def sweep(col_indices: range, neighbours: dict[int, list[int]]) -> None:
        for c in col_indices:
            def barycenter(key: int) -> float:
                near = neighbours[key]
                return sum(row[k] for k in near) / len(near) if near else row[key]
            columns[c].sort(key=barycenter)
            for i, key in enumerate(columns[c]):
                row[key] = float(i) - (len(columns[c]) - 1) / 2

    for _ in range(2):
        sweep(range(depth - 1, -1, -1), consumers)  # right to left: follow the consumers
        sweep(range(1, depth + 1), producers)  # left to right: follow the inputs
    positions = {key: (c * COLUMN_STEP, -row[key] * ROW_STEP)
                 for c, col in enumerate(columns) for key in col}
    return positions, infos, edges


def draw_graph(
    root: object, path: str | Path | None = None, format: str = "png", title: str | None = None
) -> Figure:
    """Draw the graph that ends at `root`; save it to `path` if given; return the Figure.

    Boxes: blue for leaves, yellow for ops, green for the root. The figure is a plain
    matplotlib Figure (not registered with pyplot), so nothing stays open after you drop it;
    in a notebook it displays when it is the last expression of a cell.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    positions, infos, edges = layout(root)
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    x0, x1 = min(xs) - BOX_WIDTH, max(xs) + BOX_WIDTH
    y0, y1 = min(ys) - BOX_HEIGHT, max(ys) + BOX_HEIGHT
    width, height = (x1 - x0) * INCHES_PER_UNIT, (y1 - y0) * INCHES_PER_UNIT
    scale = min(1.0, MAX_INCHES / max(width, height))
    fig = Figure(figsize=(max(width * scale, 2.0), max(height * scale, 1.5)))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    fontsize = 8.0 * scale
    for key, (x, y) in positions.items():
        info = infos[key]
        color = ROOT_COLOR if key == id(root) else LEAF_COLOR if info.is_leaf else OP_COLOR
        ax.add_patch(FancyBboxPatch(
            (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
            boxstyle="round,pad=0.02,rounding_size=0.08", facecolor=color, edgecolor="0.3",
        ))
        text = f"{info.title}\n{info.detail}" if info.detail else info.title
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, family="monospace")
    for src, dst in edges:
        (xa, ya), (xb, yb) = positions[src], positions[dst]
        ax.annotate(
            "", xy=(xb - BOX_WIDTH / 2, yb), xytext=(xa + BOX_WIDTH / 2, ya),
            arrowprops={"arrowstyle": "-|>", "color": "0.35", "shrinkA": 0, "shrinkB": 0,
                        "mutation_scale": 10 * scale},
        )
    if title:
        ax.set_title(title, fontsize=10 * scale)
    if path is not None:
        fig.savefig(path, format=format, dpi=100)
    return fig


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def to_dot(root: object) -> str:
    """Graphviz DOT text for the graph ending at `root` (render: `dot -Tpng g.dot -o g.png`)."""
    order, infos, edges = walk(root)
    number = {id(node): i for i, node in enumerate(order)}
    lines = [
        "digraph computation {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Courier"];',
    ]
    for node in order:
        info = infos[id(node)]
        text = f"{info.title}\n{info.detail}" if info.detail else info.title
        color = ROOT_COLOR if node is root else LEAF_COLOR if info.is_leaf else OP_COLOR
        lines.append(f'  n{number[id(node)]} [label="{_dot_escape(text)}", fillcolor="{color}"];')
    for src, dst in edges:
        lines.append(f"  n{number[src]} -> n{number[dst]};")
    lines.append("}")
    return "\n".join(lines) + "\n"
