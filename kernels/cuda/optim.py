"""Fused optimizer updates: one grid-stride pass updates a parameter and its state in place.

The GPU twins of kernels/cpu/optim.py, with the same loop bodies and the same scalar
arguments (kernels/optim_math.py computes them once per step, cast to the parameter's
dtype), so a float32 parameter is updated in float32 arithmetic, op by op in PyTorch's order:

    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        g = sign * grad[i]; m = ...; v = ...; param[i] = param[i] - step * m / (sqrt(v) + eps)

Every buffer is a flat contiguous device array of the parameter's length; an optional state
buffer that is off (no momentum, no amsgrad, not centered) arrives as an empty slice and is
never touched. The option flags are the same for every thread, so their branches cost no
divergence.
"""

import math

from numba import cuda


@cuda.jit(device=True)
def sqrt_or_nan(x):
    """sqrt(x) in x's own dtype; nan for x < 0 or nan (the GPU's sqrt does this by itself,
    but the CUDA simulator runs Python's math.sqrt, which raises on x < 0)."""
    if x >= 0:
        return math.sqrt(x)
    return (x - x) / (x - x)  # 0 / 0 (or nan): a nan of x's dtype


@cuda.jit(device=True)
def nan_maximum(a, b):
    """max(a, b) that returns nan if either is nan (torch.maximum)."""
    if math.isnan(a):
        return a
    if math.isnan(b) or b > a:
        return b
    return a


@cuda.jit
def sgd_update_kernel(param, grad, momentum_buffer, sign, use_l2, weight_decay, use_momentum,
                      first_step, nesterov, momentum, one_minus_dampening, neg_lr, size):
    """for i: SGD (momentum, dampening, nesterov, weight decay) on element i, in place."""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i]
        if use_l2:
            g = g + weight_decay * p                      # grad.add(param, alpha=wd)
        if use_momentum:
            buf = momentum_buffer[i] * momentum           # buf.mul_(momentum)
            buf = buf + one_minus_dampening * g           #    .add_(grad, alpha=1 - dampening)
            if first_step:
                buf = g                                   # first step: buf = grad.clone()
            momentum_buffer[i] = buf
            if nesterov:
                g = g + momentum * buf                    # grad.add(buf, alpha=momentum)
            else:
                g = buf
        param[i] = p + neg_lr * g                         # param.add_(grad, alpha=-lr)


@cuda.jit
def adam_update_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, sign, decay_factor,
                       use_l2, weight_decay, from_start, coefficient, beta2, one_minus_beta2,
                       amsgrad, neg_step_size, bias_correction2_sqrt, eps, size):
    """for i: Adam / AdamW (amsgrad, maximize) on element i, in place."""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i] * decay_factor                       # AdamW: param.mul_(1 - lr * wd)
        if use_l2:
            g = g + weight_decay * p                      # Adam: grad.add(param, alpha=wd)
        m = exp_avg[i]
        base = m if from_start else g
        m = base + coefficient * (g - m)                  # exp_avg.lerp_(grad, 1 - beta1)
        v = exp_avg_sq[i] * beta2                         # exp_avg_sq.mul_(beta2)
        v = v + one_minus_beta2 * g * g                   #    .addcmul_(grad, grad, 1 - beta2)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:
            v = nan_maximum(max_exp_avg_sq[i], v)         # torch.maximum(max_exp_avg_sq, v)
            max_exp_avg_sq[i] = v
        denominator = sqrt_or_nan(v) / bias_correction2_sqrt + eps
        param[i] = p + neg_step_size * m / denominator    # param.addcdiv_(m, denom, -step_size)


@cuda.jit
def rmsprop_update_kernel(param, grad, square_avg, grad_avg, momentum_buffer, sign, use_l2,
                          weight_decay, alpha, one_minus_alpha, centered, from_start,
                          coefficient, eps, use_momentum, momentum, neg_lr, size):
    """for i: RMSprop (centered, momentum, weight decay, maximize) on element i, in place."""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i]
        if use_l2:
            g = g + weight_decay * p                      # grad.add(param, alpha=wd)
        v = square_avg[i] * alpha                         # square_avg.mul_(alpha)
        v = v + one_minus_alpha * g * g                   #    .addcmul_(grad, grad, 1 - alpha)
        square_avg[i] = v
        if centered:
            mean = grad_avg[i]                            # grad_avg.lerp_(grad, 1 - alpha)
            base = mean if from_start else g
            mean = base + coefficient * (g - mean)
            grad_avg[i] = mean
            v = v - mean * mean                           # addcmul(mean, mean, value=-1)
        average = sqrt_or_nan(v) + eps                    # .sqrt_().add_(eps)
        if use_momentum:
            buf = momentum_buffer[i] * momentum           # buf.mul_(momentum)
            buf = buf + g / average                       #    .addcdiv_(grad, avg)
            momentum_buffer[i] = buf
            param[i] = p + neg_lr * buf                   # param.add_(buf, alpha=-lr)
        else:
            param[i] = p + neg_lr * g / average           # param.addcdiv_(grad, avg, -lr)


@cuda.jit
def adagrad_update_kernel(param, grad, state_sum, sign, use_l2, weight_decay, eps, neg_clr,
                          size):
    """for i: Adagrad (decayed rate, weight decay, maximize) on element i, in place."""
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        g = sign * grad[i]                                # -grad if maximize
        p = param[i]
        if use_l2:
            g = g + weight_decay * p                      # grad.add(param, alpha=wd)
        s = state_sum[i] + g * g                          # state_sum.addcmul_(grad, grad, 1)
        state_sum[i] = s
        std = sqrt_or_nan(s) + eps                        # state_sum.sqrt().add_(eps)
        param[i] = p + neg_clr * g / std                  # param.addcdiv_(grad, std, -clr)
