"""The two decorators every CPU kernel uses, so the compile options are set in one place.

- `cache=True`: compiled machine code is saved next to the source (in __pycache__, or in
  NUMBA_CACHE_DIR) and reused by the next process: no compile on a warm start.
- `error_model="numpy"`: a float division by zero gives inf/nan, as in NumPy and PyTorch,
  instead of raising ZeroDivisionError as plain Python would.
- no `fastmath`: results must agree with the reference bit for bit where possible.

Numba checks a cached kernel against its own source file only: a kernel that calls helpers
from another file (scalar_math.py, strided.py, the op codes in ops.py) would keep running the
old machine code after that file changed, silently. So, once per process, `drop_stale_cache`
hashes every source file of the `kernels` package and, when the hash differs from the one
saved beside the cache, deletes the cached kernels: they compile afresh, once.
"""

import hashlib
import os
from pathlib import Path

from numba import njit

KERNELS_ROOT = Path(__file__).resolve().parent.parent  # the `kernels` package
STAMP_NAME = "kernels-source.sha1"


def source_hash(root: Path = KERNELS_ROOT) -> str:
    """sha1 over the path and text of every .py file under root, in a fixed order."""
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def drop_stale_cache(root: Path = KERNELS_ROOT) -> None:
    """Delete the Numba cache files (*.nbi index, *.nbc code) in root's __pycache__ folders
    when the sources changed since they were written. With NUMBA_CACHE_DIR set, the cache
    is elsewhere and left alone (empty that folder yourself after editing kernels/)."""
    if os.environ.get("NUMBA_CACHE_DIR") or os.environ.get("NUMBA_DISABLE_JIT") == "1":
        return
    stamp = root / "__pycache__" / STAMP_NAME
    current = source_hash(root)
    try:
        if stamp.exists() and stamp.read_text() == current:
            return
        for cached in [*root.rglob("__pycache__/*.nbi"), *root.rglob("__pycache__/*.nbc")]:
            cached.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(current)
    except OSError:  # a read-only install: Numba then caches elsewhere or not at all
        pass


drop_stale_cache()

kernel = njit(cache=True, error_model="numpy")
parallel_kernel = njit(cache=True, parallel=True, error_model="numpy")
# Helpers called from kernels: LLVM inlines them anyway, and numba-level inlining
# (inline="always") made every kernel several times slower to compile.
inline = njit(error_model="numpy")
