"""`export`: run a model once on example inputs, record what it computes, write that as ONNX.

    model.eval()
    tinygrad_edu.onnx.export(model, torch.randn(1, 3, 32, 32), "model.onnx",
                             input_names=["image"], output_names=["logits"],
                             dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})

The steps, each in its own module:

1. **Trace** (`tinygrad_edu.tracing`): run `model(*args)` under `tracing.record`, which
   writes down every primitive op and no-grad helper the run calls, in order. This is
   torch.onnx.export's tracing exporter: Python control flow is not recorded, only the
   path this run took.
2. **Refuse what a trace cannot hold.** A random draw (dropout in training mode), a value
   read back to Python (`if x.sum() > 0:`, `.item()`), an untraced alias: PyTorch's
   tracer *warns* and writes the graph of this one run anyway; here export raises
   `ExportError` naming them, because a graph that silently computes something else than
   the model is worse than no graph.
3. **Dynamic axes**: when some are asked for, run the model again with each dynamic input
   axis grown (the inputs repeated along it: twice for the first symbol, three times for
   the next, ...), so that every op knows which of its sizes follow which axes
   (`graph.py`).
4. **Translate** each recorded node into ONNX nodes (`translate.py` has the table; the ops
   are in `math_ops.py`, `shape_ops.py`, `nn_ops.py`), or a run of them that is one
   ONNX op into that op (`patterns.py`: average pooling); constants become initializers,
   and with do_constant_folding a node computed from constants only is stored as its
   result.
5. **Encode** the ModelProto with the hand-written encoder in `protobuf.py` and write it.
"""

import os
import tempfile
from typing import Any, BinaryIO

from tinygrad_edu import autograd, movement, tracing
from tinygrad_edu.onnx import patterns, protobuf
from tinygrad_edu.onnx.graph import ExportError, Graph, OnnxNode
from tinygrad_edu.onnx.translate import translate
from tinygrad_edu.tensor import Tensor

DEFAULT_OPSET = 17
OPSETS = range(13, 19)  # the opset versions these translations are written for
IR_VERSION = 8  # ONNX IR version 8 (onnx 1.10+) carries opsets up to 18


def export(model: Any, args: Any, f: str | os.PathLike | BinaryIO, export_params: bool = True,
           verbose: bool = False, input_names: list | None = None,
           output_names: list | None = None, opset_version: int | None = None,
           dynamic_axes: dict | None = None, do_constant_folding: bool = True) -> None:
    """Export `model` (an nn.Module or any function of tensors) run on `args` (a Tensor or a
    tuple of them) to the ONNX file `f` (a path, or a binary file object).

    PyTorch's torch.onnx.export signature (the TorchScript-style tracing exporter). The
    model runs in the mode it is in: call model.eval() first, as with PyTorch.

    - export_params: store parameters and buffers in the file (False: they become graph
      inputs, named as in state_dict);
    - input_names / output_names: the graph's value names (default input_0..., output_0...);
    - opset_version: 13 to 18 (default 17);
    - dynamic_axes: {name: [axis, ...]} or {name: {axis: "symbol"}} for inputs and outputs;
      those dims are symbolic in the file, and the graph does not bake their size in.
      Export with each dynamic axis at least 2 long (a size of 1 cannot be told from a dim
      that is always 1);
    - do_constant_folding: store the result of ops on constants instead of the ops.
    - verbose: print the graph, one node a line.

    Raises ExportError when the run cannot be written as a graph (random draws, data-
    dependent branches or reads, untraceable aliases, sizes that dynamic axes would
    change in a way the graph cannot follow); UnsupportedOperatorError (a kind of
    ExportError) when a recorded op has no translation (the message lists those that do).
    PyTorch warns and exports this run's path where we refuse: a wrong graph is worse.
    """
    inputs = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    if not inputs or not all(isinstance(x, Tensor) for x in inputs):
        raise TypeError("export: args must be a Tensor or a tuple of Tensors")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset not in OPSETS:
        raise ExportError(f"ONNX export: opset_version {opset} is not supported "
                          f"(choose {OPSETS.start} to {OPSETS.stop - 1})")
    trace = _record(model, inputs)
    inputs = trace.inputs  # the copies the model ran on
    input_names = _names(input_names, "input", len(inputs))
    output_names = _names(output_names, "output", len(trace.outputs))
    axes = _dynamic_axes(dynamic_axes or {}, inputs, input_names, output_names)
    twins, twin_nodes = {}, {}
    if any(axes.get(name) for name in input_names):
        symbols = sorted({s for name in input_names for s in axes.get(name, {}).values()})
        factors = {symbol: k + 2 for k, symbol in enumerate(symbols)}
        grown = tuple(_grow(x, {axis: factors[s] for axis, s in axes.get(name, {}).items()})
                      for x, name in zip(inputs, input_names))
        twins, twin_nodes = _align(trace, _record(model, grown))
    parameters = {}
    if hasattr(model, "named_parameters"):
        for kind in (model.named_parameters(), model.named_buffers()):
            parameters.update({id(tensor): name for name, tensor in kind})
    g = Graph(trace, opset, twins, twin_nodes, parameters, export_params, do_constant_folding)
    for name in input_names + output_names:
        g.fresh(name)  # reserved: no node output takes these names
    for x, name in reversed(list(zip(inputs, input_names))):
        g.bind(x, name)
    k = 0
    while k < len(trace.nodes):
        covered = patterns.fuse(g, k) if g.emitted[k] else 0  # one ONNX op for a run
        if not covered and g.emitted[k]:
            translate(g, trace.nodes[k])
        k += covered or 1
    _name_outputs(g, trace.outputs, output_names)
    data = _encode(g, inputs, input_names, trace.outputs, output_names, axes)
    if verbose:
        print(describe(g))
    _write(f, data)


def _record(model: Any, inputs: tuple) -> Any:
    """Run the model under tracing.record and check the run.

    The float inputs are given as copies that require grad, and grad mode stays on: a few
    shortcuts (x[a:b] of a tensor with no autograd history is a bare view) skip the
    primitives, and so the trace, when there is no gradient to track."""
    with autograd.enable_grad():
        inputs = tuple(x.detach().requires_grad_().clone() if x.dtype.is_floating_point
                       else x for x in inputs)
    try:
        with autograd.enable_grad(), tracing.record(*inputs) as trace:
            trace.set_outputs(_flatten(model(*inputs)))
    except tracing.TraceError as error:
        hint = " (an integer input sliced along dim 0, x[a:b], is such a view)" \
            if "shares memory" in str(error) else ""
        raise ExportError(f"ONNX export: {error}{hint}") from error
    if trace.problems:
        raise ExportError(
            "ONNX export: this run cannot be written as a graph: " + "; ".join(trace.problems)
            + ". (PyTorch's tracer warns and exports the path this one run took; we refuse, "
            "since a graph that computes something else is worse than none. Dropout or "
            "other random layers: call model.eval() first; a branch on a tensor's value: "
            "write it with torch.where.)")
    return trace


def _flatten(result: Any) -> list:
    """The model's outputs in order, nested tuples and lists flattened (an LSTM's
    (output, (h, c)) is three outputs), as PyTorch's exporter does."""
    if isinstance(result, (tuple, list)):
        return [item for part in result for item in _flatten(part)]
    return [result]


def _names(names: list | None, prefix: str, count: int) -> list:
    names = list(names or [])
    if len(names) > count:
        raise ExportError(f"ONNX export: {len(names)} {prefix} names for {count} {prefix}s")
    return names + [f"{prefix}_{k}" for k in range(len(names), count)]


def _dynamic_axes(spec: dict, inputs: tuple, input_names: list, output_names: list) -> dict:
    """{value name: {axis: symbol}}; a list of axes gets PyTorch's generated symbols."""
    axes = {}
    for name, value in spec.items():
        if name not in input_names and name not in output_names:
            raise ExportError(f"ONNX export: dynamic_axes names {name!r}, which is neither "
                              f"an input ({input_names}) nor an output ({output_names})")
        if isinstance(value, dict):
            axes[name] = {int(axis): str(symbol) for axis, symbol in value.items()}
        else:
            axes[name] = {int(axis): f"{name}_dynamic_axes_{k + 1}"
                          for k, axis in enumerate(value)}
    for x, name in zip(inputs, input_names):
        for axis in axes.get(name, {}):
            if not 0 <= axis < x.ndim:
                raise ExportError(f"ONNX export: dynamic axis {axis} of input {name!r}, "
                                  f"which has {x.ndim} dims")
    return axes


def _grow(x: Tensor, factors: dict) -> Tensor:
    """x repeated along each dynamic axis, factor times (2 for the first symbol, 3 for the
    next, ..., so that two axes of one size at export grow apart); the values stay valid
    (indices in range)."""
    for axis, factor in factors.items():
        x = movement.cat([x] * factor, dim=axis)
    return x.detach()


def _align(trace: Any, other: Any) -> tuple:
    """Pair each tensor (input, node argument, node output) of one run with the tensor that
    stands in its place in the other run, and each node with its twin."""
    if [n.name() for n in trace.nodes] != [n.name() for n in other.nodes]:
        raise ExportError("ONNX export: the model ran other ops when the dynamic axes "
                          "changed size (Python control flow on a shape?); it cannot be "
                          "exported with these dynamic_axes")
    twins = {id(a): b for a, b in zip(trace.inputs, other.inputs)}
    twin_nodes = {}
    for node, twin in zip(trace.nodes, other.nodes):
        twin_nodes[id(node)] = twin
        pairs = list(zip(node.args, twin.args)) + list(zip(node.outputs(), twin.outputs()))
        for a, b in pairs:
            if isinstance(a, Tensor) and isinstance(b, Tensor):
                twins[id(a)] = b
    twins.update({id(a): b for a, b in zip(trace.outputs, other.outputs)})
    return twins, twin_nodes


def _name_outputs(g: Graph, outputs: tuple, names: list) -> None:
    """Give each graph output its name: rename the value a node made, or add an Identity
    (for an output that is an input, a constant, or the same value as another output)."""
    taken = set()
    for tensor, name in zip(outputs, names):
        value = g.name(tensor)
        maker = next((n for n in g.nodes if value in n.outputs), None)
        if maker is None or value in taken:
            g.nodes.append(OnnxNode("Identity", [value], [name], g.fresh("Identity")))
            continue
        for onnx_node in g.nodes:
            onnx_node.inputs = [name if v == value else v for v in onnx_node.inputs]
            onnx_node.outputs = [name if v == value else v for v in onnx_node.outputs]
        g.bind(tensor, name)
        taken.add(name)


def _dims(tensor: Tensor, symbols: dict) -> list:
    return [symbols.get(axis, size) for axis, size in enumerate(tensor.shape)]


def _encode(g: Graph, inputs: tuple, input_names: list, outputs: tuple, output_names: list,
            axes: dict) -> bytes:
    """The ModelProto bytes: inputs and outputs with their types and (symbolic) shapes."""
    graph_inputs = [protobuf.value_info(name, x.dtype.numpy, _dims(x, axes.get(name, {})))
                    for x, name in zip(inputs, input_names)]
    graph_inputs += [protobuf.value_info(name, t.dtype.numpy, list(t.shape))
                     for name, t in g.parameter_inputs]
    graph_outputs = []
    for tensor, name in zip(outputs, output_names):
        symbols = dict(axes.get(name, {}))
        for axis, changed in enumerate(g.dynamic(tensor)):
            if changed and axis not in symbols:
                symbols[axis] = f"{name}_dim_{axis}"  # follows a dynamic input axis
        graph_outputs.append(protobuf.value_info(name, tensor.dtype.numpy,
                                                 _dims(tensor, symbols)))
    nodes = [protobuf.node(n.op_type, n.inputs, n.outputs, n.name, n.attributes)
             for n in g.nodes]
    initializers = [protobuf.tensor(name, array) for name, array in _read(g).items()]
    graph = protobuf.graph("tinygrad_edu", nodes, initializers, graph_inputs, graph_outputs)
    from tinygrad_edu import __version__
    return protobuf.model(graph, g.opset, IR_VERSION, "tinygrad_edu", __version__)


def _read(g: Graph) -> dict:
    """The initializers that a node reads (a constant may have been stored as it is and
    also converted to another type, of which only one is read)."""
    used = {name for n in g.nodes for name in n.inputs}
    return {name: array for name, array in g.initializers.items() if name in used}


def describe(g: Graph) -> str:
    """The graph as text, one node a line: outputs = op_type(inputs) {attributes}."""
    stored = _read(g)
    lines = [f"initializers: {len(stored)} ({sum(a.size for a in stored.values())} values)"]
    for n in g.nodes:
        attributes = f" {n.attributes}" if n.attributes else ""
        lines.append(f"{', '.join(n.outputs)} = {n.op_type}({', '.join(n.inputs)}){attributes}")
    return "\n".join(lines)


def _write(f: Any, data: bytes) -> None:
    """To a binary file object, or to a path atomically (a temporary file, then a rename)."""
    if hasattr(f, "write"):
        f.write(data)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".onnx-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
