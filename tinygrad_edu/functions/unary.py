"""The unary primitives: Neg Exp Log Log1p Sqrt Rsqrt Sin Cos Tanh Erf Sigmoid Relu Abs
Reciprocal Sign, Asin Acos Atan Expm1, and the steps Floor Ceil Trunc Round (gradient 0).

Most are a few lines over `_Unary`: the kernel op code of f, that of its derivative,
whether the backward reads the input or the output (exp's derivative is exp itself), and
`chain`, the same gradient written in Tensor ops for create_graph=True (`graph_backward`).
"""

import math
from typing import Any

import numpy as np

from kernels import ops
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function


def _float_dtype(x: Any) -> dtypes.dtype:
    """PyTorch computes exp, log, ... of integer tensors in the default float dtype."""
    return x.dtype if x.dtype.is_floating_point else dtypes.get_default_dtype()


class _Unary(Function):
    """out = f(x); grad_x = BACK(saved, grad), saved = x or out as `saves` says;
    `chain(grad, saved)` is grad_x in Tensor ops."""

    op = ops.IDENTITY
    back_op = ops.MUL
    saves = "input"
    float_result = True
    chain = staticmethod(lambda grad, saved: grad * saved)

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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        (saved,) = ctx.saved_tensors
        if ctx.saves == "output":  # out again with this node as its grad_fn
            saved = ctx.saved_output(saved)
        return ctx.chain(grad, saved)


class Exp(_Unary):
    op, back_op, saves = ops.EXP, ops.EXP_BACK, "output"
    chain = staticmethod(lambda grad, out: grad * out)


class Log(_Unary):
    op, back_op = ops.LOG, ops.LOG_BACK
    chain = staticmethod(lambda grad, x: grad / x)


class Log1p(_Unary):
    op, back_op = ops.LOG1P, ops.LOG1P_BACK
    label = "Log1PBackward0"  # PyTorch's spelling
    chain = staticmethod(lambda grad, x: grad / (x + 1))


class Sqrt(_Unary):
    op, back_op, saves = ops.SQRT, ops.SQRT_BACK, "output"
    chain = staticmethod(lambda grad, out: grad / (2 * out))


class Rsqrt(_Unary):
    """out = x^(-1/2); grad_x = -grad * out^3 / 2"""

    op, back_op, saves = ops.RSQRT, ops.RSQRT_BACK, "output"
    chain = staticmethod(lambda grad, out: grad * out * out * out * -0.5)


class Sin(_Unary):
    op, back_op = ops.SIN, ops.SIN_BACK
    chain = staticmethod(lambda grad, x: grad * x.cos())


class Cos(_Unary):
    op, back_op = ops.COS, ops.COS_BACK
    chain = staticmethod(lambda grad, x: grad * -x.sin())


class Tanh(_Unary):
    op, back_op, saves = ops.TANH, ops.TANH_BACK, "output"
    chain = staticmethod(lambda grad, out: grad * (1 - out * out))


class Erf(_Unary):
    """out = erf(x); grad_x = grad * 2/sqrt(pi) * exp(-x^2)"""

    op, back_op = ops.ERF, ops.ERF_BACK
    chain = staticmethod(lambda grad, x: grad * (2 / math.sqrt(math.pi)) * (-(x * x)).exp())


class Asin(_Unary):
    """out = asin(x); grad_x = grad / sqrt(1 - x^2)"""

    op, back_op = ops.ASIN, ops.ASIN_BACK
    chain = staticmethod(lambda grad, x: grad * (1 - x * x).rsqrt())


class Acos(_Unary):
    """out = acos(x); grad_x = -grad / sqrt(1 - x^2)"""

    op, back_op = ops.ACOS, ops.ACOS_BACK
    chain = staticmethod(lambda grad, x: -grad * (1 - x * x).rsqrt())


class Atan(_Unary):
    """out = atan(x); grad_x = grad / (1 + x^2)"""

    op, back_op = ops.ATAN, ops.ATAN_BACK
    chain = staticmethod(lambda grad, x: grad / (1 + x * x))


class Expm1(_Unary):
    """out = e^x - 1 (accurate near 0); grad_x = grad * (out + 1)"""

    op, back_op, saves = ops.EXPM1, ops.EXPM1_BACK, "output"
    chain = staticmethod(lambda grad, out: grad * (out + 1))


class Sigmoid(_Unary):
    op, back_op, saves = ops.SIGMOID, ops.SIGMOID_BACK, "output"
    chain = staticmethod(lambda grad, out: grad * out * (1 - out))


class Reciprocal(_Unary):
    op, back_op, saves = ops.RECIPROCAL, ops.RECIPROCAL_BACK, "output"
    chain = staticmethod(lambda grad, out: -grad * out * out)


class Relu(_Unary):
    op, back_op, float_result = ops.RELU, ops.RELU_BACK, False
    chain = staticmethod(lambda grad, x: grad * (x > 0).to(grad.dtype))


class Abs(_Unary):
    op, back_op, float_result = ops.ABS, ops.ABS_BACK, False
    chain = staticmethod(lambda grad, x: grad * x.sign())


class Neg(Function):
    """out = -x; grad_x = -grad"""

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return dispatch.unary(ops.NEG, x)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return dispatch.unary(ops.NEG, grad)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return -grad


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

    graph_backward = backward  # zeros: a constant, whose graph is empty


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

    graph_backward = backward  # zeros: a constant
