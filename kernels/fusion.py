"""Generate one Numba kernel for a group of elementwise ops: the code generator of `compile`.

A fused group is a little program on single numbers: every op reads inputs `x0, x1, ...` or
the results `t0, t1, ...` of earlier ops. `KernelSpec` writes it down; this module turns it
into Python source text, one loop nest with the whole expression in its body, `exec`s that
text and compiles it with `numba.njit`. For y = tanh(x) * 2 the forward kernel is

    def fused_forward(out0, in0, in1):
        n0 = out0.shape[0]
        x1 = in1[0]                      # the 2: a one-element operand, read once
        for i0 in range(n0):
            x0 = in0[i0]
            t0 = float32(tanh(x0))       # Tanh
            t1 = float32(t0 * x1)        # Mul
            out0[i0] = t1

so the intermediate t0 never goes to memory: one read of x and one write of y per element,
where the op-by-op (eager) run writes t0 as a whole array and reads it back.

Operands are n-d NumPy views broadcast to the loop's shape (stride 0 where broadcast), with
dims merged where the memory allows (a contiguous group is one flat loop). Each value is
computed at the outermost loop level where it can be (loop-invariant code motion): an
operand that does not move along the inner loop is read in the outer one, and ops on such
values run there too, so LayerNorm's rsqrt(var + eps) runs once per row.

The backward kernel is derived from the same program by reverse-mode differentiation of the
scalar expression (`plan_backward`): walking the ops backwards, `dt = adjoint of t`, it adds
each op's local derivative (`BACKWARD`: the same `*_back` functions of kernels/scalar_math.py
that the eager backward uses). For the example: `dt1 = g0; dt0 = dt1 * x1; dx0 =
tanh_back(t0, dt0)`. The forward values it needs are recomputed from the group's inputs when
cheap (adds, multiplies); an expensive one (tanh, exp: a libm call) is written out by the
forward kernel as `saved0` and read back instead.

Every result is rounded to its op's dtype (`float32(...)`), as the op-by-op run stores it,
so fused and eager results agree to the last bit or nearly (gradient sums are added in a
different order).

Compiling costs ~0.2-0.5 s per new kernel on these machines. Kernels are kept in-process by
source text (`compile_source`), and Numba keeps one machine-code version per argument type
signature, so two identical GELU groups share one compile. Numba's `cache=True` cannot help
here: it caches a function by the file and line that define it, and an exec'd function has
no file, so every new process compiles its kernels again (benchmarks/compile.py measures
that cold cost). With NUMBA_DISABLE_JIT=1 the generated functions run as plain Python.

kernels/ imports only NumPy and Numba: the spec holds dtype names and op names, no tensors.
"""

import re
from dataclasses import dataclass

import numba
import numpy as np

from kernels.cpu import scalar

# ---- the ops: how each one reads on a single number. {a}, {b}, {c}: the arguments in order
FORWARD = {
    "identity": "{a}", "cast": "{a}", "neg": "-{a}", "abs": "abs({a})",
    **{name: name + "({a})" for name in (
        "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "erf", "asin", "acos",
        "atan", "expm1", "sigmoid", "relu", "sign", "reciprocal", "logical_not")},
    "add": "{a} + {b}", "sub": "{a} - {b}", "mul": "{a} * {b}",
    "eq": "{a} == {b}", "ne": "{a} != {b}", "lt": "{a} < {b}", "le": "{a} <= {b}",
    "gt": "{a} > {b}", "ge": "{a} >= {b}",
    "div": "div({a}, {b})", "pow": "power({a}, {b})", "int_pow": "int_power({a}, {b})",
    "maximum": "maximum({a}, {b})", "minimum": "minimum({a}, {b})",
    "atan2": "atan2({a}, {b})", "logical_and": "logical_and({a}, {b})",
    "logical_or": "logical_or({a}, {b})", "floor_divide": "floor_divide({a}, {b})",
    "remainder": "remainder({a}, {b})", "int_floor_divide": "int_floor_divide({a}, {b})",
    "int_remainder": "int_remainder({a}, {b})",
    "where": "({b} if {a} else {c})",
}

# ---- each op's local derivative: the gradient for each argument given the adjoint {g} of
# the result {y}; None: no gradient flows to that argument. Ops missing here (comparisons,
# integer math) have none at all.
_SHARE_MAX = "(({a} > {b}) + ({a} == {b}) * 0.5)"  # 1 where a wins, 0.5 on a tie
_SHARE_MIN = "(({a} < {b}) + ({a} == {b}) * 0.5)"
BACKWARD = {
    "identity": ("{g}",), "cast": ("{g}",), "neg": ("-{g}",),
    "sign": ("0.0 * {g}",),  # a step function: 0 almost everywhere (PyTorch too)
    # from the result y (cheaper): exp, sqrt, rsqrt, tanh, expm1, sigmoid, reciprocal
    **{name: (name + "_back({y}, {g})",) for name in (
        "exp", "sqrt", "rsqrt", "tanh", "expm1", "sigmoid", "reciprocal")},
    # from the argument x
    **{name: (name + "_back({a}, {g})",) for name in (
        "log", "log1p", "sin", "cos", "erf", "asin", "acos", "atan", "relu", "abs")},
    "add": ("{g}", "{g}"), "sub": ("{g}", "-{g}"), "mul": ("{g} * {b}", "{g} * {a}"),
    "div": ("div({g}, {b})", "-(div({g}, {b}) * div({a}, {b}))"),
    "pow": ("{g} * power_back_base({a}, {b})", "{g} * power_back_exponent({a}, {y})"),
    "maximum": ("{g} * " + _SHARE_MAX, "{g} - {g} * " + _SHARE_MAX),
    "minimum": ("{g} * " + _SHARE_MIN, "{g} - {g} * " + _SHARE_MIN),
    "atan2": ("{g} * {b} / ({a} * {a} + {b} * {b})", "-({g} * {a} / ({a} * {a} + {b} * {b}))"),
    "where": (None, "({g} if {a} else 0.0 * {g})", "(0.0 * {g} if {a} else {g})"),
}

DTYPES = ("float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool")
FLOAT_DTYPES = ("float32", "float64")


def _caster(dtype: str) -> str:
    """The NumPy scalar constructor that rounds a value to dtype: float32(...), bool_(...)."""
    return "bool_" if dtype == "bool" else dtype


@dataclass(frozen=True)
class KernelNode:
    """One op of a group: `t_k = dtype(op(*args))`; args are ("x", i) inputs, ("t", k) ops."""

    op: str
    args: tuple
    dtype: str
    label: str  # the primitive it came from (Mul, Tanh, ...), written as a comment
    differentiable: bool = True  # False for ops with no gradient (dispatch helpers)
    full: bool = True  # its result has the loop's full shape (not a broadcast row)


@dataclass(frozen=True)
class KernelSpec:
    """A fused group: input dtypes, the ops in order, and which ops' results leave it."""

    input_dtypes: tuple
    nodes: tuple
    outputs: tuple  # indices into nodes

    def value_dtype(self, ref: tuple) -> str:
        return self.input_dtypes[ref[1]] if ref[0] == "x" else self.nodes[ref[1]].dtype


def _name(ref: tuple) -> str:
    return f"{ref[0]}{ref[1]}"


def _forward_line(spec: KernelSpec, k: int) -> str:
    node = spec.nodes[k]
    names = dict(zip("abc", (_name(ref) for ref in node.args)))
    return f"t{k} = {_caster(node.dtype)}({FORWARD[node.op].format(**names)})  # {node.label}"


def _index(level: int, ndim: int) -> str:
    """The subscript of a load at loop level `level`: i0..i{level-1}, then 0 (broadcast)."""
    if level == 0:
        return "0"  # a one-element array
    return ", ".join(f"i{d}" if d < level else "0" for d in range(ndim))


def _nest(head: list, leveled: list, ndim: int, parallel: bool, shape_of: str) -> str:
    """The function text: each (level, line) placed in its loop. Level 0 runs once, before
    the loops; level d+1 inside `for i{d}`. A value that does not change along the inner
    loops is so computed once per outer iteration (loop-invariant code motion): LayerNorm's
    rsqrt(var + eps) once per row, not once per element."""
    lines = head + ([f"    n{d} = {shape_of}.shape[{d}]" for d in range(ndim)]
                    if shape_of else [])  # else the sizes n0, n1, ... are arguments
    lines += ["    " + line for level, line in leveled if level == 0]
    for d in range(ndim):
        loop = "prange" if parallel and d == 0 else "range"
        lines.append("    " * (d + 1) + f"for i{d} in {loop}(n{d}):")
        lines += ["    " * (d + 2) + line for level, line in leveled if level == d + 1]
    return "\n".join(lines) + "\n"


def node_levels(spec: KernelSpec, input_levels: dict, fixed: dict | None = None) -> list:
    """Each op's loop level: the deepest level among its arguments (or `fixed[k]`)."""
    levels: list = []
    for k, node in enumerate(spec.nodes):
        if fixed and k in fixed:
            levels.append(fixed[k])
            continue
        levels.append(max([input_levels.get(ref[1], 0) if ref[0] == "x" else levels[ref[1]]
                           for ref in node.args] + [0]))
    return levels


def forward_source(spec: KernelSpec, ndim: int, input_levels: tuple, parallel: bool,
                   saved: tuple = ()) -> str:
    """The forward kernel `fused_forward(out0, ..., saved0, ..., in0, ...)`.

    input_levels[i]: the loop level where input i is read (0: a one-element array, read
    before the loops; ndim: an element per index). `saved`: ops whose results are also
    written out for backward (expensive ones, see plan_backward)."""
    outs = [f"out{j}" for j in range(len(spec.outputs))]
    keeps = [f"saved{j}" for j in range(len(saved))]
    ins = [f"in{i}" for i in range(len(spec.input_dtypes))]
    labels = ", ".join(node.label for node in spec.nodes)
    head = [f"def fused_forward({', '.join(outs + keeps + ins)}):",
            f'    """{len(spec.nodes)} elementwise ops in one loop nest: {labels}."""']
    levels = node_levels(spec, dict(enumerate(input_levels)))
    leveled = [(level, f"x{i} = in{i}[{_index(level, ndim)}]")
               for i, level in enumerate(input_levels)]
    leveled += [(levels[k], _forward_line(spec, k)) for k in range(len(spec.nodes))]
    index = _index(ndim, ndim)
    leveled += [(ndim, f"out{j}[{index}] = t{k}") for j, k in enumerate(spec.outputs)]
    leveled += [(ndim, f"saved{j}[{index}] = t{k}") for j, k in enumerate(saved)]
    return _nest(head, leveled, ndim, parallel, "out0")


# ops worth recomputing in the backward kernel rather than saving: a few cycles each. The
# rest (exp, tanh, erf, ...) cost a libm call per element; forward writes those out.
CHEAP = ("identity", "cast", "neg", "abs", "add", "sub", "mul", "div", "relu", "sign",
         "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge", "logical_not",
         "logical_and", "logical_or")


@dataclass(frozen=True)
class BackwardPlan:
    """What a backward kernel computes for one pattern of needed input gradients."""

    grads_for: tuple  # input numbers that get a gradient (needed and reached by one)
    reads: tuple  # input numbers the kernel reads (what forward must save)
    saved: tuple  # op numbers whose results forward writes out for backward
    forward_lines: tuple  # op numbers recomputed inside the kernel
    adjoint_lines: tuple  # the reverse-mode statements (text)


def plan_backward(spec: KernelSpec, needs: tuple) -> BackwardPlan:
    """Reverse mode over the group's scalar program for the inputs with needs[i] True.

    A value needs an adjoint when it is a float and depends, through differentiable ops, on
    an input that needs a gradient. Walking the ops from last to first, each op with an
    adjoint adds `BACKWARD[op][j]` to the adjoint of its j-th argument, rounded to that
    argument's dtype (the op-by-op backward rounds there too).

    The forward values those statements read are recomputed from the group's inputs, except
    an expensive op (not in CHEAP) at the loop's full shape: forward saves its result (one
    array) instead of the kernel calling tanh again. PyTorch's compiler makes the same
    trade (its partitioner recomputes cheap pointwise ops, saves the rest)."""
    wants: dict = {}
    for i, dtype in enumerate(spec.input_dtypes):
        wants[("x", i)] = bool(needs[i]) and dtype in FLOAT_DTYPES
    for k, node in enumerate(spec.nodes):
        wants[("t", k)] = (node.differentiable and node.dtype in FLOAT_DTYPES
                           and any(wants[ref] for ref in node.args))
    adjoint: dict = {}  # value -> name of its adjoint variable, once it has one
    lines = []
    for j, k in enumerate(spec.outputs):
        if wants[("t", k)]:
            adjoint[("t", k)] = f"dt{k}"
            lines.append(f"dt{k} = {_caster(spec.nodes[k].dtype)}(g{j})  # output {j}")
    for k in reversed(range(len(spec.nodes))):
        node = spec.nodes[k]
        if ("t", k) not in adjoint:
            continue
        names = dict(zip("abc", (_name(ref) for ref in node.args)))
        for ref, template in zip(node.args, BACKWARD[node.op]):
            if template is None or not wants[ref]:
                continue
            term = template.format(g=f"dt{k}", y=f"t{k}", **names)
            rounded = f"{_caster(spec.value_dtype(ref))}({term})"
            target = "d" + _name(ref)
            if ref in adjoint:
                lines.append(f"{target} += {rounded}  # {node.label}")
            else:
                adjoint[ref] = target
                lines.append(f"{target} = {rounded}  # {node.label}")
    grads_for = tuple(i for i in range(len(spec.input_dtypes)) if ("x", i) in adjoint)
    # the forward values the adjoint statements read: saved, or recomputed with what they read
    text = "\n".join(lines)
    used = {int(n) for n in re.findall(r"\bt(\d+)\b", text)}
    reads = {int(n) for n in re.findall(r"\bx(\d+)\b", text)}
    saved = set()
    for k in reversed(range(len(spec.nodes))):
        if k not in used:
            continue
        node = spec.nodes[k]
        if node.op not in CHEAP and node.full:
            saved.add(k)
            continue
        for ref in node.args:
            (used if ref[0] == "t" else reads).add(ref[1])
    recompute = tuple(sorted(used - saved))
    return BackwardPlan(grads_for, tuple(sorted(reads)), tuple(sorted(saved)), recompute,
                        tuple(lines))


def backward_source(spec: KernelSpec, plan: BackwardPlan, ndim: int, read_levels: tuple,
                    grad_levels: tuple, summed: tuple = (), summed_levels: tuple = ()) -> str:
    """The backward kernel `fused_backward(grad_in.., in.., saved.., grad_out.., n0, ..)`.

    read_levels / grad_levels place the loads of the inputs it reads and of the output
    gradients, as in forward_source. An input that was broadcast has its gradient summed
    over the broadcast dims (what `unbroadcast` does): its grad_in array is a zeroed view
    with stride 0 along them, and the kernel adds into it (`+=`) at every index (summed[j]
    True for the j-th of plan.grads_for; summed_levels[j] is that view's loop level). That
    is safe because a backward kernel runs serially."""
    grads = [f"grad_in{i}" for i in plan.grads_for]
    ins = [f"in{i}" for i in plan.reads]
    keeps = [f"saved{j}" for j in range(len(plan.saved))]
    outs = [f"grad_out{j}" for j in range(len(spec.outputs))]
    sizes = [f"n{d}" for d in range(ndim)]
    head = [f"def fused_backward({', '.join(grads + ins + keeps + outs + sizes)}):",
            f'    """The gradient of a {len(spec.nodes)}-op group by reverse mode."""']
    input_levels = dict(zip(plan.reads, read_levels))
    levels = node_levels(spec, input_levels, {k: ndim for k in plan.saved})
    index = _index(ndim, ndim)
    leveled = [(level, f"x{i} = in{i}[{_index(level, ndim)}]")
               for i, level in input_levels.items()]
    leveled += [(ndim, f"t{k} = saved{j}[{index}]  # saved by forward")
                for j, k in enumerate(plan.saved)]
    leveled += [(level, f"g{j} = grad_out{j}[{_index(level, ndim)}]")
                for j, level in enumerate(grad_levels)]
    leveled += [(levels[k], _forward_line(spec, k)) for k in plan.forward_lines]
    leveled += [(ndim, line) for line in plan.adjoint_lines]
    summed = summed or (False,) * len(plan.grads_for)
    summed_levels = summed_levels or (ndim,) * len(plan.grads_for)
    for i, add, level in zip(plan.grads_for, summed, summed_levels):
        store = "+=" if add else "="
        leveled.append((ndim, f"grad_in{i}[{_index(level, ndim)}] {store} dx{i}"))
    return _nest(head, leveled, ndim, False, None)


# ---- compiling generated source, once per text

_NAMESPACE = {_caster(name): getattr(np, _caster(name)) for name in DTYPES}
_NAMESPACE["prange"] = numba.prange
# the compiled scalar functions (exp, tanh_back, ...): plain functions under NUMBA_DISABLE_JIT
_NAMESPACE.update({name: value for name, value in vars(scalar).items()
                   if callable(value) and not name.startswith("_")})
_compiled: dict = {}  # (source text, parallel) -> the njit dispatcher


def compile_source(source: str, parallel: bool = False):
    """exec the generated text and njit the function it defines (cached by the text).

    Numba compiles lazily, at the first call with each new argument type signature."""
    key = (source, parallel)
    kernel = _compiled.get(key)
    if kernel is None:
        namespace = dict(_NAMESPACE)
        exec(source, namespace)  # noqa: S102  (our own generated text)
        function = next(value for name, value in namespace.items()
                        if name.startswith("fused_") and callable(value))
        kernel = numba.njit(parallel=parallel, error_model="numpy")(function)
        _compiled[key] = kernel
    return kernel


def compiled_kernel_count() -> int:
    """How many distinct kernels this process has generated (for tests and explain())."""
    return len(_compiled)
