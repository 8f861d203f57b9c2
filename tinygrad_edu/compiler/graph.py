"""From a trace to a program: which recorded ops fuse, and the steps that replay the rest.

`build_program(trace)` reads a `tracing.Trace` (every op of one run, in order) and returns
a `Program`: a list of steps, each either one recorded op run again as itself (Linear, Sum,
Softmax, views, ...) or one `Fused` node standing for a group of elementwise ops.

Which ops fuse (`elementwise`): the unary and binary primitives (Exp, Tanh, Add, Mul, ...,
Pow, Maximum, Where, Cast) and the no-gradient dispatch helpers for comparisons and masks
(`x > 0`), on CPU tensors of the dtypes kernels/fusion.py knows (no float16).

How groups form (`partition`), walking the ops in order: an elementwise op joins the
group(s) that made its arguments when the result is still one valid group, else it starts
its own. A group is valid when
- every member whose result is used outside the group (or returned) has the group's full
  loop shape: the kernel writes its outputs at every index of the loop (a (B, 1) mean used
  only inside a (B, H) group is computed in the kernel's outer loop instead, once a row);
- every use outside the group comes after the group's last op: the group runs as one step
  where its last op was, so a Sum that reads an early member (LayerNorm's variance) stops
  that member's group from growing past the Sum (else the Sum would wait for its own
  result: a cycle).
Groups of one op stay as they are: one op is one kernel already.
"""

from dataclasses import dataclass, field
from typing import Any

from kernels import fusion, ops
from kernels.strided import broadcast_shapes
from tinygrad_edu import dispatch
from tinygrad_edu import functions as F
from tinygrad_edu.compiler.fused import Fused, FusedGroup, dtype_name
from tinygrad_edu.tensor import Tensor

_UNARY_NAMES = {code: name for name, code in ops.UNARY_OPS.items()}
_BINARY_NAMES = {code: name for name, code in ops.BINARY_OPS.items()}
_UNARY_FUNCTIONS = ("Exp", "Log", "Log1p", "Sqrt", "Rsqrt", "Sin", "Cos", "Tanh", "Erf",
                    "Asin", "Acos", "Atan", "Expm1", "Sigmoid", "Reciprocal", "Relu", "Abs")
_OTHER_FUNCTIONS = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div",
                     "Maximum": "maximum", "Minimum": "minimum", "Atan2": "atan2",
                     "Where": "where", "Neg": "neg", "Sign": "sign", "Cast": "cast"}


def _function_op(node: Any) -> str | None:
    """The fusion op name of a primitive node, or None when it does not fuse."""
    name = node.target.__name__
    if getattr(F, name, None) is not node.target:
        return None
    if name in _UNARY_FUNCTIONS:
        return _UNARY_NAMES[node.target.op]
    if name == "Pow":
        return "pow" if node.output.dtype.is_floating_point else "int_pow"
    return _OTHER_FUNCTIONS.get(name)


def elementwise(node: Any) -> tuple | None:
    """(op name, tensor arguments, differentiable) for a node that can fuse, else None."""
    if node.kind == "function":
        op, differentiable = _function_op(node), True
    elif node.target in ("unary", "binary") and isinstance(node.args[0], int):
        names = _UNARY_NAMES if node.target == "unary" else _BINARY_NAMES
        op, differentiable = names.get(node.args[0]), False
    elif node.target in ("where", "contiguous"):  # a mask select, a copy or cast
        op, differentiable = ("where" if node.target == "where" else "cast"), False
    else:
        return None
    output = node.output
    if op not in fusion.FORWARD or not isinstance(output, Tensor):
        return None
    args = tuple(a for a in node.args if isinstance(a, Tensor))
    for tensor in args + (output,):
        if tensor._storage.device.type != "cpu" or dtype_name(tensor) not in fusion.DTYPES:
            return None
    return op, args, differentiable


def partition(trace: Any, fusible: dict) -> list:
    """Groups of node numbers (each sorted, two or more ops) that fuse into one kernel."""
    end = len(trace.nodes)  # a returned value counts as a use after every op
    users: dict = {}  # node number -> the node numbers that read its result
    for k, node in enumerate(trace.nodes):
        for arg in tensors_in(node):
            if trace.source(arg)[0] == "node":
                users.setdefault(trace.source(arg)[1], []).append(k)
    for out in trace.outputs:
        where = trace.source(out)
        if where[0] == "node":
            users.setdefault(where[1], []).append(end)

    def valid(members: set) -> bool:
        shape = broadcast_shapes(*(trace.nodes[k].output._shape for k in members))
        last = max(members)
        for k in members:
            outside = [u for u in users.get(k, ()) if u not in members]
            if outside and (trace.nodes[k].output._shape != shape or min(outside) < last):
                return False
        return True

    group_of: dict = {}  # node number -> group id
    groups: dict = {}  # group id -> set of node numbers
    for k in sorted(fusible):
        makers = []
        for arg in fusible[k][1]:
            where = trace.source(arg)
            if where[0] == "node" and where[1] in group_of:
                gid = group_of[where[1]]
                if gid not in makers:
                    makers.append(gid)
        chosen = None
        for option in ([makers] if len(makers) > 1 else []) + [[g] for g in makers]:
            members = set().union(*(groups[g] for g in option)) | {k}
            if valid(members):
                chosen = option
                break
        if chosen is None:
            groups[k] = {k}
            group_of[k] = k
            continue
        target = chosen[0]
        for gid in chosen[1:]:
            groups[target] |= groups.pop(gid)
        groups[target].add(k)
        for member in groups[target]:
            group_of[member] = target
    return [sorted(members) for members in groups.values() if len(members) > 1]


@dataclass
class Step:
    """Run `target` on resolved args; its result is node `number`'s (or a group's) result."""

    kind: str  # "node" (replay one recorded op) or "fused"
    target: Any  # a Function class, a dispatch helper's name, or a FusedGroup
    args: tuple  # references (see Program.resolve)
    options: dict
    numbers: tuple  # the node numbers whose results this step makes
    label: str = ""
    node_label: str | None = None  # the grad_fn name the traced op's result carried


@dataclass
class Program:
    """The steps of a compiled trace and where its outputs come from."""

    steps: list
    outputs: tuple  # references
    elementwise_nodes: int = 0  # how many recorded ops could fuse
    groups: list = field(default_factory=list)  # the FusedGroups
    frees: list = field(default_factory=list)  # per step: results no later step reads

    def run(self, inputs: tuple) -> list:
        values: dict = {}
        for number, step in enumerate(self.steps):
            if self.frees and number:  # drop what is dead, as eager code drops its temporaries
                for dead in self.frees[number - 1]:
                    values.pop(dead, None)
            args = tuple(_resolve(ref, inputs, values) for ref in step.args)
            options = {key: _resolve(ref, inputs, values) for key, ref in step.options.items()}
            if step.kind == "fused":
                result = Fused.apply(*args, group=step.target)
                for number, tensor in zip(step.numbers,
                                          result if isinstance(result, tuple) else (result,)):
                    values[number] = tensor
            elif isinstance(step.target, str):  # looked up now, so an outer trace sees it
                values[step.numbers[0]] = getattr(dispatch, step.target)(*args, **options)
            else:
                result = step.target.apply(*args, **options)
                if step.node_label and getattr(result, "grad_fn", None) is not None:
                    result.grad_fn.label = step.node_label  # `t()`'s Permute: TBackward0
                values[step.numbers[0]] = result
        return [_resolve(ref, inputs, values) for ref in self.outputs]


def _resolve(ref: tuple, inputs: tuple, values: dict) -> Any:
    kind = ref[0]
    if kind == "input":
        return inputs[ref[1]]
    if kind == "node":
        value = values[ref[1]]
        return value[ref[2]] if isinstance(value, tuple) else value
    if kind == "sequence":
        return ref[1](_resolve(item, inputs, values) for item in ref[2])
    return ref[1]  # a constant tensor (read by reference) or a plain Python value


def _reference(trace: Any, value: Any) -> tuple:
    if isinstance(value, Tensor):
        return trace.source(value)  # ("input", i), ("node", k, n) or ("constant", tensor)
    if isinstance(value, (tuple, list)) and any(isinstance(v, Tensor) for v in value):
        return ("sequence", type(value), tuple(_reference(trace, v) for v in value))
    return ("literal", value)


class Sources:
    """The trace seen through `trace.source`, remembered per tensor (partitioning asks it
    about every argument several times; the trace's own lookup scans the inputs)."""

    def __init__(self, trace: Any) -> None:
        self.trace = trace
        self.nodes, self.outputs = trace.nodes, trace.outputs
        self._known: dict = {}

    def source(self, tensor: Any) -> tuple:
        known = self._known.get(id(tensor))
        if known is None:
            known = self._known[id(tensor)] = self.trace.source(tensor)
        return known


def build_program(trace: Any, fuse: bool = True) -> Program:
    """The trace's ops as steps, elementwise groups fused when `fuse` (CPU only)."""
    trace = Sources(trace)
    fusible = {k: info for k, node in enumerate(trace.nodes)
               if (info := elementwise(node)) is not None}
    groups = partition(trace, fusible) if fuse else []
    last_of = {members[-1]: members for members in groups}
    grouped = {k for members in groups for k in members}
    steps, made = [], []
    for k, node in enumerate(trace.nodes):
        if k in last_of:
            step = _fused_step(trace, last_of[k], fusible)
            steps.append(step)
            made.append(step.target)
        elif k not in grouped:
            steps.append(Step("node", node.target,
                              tuple(_reference(trace, a) for a in node.args),
                              {key: _reference(trace, v) for key, v in node.options.items()},
                              (k,), node.name(), _label_of(node.output)))
    outputs = tuple(_reference(trace, out) for out in trace.outputs)
    return Program(steps, outputs, len(fusible), made, _frees(steps, outputs))


def _frees(steps: list, outputs: tuple) -> list:
    """For each step, the node results whose last reader it is (never a returned one)."""
    def nodes_in(refs: Any) -> list:
        found = []
        for ref in refs:
            if ref[0] == "node":
                found.append(ref[1])
            elif ref[0] == "sequence":
                found += nodes_in(ref[2])
        return found

    last: dict = {}
    for number, step in enumerate(steps):
        for made in step.numbers:
            last.setdefault(made, number)  # a result nobody reads dies where it is made
        for node in nodes_in(list(step.args) + list(step.options.values())):
            last[node] = number
    kept = set(nodes_in(outputs))
    frees: list = [[] for _ in steps]
    for node, number in last.items():
        if node not in kept:
            frees[number].append(node)
    return frees


def _label_of(output: Any) -> str | None:
    node = getattr(output, "grad_fn", None)
    return node.__dict__.get("label") if node is not None else None


def _fused_step(trace: Any, members: list, fusible: dict) -> Step:
    """One group as a KernelSpec: members in order, outside tensors as numbered inputs."""
    inside = set(members)
    loop_shape = broadcast_shapes(*(trace.nodes[k].output._shape for k in members))
    inputs: list = []  # references of the group's inputs
    input_dtypes: list = []
    local: dict = {}  # node number -> its op's position in the spec
    nodes: list = []
    for k in members:
        op, args, differentiable = fusible[k]
        output = trace.nodes[k].output
        refs = []
        for arg in args:
            where = trace.source(arg)
            if where[0] == "node" and where[1] in inside:
                refs.append(("t", local[where[1]]))
                continue
            key = where if where[0] != "constant" else ("constant", id(where[1]))
            known = [i for i, ref in enumerate(inputs)
                     if (ref if ref[0] != "constant" else ("constant", id(ref[1]))) == key]
            if not known:
                inputs.append(where)
                input_dtypes.append(dtype_name(arg))
            refs.append(("x", known[0] if known else len(inputs) - 1))
        label = trace.nodes[k].name()
        full = output._shape == loop_shape
        if differentiable and op in _UNARY_NAMES.values() and op != "neg" \
                and args[0].dtype is not output.dtype:  # Exp of an int: made float first
            nodes.append(fusion.KernelNode("cast", tuple(refs), dtype_name(output), "Cast",
                                           True, full))
            refs = [("t", len(nodes) - 1)]
        nodes.append(fusion.KernelNode(op, tuple(refs), dtype_name(output), label,
                                       differentiable, full))
        local[k] = len(nodes) - 1
    users_outside = [k for k in members if _used_outside(trace, k, inside)]
    spec = fusion.KernelSpec(tuple(input_dtypes), tuple(nodes),
                             tuple(local[k] for k in users_outside))
    group = FusedGroup(spec, loop_shape)
    labels = "+".join(trace.nodes[k].name().replace("Backward0", "") for k in members)
    return Step("fused", group, tuple(inputs), {}, tuple(users_outside), labels)


def tensors_in(node: Any) -> list:
    """Every tensor a node reads: its arguments, inside lists too, and its options."""
    found = []
    for value in list(node.args) + list(node.options.values()):
        items = value if isinstance(value, (tuple, list)) else (value,)
        found.extend(item for item in items if isinstance(item, Tensor))
    return found


def _used_outside(trace: Any, k: int, inside: set) -> bool:
    for j, node in enumerate(trace.nodes):
        if j not in inside and any(trace.source(a)[:2] == ("node", k)
                                   for a in tensors_in(node)):
            return True
    return any(trace.source(out)[:2] == ("node", k) for out in trace.outputs)
