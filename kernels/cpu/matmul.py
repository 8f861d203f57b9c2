"""Matrix multiply, three ways, for a learner to compare (benchmarks/matmul.py times them).

All compute out[b, i, j] = sum_p a[b, i, p] * b[b, p, j] for every batch index b.

- `matmul_naive`: the textbook triple loop; the inner loop walks a column of `b`, which
  jumps across memory, so it is slow.
- `matmul_tiled`: the same sums, reordered into blocks that stay in the CPU cache (TILE rows
  of `a` and `out`, TILE rows of `b` at a time, COLUMN_TILE columns), with the i-p-j loop
  order: the innermost loop reads a row of `b` and updates a row of `out`, both contiguous,
  so the compiler turns it into SIMD instructions (8 or 16 floats at a time). The blocks of
  rows are split across threads with `prange`. About 10x faster than the same blocking with
  the innermost loop indexing 2-d arrays (benchmarks/kernels.py).
- `matmul_blas`: `np.dot` inside `@njit`, which Numba turns into a call to the BLAS library
  NumPy ships with: decades of tuning. The default for float32/float64.

`linear_blas` and `linear_grad_weight_blas` are nn.Linear's forward and parameter gradients
as one call each: the BLAS product plus the bias added (or summed) in the same kernel, which
saves a kernel launch and its Python bookkeeping per layer. `linear_blas` can also apply a
ReLU on the way (nn.Sequential runs a Linear followed by a ReLU as one op).

The `*_parts` kernels run the same products on several cores: BLAS stays on one thread and
the rows of the output (or of the weight) are split into `parts` blocks done in parallel
with `prange`. Letting BLAS run threads of its own instead is fragile: its idle threads
spin, waiting for work, and a product run next to another library's spinning threads
(NumPy's BLAS, Numba's own parallel loops) took up to 45x longer
(kernels/cpu/blas_threads.py).
"""

import numpy as np
from numba import prange

from kernels.cpu.jit import inline, kernel, parallel_kernel

TILE = 64  # rows of a block: 64 rows of `b`, 256 columns wide, float32: 64 KiB (L2-resident)
COLUMN_TILE = 256  # columns of a block: one row of it is 1 KiB, a few SIMD loads


@kernel
def matmul_naive(a, b, out):
    """for batch, i, j: out[batch, i, j] = sum_p a[batch, i, p] * b[batch, p, j]"""
    n_batch, n, k = a.shape
    m = b.shape[2]
    for batch in range(n_batch):
        for i in range(n):
            for j in range(m):
                total = 0.0
                for p in range(k):
                    total += a[batch, i, p] * b[batch, p, j]
                out[batch, i, j] = total


@parallel_kernel
def matmul_tiled(a, b, out):
    """The same sums as matmul_naive, blocked into TILE x TILE tiles (see module docstring)."""
    n_batch, n, k = a.shape
    m = b.shape[2]
    n_row_tiles = (n + TILE - 1) // TILE
    for job in prange(n_batch * n_row_tiles):
        batch = job // n_row_tiles
        i0 = (job % n_row_tiles) * TILE
        i1 = min(i0 + TILE, n)
        # the block's sums, in out's dtype as BLAS keeps them (float32 for float32)
        block = np.zeros((i1 - i0, m), dtype=out.dtype)
        for p0 in range(0, k, TILE):
            p1 = min(p0 + TILE, k)
            for j0 in range(0, m, COLUMN_TILE):
                j1 = min(j0 + COLUMN_TILE, m)
                for i in range(i0, i1):
                    out_row = block[i - i0]  # 1-d views: the inner loop is two plain arrays
                    for p in range(p0, p1):
                        a_ip = a[batch, i, p]
                        b_row = b[batch, p]
                        # unsigned j: Numba then skips its negative-index wraparound check,
                        # which otherwise stops this loop from vectorising
                        for j in range(np.uintp(j0), np.uintp(j1)):
                            out_row[j] += a_ip * b_row[j]
        out[batch, i0:i1] = block


@kernel
def matmul_blas(a, b, out):
    """for batch: out[batch] = np.dot(a[batch], b[batch]) -- BLAS (sgemm/dgemm) via Numba."""
    for batch in range(a.shape[0]):
        out[batch] = np.dot(a[batch], b[batch])


@kernel
def matmul_blas_2d(a, b, out):
    """out = np.dot(a, b) for 2-d operands, C- or Fortran-ordered (a transposed view is
    Fortran-ordered, so `x @ w.T` calls BLAS with a transpose flag instead of copying)."""
    np.dot(a, b, out)


@kernel
def linear_blas(x, weight_t, bias, out, relu):
    """out = np.dot(x, weight_t) + bias, then max(out, 0) if relu: nn.Linear's forward in one
    call (a bias of length 0 adds nothing). weight_t is the transposed view of the (out, in)
    weight: Fortran-ordered, which BLAS reads with a transpose flag."""
    np.dot(x, weight_t, out)
    for i in range(out.shape[0]):
        row = out[i]
        for j in range(bias.shape[0]):
            row[j] += bias[j]
        if relu:
            for j in range(row.shape[0]):
                row[j] = 0 if row[j] < 0 else row[j]  # not `> 0`: nan stays nan, as PyTorch


@kernel
def linear_grad_weight_blas(grad, x, grad_weight, grad_bias):
    """grad_weight = np.dot(grad.T, x) and grad_bias[j] = sum_i grad[i, j] (in float64, as
    reductions sum; a grad_bias of length 0 is skipped): nn.Linear's parameter gradients."""
    np.dot(grad.T, x, grad_weight)
    column_sums(grad, grad_bias)


@kernel
def column_sums(grad, out):
    """out[j] = sum_i grad[i, j], summed in float64 (nothing when out has length 0)."""
    if out.shape[0]:
        sums = np.zeros(out.shape[0], dtype=np.float64)
        for i in range(grad.shape[0]):
            row = grad[i]
            for j in range(sums.shape[0]):
                sums[j] += row[j]
        for j in range(sums.shape[0]):
            out[j] = sums[j]


# ---- the same on several cores: `parts` blocks of rows in parallel, BLAS on one thread each


@inline
def _block(part, parts, n):
    """The rows [first, stop) of block `part` out of `parts` (sizes differ by at most 1)."""
    return part * n // parts, (part + 1) * n // parts


@parallel_kernel
def matmul_blas_2d_parts(a, b, out, parts):
    """matmul_blas_2d on blocks of the rows of a (and out)."""
    for part in prange(parts):
        first, stop = _block(part, parts, a.shape[0])
        matmul_blas_2d(a[first:stop], b, out[first:stop])


@parallel_kernel
def linear_blas_parts(x, weight_t, bias, out, relu, parts):
    """linear_blas on blocks of the rows of x (and out)."""
    for part in prange(parts):
        first, stop = _block(part, parts, x.shape[0])
        linear_blas(x[first:stop], weight_t, bias, out[first:stop], relu)


@parallel_kernel
def linear_blas_column_parts(x, weight, bias, out, relu, parts):
    """linear_blas on blocks of the rows of weight (the columns of out), for a weight larger
    than x: each block then packs only its share of weight for BLAS (the rows split packs
    all of it in every block; 278 instead of 332 us for the MNIST MLP's first layer)."""
    for part in prange(parts):
        first, stop = _block(part, parts, weight.shape[0])
        block = np.empty((x.shape[0], stop - first), dtype=out.dtype)
        bias_block = bias[first:stop] if bias.shape[0] else bias
        linear_blas(x, weight[first:stop].T, bias_block, block, relu)
        out[:, first:stop] = block


@parallel_kernel
def linear_grad_weight_blas_parts(grad, x, grad_weight, grad_bias, parts):
    """linear_grad_weight_blas on blocks of the rows of grad_weight (and grad_bias): block
    p needs grad's columns [first, stop), copied out first, as BLAS wants contiguous rows."""
    for part in prange(parts):
        first, stop = _block(part, parts, grad.shape[1])
        columns = np.ascontiguousarray(grad[:, first:stop])
        bias_block = grad_bias[first:stop] if grad_bias.shape[0] else grad_bias
        linear_grad_weight_blas(columns, x, grad_weight[first:stop], bias_block)
