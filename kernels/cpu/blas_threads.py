"""How many threads BLAS may use for one matmul: one for small products, all for large ones.

Measured on the 2-core machines this project runs on: a (128, 64) @ (64, 128) product takes
~30 us on one BLAS thread, and 5-15 ms on two when the machine is busy (the second thread
is asleep or descheduled, and the first waits for it); the MNIST MLP's (128, 784) @ (784,
256) runs 4x faster on one thread. Only large products (1024^3) gain from two threads. So
the backend asks for one thread below SMALL_FLOPS and for
`max_threads` above, and only calls into BLAS when the wanted number changes.

`threadpoolctl` (the library scikit-learn uses for this) finds and controls the BLAS that
SciPy loaded, which is the one Numba's np.dot calls. Without it, BLAS keeps its default.
"""

import os

SMALL_FLOPS = 1 << 28  # n * k * m below this: one thread (up to about 512 x 512 x 512)


class BlasThreads:
    """Sets the thread count of SciPy's BLAS, remembering the last value set."""

    def __init__(self) -> None:
        self.max_threads = os.cpu_count() or 1
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

    def use(self, flops: int) -> None:
        """Before a product of n*k*m = flops: one thread if it is small, else max_threads."""
        wanted = 1 if flops < SMALL_FLOPS else self.max_threads
        if wanted == self._current:
            return
        if self._libraries is None:
            self._libraries = self._find()
        for library in self._libraries:
            library.set_num_threads(wanted)
        self._current = wanted
