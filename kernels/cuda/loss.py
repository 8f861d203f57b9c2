"""Cross entropy of logits and class indices, fused: the GPU twins of kernels/cpu/loss.py.

x is an (N, C) strided view of logits, x[x0 + n * xr + c * xc]; target an (N,) int64 view,
target[t0 + n * ts]; e = label smoothing; all arithmetic in float64, as on the CPU.

Forward runs one thread per row (rows are short, C ~ 10): the row's softmax (kept for
backward), lse and loss, and for the
"sum" and "mean" reductions an atomic add of the loss and of 1 (the count) into `totals`;
then one thread writes loss[0] = total (or total / count). A bad target cannot raise on the
GPU: its row records itself in `bad` (atomic min, so the first bad row wins) and the host
raises after reading that one number. Backward runs one thread per element of grad_x.
"""

import math

from numba import cuda

from kernels import loss_math

row_softmax = cuda.jit(device=True)(loss_math.row_softmax)
row_loss = cuda.jit(device=True)(loss_math.row_loss)
grad_element = cuda.jit(device=True)(loss_math.grad_element)


@cuda.jit
def cross_entropy_rows_kernel(x, x0, xr, xc, target, t0, ts, rows, classes, ignore_index,
                              smoothing, reduction, loss, probabilities, totals, bad):
    """for n: m = max_c x[n, c]; lse = m + log(sum_c exp(x[n, c] - m)); the softmax
    exp(x[n, c] - lse) into probabilities[n * C + c]; row loss (1 - e)(lse - x[n, t]) +
    e (lse - mean_c x[n, c]) (0 if t == ignore_index) into loss[n] (reduction 0), else
    added to totals[0] and the count to totals[1]."""
    for n in range(cuda.grid(1), rows, cuda.gridsize(1)):
        base = x0 + n * xr
        row_lse, row_total = row_softmax(x, base, xc, classes, probabilities, n * classes)
        t = target[t0 + n * ts]
        value = 0.0
        counted = 0.0
        if t != ignore_index:
            if t < 0 or t >= classes:
                cuda.atomic.min(bad, 0, n)
            else:
                value = row_loss(row_lse, x[base + t * xc], row_total, classes, smoothing)
                counted = 1.0
        if reduction == 0:
            loss[n] = value
        else:
            cuda.atomic.add(totals, 0, value)
            cuda.atomic.add(totals, 1, counted)


@cuda.jit
def cross_entropy_total_kernel(totals, reduction, loss):
    """Thread 0: loss[0] = totals[0] (sum) or totals[0] / totals[1] (mean; nan if 0 rows)."""
    if cuda.grid(1) == 0:
        if reduction == 1:
            loss[0] = totals[0]
        elif totals[1] > 0:
            loss[0] = totals[0] / totals[1]
        else:
            loss[0] = math.nan


@cuda.jit
def cross_entropy_grad_kernel(probabilities, target, t0, ts, grad, g0, gs, scale, rows,
                              classes, ignore_index, smoothing, out):
    """for n, c: out[n * C + c] = (p[n * C + c] - e / C - (1 - e) [c == t]) * g, p the
    softmax forward kept, g = grad[g0 + n * gs] * scale[0]; 0 in rows where t is ignored."""
    for i in range(cuda.grid(1), rows * classes, cuda.gridsize(1)):
        n = i // classes
        c = i - n * classes
        t = target[t0 + n * ts]
        if t == ignore_index:
            out[i] = 0.0
        else:
            out[i] = grad_element(probabilities[i], c == t, classes, smoothing,
                                  grad[g0 + n * gs] * scale[0])


@cuda.jit
def count_kept_kernel(target, t0, ts, rows, ignore_index, scale):
    """scale[0] += 1 for every row whose target is not ignore_index (atomically)."""
    for n in range(cuda.grid(1), rows, cuda.gridsize(1)):
        if target[t0 + n * ts] != ignore_index:
            cuda.atomic.add(scale, 0, 1.0)


@cuda.jit
def invert_kernel(scale):
    """Thread 0: scale[0] = 1 / scale[0], or 0 when it is 0 (every row ignored)."""
    if cuda.grid(1) == 0:
        scale[0] = 1.0 / scale[0] if scale[0] > 0 else 0.0
