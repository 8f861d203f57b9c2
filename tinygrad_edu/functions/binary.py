"""The binary primitives: Add Sub Mul Div Pow Maximum Minimum Where Atan2.

Operands broadcast; each gradient is summed back to its operand's shape (`unbroadcast`) and
cast to its dtype. A forward saves only what the needed gradients read. `graph_backward` is
each backward again in Tensor ops (`back_to` sums and casts), for create_graph=True.
"""

from typing import Any

from kernels import ops
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function
from tinygrad_edu.functions.broadcasting import _as_dtype, back_to, unbroadcast


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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return back_to(grad, ctx.a), back_to(grad, ctx.b)


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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return back_to(grad, ctx.a), back_to(-grad, ctx.b) if ctx.needs_input_grad[1] else None


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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (back_to(grad * b, ctx.a) if needs[0] else None,
                back_to(grad * a, ctx.b) if needs[1] else None)


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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_over_b = grad / b
        return (back_to(grad_over_b, ctx.a) if needs[0] else None,
                back_to(-grad_over_b * (a / b), ctx.b) if needs[1] else None)


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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        grad_over_r2 = grad / (a * a + b * b)
        needs = ctx.needs_input_grad
        return (back_to(grad_over_r2 * b, ctx.a) if needs[0] else None,
                back_to(-grad_over_r2 * a, ctx.b) if needs[1] else None)


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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:  # b * a**(b-1), 0 where b == 0 (as power_back_base)
            local = (b * a ** (b - 1)).where(b != 0, 0.0)
            grad_a = back_to(grad * local, ctx.a)
        if ctx.needs_input_grad[1]:  # out * log(a), 0 where a == 0 and out == 0
            out = ctx.saved_output(out)
            local = (out * a.log()).where((a != 0) | (out != 0), 0.0)
            grad_b = back_to(grad * local, ctx.b)
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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        wins = a > b if ctx.op == ops.MAXIMUM else a < b
        share_a = wins.to(grad.dtype) + (a == b).to(grad.dtype) * 0.5
        grad_a = grad * share_a
        return back_to(grad_a, (a._shape, a.dtype)), back_to(grad - grad_a, (b._shape, b.dtype))


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

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        (condition,) = ctx.saved_tensors
        return (None, back_to(grad.where(condition, 0.0), ctx.a),
                back_to(grad.where(condition.logical_not(), 0.0), ctx.b))
