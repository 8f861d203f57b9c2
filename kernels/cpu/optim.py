"""Fused optimizer kernels: one pass over a parameter updates it and its optimizer state.

An optimizer step written as tensor ops (`exp_avg.lerp_(grad, 0.1)`, `exp_avg_sq.mul_(b2)`,
`.addcmul_(...)`, `.sqrt()`, `/`, `.add_(eps)`, `param.addcdiv_(...)`) reads and writes every
element about ten times and allocates temporaries. Here one loop reads each element of
param, grad and state once, does the whole update in registers, and writes them back:

    for i: g = grad[i]; m = ...; v = ...; param[i] = param[i] - step * m / (sqrt(v) + eps)

All buffers are flat contiguous arrays of one float dtype and equal length, updated in
place. The per-step scalars (bias corrections, step sizes) are computed once in Python by
the `*_arguments` helpers below (the CUDA backend can reuse them) and passed already cast to
the buffer's dtype, so a float32 parameter is updated in float32 arithmetic, op by op in
PyTorch's order: results equal `kernels/reference.py` bit for bit and PyTorch's CPU
optimizers to within rounding (PyTorch's vectorised CPU code fuses some multiply-adds).

Written for the vectoriser: options that only change a value become arithmetic (maximize
multiplies by -1, AdamW's decay multiplies by a factor that is exactly 1 when off, lerp's
two formulas become a select), and only options that change which memory is touched
(amsgrad, a momentum buffer, L2 weight decay) stay `if`s, which LLVM hoists out of the
loop. With more branches than that in one loop it gives up, and the loop runs ~10x slower.
The decorators come from kernels/cpu/jit.py (cached, x / 0 gives inf or nan). Each kernel
has a `_parallel` twin (chunks of the buffers on all threads) that the backend uses above
`PARALLEL_THRESHOLD` elements.
"""

import math

import numpy as np
from numba import prange

from kernels.cpu.jit import inline, kernel, parallel_kernel

# Above this many elements the backend runs the `_parallel` kernels. Set high, as for the
# elementwise kernels: on a 2-core machine shared with other work, waking the second thread
# costs milliseconds, while the serial kernel does 1M Adam elements in ~0.6 ms and the
# parallel one, on an idle machine, only ~0.5 ms (memory-bound; benchmarks/optim.py).
PARALLEL_THRESHOLD = 1 << 23
CHUNKS = 64  # the parallel kernels' pieces of work, shared out among the threads

# ---------------------------------------------------------------------------- per-step scalars


def lerp_arguments(weight: float, dtype: np.dtype) -> tuple:
    """(from_start, coefficient) for `lerp(start, end, weight)` in `dtype`, PyTorch's way:

    weight < 0.5: start + weight * (end - start)    else: end - (end - start) * (1 - weight)
    Both are `base + coefficient * (end - start)` with base = start or end, and
    end - x * (1 - w) equals end + x * -(1 - w) exactly, so one formula serves.
    """
    w = dtype.type(weight)
    from_start = bool(abs(w) < 0.5)
    return from_start, w if from_start else -(dtype.type(1) - w)


def sgd_arguments(lr: float, momentum: float, dampening: float, weight_decay: float,
                  nesterov: bool, maximize: bool, first_step: bool, dtype: np.dtype) -> tuple:
    """The scalar arguments of `sgd_update` after the buffers."""
    cast = dtype.type
    return (cast(-1 if maximize else 1), weight_decay != 0, cast(weight_decay), momentum != 0,
            first_step, nesterov, cast(momentum), cast(1 - dampening), cast(-lr))


def adam_arguments(lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                   step: float, amsgrad: bool, maximize: bool, decoupled: bool,
                   dtype: np.dtype) -> tuple:
    """The scalar arguments of `adam_update` for Adam step number `step` (1, 2, ...).

    bias_correction1 = 1 - beta1**step        step_size = lr / bias_correction1
    bias_correction2 = 1 - beta2**step        the denominator uses sqrt(bias_correction2)
    decay_factor = 1 - lr * weight_decay      (AdamW: param *= decay_factor; else exactly 1)
    """
    cast = dtype.type
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    decoupled_decay = decoupled and weight_decay != 0
    decay_factor = cast(1 - lr * weight_decay) if decoupled_decay else cast(1)
    from_start, coefficient = lerp_arguments(1 - beta1, dtype)
    return (cast(-1 if maximize else 1), decay_factor, weight_decay != 0 and not decoupled,
            cast(weight_decay), from_start, coefficient, cast(beta2), cast(1 - beta2), amsgrad,
            cast(-step_size), cast(bias_correction2_sqrt), cast(eps))


def rmsprop_arguments(lr: float, alpha: float, eps: float, weight_decay: float,
                      momentum: float, centered: bool, maximize: bool, dtype: np.dtype) -> tuple:
    """The scalar arguments of `rmsprop_update` after the buffers."""
    cast = dtype.type
    from_start, coefficient = lerp_arguments(1 - alpha, dtype)
    return (cast(-1 if maximize else 1), weight_decay != 0, cast(weight_decay), cast(alpha),
            cast(1 - alpha), centered, from_start, coefficient, cast(eps), momentum > 0,
            cast(momentum), cast(-lr))


def adagrad_arguments(lr: float, lr_decay: float, eps: float, weight_decay: float,
                      step: float, maximize: bool, dtype: np.dtype) -> tuple:
    """The scalar arguments of `adagrad_update`: the decayed rate is
    clr = lr / (1 + (step - 1) * lr_decay)."""
    cast = dtype.type
    clr = lr / (1 + (step - 1) * lr_decay)
    return cast(-1 if maximize else 1), weight_decay != 0, cast(weight_decay), cast(eps), \
        cast(-clr)


# ---------------------------------------------------------------------------- the kernels
# Each loop body is written out in its kernel: moved into a helper function (even an inlined
# one), Numba's loops stop vectorising and run ~8x slower.


@inline
def _maximum(a, b):
    """max(a, b) that returns NaN if either is NaN (torch.maximum)."""
    if math.isnan(a):
        return a
    if math.isnan(b) or b > a:
        return b
    return a


@kernel
def sgd_update(param, grad, momentum_buffer, sign, use_l2, weight_decay, use_momentum,
               first_step, nesterov, momentum, one_minus_dampening, neg_lr):
    """for i: SGD (momentum, dampening, nesterov, weight decay) on element i, in place."""
    for i in range(param.shape[0]):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i]
        if use_l2:
            g = g + weight_decay * p                      # grad.add(param, alpha=wd)
        if use_momentum:
            buf = momentum_buffer[i] * momentum           # buf.mul_(momentum)
            buf = buf + one_minus_dampening * g           #    .add_(grad, alpha=1 - dampening)
            buf = g if first_step else buf                # first step: buf = grad.clone()
            momentum_buffer[i] = buf
            g = g + momentum * buf if nesterov else buf   # grad.add(buf, alpha=momentum)
        param[i] = p + neg_lr * g                         # param.add_(grad, alpha=-lr)


@kernel
def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, sign, decay_factor, use_l2,
                weight_decay, from_start, coefficient, beta2, one_minus_beta2, amsgrad,
                neg_step_size, bias_correction2_sqrt, eps):
    """for i: Adam / AdamW (amsgrad, maximize) on element i, in place."""
    for i in range(param.shape[0]):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i] * decay_factor                       # AdamW: param.mul_(1 - lr * wd)
        if use_l2:
            g = g + weight_decay * p                      # Adam: grad.add(param, alpha=wd)
        m = exp_avg[i]
        m = (m if from_start else g) + coefficient * (g - m)  # exp_avg.lerp_(grad, 1 - beta1)
        v = exp_avg_sq[i] * beta2                         # exp_avg_sq.mul_(beta2)
        v = v + one_minus_beta2 * g * g                   #    .addcmul_(grad, grad, 1 - beta2)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:
            v = _maximum(max_exp_avg_sq[i], v)            # torch.maximum(max_exp_avg_sq, v)
            max_exp_avg_sq[i] = v
        denominator = math.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + neg_step_size * m / denominator    # param.addcdiv_(m, denom, -step_size)


@kernel
def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, sign, use_l2,
                   weight_decay, alpha, one_minus_alpha, centered, from_start, coefficient, eps,
                   use_momentum, momentum, neg_lr):
    """for i: RMSprop (centered, momentum, weight decay, maximize) on element i, in place."""
    for i in range(param.shape[0]):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i]
        if use_l2:
            g = g + weight_decay * p                      # grad.add(param, alpha=wd)
        v = square_avg[i] * alpha                         # square_avg.mul_(alpha)
        v = v + one_minus_alpha * g * g                   #    .addcmul_(grad, grad, 1 - alpha)
        square_avg[i] = v
        if centered:
            mean = grad_avg[i]                            # grad_avg.lerp_(grad, 1 - alpha)
            mean = (mean if from_start else g) + coefficient * (g - mean)
            grad_avg[i] = mean
            v = v - mean * mean                           # addcmul(mean, mean, value=-1)
        average = math.sqrt(v) + eps                      # .sqrt_().add_(eps)
        if use_momentum:
            buf = momentum_buffer[i] * momentum           # buf.mul_(momentum)
            buf = buf + g / average                       #    .addcdiv_(grad, avg)
            momentum_buffer[i] = buf
            param[i] = p + neg_lr * buf                   # param.add_(buf, alpha=-lr)
        else:
            param[i] = p + neg_lr * g / average           # param.addcdiv_(grad, avg, -lr)


@kernel
def adagrad_update(param, grad, state_sum, sign, use_l2, weight_decay, eps, neg_clr):
    """for i: Adagrad (decayed rate, weight decay, maximize) on element i, in place."""
    for i in range(param.shape[0]):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i]
        if use_l2:
            g = g + weight_decay * p                      # grad.add(param, alpha=wd)
        s = state_sum[i] + g * g                          # state_sum.addcmul_(grad, grad, 1)
        state_sum[i] = s
        std = math.sqrt(s) + eps                          # state_sum.sqrt().add_(eps)
        param[i] = p + neg_clr * g / std                  # param.addcdiv_(grad, std, -clr)


# ---------------------------------------------------------------------------- parallel twins
# Each cuts the buffers into CHUNKS contiguous pieces and runs the serial kernel on every
# piece, the pieces spread over the threads (elements are independent, so the result is the
# same bit for bit). An empty optional buffer slices to empty pieces and stays unused.


@inline
def _chunk(index, count, n):
    return index * n // count, (index + 1) * n // count


@parallel_kernel
def sgd_update_parallel(param, grad, momentum_buffer, sign, use_l2, weight_decay,
                        use_momentum, first_step, nesterov, momentum, one_minus_dampening,
                        neg_lr):
    """sgd_update, chunk by chunk on all threads."""
    for c in prange(CHUNKS):
        lo, hi = _chunk(c, CHUNKS, param.shape[0])
        sgd_update(param[lo:hi], grad[lo:hi], momentum_buffer[lo:hi], sign, use_l2,
                   weight_decay, use_momentum, first_step, nesterov, momentum,
                   one_minus_dampening, neg_lr)


@parallel_kernel
def adam_update_parallel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, sign, decay_factor,
                         use_l2, weight_decay, from_start, coefficient, beta2, one_minus_beta2,
                         amsgrad, neg_step_size, bias_correction2_sqrt, eps):
    """adam_update, chunk by chunk on all threads."""
    for c in prange(CHUNKS):
        lo, hi = _chunk(c, CHUNKS, param.shape[0])
        adam_update(param[lo:hi], grad[lo:hi], exp_avg[lo:hi], exp_avg_sq[lo:hi],
                    max_exp_avg_sq[lo:hi], sign, decay_factor, use_l2, weight_decay,
                    from_start, coefficient, beta2, one_minus_beta2, amsgrad, neg_step_size,
                    bias_correction2_sqrt, eps)


@parallel_kernel
def rmsprop_update_parallel(param, grad, square_avg, grad_avg, momentum_buffer, sign, use_l2,
                            weight_decay, alpha, one_minus_alpha, centered, from_start,
                            coefficient, eps, use_momentum, momentum, neg_lr):
    """rmsprop_update, chunk by chunk on all threads."""
    for c in prange(CHUNKS):
        lo, hi = _chunk(c, CHUNKS, param.shape[0])
        rmsprop_update(param[lo:hi], grad[lo:hi], square_avg[lo:hi], grad_avg[lo:hi],
                       momentum_buffer[lo:hi], sign, use_l2, weight_decay, alpha,
                       one_minus_alpha, centered, from_start, coefficient, eps, use_momentum,
                       momentum, neg_lr)


@parallel_kernel
def adagrad_update_parallel(param, grad, state_sum, sign, use_l2, weight_decay, eps, neg_clr):
    """adagrad_update, chunk by chunk on all threads."""
    for c in prange(CHUNKS):
        lo, hi = _chunk(c, CHUNKS, param.shape[0])
        adagrad_update(param[lo:hi], grad[lo:hi], state_sum[lo:hi], sign, use_l2,
                       weight_decay, eps, neg_clr)
