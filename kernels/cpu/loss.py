"""Cross entropy of logits and class indices, fused: the loss of every classifier's training.

x is an (N, C) strided view of logits, read as x[x0 + n * xr + c * xc]; target an (N,) int64
view, target[t0 + n * ts]; e = label smoothing. Per row (C is small, ~10: a serial loop over
rows, three passes over each row, all in float64):

    m = max_c x[n, c]          lse[n] = m + log(sum_c exp(x[n, c] - m))     (no overflow)
    loss[n] = (1 - e) (lse[n] - x[n, t]) + e (lse[n] - mean_c x[n, c])      (0 if ignored)
    grad_x[n, c] = (exp(x[n, c] - lse[n]) - e / C - (1 - e) [c == t]) * g[n]

Backward recomputes the softmax from the saved lse (one exp per element) rather than keeping
an (N, C) softmax from forward: at C ~ 10 the exps cost less than the buffer.
"""

import math

from kernels.cpu.jit import kernel

REDUCTIONS = {"none": 0, "sum": 1, "mean": 2}  # the kernels' `reduction` codes


@kernel
def cross_entropy_forward(x, x0, xr, xc, target, t0, ts, rows, classes, ignore_index,
                          smoothing, reduction, loss, lse):
    """for n: lse[n] as above; loss[n] (reduction 0) or loss[0] = sum_n loss[n] (1), or that
    over the rows not ignored (2). Returns the first row whose target is outside [0, C) and
    not ignore_index (then the outputs are incomplete), or -1."""
    total = 0.0
    count = 0
    for n in range(rows):
        base = x0 + n * xr
        top = -math.inf
        for c in range(classes):
            top = max(top, float(x[base + c * xc]))
        exps = 0.0
        row_sum = 0.0
        for c in range(classes):
            value = float(x[base + c * xc])
            exps += math.exp(value - top)
            row_sum += value
        row_lse = top + math.log(exps)
        lse[n] = row_lse
        t = target[t0 + n * ts]
        row_loss = 0.0
        if t != ignore_index:
            if t < 0 or t >= classes:
                return n
            row_loss = (1.0 - smoothing) * (row_lse - x[base + t * xc]) \
                + smoothing * (row_lse - row_sum / classes)
            count += 1
        if reduction == 0:
            loss[n] = row_loss
        else:
            total += row_loss
    if reduction == 1:
        loss[0] = total
    elif reduction == 2:
        loss[0] = total / count if count > 0 else math.nan  # all ignored: 0 / 0, as PyTorch
    return -1


@kernel
def cross_entropy_backward(x, x0, xr, xc, target, t0, ts, lse, grad, g0, gs, rows, classes,
                           ignore_index, smoothing, reduction, out):
    """for n, c: out[n * C + c] = (exp(x[n, c] - lse[n]) - e / C - (1 - e) [c == t]) * g[n],
    g[n] = grad[g0 + n * gs] (gs = 0 for a 0-d grad), divided by the count of rows not
    ignored when reduction is 2 (mean); 0 in ignored rows."""
    scale = 1.0
    if reduction == 2:
        count = 0
        for n in range(rows):
            if target[t0 + n * ts] != ignore_index:
                count += 1
        scale = 1.0 / count if count > 0 else 0.0
    uniform = smoothing / classes
    for n in range(rows):
        t = target[t0 + n * ts]
        g = grad[g0 + n * gs] * scale
        base = x0 + n * xr
        for c in range(classes):
            if t == ignore_index:
                out[n * classes + c] = 0.0
            else:
                p = math.exp(x[base + c * xc] - lse[n])
                hit = 1.0 - smoothing if c == t else 0.0
                out[n * classes + c] = (p - uniform - hit) * g
