"""Record what a function computes: the trace that `compile` and ONNX export read.

    with tracing.record(x) as trace:      # x: the example input(s)
        y = model(x)
    trace.nodes      # every op the run made, in order
    trace.inputs     # the tensors given to record(); trace.outputs once set_outputs is called

This is the idea behind `torch.jit.trace`: run once on example inputs and write down each op.
Two kinds of op are written down, because they are the only two doors into the kernels:

- a primitive (`Function.apply`: Add, Mul, Linear, Convolution, ...): a node of kind
  "function", replayed by calling `node.target.apply(*args, **options)` again;
- a `dispatch` helper called outside any primitive (comparisons, `argmax`, integer math:
  the ops with no gradient call `dispatch.binary(...)` and friends directly): a node of kind
  "dispatch", replayed by calling that helper again. Inside a primitive's forward the
  dispatch calls are that primitive's business and are not written down.

What a trace cannot hold is written in `trace.problems` instead of being silently wrong:
a random draw (dropout's mask would be frozen), a value read back to Python from a traced
tensor (`.item()`, `bool(x > 0)`, `.tolist()`: the branch this run took would be frozen),
and any other backend call on traced data that bypassed both doors. Python control flow
itself is never recorded: the trace is the path this one run took (as torch.jit.trace).

Where a node's argument comes from is what `trace.source(tensor)` answers: an input, the
output of an earlier node, or a constant (a parameter, a buffer, or a tensor a factory made
during the run, such as `zeros`), which a replay reads by reference, so an optimizer's
update of a parameter is seen by the next replay.
"""

import contextlib
from dataclasses import dataclass, field
from typing import Any

from tinygrad_edu import autograd, creation, dispatch
from tinygrad_edu.device import loaded_backends
from tinygrad_edu.tensor import Tensor

# the dispatch helpers that make new tensors from tensors (pure: tensors in, new tensor out)
_PURE_HELPERS = ("unary", "binary", "where", "contiguous", "reduce", "arg_reduce", "matmul",
                 "linear", "take", "full_like", "cross_entropy_forward")
# the ones that write into an existing tensor
_WRITING_HELPERS = ("copy_into", "index_add", "index_put")
# the backend methods that the Tensor layer also calls directly, bypassing dispatch
_BYPASSING_METHODS = ("to_numpy", "bitwise", "argsort")


class TraceError(RuntimeError):
    """A trace was asked for something it cannot give (see `Trace.problems`)."""


@dataclass
class Node:
    """One recorded op: `output = target(*args, **options)`.

    kind "function": target is a Function subclass (call `target.apply`);
    kind "dispatch": target is the name of a helper in tinygrad_edu.dispatch.
    """

    kind: str
    target: Any
    args: tuple
    options: dict
    output: Any  # a Tensor, or a tuple of them (or None for a helper that writes in place)

    def outputs(self) -> tuple:
        if self.output is None:
            return ()
        return self.output if isinstance(self.output, tuple) else (self.output,)

    def name(self) -> str:
        return self.target.__name__ if self.kind == "function" else f"dispatch.{self.target}"


@dataclass
class Trace:
    """The ops of one run, in order, and where each argument came from."""

    inputs: tuple
    nodes: list = field(default_factory=list)
    outputs: tuple = ()
    problems: list = field(default_factory=list)
    _producer: dict = field(default_factory=dict)  # id(tensor) -> (node index, output number)
    _storages: set = field(default_factory=set)  # ids of the traced tensors' memory buffers
    _keep: list = field(default_factory=list)  # holds every traced tensor so ids stay unique
    _depth: int = 0  # > 0 while a primitive's forward runs

    # ---- reading a trace
    def source(self, tensor: Any) -> tuple:
        """("input", i), ("node", k, output number) or ("constant", tensor)."""
        for position, given in enumerate(self.inputs):
            if tensor is given:
                return ("input", position)
        made = self._producer.get(id(tensor))
        if made is not None:
            return ("node",) + made
        if self._aliases_traced(tensor):
            raise TraceError(
                f"a tensor of shape {list(tensor.shape)} shares memory with a traced tensor "
                "but was not made by a recorded op (detach() or .data inside the traced "
                "function?); the trace cannot follow it")
        return ("constant", tensor)

    def set_outputs(self, outputs: Any) -> None:
        """Name the function's result (a Tensor or a tuple/list of them)."""
        items = tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)
        for item in items:
            if not isinstance(item, Tensor):
                raise TraceError(f"a traced function must return tensors, got {type(item)}")
            self.source(item)  # raises for an untraceable alias
        self.outputs = items

    def check(self) -> None:
        """Raise TraceError listing the problems, if there are any."""
        if self.problems:
            raise TraceError("the run cannot be replayed from its trace: "
                             + "; ".join(self.problems))

    def _aliases_traced(self, tensor: Any) -> bool:
        return id(tensor._storage.buffer) in self._storages

    def _is_traced(self, value: Any) -> bool:
        return isinstance(value, Tensor) and self._aliases_traced(value)

    # ---- writing a trace (called by the hooks below)
    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def _add(self, kind: str, target: Any, args: tuple, options: dict, output: Any) -> None:
        node = Node(kind, target, args, options, output)
        index = len(self.nodes)
        self.nodes.append(node)
        # an output's memory counts as traced only when the op read traced data: a view of
        # a constant (BatchNorm's running_mean.view(...)) leaves the constant a constant
        from_inputs = any(self._is_traced(a) for a in args)
        for number, tensor in enumerate(node.outputs()):
            self._producer[id(tensor)] = (index, number)
            if from_inputs:
                self._storages.add(id(tensor._storage.buffer))
            self._keep.append(tensor)
        self._keep.append(args)

    def _primitive(self, function: type, args: tuple, options: dict) -> Any:
        """Function.apply while recording: run it, then write it down (outermost only)."""
        if self._depth or _checks:
            return function._run(args, options)
        self._depth += 1
        try:
            output = function._run(args, options)
        finally:
            self._depth -= 1
        self._add("function", function, args, options, output)
        return output


_active: list = []  # the traces being recorded (innermost last)
_checks: list = []  # non-empty inside argument_check(): reads there only check arguments
_SHADOW = object()  # marks an instance attribute that record() added and must delete


def _wrap_pure(name: str, helper: Any) -> Any:
    def recorded(*args: Any, **options: Any) -> Any:
        trace = _active[-1]
        if trace._depth or _checks:
            return helper(*args, **options)
        trace._depth += 1
        try:
            output = helper(*args, **options)
        finally:
            trace._depth -= 1
        trace._add("dispatch", name, args, options, output)
        return output
    return recorded


def _wrap_writing(name: str, helper: Any) -> Any:
    def recorded(*args: Any, **options: Any) -> Any:
        trace = _active[-1]
        if not trace._depth and any(trace._is_traced(a) for a in args):
            trace.problem(f"dispatch.{name} wrote into a traced tensor outside a "
                          "recorded op (an in-place update the trace cannot replay)")
        return helper(*args, **options)
    return recorded


def _wrap_backend(name: str, method: Any) -> Any:
    """A backend method that the Tensor layer calls without dispatch (bitwise ops, argsort,
    reads to the host for nonzero or tensor indices): fine on constants, not on traced data."""
    def recorded(*args: Any, **options: Any) -> Any:
        trace = _active[-1]
        if not trace._depth and not _checks and any(getattr(a, "buffer", None) is not None
                                    and id(a.buffer) in trace._storages for a in args):
            trace.problem(f"backend.{name} ran on a traced tensor outside a recorded "
                          "op (bitwise math, sorting or a read to the host)")
        return method(*args, **options)
    return recorded


def _wrap_rng(rng: Any) -> Any:
    def recorded(generator: Any) -> Any:
        _active[-1].problem("a random number was drawn (dropout, rand, randn, ...): "
                            "a replay would repeat this run's numbers")
        return rng(generator)
    return recorded


def _wrap_read(name: str, method: Any) -> Any:
    def recorded(self: Any, *args: Any, **options: Any) -> Any:
        trace = _active[-1]
        if not trace._depth and not _checks and trace._is_traced(self):
            trace.problem(f"Tensor.{name}() read a traced value back to Python "
                          "(a branch or a number taken from it would be frozen)")
        trace._depth += 1  # bool() calls item(), which reads through the backend: say it once
        try:
            return method(self, *args, **options)
        finally:
            trace._depth -= 1
    return recorded


@contextlib.contextmanager
def argument_check():
    """Reads to Python inside this block only check arguments: the run either raises or
    goes on exactly as it would have (embedding's "index out of range"), so they are no
    trace problem, and the ops computing them (a min and a max of the indices) are not
    recorded. Never use it for a read whose value changes what is computed."""
    _checks.append(True)
    try:
        yield
    finally:
        _checks.pop()


@contextlib.contextmanager
def record(*inputs: Any):
    """Record every op run inside the block; yields the Trace (see the module docstring).

    The hooks are module attributes swapped in for the block and put back after it, so code
    outside a recording runs exactly as before."""
    trace = Trace(inputs=tuple(inputs))
    trace._storages.update(id(t._storage.buffer) for t in trace.inputs)
    saved = []  # (owner, name, original)

    def swap(owner: Any, name: str, replacement: Any) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    _active.append(trace)
    try:
        swap(autograd, "_recorder", trace)
        for name in _PURE_HELPERS:
            swap(dispatch, name, _wrap_pure(name, getattr(dispatch, name)))
        for name in _WRITING_HELPERS:
            swap(dispatch, name, _wrap_writing(name, getattr(dispatch, name)))
        swap(creation, "_rng", _wrap_rng(creation._rng))
        for name in ("item", "tolist", "numpy", "__bool__", "__float__", "__int__"):
            swap(Tensor, name, _wrap_read(name, getattr(Tensor, name)))
        for backend in loaded_backends():
            for name in _BYPASSING_METHODS:  # an instance attribute shadows the method
                setattr(backend, name, _wrap_backend(name, getattr(backend, name)))
                saved.append((backend, name, _SHADOW))
        yield trace
    finally:
        for owner, name, original in reversed(saved):
            if original is _SHADOW:
                delattr(owner, name)  # the class's method shows through again
            else:
                setattr(owner, name, original)
        _active.pop()
