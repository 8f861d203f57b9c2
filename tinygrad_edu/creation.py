"""Making tensors: from data, filled, ranges, and random (with PyTorch's seeding API).

Random numbers come from NumPy's PCG64 generator on the host (then copied to the device):
`manual_seed(0)` makes every run repeat itself, but the numbers differ from PyTorch's own
(it uses a different generator), as the README says.
"""

import builtins
import functools
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kernels.strided import numel
from tinygrad_edu import dtypes
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.device import backend_for
from tinygrad_edu.device import canonical as _canonical

_default_device: list = [None]  # set_default_device: where device=None puts new tensors


def canonical(device: Any) -> Any:
    """The device a factory puts its tensor on: `device`, or the default device if None."""
    return _canonical(_default_device[0] if device is None else device)

DEFAULT_SEED = 67280421310721  # PyTorch's default seed
# PyTorch's error for tensor([1], requires_grad=True) (requires_grad_() words it otherwise).
# PyTorch: "Only ..." with a capital O; tests/test_autograd.py pins the lower case for now.
INTEGER_REQUIRES_GRAD = "Only Tensors of floating point and complex dtype can require gradients"


# ---------------------------------------------------------------------------- random state


class Generator:
    """A random number generator, `Generator().manual_seed(0)` as in PyTorch."""

    def __init__(self, device: Any = "cpu") -> None:
        self.device = canonical(device)
        self._seed = DEFAULT_SEED
        self.numpy = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = builtins.int(seed) & ((1 << 64) - 1)
        self.numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        return self.manual_seed(builtins.int(np.random.SeedSequence().entropy) & ((1 << 63) - 1))\
            ._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> "tensor_module.Tensor":
        """The full generator state as a uint8 tensor (JSON text bytes), for checkpoints."""
        text = json.dumps({"seed": self._seed, "state": self.numpy.bit_generator.state})
        return from_numpy(np.frombuffer(text.encode(), dtype=np.uint8).copy())

    def set_state(self, state: "tensor_module.Tensor") -> "Generator":
        data = json.loads(bytes(state.numpy().astype(np.uint8)).decode())
        self._seed = data["seed"]
        self.numpy = np.random.Generator(np.random.PCG64())
        self.numpy.bit_generator.state = data["state"]
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (all random ops and the DataLoader shuffles use it)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> "tensor_module.Tensor":
    return default_generator.get_state()


def set_rng_state(state: "tensor_module.Tensor") -> None:
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).numpy


# ---------------------------------------------------------------------------- from data


def _wrap(array: np.ndarray, device: Any = None, requires_grad: bool = False,
          share: bool = False) -> "tensor_module.Tensor":
    """A tensor over a host array, moved to `device` (CPU: shares memory when `share`)."""
    target = canonical(device)
    backend = backend_for(target)
    array = np.asarray(array)
    if not share or target.type != "cpu":
        array = np.array(array, copy=True, order="C")
    tensor = _from_host(array, target, backend)
    if requires_grad:
        tensor._set_requires_grad(True, INTEGER_REQUIRES_GRAD)
    return tensor


def _from_host(array: np.ndarray, target: Any, backend: Any) -> "tensor_module.Tensor":
    dtype = dtypes.from_numpy_dtype(array.dtype)
    if target.type == "cpu" and not array.flags.c_contiguous and array.size:
        return _strided_view_of(array, dtype, target, backend)
    buffer = backend.from_numpy(array)
    return tensor_module.Tensor._from_buffer(buffer, tuple(array.shape), dtype, target, backend)


def _strided_view_of(array: np.ndarray, dtype: dtypes.dtype, target: Any,
                     backend: Any) -> "tensor_module.Tensor":
    """Share a non-contiguous NumPy array's memory (positive strides only; else copy)."""
    itemsize = array.itemsize
    if builtins.any(s < 0 or s % itemsize for s in array.strides):
        array = np.ascontiguousarray(array)
        buffer = backend.from_numpy(array)
        return tensor_module.Tensor._from_buffer(buffer, array.shape, dtype, target, backend)
    extent = 1 + builtins.sum((n - 1) * s // itemsize for n, s in zip(array.shape, array.strides))
    flat = np.lib.stride_tricks.as_strided(array, shape=(extent,), strides=(itemsize,))
    base = tensor_module.Tensor._from_buffer(flat, (extent,), dtype, target, backend)
    view = base._view_of(array.shape, tuple(s // itemsize for s in array.strides), 0)
    view._base = None
    return view


def _infer_numpy(data: Any, dtype: dtypes.dtype | None) -> np.ndarray:
    """Nested Python data (numbers, lists, tensors) as a NumPy array of PyTorch's dtype."""
    if isinstance(data, tensor_module.Tensor):
        array = data.detach().cpu().numpy()
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):  # a NumPy scalar keeps its dtype, as an array does
        array = np.asarray(data)
    else:
        array = np.array(_plain(data))
        too_big = array.dtype == object and builtins.all(
            isinstance(v, builtins.int) for v in _leaves(data))
        if too_big or (array.dtype == np.uint64 and dtype is None
                       and (array > np.iinfo(np.int64).max).any()):
            raise ValueError("Overflow when unpacking long long: an integer does not fit in "
                             "int64")
        if array.dtype == object:
            raise TypeError(f"can't make a tensor from {type(data).__name__}: nested sequences "
                            "must be rectangular and hold only numbers")
        if dtype is None:
            numpy_scalars = _numpy_scalar_dtypes(data)
            if numpy_scalars:  # PyTorch: each element's dtype, promoted (np.int32 stays int32)
                dtype = functools.reduce(dtypes.promote_types,
                                         numpy_scalars | _python_number_dtypes(data))
            elif array.dtype.kind == "f" or (array.size == 0 and array.dtype.kind != "b"):
                array = array.astype(dtypes.get_default_dtype().numpy)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64)
    if dtype is not None:
        array = array.astype(dtype.numpy)
    elif array.dtype.kind not in "fiub":
        raise TypeError(f"can't convert data of type {array.dtype} to a tensor")
    return array


def _leaves(data: Any) -> Any:
    """The numbers of nested lists and tuples, one by one."""
    if isinstance(data, (list, tuple)):
        for item in data:
            yield from _leaves(item)
    else:
        yield data


def _numpy_scalar_dtypes(data: Any) -> set:
    """The dtypes of the NumPy scalars (np.float64(1.5), ...) and arrays among nested data's
    items: PyTorch keeps their dtypes, so [np.array([1.0]), np.array([2.0])] is float64."""
    return {dtypes.from_numpy_dtype(leaf.dtype) for leaf in _leaves(data)
            if isinstance(leaf, (np.generic, np.ndarray))}


def _python_number_dtypes(data: Any) -> set:
    """PyTorch's dtype of each kind of plain Python number among nested data's numbers."""
    found = set()
    for leaf in _leaves(data):
        if isinstance(leaf, builtins.bool):
            found.add(dtypes.bool_)
        elif isinstance(leaf, builtins.int):
            found.add(dtypes.int64)
        elif isinstance(leaf, builtins.float):
            found.add(dtypes.get_default_dtype())
    return found


def _plain(data: Any) -> Any:
    if isinstance(data, tensor_module.Tensor):
        return data.item() if data.ndim == 0 else data.tolist()
    if isinstance(data, (list, tuple)):
        return [_plain(item) for item in data]
    return data


def tensor(data: Any, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> "tensor_module.Tensor":
    """A new tensor holding a copy of `data` (lists, numbers, NumPy arrays, tensors)."""
    dtype = dtypes.to_dtype(dtype) if dtype is not None else None
    return _wrap(_infer_numpy(data, dtype), device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> "tensor_module.Tensor":
    """Like tensor(), but no copy when data already is a tensor / array of that dtype."""
    dtype = dtypes.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, tensor_module.Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype.numpy):
        return _wrap(data, device, share=True)
    return tensor(data, dtype, device)


def from_numpy(array: np.ndarray) -> "tensor_module.Tensor":
    """A CPU tensor that shares memory with `array`: writes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    if not array.flags.writeable:
        array = array.copy()  # PyTorch warns and shares; we copy read-only arrays instead
    return _wrap(array, "cpu", share=True)


# ---------------------------------------------------------------------------- filled


def _size(size: Sequence) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, tensor_module.Size)):
        size = size[0]
    for s in size:
        if not isinstance(s, (builtins.int, np.integer)):
            raise TypeError(f"size must be a tuple of ints, but got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return tuple(builtins.int(s) for s in size)


def _shape_from(sizes: tuple, size: Any) -> tuple:
    """The shape of zeros(2, 3), zeros((2, 3)) or zeros(size=(2, 3)) (PyTorch takes all)."""
    if size is None:
        return _size(sizes)
    if sizes:
        raise TypeError("got the shape both as positional sizes and as size=")
    return _size((size,)) if isinstance(size, (builtins.int, np.integer)) else _size(tuple(size))


def full(size: Sequence, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> "tensor_module.Tensor":
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.scalar_dtype(fill_value)
    shape = _size((size,)) if not isinstance(size, builtins.int) else (size,)
    target = canonical(device)
    backend = backend_for(target)
    if dtype.category == dtypes.INTEGER and isinstance(fill_value, builtins.int):
        fill_value = np.array(fill_value).astype(dtype.numpy)  # wraps, as PyTorch: -1 -> 255
    buffer = backend.full(numel(shape), fill_value, dtype.numpy)
    result = tensor_module.Tensor._from_buffer(buffer, shape, dtype, target, backend)
    return result._set_requires_grad(True, INTEGER_REQUIRES_GRAD) if requires_grad else result


def zeros(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> "tensor_module.Tensor":
    return full(_shape_from(sizes, size), 0, dtype or dtypes.get_default_dtype(), device,
                requires_grad)


def ones(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> "tensor_module.Tensor":
    return full(_shape_from(sizes, size), 1, dtype or dtypes.get_default_dtype(), device,
                requires_grad)


def empty(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> "tensor_module.Tensor":
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    shape = _shape_from(sizes, size)
    target = canonical(device)
    backend = backend_for(target)
    result = tensor_module.Tensor._from_buffer(backend.empty(numel(shape), dtype.numpy), shape,
                                               dtype, target, backend)
    return result._set_requires_grad(True, INTEGER_REQUIRES_GRAD) if requires_grad else result


class memory_format:  # noqa: N801 (PyTorch's name)
    """How a new tensor lays out its elements in memory (PyTorch's torch.memory_format).

    Every tensor this library makes is row-major, so `contiguous_format` and `preserve_format`
    are accepted and `channels_last` is refused. Difference from PyTorch: `preserve_format`
    (the default of clone and the *_like functions) gives a row-major result here, where
    PyTorch keeps the strides of a dense input (a transposed one, say): same values, but
    `.stride()` and `.is_contiguous()` of the copy can differ."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"tinygrad_edu.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")


def check_memory_format(layout: Any) -> None:
    """Accept None, contiguous_format and preserve_format (module docstring of memory_format)."""
    if layout is None or layout is contiguous_format or layout is preserve_format:
        return
    if layout is channels_last:
        raise RuntimeError("memory_format=channels_last is not supported: tinygrad_edu tensors "
                           "are row-major (contiguous_format)")
    raise TypeError(f"memory_format must be a tinygrad_edu.memory_format, not "
                    f"{type(layout).__name__}")


def _like(x: Any, dtype: Any, device: Any, layout: Any = None) -> dict:
    check_memory_format(layout)
    return {"dtype": dtype if dtype is not None else x.dtype,
            "device": device if device is not None else x.device}


def zeros_like(x: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False,
               memory_format: Any = None) -> "tensor_module.Tensor":
    return zeros(x._shape, requires_grad=requires_grad, **_like(x, dtype, device, memory_format))


def ones_like(x: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False,
              memory_format: Any = None) -> "tensor_module.Tensor":
    return ones(x._shape, requires_grad=requires_grad, **_like(x, dtype, device, memory_format))


def empty_like(x: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False,
               memory_format: Any = None) -> "tensor_module.Tensor":
    return empty(x._shape, requires_grad=requires_grad, **_like(x, dtype, device, memory_format))


def full_like(x: Any, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False,
              memory_format: Any = None) -> "tensor_module.Tensor":
    return full(x._shape, fill_value, requires_grad=requires_grad,
                **_like(x, dtype, device, memory_format))


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> "tensor_module.Tensor":
    """start, start + step, ... up to (not including) end; int64 unless an argument is float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        is_float = builtins.any(isinstance(v, builtins.float) for v in (start, end, step))
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    dtype = dtypes.to_dtype(dtype)
    count = builtins.max(0, math.ceil((end - start) / step))
    values = start + np.arange(count, dtype=np.float64 if dtype.is_floating_point else np.int64)\
        * step
    return _wrap(values.astype(dtype.numpy), device, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> "tensor_module.Tensor":
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    values = np.linspace(start, end, steps, dtype=np.float64).astype(dtype.numpy)
    return _wrap(values, device, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> "tensor_module.Tensor":
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    return _wrap(np.eye(n, m if m is not None else n, dtype=dtype.numpy), device, requires_grad)


# ---------------------------------------------------------------------------- random


def _random(values: np.ndarray, dtype: Any, device: Any,
            requires_grad: bool) -> "tensor_module.Tensor":
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    return _wrap(values.astype(dtype.numpy, copy=False), device, requires_grad)


def rand(*sizes: Any, size: Any = None, generator: Generator | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> "tensor_module.Tensor":
    """Uniform on [0, 1)."""
    values = _rng(generator).random(_shape_from(sizes, size), dtype=np.float64)
    return _random(values, dtype, device, requires_grad)


def randn(*sizes: Any, size: Any = None, generator: Generator | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> "tensor_module.Tensor":
    """Standard normal (mean 0, variance 1)."""
    values = _rng(generator).standard_normal(_shape_from(sizes, size), dtype=np.float64)
    return _random(values, dtype, device, requires_grad)


def randint(low: int, high: Any = None, size: Any = None, generator: Generator | None = None,
            dtype: Any = None, device: Any = None) -> "tensor_module.Tensor":
    """Integers uniform on [low, high); randint(high, size) also works."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if isinstance(size, (builtins.int, np.integer)) or size is None:
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    values = _rng(generator).integers(low, high, size=_size((size,)) if isinstance(
        size, builtins.int) else _size(tuple(size)), dtype=np.int64)
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.int64
    return _wrap(values.astype(dtype.numpy), device)


def randperm(n: int, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> "tensor_module.Tensor":
    """A random permutation of 0 .. n-1."""
    values = _rng(generator).permutation(n).astype(np.int64)
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.int64
    return _wrap(values.astype(dtype.numpy), device)


def rand_like(x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> "tensor_module.Tensor":
    return rand(x._shape, requires_grad=requires_grad, **_like(x, dtype, device, memory_format))


def randn_like(x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> "tensor_module.Tensor":
    return randn(x._shape, requires_grad=requires_grad, **_like(x, dtype, device, memory_format))


def randint_like(x: Any, low: int, high: Any = None, dtype: Any = None,
                 device: Any = None, memory_format: Any = None) -> "tensor_module.Tensor":
    return randint(low, high, x._shape, **_like(x, dtype, device, memory_format))


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> "tensor_module.Tensor":
    """Samples of N(mean, std**2). mean and std are numbers or tensors (broadcast together;
    the result has their shape and floating dtype), or both numbers with a `size`.

    The samples come from the host's generator (as randn) and are copied to the device.
    Difference from PyTorch: with a mean or std that requires grad, PyTorch's result requires
    grad too and sends them zero gradients; ours is a plain tensor (the same zero effect).
    For a differentiable sample write `mean + std * randn_like(mean)`."""
    tensors = [v for v in (mean, std) if isinstance(v, tensor_module.Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() with a number mean and std needs a size: "
                            "normal(mean, std, size)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        values = _rng(generator).normal(mean, std, _size((size,)) if isinstance(
            size, builtins.int) else _size(tuple(size)))
        return _random(values, dtype, device, requires_grad)
    if size is not None:
        raise TypeError("normal() takes a size only when mean and std are both numbers")
    host = [v.detach().cpu().numpy().astype(np.float64) if isinstance(
        v, tensor_module.Tensor) else np.float64(v) for v in (mean, std)]
    if (host[1] < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    shape = np.broadcast_shapes(np.shape(host[0]), np.shape(host[1]))
    values = host[0] + host[1] * _rng(generator).standard_normal(shape)
    floating = [t.dtype for t in tensors if t.dtype.is_floating_point]
    result_dtype = floating[0] if floating else dtypes.get_default_dtype()
    return _wrap(values.astype(result_dtype.numpy), tensors[0].device)


def bernoulli(probabilities: Any, p: Any = None, *,
              generator: Generator | None = None) -> "tensor_module.Tensor":
    """1 with probability p (or each element of `probabilities`), else 0, in the input's dtype
    and shape. Sampled on the host, as the other random functions."""
    chance = probabilities.detach().cpu().numpy().astype(np.float64) if p is None else \
        np.full(probabilities._shape, float(p))
    if ((chance < 0) | (chance > 1) | np.isnan(chance)).any():
        raise RuntimeError("bernoulli expects 0 <= p <= 1, but got a probability outside [0, 1]")
    values = _rng(generator).random(probabilities._shape) < chance
    return _wrap(values.astype(probabilities.dtype.numpy), probabilities.device)


def multinomial(probabilities: Any, num_samples: int, replacement: bool = False,
                generator: Generator | None = None) -> "tensor_module.Tensor":
    """Sample indices with the given (unnormalised) weights, per row."""
    weights = np.atleast_2d(probabilities.detach().cpu().numpy().astype(np.float64))
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < "
                           "0 or inf or nan)")
    rng = _rng(generator)
    rows = []
    for row in weights:
        if row.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        rows.append(rng.choice(len(row), size=num_samples, replace=replacement,
                               p=row / row.sum()))
    result = np.array(rows, dtype=np.int64)
    if probabilities.ndim == 1:
        result = result[0]
    return _wrap(result, probabilities.device)
