"""The ONNX graph being built from a trace: value names, nodes, initializers, and the facts
about each traced tensor that the op translations in `ops.py` ask for.

A traced tensor becomes an ONNX *value*, known by its name:
- an input of the traced run: a graph input (`input_names`);
- the output of a recorded node: the output of the ONNX node(s) that node became;
- a constant (a parameter, a buffer, a tensor made inside forward): an *initializer*, a
  tensor stored in the file. With constant folding on, a recorded node whose arguments are
  all constants is not translated at all: its recorded output is stored as one initializer
  (BatchNorm's `rsqrt(running_var + eps) * weight` becomes one vector).

Dynamic axes. ONNX has no strides and no fixed batch size: a graph must say which sizes
are fixed. The exporter runs the model a second time with every dynamic input axis grown
(`twin`: the tensor of that run that stands where this one stood); a dimension whose size
changed is dynamic, one that did not is fixed. Reshape, Slice and Expand read that to write
-1, 0, "to the end" or a size read off an input's shape at run time, instead of a number
that would bake the batch size in. A constant of one value whose shape follows the axes
(an RNN's zero initial state, `zeros(x.shape[0], ...)`) becomes that value expanded to a
shape read off the inputs; any other constant that differs between the runs is refused.
"""

import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_edu import dispatch
from tinygrad_edu.onnx import protobuf
from tinygrad_edu.tensor import Tensor

INT64_MAX = 2**63 - 1


class ExportError(RuntimeError):
    """The model cannot be written as an ONNX graph that computes what it computes."""


class UnsupportedOperatorError(ExportError):
    """A recorded op has no ONNX translation here."""


def host(tensor: Any) -> np.ndarray:
    """A tensor's values as a NumPy array in host memory (from any device)."""
    return tensor.detach().cpu().numpy()


def arguments(node: Any) -> dict:
    """A recorded node's arguments by name, defaults filled in, as the primitive's forward
    (or the dispatch helper) declares them: {"x": ..., "axes": ..., "keepdim": ...}."""
    if node.kind == "function":
        bound = inspect.signature(node.target.forward).bind(None, *node.args, **node.options)
    else:
        bound = inspect.signature(getattr(dispatch, node.target)).bind(*node.args,
                                                                      **node.options)
    bound.apply_defaults()
    return dict(bound.arguments)


@dataclass
class OnnxNode:
    """One ONNX node: outputs = op_type(inputs, **attributes)."""

    op_type: str
    inputs: list
    outputs: list
    name: str
    attributes: dict = field(default_factory=dict)


class Graph:
    """Builds the ONNX graph while `export` walks the trace (see the module docstring)."""

    def __init__(self, trace: Any, opset: int, twins: dict, twin_nodes: dict,
                 parameter_names: dict, export_params: bool, fold: bool) -> None:
        self.trace, self.opset = trace, opset
        self.nodes: list = []
        self.initializers: dict = {}  # name -> ndarray
        self.parameter_inputs: list = []  # (name, tensor): parameters when not exported
        self._twins = twins  # id(tensor) -> the same tensor of the second run
        self._twin_nodes = twin_nodes  # id(node) -> the same node of the second run
        self._parameter_names = parameter_names  # id(tensor) -> "0.weight", ...
        self._export_params = export_params
        self._names: dict = {}  # id(tensor) -> value name
        self._casts: dict = {}  # (value name, dtype) -> the cast value; also input sizes
        self._used: set = set()
        self._next: dict = {}  # hint -> the last number fresh() gave it
        self._keep: list = []  # tensors whose ids are keys above stay alive
        self.uses: Any = None  # id(tensor) -> how often it is read (patterns.py fills it)
        self.live: set = set()  # ids of tensors computed in the graph (see _plan)
        self._live_buffers: set = set()
        self.emitted: list = self._plan(fold)

    # ---- planning: which recorded nodes become ONNX nodes
    def _plan(self, fold: bool) -> list:
        """A flag per recorded node: translate it (True) or store its output (False).

        A node is live when an argument depends on the inputs (or on a parameter that is a
        graph input, export_params=False), or when its output's shape follows the dynamic
        axes (a constant expanded to the batch size); with folding, only live nodes are
        translated. full_like makes a constant whatever its argument: it is stored."""
        for tensor in self.trace.inputs:
            self.live.add(id(tensor))
            self._live_buffers.add(id(tensor._storage.buffer))
        if not self._export_params:
            self.live.update(self._parameter_names)
        flags = []
        for node in self.trace.nodes:
            tensors = [a for a in node.args if isinstance(a, Tensor)]
            from_inputs = node.target != "full_like" and any(id(t) in self.live
                                                              for t in tensors)
            live = from_inputs or (node.target != "full_like" and any(
                any(self.dynamic(out)) for out in node.outputs()))
            for out in node.outputs() if live else ():
                self.live.add(id(out))
                if from_inputs:  # (a view of a constant shares the constant's memory)
                    self._live_buffers.add(id(out._storage.buffer))
            flags.append(live or (not fold and node.target != "full_like"))
        return flags

    # ---- names
    def fresh(self, hint: str) -> str:
        """A value or node name not used yet: hint, hint_1, hint_2, ..."""
        name, number = hint, self._next.get(hint, 0)
        while name in self._used:
            number += 1
            name = f"{hint}_{number}"
        self._next[hint] = number
        self._used.add(name)
        return name

    def bind(self, tensor: Any, name: str) -> None:
        """tensor is the value `name` from now on."""
        self._names[id(tensor)] = name
        self._keep.append(tensor)

    def named(self, tensor: Any) -> bool:
        return id(tensor) in self._names

    def name(self, tensor: Any) -> str:
        """The value name of a traced tensor; a constant becomes an initializer here."""
        known = self._names.get(id(tensor))
        if known is not None:
            return known
        hint = self._parameter_names.get(id(tensor))
        if hint is not None and not self._export_params:
            name = self.fresh(hint)
            self.parameter_inputs.append((name, tensor))
            self.bind(tensor, name)
            return name
        filled = self._filled(tensor)
        if filled is not None:  # zeros(x.shape[0], ...): a value expanded to a dynamic shape
            dims = [a if a == b else (a, b) for a, b in zip(tensor.shape,
                                                            self.twin_shape(tensor))]
            name = self.add("Expand", [filled, self.shape_vector(dims)])
        else:
            folded = id(tensor) in self.trace._producer
            name = self.constant(self.constant_value(tensor), hint or
                                 ("folded" if folded else "const"))
        self.bind(tensor, name)
        return name

    def _filled(self, tensor: Any) -> str | None:
        """For a constant whose shape follows the dynamic axes and whose elements are all
        one value (in both runs): that value, as a 0-d initializer; else None."""
        twin = self._twins.get(id(tensor))
        if twin is None or tuple(twin.shape) == tuple(tensor.shape):
            return None
        self._check_stored(tensor)
        values, others = host(tensor), host(twin)
        if values.size == 0 or others.size == 0:
            return None
        first = values.reshape(-1)[0]
        if not ((values == first).all() and (others == first).all()):
            return None
        return self.scalar(first, values.dtype)

    def constant_value(self, tensor: Any) -> np.ndarray:
        """The values of a tensor that the graph stores: a constant, or the recorded output
        of a node that was folded. Refuses what would freeze input-dependent data."""
        self._check_stored(tensor)
        self._check_fixed(tensor)
        return host(tensor)

    def _check_stored(self, tensor: Any) -> None:
        """A tensor about to be stored must be a constant, or the output of a folded node."""
        producer = self.trace._producer.get(id(tensor))
        if producer is not None and self.emitted[producer[0]]:
            raise ExportError(f"internal: the translation of "
                              f"{self.trace.nodes[producer[0]].name()} did not name its output")
        if producer is None and id(tensor._storage.buffer) in self._live_buffers:
            raise ExportError(
                f"a tensor of shape {list(tensor.shape)} shares memory with data computed "
                "from the inputs but was not made by a recorded op (detach() or .data "
                "inside forward?): its values would be frozen into the graph")

    def value(self, tensor: Any, dtype: Any = None) -> str:
        """The name of `tensor` converted to `dtype` (a tinygrad_edu dtype): a converted
        initializer for a constant, a Cast node otherwise."""
        name = self.name(tensor)
        if dtype is None or dtype is tensor.dtype:
            return name
        if name in self.initializers and id(tensor) not in self.live:
            cached = self._casts.get((name, dtype))
            if cached is None:
                cached = self.constant(self.initializers[name].astype(dtype.numpy), name)
                self._casts[(name, dtype)] = cached
            return cached
        return self.cast(name, dtype.numpy)

    def cast(self, name: str, numpy_dtype: Any) -> str:
        """A Cast of the value `name` to a NumPy dtype (cached, so each is made once)."""
        numpy_dtype = np.dtype(numpy_dtype)
        cached = self._casts.get((name, numpy_dtype))
        if cached is None:
            cached = self.add("Cast", [name], to=protobuf.data_type(numpy_dtype))
            self._casts[(name, numpy_dtype)] = cached
        return cached

    def constant(self, array: Any, hint: str = "const") -> str:
        """A new initializer holding `array`; returns its name."""
        name = self.fresh(hint)
        self.initializers[name] = np.asarray(array, order="C")  # (ascontiguousarray: 0-d -> 1-d)
        return name

    def ints(self, values: Any, hint: str = "shape") -> str:
        """An int64 vector initializer: the axes, shapes and starts some ops take as input."""
        return self.constant(np.asarray(list(values), dtype=np.int64).reshape(-1), hint)

    def scalar(self, value: float, dtype: Any) -> str:
        """A 0-d initializer of a NumPy dtype (the 1 of log1p(x) = log(x + 1), ...)."""
        return self.constant(np.asarray(value, dtype=dtype), "const")

    # ---- nodes
    def add(self, op_type: str, inputs: list, outputs: int = 1, **attributes: Any) -> Any:
        """Append the ONNX node op_type(inputs); returns its output name (or the list of
        names when outputs > 1)."""
        name = self.fresh(op_type)
        names = [self.fresh(f"{name}_out" if outputs == 1 else f"{name}_out{k}")
                 for k in range(outputs)]
        self.nodes.append(OnnxNode(op_type, list(inputs), names, name, attributes))
        return names[0] if outputs == 1 else names

    def shape_vector(self, dims: list) -> str:
        """An int64 vector value of sizes: a number stays a number; a pair (size, twin size)
        of a dynamic dim is read at run time off the graph input axis that has those sizes
        (Gather(Shape(input), axis)). ExportError when no input axis has them."""
        if all(isinstance(d, int) for d in dims):
            return self.ints(dims)
        pieces = []
        for d in dims:
            pieces.append(self.ints([d]) if isinstance(d, int) else self._input_size(*d))
        return self.add("Concat", pieces, axis=0)

    def input_axis(self, size: int, twin: int) -> tuple | None:
        """(input, axis) of a graph input's axis that is `size` long at the export size and
        `twin` long in the second run, or None."""
        for x in self.trace.inputs:
            for axis, pair in enumerate(zip(x.shape, self.twin_shape(x))):
                if pair == (size, twin):
                    return x, axis
        return None

    def _input_size(self, size: int, twin: int) -> str:
        found = self.input_axis(size, twin)
        if found is None:
            raise ExportError(
                f"ONNX export: a size that follows the dynamic axes ({size} at the export "
                "size) is no input's dynamic axis (a product of two of them?); export with "
                "fixed sizes (no dynamic_axes)")
        x, axis = found
        cached = self._casts.get(("size", id(x), axis))
        if cached is None:
            shape = self.add("Shape", [self.name(x)])
            cached = self.add("Gather", [shape, self.ints([axis], "axis")], axis=0)
            self._casts[("size", id(x), axis)] = cached
        return cached

    # ---- facts about traced tensors
    def twin_node(self, node: Any) -> Any:
        """The node of the second run that stands where `node` stands (None without one)."""
        return self._twin_nodes.get(id(node))

    def twin_shape(self, tensor: Any) -> tuple:
        """The shape of this tensor in the second run (its own shape without one)."""
        twin = self._twins.get(id(tensor))
        return tuple(tensor.shape) if twin is None else tuple(twin.shape)

    def dynamic(self, tensor: Any) -> tuple:
        """One flag per dim: does its size follow the dynamic axes?"""
        return tuple(a != b for a, b in zip(tensor.shape, self.twin_shape(tensor)))

    def _check_fixed(self, tensor: Any) -> None:
        """A constant must be the same in both runs: one that is not was computed from a
        dynamic size (x.shape[0] used as a number, zeros(x.shape), a mean's count over a
        dynamic axis) and would be frozen at the export size."""
        twin = self._twins.get(id(tensor))
        if twin is None or twin is tensor:
            return
        if twin.shape != tensor.shape:
            raise ExportError(
                f"a constant's shape follows a dynamic axis ({list(tensor.shape)} at the "
                f"export size, {list(twin.shape)} in a run with the dynamic axes grown): "
                "a tensor made inside forward from x.shape would be frozen; export with "
                "fixed sizes (no dynamic_axes) instead")
        if not np.array_equal(host(tensor), host(twin), equal_nan=True):
            raise ExportError(
                f"a constant of shape {list(tensor.shape)} has other values when the "
                "dynamic axes change size (a size such as x.shape[0], or the count of a mean "
                "over a dynamic axis, used as a number): it would be frozen at the export "
                "size; export with fixed sizes (no dynamic_axes) instead")
