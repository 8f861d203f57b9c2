"""Tensor methods added to TensorMath (tensor_math.py) by `add_to_class`, one line each into
tensor_extras.py (scatter_reduce and friends) and tensor_misc.py (quantile, unfold, random
fills, callbacks, memory queries), so tensor_math.py stays a list of one-liners.

Methods that have nothing to do here, documented as such:
- `pin_memory()` returns self and `is_pinned()` is False: page-locked host memory only speeds
  up copies to a GPU in PyTorch; here a copy to CUDA is an ordinary numba transfer.
- `share_memory_()` returns self and `is_shared()` is False: PyTorch moves the storage to
  shared memory for worker processes; here DataLoader workers get copies (pickled batches).
- no `Tensor.rsub`: PyTorch has only the function `torch.rsub` (tensor_extras.rsub).
- `H` and `mH` are the transposes `t()` and `mT`: every tensor here is real, so the
  conjugate is the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu import movement as M
from tinygrad_edu import tensor_extras as E
from tinygrad_edu import tensor_misc as X


def scatter_reduce(self: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Any:
    return E.scatter_reduce(self, dim, index, src, reduce, include_self)


def scatter_reduce_(self: Any, dim: int, index: Any, src: Any, reduce: str, *,
                    include_self: bool = True) -> Any:
    return self._assign(E.scatter_reduce(self._inplace_input(), dim, index, src, reduce,
                                         include_self))


def index_reduce(self: Any, dim: int, index: Any, source: Any, reduce: str, *,
                 include_self: bool = True) -> Any:
    return E.index_reduce(self, dim, index, source, reduce, include_self)


def index_reduce_(self: Any, dim: int, index: Any, source: Any, reduce: str, *,
                  include_self: bool = True) -> Any:
    return self._assign(E.index_reduce(self._inplace_input(), dim, index, source, reduce,
                                       include_self))


def masked_scatter(self: Any, mask: Any, source: Any) -> Any:
    return E.masked_scatter(self, mask, source)


def masked_scatter_(self: Any, mask: Any, source: Any) -> Any:
    return self._assign(E.masked_scatter(self._inplace_input(), mask, source))


def put(self: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    return E.put(self, index, source, accumulate)


def put_(self: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    return self._assign(E.put(self._inplace_input(), index, source, accumulate))


def narrow_copy(self: Any, dim: int, start: int, length: int) -> Any:
    """narrow, but a new tensor (PyTorch's narrow_copy)."""
    return M.narrow(self, dim, start, length).clone()


def H(self: Any) -> Any:  # noqa: N802  (PyTorch's name)
    """The conjugate transpose of a matrix: its transpose (real tensors only here)."""
    if self.ndim not in (0, 2):
        extra = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor.{extra}")
    return self.t() if self.ndim == 2 else self


def mH(self: Any) -> Any:  # noqa: N802  (PyTorch's name)
    """The conjugate transpose of each matrix in a batch: mT (real tensors only here)."""
    if self.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return self.mT


def pin_memory(self: Any, device: Any = None) -> Any:
    return self  # see the module docstring


def is_pinned(self: Any, device: Any = None) -> bool:
    return False


def share_memory_(self: Any) -> Any:
    return self  # see the module docstring


def is_shared(self: Any) -> bool:
    return False


def data_ptr(self: Any) -> int:
    return X.data_ptr(self)


def apply_(self: Any, callable: Callable) -> Any:  # noqa: A002  (PyTorch's name)
    return X.apply_(self, callable)


def map_(self: Any, tensor: Any, callable: Callable) -> Any:  # noqa: A002
    return X.map_(self, tensor, callable)


def exponential_(self: Any, lambd: float = 1.0, *, generator: Any = None) -> Any:
    return X.exponential_(self, lambd, generator)


def geometric_(self: Any, p: float, *, generator: Any = None) -> Any:
    return X.geometric_(self, p, generator)


def log_normal_(self: Any, mean: float = 1.0, std: float = 2.0, *,
                generator: Any = None) -> Any:
    return X.log_normal_(self, mean, std, generator)


def cauchy_(self: Any, median: float = 0.0, sigma: float = 1.0, *,
            generator: Any = None) -> Any:
    return X.cauchy_(self, median, sigma, generator)


def quantile(self: Any, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Any:
    return X.quantile(self, q, dim, keepdim, interpolation=interpolation)


def nanquantile(self: Any, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Any:
    return X.quantile(self, q, dim, keepdim, interpolation=interpolation, ignore_nan=True)


def unfold(self: Any, dimension: int, size: int, step: int) -> Any:
    return X.unfold(self, dimension, size, step)


_METHODS = (scatter_reduce, scatter_reduce_, index_reduce, index_reduce_, masked_scatter,
            masked_scatter_, put, put_, narrow_copy, pin_memory, is_pinned,
            share_memory_, is_shared, data_ptr, apply_, map_, exponential_, geometric_,
            log_normal_, cauchy_, quantile, nanquantile, unfold)


def add_to_class(cls: type) -> None:
    """Set every method above on cls (TensorMath), and H / mH as properties."""
    for method in _METHODS:
        setattr(cls, method.__name__, method)
    cls.H = property(H)
    cls.mH = property(mH)
