"""Batched matrix multiply: a naive kernel and a shared-memory tiled kernel.

Both compute, for every batch index z and output element (i, j),

    out[z, i, j] = sum_p a[z, i, p] * b[z, p, j]        a: (Z, n, k)  b: (Z, k, m)  out: (Z, n, m)

with a and b any strided views (batch dims of any rank, positions from ordinal_to_position)
and out a fresh contiguous buffer.

- naive: one thread per output element, k loads of a and of b from global memory each.
- tiled: one TILE x TILE block per TILE x TILE piece of out. For each step p0 of TILE along
  k, the block loads a TILE x TILE piece of a and of b into shared memory (each thread one
  element of each), waits, then each thread does TILE multiply-adds from shared memory:

      a_tile[ty, tx] = a[i, p0 + tx];   b_tile[ty, tx] = b[p0 + ty, j];   syncthreads()
      acc += sum_q a_tile[ty, q] * b_tile[q, tx];                         syncthreads()

  so each global element is read n/TILE (or m/TILE) times instead of n (or m) times.
  Elements past the edge of a or b load as 0, so any n, k, m work (1, 17, 33, ...).
  The grid loops over (batch, tile row, tile column) with a grid stride.

The shared tiles need their dtype at compile time: float32 tiles (float32 accumulation, as
cuBLAS does for fp32), float64 tiles, and int64 tiles for integer outputs.
"""

import numpy as np
from numba import cuda

from kernels.cuda.device import ordinal_to_position
from kernels.cuda.launch import SIMULATOR

# Tile edge: TILE x TILE threads per block and two TILE x TILE shared arrays.
TILE: int = 8 if SIMULATOR else 16


@cuda.jit
def matmul_naive_kernel(zero, a, a_batch_strides, a_offset, a_row_stride, a_col_stride,
                        b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                        out, batch_shape, batch, n, k, m):
    """for o = (z, i, j), one thread each: out[o] = sum_p a[z, i, p] * b[z, p, j]"""
    for o in range(cuda.grid(1), batch * n * m, cuda.gridsize(1)):
        j = o % m
        i = (o // m) % n
        z = o // (n * m)
        a_position = ordinal_to_position(z, batch_shape, a_batch_strides, a_offset)
        a_position += i * a_row_stride
        b_position = ordinal_to_position(z, batch_shape, b_batch_strides, b_offset)
        b_position += j * b_col_stride
        accumulator = zero
        for p in range(k):
            accumulator += a[a_position + p * a_col_stride] * b[b_position + p * b_row_stride]
        out[o] = accumulator


@cuda.jit(device=True)
def matmul_tiled_body(a_tile, b_tile, zero, a, a_batch_strides, a_offset, a_row_stride,
                      a_col_stride, b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                      out, batch_shape, batch, n, k, m):
    """The tiled loop (module docstring), with the block's shared tiles passed in."""
    tx = cuda.threadIdx.x  # column inside the tile: adjacent threads, adjacent columns
    ty = cuda.threadIdx.y
    tiles_n = (n + TILE - 1) // TILE
    tiles_m = (m + TILE - 1) // TILE
    for tile in range(cuda.blockIdx.x, batch * tiles_n * tiles_m, cuda.gridDim.x):
        i = ((tile // tiles_m) % tiles_n) * TILE + ty
        j = (tile % tiles_m) * TILE + tx
        z = tile // (tiles_n * tiles_m)
        a_base = ordinal_to_position(z, batch_shape, a_batch_strides, a_offset)
        b_base = ordinal_to_position(z, batch_shape, b_batch_strides, b_offset)
        accumulator = zero
        for p0 in range(0, k, TILE):
            if i < n and p0 + tx < k:
                a_tile[ty, tx] = a[a_base + i * a_row_stride + (p0 + tx) * a_col_stride]
            else:
                a_tile[ty, tx] = 0
            if p0 + ty < k and j < m:
                b_tile[ty, tx] = b[b_base + (p0 + ty) * b_row_stride + j * b_col_stride]
            else:
                b_tile[ty, tx] = 0
            cuda.syncthreads()
            for q in range(TILE):
                accumulator += a_tile[ty, q] * b_tile[q, tx]
            cuda.syncthreads()
        if i < n and j < m:
            out[(z * n + i) * m + j] = accumulator


@cuda.jit
def matmul_tiled_float32(zero, a, a_batch_strides, a_offset, a_row_stride, a_col_stride,
                         b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                         out, batch_shape, batch, n, k, m):
    """Tiled matmul with float32 shared tiles (matmul_tiled_body)."""
    a_tile = cuda.shared.array((TILE, TILE), np.float32)
    b_tile = cuda.shared.array((TILE, TILE), np.float32)
    matmul_tiled_body(a_tile, b_tile, zero, a, a_batch_strides, a_offset, a_row_stride,
                      a_col_stride, b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                      out, batch_shape, batch, n, k, m)


@cuda.jit
def matmul_tiled_float64(zero, a, a_batch_strides, a_offset, a_row_stride, a_col_stride,
                         b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                         out, batch_shape, batch, n, k, m):
    """Tiled matmul with float64 shared tiles (matmul_tiled_body)."""
    a_tile = cuda.shared.array((TILE, TILE), np.float64)
    b_tile = cuda.shared.array((TILE, TILE), np.float64)
    matmul_tiled_body(a_tile, b_tile, zero, a, a_batch_strides, a_offset, a_row_stride,
                      a_col_stride, b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                      out, batch_shape, batch, n, k, m)


@cuda.jit
def matmul_tiled_int64(zero, a, a_batch_strides, a_offset, a_row_stride, a_col_stride,
                       b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                       out, batch_shape, batch, n, k, m):
    """Tiled matmul with int64 shared tiles (matmul_tiled_body)."""
    a_tile = cuda.shared.array((TILE, TILE), np.int64)
    b_tile = cuda.shared.array((TILE, TILE), np.int64)
    matmul_tiled_body(a_tile, b_tile, zero, a, a_batch_strides, a_offset, a_row_stride,
                      a_col_stride, b, b_batch_strides, b_offset, b_row_stride, b_col_stride,
                      out, batch_shape, batch, n, k, m)
