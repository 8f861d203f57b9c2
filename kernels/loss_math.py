"""Per-row math of the fused cross entropy, in plain Python, compiled for each target.

kernels/cpu/loss.py compiles these with `inline` (njit) and kernels/cuda/loss.py with
`cuda.jit(device=True)`, so the CPU and the GPU share one definition (as with scalar_math).
x is a strided buffer of logits; a row's C values are x[base + c * stride]; e = smoothing.
"""

import math


def row_logsumexp(x, base, stride, classes):
    """(lse, total) of one row: m = max_c x_c, lse = m + log(sum_c exp(x_c - m)) (no overflow
    for large logits), total = sum_c x_c (for label smoothing's mean). In float64."""
    top = -math.inf
    for c in range(classes):
        top = max(top, float(x[base + c * stride]))
    exps = 0.0
    total = 0.0
    for c in range(classes):
        value = float(x[base + c * stride])
        exps += math.exp(value - top)
        total += value
    return top + math.log(exps), total


def row_loss(lse, target_logit, total, classes, smoothing):
    """(1 - e) (lse - x_t) + e (lse - mean_c x_c): -log softmax at the target, smoothed."""
    return (1.0 - smoothing) * (lse - target_logit) + smoothing * (lse - total / classes)


def grad_element(logit, lse, is_target, classes, smoothing, grad):
    """d loss / d x_c = (softmax_c - e / C - (1 - e) [c == t]) * grad, softmax_c from lse."""
    hit = 1.0 - smoothing if is_target else 0.0
    return (math.exp(logit - lse) - smoothing / classes - hit) * grad
