"""Cross entropy of logits and class indices, fused: the loss of every classifier's training.

x is an (N, C) strided view of logits, read as x[x0 + n * xr + c * xc]; target an (N,) int64
view, target[t0 + n * ts]; e = label smoothing. Per row (C is small, ~10: a serial loop over
rows, three passes over each row, all in float64):

    m = max_c x[n, c]          lse[n] = m + log(sum_c exp(x[n, c] - m))     (no overflow)
    p[n, c] = exp(x[n, c] - lse[n])                                         (the softmax)
    loss[n] = (1 - e) (lse[n] - x[n, t]) + e (lse[n] - mean_c x[n, c])      (0 if ignored)
    grad_x[n, c] = (p[n, c] - e / C - (1 - e) [c == t]) * g[n]

The per-row formulas live once in kernels/loss_math.py, shared with the GPU kernels.
Forward keeps the softmax p (N, C float64, as PyTorch's log_softmax keeps its output) for
backward, which then does no exp: exps are most of this loss's time (1280 of them, ~6 us,
for the digits MLP's (128, 10) logits; backward with p takes ~1 us).
"""

import math

from kernels import loss_math
from kernels.cpu.jit import inline, kernel

row_softmax = inline(loss_math.row_softmax)
row_loss = inline(loss_math.row_loss)
grad_element = inline(loss_math.grad_element)

REDUCTIONS = {"none": 0, "sum": 1, "mean": 2}  # the kernels' `reduction` codes


@kernel
def cross_entropy_forward(x, x0, xr, xc, target, t0, ts, rows, classes, ignore_index,
                          smoothing, reduction, loss, probabilities):
    """for n: the softmax p[n] into probabilities[n * C : (n + 1) * C]; loss[n] (reduction
    0) or loss[0] = sum_n loss[n] (1), or that over the rows not ignored (2). Returns the
    first row whose target is outside [0, C) and not ignore_index (then the outputs are
    incomplete), or -1."""
    total = 0.0
    count = 0
    for n in range(rows):
        base = x0 + n * xr
        row_lse, row_total = row_softmax(x, base, xc, classes, probabilities, n * classes)
        t = target[t0 + n * ts]
        value = 0.0
        if t != ignore_index:
            if t < 0 or t >= classes:
                return n
            value = row_loss(row_lse, x[base + t * xc], row_total, classes, smoothing)
            count += 1
        if reduction == 0:
            loss[n] = value
        else:
            total += value
    if reduction == 1:
        loss[0] = total
    elif reduction == 2:
        loss[0] = total / count if count > 0 else math.nan  # all ignored: 0 / 0, as PyTorch
    return -1


@kernel
def cross_entropy_backward(probabilities, target, t0, ts, grad, g0, gs, rows, classes,
                           ignore_index, smoothing, reduction, out):
    """for n, c: out[n * C + c] = (p[n, c] - e / C - (1 - e) [c == t]) * g[n], p[n, c] =
    probabilities[n * C + c], g[n] = grad[g0 + n * gs] (gs = 0 for a 0-d grad), divided by
    the count of rows not ignored when reduction is 2 (mean); 0 in ignored rows."""
    scale = 1.0
    if reduction == 2:
        count = 0
        for n in range(rows):
            if target[t0 + n * ts] != ignore_index:
                count += 1
        scale = 1.0 / count if count > 0 else 0.0
    for n in range(rows):
        t = target[t0 + n * ts]
        g = grad[g0 + n * gs] * scale
        first = n * classes
        for c in range(classes):
            if t == ignore_index:
                out[first + c] = 0.0
            else:
                out[first + c] = grad_element(probabilities[first + c], c == t, classes,
                                              smoothing, g)
