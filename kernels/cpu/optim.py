"""Fused optimizer kernels: one pass over a parameter updates it and its optimizer state.

An optimizer step written as tensor ops (`exp_avg.lerp_(grad, 0.1)`, `exp_avg_sq.mul_(b2)`,
`.addcmul_(...)`, `.sqrt()`, `/`, `.add_(eps)`, `param.addcdiv_(...)`) reads and writes every
element about ten times and allocates temporaries. Here one loop reads each element of
param, grad and state once, does the whole update in registers, and writes them back:

    for i: g = grad[i]; m = ...; v = ...; param[i] = param[i] - step * m / (sqrt(v) + eps)

All buffers are flat contiguous arrays of one float dtype and equal length, updated in
place. The per-step scalars (bias corrections, step sizes) are computed once in Python by
the `*_arguments` helpers (kernels/optim_math.py, shared with CUDA) and passed already cast to
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

from numba import prange

from kernels.cpu.jit import inline, kernel, parallel_kernel

# The per-step scalars (`*_arguments`) are plain Python shared with the CUDA backend; they are
# re-exported here (`x as x`), where CPUBackend and the tests look for them.
from kernels.optim_math import adagrad_arguments as adagrad_arguments
from kernels.optim_math import adam_arguments as adam_arguments
from kernels.optim_math import lerp_arguments as lerp_arguments
from kernels.optim_math import rmsprop_arguments as rmsprop_arguments
from kernels.optim_math import sgd_arguments as sgd_arguments

# Above this many elements the backend runs the `_parallel` kernels. Set high, as for the
# elementwise kernels: on a 2-core machine shared with other work, waking the second thread
# costs milliseconds, while the serial kernel does 1M Adam elements in ~0.6 ms and the
# parallel one, on an idle machine, only ~0.5 ms (memory-bound; benchmarks/optim.py).
PARALLEL_THRESHOLD = 1 << 23
CHUNKS = 64  # the parallel kernels' pieces of work, shared out among the threads

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
