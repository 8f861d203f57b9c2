"""Convolution and max-pooling kernels for the CPU, two strategies for convolution.

Shapes: x (N, C, H, W), weight (O, C // groups, KH, KW), out (N, O, OH, OW). Window geometry
is (stride sh, sw), (padding ph, pw: zeros before the first row/column), (dilation dh, dw);
the caller picks OH, OW, so asymmetric padding ('same' with an even kernel) and pooling's
ceil_mode need nothing special here: a tap that falls outside the input reads zero (-inf
for max pooling). With i, j an output position and p, q a kernel tap:

    ih = i * sh - ph + p * dh        iw = j * sw - pw + q * dw
    out[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] * x[n, g * Cg + c, ih, iw]

where g = o // (O // groups) is o's group and Cg = C // groups (an empty bias: no bias).

- im2col + matmul (`conv2d_im2col`, ...): copy every receptive field of one sample into the
  columns of `cols` (Cg*KH*KW rows, OH*OW columns); then that sample's convolution is one
  matrix product, weight (Og, Cg*KH*KW) @ cols, done by BLAS (`np.dot`), and runs of samples
  go in parallel. The backward passes are matrix products too, plus `col2im` (the adjoint of
  im2col: add columns back).
- direct (`conv2d_direct`, ...): the sum above as plain loops, split over (sample, channel)
  pairs (or channel pairs for the weight gradient) with `prange`. No extra memory, no BLAS.

benchmarks/conv.py times both: im2col is 5-25x faster here, so it is the backend's default
(CPUBackend.conv_kernel = "im2col"; set "direct" to compare).
Arrays reach these kernels C-contiguous (the backend copies strided views first).
"""

import numpy as np
from numba import prange

from kernels.cpu.blas_threads import SMALL_FLOPS
from kernels.cpu.jit import inline, kernel, parallel_kernel


@inline
def _valid_columns(width, out_width, sw, shift):
    """The range [lo, hi) of output columns j with 0 <= j * sw - shift < width."""
    lo = max(0, -((-shift) // sw))
    hi = min(out_width, (width - 1 + shift) // sw + 1)
    return lo, max(lo, hi)


# ---------------------------------------------------------------------------- im2col

# The batch is split into PARTS runs of consecutive samples, done in parallel (prange; a
# launch costs ~3 us here when the machine is idle). Each run reuses one columns buffer of
# one sample, (Cg*KH*KW, OH*OW): small enough to stay in cache between im2col writing it and
# BLAS reading it back. A fixed number of parts, not one per thread, keeps the result the
# same whatever the thread count: grad_weight adds one partial sum per part, in order.
# From SMALL_FLOPS on, the backend gives BLAS all the cores (kernels/cpu/blas_threads.py):
# then the samples run one after another instead, as BLAS must not be called from inside a
# parallel loop while it runs threads of its own (OpenBLAS warns that it may hang).
# (Numba freezes SMALL_FLOPS into the cached kernels: after changing it, touch this file.)
PARTS = 8
# The serial branch starts at sample FIRST, an int64 like the parallel branch's `first`: a
# literal 0 there would make Numba compile each *_samples kernel twice (for Literal[int](0)).
FIRST = np.int64(0)


@inline
def _parts(n_batch, flops):
    """How many runs of samples to do in parallel: 1 (serial) once BLAS is threaded."""
    return 1 if flops >= SMALL_FLOPS else min(PARTS, n_batch)


@inline
def _samples_of(part, parts, n_batch):
    """The samples [first, stop) of run `part` out of `parts` (sizes differ by at most 1)."""
    return part * n_batch // parts, (part + 1) * n_batch // parts


# In the copy loops below, np.uintp(...) marks an index as unsigned. Numba wraps negative
# indices (a[-1] is the last element), which costs a test per element and keeps LLVM from
# vectorising the loop; these indices are never negative ([lo, hi) keeps iw inside x), and
# saying so makes im2col 3-6x faster.


@inline
def im2col(x, n, c0, cols, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw):
    """for c < rows / (kh*kw), p, q, i, j: cols[(c*kh + p)*kw + q, i*ow + j] =
    x[n, c0 + c, ih, iw], or 0 where (ih, iw) falls outside x"""
    height, width = x.shape[2], x.shape[3]
    channels = cols.shape[0] // (kh * kw)
    for c in range(channels):
        for p in range(kh):
            for q in range(kw):
                row = (c * kh + p) * kw + q
                shift = pw - q * dw
                lo, hi = _valid_columns(width, ow, sw, shift)
                for i in range(oh):
                    ih = i * sh - ph + p * dh
                    base = i * ow
                    if ih < 0 or ih >= height:
                        for j in range(ow):
                            cols[row, np.uintp(base + j)] = 0
                        continue
                    for j in range(lo):
                        cols[row, np.uintp(base + j)] = 0
                    for j in range(lo, hi):
                        cols[row, np.uintp(base + j)] = x[n, c0 + c, ih, np.uintp(j * sw - shift)]
                    for j in range(hi, ow):
                        cols[row, np.uintp(base + j)] = 0


@inline
def col2im(cols, grad_x, n, c0, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw):
    """The adjoint of im2col: grad_x[n, c0 + c, ih, iw] += cols[(c*kh + p)*kw + q, i*ow + j]"""
    height, width = grad_x.shape[2], grad_x.shape[3]
    channels = cols.shape[0] // (kh * kw)
    for c in range(channels):
        for p in range(kh):
            for q in range(kw):
                row = (c * kh + p) * kw + q
                shift = pw - q * dw
                lo, hi = _valid_columns(width, ow, sw, shift)
                for i in range(oh):
                    ih = i * sh - ph + p * dh
                    if ih < 0 or ih >= height:
                        continue
                    base = i * ow
                    for j in range(lo, hi):
                        grad_x[n, c0 + c, ih, np.uintp(j * sw - shift)] += \
                            cols[row, np.uintp(base + j)]


@kernel
def _forward_samples(x, weight, bias, out, first, stop, sh, sw, ph, pw, dh, dw, groups):
    """for n in [first, stop) and group g: cols = im2col(x[n], group g) (Cg*KH*KW, OH*OW);
    out[n, group g] = weight[group g] (Og, Cg*KH*KW) @ cols, one BLAS product written
    straight into out; then out[n, o] += bias[o] (bias empty: no bias)."""
    n_batch = x.shape[0]
    o_total, cg, kh, kw = weight.shape
    oh, ow = out.shape[2], out.shape[3]
    og = o_total // groups
    length = oh * ow
    w3 = weight.reshape(groups, og, cg * kh * kw)
    out3 = out.reshape(n_batch, o_total, length)
    out4 = out.reshape(n_batch, groups, og, length)
    cols = np.empty((cg * kh * kw, length), dtype=x.dtype)
    for n in range(first, stop):
        for g in range(groups):
            im2col(x, n, g * cg, cols, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)
            np.dot(w3[g], cols, out4[n, g])
        if bias.shape[0]:
            for o in range(o_total):
                out3[n, o] += bias[o]


@parallel_kernel
def conv2d_im2col(x, weight, bias, out, sh, sw, ph, pw, dh, dw, groups):
    """for each run of samples (in parallel): _forward_samples (one product per sample)"""
    n_batch = x.shape[0]
    parts = _parts(n_batch, out.size * weight[0].size)
    if parts == 1:
        _forward_samples(x, weight, bias, out, FIRST, n_batch, sh, sw, ph, pw, dh, dw, groups)
        return
    for part in prange(parts):
        first, stop = _samples_of(part, parts, n_batch)
        _forward_samples(x, weight, bias, out, first, stop, sh, sw, ph, pw, dh, dw, groups)


@kernel
def _grad_input_samples(grad, weight, grad_x, first, stop, sh, sw, ph, pw, dh, dw, groups):
    """for n in [first, stop) and group g: cols = weight[group g]^T @ grad[n, group g]
    (Cg*KH*KW, OH*OW); grad_x[n] += col2im(cols)"""
    n_batch = grad.shape[0]
    o_total, cg, kh, kw = weight.shape
    oh, ow = grad.shape[2], grad.shape[3]
    og = o_total // groups
    w3 = weight.reshape(groups, og, cg * kh * kw)
    grad4 = grad.reshape(n_batch, groups, og, oh * ow)
    cols = np.empty((cg * kh * kw, oh * ow), dtype=grad.dtype)
    for n in range(first, stop):
        for g in range(groups):
            np.dot(w3[g].T, grad4[n, g], cols)
            col2im(cols, grad_x, n, g * cg, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)


@parallel_kernel
def conv2d_grad_input_im2col(grad, weight, grad_x, sh, sw, ph, pw, dh, dw, groups):
    """for each run of samples (in parallel): _grad_input_samples. grad_x must start at 0."""
    n_batch = grad.shape[0]
    parts = _parts(n_batch, grad.size * weight[0].size)
    if parts == 1:
        _grad_input_samples(grad, weight, grad_x, FIRST, n_batch, sh, sw, ph, pw, dh, dw,
                            groups)
        return
    for part in prange(parts):
        first, stop = _samples_of(part, parts, n_batch)
        _grad_input_samples(grad, weight, grad_x, first, stop, sh, sw, ph, pw, dh, dw, groups)


@kernel
def _grad_weight_samples(x, grad, total, kh, kw, first, stop, sh, sw, ph, pw, dh, dw):
    """total[g] (Og, Cg*KH*KW) = sum over n in [first, stop) of grad[n, group g] (Og, OH*OW)
    @ im2col(x[n], group g)^T (OH*OW, Cg*KH*KW), for every group g; total starts at 0."""
    n_batch = x.shape[0]
    groups, og, rows = total.shape
    oh, ow = grad.shape[2], grad.shape[3]
    cg = rows // (kh * kw)
    grad4 = grad.reshape(n_batch, groups, og, oh * ow)
    cols = np.empty((rows, oh * ow), dtype=x.dtype)
    product = np.empty((og, rows), dtype=grad.dtype)
    for n in range(first, stop):
        for g in range(groups):
            im2col(x, n, g * cg, cols, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)
            np.dot(grad4[n, g], cols.T, product)
            total[g] += product


@parallel_kernel
def conv2d_grad_weight_im2col(x, grad, grad_weight, sh, sw, ph, pw, dh, dw, groups):
    """grad_weight = the sum of _grad_weight_samples over the runs of samples: each run (in
    parallel) sums into a partial result of its own; the partials are added in order."""
    n_batch = x.shape[0]
    o_total, cg, kh, kw = grad_weight.shape
    parts = _parts(n_batch, grad.size * grad_weight[0].size)
    partial = np.zeros((parts, groups, o_total // groups, cg * kh * kw), dtype=grad.dtype)
    if parts == 1:
        _grad_weight_samples(x, grad, partial[0], kh, kw, FIRST, n_batch, sh, sw, ph, pw, dh,
                             dw)
    else:
        for part in prange(parts):
            first, stop = _samples_of(part, parts, n_batch)
            _grad_weight_samples(x, grad, partial[part], kh, kw, first, stop, sh, sw, ph, pw,
                                 dh, dw)
    _add_partials(partial.reshape(parts, -1), grad_weight.reshape(-1))


@inline
def _add_partials(partial, total):
    """total[i] = partial[0, i] + partial[1, i] + ... (in order, so results are repeatable).
    Plain loops: the array expression `total += partial[part]` compiled 3x slower."""
    for i in range(total.shape[0]):
        value = partial[0, i]
        for part in range(1, partial.shape[0]):
            value += partial[part, i]
        total[i] = value


# ---------------------------------------------------------------------------- direct loops


@parallel_kernel
def conv2d_direct(x, weight, bias, out, sh, sw, ph, pw, dh, dw, groups):
    """for (n, o) (in parallel): out[n, o] = bias[o] (if any); for c, p, q, i, j:
    out[n, o, i, j] += weight[o, c, p, q] * x[n, g*Cg + c, ih, iw]"""
    n_batch, _, height, width = x.shape
    o_total, cg, kh, kw = weight.shape
    oh, ow = out.shape[2], out.shape[3]
    og = o_total // groups
    for job in prange(n_batch * o_total):
        n = job // o_total
        o = job % o_total
        c0 = (o // og) * cg
        plane = out[n, o]
        plane[:] = bias[o] if bias.shape[0] else 0.0
        for c in range(cg):
            for p in range(kh):
                for q in range(kw):
                    tap = weight[o, c, p, q]
                    shift = pw - q * dw
                    lo, hi = _valid_columns(width, ow, sw, shift)
                    for i in range(oh):
                        ih = i * sh - ph + p * dh
                        if ih < 0 or ih >= height:
                            continue
                        source = x[n, c0 + c, ih]  # one input row, one output row
                        target = plane[i]
                        for j in range(lo, hi):
                            target[j] += tap * source[j * sw - shift]


@parallel_kernel
def conv2d_grad_input_direct(grad, weight, grad_x, sh, sw, ph, pw, dh, dw, groups):
    """for n (in parallel), o, c, p, q, i, j: grad_x[n, c, ih, iw] += weight * grad[n, o, i, j]"""
    n_batch, _, height, width = grad_x.shape
    o_total, cg, kh, kw = weight.shape
    oh, ow = grad.shape[2], grad.shape[3]
    og = o_total // groups
    for n in prange(n_batch):
        for o in range(o_total):
            c0 = (o // og) * cg
            for c in range(cg):
                for p in range(kh):
                    for q in range(kw):
                        tap = weight[o, c, p, q]
                        shift = pw - q * dw
                        lo, hi = _valid_columns(width, ow, sw, shift)
                        for i in range(oh):
                            ih = i * sh - ph + p * dh
                            if ih < 0 or ih >= height:
                                continue
                            for j in range(lo, hi):
                                grad_x[n, c0 + c, ih, j * sw - shift] += tap * grad[n, o, i, j]


@parallel_kernel
def conv2d_grad_weight_direct(x, grad, grad_weight, sh, sw, ph, pw, dh, dw, groups):
    """for o, c (in parallel), p, q: grad_weight[o, c, p, q] = sum_{n,i,j} grad[n,o,i,j] * x[..]"""
    n_batch, _, height, width = x.shape
    o_total, cg, kh, kw = grad_weight.shape
    oh, ow = grad.shape[2], grad.shape[3]
    og = o_total // groups
    for job in prange(o_total * cg):
        o = job // cg
        c = job % cg
        channel = (o // og) * cg + c
        for p in range(kh):
            for q in range(kw):
                shift = pw - q * dw
                lo, hi = _valid_columns(width, ow, sw, shift)
                total = 0.0
                for n in range(n_batch):
                    for i in range(oh):
                        ih = i * sh - ph + p * dh
                        if ih < 0 or ih >= height:
                            continue
                        for j in range(lo, hi):
                            total += grad[n, o, i, j] * x[n, channel, ih, j * sw - shift]
                grad_weight[o, c, p, q] = total


@kernel
def conv2d_grad_bias(grad, out):
    """for o: out[o] = sum_{n, i, j} grad[n, o, i, j]  (accumulated in float64)

    Summed over n first, into one running total per position: those sums are independent,
    so the compiler vectorises them (a single running total cannot be: each addition waits
    for the one before, and without fastmath the order of float additions is kept)."""
    n_batch, o_total = grad.shape[0], grad.shape[1]
    grad3 = grad.reshape(n_batch, o_total, -1)
    length = grad3.shape[2]
    per_position = np.empty(length, dtype=np.float64)
    for o in range(o_total):
        per_position[:] = 0.0
        for n in range(n_batch):
            for position in range(length):
                per_position[position] += grad3[n, o, position]
        out[o] = per_position.sum()


# ---------------------------------------------------------------------------- max pooling


@kernel
def max_pool2d(x, out, positions, kh, kw, sh, sw, ph, pw, dh, dw):
    """for each (n, c) plane, i, j: out[n, c, i, j] = the max of the window, and
    positions[n, c, i, j] = its row-major element number in x (the first max; a NaN wins,
    as in PyTorch). A window with no element inside x gives -inf at its first tap."""
    n_batch, channels, height, width = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for plane in range(n_batch * channels):
        n = plane // channels
        c = plane % channels
        base = plane * height * width
        for i in range(oh):
            ih0 = i * sh - ph
            for j in range(ow):
                iw0 = j * sw - pw
                best = -np.inf
                best_position = base + max(ih0, 0) * width + max(iw0, 0)
                for p in range(kh):
                    ih = ih0 + p * dh
                    if ih < 0 or ih >= height:
                        continue
                    for q in range(kw):
                        iw = iw0 + q * dw
                        if iw < 0 or iw >= width:
                            continue
                        value = x[n, c, ih, iw]
                        if value > best or np.isnan(value):
                            best = value
                            best_position = base + ih * width + iw
                out[n, c, i, j] = best
                positions[n, c, i, j] = best_position
