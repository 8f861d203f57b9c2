"""Shape ops composed from views and gathers: tensor_split, take_along_dim, rot90,
atleast_1d atleast_2d atleast_3d, column_stack; tril_indices triu_indices (creation).

tensor_split and the atleast_* forms return views (no copy), as in PyTorch; rot90 is a
flip (a gather) and a transpose (a view); take_along_dim is gather after broadcasting.
"""

import builtins
from typing import Any

import numpy as np

from tinygrad_edu import autograd, creation, dtypes, indexing
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.composite.operands import _is_tensor
from tinygrad_edu.movement import _at_least, cat, expand, flip, narrow, reshape, transpose


def tensor_split(x: Any, indices_or_sections: Any, dim: int = 0) -> tuple:
    """x split along dim into views: n sections (the first size % n one longer), or at the
    given indices (x[:i0], x[i0:i1], ..., x[ik:], each slice as Python's: a negative index
    counts from the end, an index past the end stops there, a backward pair is empty).
    A 0-d tensor of sections or a 1-d tensor of indices is read on the host."""
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    axis = tensor_module._axis(dim, x.ndim)
    size = x._shape[axis]
    splits = indices_or_sections
    if _is_tensor(splits):
        if splits.dtype is not dtypes.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {dtypes.scalar_type_name(splits.dtype)}")
        if splits.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {splits.ndim} dims")
        splits = splits.item() if splits.ndim == 0 else splits.tolist()
    if isinstance(splits, builtins.int):
        if splits <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {splits}")
        base, longer = divmod(size, splits)
        lengths = [base + 1 if i < longer else base for i in range(splits)]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).tolist()
        return tuple(narrow(x, axis, s, n) for s, n in zip(starts, lengths))
    bounds = [None, *[builtins.int(i) for i in splits], None]
    pieces = []
    for stop_index in range(1, len(bounds)):
        start, stop, _ = slice(bounds[stop_index - 1], bounds[stop_index]).indices(size)
        pieces.append(narrow(x, axis, start, builtins.max(stop - start, 0)))
    return tuple(pieces)


def take_along_dim(x: Any, indices: Any, dim: Any = None) -> Any:
    """out[..., i, ...] = x[..., indices[..., i, ...], ...] along dim, x and indices
    broadcast in every other dim (gather, which needs them equal); with dim None, both are
    flattened first. The pair to argsort / argmax(keepdim=True): take_along_dim(x, i, d)."""
    if indices.dtype is not dtypes.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{dtypes.scalar_type_name(indices.dtype)}")
    if dim is None:
        return indexing.gather(reshape(x, (-1,)), 0, reshape(indices, (-1,)))
    if x.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    axis = tensor_module._axis(dim, x.ndim)
    shape = []
    for d, (a, b) in enumerate(zip(x._shape, indices._shape)):
        if d != axis and a != b and 1 not in (a, b):
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {d}")
        shape.append(builtins.max(a, b) if 0 not in (a, b) else 0)
    x_shape = tuple(x._shape[d] if d == axis else s for d, s in enumerate(shape))
    index_shape = tuple(indices._shape[d] if d == axis else s for d, s in enumerate(shape))
    x = x if x._shape == x_shape else expand(x, x_shape)
    indices = indices if indices._shape == index_shape else expand(indices, index_shape)
    return indexing.gather(x, axis, indices)


def rot90(x: Any, k: int = 1, dims: Any = (0, 1)) -> Any:
    """x rotated by k quarter turns in the plane of dims, from the first dim towards the
    second (counterclockwise for a matrix shown rows down): k = 1 is flip(dims[1]) then
    transpose, k = 2 flips both, k = 3 is flip(dims[0]) then transpose."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    first, second = (tensor_module._axis(d, x.ndim) for d in dims)
    if first == second:
        raise RuntimeError("expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    turns = k % 4
    if turns == 1:
        out = transpose(flip(x, (second,)), first, second)
    elif turns == 2:
        out = flip(x, (first, second))
    elif turns == 3:
        out = transpose(flip(x, (first,)), first, second)
    else:
        out = x.clone()
    return autograd.named(out, "Rot90Backward0")


def _each(tensors: tuple, ndim: int) -> Any:
    """atleast_nd's argument forms: one tensor gives a tensor; several, or one sequence,
    a tuple."""
    if len(tensors) == 1 and not _is_tensor(tensors[0]):
        return tuple(_at_least(t, ndim) for t in tensors[0])
    out = tuple(_at_least(t, ndim) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor as is if it has >= 1 dims, else as a (1,) view"""
    return _each(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with leading size-1 dims up to 2 dims: (n,) -> (1, n)"""
    return _each(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor up to 3 dims as NumPy does: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)"""
    return _each(tensors, 3)


def column_stack(tensors: Any) -> Any:
    """The tensors side by side as columns: 0-d and 1-d ones become (n, 1) columns, then
    cat along dim 1 (hstack)"""
    columns = [reshape(t, (-1, 1)) if t.ndim < 2 else t for t in tensors]
    return cat(columns, 1)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Any:
    """The (2, N) coordinates of the lower triangle of a row x col matrix (j - i <=
    offset), row by row, as NumPy's tril_indices (computed there, then copied)"""
    rows, columns = np.tril_indices(row, offset, col)
    return _coordinates(rows, columns, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Any:
    """The (2, N) coordinates of the upper triangle (j - i >= offset), row by row"""
    rows, columns = np.triu_indices(row, offset, col)
    return _coordinates(rows, columns, dtype, device)


def _coordinates(rows: np.ndarray, columns: np.ndarray, dtype: Any, device: Any) -> Any:
    pairs = np.stack([rows, columns]).astype(np.int64).reshape(2, -1)
    return creation.tensor(pairs, dtype=dtype or dtypes.int64, device=device)
