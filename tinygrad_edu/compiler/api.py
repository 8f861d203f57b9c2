"""`tinygrad_edu.compile`: trace a function once per kind of input, fuse, replay.

    compiled = tinygrad_edu.compile(model)         # an nn.Module: a wrapper module
    compiled = tinygrad_edu.compile(function)      # a function of tensors
    @tinygrad_edu.compile                          # a decorator, bare or with keywords:
    @tinygrad_edu.compile(fullgraph=True)
    print(compiled.explain())                      # what was traced, fused, generated

The first call with a new *guard key* runs the function eagerly while `tracing.record`
writes down every op (that run's result is returned), then builds a `Program`
(compiler/graph.py): elementwise ops fused into generated kernels, everything else replayed
as itself. Later calls with the same key run the program, not the Python function.

The guard key, as torch.compile's guards: every input tensor's shape, dtype, device and
requires_grad (and which inputs are the same tensor), the other arguments' values, grad
mode, and the `training` flag of every module involved (the compiled module's, or modules
the function reads from its closure or globals). A new key traces again (PyTorch: a
recompile), up to `RECOMPILE_LIMIT` keys; past that, new keys run eagerly with a warning.

Python control flow is specialised per key, as torch.jit.trace does: an `if` on a shape
or a Python number is decided while tracing and frozen into the program. A branch on a
tensor's *value* (`if x.sum() > 0:`), a random draw (dropout while training), `.item()`
and in-place writes into traced tensors cannot be replayed: `tracing` names them in
`trace.problems`, and that key runs eagerly from then on, after one warning naming the
problem (PyTorch: a graph break, where the rest of the function would still be compiled;
here the whole call runs eagerly). With `fullgraph=True` that raises `CompileError`.

Differences from torch.compile, on purpose or for now:
- no bytecode analysis (TorchDynamo): the program is a trace, so Python side effects
  (printing, appending to a list) happen only while tracing, and a parameter *replaced* by
  a new tensor object (not updated in place, as optimizers do) needs `compiled.reset()`;
- `dynamic=True` is accepted but shapes are always specialised (one trace per shape);
  `mode=` is checked and recorded but picks nothing (there is one code generator);
- `backend="inductor"` (the default) fuses; "eager" and "aot_eager" replay without
  fusion, as PyTorch's debugging backends; fused kernels are CPU-only, so on CUDA tensors
  the program replays op by op without fusion;
- the fused node's grad_fn is `CompiledFunctionBackward`, as PyTorch names it, and the ops
  it replaced have no nodes of their own;
- the tracing call returns its eager result (PyTorch runs the compiled graph from the first
  call); hooks a traced function registers on tensors are not registered again by a
  replay; `options=` is accepted and ignored.

To look inside: `compiled.explain()` (every guard key, its steps, each generated kernel's
source), `compiled.graphs` (guard key -> Graph: `.program`, `.fused_groups`, `.problems`),
`compiled.reset()` (forget every trace).
"""

import time
import warnings
from collections.abc import Callable
from typing import Any

from tinygrad_edu import autograd, tracing
from tinygrad_edu.compiler.graph import Program, build_program
from tinygrad_edu.nn import Module
from tinygrad_edu.tensor import Tensor

RECOMPILE_LIMIT = 8  # PyTorch's torch._dynamo.config.recompile_limit
MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
BACKENDS = ("inductor", "eager", "aot_eager")


class CompileError(RuntimeError):
    """fullgraph=True and the function cannot be compiled as one graph (see the message)."""


def compile(model: Any = None, *, fullgraph: bool = False,  # noqa: A001  (torch.compile)
            dynamic: bool | None = None, backend: str = "inductor", mode: str | None = None,
            options: dict | None = None, disable: bool = False) -> Any:
    """Compile a function or an nn.Module (see the module docstring); without `model`,
    return a decorator. fullgraph: raise instead of falling back to eager; dynamic:
    accepted, shapes are always specialised; mode: one of PyTorch's names, no effect;
    backend: "inductor" fuses, "eager"/"aot_eager" replay unfused; disable: return model."""
    if mode not in MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: "
                           + ", ".join(m for m in MODES if m))
    if backend not in BACKENDS:
        raise RuntimeError(f"tinygrad_edu.compile: unknown backend {backend!r}; "
                           f"choose one of {BACKENDS}")
    settings = {"fullgraph": fullgraph, "dynamic": dynamic, "backend": backend, "mode": mode,
                "options": dict(options or {})}

    def wrap(target: Any) -> Any:
        if disable:
            return target
        if isinstance(target, Module):
            return OptimizedModule(target, settings)
        if not callable(target):
            raise TypeError(f"tinygrad_edu.compile expects a function or an nn.Module, got "
                            f"{type(target).__name__}")
        return CompiledFunction(target, settings)

    return wrap if model is None else wrap(model)


def compile_module(module: Module, **settings: Any) -> Module:
    """PyTorch's `module.compile(**kwargs)`: compile the module's forward in place (its
    calls, hooks outside, now run the compiled forward; state_dict keys do not change).
    The keywords are compile()'s. Returns the module."""
    bound = type(module).forward.__get__(module)  # the class's forward, bound to module
    object.__setattr__(module, "forward", compile(bound, **settings))  # shadows the method
    return module


class _Unkeyable(Exception):
    """An argument that cannot be part of a guard key (unhashable, not a tensor)."""


def flatten(value: Any, tensors: list) -> Any:
    """A hashable template of `value` with each tensor replaced by a slot (tensors gets them)."""
    if isinstance(value, Tensor):
        tensors.append(value)
        return ("tensor",)
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(flatten(item, tensors) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, flatten(item, tensors)) for key, item in value.items()))
    try:
        hash(value)
    except TypeError:
        raise _Unkeyable(type(value).__name__) from None
    return ("value", type(value), value)  # the type too: 1, 1.0 and True are equal keys


def _template(value: Any, tensors: list) -> Any:
    """The structure of a result, tensors replaced by slots (any other value kept)."""
    if isinstance(value, Tensor):
        tensors.append(value)
        return ("tensor",)
    if isinstance(value, (tuple, list)):
        return (type(value), [_template(item, tensors) for item in value])
    if isinstance(value, dict):
        return (dict, [(key, _template(item, tensors)) for key, item in value.items()])
    return ("value", value)


def _fill(template: Any, tensors: Any) -> Any:
    kind = template[0]
    if kind == "tensor":
        return next(tensors)
    if kind == "value":
        return template[1]
    if kind is dict:
        return {key: _fill(item, tensors) for key, item in template[1]}
    items = [_fill(item, tensors) for item in template[1]]
    return kind(*items) if hasattr(kind, "_fields") else kind(items)  # a NamedTuple too


class Graph:
    """What one guard key compiled to: a Program, or the problem that made it run eagerly."""

    def __init__(self, key: tuple, program: Program | None, problems: list,
                 output_template: Any, seconds: float, node_count: int) -> None:
        self.key = key
        self.program = program
        self.problems = problems
        self.output_template = output_template
        self.seconds = seconds  # tracing and partitioning (Numba compiles at first run)
        self.node_count = node_count

    @property
    def fused_groups(self) -> list:
        return self.program.groups if self.program else []

    def describe(self) -> str:
        shapes = [list(k[0]) for k in self.key[1]]
        head = f"inputs {shapes}, grad mode {self.key[2]}: "
        if self.program is None:
            return head + "runs eagerly (graph break: " + "; ".join(self.problems) + ")"
        program = self.program
        lines = [head + f"{self.node_count} recorded ops, {program.elementwise_nodes} "
                 f"fusible, {len(program.groups)} fused groups, {len(program.steps)} "
                 f"steps (traced in {self.seconds * 1000:.1f} ms)"]
        if any(k[2].type != "cpu" for k in self.key[1]):
            lines.append("  (fused kernels are CPU-only: these inputs replay op by op)")
        for step in program.steps:
            lines.append(f"  {'fused' if step.kind == 'fused' else 'op':5s} {step.label}")
        for number, group in enumerate(program.groups):
            for which in ("forward", "backward"):
                source = group.sources.get(which)
                text = source if source else f"    (the {which} kernel has not run yet)\n"
                lines.append(f"--- group {number}, {which} kernel\n{text.rstrip()}")
        return "\n".join(lines)


class CompiledFunction:
    """The callable `compile(function)` returns: guard, trace or replay (module docstring)."""

    def __init__(self, function: Callable, settings: dict, modules: tuple | None = None) -> None:
        self.function = function
        self.settings = settings
        self.modules = modules if modules is not None else _modules_of(function)
        self.graphs: dict = {}  # guard key -> Graph
        self.__name__ = getattr(function, "__name__", type(function).__name__)
        self.__doc__ = getattr(function, "__doc__", None)
        self.__wrapped__ = function

    def guard_key(self, args: tuple, kwargs: dict, tensors: list) -> tuple:
        template = flatten((args, kwargs), tensors)
        described = tuple((t._shape, t.dtype, t._storage.device, t._requires_grad)
                          for t in tensors)
        # f(x, x) traces both as input 0: a later f(a, b) must not replay that trace
        aliases = tuple(next(j for j, u in enumerate(tensors) if u is t) for t in tensors)
        training = tuple(m.training for module in self.modules for m in module.modules())
        return (template, described, autograd.is_grad_enabled(), training, aliases)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tensors: list = []
        try:
            key = self.guard_key(args, kwargs, tensors)
        except _Unkeyable as error:
            self._break(f"an argument of type {error} cannot be guarded", once=True)
            return self.function(*args, **kwargs)
        graph = self.graphs.get(key)
        if graph is None:
            if len(self.graphs) >= RECOMPILE_LIMIT:
                self._break(f"recompile limit ({RECOMPILE_LIMIT} guard keys) reached",
                            once=True)
                return self.function(*args, **kwargs)
            return self._trace(key, args, kwargs, tensors)
        if graph.program is None:
            return self.function(*args, **kwargs)
        outputs = graph.program.run(tuple(tensors))
        return _fill(graph.output_template, iter(outputs))

    def _trace(self, key: tuple, args: tuple, kwargs: dict, tensors: list) -> Any:
        start = time.perf_counter()
        with tracing.record(*tensors) as trace:
            result = self.function(*args, **kwargs)
            outputs: list = []
            template = _template(result, outputs)
            problems = list(trace.problems)
            program = None
            if not problems:
                try:
                    trace.set_outputs(outputs)
                    program = build_program(trace, self.settings["backend"] == "inductor")
                except tracing.TraceError as error:
                    problems.append(str(error))
        self.graphs[key] = Graph(key, None if problems else program, problems, template,
                                 time.perf_counter() - start, len(trace.nodes))
        if problems:
            self._break("; ".join(problems))
        return result

    def _break(self, problem: str, once: bool = False) -> None:
        message = f"tinygrad_edu.compile({self.__name__}): {problem}"
        if self.settings["fullgraph"]:
            raise CompileError(message + " (fullgraph=True)")
        if once and getattr(self, "_warned", None) == problem:
            return
        self._warned = problem
        warnings.warn(message + "; running eagerly for these inputs (a graph break)",
                      stacklevel=4)

    def explain(self) -> str:
        """Every guard key seen, what it compiled to, and the generated kernels' source."""
        if not self.graphs:
            return f"{self.__name__}: not called yet (nothing traced)"
        parts = [f"{self.__name__}: {len(self.graphs)} guard key(s)"]
        parts += [graph.describe() for graph in self.graphs.values()]
        return "\n".join(parts)

    def reset(self) -> None:
        """Forget every trace (PyTorch: torch._dynamo.reset()); the next call traces."""
        self.graphs.clear()


def _modules_of(function: Callable) -> tuple:
    """Modules a function can reach without arguments: a bound method's self, closure
    cells, and the globals it names; their training flags join the guard key."""
    found = []
    owner = getattr(function, "__self__", None)
    if isinstance(owner, Module):
        found.append(owner)
    code = getattr(function, "__code__", None)
    for cell in getattr(function, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, Module):
            found.append(value)
    names = getattr(code, "co_names", ())
    scope = getattr(function, "__globals__", {})
    found += [scope[name] for name in names if isinstance(scope.get(name), Module)]
    return tuple(found)


class OptimizedModule(Module):
    """What `compile(module)` returns: a Module whose call runs the compiled `__call__` of
    the original (hooks included), kept as `_orig_mod` as in PyTorch (so its parameters
    are this module's, and state_dict keys start with `_orig_mod.`)."""

    def __init__(self, module: Module, settings: dict) -> None:
        super().__init__()
        self._orig_mod = module
        object.__setattr__(self, "_compiled", CompiledFunction(module.__call__, settings,
                                                               (module,)))
        self._compiled.__name__ = type(module).__name__

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled(*args, **kwargs)

    def explain(self) -> str:
        return self._compiled.explain()

    def reset(self) -> None:
        self._compiled.reset()

    @property
    def graphs(self) -> dict:
        return self._compiled.graphs

    def __getattr__(self, name: str) -> Any:
        # PyTorch's OptimizedModule also forwards unknown attributes to the original module
        try:
            return super().__getattr__(name)
        except AttributeError:
            original = self.__dict__.get("_modules", {}).get("_orig_mod")
            if original is None:  # half-built (copying, unpickling): a plain miss
                raise
            return getattr(original, name)
