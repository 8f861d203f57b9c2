"""Convolution and max-pooling kernels: direct loops, one GPU thread per output element.

Shapes: x (N, C, H, W), weight (O, Cg, KH, KW) with Cg = C // groups, out (N, O, OH, OW).
`window` = (sh, sw, ph, pw, dh, dw): stride, padding (zeros before the first row/column)
and dilation. With (i, j) an output position and (p, q) a kernel tap,

    ih = i * sh - ph + p * dh        iw = j * sw - pw + q * dw
    out[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] * x[n, g * Cg + c, ih, iw]

where g = o // (O // groups) is o's group; a tap outside x reads zero (-inf for pooling).
The host picks OH, OW, so asymmetric padding and ceil_mode need nothing special here.

Every kernel is a grid-stride loop over the elements of its *output* and gathers what it
needs, so no two threads write one element and no atomics are needed:

- conv2d:             one thread per out[n, o, i, j], a loop over (c, p, q);
- conv2d_grad_input:  one thread per grad_x[n, c, ih, iw], a loop over (o, p, q) that keeps
  only the taps that land on (ih, iw): i = (ih + ph - p*dh) / sh when that divides evenly;
- conv2d_grad_weight: one thread per grad_weight[o, c, p, q], a loop over (n, i, j);
- max_pool2d:         one thread per window.

Inputs are strided views (`*_strides` in elements, `*_offset`); outputs are fresh contiguous
buffers. Sums start from `zero`, whose dtype is the accumulator's (the host picks it).
Direct loops keep this readable and exact on the simulator; on a real GPU im2col plus the
tiled matmul would reuse data from shared memory (not done here).
"""

import math

from numba import cuda


@cuda.jit(device=True)
def position4(strides, offset, a, b, c, d):
    """Flat buffer position of element [a, b, c, d] of a 4-d strided view."""
    return offset + a * strides[0] + b * strides[1] + c * strides[2] + d * strides[3]


@cuda.jit
def conv2d_kernel(zero, x, x_strides, x_offset, weight, w_strides, w_offset, bias, b_stride,
                  b_offset, has_bias, out, x_shape, w_shape, out_size, window, groups, size):
    """for idx = (n, o, i, j): out[idx] = bias[o] + sum_{c,p,q} weight[o,c,p,q] * x[n,.,ih,iw]"""
    height, width = x_shape[2], x_shape[3]
    o_total, cg, kh, kw = w_shape[0], w_shape[1], w_shape[2], w_shape[3]
    oh, ow = out_size[0], out_size[1]
    sh, sw, ph, pw, dh, dw = window
    og = o_total // groups
    for idx in range(cuda.grid(1), size, cuda.gridsize(1)):
        j = idx % ow
        i = (idx // ow) % oh
        o = (idx // (ow * oh)) % o_total
        n = idx // (ow * oh * o_total)
        c0 = (o // og) * cg
        accumulator = zero
        for c in range(cg):
            for p in range(kh):
                ih = i * sh - ph + p * dh
                if ih < 0 or ih >= height:
                    continue
                for q in range(kw):
                    iw = j * sw - pw + q * dw
                    if iw < 0 or iw >= width:
                        continue
                    accumulator += (weight[position4(w_strides, w_offset, o, c, p, q)]
                                    * x[position4(x_strides, x_offset, n, c0 + c, ih, iw)])
        if has_bias:
            accumulator += bias[b_offset + o * b_stride]
        out[idx] = accumulator


@cuda.jit
def conv2d_grad_input_kernel(zero, grad, g_strides, g_offset, weight, w_strides, w_offset,
                             grad_x, x_shape, w_shape, out_size, window, groups, size):
    """for idx = (n, c, ih, iw): grad_x[idx] = sum over (o in c's group, p, q) with
    ih = i*sh - ph + p*dh and iw = j*sw - pw + q*dw for some output (i, j) of
    weight[o, c % Cg, p, q] * grad[n, o, i, j]"""
    channels, height, width = x_shape[1], x_shape[2], x_shape[3]
    o_total, cg, kh, kw = w_shape[0], w_shape[1], w_shape[2], w_shape[3]
    oh, ow = out_size[0], out_size[1]
    sh, sw, ph, pw, dh, dw = window
    og = o_total // groups
    for idx in range(cuda.grid(1), size, cuda.gridsize(1)):
        iw = idx % width
        ih = (idx // width) % height
        c = (idx // (width * height)) % channels
        n = idx // (width * height * channels)
        o0 = (c // cg) * og
        accumulator = zero
        for o in range(o0, o0 + og):
            for p in range(kh):
                row = ih + ph - p * dh  # = i * sh for the output row i this tap comes from
                if row < 0 or row % sh != 0 or row // sh >= oh:
                    continue
                for q in range(kw):
                    column = iw + pw - q * dw
                    if column < 0 or column % sw != 0 or column // sw >= ow:
                        continue
                    accumulator += (
                        weight[position4(w_strides, w_offset, o, c % cg, p, q)]
                        * grad[position4(g_strides, g_offset, n, o, row // sh, column // sw)])
        grad_x[idx] = accumulator


@cuda.jit
def conv2d_grad_weight_kernel(zero, x, x_strides, x_offset, grad, g_strides, g_offset,
                              grad_weight, x_shape, w_shape, out_size, window, groups, size):
    """for idx = (o, c, p, q): grad_weight[idx] = sum_{n,i,j} grad[n,o,i,j] * x[n,g*Cg+c,ih,iw]"""
    n_batch, height, width = x_shape[0], x_shape[2], x_shape[3]
    o_total, cg, kh, kw = w_shape[0], w_shape[1], w_shape[2], w_shape[3]
    oh, ow = out_size[0], out_size[1]
    sh, sw, ph, pw, dh, dw = window
    og = o_total // groups
    for idx in range(cuda.grid(1), size, cuda.gridsize(1)):
        q = idx % kw
        p = (idx // kw) % kh
        c = (idx // (kw * kh)) % cg
        o = idx // (kw * kh * cg)
        channel = (o // og) * cg + c
        accumulator = zero
        for n in range(n_batch):
            for i in range(oh):
                ih = i * sh - ph + p * dh
                if ih < 0 or ih >= height:
                    continue
                for j in range(ow):
                    iw = j * sw - pw + q * dw
                    if iw < 0 or iw >= width:
                        continue
                    accumulator += (grad[position4(g_strides, g_offset, n, o, i, j)]
                                    * x[position4(x_strides, x_offset, n, channel, ih, iw)])
        grad_weight[idx] = accumulator


@cuda.jit
def max_pool2d_kernel(x, x_strides, x_offset, values, positions, x_shape, out_size,
                      kernel_size, window, size):
    """for idx = (n, c, i, j): values[idx] = the max of the window, positions[idx] = its
    row-major element number in x (the first max; a nan wins, as in PyTorch). A window with
    no element inside x gives -inf at its first tap, as kernels/cpu/conv.py does."""
    channels, height, width = x_shape[1], x_shape[2], x_shape[3]
    kh, kw = kernel_size[0], kernel_size[1]
    oh, ow = out_size[0], out_size[1]
    sh, sw, ph, pw, dh, dw = window
    for idx in range(cuda.grid(1), size, cuda.gridsize(1)):
        j = idx % ow
        i = (idx // ow) % oh
        plane = idx // (ow * oh)  # n * channels + c
        n = plane // channels
        c = plane % channels
        base = plane * height * width
        ih0 = i * sh - ph
        iw0 = j * sw - pw
        best = -math.inf
        # the window's first tap clamped into x (not max(): see loss_math.row_softmax)
        best_position = base + (ih0 if ih0 > 0 else 0) * width + (iw0 if iw0 > 0 else 0)
        for p in range(kh):
            ih = ih0 + p * dh
            if ih < 0 or ih >= height:
                continue
            for q in range(kw):
                iw = iw0 + q * dw
                if iw < 0 or iw >= width:
                    continue
                value = x[position4(x_strides, x_offset, n, c, ih, iw)]
                if value > best or math.isnan(value):
                    best = value
                    best_position = base + ih * width + iw
        values[idx] = best
        positions[idx] = best_position
