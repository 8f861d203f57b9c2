"""More Tensor methods and torch functions: quantiles, sliding windows, random fills,
element-wise Python callbacks, and the memory queries that have nothing to do here.

    quantile(x, q)   sort, then read position p = q (n - 1): between sorted[floor p] and
                     sorted[ceil p], as `interpolation` says (linear: lerp by p - floor p)
    unfold(d, s, t)  windows x[..., i t : i t + s, ...] along d, stacked on a new last dim

PyTorch: `unfold` returns a view (the windows share x's memory, with a stride trick); here
it is a copy: one narrow per window, stacked. Each narrow is its own Slice node, so where
windows overlap their gradients add up in x.grad as they must (a single strided view with
overlapping windows would need a backward that adds, which Slice's does not).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_edu import composite as C
from tinygrad_edu import creation, dtypes, indexing
from tinygrad_edu import movement as M

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ---------------------------------------------------------------------------- quantile


def _check_quantile(name: str, x: Any, q: Any, interpolation: str) -> Any:
    """PyTorch's checks; returns q as a 1-D tensor of x's dtype, and whether q was a number."""
    if x.dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if x.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if hasattr(q, "_shape"):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        values = q.detach().cpu().numpy().reshape(-1)
        if ((values < 0) | (values > 1)).any():
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        return q.detach().to(x.dtype).to(x.device).reshape(-1), q.ndim == 0
    if not 0 <= q <= 1:
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
    return creation.tensor([float(q)], dtype=x.dtype, device=x.device), True


def quantile(x: Any, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear", ignore_nan: bool = False) -> Any:
    """The q-th quantiles of x along dim (all of x when dim is None), from sort.

    Shape: q's dim first when q is a 1-D tensor, then x's shape without dim (kept as 1 with
    keepdim). quantile: a slice holding a nan gives nan. nanquantile (ignore_nan): the nans
    (sorted last) are left out, so the position is q (count of numbers - 1); all nan: nan.
    Gradient: through sort's gather to the one or two values read, as PyTorch's."""
    qs, scalar = _check_quantile("quantile", x, q, interpolation)  # nanquantile's too
    work, axis = (x.reshape(-1), 0) if dim is None else (x, dim % max(x.ndim, 1))
    if work.ndim == 0:
        work = work.reshape(1)
    ordered = M.movedim(C.sort(work, axis).values, axis, -1)  # (..., n)
    n = ordered.shape[-1]
    missing = C.isnan(ordered)
    if ignore_nan:
        valid = C.sub(n, C.sum(missing.to(x.dtype), -1, keepdim=True))  # (..., 1)
    else:
        valid = creation.full((1,) * ordered.ndim, float(n), dtype=x.dtype, device=x.device)
    count = qs.shape[0]
    position = C.mul(qs.reshape((count,) + (1,) * ordered.ndim), C.sub(valid, 1))
    spread = M.expand(ordered.unsqueeze(0), (count,) + tuple(ordered.shape))

    def read(where: Any) -> Any:  # (Q, ..., 1) positions -> the sorted values there
        clamped = C.clamp(where, 0, n - 1).to(dtypes.int64)
        target = (count,) + tuple(ordered.shape[:-1]) + (1,)
        return indexing.gather(spread, -1, M.expand(clamped, target))

    low, high = C.floor(position), C.ceil(position)
    if interpolation == "lower":
        result = read(low)
    elif interpolation == "higher":
        result = read(high)
    elif interpolation == "nearest":
        result = read(C.round(position))  # half to even, as PyTorch's round
    else:
        weight = 0.5 if interpolation == "midpoint" else C.sub(position, low)
        result = C.lerp(read(low), read(high), weight)
    if not ignore_nan:
        result = C.where(C.any(missing, -1, keepdim=True).unsqueeze(0), math.nan, result)
    result = result.squeeze(-1)  # (Q, ...)
    if keepdim:
        if dim is None:
            result = result.reshape((count,) + (1,) * x.ndim)
        else:
            result = result.unsqueeze(axis + 1)
    return result.squeeze(0) if scalar else result


# ---------------------------------------------------------------------------- unfold


def unfold(x: Any, dimension: int, size: int, step: int) -> Any:
    """(..., n, ...) -> (..., (n - size) // step + 1, ..., size): window i along dimension
    is x.narrow(dimension, i step, size), on a new last dim. A copy (module docstring)."""
    flat = x.reshape(1) if x.ndim == 0 else x
    axis = dimension % flat.ndim
    length = flat.shape[axis]
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but "
                           f"size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (length - size) // step + 1
    windows = [M.narrow(flat, axis, i * step, size) for i in range(count)]
    out = M.movedim(M.stack(windows, axis), axis + 1, -1)
    return out.reshape(size) if x.ndim == 0 else out


# ---------------------------------------------------------------------------- random


def exponential_(x: Any, lambd: float = 1.0, generator: Any = None) -> Any:
    """Fill x with draws of density lambd exp(-lambd v), v >= 0 (mean 1 / lambd)."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return x._fill_from_host(creation._rng(generator).exponential(1 / lambd, x._shape))


def geometric_(x: Any, p: float, generator: Any = None) -> Any:
    """Fill x with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return x._fill_from_host(creation._rng(generator).geometric(p, x._shape))


def log_normal_(x: Any, mean: float = 1.0, std: float = 2.0, generator: Any = None) -> Any:
    """Fill x with exp(N(mean, std^2)) draws (mean and std of the log, as PyTorch)."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return x._fill_from_host(creation._rng(generator).lognormal(mean, std, x._shape))


def cauchy_(x: Any, median: float = 0.0, sigma: float = 1.0, generator: Any = None) -> Any:
    """Fill x with median + sigma tan(pi (u - 1/2)) draws: the Cauchy distribution."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    rng = creation._rng(generator)
    return x._fill_from_host(median + sigma * rng.standard_cauchy(x._shape))


def _host(t: Any) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def poisson(rates: Any, generator: Any = None) -> Any:
    """A Poisson(rate) draw per element, in rates' dtype (torch.poisson)."""
    values = _host(rates)
    if (values < 0).any() or np.isnan(values).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    draws = creation._rng(generator).poisson(values)
    return creation._wrap(draws.astype(rates.dtype.numpy), rates.device)


def binomial(count: Any, prob: Any, generator: Any = None) -> Any:
    """A Binomial(count, prob) draw per element (broadcast), in count's dtype."""
    if not count.dtype.is_floating_point:
        names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                 "uint8": "Byte", "bool": "Bool"}
        raise ValueError("binomial only supports floating-point dtypes for count, got: "
                         f"{names.get(count.dtype.name, count.dtype.name)}")
    trials, p = _host(count), _host(prob)
    if (p < 0).any() or (p > 1).any():
        raise RuntimeError("binomial: prob must be in [0, 1]")
    draws = creation._rng(generator).binomial(trials.astype(np.int64), p)
    return creation._wrap(draws.astype(count.dtype.numpy), count.device)


# ---------------------------------------------------------------------------- Python callbacks


def apply_(x: Any, function: Callable) -> Any:
    """x[i] = function(x[i]) for every element, in place, as Python numbers (CPU only)."""
    if x.device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    values = _host(x)
    out = [function(v) for v in values.reshape(-1).tolist()]
    return x._fill_from_host(np.array(out).reshape(values.shape))


def map_(x: Any, other: Any, function: Callable) -> Any:
    """x[i] = function(x[i], other[i]) in place (other broadcast to x's shape; CPU only)."""
    if x.device.type != "cpu" or other.device.type != "cpu":
        raise TypeError("map_ is only implemented on CPU tensors")
    values = _host(x)
    others = np.broadcast_to(_host(other), values.shape)
    out = [function(a, b) for a, b in zip(values.reshape(-1).tolist(),
                                          others.reshape(-1).tolist())]
    return x._fill_from_host(np.array(out).reshape(values.shape))


# ---------------------------------------------------------------------------- memory


def data_ptr(x: Any) -> int:
    """The address of x's first element: its buffer's address (NumPy's array interface, or
    numba's CUDA one) + storage_offset * itemsize, as PyTorch's data_ptr."""
    buffer = x._storage.buffer
    interface = getattr(buffer, "__array_interface__", None) \
        or getattr(buffer, "__cuda_array_interface__", None)
    return int(interface["data"][0]) + x._offset * x.dtype.itemsize


_matmul_precision = {"value": "highest"}


def set_float32_matmul_precision(precision: str) -> None:
    """Record "highest", "high" or "medium". Stored only: every float32 matmul here is full
    float32 (PyTorch: "high"/"medium" allow TF32 or bfloat16 on GPUs that have them)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _matmul_precision["value"] = precision


def get_float32_matmul_precision() -> str:
    """The value set_float32_matmul_precision stored ("highest" at start)."""
    return _matmul_precision["value"]
