"""Fusions: a run of recorded nodes that is one ONNX op, written as that op.

A composite is recorded as the primitives it is made of, and translating those one by one
is always right. But ONNX has some of the composites as ops of their own, which runtimes
run faster and people reading the graph recognise. `fuse` looks, at each recorded node, for
such a run starting there; the translation of the single op replaces the run's nodes, and
only when the values in between are read by nothing else.

    average pooling   View (N, C, H, W) -> (N*C, 1, H, W), Convolution with a constant
                      kernel of ones, View back to (N, C, OH, OW), Div by the window counts
                      ->  AveragePool (count_include_pad read off the counts)
"""

from collections import Counter

import numpy as np

from tinygrad_edu.onnx.graph import Graph, arguments, host
from tinygrad_edu.tensor import Tensor


def _uses(g: Graph) -> Counter:
    """How many times each traced tensor is read (as a node argument or a graph output)."""
    if g.uses is None:
        g.uses = Counter(id(a) for node in g.trace.nodes for a in node.args
                         if isinstance(a, Tensor))
        g.uses.update(id(t) for t in g.trace.outputs)
    return g.uses


def _window_counts(size: int, out: int, kernel: int, stride: int, padding: int,
                   include_pad: bool) -> np.ndarray:
    """The number of elements each window of one dim averages: with the padding (clipped
    to the padded input) or without it (clipped to the input)."""
    counts = []
    for i in range(out):
        start = i * stride - padding
        end = min(start + kernel, size + padding)
        if not include_pad:
            start, end = max(start, 0), min(end, size)
        counts.append(end - start)
    return np.array(counts)


def average_pool(g: Graph, k: int) -> int:
    """AveragePool for nodes k..k+3 when they are avg_pool2d's composite: returns 4, or 0
    when they are not (or an intermediate value is read elsewhere)."""
    nodes = g.trace.nodes[k:k + 4]
    if [n.name() for n in nodes] != ["View", "Convolution", "View", "Div"] \
            or not all(g.emitted[k:k + 4]):
        return 0
    planes, conv, back, divide = (arguments(n) for n in nodes)
    x = planes["x"]
    if x.ndim != 4 or conv["x"] is not nodes[0].output or back["x"] is not nodes[1].output \
            or divide["a"] is not nodes[2].output:
        return 0
    n, c, h, w = x.shape
    weight, out_size = conv["weight"], tuple(conv["out_size"])
    if tuple(nodes[0].output.shape) != (n * c, 1, h, w) or conv["bias"] is not None \
            or conv["groups"] != 1 or tuple(conv["dilation"]) != (1, 1) \
            or weight.shape[:2] != (1, 1) or tuple(nodes[2].output.shape) != (n, c) + out_size:
        return 0
    uses = _uses(g)
    if any(uses[id(node.output)] != 1 for node in nodes[:3]):
        return 0
    constants = (weight, divide["b"])
    if any(id(t) in g.live or g.named(t) for t in constants):
        return 0
    if not (host(weight) == 1).all():
        return 0
    kernel, stride, padding = tuple(weight.shape[2:]), conv["stride"], conv["padding"]
    divisor = np.broadcast_to(host(divide["b"]), out_size)
    include = None
    for candidate in (True, False):
        counts = np.outer(*(_window_counts(size, o, kk, s, p, candidate) for size, o, kk, s, p
                            in zip((h, w), out_size, kernel, stride, padding)))
        if np.array_equal(counts, divisor) and (not candidate or (counts == counts[0, 0]).all()):
            include = candidate  # (with the padding: only windows that are whole)
            break
    if include is None:
        return 0
    floor = tuple((size + 2 * p - kk) // s + 1 for size, kk, s, p in
                  zip((h, w), kernel, stride, padding))
    g.bind(nodes[3].output, g.add(
        "AveragePool", [g.name(x)], kernel_shape=list(kernel), strides=list(stride),
        pads=list(padding) * 2, ceil_mode=int(out_size != floor),
        count_include_pad=int(include)))
    return 4


FUSIONS = (average_pool,)


def fuse(g: Graph, k: int) -> int:
    """The number of recorded nodes from k on that one fusion translated (0: none did)."""
    for fusion in FUSIONS:
        covered = fusion(g, k)
        if covered:
            return covered
    return 0
