"""How many threads BLAS may use: all cores for a matmul (OpenBLAS keeps small ones on one),
one for a small convolution.

Measured on the 2-core machines this project runs on (medians of many calls):

    product                    machine idle       1 other busy process   2 other busy processes
                               1 thread 2 threads 1 thread 2 threads    1 thread 2 threads
    (128, 64) @ (64, 128)        22 us    16 us     22 us    28 us        22 us     15-1800 us
    (128, 256) @ (256, 128)      82 us    51 us    154 us   113 us       206 us    351 us
    (128, 784) @ (784, 256)     527 us   293 us    507 us   507 us       984 us   3376 us

On an idle machine two threads win from about 64^3 on; on an overloaded one they lose badly
(BLAS splits the product in halves, and the half whose thread waits for a core holds up the
other). The rule here is PyTorch's: a product's size alone decides its thread count, so the
same program gives the same numbers on every run (BLAS on one thread and on two can round
differently, so a rule that timed both and kept the faster would make training runs differ
in their last bits). OpenBLAS already has such a rule: it runs a product of n*k*m up to
2^18 (64 x 64 x 64, 32 x 64 x 128) on one thread whatever it is allowed, and measured here
that is where two threads start to pay (128 x 64 x 64: 11.6 us on one, 7.2 us on two). So a
matmul allows BLAS all cores, and OpenBLAS picks. Switching the count costs ~5 us, so the
backend only does it when it changes. On a busy machine, `tinygrad_edu.set_num_threads(1)`
is best (a digits-MLP step at batch 128 is then 20% faster with one other busy process).

Convolutions keep a higher bar, SMALL_FLOPS: below it their kernels run samples in a parallel
loop that calls BLAS from inside, and BLAS must not start threads of its own there (OpenBLAS
warns that it may hang). And once a convolution has run, matmuls below SMALL_FLOPS stay on
one thread too: after a threaded product, OpenBLAS's idle thread spins for about 0.1 s
waiting for more work, and takes a core from the next convolution's parallel loop. On LeNet
(whose Linear layers are threaded products) that made a training step 3.5x slower (20 ms
instead of 5.7 ms). The rule still depends only on the program, not on timings.

`threadpoolctl` (the library scikit-learn uses for this) finds and controls the BLAS that
SciPy loaded, which is the one Numba's np.dot calls. Without it, BLAS keeps its default.
"""

import os

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
        self.convolutions = False  # whether a convolution has run (see the module docstring)
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

    def matmul(self, flops: int) -> None:
        """Before a product of n*k*m = flops: BLAS may use max_threads (it keeps small
        products on one), or one thread below SMALL_FLOPS once a convolution has run."""
        self._set(1 if self.convolutions and flops < SMALL_FLOPS else self.max_threads)

    def conv(self, flops: int) -> None:
        """Before a convolution of `flops`: one thread below SMALL_FLOPS (the kernel is then
        a parallel loop itself), else max_threads."""
        self.convolutions = True
        self._set(1 if flops < SMALL_FLOPS else self.max_threads)
