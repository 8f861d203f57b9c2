"""PyTorch's dtype helpers, factory names and in-place view methods, over what exists.

Real tensors only: conj / resolve_conj / conj_physical / real return the tensor itself
(a real number is its own conjugate), imag raises as PyTorch does for non-complex dtypes.
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from tinygrad_edu import composite as C
from tinygrad_edu import creation, dtypes
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.device import canonical as _canonical

Tensor = Any  # annotations only: tensor.py imports this module (via tensor_math)


# ---- dtypes --------------------------------------------------------------------------------
def result_type(tensor1: Any, tensor2: Any) -> dtypes.dtype:
    """The dtype tensor1 + tensor2 would have (tensors or Python numbers), PyTorch's rules:
    dimensioned tensors first, then 0-dim tensors, then numbers, each only if higher."""
    ranks: tuple = ([], [], [])
    for operand in (tensor1, tensor2):
        if isinstance(operand, tensor_module.Tensor):
            ranks[0 if operand._shape else 1].append(operand.dtype)
        else:
            ranks[2].append(dtypes.scalar_dtype(operand))
    return dtypes.result_type(*ranks)


def can_cast(from_: dtypes.dtype, to: dtypes.dtype) -> bool:
    """Whether PyTorch's type promotion may cast from_ to `to`: never to a lower category
    (float -> int, int -> bool are refused); within a category any size is allowed."""
    return from_.category <= to.category


def is_nonzero(input: Any) -> bool:  # noqa: A002
    """bool(input) for a tensor of exactly one element, with PyTorch's errors otherwise."""
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item())


def typename(obj: Any) -> str:
    """'torch.FloatTensor' for a tensor (its .type()), else the object's module.qualname."""
    if isinstance(obj, tensor_module.Tensor):
        return obj.type()
    kind = obj if isinstance(obj, type) else type(obj)
    module = getattr(kind, "__module__", "")
    if module in ("builtins", "__builtin__", None, ""):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"


# ---- the default device ----------------------------------------------------------------------
def set_default_device(device: Any) -> None:
    """Where factories (tensor, zeros, ones, empty, full, arange, ...) put a tensor when
    device=None; None resets to the CPU. PyTorch also redirects every other op: not here."""
    creation._default_device[0] = None if device is None else _canonical(device)


def get_default_device() -> Any:
    return creation.canonical(None)


# ---- factories --------------------------------------------------------------------------------
def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over an object with the buffer protocol (bytes, bytearray, array):
    shares its memory when the buffer is writable; a read-only buffer is copied (PyTorch
    shares it and warns, and writing to it is then undefined)."""
    array = np.frombuffer(buffer, dtype=dtypes.to_dtype(dtype).numpy, count=count,
                          offset=offset)
    share = array.flags.writeable
    return creation._wrap(array, "cpu", requires_grad, share=share)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: Any = None,
            requires_grad: bool = False) -> Tensor:
    """obj as a tensor. copy=None shares memory when it can (a tensor, or a NumPy array of
    that dtype on the CPU), copy=True always copies, copy=False raises if it would copy."""
    target = dtypes.to_dtype(dtype) if dtype is not None else None
    if isinstance(obj, tensor_module.Tensor):
        out = obj.to(device=device or obj.device, dtype=target or obj.dtype)
        if copy and out is obj:
            out = obj.clone()
    elif isinstance(obj, np.ndarray) and copy is not True:
        same = target is None or target.numpy == obj.dtype
        on_cpu = creation.canonical(device).type == "cpu"
        if not (same and on_cpu):
            if copy is False:
                raise ValueError("can't alias NumPy arrays with dtype or device changes "
                                 "(asarray with copy=False)")
            return creation.tensor(obj, dtype=target, device=device,
                                   requires_grad=requires_grad)
        out = creation._wrap(obj, device, share=True)
    else:
        if copy is False:
            raise ValueError(f"can't alias a {type(obj).__name__} (asarray with copy=False)")
        out = creation.tensor(obj, dtype=target, device=device)
    if requires_grad:
        out.requires_grad_(True)
    return out


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of `size`. Here always contiguous: `stride` is checked for
    length only and not honoured (PyTorch lays the storage out with those strides)."""
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides "
                           f"for {len(size)} dims")
    return creation.empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps): steps points evenly spaced on a log scale."""
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    values = np.power(float(base), np.linspace(start, end, steps, dtype=np.float64))
    return creation.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


def range(start: float, end: float, step: float = 1, *, dtype: Any = None,  # noqa: A001
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Deprecated: start, start + step, ... up to and including end; the default dtype
    (float) even for integer arguments. Prefer arange, whose end is excluded."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    count = builtins.int(math.floor((end - start) / step)) + 1
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    values = start + step * np.arange(builtins.max(count, 0), dtype=np.float64)
    return creation.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


# ---- complex names on real tensors -----------------------------------------------------------
def conj(input: Any) -> Any:  # noqa: A002
    """The conjugate: a real tensor is its own, so input itself (as PyTorch returns)."""
    return input


def resolve_conj(input: Any) -> Any:  # noqa: A002
    return input


def conj_physical(input: Any) -> Any:  # noqa: A002
    """A materialised conjugate: for a real tensor, a copy (PyTorch returns a new tensor)."""
    return input.clone()


def real(input: Any) -> Any:  # noqa: A002
    return input


def imag(input: Any) -> Any:  # noqa: A002
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def isreal(input: Any) -> Any:  # noqa: A002
    """True everywhere: a real tensor holds no imaginary part."""
    return creation.ones(*input._shape, dtype=dtypes.bool_, device=input.device)


def is_complex(input: Any) -> bool:  # noqa: A002
    return False


def is_conj(input: Any) -> bool:  # noqa: A002
    return False


# ---- Tensor methods: in-place geometry, fill_diagonal_, resize_, sum_to_size --------------
def _reshape_in_place(self: Tensor, view: Tensor, name: str) -> Tensor:
    """Give self the shape and strides of `view` (a view of self's storage).
    PyTorch rewrites the autograd graph for this; here it is refused when self takes part
    in autograd, so gradients can never be wrong."""
    if self.requires_grad:
        raise RuntimeError(f"{name}: in-place change of shape is not supported here for a "
                           f"tensor that requires grad; use the out-of-place "
                           f"{name.rstrip('_')}() instead")
    self._shape, self._strides, self._offset = view._shape, view._strides, view._offset
    self._storage.version += 1  # as PyTorch: a graph that saved self now refuses backward
    return self


def squeeze_(self: Tensor, dim: Any = None) -> Tensor:
    view = self.squeeze() if dim is None else self.squeeze(dim)
    return _reshape_in_place(self, view, "squeeze_")


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    return _reshape_in_place(self, self.unsqueeze(dim), "unsqueeze_")


def t_(self: Tensor) -> Tensor:
    return _reshape_in_place(self, self.t(), "t_")


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    return _reshape_in_place(self, self.transpose(dim0, dim1), "transpose_")


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Write fill_value on the main diagonal (all indices equal). For a tall 2-D matrix
    with wrap=True the diagonal starts again every ncols + 1 rows, as in NumPy."""
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and len(set(self._shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(tuple(self._shape), dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    mask_tensor = creation.tensor(mask, device=self.device)
    return self.masked_fill_(mask_tensor, fill_value)


def resize_(self: Tensor, *sizes: Any) -> Tensor:
    """Make self contiguous of the new size, keeping its first elements in order; new
    elements are zero here (PyTorch leaves them uninitialised). No autograd, as PyTorch."""
    shape = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    flat = self.detach().reshape(-1)
    count = builtins.int(np.prod(shape))
    fresh = creation.zeros(count, dtype=self.dtype, device=self.device)
    keep = builtins.min(count, flat.numel())
    if keep:
        fresh[:keep] = flat[:keep]
    self._set_from(fresh.reshape(shape))
    return self


def resize_as_(self: Tensor, other: Tensor) -> Tensor:
    return resize_(self, tuple(other._shape))


def sum_to_size(self: Tensor, *size: Any) -> Tensor:
    """Sum self down to `size`, which self must broadcast from (undo a broadcast)."""
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    lead = self.dim() - len(shape)
    if lead < 0 or any(s not in (1, n) for s, n in zip(shape, self._shape[lead:])):
        raise RuntimeError(f"size {{{', '.join(map(str, shape))}}} is not expandable to size "
                           f"{{{', '.join(map(str, self._shape))}}}.")
    out = C.sum(self, tuple(builtins.range(lead))) if lead else self
    dims = tuple(i for i, s in enumerate(shape) if s == 1 and out._shape[i] != 1)
    return C.sum(out, dims, keepdim=True) if dims else out


def msort(self: Tensor) -> Tensor:
    """Sort along dim 0 (the values of sort(dim=0))."""
    return C.sort(self, 0)[0]


_METHODS = (squeeze_, unsqueeze_, t_, transpose_, fill_diagonal_, resize_, resize_as_,
            sum_to_size, msort, conj, resolve_conj, conj_physical, is_complex, is_conj,
            is_nonzero)


# x.fmax(y) is tensor_names.fmax(x, y): looked up at call time, as tensor_names imports
# linalg and composite, which are not ready while tensor_math.py is being imported.
_FUNCTION_METHODS = ("hsplit", "vsplit", "dsplit", "diagonal_scatter", "select_scatter",
                     "slice_scatter", "inner", "fmax", "fmin", "absolute", "positive", "sgn",
                     "gcd", "lcm", "ldexp", "frexp", "isneginf", "isposinf", "histogram")


def _function_method(name: str) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        from tinygrad_edu import tensor_names
        return getattr(tensor_names, name)(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"tinygrad_edu.{name}(self, ...): see tensor_names.{name}."
    return method


def add_to_class(cls: type) -> None:
    """Set the methods above on cls (TensorMath); real and imag as properties."""
    for method in _METHODS:
        setattr(cls, method.__name__, method)
    for name in _FUNCTION_METHODS:
        setattr(cls, name, _function_method(name))
    cls.real = property(real)
    cls.imag = property(imag)
