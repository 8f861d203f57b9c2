"""Tensor: an n-d view of a flat buffer on a device, plus what autograd needs.

A tensor is four numbers' worth of bookkeeping over shared memory:

    storage  the flat buffer (NumPy on the CPU, device memory on CUDA) + a version counter
    shape    (2, 3)
    strides  (3, 1)   elements to step in the buffer for +1 along each dimension
    offset   0        where element [0, 0] sits in the buffer

Views (`view`, `t`, `x[1:, ::2]`, `expand`, ...) make a new Tensor over the *same* storage
with other shape/strides/offset: no copy, and writes through one show in the other.

Autograd fields: `requires_grad`, `grad`, `grad_fn` (the node that made this tensor), and
`is_leaf`. The math and view methods come from `TensorMath` (tensor_math.py): one-liners
into `functions/` (the primitives) and `composite/` (everything built from them).

Import order (for the curious): tensor_math -> functions/composite -> dispatch, which refer
to `tensor.Tensor` only when called, so they can be loaded before this class exists.
"""

from __future__ import annotations

import builtins
import numbers
import warnings
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import numpy as np

from kernels.strided import Strided, contiguous_strides, is_contiguous, numel
from tinygrad_edu import (
    autograd,
    dtypes,
    functions,  # noqa: I001  (after tensor_math, which loads it)
)
from tinygrad_edu.device import CPU, canonical, device
from tinygrad_edu.tensor_math import TensorMath

# Every op's output is a fresh row-major tensor, and a training step meets the same few
# shapes again and again: their strides (and whether a view is contiguous) are computed once.
_row_major_strides = lru_cache(maxsize=4096)(contiguous_strides)
_is_contiguous = lru_cache(maxsize=4096)(is_contiguous)


class Size(tuple):
    """A shape: a tuple with PyTorch's `numel()` and repr `Size([2, 3])`."""

    def numel(self) -> int:
        return numel(self)

    def __repr__(self) -> str:
        return f"tinygrad_edu.Size({list(self)})"

    def __add__(self, other: tuple) -> "Size":
        return Size(tuple(self) + tuple(other))  # Size([1]) + (2,) is a Size, as in PyTorch

    def __radd__(self, other: tuple) -> "Size":
        return Size(tuple(other) + tuple(self))  # (1,) + Size([2]) too

    def __getitem__(self, key: Any) -> Any:
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item  # shape[1:] is a Size


class Storage:
    """The flat memory under one or more tensors, and its version (bumped by in-place ops)."""

    __slots__ = ("buffer", "device", "backend", "version")

    def __init__(self, buffer: Any, device: device, backend: Any) -> None:
        self.buffer = buffer
        self.device = device
        self.backend = backend
        self.version = 0


class Tensor(TensorMath):
    """A multi-dimensional array with autograd, PyTorch's `torch.Tensor`.

    `Tensor(2, 3)` (legacy) makes an uninitialised float tensor of that shape and
    `Tensor([1, 2])` a float tensor from data; prefer `tinygrad_edu.tensor(data)`.
    """

    __slots__ = ("_storage", "_shape", "_strides", "_offset", "dtype", "_requires_grad",
                 "_grad", "grad_fn", "_output_nr", "_hooks", "_base", "_view_version",
                 "_accumulator", "__dict__", "__weakref__")

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None) -> None:
        from tinygrad_edu import creation

        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            source = creation.tensor(args[0], dtype=dtype or dtypes.get_default_dtype(),
                                     device=device)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            # Tensor() is an empty 1-d tensor, as in PyTorch (not a 0-d one)
            source = creation.empty(*(shape or (0,)), dtype=dtype, device=device)
        self._set_from(source)

    # ------------------------------------------------------------------ construction (internal)
    @classmethod
    def _from_buffer(cls, buffer: Any, shape: tuple, dtype: dtypes.dtype, device: device,
                     backend: Any) -> "Tensor":
        """Wrap a fresh contiguous flat buffer (no copy)."""
        tensor = object.__new__(cls)
        tensor._storage = Storage(buffer, device, backend)
        tensor._shape = shape
        tensor._strides = _row_major_strides(shape)
        tensor._offset = 0
        tensor.dtype = dtype
        tensor._requires_grad = False
        tensor._grad = None
        tensor.grad_fn = None
        tensor._output_nr = 0
        tensor._hooks = None
        tensor._base = None
        tensor._accumulator = None
        return tensor

    def _view_of(self, shape: tuple, strides: tuple, offset: int) -> "Tensor":
        """A new tensor over this one's storage (no autograd; functions/ adds that)."""
        tensor = object.__new__(Tensor)
        tensor._storage = self._storage
        tensor._shape = tuple(shape)
        tensor._strides = tuple(strides)
        tensor._offset = offset
        tensor.dtype = self.dtype
        tensor._requires_grad = False
        tensor._grad = None
        tensor.grad_fn = None
        tensor._output_nr = 0
        tensor._hooks = None
        tensor._accumulator = None
        tensor._base = self if self._base is None else self._base
        # the storage version this view's grad_fn describes (None: made without grad mode,
        # so it never takes its base's history; see _refresh_view)
        tensor._view_version = self._storage.version if autograd._grad_enabled else None
        return tensor

    def _set_from(self, other: "Tensor") -> None:
        """Make self an alias of other's storage and geometry (used by `.data = ...`)."""
        self._storage = other._storage
        self._shape = other._shape
        self._strides = other._strides
        self._offset = other._offset
        self.dtype = other.dtype
        if not hasattr(self, "_requires_grad"):
            self._requires_grad = False
            self._grad = None
            self.grad_fn = None
            self._output_nr = 0
            self._hooks = None
            self._base = None
            self._accumulator = None

    def _strided(self) -> Strided:
        return Strided(self._storage.buffer, self._shape, self._strides, self._offset)

    @staticmethod
    def _ones_like(x: "Tensor") -> "Tensor":
        from tinygrad_edu import dispatch
        return dispatch.full_like(x, x._shape, 1, x.dtype)

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> Size:
        return Size(self._shape)

    @property
    def device(self) -> device:
        return self._storage.device

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def is_cuda(self) -> bool:
        return self._storage.device.type == "cuda"

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can "
                                       "require gradients")

    @property
    def grad(self) -> "Tensor | None":
        """The gradient backward() accumulated into this tensor (None before any). Only
        leaves (and tensors that called retain_grad) get one: reading it on another tensor
        warns, as PyTorch."""
        if self._grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being "
                          "accessed. Its .grad attribute won't be populated during "
                          "autograd.backward(). If you indeed want the .grad field to be "
                          "populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
                          "Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        """Assign (or clear, with None) the gradient: same dtype, size and device, as PyTorch
        checks, so an optimizer never reads a gradient that does not fit its parameter."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"'{value.dtype.name}' to a tensor with dtype "
                                   f"'{self.dtype.name}': they must match")
            if value._shape != self._shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value._shape)}' to a tensor of size "
                                   f"'{list(self._shape)}'. Please ensure that the gradient "
                                   "and the tensor are the same size")
            if value._storage.device != self._storage.device:
                raise RuntimeError(f"assigned grad has data located on a different device "
                                   f"({value.device}, the tensor is on {self.device})")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (and any that does not require grad)."""
        return self.grad_fn is None

    @property
    def data(self) -> "Tensor":
        """The same memory, detached from the graph; in-place changes through it are invisible
        to autograd (its own version counter), unlike detach() which shares the counter."""
        tensor = self.detach()
        storage = self._storage
        tensor._storage = Storage(storage.buffer, storage.device, storage.backend)
        return tensor

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._set_from(value)

    @property
    def _version(self) -> int:
        return self._storage.version

    @property
    def T(self) -> "Tensor":  # noqa: N802
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> "Tensor":  # noqa: N802
        """The last two dims swapped (a batch of matrices, each transposed)."""
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of "
                               f"matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._shape)
        return self._shape[_axis(dim, self.ndim)]

    def dim(self) -> int:
        return len(self._shape)

    def numel(self) -> int:
        return numel(self._shape)

    nelement = numel

    def stride(self, dim: int | None = None) -> Any:
        if dim is None:
            return self._strides
        return self._strides[_axis(dim, self.ndim)]

    def storage_offset(self) -> int:
        return self._offset

    def element_size(self) -> int:
        return self.dtype.itemsize

    def is_contiguous(self) -> bool:
        return _is_contiguous(self._shape, self._strides)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def get_device(self) -> int:
        return -1 if self._storage.device.type == "cpu" else (self._storage.device.index or 0)

    def type(self, dtype: Any = None) -> Any:
        """'torch.FloatTensor'-style name, or a cast when dtype is given."""
        names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                 "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                 "bool": "Bool"}
        if isinstance(dtype, str):  # 'torch.DoubleTensor' (or 'torch.cuda.DoubleTensor')
            by_name = {f"{name}Tensor": key for key, name in names.items()}
            kind = dtype.rsplit(".", 1)[-1]
            if kind not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            device = "cuda" if dtype.startswith("torch.cuda.") else "cpu"
            return self.to(device=device, dtype=dtypes.to_dtype(by_name[kind]))
        if isinstance(getattr(dtype, "dtype", None), dtypes.dtype) and isinstance(dtype, type):
            return self.to(dtype.dtype)  # a legacy class: x.type(torch.LongTensor)
        if dtype is not None:
            return self.to(dtype)
        prefix = "torch.cuda." if self.is_cuda else "torch."
        return f"{prefix}{names[self.dtype.name]}Tensor"

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __repr__(self) -> str:
        from tinygrad_edu.formatting import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}": a 0-d tensor formats as its number (f"{t}" too, as PyTorch);
        others only with an empty spec (their repr)."""
        if not self._shape:
            return format(self.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __hash__(self) -> int:
        return id(self)

    def __deepcopy__(self, memo: dict) -> "Tensor":
        """A copy of the data (same type, dtype, device, requires_grad, and .grad copied)."""
        import copy

        from tinygrad_edu import dispatch
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        data = dispatch.contiguous(self)
        new = object.__new__(type(self))
        new._set_from(data)
        new._requires_grad = self._requires_grad
        new.grad = copy.deepcopy(self.grad, memo)
        new.grad_fn = None
        new._output_nr = 0
        new._hooks = None
        new._base = None
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            setattr(new, key, copy.deepcopy(value, memo))
        return new

    def __contains__(self, element: Any) -> bool:
        """`element in x`: whether any element of x equals it (PyTorch's meaning)"""
        from tinygrad_edu import composite as C
        return bool(C.any(C.eq(self, element)).item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} elements is "
                               "ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        self._check_one_element()
        return float(self.item())

    def __int__(self) -> int:
        self._check_one_element()
        return int(self.item())

    def _check_one_element(self) -> None:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")

    def __index__(self) -> int:
        if self.dtype.category != dtypes.INTEGER or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    # ------------------------------------------------------------------ conversion
    def numpy(self, force: bool = False) -> np.ndarray:
        """A NumPy array sharing this CPU tensor's memory (PyTorch's rules for when allowed)."""
        if self.is_cuda and not force:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        array = self._storage.backend.to_numpy(self._strided())
        return array.copy() if force else array

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number (copied back from a GPU)."""
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._storage.backend.to_numpy(self._strided()).reshape(-1)[0].item()

    def tolist(self) -> Any:
        return self._storage.backend.to_numpy(self._strided()).tolist()

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """`to(device)`, `to(dtype)`, `to(device, dtype)`, `to(other)`; self if nothing changes."""
        target_device, target_dtype = None, None
        for value in list(args) + [kwargs.get("device"), kwargs.get("dtype")]:
            if value is None:
                continue
            if isinstance(value, Tensor):
                target_device, target_dtype = value.device, value.dtype
            elif isinstance(value, (dtypes.dtype, type, np.dtype)):
                target_dtype = dtypes.to_dtype(value)
            else:
                target_device = canonical(value)
        result = self
        if target_dtype is not None and target_dtype is not self.dtype:
            result = functions.Cast.apply(result, dtype=target_dtype)
        if target_device is not None and target_device != self._storage.device:
            result = functions.ToDevice.apply(result, device=target_device)
        if kwargs.get("copy") and result is self:
            result = self.clone()
        return result

    def cuda(self, device: Any = None) -> "Tensor":
        return self.to("cuda" if device is None else canonical(device if not isinstance(
            device, int) else f"cuda:{device}"))

    def cpu(self) -> "Tensor":
        return self.to(CPU)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def half(self) -> "Tensor":
        return self.to(dtypes.float16)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def short(self) -> "Tensor":
        return self.to(dtypes.int16)

    def char(self) -> "Tensor":
        return self.to(dtypes.int8)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def byte(self) -> "Tensor":
        return self.to(dtypes.uint8)

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        return self._set_requires_grad(requires_grad, "only Tensors of floating point dtype "
                                                      "can require gradients")

    def _set_requires_grad(self, requires_grad: bool, integer_error: str) -> "Tensor":
        """Turn the flag on or off on a leaf. PyTorch words the error for an integer tensor
        by the way it was asked: requires_grad_(), the attribute, or a factory's argument."""
        if not self.is_leaf:
            if requires_grad and self._requires_grad:
                return self  # already on: nothing to change (PyTorch allows this)
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(integer_error)
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> "Tensor":
        """Same storage, no graph: the result does not require grad."""
        tensor = self._view_of(self._shape, self._strides, self._offset)
        tensor._base = None
        return tensor

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            import weakref
            retained = self.grad_fn.__dict__.setdefault("_retained", {})
            retained[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        if self.grad_fn is None:
            return False
        reference = self.grad_fn.__dict__.get("_retained", {}).get(self._output_nr)
        return reference is not None and reference() is self

    def register_hook(self, hook: Callable) -> Any:
        """Call hook(grad) when this tensor's gradient is computed; it may return a new grad."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
            hooks.append(hook)
        else:
            table = self.grad_fn.__dict__.setdefault("_tensor_hooks", {})
            hooks = table.setdefault(self._output_nr, [])
            hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable) -> Any:
        """Call hook(self) after backward has added into this leaf's `.grad` (DDP uses it)."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (see autograd.py)."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    # ------------------------------------------------------------------ in-place machinery
    def _check_inplace(self) -> None:
        if not autograd._grad_enabled:
            return
        if self._requires_grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        base = self._base
        if base is None or not base._requires_grad:
            return
        if base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        if self._view_version is None:  # its base's history would not reach it (CopySlices)
            raise RuntimeError("A view was created in no_grad mode and is being modified inplace "
                               "with grad mode enabled. Given that this use case is ambiguous "
                               "and error-prone, it is forbidden. You can clarify your code by "
                               "moving both the view and the inplace either both inside the "
                               "no_grad block (if you don't want the inplace to be tracked) or "
                               "both outside (if you want the inplace to be tracked).")

    def _assign(self, result: "Tensor", name: str | None = None) -> "Tensor":
        """Finish an in-place op: write result into self's memory, bump the version, and
        (when recording) make self's history that of result.

        A write through a view changes the base too: the base gets a CopySlices node (the
        gradient of the written window goes to result, the rest to the base's old history)
        and the view reads the base's new history. A tensor that is overwritten must not pass
        gradient to its old values: `name` (given by copy_, fill_, zero_: PyTorch's node name,
        CopyBackwards, ...) says so, and so does a result that needs no gradient (copy_ of a
        constant); the tensor then gets a CopySlices over all of itself, labelled `name`.
        """
        from tinygrad_edu import dispatch
        self._check_inplace()
        if builtins.any(stride == 0 and size > 1
                        for size, stride in zip(self._shape, self._strides)):
            raise RuntimeError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.")
        if result._shape != self._shape:
            raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the "
                               f"broadcast shape {list(result._shape)}")
        dispatch.copy_into(result, self)
        self._storage.version += 1
        if not autograd._grad_enabled:
            return self
        base = self._base
        if base is not None and (result._requires_grad or base._requires_grad):
            functions.CopySlices.apply(base, result, view=self)
            self._refresh_view()  # the view now reads its base's new history
        elif self._requires_grad and (name is not None or not result._requires_grad):
            # overwritten: the old values get no gradient, result (if it needs one) all of it
            functions.CopySlices.apply(self, result, view=self)
            autograd.named(self, name or "torch::autograd::CopyBackwards")
        elif result._requires_grad:
            self._requires_grad = True
            self.grad_fn = result.grad_fn
            self._output_nr = result._output_nr
            if name is not None:
                autograd.named(result, name)
        return self

    def _refresh_view(self) -> None:
        """Give this view the history "its base's current history, read through its window".

        Called when the storage was written in place since the view's grad_fn was made: the
        base's history may have changed since (a CopySlices, a mul_), and the old grad_fn
        would then give a stale gradient. PyTorch regenerates a view's grad_fn the same way
        (AsStridedBackward0). A view made without grad mode (version None) keeps no history.
        """
        if self._view_version is None:
            return
        self._view_version = self._storage.version
        base = self._base
        if not base._requires_grad or not base.is_contiguous():
            return  # no history to read (a non-contiguous base keeps the old grad_fn: rare)
        shape, strides, offset = self._shape, self._strides, self._offset - base._offset

        def window(_shape: tuple, _strides: tuple, start: int) -> tuple:
            # the base is contiguous, so the view's strides hold for any copy of it
            return shape, strides, start + offset

        fresh = functions.Slice.apply(base, window=window)
        self._requires_grad = True
        self.grad_fn = autograd.named(fresh, "AsStridedBackward0").grad_fn
        self._output_nr = 0

    def _inplace_input(self) -> "Tensor":
        """self, or a copy when recording (so backward sees the value from before the op)."""
        if not autograd._grad_enabled:
            return self
        if self._base is not None and self._view_version != self._storage.version:
            self._refresh_view()
        if self._requires_grad:
            return self.clone()
        return self


class _RemovableHandle:
    """What register_hook returns: `.remove()` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self.hooks = hooks
        self.hook = hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _axis(dim: int, ndim: int) -> int:
    """A dimension index in [-ndim, ndim) made non-negative, or PyTorch's IndexError."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, "
                         f"{size - 1}], but got {dim})")
    return dim + size if dim < 0 else dim


autograd.Tensor = Tensor
