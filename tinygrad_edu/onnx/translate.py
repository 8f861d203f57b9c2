"""Which translation each recorded op gets: the one table of the exporter.

    primitive (tinygrad_edu.functions, nn.functions_nn)   ONNX
    Neg Exp Log Sqrt Sin Cos Tanh Erf Sigmoid Relu Abs    the op of that name
      Reciprocal Sign Asin Acos Atan
    Log1p / Expm1 / Rsqrt                                 Log(Add) / Sub(Exp) / Reciprocal(Sqrt)
    Floor Ceil Round / Trunc                              the op / Where(Less, Ceil, Floor)
    Relu of an integer tensor                             Max(x, 0) (onnxruntime has no int Relu)
    Add Sub Mul Div Pow / Maximum Minimum / Where         the op / Max Min / Where
    Sum Prod Amax Amin                                    ReduceSum ReduceProd ReduceMax ReduceMin
    View / Permute / Expand / Cat / Clone, ToDevice       Reshape / Transpose / Expand / Concat
                                                            / Identity
    Slice                                                 Slice (+ Squeeze, Unsqueeze), or Gather
    Mm / Linear                                           MatMul / Gemm (+ Relu)
    Gather / IndexPut / IndexAdd                          Gather / ScatterElements (+ add)
    Softmax LogSoftmax / CrossEntropy                     the op / SoftmaxCrossEntropyLoss
    Cast                                                  Cast
    Convolution / ConvolutionTranspose                    Conv / ConvTranspose
    MaxPool2DWithIndices                                  MaxPool

    dispatch helper (ops with no gradient)
    unary / binary (arithmetic, comparisons, logical,     as above; Equal Less ... And Or Not;
      floor_divide, remainder)                              Floor(Div), Mod
    where / contiguous / reduce / arg_reduce              Where / Identity, Cast / Reduce* /
                                                            ArgMax ArgMin
    matmul / linear / take                                MatMul / Gemm / Gather
    full_like                                             an initializer (a constant)

    not translated: Atan2 (UNSUPPORTED below says why); dispatch's cross_entropy_forward and
    the backward helpers, which a forward pass does not call at the top level.

Composites need no entry: they were recorded as the primitives they are made of (GELU is
Mul, Erf, Mul, Add, Mul; LayerNorm is Sum, Div, Sub, Mul, ..., Rsqrt; BatchNorm in eval is
Sub, Mul, Add with its folded scale). Average pooling (View, Convolution with a kernel of
ones, View, Div) is found by `patterns.py` and written as one AveragePool.
"""

from typing import Any

from tinygrad_edu import functions as F
from tinygrad_edu.nn import functions_nn
from tinygrad_edu.onnx import math_ops, nn_ops, shape_ops
from tinygrad_edu.onnx.graph import Graph, UnsupportedOperatorError, arguments

_UNARY = ("Neg", "Exp", "Log", "Log1p", "Sqrt", "Rsqrt", "Sin", "Cos", "Tanh", "Erf",
          "Sigmoid", "Relu", "Abs", "Reciprocal", "Sign", "Asin", "Acos", "Atan", "Expm1")

FUNCTIONS: dict = {
    **{getattr(F, name): math_ops.unary_function for name in _UNARY},
    **{getattr(F, name): math_ops.rounding for name in ("Floor", "Ceil", "Round", "Trunc")},
    **{getattr(F, name): math_ops.binary_function for name in math_ops.BINARY_FUNCTIONS},
    **{getattr(F, name): math_ops.reduce_function for name in math_ops.REDUCE_FUNCTIONS},
    F.Where: math_ops.where,
    F.Cast: math_ops.cast,
    F.View: shape_ops.view,
    F.Permute: shape_ops.permute,
    F.Expand: shape_ops.expand,
    F.Slice: shape_ops.slice_,
    F.Cat: shape_ops.cat,
    F.Clone: shape_ops.identity,
    F.ToDevice: shape_ops.identity,
    F.Gather: shape_ops.gather,
    F.IndexPut: shape_ops.index_put,
    F.IndexAdd: shape_ops.index_put,
    F.Mm: nn_ops.matmul,
    F.Linear: nn_ops.linear,
    F.Softmax: nn_ops.softmax,
    F.LogSoftmax: nn_ops.softmax,
    F.CrossEntropy: nn_ops.cross_entropy,
    functions_nn.Convolution: nn_ops.convolution,
    functions_nn.ConvolutionTranspose: nn_ops.convolution_transpose,
    functions_nn.MaxPool2DWithIndices: nn_ops.max_pool,
}

DISPATCH: dict = {
    "unary": math_ops.dispatch_unary,
    "binary": math_ops.dispatch_binary,
    "where": math_ops.where,
    "contiguous": math_ops.cast,
    "reduce": math_ops.dispatch_reduce,
    "arg_reduce": math_ops.dispatch_arg_reduce,
    "matmul": nn_ops.matmul,
    "linear": nn_ops.linear,
    "take": shape_ops.take,
}


# primitives with no translation, and why (tests/test_onnx.py checks that every primitive
# is in FUNCTIONS or here, so a new primitive cannot be forgotten)
UNSUPPORTED: dict = {
    "Atan2": "ONNX has no atan2 (write it with atan, where and the signs if it must export)",
}


def supported() -> list:
    """The names of the recorded ops that have a translation."""
    return sorted(f.__name__ for f in FUNCTIONS) + [f"dispatch.{name}" for name in DISPATCH]


def translate(g: Graph, node: Any) -> None:
    """Add the ONNX nodes for one recorded node (see the table above)."""
    table = FUNCTIONS if node.kind == "function" else DISPATCH
    translation = table.get(node.target)
    if translation is None:
        why = UNSUPPORTED.get(node.name())
        raise UnsupportedOperatorError(
            f"ONNX export: {node.name()} has no ONNX translation here"
            + (f" ({why})" if why else "") + ". Supported: " + ", ".join(supported()))
    translation(g, node, arguments(node))
