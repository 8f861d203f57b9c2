"""Sorting along one axis on the GPU: argsort by a stable bitonic sort of (key, index) pairs.

The host (backend.py) first copies x into a contiguous scratch `keys` of shape (rows, n),
the sorted axis last, widened to float64 (floats) or int64 (ints, bools): both hold every
value of the narrower dtypes exactly, so the order is unchanged and the kernels compile for
two key dtypes only. Each row is then sorted as n pairs (key, original index).

The order, and why the sort is stable
-------------------------------------
`before(a, b)` orders pairs lexicographically: by key (nan larger than every number, so last
ascending and first descending; -0.0 == 0.0), and *equal keys by index, smaller first, in
both directions*. No two pairs of a row tie (their indices differ), so there is exactly one
sorted order, and in it equal keys keep their index order: the sort is stable, as PyTorch's
sort(stable=True), even though bitonic sort itself is not a stable algorithm.

Bitonic sort
------------
A row is padded to `padded`, the next power of two >= n, with padding pairs (index >= n)
that come after every real pair whatever their key, so they end up past the row's end and
are never written out. Then, for k = 2, 4, ..., padded and, within each k, j = k/2, ..., 2, 1
(one "stage" per (k, j)), every element i with bit j clear is compared with its partner
i + j and the two swapped if out of order: ascending when bit k of i is clear, descending
when set (for k = padded every i of the row is in one ascending run). After the stages of k
every run of length k is sorted; after k = padded the row is. A stage's padded/2 compare-
and-swaps are independent, so each thread takes some, and there are log2(padded) *
(log2(padded) + 1) / 2 stages: O(n log^2 n) work, O(log^2 n) steps of parallel depth.
Pair p of a stage (p = 0 .. padded/2 - 1) is the element i = (p // j) * 2j + p % j and i + j.

Two ways to run the stages
--------------------------
- rows of padded <= BLOCK_SORT_MAX (`argsort_block_*`): one block loads whole rows into
  shared memory (several short rows per block when they fit, so a million rows of 8 still
  fill the GPU), runs every stage there with a __syncthreads between stages, and writes the
  indices out. Shared memory is fast, and a block can wait for itself, not for other blocks.
- longer rows (`bitonic_stage_kernel`): the pairs are padded into global memory
  (`pad_rows_kernel`), then one launch per stage, grid-stride over the pairs of all rows:
  the end of a launch is the only wait for *all* threads of a grid, which every stage needs
  once a row is too long for one block. `unpad_rows_kernel` copies the indices out.
(A faster long-row sort would run the stages with j < BLOCK_SORT_MAX in shared memory too,
or use a radix sort, as CUB and PyTorch do: these are exercises.)

The shared arrays' dtype must be known when a kernel compiles, so the block kernel exists
twice, float64 and int64 keys, both calling one device function (as reduce.py does).
"""

import numpy as np
from numba import cuda

# The longest (padded) row sorted in one block, in shared memory: a power of two. Its pairs
# take BLOCK_SORT_MAX * 16 bytes (an 8-byte key and an 8-byte index), 32 KiB of the 48 KiB a
# block may have. The backend reads it when it runs (tests lower it to test the long path).
BLOCK_SORT_MAX: int = 2048


def padded_length(n: int) -> int:
    """The smallest power of two >= n (1 for n <= 1)."""
    return 1 << max(n - 1, 0).bit_length()


@cuda.jit(device=True)
def key_before(a, b, descending):
    """True when key a comes strictly before key b (a != a tests for nan, for every dtype)."""
    if descending:
        return a > b or (a != a and b == b)
    return a < b or (b != b and a == a)


@cuda.jit(device=True)
def before(key_a, index_a, key_b, index_b, n, descending):
    """True when pair a comes strictly before pair b: padding (index >= n) last, then by key,
    then equal keys (two nan are equal here) by index, smaller first: stable both ways."""
    if index_a >= n:
        return False
    if index_b >= n:
        return True
    if key_before(key_a, key_b, descending):
        return True
    if key_before(key_b, key_a, descending):
        return False
    return index_a < index_b


@cuda.jit(device=True)
def compare_and_swap(keys, index, p, padded, k, j, n, descending):
    """Stage (k, j), pair p: put elements i = (p // j) * 2j + p % j and i + j in order,
    ascending when bit k of i's place in its row is clear (descending when set)."""
    i = (p // j) * 2 * j + p % j
    partner = i + j
    ascending = ((i % padded) & k) == 0
    if ascending:
        swap = before(keys[partner], index[partner], keys[i], index[i], n, descending)
    else:
        swap = before(keys[i], index[i], keys[partner], index[partner], n, descending)
    if swap:
        keys[i], keys[partner] = keys[partner], keys[i]
        index[i], index[partner] = index[partner], index[i]


# ---- rows that fit in shared memory: one block sorts rows_per_block rows at a time ---------


@cuda.jit(device=True)
def block_sort_body(tile_keys, tile_index, keys, order, n, rows, padded, rows_per_block,
                    descending):
    """For each group of rows_per_block rows (one block each, grid-stride over the groups):
    load the rows' pairs, padded, into the shared tile; run every stage; write the indices."""
    tile = rows_per_block * padded
    groups = (rows + rows_per_block - 1) // rows_per_block
    for group in range(cuda.blockIdx.x, groups, cuda.gridDim.x):
        first_row = group * rows_per_block
        for s in range(cuda.threadIdx.x, tile, cuda.blockDim.x):  # load (padding: index n)
            row = first_row + s // padded
            j = s % padded
            if row < rows and j < n:
                tile_keys[s] = keys[row * n + j]
                tile_index[s] = j
            else:
                tile_keys[s] = 0
                tile_index[s] = n
        cuda.syncthreads()
        k = 2
        while k <= padded:
            j = k // 2
            while j > 0:
                for p in range(cuda.threadIdx.x, tile // 2, cuda.blockDim.x):
                    compare_and_swap(tile_keys, tile_index, p, padded, k, j, n, descending)
                cuda.syncthreads()  # the next stage reads what this one swapped
                j //= 2
            k *= 2
        for s in range(cuda.threadIdx.x, tile, cuda.blockDim.x):  # store the real pairs
            row = first_row + s // padded
            j = s % padded
            if row < rows and j < n:
                order[row * n + j] = tile_index[s]
        cuda.syncthreads()  # the tile is read out before the next group loads over it


@cuda.jit
def argsort_block_float64(keys, order, n, rows, padded, rows_per_block, descending):
    """block_sort_body with float64 keys in shared memory."""
    tile_keys = cuda.shared.array(BLOCK_SORT_MAX, np.float64)
    tile_index = cuda.shared.array(BLOCK_SORT_MAX, np.int64)
    block_sort_body(tile_keys, tile_index, keys, order, n, rows, padded, rows_per_block,
                    descending)


@cuda.jit
def argsort_block_int64(keys, order, n, rows, padded, rows_per_block, descending):
    """block_sort_body with int64 keys in shared memory."""
    tile_keys = cuda.shared.array(BLOCK_SORT_MAX, np.int64)
    tile_index = cuda.shared.array(BLOCK_SORT_MAX, np.int64)
    block_sort_body(tile_keys, tile_index, keys, order, n, rows, padded, rows_per_block,
                    descending)


# ---- longer rows: the pairs in global memory, one launch per stage ------------------------


@cuda.jit
def pad_rows_kernel(keys, n, rows, padded, padded_keys, padded_index):
    """for s over rows * padded: pair j of a row = (keys[row, j], j), or padding (index n)."""
    for s in range(cuda.grid(1), rows * padded, cuda.gridsize(1)):
        row = s // padded
        j = s % padded
        if j < n:
            padded_keys[s] = keys[row * n + j]
            padded_index[s] = j
        else:
            padded_keys[s] = 0
            padded_index[s] = n


@cuda.jit
def bitonic_stage_kernel(padded_keys, padded_index, n, rows, padded, k, j, descending):
    """Stage (k, j) of every row: pair p over rows * padded / 2 (a stage's pairs never
    cross a row's end, since 2j <= padded divides padded)."""
    for p in range(cuda.grid(1), rows * (padded // 2), cuda.gridsize(1)):
        compare_and_swap(padded_keys, padded_index, p, padded, k, j, n, descending)


@cuda.jit
def unpad_rows_kernel(padded_index, n, rows, padded, order):
    """for s over rows * n: order[row, j] = the index of the row's j-th pair."""
    for s in range(cuda.grid(1), rows * n, cuda.gridsize(1)):
        row = s // n
        j = s % n
        order[s] = padded_index[row * padded + j]
