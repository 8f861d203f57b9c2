"""Convolution and max-pooling kernels for the CPU, two strategies for convolution.

Shapes: x (N, C, H, W), weight (O, C // groups, KH, KW), out (N, O, OH, OW). Window geometry
is (stride sh, sw), (padding ph, pw: zeros before the first row/column), (dilation dh, dw);
the caller picks OH, OW, so asymmetric padding ('same' with an even kernel) and pooling's
ceil_mode need nothing special here: a tap that falls outside the input reads zero (-inf
for max pooling). With i, j an output position and p, q a kernel tap:

    ih = i * sh - ph + p * dh        iw = j * sw - pw + q * dw
    out[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] * x[n, g * Cg + c, ih, iw]

where g = o // (O // groups) is o's group and Cg = C // groups (an empty bias: no bias).

- im2col + matmul (`conv2d_im2col`, ...): copy every receptive field of a chunk of samples
  into the columns of `cols` (Cg*KH*KW rows, samples*OH*OW columns); then the convolution is
  one matrix product, weight (Og, Cg*KH*KW) @ cols, done by BLAS (`np.dot`). The backward
  passes are matrix products too, plus `col2im` (the adjoint of im2col: add columns back).
- direct (`conv2d_direct`, ...): the sum above as plain loops, split over (sample, channel)
  pairs (or channel pairs for the weight gradient) with `prange`. No extra memory, no BLAS.

benchmarks/conv.py times both: im2col is 2-10x faster here, so it is the backend's default
(CPUBackend.conv_kernel = "im2col"; set "direct" to compare).
Arrays reach these kernels C-contiguous (the backend copies strided views first).
"""

import numpy as np
from numba import prange

from kernels.cpu.jit import inline, kernel, parallel_kernel


@inline
def _valid_columns(width, out_width, sw, shift):
    """The range [lo, hi) of output columns j with 0 <= j * sw - shift < width."""
    lo = max(0, -((-shift) // sw))
    hi = min(out_width, (width - 1 + shift) // sw + 1)
    return lo, max(lo, hi)


# ---------------------------------------------------------------------------- im2col

# Samples are processed in chunks whose columns buffer stays cache-sized (1 MiB in float32):
# im2col writes it and the matrix product reads it back before it leaves the cache.
CHUNK_ELEMENTS = 1 << 18


@kernel
def im2col(x, n, c0, cols, col0, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw):
    """for c < rows / (kh*kw), p, q, i, j: cols[(c*kh + p)*kw + q, col0 + i*ow + j] =
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
                    base = col0 + i * ow
                    if ih < 0 or ih >= height:
                        for j in range(ow):
                            cols[row, base + j] = 0
                        continue
                    for j in range(lo):
                        cols[row, base + j] = 0
                    for j in range(lo, hi):
                        cols[row, base + j] = x[n, c0 + c, ih, j * sw - shift]
                    for j in range(hi, ow):
                        cols[row, base + j] = 0


@kernel
def col2im(cols, col0, grad_x, n, c0, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw):
    """The adjoint of im2col: grad_x[n, c0 + c, ih, iw] += cols[(c*kh + p)*kw + q, col0 + ...]"""
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
                    base = col0 + i * ow
                    for j in range(lo, hi):
                        grad_x[n, c0 + c, ih, j * sw - shift] += cols[row, base + j]


@kernel
def _chunk_size(n_batch, rows, length):
    """How many samples share one columns buffer (and one matrix product)."""
    return max(1, min(n_batch, CHUNK_ELEMENTS // max(1, rows * length)))


@kernel
def _gather_grad(grad3, n0, count, o0, og, buffer):
    """buffer[o, k*L + l] = grad3[n0 + k, o0 + o, l]: a chunk of the output gradient as a
    matrix with one column per output position."""
    length = grad3.shape[2]
    for k in range(count):
        for o in range(og):
            for position in range(length):
                buffer[o, k * length + position] = grad3[n0 + k, o0 + o, position]


@kernel
def conv2d_im2col(x, weight, bias, out, sh, sw, ph, pw, dh, dw, groups):
    """for each chunk of samples and group g: cols = im2col(chunk, group g) (Cg*KH*KW,
    samples*OH*OW); product = weight[group g] (Og, Cg*KH*KW) @ cols; out[chunk, group g] =
    product with its columns put back per sample, + bias[o] (bias may be empty: no bias).
    One big BLAS product per chunk."""
    n_batch = x.shape[0]
    o_total, cg, kh, kw = weight.shape
    oh, ow = out.shape[2], out.shape[3]
    og = o_total // groups
    rows = cg * kh * kw
    length = oh * ow
    w2 = weight.reshape(o_total, rows)
    out3 = out.reshape(n_batch, o_total, length)
    chunk = _chunk_size(n_batch, rows, length)
    for n0 in range(0, n_batch, chunk):
        count = min(chunk, n_batch - n0)
        cols = np.empty((rows, count * length), dtype=x.dtype)
        product = np.empty((og, count * length), dtype=out.dtype)
        for g in range(groups):
            for k in range(count):
                im2col(x, n0 + k, g * cg, cols, k * length, oh, ow, kh, kw, sh, sw, ph, pw,
                       dh, dw)
            np.dot(w2[g * og:(g + 1) * og], cols, product)
            for k in range(count):
                for o in range(og):
                    shift = bias[g * og + o] if bias.shape[0] else 0.0
                    for position in range(length):
                        out3[n0 + k, g * og + o, position] = \
                            product[o, k * length + position] + shift


@kernel
def conv2d_grad_input_im2col(grad, weight, grad_x, sh, sw, ph, pw, dh, dw, groups):
    """for each chunk and group g: cols = weight[group g]^T @ grad[chunk, group g] (as a
    matrix); grad_x[chunk] += col2im(cols). grad_x must start at zero."""
    n_batch = grad.shape[0]
    o_total, cg, kh, kw = weight.shape
    oh, ow = grad.shape[2], grad.shape[3]
    og = o_total // groups
    rows = cg * kh * kw
    length = oh * ow
    w2 = weight.reshape(o_total, rows)
    grad3 = grad.reshape(n_batch, o_total, length)
    chunk = _chunk_size(n_batch, rows, length)
    for n0 in range(0, n_batch, chunk):
        count = min(chunk, n_batch - n0)
        cols = np.empty((rows, count * length), dtype=grad.dtype)
        grad_matrix = np.empty((og, count * length), dtype=grad.dtype)
        for g in range(groups):
            _gather_grad(grad3, n0, count, g * og, og, grad_matrix)
            np.dot(w2[g * og:(g + 1) * og].T, grad_matrix, cols)
            for k in range(count):
                col2im(cols, k * length, grad_x, n0 + k, g * cg, oh, ow, kh, kw, sh, sw, ph,
                       pw, dh, dw)


@kernel
def conv2d_grad_weight_im2col(x, grad, grad_weight, sh, sw, ph, pw, dh, dw, groups):
    """grad_weight[group g] = sum over chunks of grad[chunk, group g] (Og, samples*OH*OW)
    @ im2col(chunk, group g)^T"""
    n_batch = x.shape[0]
    o_total, cg, kh, kw = grad_weight.shape
    oh, ow = grad.shape[2], grad.shape[3]
    og = o_total // groups
    rows = cg * kh * kw
    length = oh * ow
    grad3 = grad.reshape(n_batch, o_total, length)
    accumulator = np.zeros((o_total, rows), dtype=grad.dtype)
    partial = np.empty((og, rows), dtype=grad.dtype)
    chunk = _chunk_size(n_batch, rows, length)
    for n0 in range(0, n_batch, chunk):
        count = min(chunk, n_batch - n0)
        cols = np.empty((rows, count * length), dtype=x.dtype)
        grad_matrix = np.empty((og, count * length), dtype=grad.dtype)
        for g in range(groups):
            for k in range(count):
                im2col(x, n0 + k, g * cg, cols, k * length, oh, ow, kh, kw, sh, sw, ph, pw,
                       dh, dw)
            _gather_grad(grad3, n0, count, g * og, og, grad_matrix)
            np.dot(grad_matrix, cols.T, partial)
            accumulator[g * og:(g + 1) * og] += partial
    grad_weight[...] = accumulator.reshape(grad_weight.shape)


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
    """for o: out[o] = sum_{n, i, j} grad[n, o, i, j]  (accumulated in float64)"""
    n_batch, o_total = grad.shape[0], grad.shape[1]
    grad3 = grad.reshape(n_batch, o_total, -1)
    for o in range(o_total):
        total = 0.0
        for n in range(n_batch):
            for position in range(grad3.shape[2]):
                total += grad3[n, o, position]
        out[o] = total


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
