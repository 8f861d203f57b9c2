"""Hypothesis strategies for the tensor op suite, and the builders that turn a draw into tensors.

Strategies (what a test draws):
- `shapes`: 0 to 3 dims, sizes 0 to 4 (size-0 and size-1 dims come up often);
- `broadcast_pairs`: two shapes that broadcast together (each may be 0-d);
- `values`: a float64 NumPy array of a shape, from a bounded range (no nan / inf);
- `layouts`: how the tensor sits in memory (contiguous, transposed, strided, offset, expanded);
- `reduce_dims`: None, an int or a tuple of dims for a shape (negative dims too);
- `basic_keys` / `index_keys`: indexing keys (ints, negatives, slices with steps, None, ...,
  bool masks, int lists) valid for a shape.

Builders (library-agnostic: `lib` is tinygrad_edu or torch, which share the API):
- `build(lib, array, layout, ...)` -> (leaf, view): the leaf owns memory (and the gradient),
  the view holds `array`'s values with the requested layout, so one draw exercises strided
  kernels and the backward of the view ops that made it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

LAYOUTS = ("contiguous", "transposed", "strided", "offset", "expanded")


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
           max_side: int = 4) -> st.SearchStrategy:
    """Shapes with 0..3 dims of size 0..4; hypothesis shrinks toward small and 0-d."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcast_pairs(min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
                    max_side: int = 4) -> st.SearchStrategy:
    """(shape_a, shape_b) that broadcast together (NumPy / PyTorch rules)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda result: tuple(result.input_shapes))


def values(shape: tuple, low: float = -3.0, high: float = 3.0) -> st.SearchStrategy:
    """A float64 array of `shape` with elements in [low, high] (no nan, no inf)."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elements)


def tie_values(shape: tuple) -> st.SearchStrategy:
    """A float64 array of `shape` drawn from five values, so that ties are common."""
    return hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.5, -0.5, 0.0, 0.5, 2.0]))


def layouts() -> st.SearchStrategy:
    return st.sampled_from(LAYOUTS)


@st.composite
def reduce_dims(draw: Any, shape: tuple) -> Any:
    """None (all dims), one dim, or a tuple of distinct dims (negative spellings included)."""
    ndim = len(shape)
    if ndim == 0:
        return draw(st.sampled_from([None, 0, -1]))
    dim = st.integers(-ndim, ndim - 1)
    return draw(st.one_of(st.none(), dim,
                          st.lists(dim, min_size=1, max_size=ndim,
                                   unique_by=lambda d: d % ndim).map(tuple)))


@st.composite
def basic_keys(draw: Any, shape: tuple) -> tuple:
    """A basic index (a view): ints (negative too), slices with steps, None and one `...`."""
    key: list = []
    dims = list(shape)
    if dims and draw(st.booleans()):
        # an Ellipsis stands for a run of full slices somewhere
        start = draw(st.integers(0, len(dims)))
        stop = draw(st.integers(start, len(dims)))
        before, after = dims[:start], dims[stop:]
        key += [draw(_basic_item(size)) for size in before] + [Ellipsis]
        key += [draw(_basic_item(size)) for size in after]
    else:
        count = draw(st.integers(0, len(dims)))
        key += [draw(_basic_item(size)) for size in dims[:count]]
    if draw(st.booleans()):
        key.insert(draw(st.integers(0, len(key))), None)
    return tuple(key)


def _basic_item(size: int) -> st.SearchStrategy:
    bound = st.integers(-size - 1, size + 1) | st.none()
    slices = st.builds(slice, bound, bound, st.none() | st.integers(1, 3))
    if size == 0:
        return slices
    return st.integers(-size, size - 1) | slices


@st.composite
def index_keys(draw: Any, shape: tuple, unique: bool = False) -> tuple:
    """A basic key with one or two items replaced by advanced ones (int lists, a bool mask).

    With `unique`, int lists hold no repeats (for __setitem__, where the order of repeated
    writes is unspecified in PyTorch).
    """
    assert shape, "index_keys needs at least one dim"
    key = list(draw(basic_keys(shape)))
    positions = [k for k in range(len(key)) if key[k] is not None and key[k] is not Ellipsis]
    sizes = _sizes_for(key, shape)
    if not positions:  # no item consumes a dim: index every dim with a full slice instead
        key = [slice(None)] * len(shape)
        positions = list(range(len(shape)))
        sizes = list(shape)
    chosen = draw(st.lists(st.sampled_from(positions), min_size=1, max_size=2, unique=True))
    for k in chosen:
        size = sizes[k]
        if size == 0 or draw(st.booleans()):
            key[k] = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)),
                              dtype=np.bool_)
        else:
            items = st.integers(-size, size - 1)
            length = st.integers(1, min(size, 3) if unique else 3)
            chosen_ints = draw(st.lists(items, min_size=1, max_size=draw(length),
                                        unique_by=(lambda i, n=size: i % n) if unique else None))
            key[k] = chosen_ints
    # NumPy would broadcast two int lists against each other: keep them the same length
    lists = [k for k in chosen if isinstance(key[k], list)]
    if len(lists) == 2:
        n = min(len(key[lists[0]]), len(key[lists[1]]))
        key[lists[0]], key[lists[1]] = key[lists[0]][:n], key[lists[1]][:n]
    if len(chosen) == 2 and any(isinstance(key[k], np.ndarray) for k in chosen):
        # a mask and another advanced index must broadcast: keep a single advanced item
        key[chosen[1]] = slice(None)
    return tuple(key)


def _sizes_for(key: list, shape: tuple) -> list:
    """The size of the tensor dim that each key item indexes (None for None / `...`)."""
    used = sum(1 for item in key if item is not None and item is not Ellipsis)
    sizes, dim = [], 0
    for item in key:
        if item is None:
            sizes.append(None)
        elif item is Ellipsis:
            sizes.append(None)
            dim += len(shape) - used
        else:
            sizes.append(shape[dim])
            dim += 1
    return sizes


# ---------------------------------------------------------------------------- builders


def build(lib: Any, array: np.ndarray, layout: str = "contiguous", requires_grad: bool = False,
          device: str = "cpu", dtype: Any = None) -> tuple:
    """(leaf, view): `view` holds `array`'s values laid out as `layout` over `leaf`'s memory.

    contiguous  view is leaf
    transposed  leaf holds the array with its dims reversed; view = leaf.permute(reversed)
    strided     leaf has an extra last dim of 2; view = leaf[..., 0] (every other element)
    offset      as strided, view = leaf[..., 1] (and so a non-zero storage offset)
    expanded    leaf holds array[:1] (first row); view = leaf.expand(shape), stride 0 --
                the values are then broadcast_to(array[:1], shape): use `layout_values`
    """
    if dtype is None:
        dtype = lib.float64 if array.dtype == np.float64 else lib.float32
    shape = array.shape
    if layout == "transposed" and array.ndim >= 2:
        order = tuple(reversed(range(array.ndim)))
        stored = _c_order(array.transpose(order))
    elif layout in ("strided", "offset"):
        junk = np.full(shape, 7.25)
        stored = np.stack((array, junk) if layout == "strided" else (junk, array), axis=-1)
    elif layout == "expanded" and array.ndim >= 1 and shape[0] > 1:
        stored = _c_order(array[:1])
    else:
        stored = _c_order(array)
    leaf = _leaf(lib, stored, requires_grad, device, dtype)
    return leaf, build_view_of(leaf, shape, layout)


def build_view_of(leaf: Any, shape: tuple, layout: str) -> Any:
    """The view `build` makes of `leaf` for a logical `shape` and `layout` (see build)."""
    if layout == "transposed" and len(shape) >= 2:
        return leaf.permute(*reversed(range(len(shape))))
    if layout in ("strided", "offset"):
        return leaf[..., 0 if layout == "strided" else 1]
    if layout == "expanded" and len(shape) >= 1 and shape[0] > 1:
        return leaf.expand(*shape)
    return leaf


def layout_values(array: np.ndarray, layout: str) -> np.ndarray:
    """The values a `build(..., layout)` view holds (differs from array only for expanded)."""
    if layout == "expanded" and array.ndim >= 1 and array.shape[0] > 1:
        return np.broadcast_to(array[:1], array.shape).copy()
    return array


def _c_order(array: np.ndarray) -> np.ndarray:
    """A C-ordered copy that keeps 0-d arrays 0-d (np.ascontiguousarray makes them 1-d)."""
    return np.array(array, order="C", copy=True)


def _leaf(lib: Any, array: np.ndarray, requires_grad: bool, device: str, dtype: Any) -> Any:
    tensor = lib.tensor(array, dtype=dtype)
    if device != "cpu":
        tensor = tensor.to(device)
    return tensor.requires_grad_(requires_grad)
