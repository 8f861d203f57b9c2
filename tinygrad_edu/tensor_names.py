"""PyTorch names composed from ops the library already has: no backward of their own.

Each function here is a line or a few over existing tensor methods (sort, narrow, matmul,
where, cumsum, index assignment ...), so autograd comes for free where PyTorch has a gradient.
The integer and binning helpers (gcd, lcm, frexp, histogram) compute on the host with NumPy
and return tensors without a graph, as PyTorch's have none either (or only for `input`).
"""

from __future__ import annotations

import itertools
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_edu import composite as C
from tinygrad_edu import creation, dtypes
from tinygrad_edu import linalg as L
from tinygrad_edu import movement as M

frexp_result = namedtuple("frexp", ["mantissa", "exponent"])  # torch.return_types.frexp
histogram_result = namedtuple("histogram", ["hist", "bin_edges"])  # torch.return_types


# ---- reordering, splitting and selecting --------------------------------------------------
def msort(input: Any) -> Any:  # noqa: A002  (PyTorch's names throughout)
    """Sort along dim 0: sort(input, dim=0).values."""
    return C.sort(input, 0)[0]


def unflatten(input: Any, dim: int, sizes: Any) -> Any:  # noqa: A002
    """Split dim into `sizes` (one entry may be -1): input.unflatten(dim, sizes)."""
    return input.unflatten(dim, sizes)


def select(input: Any, dim: int, index: int) -> Any:  # noqa: A002
    """The view input[..., index, ...] with `index` at `dim` (that dim removed)."""
    return input.select(dim, index)


def _split_on(name: str, input: Any, sections: Any, dim: int, min_dims: int) -> tuple:
    if input.dim() < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} "
                           f"dimension, but got a tensor with {input.dim()} dimensions!")
    if isinstance(sections, int):
        size = input._shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but "
                               f"the size of the dimension {size} is not divisible by the "
                               f"split_size {sections}!")
    return C.tensor_split(input, sections, dim)


def hsplit(input: Any, indices_or_sections: Any) -> tuple:  # noqa: A002
    """Split columns: dim 1, or dim 0 for a 1-D tensor; an int must divide evenly."""
    dim = 0 if input.dim() == 1 else 1
    return _split_on("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input: Any, indices_or_sections: Any) -> tuple:  # noqa: A002
    """Split rows (dim 0) of a tensor with at least 2 dims."""
    return _split_on("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Any, indices_or_sections: Any) -> tuple:  # noqa: A002
    """Split depth (dim 2) of a tensor with at least 3 dims."""
    return _split_on("dsplit", input, indices_or_sections, 2, 3)


# ---- the *_scatter family: a copy of input with one view replaced by src ------------------
def _scatter_into(input: Any, view_of: Any, src: Any) -> Any:
    """out = input.clone(); view_of(out).copy_(src). The in-place copy through a view
    (CopySlices) sends the gradient to src and, outside the view, to input."""
    out = input.clone()
    view = view_of(out)
    if tuple(view._shape) != tuple(src._shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src "
                           f"size = {list(src._shape)}, slice size = {list(view._shape)}")
    view.copy_(src)
    return out


def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0,  # noqa: A002
                     dim2: int = 1) -> Any:
    """input with input.diagonal(offset, dim1, dim2) replaced by src (a new tensor)."""
    return _scatter_into(input, lambda t: t.diagonal(offset, dim1, dim2), src)


def select_scatter(input: Any, src: Any, dim: int, index: int) -> Any:  # noqa: A002
    """input with input.select(dim, index) replaced by src (a new tensor)."""
    return _scatter_into(input, lambda t: t.select(dim, index), src)


def slice_scatter(input: Any, src: Any, dim: int = 0, start: Any = None,  # noqa: A002
                  end: Any = None, step: int = 1) -> Any:
    """input with input[..., start:end:step, ...] (at dim) replaced by src (a new tensor)."""
    dim = dim % input.dim()
    index = (slice(None),) * dim + (slice(start, end, step),)
    return _scatter_into(input, lambda t: t[index], src)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Any:  # noqa: A002
    """The r-length combinations of a 1-D tensor's elements, one per row: (n_comb, r).
    Python's itertools picks the index tuples; index_select gathers (so it differentiates)."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    pick = itertools.combinations_with_replacement if with_replacement \
        else itertools.combinations
    rows = list(pick(range(input._shape[0]), r))
    if r == 0:  # PyTorch: an empty 1-D tensor
        return input[0:0]
    if not rows:  # r > n without replacement: no rows of r elements
        return input[0:0].reshape(0, r)
    index = creation.tensor([i for row in rows for i in row], dtype=dtypes.int64,
                            device=input.device)
    return M.index_select(input, 0, index).reshape(len(rows), r)


# ---- integration and contraction ----------------------------------------------------------
def _spacing(y: Any, x: Any, dx: Any, dim: int) -> Any:
    """The interval widths along dim: x[1:] - x[:-1] (broadcast to y) or the constant dx."""
    if x is None:
        return 1 if dx is None else dx
    if x.dim() == 1:  # a 1-D x lies along dim
        widths = x[1:] - x[:-1]
        shape = [1] * y.dim()
        shape[dim] = widths._shape[0]
        return widths.reshape(shape)
    n = x._shape[dim]
    return x.narrow(dim, 1, n - 1) - x.narrow(dim, 0, n - 1)


def _pair_means(y: Any, dim: int) -> Any:
    n = y._shape[dim]
    return (y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)) / 2


def trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The trapezoid rule along dim: sum_i (x[i+1] - x[i]) * (y[i+1] + y[i]) / 2."""
    dim = dim % y.dim()
    if y._shape[dim] == 0:
        return C.sum(y, dim)
    return C.sum(_spacing(y, x, dx, dim) * _pair_means(y, dim), dim)


def trapz(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The older name of trapezoid (trapz(y, x, dim=...) or trapz(y, dx=..., dim=...))."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The running trapezoid sums along dim: one fewer element than y there."""
    dim = dim % y.dim()
    if y._shape[dim] == 0:
        return y
    return C.cumsum(_spacing(y, x, dx, dim) * _pair_means(y, dim), dim)


def tensordot(a: Any, b: Any, dims: Any = 2) -> Any:
    """Contract dims of a with dims of b: an int n means a's last n with b's first n.
    Permute the contracted dims together, reshape to (P, K) @ (K, Q), reshape back."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.dim() - dims, a.dim())), list(range(dims))
    else:
        dims_a, dims_b = list(dims[0]), list(dims[1])
        dims_a = [dims_a] if isinstance(dims_a, int) else dims_a
        dims_b = [dims_b] if isinstance(dims_b, int) else dims_b
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [d % a.dim() for d in dims_a]
    dims_b = [d % b.dim() for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a._shape[da] != b._shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._shape[da]} in dim {da} and second has size "
                               f"{b._shape[db]} in dim {db}")
    free_a = [d for d in range(a.dim()) if d not in dims_a]
    free_b = [d for d in range(b.dim()) if d not in dims_b]
    k = int(np.prod([a._shape[d] for d in dims_a]))
    left = M.permute(a, free_a + dims_a).reshape(-1, k)  # (P, K)
    right = M.permute(b, dims_b + free_b).reshape(k, -1)  # (K, Q)
    shape = [a._shape[d] for d in free_a] + [b._shape[d] for d in free_b]
    return C.matmul(left, right).reshape(shape)


def inner(input: Any, other: Any) -> Any:  # noqa: A002
    """Sum over the last dims: out[i.., j..] = sum_k input[i.., k] * other[j.., k]."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


def chain_matmul(*matrices: Any) -> Any:
    """Deprecated: linalg.multi_dot(matrices), with PyTorch's warning."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two "
                  "or more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1:
        return matrices[0].clone()
    return L.multi_dot(list(matrices))


# ---- elementwise names --------------------------------------------------------------------
def fmax(input: Any, other: Any) -> Any:  # noqa: A002
    """maximum that ignores NaN: the other operand where one is NaN (NaN only if both are)."""
    return C.where(C.isnan(other), input, C.where(C.isnan(input), other,
                                                  C.maximum(input, other)))


def fmin(input: Any, other: Any) -> Any:  # noqa: A002
    """minimum that ignores NaN: the other operand where one is NaN (NaN only if both are)."""
    return C.where(C.isnan(other), input, C.where(C.isnan(input), other,
                                                  C.minimum(input, other)))


def clamp_min(input: Any, min: Any) -> Any:  # noqa: A002
    return C.clamp(input, min=min)


def clamp_max(input: Any, max: Any) -> Any:  # noqa: A002
    return C.clamp(input, max=max)


def absolute(input: Any) -> Any:  # noqa: A002
    return input.abs()


def negative(input: Any) -> Any:  # noqa: A002
    return C.neg(input)


def positive(input: Any) -> Any:  # noqa: A002
    """input itself (PyTorch returns self), refused for bool as PyTorch refuses it."""
    if input.dtype is dtypes.bool_:
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return input


def sgn(input: Any) -> Any:  # noqa: A002
    """x / |x| (0 at 0): for real tensors, sign."""
    return C.sign(input)


def isposinf(input: Any) -> Any:  # noqa: A002
    return C.logical_and(C.isinf(input), input > 0)


def isneginf(input: Any) -> Any:  # noqa: A002
    return C.logical_and(C.isinf(input), input < 0)


def _host(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy()


def _integer_pair(name: str, input: Any, other: Any) -> tuple:
    a, b, dtype = C.promote(input, other) if hasattr(input, "dtype") else (input, other, None)
    if dtype is None or dtype.category != dtypes.INTEGER:
        raise RuntimeError(f"\"{name}_cpu\" not implemented for "
                           f"'{'Float' if dtype is None else _type_word(dtype)}'")
    a = a if hasattr(a, "dtype") else creation.tensor(a)
    b = b if hasattr(b, "dtype") else creation.tensor(b)
    return _host(a), _host(b), dtype, a.device


def _type_word(dtype: Any) -> str:
    """PyTorch's word for a dtype in 'not implemented for' errors: 'Float', 'Double', ..."""
    return _TYPE_WORDS.get(dtype.name, dtype.name)


_TYPE_WORDS = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                  "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                  "bool": "Bool"}


def gcd(input: Any, other: Any) -> Any:  # noqa: A002
    """The elementwise greatest common divisor of integer tensors (NumPy's gcd, no grad)."""
    a, b, dtype, device = _integer_pair("gcd", input, other)
    return creation.tensor(np.gcd(a, b), dtype=dtype, device=device)


def lcm(input: Any, other: Any) -> Any:  # noqa: A002
    """The elementwise least common multiple of integer tensors (NumPy's lcm, no grad)."""
    a, b, dtype, device = _integer_pair("lcm", input, other)
    return creation.tensor(np.lcm(a, b), dtype=dtype, device=device)


def ldexp(input: Any, other: Any) -> Any:  # noqa: A002
    """input * 2 ** other, a floating result (integer inputs give the default dtype)."""
    scale = C.pow(2.0, other) if hasattr(other, "dtype") else 2.0 ** other
    out = input * scale
    if out.dtype.category != dtypes.FLOATING:
        out = out.to(dtypes.get_default_dtype())
    return out


def frexp(input: Any) -> tuple:  # noqa: A002
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1);
    exponent is int32 as in PyTorch. Floating inputs only; computed by NumPy, no grad."""
    if input.dtype.category != dtypes.FLOATING:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = np.frexp(_host(input))
    return frexp_result(creation.tensor(mantissa, dtype=input.dtype, device=input.device),
                        creation.tensor(exponent, dtype=dtypes.int32, device=input.device))


def histogram(input: Any, bins: Any = 100, *, range: Any = None,  # noqa: A002
              weight: Any = None, density: bool = False) -> tuple:
    """(hist, bin_edges): counts (or summed weights, or a density) in each bin. bins is a
    count of equal bins over range (default: input's min..max) or a 1-D tensor of edges."""
    if input.dtype.category != dtypes.FLOATING:
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the "
                           f"same dtype, but got input {input.dtype.name} and bins "
                           f"{input.dtype.name}")
    edges = _host(bins) if hasattr(bins, "dtype") else int(bins)
    weights = None if weight is None else _host(weight).reshape(-1)
    hist, bin_edges = np.histogram(_host(input).reshape(-1), edges, range=range,
                                   weights=weights, density=density)
    return histogram_result(creation.tensor(hist, dtype=input.dtype, device=input.device),
                            creation.tensor(bin_edges, dtype=input.dtype, device=input.device))
