"""Reduction kernels: sum / prod / max / min over any axes, and argmax / argmin along one.

The host (backend.py) splits x's dims into *kept* dims (the output's) and *reduced* dims, so
row r of the problem is every element that folds into out[r]:

    out[r] = fold(op, x[kept_position(r) + reduced_offset(j)] for j in range(row_length))

Two shapes of kernel, the host picks (see backend.py):

- `reduce_rows_*`: one block per (row, part). The block's threads stride through the part
  (thread t takes j = part*T + t, + parts*T, ..: adjacent threads read adjacent elements),
  each folds into a register, then a shared-memory tree halves the T partial results:

      step 1: partial[t] = fold(partial[t], partial[t + T/2])  for t < T/2
      step 2: ... t < T/4 ...                                    log2(T) steps to partial[0]

  A long row is cut into `parts` pieces so enough blocks run at once; the parts' results go
  to a partials buffer that a second launch reduces (reduce over the last axis of it).
- `reduce_columns_kernel`: one thread per output element, a serial loop over the row. It
  pays for short rows, and for reductions over a slow axis (x.sum(0)) where adjacent threads
  then read adjacent columns.

The shared array's dtype must be known when the kernel compiles, so the row kernel exists
twice, with float64 and int64 partials (the accumulator dtypes of launch.accumulator_dtype);
both call one device function with the shared array as an argument.
"""

import numpy as np
from numba import cuda

from kernels.cuda.device import arg_better, combine, ordinal_to_position
from kernels.cuda.launch import THREADS_PER_BLOCK


@cuda.jit(device=True)
def reduced_position(j, reduced_shape, reduced_strides, base):
    """Position of element j of a row: base + j * stride when one reduced dim is left after
    the host collapsed them (len() of a tuple is known at compile time, so the other branch
    is compiled away), else ordinal_to_position. A 64-bit div/mod per element costs the GPU
    more than the load, so the common case must not pay it."""
    if len(reduced_shape) == 1:
        return base + j * reduced_strides[0]
    return ordinal_to_position(j, reduced_shape, reduced_strides, base)


@cuda.jit(device=True)
def reduce_rows_body(partial, op, identity, x, kept_shape, kept_strides, reduced_shape,
                     reduced_strides, offset, row_length, rows, parts, out):
    """out[row * parts + part] = fold of part `part` of row `row`, one block per (row, part)."""
    thread = cuda.threadIdx.x
    for block in range(cuda.blockIdx.x, rows * parts, cuda.gridDim.x):  # the same in a block
        row = block // parts
        part = block % parts
        base = ordinal_to_position(row, kept_shape, kept_strides, offset)
        accumulator = identity
        for j in range(part * THREADS_PER_BLOCK + thread, row_length, parts * THREADS_PER_BLOCK):
            value = x[reduced_position(j, reduced_shape, reduced_strides, base)]
            accumulator = combine(op, accumulator, value)
        partial[thread] = accumulator
        cuda.syncthreads()
        half = THREADS_PER_BLOCK // 2
        while half > 0:
            if thread < half:
                partial[thread] = combine(op, partial[thread], partial[thread + half])
            cuda.syncthreads()
            half //= 2
        if thread == 0:
            out[block] = partial[0]
        cuda.syncthreads()  # partial[0] is read before the next row overwrites it


@cuda.jit
def reduce_rows_float(op, identity, x, kept_shape, kept_strides, reduced_shape,
                      reduced_strides, offset, row_length, rows, parts, out):
    """reduce_rows_body with float64 partials (floating outputs)."""
    partial = cuda.shared.array(THREADS_PER_BLOCK, np.float64)
    reduce_rows_body(partial, op, identity, x, kept_shape, kept_strides, reduced_shape,
                     reduced_strides, offset, row_length, rows, parts, out)


@cuda.jit
def reduce_rows_int(op, identity, x, kept_shape, kept_strides, reduced_shape,
                    reduced_strides, offset, row_length, rows, parts, out):
    """reduce_rows_body with int64 partials (integer and bool outputs)."""
    partial = cuda.shared.array(THREADS_PER_BLOCK, np.int64)
    reduce_rows_body(partial, op, identity, x, kept_shape, kept_strides, reduced_shape,
                     reduced_strides, offset, row_length, rows, parts, out)


@cuda.jit
def reduce_columns_kernel(op, identity, x, kept_shape, kept_strides, reduced_shape,
                          reduced_strides, offset, row_length, rows, out):
    """for row (one thread each): out[row] = fold(op, identity, x[row's elements])"""
    for row in range(cuda.grid(1), rows, cuda.gridsize(1)):
        base = ordinal_to_position(row, kept_shape, kept_strides, offset)
        accumulator = identity
        for j in range(row_length):
            value = x[reduced_position(j, reduced_shape, reduced_strides, base)]
            accumulator = combine(op, accumulator, value)
        out[row] = accumulator


# ---- argmax / argmin ------------------------------------------------------------------------


@cuda.jit(device=True)
def arg_wins(op, x, base, stride, candidate, best):
    """True when index `candidate` beats index `best` (-1 = none): a strictly better value, or
    an equal one at a smaller index (so the first extreme wins, as in NumPy and PyTorch)."""
    if candidate < 0:
        return False
    if best < 0:
        return True
    candidate_value = x[base + candidate * stride]
    best_value = x[base + best * stride]
    if arg_better(op, candidate_value, best_value):
        return True
    return candidate < best and not arg_better(op, best_value, candidate_value)


@cuda.jit
def arg_reduce_rows_kernel(op, x, kept_shape, kept_strides, offset, stride, length, rows, out):
    """One block per row: out[row] = first index of the max (min) of x[base + j * stride].

    Each thread scans j = t, t + T, ..; then a shared tree keeps the winning *index* (the
    values are read again from x, so one kernel serves every dtype).
    """
    best = cuda.shared.array(THREADS_PER_BLOCK, np.int64)
    thread = cuda.threadIdx.x
    for row in range(cuda.blockIdx.x, rows, cuda.gridDim.x):
        base = ordinal_to_position(row, kept_shape, kept_strides, offset)
        mine = -1
        for j in range(thread, length, THREADS_PER_BLOCK):
            if arg_wins(op, x, base, stride, j, mine):
                mine = j
        best[thread] = mine
        cuda.syncthreads()
        half = THREADS_PER_BLOCK // 2
        while half > 0:
            if thread < half and arg_wins(op, x, base, stride, best[thread + half], best[thread]):
                best[thread] = best[thread + half]
            cuda.syncthreads()
            half //= 2
        if thread == 0:
            out[row] = best[0]
        cuda.syncthreads()


@cuda.jit
def arg_reduce_columns_kernel(op, x, kept_shape, kept_strides, offset, stride, length, rows,
                              out):
    """One thread per row: out[row] = first j maximising (minimising) x[base + j * stride]."""
    for row in range(cuda.grid(1), rows, cuda.gridsize(1)):
        base = ordinal_to_position(row, kept_shape, kept_strides, offset)
        mine = 0
        for j in range(1, length):
            if arg_better(op, x[base + j * stride], x[base + mine * stride]):
                mine = j
        out[row] = mine
