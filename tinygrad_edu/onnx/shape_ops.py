"""ONNX translations of the movement and indexing primitives.

Here tinygrad_edu and ONNX think differently. A view (View, Permute, Expand, Slice) is a
new (shape, strides, offset) over the same memory; ONNX has no memory, only values, so each
view becomes the op that computes the same values: Reshape, Transpose, Expand, Slice (with
Squeeze / Unsqueeze for the dims an int index drops or None adds).

Slice records a *window*, a function from a tensor's geometry to the view's geometry. Applied
to x's row-major strides it tells, for each dim of the view, which dim of x it walks and with
what step, and its offset gives the start in each dim of x (the digits of the offset in the
mixed radix of x's shape). A window that is no such slicing (a diagonal walks two dims at
once) becomes a Gather of the element numbers it reads, which only a fixed shape allows.
"""

from typing import Any

import numpy as np

from kernels.strided import contiguous_strides
from tinygrad_edu.onnx.graph import INT64_MAX, ExportError, Graph, arguments


def _dynamic_error(what: str, tensor: Any) -> ExportError:
    return ExportError(
        f"ONNX export: {what} of a tensor of shape {list(tensor.shape)} follows a dynamic "
        "axis in a way this exporter cannot express; export with fixed sizes (no "
        "dynamic_axes) or with the dynamic axes at least 2 long")


def view(g: Graph, node: Any, args: dict) -> None:
    """View = Reshape (a view's values are x's values read row-major in the new shape).

    A fixed dim is written as its size; a dim that follows a dynamic axis as 0 ("copy the
    input's size", when x has the same dim at the same place) or -1 ("whatever is left",
    at most one of them)."""
    x, out = args["x"], node.output
    x_twin, out_twin = g.twin_shape(x), g.twin_shape(out)
    if tuple(x.shape) == tuple(out.shape) and x_twin == out_twin:
        g.bind(out, g.add("Identity", [g.name(x)]))
        return
    if 0 in out.shape:  # Reshape would read a 0 as "copy the input's size"
        raise ExportError("ONNX export: a reshape to a shape with a 0 in it")
    target: list = []
    for j, (size, twin) in enumerate(zip(out.shape, out_twin)):
        if size == twin:
            target.append(size)
        elif j < len(x.shape) and x.shape[j] == size and x_twin[j] == twin:
            target.append(0)
        else:
            target.append((size, twin))
    dynamic = [j for j, d in enumerate(target) if isinstance(d, tuple)]
    if len(dynamic) == 1:
        target[dynamic[0]] = -1
    elif dynamic:  # sizes read off the inputs' dynamic axes; at most one product left
        unknown = [j for j in dynamic if g.input_axis(*target[j]) is None]
        if len(unknown) > 1:
            raise _dynamic_error("a reshape", x)
        for j in unknown:
            target[j] = -1
    g.bind(out, g.add("Reshape", [g.name(x), g.shape_vector(target)]))


def permute(g: Graph, node: Any, args: dict) -> None:
    """Permute = Transpose(perm): out dim k is x dim order[k]."""
    order = [int(k) for k in args["order"]]
    g.bind(node.output, g.add("Transpose", [g.name(args["x"])], perm=order))


def expand(g: Graph, node: Any, args: dict) -> None:
    """Expand: ONNX broadcasts x against the shape given, so a dim that x has already is
    written as 1 (it stays x's, dynamic or not) and only the dims that grow are sized."""
    x, out = args["x"], node.output
    x_twin, out_twin = g.twin_shape(x), g.twin_shape(out)
    lead = len(out.shape) - len(x.shape)
    target = []
    for j, (size, twin) in enumerate(zip(out.shape, out_twin)):
        k = j - lead
        if k >= 0 and x.shape[k] == size and x_twin[k] == twin:
            target.append(1)
        else:
            target.append(size if size == twin else (size, twin))  # that of an input axis
    g.bind(out, g.add("Expand", [g.name(x), g.shape_vector(target)]))


def cat(g: Graph, node: Any, args: dict) -> None:
    """Cat = Concat(axis), the inputs cast to the result type."""
    dtype = args["dtype"]
    names = [g.value(t, dtype) for t in args["tensors"]]
    g.bind(node.output, g.add("Concat", names, axis=int(args["dim"])))


def identity(g: Graph, node: Any, args: dict) -> None:
    """Clone and ToDevice: the same values."""
    g.bind(node.output, g.add("Identity", [g.name(args["x"])]))


# ---------------------------------------------------------------------------- Slice


def decompose_window(shape: tuple, window: Any) -> tuple | None:
    """The window as a slicing of each dim of x: (starts, steps, lengths, walks), one entry
    per dim of x, walks[d] = the view's dim that walks x's dim d (None: one element of it),
    or None when the window is no such slicing. (starts, lengths: in elements of that dim)"""
    rows = contiguous_strides(shape)
    view_shape, view_strides, offset = window(shape, rows, 0)
    if 0 in shape or 0 in view_shape:
        return None
    starts = [(offset // rows[d]) % shape[d] for d in range(len(shape))]
    if sum(s * r for s, r in zip(starts, rows)) != offset:
        return None
    steps, lengths, walks = [1] * len(shape), [1] * len(shape), [None] * len(shape)
    d = 0
    for j, (size, stride) in enumerate(zip(view_shape, view_strides)):
        if size == 1:
            continue  # a dim of one element: which dim it came from does not matter
        while d < len(shape) and not (stride > 0 and stride % rows[d] == 0
                                      and starts[d] + stride // rows[d] * (size - 1)
                                      < shape[d]):
            d += 1
        if d == len(shape):
            return None
        steps[d], lengths[d], walks[d] = stride // rows[d], size, j
        d += 1
    return starts, steps, lengths, walks


def _bound(value: int, twin: int, size: int, twin_size: int) -> int | None:
    """A start or end that is right in both runs: the number itself, or counted from the end
    (negative) when it moved with the dim's size; None when neither."""
    if value == twin:
        return value
    if value - size == twin - twin_size:
        return value - size
    return None


def slice_(g: Graph, node: Any, args: dict) -> None:
    """Slice (+ Squeeze + Unsqueeze), or a Gather of element numbers (see the docstring)."""
    x, out = args["x"], node.output
    window = args["window"]
    twin = g.twin_node(node)
    x_twin = g.twin_shape(x)
    first = decompose_window(tuple(x.shape), window)
    second = first if twin is None else decompose_window(x_twin, arguments(twin)["window"])
    if first is None or second is None or first[3] != second[3]:
        _gather_window(g, x, out, window)
        return
    axes, starts, ends, steps = [], [], [], []
    for d, (size, twin_size) in enumerate(zip(x.shape, x_twin)):
        s1, st1, n1 = first[0][d], first[1][d], first[2][d]
        s2, st2, n2 = second[0][d], second[1][d], second[2][d]
        if (s1, st1, n1) == (0, 1, size) and (s2, st2, n2) == (0, 1, twin_size):
            continue  # the whole dim
        start = _bound(s1, s2, size, twin_size)
        e1, e2 = s1 + st1 * (n1 - 1) + 1, s2 + st2 * (n2 - 1) + 1
        if e1 + st1 > size and e2 + st2 > twin_size:
            end = INT64_MAX  # it runs to the end (no further step fits) in both runs
        else:
            end = _bound(e1, e2, size, twin_size)
        if start is None or end is None or st1 != st2:
            raise _dynamic_error("a slice", x)
        axes.append(d)
        starts.append(start)
        ends.append(end)
        steps.append(st1)
    name = g.name(x)
    if axes:
        name = g.add("Slice", [name, g.ints(starts, "starts"), g.ints(ends, "ends"),
                               g.ints(axes, "axes"), g.ints(steps, "steps")])
    walks = first[3]
    dropped = [d for d, walk in enumerate(walks) if walk is None]
    if dropped:  # each has one element now; the view's size-1 dims come back below
        name = g.add("Squeeze", [name, g.ints(dropped, "axes")])
    ones = [j for j, size in enumerate(out.shape) if size == 1]
    if ones:
        name = g.add("Unsqueeze", [name, g.ints(ones, "axes")])
    g.bind(out, name if name != g.name(x) else g.add("Identity", [name]))


def _gather_window(g: Graph, x: Any, out: Any, window: Any) -> None:
    """out = x.flatten()[numbers]: the element numbers of x that the window reads."""
    if any(g.dynamic(x)) or any(g.dynamic(out)):
        raise _dynamic_error("a strided view (neither a slice nor a reshape)", x)
    shape, strides, offset = window(tuple(x.shape), contiguous_strides(tuple(x.shape)), 0)
    numbers = np.full(shape, offset, dtype=np.int64)
    for axis, (size, stride) in enumerate(zip(shape, strides)):
        index_shape = [1] * len(shape)
        index_shape[axis] = size
        numbers = numbers + (np.arange(size, dtype=np.int64) * stride).reshape(index_shape)
    g.bind(out, g.add("Gather", [flat(g, x), g.constant(numbers, "positions")], axis=0))


# ---------------------------------------------------------------------------- indexing


def flat(g: Graph, x: Any) -> str:
    """x as a vector of its elements in row-major order (a constant: stored so)."""
    if id(x) not in g.live and not g.named(x):
        return g.constant(g.constant_value(x).reshape(-1), "flat")
    return g.add("Reshape", [g.name(x), g.ints([-1])])


def gather(g: Graph, node: Any, args: dict) -> None:
    """Gather primitive: out[i] = x.flatten()[indices[i]] -> ONNX Gather(flat x, axis=0),
    whose output has the indices' shape. (Embedding's row * dim + column lands here.)"""
    g.bind(node.output, g.add("Gather", [flat(g, args["x"]), g.name(args["indices"])],
                              axis=0))


def take(g: Graph, node: Any, args: dict) -> None:
    """dispatch.take reads buffer positions: element numbers when x is contiguous from 0."""
    x = args["x"]
    if not x.is_contiguous() or x._offset:
        raise ExportError("ONNX export: take() from a strided view (its buffer positions "
                          "are no element numbers of the view)")
    g.bind(node.output, g.add("Gather", [flat(g, x), g.name(args["positions"])], axis=0))


def index_put(g: Graph, node: Any, args: dict) -> None:
    """IndexPut / IndexAdd: ScatterElements on the flattened x (reduction "add" for
    IndexAdd, from opset 16), values broadcast to the indices' shape, then x's shape back.
    Repeated indices: IndexAdd adds them all; for IndexPut which one wins is undefined in
    ONNX (and in PyTorch)."""
    x, indices, values = args["x"], args["indices"], args["values"]
    adding = node.target.__name__ == "IndexAdd"
    if adding and g.opset < 16:
        raise ExportError("ONNX export: index_add needs opset_version >= 16 "
                          "(ScatterElements with reduction='add')")
    index = g.name(indices)
    spread = g.add("Expand", [g.value(values, x.dtype), g.add("Shape", [index])])
    flat_index = g.add("Reshape", [index, g.ints([-1])])
    flat_values = g.add("Reshape", [spread, g.ints([-1])])
    attributes = {"axis": 0, "reduction": "add"} if adding else {"axis": 0}
    scattered = g.add("ScatterElements", [flat(g, x), flat_index, flat_values], **attributes)
    g.bind(node.output, g.add("Reshape", [scattered, g.add("Shape", [g.name(x)])]))
