"""The backend interface: every method a device must provide, declared once.

`kernels/reference.py` (NumPy), `kernels/cpu` (Numba) and `kernels/cuda` (numba.cuda) each
implement exactly these names. The Tensor layer (`tinygrad_edu/functions.py`) talks to a
tensor's device only through them, never to a kernel module directly.

Conventions shared by every method:
- an input is a `Strided` view (flat buffer, shape, strides in elements, offset);
- an output is either a `Strided` view that the method writes into (`out`), or a fresh flat
  contiguous buffer that the method returns; the docstring says which;
- op codes come from `kernels/ops.py`;
- dtypes are NumPy dtypes (`numpy.float32`, ...); the Tensor layer owns type promotion and
  passes outputs of the right dtype, and kernels cast by assignment.
"""

from typing import Any, Protocol

import numpy as np

from kernels.strided import Buffer, Strided


class Backend(Protocol):
    """What a device backend implements (see the module docstring for the conventions)."""

    name: str  # "reference", "cpu" or "cuda"

    # ---- allocation and transfers ----------------------------------------------------------
    def empty(self, size: int, dtype: np.dtype) -> Buffer:
        """A new flat buffer of `size` elements, contents undefined."""
        ...

    def full(self, size: int, value: Any, dtype: np.dtype) -> Buffer:
        """A new flat buffer of `size` elements, all equal to `value`."""
        ...

    def from_numpy(self, array: np.ndarray) -> Buffer:
        """A flat contiguous buffer on this device holding `array` (row-major).

        The CPU backends may return a view that shares memory with a C-contiguous `array`.
        """
        ...

    def to_numpy(self, x: Strided) -> np.ndarray:
        """The view `x` as a host NumPy array of shape x.shape (a view on CPU, a copy on CUDA)."""
        ...

    # ---- elementwise -------------------------------------------------------------------------
    def map(self, op: int, x: Strided, out: Strided) -> None:
        """for i: out[i] = f(x[i]), f = unary op `op`; x has out's shape (after broadcast)."""
        ...

    def zip(self, op: int, a: Strided, b: Strided, out: Strided) -> None:
        """for i: out[i] = f(a[bcast(i)], b[bcast(i)]); a and b broadcast to out.shape."""
        ...

    def where(self, condition: Strided, a: Strided, b: Strided, out: Strided) -> None:
        """for i: out[i] = a[i] if condition[i] else b[i] (all broadcast to out.shape)."""
        ...

    def copy(self, source: Strided, out: Strided) -> None:
        """for i: out[i] = source[bcast(i)] (cast to out's dtype). `.contiguous()`, `copy_`."""
        ...

    # ---- reductions --------------------------------------------------------------------------
    def reduce(self, op: int, x: Strided, axes: tuple[int, ...], dtype: np.dtype) -> Buffer:
        """Fold op over `axes` of x; returns a contiguous buffer of x.shape without `axes`.

        Reducing over zero elements gives the op's identity (sum 0, prod 1); max/min over
        zero elements is an error the Tensor layer raises before calling.
        """
        ...

    def arg_reduce(self, op: int, x: Strided, axis: int) -> Buffer:
        """Index (int64) of the first max (ARGMAX) or min (ARGMIN) along `axis`; contiguous
        buffer of x.shape without `axis`."""
        ...

    # ---- matrix multiply ---------------------------------------------------------------------
    def matmul(self, a: Strided, b: Strided, dtype: np.dtype) -> Buffer:
        """(..., n, k) @ (..., k, m) -> contiguous (..., n, m); the batch dims of a and b are
        equal (the Tensor layer expands them first). out[.., i, j] = sum_p a[.., i, p] b[.., p, j].
        """
        ...

    # ---- indexing: gather and scatter-add by flat buffer position -------------------------
    def take(self, buffer: Buffer, positions: Strided, dtype: np.dtype) -> Buffer:
        """for i: out[i] = buffer[positions[i]]; positions is int64; out has positions' shape."""
        ...

    def index_add(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        """for i: buffer[positions[i]] += source[i]; repeated positions all add up (atomics)."""
        ...

    def index_put(self, buffer: Buffer, positions: Strided, source: Strided) -> None:
        """for i: buffer[positions[i]] = source[i] (source broadcast to positions' shape)."""
        ...


# The method names, in the order above. tests/test_kernels.py checks every backend has
# exactly these, so the interface cannot grow by accident.
BACKEND_METHODS = (
    "empty", "full", "from_numpy", "to_numpy",
    "map", "zip", "where", "copy",
    "reduce", "arg_reduce",
    "matmul",
    "take", "index_add", "index_put",
)
