"""Turn a list of samples into a batch: `default_collate` and `default_convert` (PyTorch's rules).

`default_collate(batch)` looks at the first element and recurses on the structure:

    Tensor                      -> stack(batch, 0)                       (B, *shape)
    NumPy array (numeric)       -> tensor of np.stack(batch)             same dtype
    NumPy scalar                -> tensor(batch)                  (its dtype, or promoted)
    float                       -> tensor(batch, dtype=float64)
    int / bool                  -> tensor(batch): int64 / bool, or the default float when a
                                   later number is a float (tensor()'s rule over all values)
    str / bytes                 -> batch unchanged (a list or tuple of strings)
    Mapping                     -> {key: default_collate([d[key] for d in batch])}
    namedtuple                  -> same namedtuple of collated fields
    tuple / list (equal length) -> list of collated columns (a list for a tuple, PyTorch's rule)

CPU tensors and NumPy arrays are stacked with `np.stack` (one C loop, no graph) and wrapped with
`from_numpy`; this is what a DataLoader worker does, so a worker never runs a compiled kernel.
Tensors that require grad or live on another device go through `tinygrad_edu.stack`.
"""

from __future__ import annotations

import collections.abc
from typing import Any

import numpy as np

import tinygrad_edu as _tg

__all__ = ["default_collate", "default_convert"]

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)
_NON_NUMERIC_KINDS = "SaUO"  # bytes, str, unicode, object: not collatable into a tensor


def _is_namedtuple(obj: object) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _is_cpu_plain(tensor: Any) -> bool:
    """True for a CPU tensor that needs no graph: safe to stack through NumPy."""
    on_cpu = str(getattr(tensor, "device", "cpu")).startswith("cpu")
    return on_cpu and not getattr(tensor, "requires_grad", False)


def _stack_tensors(batch: list[Any]) -> Any:
    """stack(batch, 0) with PyTorch's error message for mismatched shapes."""
    first_shape = tuple(batch[0].shape)
    for i, item in enumerate(batch):
        if tuple(item.shape) != first_shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first_shape)} at "
                f"entry 0 and {list(item.shape)} at entry {i}"
            )
    same_dtype = all(item.dtype == batch[0].dtype for item in batch)
    if same_dtype and all(_is_cpu_plain(item) for item in batch):
        return _tg.from_numpy(np.stack([item.numpy() for item in batch]))
    return _tg.stack(list(batch), 0)


def _stack_arrays(batch: list[np.ndarray]) -> Any:
    """np.stack for equal-shape numeric arrays, as a tensor (PyTorch: as_tensor then stack)."""
    first_shape = batch[0].shape
    for i, item in enumerate(batch):
        if item.shape != first_shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first_shape)} at "
                f"entry 0 and {list(item.shape)} at entry {i}"
            )
    return _tg.from_numpy(np.stack(batch))


def default_collate(batch: Any) -> Any:
    """Collate a list of samples into a batch (rules in the module docstring)."""
    elem = batch[0]
    if isinstance(elem, _tg.Tensor):
        return _stack_tensors(list(batch))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _NON_NUMERIC_KINDS:
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return _stack_arrays(list(batch))
    if isinstance(elem, np.generic):  # NumPy scalar: np.float32(1.0), np.int64(3), ...
        if elem.dtype.kind in _NON_NUMERIC_KINDS:
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return _tg.tensor(list(batch))
    if isinstance(elem, float):
        return _tg.tensor(list(batch), dtype=_tg.float64)
    if isinstance(elem, int):  # bool too; [0, 0.5] is a float batch, [True, 2] an int64 one
        return _tg.tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)  # keep OrderedDict, custom mappings
        except TypeError:
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(column) for column in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(item) != size for item in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(column) for column in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # PyTorch: a batch of tuples becomes a list
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Convert one sample (batch_size=None): NumPy arrays/scalars become tensors, recursively.

    Tensors, numbers and strings are returned unchanged; mappings, namedtuples and sequences are
    converted element by element (a tuple becomes a list, as in PyTorch).
    """
    if isinstance(data, _tg.Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.kind in _NON_NUMERIC_KINDS:
            return data
        return _tg.as_tensor(data)
    if isinstance(data, np.generic):
        if data.dtype.kind in _NON_NUMERIC_KINDS:
            return data
        return _tg.from_numpy(np.array(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(item) for item in data])
        except TypeError:
            return [default_convert(item) for item in data]
    return data
