"""The primitive ops: each a Function with forward and backward side by side.

This list is closed; everything else (`mean`, `var`, `softmax` for a 1-d case, `linear`,
`cross_entropy` with class weights or probabilities, ...) is composed from these in
`composite/` and the losses, and has no backward of its own. tests/test_kernels.py pins
the list, so it cannot grow by accident.

    unary      Neg Exp Log Log1p Sqrt Rsqrt Sin Cos Tanh Erf Sigmoid Relu Abs Reciprocal Sign
    binary     Add Sub Mul Div Pow Maximum Minimum Where
    reduce     Sum Prod Amax Amin
    movement   View Permute Expand Slice Cat Clone
    matmul     Mm Linear   (Linear = x @ w^T + b fused: one node instead of three)
    indexing   Gather IndexPut
    fused      Softmax LogSoftmax CrossEntropy   (measurably faster and more stable than the
               composites; CrossEntropy: logits (N, C) and class indices, the training loss)
    transfer   Cast ToDevice

Each group is a module of this package, named as in the first column (unary.py, binary.py,
reduce.py, movement.py, matmul.py, indexing.py, fused.py, transfer.py); broadcasting.py
holds what their backward passes share. Every primitive is re-exported here, as `F.Mul`.

A backward returns one gradient per tensor input, with that input's shape and dtype;
`unbroadcast` (the only place broadcasting is undone) sums a gradient back to a shape.
A forward saves only what the needed gradients read (`ctx.needs_input_grad` is set before
forward runs): `y * 2` keeps the 2, not y, so an in-place change of y afterwards is allowed.

Not a primitive but a graph node, as AccumulateGrad is: `CopySlices`, which tensor._assign
gives the base of a view that an in-place op writes through (PyTorch's node of that name).
"""

from tinygrad_edu.autograd import Function
from tinygrad_edu.functions.binary import (
    Add,
    Atan2,
    Div,
    Maximum,
    Minimum,
    Mul,
    Pow,
    Sub,
    Where,
)
from tinygrad_edu.functions.broadcasting import (
    unbroadcast,
)
from tinygrad_edu.functions.fused import (
    CrossEntropy,
    LogSoftmax,
    Softmax,
)
from tinygrad_edu.functions.indexing import (
    Gather,
    IndexAdd,
    IndexPut,
)
from tinygrad_edu.functions.matmul import (
    Linear,
    Mm,
)
from tinygrad_edu.functions.movement import (
    Cat,
    Clone,
    CopySlices,
    Expand,
    Permute,
    Slice,
    View,
)
from tinygrad_edu.functions.reduce import (
    Amax,
    Amin,
    Prod,
    Sum,
    _keepdim_shape,
)
from tinygrad_edu.functions.transfer import (
    Cast,
    ToDevice,
)
from tinygrad_edu.functions.unary import (
    Abs,
    Acos,
    Asin,
    Atan,
    Ceil,
    Cos,
    Erf,
    Exp,
    Expm1,
    Floor,
    Log,
    Log1p,
    Neg,
    Reciprocal,
    Relu,
    Round,
    Rsqrt,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Tanh,
    Trunc,
)

PRIMITIVES = (
    "Neg", "Exp", "Log", "Log1p", "Sqrt", "Rsqrt", "Sin", "Cos", "Tanh", "Erf", "Sigmoid",
    "Relu", "Abs", "Reciprocal", "Sign", "Floor", "Ceil", "Trunc", "Round",
    "Asin", "Acos", "Atan", "Expm1",
    "Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Where", "Atan2",
    "Sum", "Prod", "Amax", "Amin",
    "View", "Permute", "Expand", "Slice", "Cat", "Clone",
    "Mm", "Linear",
    "Gather", "IndexPut", "IndexAdd",
    "Softmax", "LogSoftmax", "CrossEntropy",
    "Cast", "ToDevice",
)
