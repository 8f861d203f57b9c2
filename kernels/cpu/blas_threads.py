"""How the CPU backend spreads a BLAS product over the cores.

Measured on the 2-core machines this project runs on (medians of many calls, with OpenBLAS's
Haswell kernels, which OPENBLAS_CORETYPE picks there; its AVX-512 kernels, which it picks by
itself on these CPUs, are ~1.5x faster on the larger products, and the same split pays):

    product                    machine idle       1 other busy process   2 other busy processes
                               1 thread 2 threads 1 thread 2 threads    1 thread 2 threads
    (128, 64) @ (64, 128)        22 us    16 us     22 us    28 us        22 us     15-1800 us
    (128, 256) @ (256, 128)      82 us    51 us    154 us   113 us       206 us    351 us
    (128, 784) @ (784, 256)     527 us   293 us    507 us   507 us       984 us   3376 us

So on an idle machine two cores pay from about 128 x 64 x 128 (2^20 = PARALLEL_FLOPS) on.
But letting BLAS run threads of its own is fragile: after a product, OpenBLAS's idle thread
spins for about 0.1 s waiting for more work, and takes a core from whatever runs next. A
Numba parallel loop next to it (a convolution) ran 3.5x slower, and a (256, 256) product
right after one of NumPy's own (NumPy has its own copy of OpenBLAS, with its own spinning
threads) took 8 ms instead of 0.17 ms.

So BLAS itself stays on one thread, and the backend splits a product into `parts` blocks of
rows, run in parallel by Numba's `prange` (kernels/cpu/matmul.py, the `*_parts` kernels):
one pool of threads, Numba's, for every parallel kernel. On the (128, 784) @ (784, 256)
product that is 327 us (two OpenBLAS threads: 284 us, one: 524 us; for nn.Linear the
backend splits whichever operand is larger, 278 us), and a (256, 256) product run between
NumPy's takes 0.2 ms. (No scheme is immune on two cores: while another library's threads
are busy, one block of a product can wait a few ms for its core.) The number of parts
depends on the product's size and the core count only, so the same program on the same
machine gives the same numbers on every run (blocks round differently from one whole
product, as PyTorch's results also depend on its thread count).
`tinygrad_edu.set_num_threads(n)` sets the core count used (1: no splits).

Convolutions (and batched matmuls) call BLAS unsplit: below SMALL_FLOPS on one thread (the
convolution kernels are parallel loops over samples themselves, and BLAS must not start
threads inside them: OpenBLAS warns that it may hang), from there on all cores.

`threadpoolctl` (the library scikit-learn uses for this) finds and controls the BLAS that
SciPy loaded, which is the one Numba's np.dot calls. Without it, BLAS keeps its default.
"""

import os

PARALLEL_FLOPS = 1 << 20  # matmul: n * k * m from this on is split across the cores
MIN_ROWS = 16  # rows per block at least (BLAS is slow on thinner blocks)
SMALL_FLOPS = 1 << 28  # conv: below this, one BLAS thread (the kernel is a parallel loop)


def _cores() -> int:
    """The cores this process may run on (fewer than os.cpu_count() in a limited container)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class BlasThreads:
    """Sets the thread count of SciPy's BLAS, remembering the last value set."""

    def __init__(self) -> None:
        self.max_threads = _cores()  # tinygrad_edu.set_num_threads changes it
        self._libraries: list | None = None
        self._current = None

    def _find(self) -> list:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS library)
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return []
        controllers = ThreadpoolController().lib_controllers
        return [c for c in controllers if c.user_api == "blas" and "scipy" in c.filepath]

    def _set(self, wanted: int) -> None:
        """Tell BLAS to use `wanted` threads (a library call only when it changes)."""
        if wanted == self._current:
            return
        if self._libraries is None:
            self._libraries = self._find()
        for library in self._libraries:
            library.set_num_threads(wanted)
        self._current = wanted

    def matmul(self, flops: int, rows: int) -> int:
        """Before a product of n*k*m = flops to be split by `rows` (its output's or its
        batch's): BLAS on one thread, and the number of row blocks to run in parallel."""
        self._set(1)
        if flops < PARALLEL_FLOPS:
            return 1
        return max(1, min(self.max_threads, rows // MIN_ROWS))

    def serial(self, flops: int) -> None:
        """Before an unsplit BLAS call (a convolution, a batched matmul) of `flops`: one
        thread below SMALL_FLOPS, else max_threads."""
        self._set(1 if flops < SMALL_FLOPS else self.max_threads)
