"""Per-row math of the fused cross entropy, in plain Python, compiled for each target.

kernels/cpu/loss.py compiles these with `inline` (njit) and kernels/cuda/loss.py with
`cuda.jit(device=True)`, so the CPU and the GPU share one definition (as with scalar_math).
x is a strided buffer of logits; a row's C values are x[base + c * stride]; e = smoothing.
"""

import math


def row_softmax(x, base, stride, classes, probabilities, first):
    """Softmax of one row into probabilities[first : first + C], and (lse, total):
    m = max_c x_c, p_c = exp(x_c - m) / sum_c exp(x_c - m), lse = m + log(sum_c exp(x_c - m))
    (no overflow for large logits), total = sum_c x_c (for label smoothing's mean). In
    float64; one exp per element, kept for backward, which then needs no exp at all."""
    top = -math.inf
    for c in range(classes):
        value = float(x[base + c * stride])
        if value > top:  # top = max(top, value); Numba's built-in CUDA target has no max()
            top = value
    exps = 0.0
    total = 0.0
    for c in range(classes):
        value = float(x[base + c * stride])
        e = math.exp(value - top)
        probabilities[first + c] = e
        exps += e
        total += value
    scale = 1.0 / exps
    for c in range(classes):
        probabilities[first + c] *= scale
    return top + math.log(exps), total


def row_loss(lse, target_logit, total, classes, smoothing):
    """(1 - e) (lse - x_t) + e (lse - mean_c x_c): -log softmax at the target, smoothed."""
    return (1.0 - smoothing) * (lse - target_logit) + smoothing * (lse - total / classes)


def grad_element(probability, is_target, classes, smoothing, grad):
    """d loss / d x_c = (softmax_c - e / C - (1 - e) [c == t]) * grad."""
    hit = 1.0 - smoothing if is_target else 0.0
    return (probability - smoothing / classes - hit) * grad
