"""The primitive ops: each a Function with forward and backward side by side.

This list is closed; everything else (`mean`, `var`, `softmax` for a 1-d case, `linear`,
`cross_entropy` with class weights or probabilities, ...) is composed from these in
`composite.py` and the losses, and has no backward of its own. tests/test_kernels.py pins
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

A backward returns one gradient per tensor input, with that input's shape and dtype;
`unbroadcast` (the only place broadcasting is undone) sums a gradient back to a shape.
A forward saves only what the needed gradients read (`ctx.needs_input_grad` is set before
forward runs): `y * 2` keeps the 2, not y, so an in-place change of y afterwards is allowed.

Not a primitive but a graph node, as AccumulateGrad is: `CopySlices`, which tensor._assign
gives the base of a view that an in-place op writes through (PyTorch's node of that name).
"""

from typing import Any

import numpy as np

from kernels import ops
from kernels.strided import contiguous_strides, numel
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.autograd import Function
from tinygrad_edu.device import backend_for


def unbroadcast(grad: Any, shape: tuple) -> Any:
    """Sum `grad` over the dimensions that broadcasting expanded, giving `shape` back.

    (4, 3) -> (3,): sum over dim 0.   (4, 3) -> (4, 1): sum over dim 1, keep it as size 1.
    """
    if grad._shape == shape:
        return grad
    lead = len(grad._shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, size in enumerate(shape) if size == 1 and grad._shape[lead + k] != 1)
    summed = dispatch.reduce(ops.SUM, grad, axes, grad.dtype) if axes else grad
    return summed._view_of(shape, contiguous_strides(shape), 0) if summed.is_contiguous() \
        else dispatch.contiguous(summed)._view_of(shape, contiguous_strides(shape), 0)


def _as_dtype(grad: Any, dtype: dtypes.dtype) -> Any:
    return grad if grad.dtype is dtype else dispatch.contiguous(grad, dtype)


def _float_dtype(x: Any) -> dtypes.dtype:
    """PyTorch computes exp, log, ... of integer tensors in the default float dtype."""
    return x.dtype if x.dtype.is_floating_point else dtypes.get_default_dtype()


# ---------------------------------------------------------------------------- unary


class _Unary(Function):
    """out = f(x); grad_x = BACK(saved, grad), saved = x or out as `saves` says."""

    op = ops.IDENTITY
    back_op = ops.MUL
    saves = "input"
    float_result = True

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        dtype = _float_dtype(x) if ctx.float_result else x.dtype
        if dtype is not x.dtype:  # an integer input is made float first, as in PyTorch
            x = dispatch.contiguous(x, dtype)  # (sigmoid's -x of a uint8 would wrap around)
        out = dispatch.unary(ctx.op, x, dtype)
        ctx.save_for_backward(x if ctx.saves == "input" else out.detach())
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (saved,) = ctx.saved_tensors
        return dispatch.binary(ctx.back_op, saved, grad, grad.dtype)


class Exp(_Unary):
    op, back_op, saves = ops.EXP, ops.EXP_BACK, "output"


class Log(_Unary):
    op, back_op = ops.LOG, ops.LOG_BACK


class Log1p(_Unary):
    op, back_op = ops.LOG1P, ops.LOG1P_BACK
    label = "Log1PBackward0"  # PyTorch's spelling


class Sqrt(_Unary):
    op, back_op, saves = ops.SQRT, ops.SQRT_BACK, "output"


class Rsqrt(_Unary):
    op, back_op, saves = ops.RSQRT, ops.RSQRT_BACK, "output"


class Sin(_Unary):
    op, back_op = ops.SIN, ops.SIN_BACK


class Cos(_Unary):
    op, back_op = ops.COS, ops.COS_BACK


class Tanh(_Unary):
    op, back_op, saves = ops.TANH, ops.TANH_BACK, "output"


class Erf(_Unary):
    """out = erf(x); grad_x = grad * 2/sqrt(pi) * exp(-x^2)"""

    op, back_op = ops.ERF, ops.ERF_BACK


class Asin(_Unary):
    """out = asin(x); grad_x = grad / sqrt(1 - x^2)"""

    op, back_op = ops.ASIN, ops.ASIN_BACK


class Acos(_Unary):
    """out = acos(x); grad_x = -grad / sqrt(1 - x^2)"""

    op, back_op = ops.ACOS, ops.ACOS_BACK


class Atan(_Unary):
    """out = atan(x); grad_x = grad / (1 + x^2)"""

    op, back_op = ops.ATAN, ops.ATAN_BACK


class Expm1(_Unary):
    """out = e^x - 1 (accurate near 0); grad_x = grad * (out + 1)"""

    op, back_op, saves = ops.EXPM1, ops.EXPM1_BACK, "output"


class Sigmoid(_Unary):
    op, back_op, saves = ops.SIGMOID, ops.SIGMOID_BACK, "output"


class Reciprocal(_Unary):
    op, back_op, saves = ops.RECIPROCAL, ops.RECIPROCAL_BACK, "output"


class Relu(_Unary):
    op, back_op, float_result = ops.RELU, ops.RELU_BACK, False


class Abs(_Unary):
    op, back_op, float_result = ops.ABS, ops.ABS_BACK, False


class Neg(Function):
    """out = -x; grad_x = -grad"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return dispatch.unary(ops.NEG, x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return dispatch.unary(ops.NEG, grad)


def _floor(x: Any) -> Any:
    """floor of a float tensor: x // 1, exact (from the remainder), where x is finite; inf
    and nan as they are (inf // 1 is nan)."""
    dtype = x.dtype
    one = dispatch.full_like(x, (), 1, dtype)
    zero = dispatch.full_like(x, (), 0, dtype)
    floored = dispatch.binary(ops.FLOOR_DIVIDE, x, one, dtype)
    finite = dispatch.binary(ops.EQ, dispatch.binary(ops.SUB, x, x, dtype), zero, dtypes.bool_)
    return dispatch.where(finite, floored, x, dtype)


def _ceil(x: Any) -> Any:
    return dispatch.unary(ops.NEG, _floor(dispatch.unary(ops.NEG, x)))


def _trunc(x: Any) -> Any:
    zero = dispatch.full_like(x, (), 0, x.dtype)
    negative = dispatch.binary(ops.LT, x, zero, dtypes.bool_)
    return dispatch.where(negative, _ceil(x), _floor(x), x.dtype)


def _round_half_even(x: Any) -> Any:
    """The nearest integer, ties to the even one (PyTorch's and NumPy's round): r = floor(x +
    0.5), minus 1 where x was a tie and r came out odd. Beyond 2**(mantissa bits) every float
    is an integer already (and x + 0.5 could round), so those are kept; a zero keeps x's sign."""
    dtype = x.dtype

    def scalar(value: float) -> Any:
        return dispatch.full_like(x, (), value, dtype)

    up = _floor(dispatch.binary(ops.ADD, x, scalar(0.5), dtype))
    tie = dispatch.binary(ops.EQ, dispatch.binary(ops.SUB, up, x, dtype), scalar(0.5),
                          dtypes.bool_)
    odd = dispatch.binary(ops.NE, dispatch.binary(ops.REMAINDER, up, scalar(2), dtype),
                          scalar(0), dtypes.bool_)
    down = dispatch.binary(ops.LOGICAL_AND, tie, odd, dtypes.bool_)
    rounded = dispatch.where(down, dispatch.binary(ops.SUB, up, scalar(1), dtype), up, dtype)
    signed_zero = dispatch.binary(ops.MUL, x, scalar(0), dtype)  # -0.3 rounds to -0.
    is_zero = dispatch.binary(ops.EQ, rounded, scalar(0), dtypes.bool_)
    rounded = dispatch.where(is_zero, signed_zero, rounded, dtype)
    integral = dispatch.binary(ops.GE, dispatch.unary(ops.ABS, x),
                               scalar(2.0 ** (np.finfo(dtype.numpy).nmant)), dtypes.bool_)
    return dispatch.where(integral, x, rounded, dtype)


class _Step(Function):
    """out = floor, ceil, trunc or round of x (`rounding`); an integer tensor is returned as
    a copy. A step function: its gradient is 0 everywhere (PyTorch's too)."""

    rounding = staticmethod(_floor)

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.shape = x._shape
        if not x.dtype.is_floating_point:
            return dispatch.contiguous(x)
        return ctx.rounding(x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return dispatch.full_like(grad, ctx.shape, 0, grad.dtype)


class Floor(_Step):
    rounding = staticmethod(_floor)


class Ceil(_Step):
    rounding = staticmethod(_ceil)


class Trunc(_Step):
    rounding = staticmethod(_trunc)


class Round(_Step):
    rounding = staticmethod(_round_half_even)


class Sign(Function):
    """out = sign(x); its derivative is 0 almost everywhere."""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        ctx.shape = x._shape
        return dispatch.unary(ops.SIGN, x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return dispatch.full_like(grad, ctx.shape, 0, grad.dtype)


# ---------------------------------------------------------------------------- binary


class Add(Function):
    """out = a + b; grad_a = grad, grad_b = grad (each summed back to its shape)"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        ctx.a, ctx.b = (a._shape, a.dtype), (b._shape, b.dtype)
        return dispatch.binary(ops.ADD, a, b, dtype, "add")

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return (_as_dtype(unbroadcast(grad, ctx.a[0]), ctx.a[1]),
                _as_dtype(unbroadcast(grad, ctx.b[0]), ctx.b[1]))


class Sub(Function):
    """out = a - b; grad_a = grad, grad_b = -grad"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        ctx.a, ctx.b = (a._shape, a.dtype), (b._shape, b.dtype)
        return dispatch.binary(ops.SUB, a, b, dtype, "sub")

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        grad_b = dispatch.unary(ops.NEG, unbroadcast(grad, ctx.b[0])) \
            if ctx.needs_input_grad[1] else None
        return (_as_dtype(unbroadcast(grad, ctx.a[0]), ctx.a[1]),
                grad_b if grad_b is None else _as_dtype(grad_b, ctx.b[1]))


class Mul(Function):
    """out = a * b; grad_a = grad * b, grad_b = grad * a"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        # keep only what the needed gradients read: `y * 2` saves the 2, not y (PyTorch too),
        # so a later in-place change of y does not stop backward
        needs = ctx.needs_input_grad
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        ctx.a, ctx.b = (a._shape, a.dtype), (b._shape, b.dtype)
        return dispatch.binary(ops.MUL, a, b, dtype, "mul")

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = _as_dtype(unbroadcast(dispatch.binary(ops.MUL, grad, b), ctx.a[0]),
                               ctx.a[1])
        if ctx.needs_input_grad[1]:
            grad_b = _as_dtype(unbroadcast(dispatch.binary(ops.MUL, grad, a), ctx.b[0]),
                               ctx.b[1])
        return grad_a, grad_b


class Div(Function):
    """out = a / b; grad_a = grad / b, grad_b = -grad * a / b**2 = -grad * out / b"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        out = dispatch.binary(ops.DIV, a, b, dtype, "div")
        needs = ctx.needs_input_grad  # both gradients read b; only grad_b reads a
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] or needs[1] else None)
        ctx.a, ctx.b = (a._shape, a.dtype), (b._shape, b.dtype)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        grad_over_b = dispatch.binary(ops.DIV, grad, b)
        if ctx.needs_input_grad[0]:
            grad_a = _as_dtype(unbroadcast(grad_over_b, ctx.a[0]), ctx.a[1])
        if ctx.needs_input_grad[1]:
            quotient = dispatch.binary(ops.DIV, a, b, grad.dtype)
            product = dispatch.binary(ops.MUL, grad_over_b, quotient)
            grad_b = _as_dtype(unbroadcast(dispatch.unary(ops.NEG, product), ctx.b[0]),
                               ctx.b[1])
        return grad_a, grad_b


class Atan2(Function):
    """out = atan2(a, b), the angle of the point (b, a); with r2 = a^2 + b^2:
    grad_a = grad * b / r2, grad_b = -grad * a / r2"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        ctx.save_for_backward(a, b)
        ctx.a, ctx.b = (a._shape, a.dtype), (b._shape, b.dtype)
        return dispatch.binary(ops.ATAN2, a, b, dtype, "atan2")

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        r2 = dispatch.binary(ops.ADD, dispatch.binary(ops.MUL, a, a, grad.dtype),
                             dispatch.binary(ops.MUL, b, b, grad.dtype))
        grad_over_r2 = dispatch.binary(ops.DIV, grad, r2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = _as_dtype(unbroadcast(dispatch.binary(ops.MUL, grad_over_r2, b,
                                                           grad.dtype), ctx.a[0]), ctx.a[1])
        if ctx.needs_input_grad[1]:
            product = dispatch.binary(ops.MUL, grad_over_r2, a, grad.dtype)
            grad_b = _as_dtype(unbroadcast(dispatch.unary(ops.NEG, product), ctx.b[0]),
                               ctx.b[1])
        return grad_a, grad_b


class Pow(Function):
    """out = a ** b; grad_a = grad * b * a**(b-1), grad_b = grad * out * log(a)"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        op = ops.POW if dtype.is_floating_point else ops.INT_POW  # ints: exact, wrapping
        out = dispatch.binary(op, a, b, dtype, "pow")
        needs = ctx.needs_input_grad  # grad_a reads a and b; grad_b reads a and out
        ctx.save_for_backward(a if needs[0] or needs[1] else None, b if needs[0] else None,
                              out.detach() if needs[1] else None)
        ctx.a, ctx.b = (a._shape, a.dtype), (b._shape, b.dtype)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            local = dispatch.binary(ops.POW_BACK_BASE, a, b, grad.dtype)
            grad_a = _as_dtype(unbroadcast(dispatch.binary(ops.MUL, grad, local), ctx.a[0]),
                               ctx.a[1])
        if ctx.needs_input_grad[1]:
            local = dispatch.binary(ops.POW_BACK_EXPONENT, a, out, grad.dtype)
            grad_b = _as_dtype(unbroadcast(dispatch.binary(ops.MUL, grad, local), ctx.b[0]),
                               ctx.b[1])
        return grad_a, grad_b


class Maximum(Function):
    """out = max(a, b); the gradient goes to the larger input, split in half on ties"""

    op = ops.MAXIMUM
    wins = ops.GT

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        ctx.save_for_backward(a, b)
        return dispatch.binary(ctx.op, a, b, dtype, "maximum")

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        # share[i] = 1 where a wins, 0.5 on a tie, 0 where b wins
        wins = dispatch.binary(ctx.wins, a, b, grad.dtype)
        ties = dispatch.binary(ops.EQ, a, b, grad.dtype)
        half = dispatch.full_like(grad, (), 0.5, grad.dtype)
        share_a = dispatch.binary(ops.ADD, wins, dispatch.binary(ops.MUL, ties, half))
        grad_a = dispatch.binary(ops.MUL, grad, share_a)
        grad_b = dispatch.binary(ops.SUB, grad, grad_a)
        return (_as_dtype(unbroadcast(grad_a, a._shape), a.dtype),
                _as_dtype(unbroadcast(grad_b, b._shape), b.dtype))


class Minimum(Maximum):
    """out = min(a, b); the gradient goes to the smaller input, split in half on ties"""

    op = ops.MINIMUM
    wins = ops.LT


class Where(Function):
    """out = a if condition else b; grad_a = grad where condition, grad_b = grad elsewhere"""

    @staticmethod
    def forward(ctx: Function, condition: Any, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        ctx.save_for_backward(condition)
        ctx.a, ctx.b = (a._shape, a.dtype), (b._shape, b.dtype)
        return dispatch.where(condition, a, b, dtype)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (condition,) = ctx.saved_tensors
        zero = dispatch.full_like(grad, (), 0, grad.dtype)
        grad_a = dispatch.where(condition, grad, zero, grad.dtype)
        grad_b = dispatch.where(condition, zero, grad, grad.dtype)
        return (None, _as_dtype(unbroadcast(grad_a, ctx.a[0]), ctx.a[1]),
                _as_dtype(unbroadcast(grad_b, ctx.b[0]), ctx.b[1]))


# ---------------------------------------------------------------------------- reductions


def _keepdim_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if axis in axes else size for axis, size in enumerate(shape))


class Sum(Function):
    """out = sum of x over `axes`; grad_x = grad broadcast back over those axes"""

    @staticmethod
    def forward(ctx: Function, x: Any, axes: tuple, keepdim: bool, dtype: dtypes.dtype) -> Any:
        ctx.shape, ctx.axes, ctx.dtype = x._shape, axes, x.dtype
        if keepdim or len(axes) < len(x._shape):
            # PyTorch: SumBackward1 for sum(dim); a dim list naming every axis (or 0 of a
            # vector) reads here as sum() and keeps SumBackward0
            ctx.label = "SumBackward1"
        out = dispatch.reduce(ops.SUM, x, axes, dtype)
        if keepdim:
            shape = _keepdim_shape(x._shape, axes)
            out = out._view_of(shape, contiguous_strides(shape), 0)
            out._base = None
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        shape = _keepdim_shape(ctx.shape, ctx.axes)
        grad = dispatch.contiguous(grad)._view_of(shape, contiguous_strides(shape), 0)
        return _as_dtype(_expand_view(grad, ctx.shape), ctx.dtype)


class Prod(Function):
    """out = product of x over `axes`; grad_x[i] = grad * (product of the other elements).

    Without zeros that is out / x[i]. With one zero in a slice only the zero's gradient is
    non-zero (the product of the rest); with two or more, every gradient is 0.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, axes: tuple, keepdim: bool) -> Any:
        out = dispatch.reduce(ops.PROD, x, axes, x.dtype)
        shape = _keepdim_shape(x._shape, axes)
        kept = out._view_of(shape, contiguous_strides(shape), 0)
        ctx.save_for_backward(x)
        ctx.axes = axes
        if keepdim:
            kept._base = None
            return kept
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        shape = _keepdim_shape(x._shape, ctx.axes)
        zero, one = (dispatch.full_like(grad, (), v, x.dtype) for v in (0, 1))
        is_zero = dispatch.binary(ops.EQ, x, zero, x.dtype)
        zeros = _keep(dispatch.reduce(ops.SUM, is_zero, ctx.axes, x.dtype), shape)
        nonzero = dispatch.where(dispatch.binary(ops.EQ, x, zero, dtypes.bool_), one, x, x.dtype)
        rest = _keep(dispatch.reduce(ops.PROD, nonzero, ctx.axes, x.dtype), shape)
        # no zero in the slice: rest / x; one zero: rest at the zero, 0 elsewhere
        no_zero = dispatch.binary(ops.DIV, rest, nonzero)
        one_zero = dispatch.binary(ops.MUL, is_zero, rest)
        local = dispatch.where(dispatch.binary(ops.EQ, zeros, zero, dtypes.bool_), no_zero,
                               dispatch.where(dispatch.binary(ops.EQ, zeros, one, dtypes.bool_),
                                              one_zero, zero, x.dtype), x.dtype)
        return dispatch.binary(ops.MUL, local, _keep(dispatch.contiguous(grad), shape))


def _keep(x: Any, shape: tuple) -> Any:
    """A contiguous reduction result viewed with its reduced axes kept as size 1."""
    return x._view_of(shape, contiguous_strides(shape), 0)


class Amax(Function):
    """out = max of x over `axes`; the gradient is shared equally by the elements that tie"""

    op = ops.MAX

    @staticmethod
    def forward(ctx: Function, x: Any, axes: tuple, keepdim: bool) -> Any:
        out = dispatch.reduce(ctx.op, x, axes, x.dtype)
        shape = _keepdim_shape(x._shape, axes)
        kept = out._view_of(shape, contiguous_strides(shape), 0)
        ctx.save_for_backward(x, kept)
        ctx.axes = axes
        if keepdim:
            kept._base = None
            return kept
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        x, kept = ctx.saved_tensors
        shape = kept._shape
        is_extreme = dispatch.binary(ops.EQ, x, kept, grad.dtype)
        count = dispatch.reduce(ops.SUM, is_extreme, ctx.axes, grad.dtype)
        grad = dispatch.contiguous(grad)._view_of(shape, contiguous_strides(shape), 0)
        count = count._view_of(shape, contiguous_strides(shape), 0)
        share = dispatch.binary(ops.DIV, grad, count)
        return dispatch.binary(ops.MUL, is_extreme, share)


class Amin(Amax):
    """out = min of x over `axes`; the gradient is shared equally by the elements that tie"""

    op = ops.MIN


def _expand_view(x: Any, shape: tuple) -> Any:
    """x (with 1s where `shape` is larger) read as `shape` through 0 strides: no copy."""
    lead = len(shape) - len(x._shape)
    strides = (0,) * lead + tuple(
        0 if size == 1 and target != 1 else stride
        for size, stride, target in zip(x._shape, x._strides, shape[lead:]))
    return x._view_of(shape, strides, x._offset)


# ---------------------------------------------------------------------------- movement


class View(Function):
    """out = x with a new shape over the same memory (x must be viewable); grad reshaped back"""

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple, strides: tuple) -> Any:
        ctx.shape = x._shape
        return x._view_of(shape, strides, x._offset)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        if not grad.is_contiguous():
            grad = dispatch.contiguous(grad)
        return grad._view_of(ctx.shape, contiguous_strides(ctx.shape), grad._offset)


class Permute(Function):
    """out = x with its dimensions reordered (strides permuted); grad permuted back"""

    @staticmethod
    def forward(ctx: Function, x: Any, order: tuple) -> Any:
        ctx.order = order
        return x._view_of(tuple(x._shape[k] for k in order), tuple(x._strides[k] for k in order),
                          x._offset)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        inverse = [0] * len(ctx.order)
        for position, axis in enumerate(ctx.order):
            inverse[axis] = position
        return grad._view_of(tuple(grad._shape[k] for k in inverse),
                             tuple(grad._strides[k] for k in inverse), grad._offset)


class Expand(Function):
    """out = x broadcast to `shape` with 0 strides (no copy); grad summed back"""

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple) -> Any:
        ctx.shape = x._shape
        return _expand_view(x, shape)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return unbroadcast(grad, ctx.shape)


class Slice(Function):
    """out = a strided window of x: (shape, strides, offset) relative to x's own geometry.

    Basic indexing (`x[1]`, `x[:, 2:8:2]`), narrow, select, unbind and split all land here.
    The gradient is a zero tensor of x's shape with `grad` copied into the same window.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, window: Any) -> Any:
        ctx.shape, ctx.window, ctx.dtype = x._shape, window, x.dtype
        shape, strides, offset = window(x._shape, x._strides, x._offset)
        return x._view_of(shape, strides, offset)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        zeros = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        shape, strides, offset = ctx.window(zeros._shape, zeros._strides, 0)
        dispatch.copy_into(grad, zeros._view_of(shape, strides, offset))
        return zeros


class Cat(Function):
    """out = the inputs joined along `dim`; each input's grad is its slice of grad"""

    @staticmethod
    def forward(ctx: Function, *tensors: Any, dim: int, dtype: dtypes.dtype) -> Any:
        ctx.sizes = [t._shape[dim] for t in tensors]
        ctx.dtypes = [t.dtype for t in tensors]
        ctx.dim = dim
        shape = list(tensors[0]._shape)
        shape[dim] = sum(ctx.sizes)
        out = dispatch.new_tensor(tensors[0], tuple(shape), dtype)
        start = 0
        for tensor in tensors:
            window = _narrow_geometry(out, dim, start, tensor._shape[dim])
            dispatch.copy_into(tensor, out._view_of(*window))
            start += tensor._shape[dim]
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> tuple:
        grads, start = [], 0
        for size, dtype in zip(ctx.sizes, ctx.dtypes):
            grads.append(_as_dtype(grad._view_of(*_narrow_geometry(grad, ctx.dim, start, size)),
                                   dtype))
            start += size
        return tuple(grads)


class CopySlices(Function):
    """base[window] = result, recorded on the base: PyTorch's CopySlices. Not an op that users
    call (so not in PRIMITIVES) but the node an in-place op on a view gives its base.

    tensor._assign has already written result through the view; forward only returns the
    base, which so takes this node. grad_base = grad with the window zeroed (those values
    were overwritten), grad_result = grad[window], which result's own graph carries on
    through the in-place op's backward. The window may be all of the base: a tensor that is
    not a view, overwritten by values that need no gradient (copy_ of a constant).
    """

    label = "torch::autograd::CopySlices"

    @staticmethod
    def forward(ctx: Function, base: Any, result: Any, view: Any) -> Any:
        # the base's geometry and the view's, both counted from the base's first element
        ctx.base = (base._shape, base._strides)
        ctx.window = (view._shape, view._strides, view._offset - base._offset)
        return base

    @staticmethod
    def backward(ctx: Function, grad: Any) -> tuple:
        shape, strides = ctx.base
        # a buffer laid out like the base, so that the view's strides address it too
        extent = 1 + sum((size - 1) * stride for size, stride in zip(shape, strides)) \
            if numel(shape) else 0
        buffer = dispatch.full_like(grad, (extent,), 0, grad.dtype)
        grad_base = buffer._view_of(shape, strides, 0)
        dispatch.copy_into(grad, grad_base)
        window = buffer._view_of(*ctx.window)
        grad_result = dispatch.contiguous(window) if ctx.needs_input_grad[1] else None
        dispatch.copy_into(dispatch.full_like(grad, (), 0, grad.dtype), window)
        return grad_base, grad_result


def _narrow_geometry(x: Any, dim: int, start: int, length: int) -> tuple:
    shape = list(x._shape)
    shape[dim] = length
    return tuple(shape), x._strides, x._offset + start * x._strides[dim]


class Clone(Function):
    """out = a contiguous copy of x; grad passes through"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return dispatch.contiguous(x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return grad


# ---------------------------------------------------------------------------- matmul


class Mm(Function):
    """out = a @ b for (..., n, k) @ (..., k, m) with equal batch dims;
    grad_a = grad @ b^T, grad_b = a^T @ grad"""

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any, dtype: dtypes.dtype) -> Any:
        needs = ctx.needs_input_grad  # grad_a reads b, grad_b reads a
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        ctx.dtypes = (a.dtype, b.dtype)
        return dispatch.matmul(a, b, dtype)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = _as_dtype(dispatch.matmul(grad, _transpose(b), grad.dtype), ctx.dtypes[0])
        if ctx.needs_input_grad[1]:
            grad_b = _as_dtype(dispatch.matmul(_transpose(a), grad, grad.dtype), ctx.dtypes[1])
        return grad_a, grad_b


class Linear(Function):
    """out = x @ weight^T + bias for x (n, in), weight (out, in), bias (out,) or None;
    grad_x = grad @ weight, grad_weight = grad^T @ x, grad_bias = grad summed over rows.

    The composite `x.matmul(w.t()) + b` records three nodes (Mm, Permute, Add) and runs
    four kernels forward; this is one node and one backend call each way (`linear`: BLAS
    and the bias add in one kernel; `linear_grad_weight`: grad_weight and grad_bias in one).
    On the digits MLP it makes a training step ~1.4x faster (benchmarks/train.py).

    With relu=True the node is relu(x @ weight^T + bias), the ReLU done in the same kernel
    (nn.Sequential's fusion of a Linear and the ReLU after it): backward first zeroes grad
    where the output is not positive (relu's own backward), then goes on as above.
    """

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any = None, relu: bool = False) -> Any:
        needs = ctx.needs_input_grad  # grad_x reads weight, grad_weight reads x
        ctx.has_bias = bias is not None
        ctx.label = "AddmmBackward0" if ctx.has_bias else "MmBackward0"  # PyTorch's nodes
        out = dispatch.linear(x, weight, bias, relu)
        if relu:
            ctx.label = "ReluBackward0"  # PyTorch's node for the output of the ReLU
            ctx.save_for_backward(x if needs[1] else None, weight if needs[0] else None,
                                  out.detach())
        else:
            ctx.save_for_backward(x if needs[1] else None, weight if needs[0] else None)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        x, weight, *relu_output = ctx.saved_tensors
        if relu_output:
            grad = dispatch.binary(ops.RELU_BACK, relu_output[0], grad, grad.dtype)
        needs = ctx.needs_input_grad
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            grad_x = dispatch.matmul(grad, weight, grad.dtype)
        with_bias = ctx.has_bias and needs[2]
        if needs[1]:
            grad_weight, grad_bias = dispatch.linear_grad_weight(grad, x, with_bias)
        elif with_bias:
            grad_bias = dispatch.reduce(ops.SUM, grad, (0,), grad.dtype)
        return grad_x, grad_weight, grad_bias


def _transpose(x: Any) -> Any:
    """Swap the last two dims (a view)."""
    order = list(range(len(x._shape)))
    order[-1], order[-2] = order[-2], order[-1]
    return x._view_of(tuple(x._shape[k] for k in order), tuple(x._strides[k] for k in order),
                      x._offset)


# ---------------------------------------------------------------------------- indexing


class Gather(Function):
    """out[i] = x.flatten()[indices[i]] (indices: int64 row-major element numbers of x);
    grad_x = zeros with grad added at those indices (repeats add up)"""

    @staticmethod
    def forward(ctx: Function, x: Any, indices: Any) -> Any:
        ctx.shape = x._shape
        ctx.save_for_backward(indices)
        source = x if x.is_contiguous() else dispatch.contiguous(x)
        if source._offset:
            indices = dispatch.binary(ops.ADD, indices,
                                      dispatch.full_like(indices, (), source._offset,
                                                         dtypes.int64))
        return dispatch.take(source, indices)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        zeros = dispatch.full_like(grad, ctx.shape, 0, grad.dtype)
        dispatch.index_add(zeros, indices, grad)
        return zeros


class IndexPut(Function):
    """out = copy of x with out.flatten()[indices[i]] = values[i] (values broadcast);
    grad_x = grad with those elements zeroed, grad_values = grad at those elements"""

    @staticmethod
    def forward(ctx: Function, x: Any, indices: Any, values: Any) -> Any:
        ctx.save_for_backward(indices)
        ctx.values = (values._shape, values.dtype)
        out = dispatch.contiguous(x)
        dispatch.index_put(out, indices, values)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        grad_x = dispatch.contiguous(grad)
        dispatch.index_put(grad_x, indices, dispatch.full_like(grad, (), 0, grad.dtype))
        grad_values = dispatch.take(dispatch.contiguous(grad), indices)
        return grad_x, None, _as_dtype(unbroadcast(grad_values, ctx.values[0]), ctx.values[1])


class IndexAdd(Function):
    """out = copy of x with out.flatten()[indices[i]] += values[i] (repeats add up; values of
    indices' shape); grad_x = grad, grad_values = grad at those elements"""

    @staticmethod
    def forward(ctx: Function, x: Any, indices: Any, values: Any) -> Any:
        ctx.save_for_backward(indices)
        ctx.values_dtype = values.dtype
        out = dispatch.contiguous(x)
        dispatch.index_add(out, indices, values)
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (indices,) = ctx.saved_tensors
        grad_values = dispatch.take(dispatch.contiguous(grad), indices)
        return grad, None, _as_dtype(grad_values, ctx.values_dtype)


# ---------------------------------------------------------------------------- fused


class LogSoftmax(Function):
    """out = x - max - log(sum(exp(x - max))) along `dim` (stable for large x);
    grad_x = grad - exp(out) * sum(grad)"""

    @staticmethod
    def forward(ctx: Function, x: Any, dim: int) -> Any:
        shifted, kept = _shift_by_max(x, dim)
        total = dispatch.reduce(ops.SUM, dispatch.unary(ops.EXP, shifted), (dim,), x.dtype)
        log_total = dispatch.unary(ops.LOG, total)._view_of(kept, contiguous_strides(kept), 0)
        out = dispatch.binary(ops.SUB, shifted, log_total)
        ctx.save_for_backward(out.detach())
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        kept = _keepdim_shape(out._shape, (ctx.dim,))
        total = dispatch.reduce(ops.SUM, grad, (ctx.dim,), grad.dtype)
        total = total._view_of(kept, contiguous_strides(kept), 0)
        probabilities = dispatch.unary(ops.EXP, out)
        return dispatch.binary(ops.SUB, grad, dispatch.binary(ops.MUL, probabilities, total))


class Softmax(Function):
    """out = exp(x - max) / sum(exp(x - max)) along `dim`; grad_x = out * (grad - sum(grad*out))"""

    @staticmethod
    def forward(ctx: Function, x: Any, dim: int) -> Any:
        shifted, kept = _shift_by_max(x, dim)
        exps = dispatch.unary(ops.EXP, shifted)
        total = dispatch.reduce(ops.SUM, exps, (dim,), x.dtype)
        out = dispatch.binary(ops.DIV, exps, total._view_of(kept, contiguous_strides(kept), 0))
        ctx.save_for_backward(out.detach())
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        kept = _keepdim_shape(out._shape, (ctx.dim,))
        weighted = dispatch.binary(ops.MUL, grad, out)
        total = dispatch.reduce(ops.SUM, weighted, (ctx.dim,), grad.dtype)
        total = total._view_of(kept, contiguous_strides(kept), 0)
        return dispatch.binary(ops.MUL, out, dispatch.binary(ops.SUB, grad, total))


class CrossEntropy(Function):
    """Cross entropy of logits x (N, C) and class indices target (N,), e = smoothing:
    lse[n] = logsumexp(x[n]); loss[n] = (1 - e)(lse[n] - x[n, t]) + e (lse[n] - mean_c x[n, c])
    with t = target[n], 0 where t == ignore_index; then 'none', 'sum' or 'mean' (over the rows
    not ignored). grad_x[n, c] = (softmax(x[n])[c] - e / C - (1 - e) [c == t]) * grad[n]
    (/ that count for 'mean'), from the softmax forward computed and saved (N, C float64,
    as PyTorch's log_softmax saves its output): backward does no exp.

    The composite (LogSoftmax, Gather, Neg, Sum, Div) records five nodes and makes ~20 kernel
    and allocation calls; this makes one each way. Measured on (128, 10) float32 logits:
    forward plus backward ~280 us -> ~35 us; a digits-MLP b128 SGD step ~730 us -> ~500 us.
    nn.functional.cross_entropy takes it for 2-d float32/64 logits with int64 targets and
    no class weights, the composite otherwise.
    """

    label = "NllLossBackward0"  # PyTorch's node for cross_entropy with class indices

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any, reduction: str, ignore_index: int,
                smoothing: float) -> Any:
        loss, probabilities = dispatch.cross_entropy_forward(x, target, reduction, ignore_index,
                                                             smoothing)
        ctx.save_for_backward(target, probabilities)
        ctx.options = (reduction, ignore_index, smoothing, x.dtype)
        if smoothing > 0:
            ctx.label = "AddBackward0"  # PyTorch: (1 - e) * nll + e * smooth, an Add last
        return loss

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        target, probabilities = ctx.saved_tensors
        return dispatch.cross_entropy_backward(probabilities, target, grad, *ctx.options), None


def _shift_by_max(x: Any, dim: int) -> tuple:
    """x - max(x along dim) (so exp never overflows), and the keepdim shape."""
    kept = _keepdim_shape(x._shape, (dim,))
    if numel(x._shape) == 0:
        return x, kept
    maximum = dispatch.reduce(ops.MAX, x, (dim,), x.dtype)
    maximum = maximum._view_of(kept, contiguous_strides(kept), 0)
    return dispatch.binary(ops.SUB, x, maximum), kept


# ---------------------------------------------------------------------------- transfers


class Cast(Function):
    """out = x converted to `dtype`; grad converted back"""

    @staticmethod
    def forward(ctx: Function, x: Any, dtype: dtypes.dtype) -> Any:
        ctx.dtype = x.dtype
        return dispatch.contiguous(x, dtype)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return _as_dtype(grad, ctx.dtype)

    def name(self) -> str:
        return "ToCopyBackward0"


class ToDevice(Function):
    """out = x copied to `device` (through host memory); grad copied back"""

    @staticmethod
    def forward(ctx: Function, x: Any, device: Any) -> Any:
        ctx.device = x._storage.device
        return _transfer(x, device)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return _transfer(grad, ctx.device)

    def name(self) -> str:
        return "ToCopyBackward0"


def _transfer(x: Any, device: Any) -> Any:
    source = x._storage.backend
    target = backend_for(device)
    host = source.to_numpy(x._strided())
    buffer = target.from_numpy(host.copy() if source is target else host)
    return tensor_module.Tensor._from_buffer(buffer, x._shape, x.dtype, device, target)


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
