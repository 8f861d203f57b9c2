"""ONNX translations of the elementwise and reduction ops (primitives and dispatch helpers).

Each translation reads one recorded node (`args`: its arguments by name, as the primitive's
forward or the dispatch helper declares them) and adds ONNX nodes to the graph `g`, then
binds the recorded output to the last ONNX value. Types: ONNX ops want operands of one
type, where tinygrad_edu's kernels convert as they read; so the operands are cast to the
result dtype the node recorded (a constant is converted in the file, no Cast node).
"""

from typing import Any

import numpy as np

from kernels import ops
from tinygrad_edu import dtypes
from tinygrad_edu.onnx.graph import Graph, UnsupportedOperatorError

# op code -> ONNX op, for the unary ops ONNX has as they are
UNARY = {
    ops.NEG: "Neg", ops.ABS: "Abs", ops.EXP: "Exp", ops.LOG: "Log", ops.SQRT: "Sqrt",
    ops.SIN: "Sin", ops.COS: "Cos", ops.TANH: "Tanh", ops.SIGMOID: "Sigmoid",
    ops.RELU: "Relu", ops.SIGN: "Sign", ops.RECIPROCAL: "Reciprocal", ops.ERF: "Erf",
    ops.ASIN: "Asin", ops.ACOS: "Acos", ops.ATAN: "Atan",
}
# op code -> ONNX op, for the binary ops whose operands take the result's type
ARITHMETIC = {
    ops.ADD: "Add", ops.SUB: "Sub", ops.MUL: "Mul", ops.DIV: "Div", ops.POW: "Pow",
    ops.INT_POW: "Pow", ops.MAXIMUM: "Max", ops.MINIMUM: "Min",
}
# comparisons: (ONNX op, negate the result?); operands take their common type
COMPARISONS = {
    ops.EQ: ("Equal", False), ops.NE: ("Equal", True), ops.LT: ("Less", False),
    ops.LE: ("LessOrEqual", False), ops.GT: ("Greater", False),
    ops.GE: ("GreaterOrEqual", False),
}
REDUCTIONS = {ops.SUM: "ReduceSum", ops.PROD: "ReduceProd", ops.MAX: "ReduceMax",
              ops.MIN: "ReduceMin"}


def op_name(codes: dict, op: int) -> str:
    """The kernels.ops name of an op code, for error messages."""
    return next((name for name, code in codes.items() if code == op), str(op))


# ---------------------------------------------------------------------------- unary


def unary(g: Graph, op: int, x: Any, out: Any) -> None:
    """out = f(x) for the op code `op`. A float result is computed in its own type (an
    integer x is cast first, as the kernels read it); otherwise in x's type, then cast."""
    result = out.dtype.numpy
    source = x.dtype if not out.dtype.is_floating_point else out.dtype
    v = g.value(x, source)
    have = np.dtype(source.numpy)  # the type of `name` below
    if op == ops.IDENTITY:
        name = v
    elif op == ops.RELU and not source.is_floating_point:  # ONNX has integer Relu from
        name = g.add("Max", [v, g.scalar(0, source.numpy)])  # opset 14; onnxruntime not
    elif op in UNARY:
        name = g.add(UNARY[op], [v])
    elif op == ops.LOG1P:  # log(1 + x): ONNX has no Log1p (less accurate near 0)
        name = g.add("Log", [g.add("Add", [v, g.scalar(1, source.numpy)])])
    elif op == ops.EXPM1:  # e^x - 1
        name = g.add("Sub", [g.add("Exp", [v]), g.scalar(1, source.numpy)])
    elif op == ops.RSQRT:  # 1 / sqrt(x)
        name = g.add("Reciprocal", [g.add("Sqrt", [v])])
    elif op == ops.LOGICAL_NOT:
        name, have = g.add("Not", [g.cast(v, np.bool_)]), np.dtype(np.bool_)
    else:
        raise UnsupportedOperatorError(
            f"ONNX export: unary op {op_name(ops.UNARY_OPS, op)} has no translation")
    g.bind(out, name if have == result else g.cast(name, result))


def unary_function(g: Graph, node: Any, args: dict) -> None:
    """The unary primitives (Exp, Tanh, Relu, ..., and Neg): their `op` code says which."""
    op = getattr(node.target, "op", ops.NEG)
    unary(g, op, args["x"], node.output)


def rounding(g: Graph, node: Any, args: dict) -> None:
    """Floor, Ceil, Round (ONNX rounds half to even, as we do), Trunc; an integer tensor
    is returned as it is."""
    x, out = args["x"], node.output
    v = g.name(x)
    if not x.dtype.is_floating_point:
        g.bind(out, g.add("Identity", [v]))
        return
    kind = node.target.__name__
    if kind == "Trunc":  # towards zero: ceil below 0, floor above
        negative = g.add("Less", [v, g.scalar(0, x.dtype.numpy)])
        g.bind(out, g.add("Where", [negative, g.add("Ceil", [v]), g.add("Floor", [v])]))
    else:
        g.bind(out, g.add(kind, [v]))


# ---------------------------------------------------------------------------- binary


def binary(g: Graph, op: int, a: Any, b: Any, out: Any) -> None:
    """out = f(a, b), broadcasting (ONNX broadcasts as NumPy and PyTorch do)."""
    dtype = out.dtype
    if op in ARITHMETIC:
        g.bind(out, g.add(ARITHMETIC[op], [g.value(a, dtype), g.value(b, dtype)]))
        return
    if op in COMPARISONS:
        onnx_op, negate = COMPARISONS[op]
        common = dtypes.promote_types(a.dtype, b.dtype)
        name = g.add(onnx_op, [g.value(a, common), g.value(b, common)])
        name = g.add("Not", [name]) if negate else name
    elif op in (ops.LOGICAL_AND, ops.LOGICAL_OR):
        name = g.add("And" if op == ops.LOGICAL_AND else "Or",
                     [g.value(a, dtypes.bool_), g.value(b, dtypes.bool_)])
    elif op in (ops.FLOOR_DIVIDE, ops.REMAINDER):  # floats: floor(a / b), a - b floor(a / b)
        va, vb = g.value(a, dtype), g.value(b, dtype)
        name = g.add("Floor", [g.add("Div", [va, vb])])
        if op == ops.REMAINDER:
            name = g.add("Sub", [va, g.add("Mul", [vb, name])])
        g.bind(out, name)
        return
    elif op in (ops.INT_FLOOR_DIVIDE, ops.INT_REMAINDER):
        # integers: Mod with fmod=0 has the divisor's sign (Python's %, PyTorch's
        # remainder); then a - a % b is an exact multiple of b, so Div's truncation is floor
        va, vb = g.value(a, dtype), g.value(b, dtype)
        name = g.add("Mod", [va, vb], fmod=0)
        if op == ops.INT_FLOOR_DIVIDE:
            name = g.add("Div", [g.add("Sub", [va, name]), vb])
        g.bind(out, name)
        return
    else:
        raise UnsupportedOperatorError(
            f"ONNX export: binary op {op_name(ops.BINARY_OPS, op)} has no translation "
            "(atan2 and the backward helpers are not exported)")
    g.bind(out, name if dtype is dtypes.bool_ else g.cast(name, dtype.numpy))


BINARY_FUNCTIONS = {"Add": ops.ADD, "Sub": ops.SUB, "Mul": ops.MUL, "Div": ops.DIV,
                    "Pow": ops.POW, "Maximum": ops.MAXIMUM, "Minimum": ops.MINIMUM}


def binary_function(g: Graph, node: Any, args: dict) -> None:
    binary(g, BINARY_FUNCTIONS[node.target.__name__], args["a"], args["b"], node.output)


def where(g: Graph, node: Any, args: dict) -> None:
    """out = a where condition else b: ONNX Where, with condition as bool."""
    dtype = args["dtype"]
    g.bind(node.output, g.add("Where", [g.value(args["condition"], dtypes.bool_),
                                        g.value(args["a"], dtype), g.value(args["b"], dtype)]))


# ---------------------------------------------------------------------------- reductions


def reduce(g: Graph, op: int, x: Any, axes: tuple, keepdim: bool, out: Any) -> None:
    """ReduceSum / ReduceProd / ReduceMax / ReduceMin over `axes`. Their axes are an input
    from opset 13 (ReduceSum) and 18 (the others), an attribute before."""
    v = g.value(x, out.dtype)
    if not axes:  # nothing to fold (a 0-d tensor): ONNX would read no axes as "all"
        g.bind(out, g.add("Identity", [v]))
        return
    onnx_op = REDUCTIONS[op]
    axes = [int(a) for a in axes]
    if onnx_op == "ReduceSum" or g.opset >= 18:
        name = g.add(onnx_op, [v, g.ints(axes, "axes")], keepdims=int(keepdim))
    else:
        name = g.add(onnx_op, [v], axes=axes, keepdims=int(keepdim))
    g.bind(out, name)


REDUCE_FUNCTIONS = {"Sum": ops.SUM, "Prod": ops.PROD, "Amax": ops.MAX, "Amin": ops.MIN}


def reduce_function(g: Graph, node: Any, args: dict) -> None:
    reduce(g, REDUCE_FUNCTIONS[node.target.__name__], args["x"], tuple(args["axes"]),
           bool(args["keepdim"]), node.output)


def cast(g: Graph, node: Any, args: dict) -> None:
    """Cast (and contiguous / clone / to(device): a copy is the identity on values)."""
    x, out = args["x"], node.output
    g.bind(out, g.add("Identity", [g.name(x)]) if x.dtype is out.dtype else
           g.cast(g.name(x), out.dtype.numpy))


# ---------------------------------------------------------------------------- dispatch


def dispatch_unary(g: Graph, node: Any, args: dict) -> None:
    unary(g, args["op"], args["x"], node.output)


def dispatch_binary(g: Graph, node: Any, args: dict) -> None:
    binary(g, args["op"], args["a"], args["b"], node.output)


def dispatch_reduce(g: Graph, node: Any, args: dict) -> None:
    reduce(g, args["op"], args["x"], tuple(args["axes"]), False, node.output)


def dispatch_arg_reduce(g: Graph, node: Any, args: dict) -> None:
    """argmax / argmin along one axis: the first index of the extreme (as ONNX's default
    select_last_index=0), int64, the axis dropped."""
    onnx_op = "ArgMax" if args["op"] == ops.ARGMAX else "ArgMin"
    g.bind(node.output, g.add(onnx_op, [g.name(args["x"])], axis=int(args["axis"]),
                              keepdims=0))
