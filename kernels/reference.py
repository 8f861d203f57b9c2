"""The reference backend: every primitive written with NumPy, as plainly as possible.

This is the living definition of what each kernel computes, and the oracle the tests
compare the Numba and CUDA backends against. It is slow where NumPy is slow and that is
fine: clarity first. Buffers are flat NumPy arrays, as in the CPU backend.
"""

from typing import Any

import numpy as np

from kernels import ops, scalar_math
from kernels.strided import Buffer, Strided, numel


def view(x: Strided) -> np.ndarray:
    """x as a NumPy array of shape x.shape aliasing the buffer (strides in bytes for NumPy)."""
    if numel(x.shape) == 0:
        return np.empty(x.shape, dtype=x.buffer.dtype)
    itemsize = x.buffer.dtype.itemsize
    return np.ndarray(x.shape, dtype=x.buffer.dtype, buffer=x.buffer, offset=x.offset * itemsize,
                      strides=tuple(s * itemsize for s in x.strides))


def _elementwise(function, *arrays: np.ndarray) -> np.ndarray:
    """Apply a scalar_math function element by element (broadcasting), as float64 or int64."""
    vectorized = np.vectorize(function, otypes=[np.float64])
    if any(a.size == 0 for a in arrays):
        return np.zeros(np.broadcast_shapes(*(a.shape for a in arrays)))
    return vectorized(*[a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays])


def _power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """scalar_math.power: NumPy's for floats (an overflow is inf there, where Python's ** of
    floats raises OverflowError); scalar_math's, element by element, otherwise."""
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        with np.errstate(all="ignore"):
            return np.power(a.astype(np.float64), b.astype(np.float64))
    return _elementwise(scalar_math.power, a, b)


def _int_power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """scalar_math.int_power on whole int64 arrays: repeated squaring, wrapping on overflow."""
    base, exponent = (np.array(v, dtype=np.int64) for v in np.broadcast_arrays(a, b))
    result = np.ones(base.shape, np.int64)
    with np.errstate(over="ignore"):
        remaining = np.maximum(exponent, 0)
        while (remaining > 0).any():
            odd = remaining % 2 == 1
            result[odd] *= base[odd]
            base *= base
            remaining //= 2
    negative = np.where(np.array(a) == 1, 1,
                        np.where(np.array(a) == -1, np.where(exponent % 2 == 0, 1, -1), 0))
    return np.where(exponent < 0, negative, result)


UNARY = {
    ops.IDENTITY: lambda x: x,
    ops.NEG: np.negative,
    ops.ABS: np.abs,
    ops.EXP: np.exp,
    ops.LOG: np.log,
    ops.LOG1P: np.log1p,
    ops.SQRT: np.sqrt,
    ops.RSQRT: lambda x: 1.0 / np.sqrt(x),
    ops.SIN: np.sin,
    ops.COS: np.cos,
    ops.TANH: np.tanh,
    ops.SIGMOID: lambda x: np.exp(-np.logaddexp(0, -x.astype(np.float64))),
    ops.RELU: lambda x: np.where(x < 0, 0, x),  # nan stays nan, as PyTorch's relu
    ops.SIGN: lambda x: np.where(x != x, 0, np.sign(x)) + 0,  # PyTorch: sign(nan) = 0, +0.
    ops.RECIPROCAL: lambda x: 1.0 / x,
    ops.LOGICAL_NOT: np.logical_not,
    ops.ERF: lambda x: _elementwise(scalar_math.erf, x),  # NumPy has no erf: math.erf
    ops.ASIN: np.arcsin,
    ops.ACOS: np.arccos,
    ops.ATAN: np.arctan,
    ops.EXPM1: np.expm1,
}

BINARY = {
    ops.ADD: np.add,
    ops.SUB: np.subtract,
    ops.MUL: np.multiply,
    ops.DIV: lambda a, b: np.true_divide(a, b),
    ops.POW: lambda a, b: _power(a, b),
    ops.MAXIMUM: np.maximum,
    ops.MINIMUM: np.minimum,
    ops.EQ: np.equal,
    ops.NE: np.not_equal,
    ops.LT: np.less,
    ops.LE: np.less_equal,
    ops.GT: np.greater,
    ops.GE: np.greater_equal,
    ops.FLOOR_DIVIDE: np.floor_divide,
    ops.REMAINDER: np.remainder,
    ops.INT_FLOOR_DIVIDE: np.floor_divide,
    ops.INT_REMAINDER: np.remainder,
    ops.INT_POW: lambda a, b: _int_power(a, b),
    ops.LOGICAL_AND: np.logical_and,
    ops.LOGICAL_OR: np.logical_or,
    ops.EXP_BACK: lambda y, g: g * y,
    ops.LOG_BACK: lambda x, g: g / x,
    ops.LOG1P_BACK: lambda x, g: g / (1 + x),
    ops.SQRT_BACK: lambda y, g: g / (2 * y),
    ops.RSQRT_BACK: lambda y, g: -0.5 * g * y * y * y,
    ops.SIN_BACK: lambda x, g: g * np.cos(x),
    ops.COS_BACK: lambda x, g: -g * np.sin(x),
    ops.TANH_BACK: lambda y, g: g * (1 - y * y),
    ops.SIGMOID_BACK: lambda y, g: g * y * (1 - y),
    ops.RELU_BACK: lambda x, g: np.where(x > 0, g, 0 * g),
    ops.ABS_BACK: lambda x, g: g * np.sign(x),
    ops.RECIPROCAL_BACK: lambda y, g: -g * y * y,
    ops.POW_BACK_BASE: lambda a, b: _elementwise(scalar_math.power_back_base, a, b),
    ops.POW_BACK_EXPONENT: lambda a, y: _elementwise(scalar_math.power_back_exponent, a, y),
    ops.ERF_BACK: lambda x, g: g * (2 / np.sqrt(np.pi)) * np.exp(-x * x),
    ops.ATAN2: np.arctan2,
    ops.ASIN_BACK: lambda x, g: g / np.sqrt(1 - x * x),
    ops.ACOS_BACK: lambda x, g: -g / np.sqrt(1 - x * x),
    ops.ATAN_BACK: lambda x, g: g / (1 + x * x),
    ops.EXPM1_BACK: lambda y, g: g * (y + 1),
}

EXACT_ON_INTEGERS = (ops.IDENTITY, ops.NEG, ops.ABS, ops.RELU, ops.SIGN, ops.LOGICAL_NOT)

def _shift(shift: Any, a: np.ndarray, b: np.ndarray, outside: Any) -> np.ndarray:
    """a shifted by b, with `outside` where b is negative or at least 64 (PyTorch's rule)."""
    a, b = np.broadcast_arrays(a, b)
    inside = (b >= 0) & (b < 64)
    shifted = shift(a, np.where(inside, b, 0).astype(b.dtype))
    return np.where(inside, shifted, outside).astype(a.dtype)


BITWISE = {
    ops.BITWISE_AND: np.bitwise_and,
    ops.BITWISE_OR: np.bitwise_or,
    ops.BITWISE_XOR: np.bitwise_xor,
    ops.BITWISE_LEFT_SHIFT: lambda a, b: _shift(np.left_shift, a, b, 0),
    ops.BITWISE_RIGHT_SHIFT: lambda a, b: _shift(np.right_shift, a, b, np.where(a < 0, -1, 0)),
}

REDUCE = {ops.SUM: np.sum, ops.PROD: np.prod, ops.MAX: np.max, ops.MIN: np.min}


class ReferenceBackend:
    """The backend interface in NumPy (see kernels/backend.py)."""

    name = "reference"

    def empty(self, size: int, dtype: np.dtype) -> Buffer:
        return np.empty(size, dtype=dtype)

    def full(self, size: int, value: Any, dtype: np.dtype) -> Buffer:
        return np.full(size, value, dtype=dtype)

    def from_numpy(self, array: np.ndarray) -> Buffer:
        return np.ascontiguousarray(array).reshape(-1)

    def to_numpy(self, x: Strided) -> np.ndarray:
        return view(x)

    def map(self, op: int, x: Strided, out: Strided) -> None:
        values = view(x)
        if values.dtype.kind in "biu" and op not in EXACT_ON_INTEGERS:
            values = values.astype(np.float64)  # NumPy would pick float16 for np.exp(bool)
        with np.errstate(all="ignore"):
            result = UNARY[op](values)
        view(out)[...] = np.broadcast_to(result, out.shape)

    def zip(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        with np.errstate(all="ignore"):
            result = BINARY[op](view(a), view(b))
        view(out)[...] = np.broadcast_to(result, out.shape)

    def bitwise(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        view(out)[...] = np.broadcast_to(BITWISE[op](view(a), view(b)), out.shape)

    def where(self, condition: Strided, a: Strided, b: Strided, out: Strided) -> None:
        view(out)[...] = np.where(view(condition), view(a), view(b))

    def copy(self, source: Strided, out: Strided) -> None:
        view(out)[...] = np.broadcast_to(view(source), out.shape)

    def reduce(self, op: int, x: Strided, axes: tuple[int, ...], dtype: np.dtype) -> Buffer:
        result = REDUCE[op](view(x), axis=tuple(axes))
        return np.ascontiguousarray(result, dtype=dtype).reshape(-1)

    def arg_reduce(self, op: int, x: Strided, axis: int) -> Buffer:
        function = np.argmax if op == ops.ARGMAX else np.argmin
        return np.ascontiguousarray(function(view(x), axis=axis), dtype=np.int64).reshape(-1)

    def argsort(self, x: Strided, axis: int, descending: bool) -> Buffer:
        """Stable argsort along axis; nan is the largest value (NumPy sorts it last too).

        Descending, stably: sort the row reversed, ascending, and reverse the result. Equal
        elements meet in reversed order and are reversed back into index order, and the nans
        that ascending puts last come first: out = n - 1 - flip(argsort(flip(x)))."""
        values = view(x) if x.shape else view(x).reshape(1)
        axis = axis % values.ndim
        if not descending:
            order = np.argsort(values, axis=axis, kind="stable")
        else:
            flipped = np.argsort(np.flip(values, axis), axis=axis, kind="stable")
            order = values.shape[axis] - 1 - np.flip(flipped, axis)
        return np.ascontiguousarray(order, dtype=np.int64).reshape(-1)

    def matmul(self, a: Strided, b: Strided, dtype: np.dtype) -> Buffer:
        return np.ascontiguousarray(np.matmul(view(a), view(b)), dtype=dtype).reshape(-1)

    def linear(self, x: Strided, weight: Strided, bias: Strided | None,
               relu: bool = False) -> Buffer:
        out = view(x) @ view(weight).T
        if bias is not None:
            out = out + view(bias)
        if relu:
            out = np.where(out < 0, 0, out)  # as ops.RELU: nan stays nan
        return np.ascontiguousarray(out, dtype=x.buffer.dtype).reshape(-1)

    def linear_grad_weight(self, grad: Strided, x: Strided, with_bias: bool) -> tuple:
        dtype = grad.buffer.dtype
        grad_weight = np.ascontiguousarray(view(grad).T @ view(x), dtype=dtype).reshape(-1)
        return grad_weight, self.reduce(ops.SUM, grad, (0,), dtype) if with_bias else None

    def take(self, buffer: Buffer, positions: Strided, dtype: np.dtype) -> Buffer:
        return np.ascontiguousarray(buffer[view(positions)], dtype=dtype).reshape(-1)

    def index_add(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        np.add.at(buffer, view(positions).reshape(-1),
                  np.broadcast_to(view(source), positions.shape).reshape(-1))

    def index_put(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        buffer[view(positions).reshape(-1)] = np.broadcast_to(view(source),
                                                              positions.shape).reshape(-1)

    # ---- cross entropy of logits x (N, C) and class indices target (N,), fused
    def cross_entropy_forward(self, x: Strided, target: Strided, reduction: str,
                              ignore_index: int, smoothing: float) -> tuple:
        """(loss, probabilities): lse[n] = logsumexp(x[n]); loss[n] = (1 - e) (lse[n] -
        x[n, t]) + e (lse[n] - mean(x[n])), 0 where t == ignore_index; summed, or averaged
        over the rows not ignored, unless reduction is "none"; the softmax exp(x - lse)."""
        logits = view(x).astype(np.float64)
        t = view(target)
        ignored = t == ignore_index
        bad = ~ignored & ((t < 0) | (t >= logits.shape[1]))
        if bad.any():
            raise IndexError(f"Target {t[bad][0]} is out of bounds.")
        safe = np.where(ignored, 0, t)
        top = logits.max(axis=1, keepdims=True) if logits.size else logits[:, :1]
        lse = (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))[:, 0]
        picked = np.take_along_axis(logits, safe[:, None], axis=1)[:, 0]
        loss = (1 - smoothing) * (lse - picked) + smoothing * (lse - logits.mean(axis=1))
        loss = np.where(ignored, 0.0, loss)
        if reduction == "sum":
            loss = np.array([loss.sum()])
        elif reduction == "mean":
            with np.errstate(all="ignore"):
                loss = np.array([loss.sum() / (~ignored).sum()])
        probabilities = np.exp(logits - lse[:, None])
        return loss.astype(x.buffer.dtype), np.ascontiguousarray(probabilities).reshape(-1)

    def cross_entropy_backward(self, probabilities: Strided, target: Strided, grad: Strided,
                               reduction: str, ignore_index: int, smoothing: float,
                               dtype: np.dtype) -> Buffer:
        """grad_x[n, c] = (softmax(x[n])[c] - e / C - (1 - e) [c == t]) * g[n], g[n] =
        grad[n], grad, or grad / (rows not ignored); 0 in ignored rows."""
        softmax = view(probabilities)
        n, classes = softmax.shape
        t = view(target)
        ignored = t == ignore_index
        g = np.broadcast_to(view(grad).astype(np.float64), (n,))
        if reduction == "mean":
            with np.errstate(all="ignore"):
                g = g / (~ignored).sum()
        onehot = np.zeros((n, classes))
        onehot[np.arange(n), np.where(ignored, 0, t)] = 1.0
        out = (softmax - smoothing / classes - (1 - smoothing) * onehot)
        out = np.where(ignored[:, None], 0.0, out * g[:, None])
        return np.ascontiguousarray(out, dtype=dtype).reshape(-1)

    # ---- optimizer updates: the definition, op by op in PyTorch's order. Every buffer is
    # flat, contiguous, of the parameter's float dtype and length, updated in place; scalars
    # are cast to that dtype so float32 stays float32. kernels/cpu/optim.py fuses each into
    # one loop with the same rounding.
    def sgd_update(self, param: Buffer, grad: Buffer, momentum_buffer: Buffer | None,
                   lr: float, momentum: float, dampening: float, weight_decay: float,
                   nesterov: bool, maximize: bool, first_step: bool) -> None:
        """g = -grad if maximize else grad; g += wd * param;
        buf = g (first step) or momentum * buf + (1 - dampening) * g;
        g = g + momentum * buf (nesterov) or buf (when momentum != 0); param -= lr * g."""
        cast = param.dtype.type
        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + cast(weight_decay) * param
        if momentum != 0:
            if first_step:
                momentum_buffer[...] = g
            else:
                momentum_buffer[...] = momentum_buffer * cast(momentum) + cast(1 - dampening) * g
            g = g + cast(momentum) * momentum_buffer if nesterov else momentum_buffer
        param[...] = param + cast(-lr) * g

    def adam_update(self, param: Buffer, grad: Buffer, exp_avg: Buffer, exp_avg_sq: Buffer,
                    max_exp_avg_sq: Buffer | None, lr: float, beta1: float, beta2: float,
                    eps: float, weight_decay: float, step: float, amsgrad: bool, maximize: bool,
                    decoupled: bool) -> None:
        """Adam step number `step` (1, 2, ...); AdamW when `decoupled`:
        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  (amsgrad: v = max(v))
        param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""
        cast = param.dtype.type
        g = -grad if maximize else grad
        p = param
        if weight_decay != 0:
            if decoupled:
                p = param * cast(1 - lr * weight_decay)
            else:
                g = g + cast(weight_decay) * param
        w = cast(1 - beta1)
        if abs(w) < 0.5:  # PyTorch's lerp, from the nearer end
            exp_avg[...] = exp_avg + w * (g - exp_avg)
        else:
            exp_avg[...] = g - (g - exp_avg) * (cast(1) - w)
        exp_avg_sq[...] = exp_avg_sq * cast(beta2) + cast(1 - beta2) * g * g
        v = exp_avg_sq
        if amsgrad:
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            v = max_exp_avg_sq
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        with np.errstate(all="ignore"):
            denominator = np.sqrt(v) / cast(bias_correction2 ** 0.5) + cast(eps)
            param[...] = p + cast(-step_size) * exp_avg / denominator

    def rmsprop_update(self, param: Buffer, grad: Buffer, square_avg: Buffer,
                       grad_avg: Buffer | None, momentum_buffer: Buffer | None, lr: float,
                       alpha: float, eps: float, weight_decay: float, momentum: float,
                       centered: bool, maximize: bool) -> None:
        """v = alpha v + (1 - alpha) g^2;  centered: mean = lerp(mean, g, 1 - alpha),
        v' = v - mean^2;  avg = sqrt(v') + eps;  buf = momentum buf + g / avg, param -= lr buf
        (momentum > 0) or param -= lr g / avg."""
        cast = param.dtype.type
        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + cast(weight_decay) * param
        square_avg[...] = square_avg * cast(alpha) + cast(1 - alpha) * g * g
        v = square_avg
        if centered:
            w = cast(1 - alpha)
            if abs(w) < 0.5:
                grad_avg[...] = grad_avg + w * (g - grad_avg)
            else:
                grad_avg[...] = g - (g - grad_avg) * (cast(1) - w)
            v = square_avg - grad_avg * grad_avg
        with np.errstate(all="ignore"):
            average = np.sqrt(v) + cast(eps)
            if momentum > 0:
                momentum_buffer[...] = momentum_buffer * cast(momentum) + g / average
                param[...] = param + cast(-lr) * momentum_buffer
            else:
                param[...] = param + cast(-lr) * g / average

    def adagrad_update(self, param: Buffer, grad: Buffer, state_sum: Buffer, lr: float,
                       lr_decay: float, eps: float, weight_decay: float, step: float,
                       maximize: bool) -> None:
        """sum += g^2;  param -= clr * g / (sqrt(sum) + eps),  clr = lr / (1 + (t-1) lr_decay)."""
        cast = param.dtype.type
        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + cast(weight_decay) * param
        state_sum[...] = state_sum + g * g
        clr = lr / (1 + (step - 1) * lr_decay)
        with np.errstate(all="ignore"):
            param[...] = param + cast(-clr) * g / (np.sqrt(state_sum) + cast(eps))

    # ---- convolution and max pooling: x (N, C, H, W), windows read through index arrays

    def conv2d(self, x: Strided, weight: Strided, bias: Strided | None, stride: tuple,
               padding: tuple, dilation: tuple, groups: int, out_size: tuple) -> Buffer:
        """out[n, o, i, j] = bias[o] + sum_{c,p,q} weight[o, c, p, q] * x[n, g*Cg + c, ih, iw]
        with ih = i*sh - ph + p*dh, iw = j*sw - pw + q*dw (zero outside x), g = o's group."""
        windows = _windows(view(x), weight.shape[2:], stride, padding, dilation, out_size, 0)
        w = view(weight)
        n, c = windows.shape[:2]
        o, cg = w.shape[:2]
        grouped = windows.reshape(n, groups, cg, *windows.shape[2:])  # (N, G, Cg, KH, KW, ..)
        w_grouped = w.reshape(groups, o // groups, *w.shape[1:])  # (G, Og, Cg, KH, KW)
        out = np.einsum("ngcpqij,gocpq->ngoij", grouped, w_grouped).reshape(n, o, *out_size)
        if bias is not None:
            out = out + view(bias)[None, :, None, None]
        return np.ascontiguousarray(out, dtype=view(x).dtype).reshape(-1)

    def conv2d_grad_bias(self, grad: Strided) -> Buffer:
        """for o: sum of grad[:, o] over the batch and positions."""
        g = view(grad)
        axes = (0,) + tuple(range(2, g.ndim))
        return np.ascontiguousarray(g.sum(axis=axes, dtype=np.float64), dtype=g.dtype)

    def conv2d_grad_input(self, grad: Strided, weight: Strided, input_shape: tuple,
                          stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        """grad_x[n, c, ih, iw] += weight[o, c, p, q] * grad[n, o, i, j] for every tap."""
        g, w = view(grad), view(weight)
        n, o, oh, ow = g.shape
        cg = w.shape[1]
        g_grouped = g.reshape(n, groups, o // groups, oh, ow)
        w_grouped = w.reshape(groups, o // groups, *w.shape[1:])
        taps = np.einsum("ngoij,gocpq->ngcpqij", g_grouped, w_grouped)
        taps = taps.reshape(n, groups * cg, *taps.shape[3:])
        grad_x = np.zeros(input_shape, dtype=g.dtype)
        rows, cols = _window_indices(input_shape[2:], w.shape[2:], stride, padding, dilation,
                                     (oh, ow))
        inside = (rows >= 0) & (rows < input_shape[2]) & (cols >= 0) & (cols < input_shape[3])
        for p, q, i, j in zip(*np.nonzero(inside)):
            grad_x[:, :, rows[p, q, i, j], cols[p, q, i, j]] += taps[:, :, p, q, i, j]
        return grad_x.reshape(-1)

    def conv2d_grad_weight(self, x: Strided, grad: Strided, weight_shape: tuple,
                           stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        """grad_weight[o, c, p, q] = sum_{n,i,j} grad[n, o, i, j] * x[n, g*Cg + c, ih, iw]."""
        g = view(grad)
        windows = _windows(view(x), weight_shape[2:], stride, padding, dilation, g.shape[2:], 0)
        n, o = g.shape[:2]
        cg = weight_shape[1]
        grouped = windows.reshape(n, groups, cg, *windows.shape[2:])
        g_grouped = g.reshape(n, groups, o // groups, *g.shape[2:])
        out = np.einsum("ngcpqij,ngoij->gocpq", grouped, g_grouped)
        return np.ascontiguousarray(out, dtype=g.dtype).reshape(-1)

    def max_pool2d(self, x: Strided, kernel_size: tuple, stride: tuple, padding: tuple,
                   dilation: tuple, out_size: tuple) -> tuple:
        """(values, positions): max of each window (padding reads -inf), and the row-major
        element number in x of the first maximum."""
        array = view(x)
        n, c, h, w = array.shape
        windows = _windows(array, kernel_size, stride, padding, dilation, out_size, -np.inf)
        flat = windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c, *out_size, -1)
        best = np.argmax(flat, axis=-1)
        values = np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]
        rows, cols = _window_indices((h, w), kernel_size, stride, padding, dilation, out_size)
        rows = rows.transpose(2, 3, 0, 1).reshape(*out_size, -1)
        cols = cols.transpose(2, 3, 0, 1).reshape(*out_size, -1)
        i, j = np.indices(tuple(out_size))
        planes = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * h * w
        positions = planes[:, :, None, None] + rows[i, j, best] * w + cols[i, j, best]
        return (np.ascontiguousarray(values).reshape(-1),
                np.ascontiguousarray(positions, dtype=np.int64).reshape(-1))


def _window_indices(size: tuple, kernel_size: tuple, stride: tuple, padding: tuple,
                    dilation: tuple, out_size: tuple) -> tuple:
    """rows[p, q, i, j] = i*sh - ph + p*dh and cols[p, q, i, j] = j*sw - pw + q*dw."""
    p = np.arange(kernel_size[0])[:, None, None, None]
    q = np.arange(kernel_size[1])[None, :, None, None]
    i = np.arange(out_size[0])[None, None, :, None]
    j = np.arange(out_size[1])[None, None, None, :]
    rows = i * stride[0] - padding[0] + p * dilation[0] + 0 * (q + j)
    cols = j * stride[1] - padding[1] + q * dilation[1] + 0 * (p + i)
    return rows, cols


def _windows(array: np.ndarray, kernel_size: tuple, stride: tuple, padding: tuple,
             dilation: tuple, out_size: tuple, fill: float) -> np.ndarray:
    """windows[n, c, p, q, i, j] = array[n, c, ih, iw], or `fill` outside the array."""
    rows, cols = _window_indices(array.shape[2:], kernel_size, stride, padding, dilation,
                                 out_size)
    h, w = array.shape[2:]
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    picked = array[:, :, np.clip(rows, 0, max(h - 1, 0)), np.clip(cols, 0, max(w - 1, 0))]
    return np.where(inside, picked, np.asarray(fill, dtype=array.dtype))
