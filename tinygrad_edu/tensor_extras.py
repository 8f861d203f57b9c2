"""Tensor methods learners meet less often, composed from the library's ops.

    scatter_reduce  out[index[i][j]][j] = reduce(self, src ...)  (dim 0)  sum prod mean amax amin
    index_reduce    the same along one dim, index 1-D (prod mean amax amin)
    masked_scatter  the True places of mask take source's elements in order
    put             the flattened self: out[index[k]] = source[k] (or += with accumulate)
    quantile        from sort: the value at position q (n - 1), interpolated
    unfold          sliding windows of `size` every `step` along one dim (a copy here)
    rsub            other - alpha * self

No backward of its own anywhere: gradients come from the scatters, gathers and slices.
amax / amin / prod compute their values on the host (NumPy's ufunc.at), then attach the
gradient with `value + (f - f.detach())`, f a composed function with the right derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu import autograd, creation, indexing
from tinygrad_edu import composite as C
from tinygrad_edu import movement as M

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_UFUNCS = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def rsub(x: Any, other: Any, alpha: Any = 1) -> Any:
    """other - alpha * x (torch.rsub: sub with the operands swapped)."""
    return C.sub(other, x, alpha)


# ---------------------------------------------------------------------------- scatter_reduce


def _host(t: Any) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def _targets(index: np.ndarray, dim: int) -> tuple:
    """For each element of index, its target coordinates in self: index along dim."""
    coords = list(np.indices(index.shape))
    coords[dim] = index
    return tuple(coords)


def scatter_reduce(x: Any, dim: int, index: Any, src: Any, reduce: str,
                   include_self: bool = True) -> Any:
    """A copy of x where, for each element of index (dim 0 shown),
        out[index[i][j]][j] = reduce over {x[index[i][j]][j] if include_self} and every
                              src[i][j] that lands there
    Places no index points at keep x. "mean" divides by the count (floor division for
    integers, as PyTorch). Gradients: sum and mean as the scatter-add; amax and amin share
    the gradient evenly among the elements equal to the result (as PyTorch); prod gives
    each factor c the gradient out / c (PyTorch: the product of the others, which differs
    only when a factor is exactly 0: 0 here)."""
    if reduce not in _REDUCES:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    dim = dim % max(x.ndim, 1)
    src = src[tuple(slice(0, n) for n in index.shape)] if src.ndim else src
    hit = C.gt(indexing.scatter_add(creation.zeros_like(x, dtype=x.dtype),
                                    dim, index, creation.ones_like(src)), 0)
    base = x if include_self else C.where(hit, 0, x).to(x.dtype)
    if reduce == "sum":
        return autograd.named(indexing.scatter_add(base, dim, index, src),
                              "ScatterReduceBackward0")
    if reduce == "mean":
        total = indexing.scatter_add(base, dim, index, src)
        count = indexing.scatter_add(creation.zeros_like(x), dim, index,
                                     creation.ones_like(src))
        if include_self:
            count = C.add(count, 1)
        count = C.where(C.eq(count, 0), 1, count).to(x.dtype)
        mean = C.div(total, count) if x.dtype.is_floating_point \
            else C.floor_divide(total, count)
        return autograd.named(mean, "ScatterReduceBackward0")
    return _extreme_or_product(x, dim, index, src, reduce, include_self, hit)


def _extreme_or_product(x: Any, dim: int, index: Any, src: Any, reduce: str,
                        include_self: bool, hit: Any) -> Any:
    """amax, amin, prod: values by NumPy, the gradient attached (see scatter_reduce)."""
    values = _host(x)
    where_hit = _host(hit)
    targets = _targets(_host(index), dim)
    ufunc = _UFUNCS[reduce]
    if not include_self:  # start each hit place from the first value that reaches it
        values[where_hit] = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce] \
            if values.dtype.kind == "f" else _identity(reduce, values.dtype)
    ufunc.at(values, targets, _host(src))
    result = creation._wrap(values, x.device)
    if not (autograd.is_grad_enabled() and (x.requires_grad or src.requires_grad)):
        return result
    keep_x = creation.ones_like(x) if include_self else C.logical_not(hit).to(x.dtype)
    gathered = indexing.gather(result, dim, index)
    if reduce == "prod":
        # d out / d c = out / c for each factor c (0 where c == 0)
        fixed_x, fixed_s = x.detach(), src.detach()
        share_x = C.where(C.eq(fixed_x, 0), 0,
                          C.div(result, C.where(C.eq(fixed_x, 0), 1, fixed_x)))
        share_s = C.where(C.eq(fixed_s, 0), 0,
                          C.div(gathered, C.where(C.eq(fixed_s, 0), 1, fixed_s)))
        f = C.add(C.mul(C.mul(x, keep_x), share_x),
                  indexing.scatter_add(creation.zeros_like(x), dim, index,
                                       C.mul(src, share_s)))
    else:
        # the gradient is shared evenly by every element equal to the result
        tie_x = C.mul(C.eq(x, result).to(x.dtype), keep_x)
        tie_s = C.eq(src, gathered).to(x.dtype)
        count = indexing.scatter_add(tie_x, dim, index, tie_s)
        f = C.add(C.div(C.mul(x, tie_x), count),
                  indexing.scatter_add(creation.zeros_like(x), dim, index,
                                       C.div(C.mul(src, tie_s), indexing.gather(count, dim,
                                                                                index))))
    return autograd.named(C.add(result, C.sub(f, f.detach())), "ScatterReduceBackward0")


def _identity(reduce: str, dtype: np.dtype) -> Any:
    if reduce == "prod":
        return 1
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:  # bool
        return reduce == "amin"
    return info.min if reduce == "amax" else info.max


def index_reduce(x: Any, dim: int, index: Any, source: Any, reduce: str,
                 include_self: bool = True) -> Any:
    """out[..., index[j], ...] = reduce(x there, source[..., j, ...]) along dim (index 1-D):
    scatter_reduce with the index spread over source's shape."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    dim = dim % max(x.ndim, 1)
    shape = [1] * source.ndim
    shape[dim] = index.numel()
    spread = M.expand(index.reshape(shape), source.shape)
    return autograd.named(scatter_reduce(x, dim, spread, source, reduce, include_self),
                          "IndexReduceBackward0")


# ---------------------------------------------------------------------------- masked, put


def masked_scatter(x: Any, mask: Any, source: Any) -> Any:
    """A copy of x whose k-th True place of mask (in row-major order) holds source's k-th
    element: out = where(mask, source.flatten()[cumsum(mask) - 1], x)."""
    mask = M.expand(mask, x.shape)
    ones = int(C.sum(mask.to(creation.tensor(0).dtype)).item())
    if source.numel() < ones:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if ones == 0:
        return x.clone()
    order = C.sub(C.cumsum(mask.reshape(-1).to(creation.tensor(0).dtype), 0), 1)
    picked = indexing.take(source, C.clamp(order, min=0)).reshape(x.shape)
    return autograd.named(C.where(mask, picked, x), "MaskedScatterBackward0")


def put(x: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    """A copy of x with x.flatten()[index[k]] = source[k] (+= with accumulate); negative
    indices count from the end."""
    count = x.numel()
    flat_index = index.reshape(-1)
    bad = indexing.first_outside(flat_index, -count, count)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of "
                         f"{count} elements.")
    flat_index = C.remainder(flat_index, max(count, 1))
    out = indexing.index_put(x.reshape(-1), (flat_index,), source.reshape(-1), accumulate)
    return autograd.named(out.reshape(x.shape), "PutBackward0")
