"""The two decorators every CPU kernel uses, so the compile options are set in one place.

- `cache=True`: compiled machine code is saved next to the source (in __pycache__, or in
  NUMBA_CACHE_DIR) and reused by the next process: no compile on a warm start.
- `error_model="numpy"`: a float division by zero gives inf/nan, as in NumPy and PyTorch,
  instead of raising ZeroDivisionError as plain Python would.
- no `fastmath`: results must agree with the reference bit for bit where possible.
"""

from numba import njit

kernel = njit(cache=True, error_model="numpy")
parallel_kernel = njit(cache=True, parallel=True, error_model="numpy")
# Helpers called from kernels: LLVM inlines them anyway, and numba-level inlining
# (inline="always") made every kernel several times slower to compile.
inline = njit(error_model="numpy")
