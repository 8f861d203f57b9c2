"""`x[key]` and `x[key] = value`, with PyTorch's indexing rules (NumPy's, but ints first).

Basic keys (ints, slices, None, ...) give a view: a new window on the same memory
(movement.basic_slice). Any tensor, list or boolean mask in the key makes it *advanced*
indexing, which copies: we work out the row-major element number of every element the key
picks, then gather them (functions.Gather) or write them (functions.IndexPut).

Element numbers are computed on the host with NumPy: the key's basic items are applied
first (PyTorch's order, see element_numbers), then for each dimension k a broadcast (no
memory) array that holds `i * stride_k` at index i along k is indexed with the rest of the
key, and the results summed. Difference from PyTorch: index tensors on a CUDA device are
copied to the host for this step.
"""

import builtins
from typing import Any

import numpy as np

from kernels.strided import contiguous_strides
from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu import movement as M
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.movement import _to_device, basic_index_geometry, basic_slice


def _normalize(key: Any) -> tuple:
    """The key as a tuple of items; a range item becomes a list (x[range(n), y] picks, as
    PyTorch)."""
    key = key if isinstance(key, tuple) else (key,)
    return tuple(list(item) if isinstance(item, range) else item for item in key)


def _is_basic(item: Any) -> bool:
    if item is None or item is Ellipsis or isinstance(item, slice):
        return True
    if isinstance(item, (bool, np.bool_)):
        return False
    if isinstance(item, (builtins.int, np.integer)):
        return True
    if isinstance(item, tensor_module.Tensor):
        return item.ndim == 0 and item.dtype.category == dtypes.INTEGER
    return False


def _host_item(item: Any) -> Any:
    """A key item as NumPy understands it (tensors and lists become arrays)."""
    if isinstance(item, tensor_module.Tensor):
        if item.dtype.category == dtypes.FLOATING:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        array = item._storage.backend.to_numpy(item._strided())
        return array.astype(np.int64) if array.dtype != np.bool_ else array
    if isinstance(item, (list, tuple)):
        array = np.asarray([_host_item(v) if isinstance(v, tensor_module.Tensor) else v
                            for v in item])
        if array.size == 0:
            return array.astype(np.int64)
        if array.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return array
    return item


def element_numbers(shape: tuple, key: tuple, strides: tuple | None = None,
                    offset: int = 0) -> np.ndarray:
    """int64 array, shaped like x[key], of offset + sum_k index_k * strides_k (row-major
    element numbers when strides are the contiguous ones, as by default).

    PyTorch's order: the basic items (ints, slices, None) are applied first, as a window,
    and the advanced ones index that window with NumPy's rules. So for x of shape (2, 3, 4)
    x[0, :, [1, 2]] is x[0][:, [1, 2]], shape (3, 2). (NumPy counts the 0 as one more
    advanced index, separated from [1, 2] by a slice, and gives (2, 3).)"""
    strides = contiguous_strides(shape) if strides is None else strides
    basic, key = _split_key(tuple(_host_item(item) for item in key))
    shape, strides, offset = basic_index_geometry(shape, strides, offset, basic)
    try:
        if not shape:
            return np.asarray(np.full((), offset, dtype=np.int64)[key], dtype=np.int64)
        total = None
        for k, (size, stride) in enumerate(zip(shape, strides)):
            ramp = np.arange(size, dtype=np.int64) * stride
            ramp = ramp.reshape([size if j == k else 1 for j in range(len(shape))])
            part = np.broadcast_to(ramp, shape)[key]
            total = part if total is None else total + part
    except IndexError as error:
        raise IndexError(str(error).replace("axis", "dimension")) from None
    return np.ascontiguousarray(total + offset, dtype=np.int64)


def _split_key(key: tuple) -> tuple:
    """(basic, rest) for a key of host items: `basic` holds the ints, slices, None and
    Ellipsis, with a full slice for each dim an advanced item indexes; `rest` indexes the
    window that `basic` gives: an int's dim is gone, the other basic items are full slices
    (a None made a dim of size 1), and the advanced items are as they were."""
    basic: list = []
    rest: list = []
    for item in key:
        if isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype != np.bool_:
            item = builtins.int(item)  # a 0-d integer tensor is an int (PyTorch)
        if isinstance(item, (bool, np.bool_)):  # a 0-d mask: a new dim, no dim consumed
            rest.append(item)
        elif isinstance(item, np.ndarray):
            basic += [slice(None)] * (item.ndim if item.dtype == np.bool_ else 1)
            rest.append(item)
        elif item is Ellipsis:
            basic.append(item)
            rest.append(item)
        elif item is None or (isinstance(item, slice) and (item.step or 1) > 0):
            basic.append(item)
            rest.append(slice(None))
        elif isinstance(item, slice):  # negative steps: NumPy applies them (flip uses them)
            basic.append(slice(None))
            rest.append(item)
        elif isinstance(item, (builtins.int, np.integer)):
            basic.append(item)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(item).__name__})")
    return tuple(basic), tuple(rest)


def getitem(x: Any, key: Any) -> Any:
    if type(key) is slice and x._shape:  # x[a:b], the commonest key (a batch of rows)
        return M.slice_rows(x, key)
    key = _normalize(key)
    if builtins.all(_is_basic(item) for item in key):
        return basic_slice(x, tuple(builtins.int(i) if isinstance(i, tensor_module.Tensor)
                                    else i for i in key))
    numbers = element_numbers(x._shape, key)
    return autograd.named(F.Gather.apply(x, _to_device(numbers, x)), "IndexBackward0")


def gather(x: Any, dim: int, index: Any) -> Any:
    """x.gather(dim, index) (movement.gather) after PyTorch's checks of index: its sizes and
    its values, which movement.gather turns into memory positions without looking.
    A 0-d x or index counts as 1-d of one element; the result has index's shape."""
    if isinstance(index, tensor_module.Tensor) and 0 in (x.ndim, index.ndim) and \
            builtins.max(x.ndim, 1) == builtins.max(index.ndim, 1):
        flat = gather(_at_least_1d(x), dim, _at_least_1d(index))
        return autograd.named(flat.reshape(index._shape), "GatherBackward0")
    if isinstance(index, tensor_module.Tensor) and index.ndim == x.ndim:
        axis = tensor_module._axis(dim, x.ndim)
        for k, (wanted, size) in enumerate(zip(index._shape, x._shape)):
            if k != axis and wanted > size:
                raise RuntimeError(f"Size does not match at dimension {k} expected index "
                                   f"{list(index._shape)} to be no larger than self "
                                   f"{list(x._shape)} apart from dimension {axis}")
        check_index_range(index, x._shape[axis], axis)
    return M.gather(x, dim, index)


def _scatter_operands(name: str, x: Any, dim: int, index: Any, src: Any) -> tuple:
    """PyTorch's checks of a scatter, then (element numbers of x that index picks, the values
    to put there: src's leading corner of index's shape, or the number src broadcast)."""
    if not isinstance(index, tensor_module.Tensor) or index.dtype not in (dtypes.int64,
                                                                          dtypes.int32):
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self "
                           "tensor")
    axis = tensor_module._axis(dim, x.ndim)
    if isinstance(src, tensor_module.Tensor):
        if src.ndim != index.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        if src.dtype is not x.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        too_big = builtins.any(i > s or (k != axis and i > n) for k, (i, s, n) in
                               enumerate(zip(index._shape, src._shape, x._shape)))
        if src.ndim != x.ndim or too_big:
            raise RuntimeError(f"Expected index {list(index._shape)} to be no larger than self "
                               f"{list(x._shape)} apart from dimension {axis} and to be no "
                               f"larger size than src {list(src._shape)}")
        values = src[tuple(slice(0, size) for size in index._shape)]
    else:
        values = M.expand(_scalar(src, x), index._shape)
    check_index_range(index, x._shape[axis], axis)
    if index.dtype is dtypes.int32:
        index = index.to(dtypes.int64)
    return M._element_numbers_for_gather(x, axis, index), values


def _scalar(value: Any, like: Any) -> Any:
    """The number `value` as a 0-d tensor of like's dtype and device."""
    from tinygrad_edu import composite as C
    return C.scalar_tensor(value, like.dtype, like)


def scatter(x: Any, dim: int, index: Any, src: Any = None, value: Any = None) -> Any:
    """A copy of x with out[i][index[i][j][k]][k] = src[i][j][k] (dim 1), or = value. Where
    an index repeats, which write wins is not defined (as in PyTorch)."""
    if (src is None) == (value is None):
        raise TypeError("scatter() needs exactly one of src and value")
    name = "ScatterBackward0" if isinstance(src, tensor_module.Tensor) else "ScatterBackward1"
    x1, index, src = _scatter_1d(x, index, src if src is not None else value)
    positions, values = _scatter_operands("scatter", x1, dim, index, src)
    out = F.IndexPut.apply(x1, positions, values)
    return autograd.named(out if x1 is x else out.reshape(()), name)


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Any:
    """A copy of x with out[i][index[i][j][k]][k] += src[i][j][k] (dim 1); repeats add up."""
    x1, index, src = _scatter_1d(x, index, src)
    positions, values = _scatter_operands("scatter_add", x1, dim, index, src)
    out = F.IndexAdd.apply(x1, positions, values)
    return autograd.named(out if x1 is x else out.reshape(()), "ScatterAddBackward0")


def _scatter_1d(x: Any, index: Any, src: Any) -> tuple:
    """x, index and src with each 0-d tensor seen as 1-d of one element, as PyTorch's
    scatters see them (`zeros(3).scatter_(0, tensor(1), value=1)` is a one-hot)."""
    def one_d(t: Any) -> Any:
        return _at_least_1d(t) if isinstance(t, tensor_module.Tensor) else t
    return one_d(x), one_d(index), one_d(src)


def index_add(x: Any, dim: int, index: Any, source: Any, alpha: Any = 1) -> Any:
    """A copy of x with out[:, index[j]] += alpha * source[:, j] (dim 1); repeats add up."""
    if not _is_index(index, dtypes.int64, dtypes.int32):
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_type_name(index)}")
    if source.dtype is not x.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(x)}) and source "
                           f"({_type_name(source)}) must have the same scalar type")
    axis, spread, values = _index_operands(x, dim, index, source)
    if spread is None:
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be "
                           f"equal to source.size(dim): ({values}), for dim: {axis}")
    if first_outside(index, 0, _size(x, axis)) is not None:
        raise IndexError("index out of range in self")
    if alpha != 1:
        values = values * alpha
    positions = M._element_numbers_for_gather(_at_least_1d(x), axis, spread)
    return autograd.named(F.IndexAdd.apply(x, positions, values), "IndexAddBackward0")


def index_copy(x: Any, dim: int, index: Any, source: Any) -> Any:
    """A copy of x with out[:, index[j]] = source[:, j] (dim 1). Where an index repeats,
    which write wins is not defined (as in PyTorch)."""
    if not _is_index(index, dtypes.int64):
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{_type_name(index)}")
    if source.dtype is not x.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_type_name(x)} and (source) {_type_name(source)}")
    axis, spread, values = _index_operands(x, dim, index, source)
    if spread is None:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal "
                         f"to source.size(dim) ({values})")
    size = _size(x, axis)
    if (bad := first_outside(index, 0, size)) is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {axis} "
                         f"with size {size}")
    positions = M._element_numbers_for_gather(_at_least_1d(x), axis, spread)
    return autograd.named(F.IndexPut.apply(x, positions, values), "IndexCopyBackward0")


def index_fill(x: Any, dim: int, index: Any, value: Any) -> Any:
    """A copy of x with out[:, index[j]] = value (dim 1). value is a number or a 0-d tensor
    (which then gets the gradient of every element it filled); a negative index counts from
    the end, as PyTorch."""
    if not _is_index(index, dtypes.int64):
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, tensor_module.Tensor):
        if value.ndim != 0:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        value = value.to(x.dtype)
    else:
        value = _scalar(value, x)
    axis = tensor_module._axis(dim, max(x.ndim, 1))
    size = _size(x, axis)
    if (bad := first_outside(index, -size, size)) is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
    from tinygrad_edu import composite as C
    index = C.remainder(index.reshape(-1), size) if size else index.reshape(-1)  # -1 -> last
    shape = list(_at_least_1d(x)._shape)
    shape[axis] = index.numel()
    spread = _spread(index, axis, tuple(shape))
    positions = M._element_numbers_for_gather(_at_least_1d(x), axis, spread)
    name = "IndexFillBackward1" if value.requires_grad else "IndexFillBackward0"
    return autograd.named(F.IndexPut.apply(x, positions, M.expand(value, spread._shape)), name)


def take(x: Any, index: Any) -> Any:
    """x read as 1-d (row-major) at `index`; the result has index's shape. A negative index
    counts from the end, as PyTorch."""
    if not _is_index(index, dtypes.int64):
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{_type_name(index)}")
    count = x.numel()
    if (bad := first_outside(index, -count, count)) is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {count} "
                         "elements.")
    picked = x.reshape(-1)[index.reshape(-1)]  # advanced indexing: a Gather
    return autograd.named(picked.reshape(index._shape), "TakeBackward0")


def _is_index(index: Any, *allowed: dtypes.dtype) -> bool:
    return isinstance(index, tensor_module.Tensor) and index.dtype in allowed


def _type_name(x: Any) -> str:
    """PyTorch's name of x's element type (Float, Long, ...), or x's Python type."""
    dtype = getattr(x, "dtype", None)
    return dtypes.scalar_type_name(dtype) if dtype else type(x).__name__


def _at_least_1d(x: Any) -> Any:
    """A 0-d tensor as shape (1,): the index_* ops treat it as having one dim of size 1."""
    return x if x.ndim else x.reshape(1)


def _size(x: Any, axis: int) -> int:
    return _at_least_1d(x)._shape[axis]


def _spread(index: Any, axis: int, shape: tuple) -> Any:
    """index (1-d, or 0-d) laid along `axis` and repeated over the other dims of `shape`."""
    along = [1] * len(shape)
    along[axis] = index.numel()
    return M.expand(index.reshape(tuple(along)).to(dtypes.int64), shape)


def _index_operands(x: Any, dim: int, index: Any, source: Any) -> tuple:
    """index_add / index_copy: PyTorch's shape checks, then (axis, index spread over source's
    shape, source). A count that does not match source.size(dim) gives (axis, None, that
    size), for the caller's own message."""
    axis = tensor_module._axis(dim, max(x.ndim, 1))
    source_shape = source._shape if source.ndim else (1,)
    x_shape = _at_least_1d(x)._shape
    if index.ndim > 1 or source.ndim not in (0, x.ndim) or builtins.any(
            k != axis and s != n for k, (s, n) in enumerate(zip(source_shape, x_shape))):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x._shape)} "
                           f"source.shape = {list(source._shape)}")
    if index.numel() != source_shape[axis]:
        return axis, None, source_shape[axis]
    return axis, _spread(index, axis, source_shape), source.reshape(source_shape)


def first_outside(index: Any, low: int, high: int) -> Any:
    """The first value of index outside low <= v < high, or None: a min and a max reduction
    on the index's device, read on the host (the values are read only on error)."""
    from tinygrad_edu import composite as C
    if index.numel() == 0 or index.dtype.is_floating_point:
        return None
    if C.amin(index).item() >= low and C.amax(index).item() < high:
        return None
    values = index._storage.backend.to_numpy(index._strided()).reshape(-1)
    return values[(values < low) | (values >= high)][0]


def check_index_range(index: Any, size: int, dim: int) -> None:
    """Raise PyTorch's error unless 0 <= index < size everywhere (a min and a max reduction
    on the index's device, read on the host; the offending value is found only on error)."""
    from tinygrad_edu import tracing  # (imported here: tracing needs the Tensor class)

    with tracing.argument_check():  # a read that only checks: a trace may go on past it
        bad = first_outside(index, 0, size)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def setitem(x: Any, key: Any, value: Any) -> None:
    """x[key] = value (value broadcast to the indexed shape), in place."""
    from tinygrad_edu import composite as C
    key = _normalize(key)
    if isinstance(value, tensor_module.Tensor):
        if value.dtype is not x.dtype:
            value = value.to(x.dtype)
    else:
        value = C.scalar_tensor(value, x.dtype, x)
    recording = autograd._grad_enabled and (x._requires_grad or value._requires_grad)
    basic = builtins.all(_is_basic(item) for item in key)
    if basic and not recording:
        key = tuple(builtins.int(i) if isinstance(i, tensor_module.Tensor) else i for i in key)
        window = x._view_of(*basic_index_geometry(x._shape, x._strides, x._offset, key))
        dispatch.copy_into(_fit(value, window._shape), window)
        x._storage.version += 1
        return
    if not recording:
        positions = element_numbers(x._shape, key, x._strides, x._offset)
        target = _to_device(positions, x)
        dispatch.index_put(x, target, _fit(value, positions.shape))
        x._storage.version += 1
        return
    if basic:  # a write through a view: the base records it as CopySlices (tensor._assign)
        key = tuple(builtins.int(i) if isinstance(i, tensor_module.Tensor) else i for i in key)
        window = basic_slice(x, key)
        window._assign(M.expand(_fit(value, window._shape), window._shape))
        return
    numbers = _to_device(element_numbers(x._shape, key), x)
    x._check_inplace()
    result = F.IndexPut.apply(x._inplace_input(), numbers, _fit(value, numbers._shape))
    x._assign(result)


def index_put(x: Any, indices: Any, values: Any, accumulate: bool = False) -> Any:
    """A copy of x with x[indices] = values (a tuple of index tensors, values broadcast),
    or x[indices] += values with accumulate=True, where repeated indices all add up
    (x[idx] += v reads x[idx] once, so there a repeat adds only once)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): argument 'indices' must be tuple of Tensors")
    if values.dtype is not x.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{x.type()[6:-6]} for the destination and "
                           f"{values.type()[6:-6]} for the source.")
    numbers = _to_device(element_numbers(x._shape, _normalize(tuple(indices))), x)
    values = M.expand(_fit(values, numbers._shape), numbers._shape)
    if accumulate:
        return autograd.named(F.IndexAdd.apply(x, numbers, values), "IndexPutBackward0")
    return autograd.named(F.IndexPut.apply(x, numbers, values), "IndexPutBackward0")


def _fit(value: Any, shape: tuple) -> Any:
    """value with leading size-1 dims dropped until it can broadcast to shape."""
    while value.ndim > len(shape) and value._shape[0] == 1:
        value = F.View.apply(value, shape=value._shape[1:], strides=value._strides[1:])
    if dispatch.broadcast("index_put", value, _Shape(shape)) != tuple(shape):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value._shape)} cannot "
                           f"be broadcast to indexing result of shape {list(shape)}")
    return value


class _Shape:
    def __init__(self, shape: tuple) -> None:
        self._shape = shape
