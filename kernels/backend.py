"""The backend interface: every method a device must provide, declared once.

`kernels/reference.py` (NumPy), `kernels/cpu` (Numba) and `kernels/cuda` (numba.cuda) each
implement exactly these names. The Tensor layer (`tinygrad_edu/functions/`, the nn
primitives in `tinygrad_edu/nn/functions_nn.py`, the optimizers in `tinygrad_edu/optim`) talks
to a tensor's device only through them, never to a kernel module directly.

Conventions shared by every method:
- an input is a `Strided` view (flat buffer, shape, strides in elements, offset), except
  for the optimizer updates, which update flat contiguous buffers in place;
- an output is either a `Strided` view that the method writes into (`out`), or a fresh flat
  contiguous buffer that the method returns; the docstring says which;
- op codes come from `kernels/ops.py`;
- dtypes are NumPy dtypes (`numpy.float32`, ...); the Tensor layer owns type promotion and
  passes outputs of the right dtype, and kernels cast by assignment.
"""

from typing import Any, Protocol

import numpy as np

from kernels.ops import ADD, RELU, SUM
from kernels.strided import Buffer, Strided


class Backend(Protocol):
    """What a device backend implements (see the module docstring for the conventions)."""

    name: str  # "reference", "cpu" or "cuda"

    # ---- allocation and transfers ----------------------------------------------------------
    def empty(self, size: int, dtype: np.dtype) -> Buffer:
        """A new flat buffer of `size` elements, contents undefined."""
        ...

    def full(self, size: int, value: Any, dtype: np.dtype) -> Buffer:
        """A new flat buffer of `size` elements, all equal to `value`."""
        ...

    def from_numpy(self, array: np.ndarray) -> Buffer:
        """A flat contiguous buffer on this device holding `array` (row-major).

        The CPU backends may return a view that shares memory with a C-contiguous `array`.
        """
        ...

    def to_numpy(self, x: Strided) -> np.ndarray:
        """The view `x` as a host NumPy array of shape x.shape (a view on CPU, a copy on CUDA)."""
        ...

    # ---- elementwise -------------------------------------------------------------------------
    def map(self, op: int, x: Strided, out: Strided) -> None:
        """for i: out[i] = f(x[i]), f = unary op `op`; x has out's shape (after broadcast)."""
        ...

    def zip(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        """for i: out[i] = f(a[bcast(i)], b[bcast(i)]); a and b broadcast to out.shape."""
        ...

    def bitwise(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        """zip for a bit op (ops.BITWISE_OPS): a, b and out of one integer dtype."""
        ...

    def where(self, condition: Strided, a: Strided, b: Strided, out: Strided) -> None:
        """for i: out[i] = a[i] if condition[i] else b[i] (all broadcast to out.shape)."""
        ...

    def copy(self, source: Strided, out: Strided) -> None:
        """for i: out[i] = source[bcast(i)] (cast to out's dtype). `.contiguous()`, `copy_`."""
        ...

    # ---- reductions --------------------------------------------------------------------------
    def reduce(self, op: int, x: Strided, axes: tuple[int, ...], dtype: np.dtype) -> Buffer:
        """Fold op over `axes` of x; returns a contiguous buffer of x.shape without `axes`.

        Reducing over zero elements gives the op's identity (sum 0, prod 1); max/min over
        zero elements is an error the Tensor layer raises before calling.
        """
        ...

    def arg_reduce(self, op: int, x: Strided, axis: int) -> Buffer:
        """Index (int64) of the first max (ARGMAX) or min (ARGMIN) along `axis`; contiguous
        buffer of x.shape without `axis`."""
        ...

    def argsort(self, x: Strided, axis: int, descending: bool) -> Buffer:
        """Indices (int64) that sort x along `axis`, stably: a contiguous buffer of x.shape
        with out[.., j, ..] = the index along `axis` of the j-th smallest (largest when
        `descending`) element of that row. Equal elements keep their index order; nan counts
        as larger than every number (last ascending, first descending), as PyTorch's stable
        sort. x has at least one dimension. The Tensor layer gets sort's values by gather
        and topk by narrowing these indices."""
        ...

    # ---- matrix multiply ---------------------------------------------------------------------
    def matmul(self, a: Strided, b: Strided, dtype: np.dtype) -> Buffer:
        """(..., n, k) @ (..., k, m) -> contiguous (..., n, m); the batch dims of a and b are
        equal (the Tensor layer expands them first). out[.., i, j] = sum_p a[.., i, p] b[.., p, j].
        """
        ...

    # ---- nn.Linear: a matmul and its bias in one call (the MLP's hot path) ------------------
    # x (n, k) and weight (m, k) any strides, bias (m,) or None; the same dtype (float or int).
    def linear(self, x: Strided, weight: Strided, bias: Strided | None,
               relu: bool = False) -> Buffer:
        """A contiguous (n, m) buffer: out[i, j] = sum_p x[i, p] weight[j, p] + bias[j], and
        with relu, out[i, j] = max(out[i, j], 0) (as ops.RELU: nan stays nan)."""
        ...

    def linear_grad_weight(self, grad: Strided, x: Strided, with_bias: bool) -> tuple:
        """(grad_weight, grad_bias) for grad (n, m), x (n, k): a contiguous (m, k) buffer
        grad_weight[j, p] = sum_i grad[i, j] x[i, p], and, when with_bias, a contiguous (m,)
        buffer grad_bias[j] = sum_i grad[i, j] (else None)."""
        ...

    # ---- indexing: gather and scatter-add by flat buffer position -------------------------
    def take(self, buffer: Buffer, positions: Strided, dtype: np.dtype) -> Buffer:
        """for i: out[i] = buffer[positions[i]]; positions is int64; out has positions' shape."""
        ...

    def index_add(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        """for i: buffer[positions[i]] += source[i]; repeated positions all add up (atomics)."""
        ...

    def index_put(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        """for i: buffer[positions[i]] = source[i] (source broadcast to positions' shape)."""
        ...

    # ---- cross entropy of logits and class indices, fused (the training loss) ---------------
    # x (N, C) float logits (any strides), target (N,) int64 class indices, e = smoothing,
    # reduction "none", "sum" or "mean"; a row whose target is ignore_index counts for nothing.
    def cross_entropy_forward(self, x: Strided, target: Strided, reduction: str,
                              ignore_index: int, smoothing: float) -> tuple[Buffer, Buffer]:
        """(loss, probabilities): for n: lse[n] = m + log(sum_c exp(x[n, c] - m)), m =
        max_c x[n, c]; t = target[n]; loss[n] = (1 - e) (lse[n] - x[n, t]) + e (lse[n] -
        mean_c x[n, c]), 0 where t == ignore_index. loss is a contiguous buffer of x's dtype:
        (N,) for "none", else (1,) holding sum_n loss[n] ("sum") or that over the count of
        rows not ignored ("mean": nan when every row is ignored). probabilities is the
        softmax exp(x[n, c] - lse[n]), a contiguous (N, C) float64 buffer, for backward.
        A target outside [0, C) that is not ignore_index raises IndexError("Target {t} is out
        of bounds.")."""
        ...

    def cross_entropy_backward(self, probabilities: Strided, target: Strided, grad: Strided,
                               reduction: str, ignore_index: int, smoothing: float,
                               dtype: np.dtype) -> Buffer:
        """grad_x, a contiguous (N, C) buffer of `dtype` (x's), from forward's probabilities
        p (an (N, C) float64 view): for n, c:
        grad_x[n, c] = (p[n, c] - e / C - (1 - e) [c == t]) * g[n], with
        g[n] = grad[n] ("none", grad (N,)), grad ("sum", grad 0-d) or grad / count ("mean"),
        and 0 in the rows where t == ignore_index."""
        ...

    # ---- convolution and max pooling: x (N, C, H, W), weight (O, C // groups, KH, KW) --------
    # Window geometry (sh, sw) = stride, (ph, pw) = padding (zeros before the first row and
    # column), (dh, dw) = dilation; for output position (i, j) and kernel tap (p, q):
    #     ih = i * sh - ph + p * dh        iw = j * sw - pw + q * dw
    # The caller picks the output size (OH, OW), so asymmetric padding ('same' with an even
    # kernel) and ceil_mode need nothing special: a tap outside x reads 0 (-inf for pooling).
    def conv2d(self, x: Strided, weight: Strided, bias: Strided | None, stride: tuple,
               padding: tuple, dilation: tuple, groups: int, out_size: tuple) -> Buffer:
        """A contiguous (N, O, OH, OW) buffer of x's dtype, out_size = (OH, OW):
        for n, o, i, j: out[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] *
        x[n, g * Cg + c, ih, iw], Cg = C // groups, g = o // (O // groups); bias may be None.
        """
        ...

    def conv2d_grad_input(self, grad: Strided, weight: Strided, input_shape: tuple,
                          stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        """d(conv2d)/dx, a contiguous buffer of input_shape: grad_x = 0, then
        for n, o, c, p, q, i, j: grad_x[n, g * Cg + c, ih, iw] += weight[o, c, p, q] *
        grad[n, o, i, j] (taps outside x dropped); grad is (N, O, OH, OW)."""
        ...

    def conv2d_grad_weight(self, x: Strided, grad: Strided, weight_shape: tuple,
                           stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Buffer:
        """d(conv2d)/dweight, a contiguous buffer of weight_shape:
        for o, c, p, q: out[o, c, p, q] = sum_{n, i, j} grad[n, o, i, j] * x[n, g*Cg + c, ih, iw].
        """
        ...

    def conv2d_grad_bias(self, grad: Strided) -> Buffer:
        """d(conv2d)/dbias, a contiguous (O,) buffer: for o: out[o] = sum over n and every
        position of grad[n, o, ...] (accumulated in float64 for floats)."""
        ...

    def max_pool2d(self, x: Strided, kernel_size: tuple, stride: tuple, padding: tuple,
                   dilation: tuple, out_size: tuple) -> tuple[Buffer, Buffer]:
        """(values, positions), each a contiguous (N, C, OH, OW) buffer:
        for n, c, i, j: values[n, c, i, j] = max_{p < KH, q < KW} x[n, c, ih, iw] (padding
        reads -inf; the first maximum wins, a nan beats every number) and positions[n, c, i, j]
        = its row-major element number in x, n*C*H*W + c*H*W + ih*W + iw (int64).
        """
        ...

    # ---- optimizer updates: one fused pass per parameter, in place --------------------------
    # Every buffer is flat, contiguous, of the parameter's floating dtype and length; optional
    # state buffers are None when their option is off. Scalars are cast to that dtype first
    # (kernels/optim_math.py), so float32 parameters update in float32, in PyTorch's op order.
    # In each loop, g = -grad[i] if maximize else grad[i].
    def sgd_update(self, param: Buffer, grad: Buffer, momentum_buffer: Buffer | None,
                   lr: float, momentum: float, dampening: float, weight_decay: float,
                   nesterov: bool, maximize: bool, first_step: bool) -> None:
        """for i: g += weight_decay * param[i];
        if momentum != 0: buf[i] = g on the first step, else momentum * buf[i] +
        (1 - dampening) * g; g = g + momentum * buf[i] (nesterov) or buf[i];
        param[i] -= lr * g."""
        ...

    def adam_update(self, param: Buffer, grad: Buffer, exp_avg: Buffer, exp_avg_sq: Buffer,
                    max_exp_avg_sq: Buffer | None, lr: float, beta1: float, beta2: float,
                    eps: float, weight_decay: float, step: float, amsgrad: bool, maximize: bool,
                    decoupled: bool) -> None:
        """Adam step number t = `step` (1, 2, ...); AdamW when `decoupled`. for i:
        p = param[i] * (1 - lr * wd) (decoupled) or g += wd * param[i] (Adam);
        m[i] = lerp(m[i], g, 1 - beta1); v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        vmax[i] = max(vmax[i], v[i]) and used as v (amsgrad);
        param[i] = p - lr / (1 - beta1^t) * m[i] / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""
        ...

    def rmsprop_update(self, param: Buffer, grad: Buffer, square_avg: Buffer,
                       grad_avg: Buffer | None, momentum_buffer: Buffer | None, lr: float,
                       alpha: float, eps: float, weight_decay: float, momentum: float,
                       centered: bool, maximize: bool) -> None:
        """for i: g += wd * param[i]; v[i] = alpha * v[i] + (1 - alpha) * g * g;
        centered: mean[i] = lerp(mean[i], g, 1 - alpha), v' = v[i] - mean[i]^2;
        avg = sqrt(v') + eps; momentum > 0: buf[i] = momentum * buf[i] + g / avg,
        param[i] -= lr * buf[i]; else param[i] -= lr * g / avg."""
        ...

    def adagrad_update(self, param: Buffer, grad: Buffer, state_sum: Buffer, lr: float,
                       lr_decay: float, eps: float, weight_decay: float, step: float,
                       maximize: bool) -> None:
        """for i: g += wd * param[i]; sum[i] += g * g;
        param[i] -= clr * g / (sqrt(sum[i]) + eps), clr = lr / (1 + (step - 1) * lr_decay)."""
        ...


# The method names, in the order above. tests/test_kernels.py checks every backend has
# exactly these, so the interface cannot grow by accident.
BACKEND_METHODS = (
    "empty", "full", "from_numpy", "to_numpy",
    "map", "zip", "bitwise", "where", "copy",
    "reduce", "arg_reduce", "argsort",
    "matmul", "linear", "linear_grad_weight",
    "take", "index_add", "index_put",
    "cross_entropy_forward", "cross_entropy_backward",
    "conv2d", "conv2d_grad_input", "conv2d_grad_weight", "conv2d_grad_bias", "max_pool2d",
    "sgd_update", "adam_update", "rmsprop_update", "adagrad_update",
)


# ---- the same, composed from the methods above (for backends without a fused kernel) ------


def transposed(x: Strided) -> Strided:
    """The transpose of a 2-d view (no copy: the shape and strides swap)."""
    return Strided(x.buffer, x.shape[::-1], x.strides[::-1], x.offset)


def linear_by_parts(backend: Any, x: Strided, weight: Strided, bias: Strided | None,
                    relu: bool = False) -> Buffer:
    """Backend.linear as a matmul, then the bias added and the relu applied in place."""
    out = backend.matmul(x, transposed(weight), x.buffer.dtype)
    shape = (x.shape[0], weight.shape[0])
    out_view = Strided(out, shape, (shape[1], 1), 0)
    if bias is not None:
        backend.zip(ADD, out_view, bias, out_view)
    if relu:
        backend.map(RELU, out_view, out_view)
    return out


def linear_grad_weight_by_parts(backend: Any, grad: Strided, x: Strided,
                                with_bias: bool) -> tuple:
    """Backend.linear_grad_weight as a matmul and a column sum."""
    grad_weight = backend.matmul(transposed(grad), x, grad.buffer.dtype)
    grad_bias = backend.reduce(SUM, grad, (0,), grad.buffer.dtype) if with_bias else None
    return grad_weight, grad_bias
