"""Shape ops: views that share memory (view, permute, expand, slices) and ops that copy.

A view only computes a new (shape, strides, offset) over the same storage; the primitives
View, Permute, Expand and Slice in functions/ carry the gradient back. Each function labels
the node it makes with PyTorch's name for it (`autograd.named`): `t()` records a Permute
that PyTorch calls TBackward0, `x[0]` a Slice that PyTorch calls SelectBackward0.
"""

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from kernels.strided import contiguous_strides, numel
from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu import tensor as tensor_module


def _shape_arg(shape: Sequence) -> tuple:
    """Accept view(2, 3), view((2, 3)) and view([2, 3]) alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, tensor_module.Size)):
        shape = shape[0]
    return tuple(builtins.int(s) for s in shape)


def infer_shape(shape: tuple, count: int) -> tuple:
    """Replace one -1 in `shape` by whatever makes numel(shape) == count, or raise."""
    if list(shape).count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = numel(tuple(s for s in shape if s != -1))
    if -1 in shape:
        if known == 0 or count % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {count}")
        shape = tuple(count // known if s == -1 else s for s in shape)
    if numel(shape) != count or builtins.any(s < 0 for s in shape):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {count}")
    return shape


def view_strides(old_shape: tuple, old_strides: tuple, new_shape: tuple) -> tuple | None:
    """Strides that read the same memory as `new_shape`, or None if no such strides exist.

    Dimensions can merge or split only inside "chunks" of the old tensor whose elements are
    evenly spaced in memory: a transposed matrix cannot be flattened without a copy.
    """
    if not old_shape or numel(old_shape) == 0:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        chunk_ends = tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                                       old_strides[tensor_d - 1] != tensor_numel *
                                       chunk_base_stride)
        if chunk_ends:
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def view(x: Any, *shape: Any) -> Any:
    """The same memory read with a new shape (-1 inferred); raises if that needs a copy."""
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise RuntimeError("view(dtype) is not supported by tinygrad_edu; use .to(dtype)")
    new_shape = infer_shape(_shape_arg(shape), x.numel())
    strides = view_strides(x._shape, x._strides, new_shape)
    if strides is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return F.View.apply(x, shape=new_shape, strides=strides)


def reshape(x: Any, *shape: Any) -> Any:
    """view() when the memory allows it, else a contiguous copy viewed."""
    new_shape = infer_shape(_shape_arg(shape), x.numel())
    strides = view_strides(x._shape, x._strides, new_shape)
    if strides is None:
        copy = F.Clone.apply(x)
        out = F.View.apply(copy, shape=new_shape, strides=contiguous_strides(new_shape))
        return autograd.named(out, "UnsafeViewBackward0")
    return F.View.apply(x, shape=new_shape, strides=strides)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    if x.ndim == 0:
        return reshape(x, (1,))
    start = tensor_module._axis(start_dim, x.ndim)
    end = tensor_module._axis(end_dim, x.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._shape[:start] + (numel(x._shape[start:end + 1]),) + x._shape[end + 1:]
    return reshape(x, shape)


def unflatten(x: Any, dim: int, sizes: Sequence) -> Any:
    axis = tensor_module._axis(dim, x.ndim)
    sizes = infer_shape(tuple(sizes), x._shape[axis])
    return view(x, x._shape[:axis] + sizes + x._shape[axis + 1:])


def squeeze(x: Any, dim: Any = None) -> Any:
    """Drop size-1 dimensions (all, or those in dim)."""
    if dim is None:
        axes = tuple(a for a, size in enumerate(x._shape) if size == 1)
        name = "SqueezeBackward0"
    else:
        dims = (dim,) if isinstance(dim, builtins.int) else dim
        axes = tuple(a for a in (tensor_module._axis(d, x.ndim) for d in dims)
                     if x.ndim and x._shape[a] == 1)
        name = "SqueezeBackward1" if isinstance(dim, builtins.int) else "SqueezeBackward2"
    return autograd.named(_squeeze_axes(x, axes), name)


def _squeeze_axes(x: Any, axes: tuple) -> Any:
    if not axes:
        return F.View.apply(x, shape=x._shape, strides=x._strides)
    shape = tuple(s for a, s in enumerate(x._shape) if a not in axes)
    strides = tuple(s for a, s in enumerate(x._strides) if a not in axes)
    return F.View.apply(x, shape=shape, strides=strides)


def unsqueeze(x: Any, dim: int) -> Any:
    """Insert a size-1 dimension at dim (dim may be x.ndim)."""
    size = x.ndim + 1
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, "
                         f"{size - 1}], but got {dim})")
    axis = dim + size if dim < 0 else dim
    inner = x._strides[axis] * x._shape[axis] if axis < x.ndim else 1
    shape = x._shape[:axis] + (1,) + x._shape[axis:]
    strides = x._strides[:axis] + (inner,) + x._strides[axis:]
    return autograd.named(F.View.apply(x, shape=shape, strides=strides), "UnsqueezeBackward0")


def permute(x: Any, *dims: Any) -> Any:
    order = tuple(tensor_module._axis(d, x.ndim) for d in _shape_arg(dims)) if dims else ()
    if sorted(order) != list(range(x.ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(order)}"
                           if len(order) != x.ndim else f"permute(): duplicate dims in {order}")
    return F.Permute.apply(x, order=order)


def transpose(x: Any, dim0: int, dim1: int) -> Any:
    if x.ndim == 0:
        return autograd.named(F.View.apply(x, shape=(), strides=()), "TransposeBackward0")
    order = list(range(x.ndim))
    a, b = tensor_module._axis(dim0, x.ndim), tensor_module._axis(dim1, x.ndim)
    order[a], order[b] = order[b], order[a]
    return autograd.named(F.Permute.apply(x, order=tuple(order)), "TransposeBackward0")


def t(x: Any) -> Any:
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    out = transpose(x, 0, 1) if x.ndim == 2 else F.View.apply(x, shape=x._shape,
                                                               strides=x._strides)
    return autograd.named(out, "TBackward0")


def expand(x: Any, *sizes: Any) -> Any:
    """Broadcast size-1 dims (and new leading dims) to `sizes` with 0 strides: no copy."""
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({x.ndim})")
    lead = len(sizes) - x.ndim
    target = list(sizes)
    for k, size in enumerate(x._shape):
        wanted = sizes[lead + k]
        if wanted == -1:
            target[lead + k] = size
        elif size != 1 and wanted != size:
            raise RuntimeError(f"The expanded size of the tensor ({wanted}) must match the "
                               f"existing size ({size}) at non-singleton dimension {lead + k}. "
                               f"Target sizes: {list(sizes)}.  Tensor sizes: {list(x._shape)}")
    if tuple(target) == x._shape:
        return autograd.named(F.View.apply(x, shape=x._shape, strides=x._strides),
                              "ExpandBackward0")
    return F.Expand.apply(x, shape=tuple(target))


def _window(key: tuple) -> Any:
    """A function (shape, strides, offset) -> the geometry of x[key] for a basic key."""
    def apply(shape: tuple, strides: tuple, offset: int) -> tuple:
        return basic_index_geometry(shape, strides, offset, key)
    return apply


def basic_index_geometry(shape: tuple, strides: tuple, offset: int, key: tuple) -> tuple:
    """Geometry of x[key] where key holds ints, slices (step > 0), None and one Ellipsis."""
    used = builtins.sum(1 for item in key if item is not None and item is not Ellipsis)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    expanded: list = []
    for item in key:
        if item is Ellipsis:
            expanded.extend([slice(None)] * (len(shape) - used))
        else:
            expanded.append(item)
    if Ellipsis not in key:
        expanded.extend([slice(None)] * (len(shape) - used))
    new_shape, new_strides, dim = [], [], 0
    for item in expanded:
        if item is None:
            new_shape.append(1)
            new_strides.append(0)
            continue
        size, stride = shape[dim], strides[dim]
        if isinstance(item, slice):
            length, step_stride, skipped = slice_geometry(item, size, stride)
            offset += skipped
            new_shape.append(length)
            new_strides.append(step_stride)
        else:
            index = builtins.int(item)
            if not -size <= index < size:
                raise IndexError(f"index {index} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            offset += (index + size if index < 0 else index) * stride
        dim += 1
    return tuple(new_shape), tuple(new_strides), offset


def slice_geometry(item: slice, size: int, stride: int) -> tuple:
    """(length, stride, offset change) of a dim of `size` and `stride` sliced by `item`."""
    if item.step is not None and item.step <= 0:
        raise ValueError("step must be greater than zero")
    start, stop, step = item.indices(size)
    length = builtins.max(0, (stop - start + step - 1) // step)
    return length, stride * step, start * stride if length else 0


def basic_slice(x: Any, key: tuple) -> Any:
    return autograd.named(F.Slice.apply(x, window=_window(key)), _basic_index_name(key))


def slice_rows(x: Any, item: slice) -> Any:
    """x[item] for a slice of dim 0 (a batch of rows): with no gradient to track (x has no
    history and needs none, or grad mode is off) just the view, no autograd node."""
    shortcut = (x._base is None and not x._requires_grad) or not autograd._grad_enabled
    if shortcut and autograd._recorder is None:  # a trace must see the Slice (tracing.py)
        length, stride, skipped = slice_geometry(item, x._shape[0], x._strides[0])
        return x._view_of((length,) + x._shape[1:], (stride,) + x._strides[1:],
                          x._offset + skipped)
    return basic_slice(x, (item,))


def _basic_index_name(key: tuple) -> str:
    """PyTorch's node for x[key]: it indexes item by item, so the name is that of the last
    item that does something (an int selects, None unsqueezes, a slice other than `:`
    slices); a key of `:`s and `...` only is an alias, except the lone `x[:]`."""
    if key == (slice(None),):
        return "SliceBackward0"
    name = "AliasBackward0"
    for item in key:
        if item is None:
            name = "UnsqueezeBackward0"
        elif isinstance(item, slice):
            if (item.start, item.stop, item.step or 1) != (None, None, 1):
                name = "SliceBackward0"
        elif item is not Ellipsis:
            name = "SelectBackward0"
    return name


def narrow(x: Any, dim: int, start: int, length: int) -> Any:
    axis = tensor_module._axis(dim, x.ndim)
    if start < 0:
        start += x._shape[axis]
    if start < 0 or start + length > x._shape[axis]:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({x._shape[axis]}).")
    return basic_slice(x, (slice(None),) * axis + (slice(start, start + length),))


def select(x: Any, dim: int, index: int) -> Any:
    axis = tensor_module._axis(dim, x.ndim)
    return basic_slice(x, (slice(None),) * axis + (index,))


def unbind(x: Any, dim: int = 0) -> tuple:
    axis = tensor_module._axis(dim, x.ndim)
    # PyTorch: one UnbindBackward0 node with many outputs; here one Slice node per part
    return tuple(autograd.named(select(x, axis, i), "UnbindBackward0")
                 for i in range(x._shape[axis]))


def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple:
    axis = tensor_module._axis(dim, x.ndim)
    size = x._shape[axis]
    if isinstance(split_size_or_sections, builtins.int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sections = [builtins.min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sections = list(split_size_or_sections)
        if builtins.sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {axis}), but got "
                               f"split_sizes={sections}")
    name = ("SplitBackward0" if isinstance(split_size_or_sections, builtins.int)
            else "SplitWithSizesBackward0")
    parts, start = [], 0
    for length in sections:  # PyTorch: one node with many outputs; here one per part
        parts.append(autograd.named(narrow(x, axis, start, length), name))
        start += length
    return tuple(parts)


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple:
    axis = tensor_module._axis(dim, x.ndim)
    size = x._shape[axis]
    step = -(-size // chunks) if size else 1
    return split(x, step, axis)


def cat(tensors: Sequence, dim: int = 0) -> Any:
    """Join tensors along an existing dim (1-d empty tensors are skipped, as PyTorch)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for position, tensor in enumerate(tensors):
        if tensor.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {position}) cannot be "
                               "concatenated")
    tensors = [t for t in tensors if not (t.ndim == 1 and t._shape[0] == 0)] or tensors
    first = tensors[0]
    axis = tensor_module._axis(dim, first.ndim)
    dtype = tensors[0].dtype
    for other in tensors[1:]:
        dtype = dtypes.promote_types(dtype, other.dtype)
        if other.ndim != first.ndim or builtins.any(
                a != b for k, (a, b) in enumerate(zip(other._shape, first._shape)) if k != axis):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. "
                               f"Expected size {list(first._shape)} but got size "
                               f"{list(other._shape)} for a tensor in the list.")
    dispatch.same_device("cat", *tensors)
    return F.Cat.apply(*tensors, dim=axis, dtype=dtype)


def stack(tensors: Sequence, dim: int = 0) -> Any:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for other in tensors[1:]:
        if other._shape != tensors[0]._shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0]._shape)} at entry 0 and {list(other._shape)} "
                               "at a later entry")
    return autograd.named(cat([unsqueeze(t, dim) for t in tensors], dim), "StackBackward0")


def gather(x: Any, dim: int, index: Any) -> Any:
    """out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (PyTorch's torch.gather)"""
    axis = tensor_module._axis(dim, x.ndim)
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if index.dtype is dtypes.int32:
        index = index.to(dtypes.int64)  # element numbers are int64
    if index.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    element = _element_numbers_for_gather(x, axis, index)
    return F.Gather.apply(x, element)


def _element_numbers_for_gather(x: Any, axis: int, index: Any) -> Any:
    """Row-major element numbers of x picked by gather: index along axis, position elsewhere."""
    from tinygrad_edu import composite as C
    strides = contiguous_strides(x._shape)
    total = C.mul(index, strides[axis]) if strides[axis] != 1 else index
    for k, size in enumerate(index._shape):
        if k == axis or size == 1:
            continue
        positions = np.arange(size, dtype=np.int64) * strides[k]
        shape = [1] * index.ndim
        shape[k] = size
        ramp = tensor_module.Tensor._from_buffer(
            index._storage.backend.from_numpy(positions), tuple(shape), dtypes.int64,
            index._storage.device, index._storage.backend)
        total = C.add(total, ramp)
    return dispatch.contiguous(expand(total, index._shape)) if total._shape != index._shape \
        else total


def flip(x: Any, dims: Any) -> Any:
    """A copy with the order of elements reversed along dims."""
    dims = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
    key = [slice(None)] * x.ndim
    for d in dims:
        key[tensor_module._axis(d, x.ndim)] = slice(None, None, -1)
    from tinygrad_edu.indexing import element_numbers
    numbers = element_numbers(x._shape, tuple(key))
    return autograd.named(F.Gather.apply(x, _to_device(numbers, x)), "FlipBackward0")


def _to_device(array: np.ndarray, like: Any) -> Any:
    backend = like._storage.backend
    return tensor_module.Tensor._from_buffer(backend.from_numpy(array), array.shape,
                                             dtypes.from_numpy_dtype(array.dtype),
                                             like._storage.device, backend)


def repeat(x: Any, *sizes: Any) -> Any:
    """Tile x: repeat(2, 3) on (a, b) gives (2a, 3b)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    lead = len(sizes) - x.ndim
    shape = (1,) * lead + x._shape
    # (..., s, ...) -> (..., r, s, ...) by expand, then merge r and s
    interleaved, expanded = [], []
    for repeat_count, size in zip(sizes, shape):
        interleaved += [1, size]
        expanded += [repeat_count, size]
    tiled = expand(reshape(x, tuple(interleaved)), tuple(expanded))
    return autograd.named(reshape(tiled, tuple(r * s for r, s in zip(sizes, shape))),
                          "RepeatBackward0")


def tile(x: Any, dims: Any) -> Any:
    """repeat(x, dims), with dims padded with leading 1s when shorter than x.ndim (NumPy's
    tile): tile(x of (2, 3), (2,)) is (2, 6)."""
    dims = _shape_arg((dims,) if isinstance(dims, int) else tuple(dims))
    return repeat(x, *((1,) * (x.ndim - len(dims)) + tuple(dims)))


def ravel(x: Any) -> Any:
    """x as one row-major dim: a view when x's memory allows, a copy otherwise."""
    return reshape(x, (-1,))


def contiguous(x: Any) -> Any:
    return x if x.is_contiguous() else F.Clone.apply(x)


def swapaxes(x: Any, axis0: int, axis1: int) -> Any:
    """transpose(x, axis0, axis1) under NumPy's name (PyTorch's alias)."""
    return transpose(x, axis0, axis1)


def swapdims(x: Any, dim0: int, dim1: int) -> Any:
    """transpose(x, dim0, dim1) (PyTorch's alias)."""
    return transpose(x, dim0, dim1)


def index_select(x: Any, dim: int, index: Any) -> Any:
    """out = x with the positions index[j] along dim: out[i][j][k] = x[i][index[j]][k] (dim 1).

    Composed as gather with the 1-d index viewed along dim and expanded (no copy) over the
    other dims, so the gradient is Gather's: grad added back where picked (repeats add up)."""
    if not isinstance(index, tensor_module.Tensor):
        raise TypeError("index_select(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    axis = tensor_module._axis(dim, x.ndim)
    dispatch.same_device("index_select", x, index)
    count = index.numel()
    if x.ndim == 0:
        if count != 1:
            raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                               f"{count} value(s)")
        return reshape(index_select(reshape(x, (1,)), 0, index), ())
    size = x._shape[axis]
    if size == 0 and count:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    _check_index_select_range(index, size)
    along = [1] * x.ndim
    along[axis] = count
    out_shape = x._shape[:axis] + (count,) + x._shape[axis + 1:]
    picks = expand(reshape(index.to(dtypes.int64), tuple(along)), out_shape)
    return autograd.named(gather(x, axis, picks), "IndexSelectBackward0")


def _check_index_select_range(index: Any, size: int) -> None:
    """PyTorch's (CPU) error unless 0 <= index < size: a min and a max read on the host."""
    from tinygrad_edu import composite as C
    if not index.numel() or (C.amin(index).item() >= 0 and C.amax(index).item() < size):
        return
    values = index._storage.backend.to_numpy(index._strided()).reshape(-1)
    bad = values[(values < 0) | (values >= size)][0]
    raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")


# ---------------------------------------------------------------------------- more shapes
# Each composed from the views and copies above, so autograd needs nothing new.


def broadcast_to(x: Any, size: Sequence) -> Any:
    """x expanded to `size` (a view, no copy): expand with NumPy's name."""
    return expand(x, tuple(size))


def movedim(x: Any, source: Any, destination: Any) -> Any:
    """A view with dim(s) `source` moved to position(s) `destination`, the others in order."""
    sources = (source,) if isinstance(source, builtins.int) else tuple(source)
    targets = (destination,) if isinstance(destination, builtins.int) else tuple(destination)
    if len(sources) != len(targets):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                           f"({list(sources)} dims) should contain the same number of dims as "
                           f"destination ({list(targets)} dims)")
    sources = tuple(tensor_module._axis(d, x.ndim) for d in sources)
    targets = tuple(tensor_module._axis(d, x.ndim) for d in targets)
    order = [None] * x.ndim
    for s, d in zip(sources, targets):
        order[d] = s
    rest = iter(d for d in range(x.ndim) if d not in sources)
    return permute(x, *[next(rest) if o is None else o for o in order])


def _at_least(x: Any, ndim: int) -> Any:
    """x with leading (or, for 1-d to 3-d, PyTorch's) size-1 dims added up to ndim."""
    if x.ndim >= ndim:
        return x
    if ndim == 3 and x.ndim == 1:
        return reshape(x, (1, x._shape[0], 1))
    if ndim == 3 and x.ndim == 2:
        return unsqueeze(x, -1)
    return reshape(x, (1,) * (ndim - x.ndim) + x._shape)


def hstack(tensors: Sequence) -> Any:
    """cat along dim 1 (dim 0 for 1-d tensors)."""
    tensors = [_at_least(t, 1) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence) -> Any:
    """cat along dim 0, 1-d tensors first made rows (1, n)."""
    return cat([_at_least(t, 2) for t in tensors], 0)


def dstack(tensors: Sequence) -> Any:
    """cat along dim 2 (depth), tensors first made at least 3-d."""
    return cat([_at_least(t, 3) for t in tensors], 2)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d tensors: indexing 'ij' (PyTorch's default) gives grids of
    shape (len(a), len(b), ...); 'xy' swaps the first two (NumPy's default). Views."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    vectors = [reshape(t, (-1,)) for t in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = tuple(v._shape[0] for v in vectors)
    grids = []
    for k, v in enumerate(vectors):
        along = [1] * len(vectors)
        along[k] = shape[k]
        grids.append(expand(reshape(v, tuple(along)), shape))
    if swap:  # 'xy': the grids of (b, a) in 'ij', handed back in the order (a, b)
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """x.diagonal(offset, dim1, dim2): see _diagonal_view."""
    return _diagonal_view(x, offset, dim1, dim2)


def _diagonal_view(x: Any, offset: int, dim1: int, dim2: int) -> Any:
    """A view of the diagonal x[..., i, i + offset] of dims (dim1, dim2), as the last dim:
    a window whose last stride is stride1 + stride2 (functions.Slice: no copy)."""
    a, b = tensor_module._axis(dim1, x.ndim), tensor_module._axis(dim2, x.ndim)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")

    def window(shape: tuple, strides: tuple, start: int) -> tuple:
        length = builtins.max(0, builtins.min(shape[a] + builtins.min(offset, 0),
                                              shape[b] - builtins.max(offset, 0)))
        if length:
            start += offset * strides[b] if offset >= 0 else -offset * strides[a]
        keep = [d for d in range(len(shape)) if d not in (a, b)]
        return (tuple(shape[d] for d in keep) + (length,),
                tuple(strides[d] for d in keep) + (strides[a] + strides[b],), start)

    return autograd.named(F.Slice.apply(x, window=window), "DiagonalBackward0")


def diag(x: Any, diagonal: int = 0) -> Any:
    """1-d x: a square matrix with x on its diagonal-th diagonal; 2-d x: that diagonal,
    copied (as PyTorch)."""
    if x.ndim == 2:
        return autograd.named(F.Clone.apply(_diagonal_view(x, diagonal, 0, 1)),
                              "DiagonalBackward0")
    if x.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    from tinygrad_edu import creation
    count = x._shape[0]
    n = count + builtins.abs(diagonal)
    rows = np.arange(count) + builtins.max(-diagonal, 0)
    columns = np.arange(count) + builtins.max(diagonal, 0)
    zeros = creation.zeros(n, n, dtype=x.dtype, device=x.device)
    positions = _to_device(np.ascontiguousarray(rows * n + columns, dtype=np.int64), x)
    return autograd.named(F.IndexPut.apply(zeros, positions, x), "DiagEmbedBackward0")


def roll(x: Any, shifts: Any, dims: Any = None) -> Any:
    """Elements shifted by `shifts` along `dims`, those pushed off the end coming back at the
    start; with no dims, x is flattened, rolled and reshaped back."""
    if dims is None:
        return autograd.named(reshape(roll(reshape(x, (-1,)), shifts, 0), x._shape),
                              "RollBackward0")
    shifts = (shifts,) if isinstance(shifts, builtins.int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    key = []
    for d in range(x.ndim):
        key.append(np.arange(x._shape[d]))
    for shift, d in zip(shifts, dims):
        axis = tensor_module._axis(d, x.ndim)
        size = x._shape[axis]
        key[axis] = (np.arange(size) - shift) % size if size else key[axis]
    from tinygrad_edu.indexing import element_numbers
    numbers = element_numbers(x._shape, tuple(np.ix_(*key))) if x.ndim else np.zeros((), np.int64)
    return autograd.named(F.Gather.apply(x, _to_device(np.ascontiguousarray(numbers), x)),
                          "RollBackward0")


def repeat_interleave(x: Any, repeats: Any, dim: int | None = None,
                      output_size: int | None = None) -> Any:
    """Each element (or each slice along dim) repeated `repeats` times in place:
    [1, 2] -> [1, 1, 2, 2]; repeats may be a tensor of counts, one per element."""
    if dim is None:
        x, dim = reshape(x, (-1,)), 0
    axis = tensor_module._axis(dim, x.ndim)
    size = x._shape[axis]
    if isinstance(repeats, tensor_module.Tensor):
        counts = repeats._storage.backend.to_numpy(repeats._strided()).reshape(-1)
    else:
        counts = np.asarray([repeats])
    if counts.size == 1:
        counts = np.repeat(counts, size)
    if counts.size != size:
        raise RuntimeError("repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size({axis}) = {size}")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    picks = np.repeat(np.arange(size), counts.astype(np.int64))
    return autograd.named(index_select(x, axis, _to_device(picks.astype(np.int64), x)),
                          "IndexSelectBackward0")
