"""Products and matrices built from them: trace, cross, kron; baddbmm addbmm addmv addr
(the addmm family); diag_embed block_diag cartesian_prod vander; cov corrcoef.

All are compositions of matmul, mul, sum, cat and views, so autograd differentiates them:
`cov` is (X - mean) @ (X - mean)^T / (N - 1), and its gradient is that expression's.
"""

import builtins
import functools
import warnings
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.amp.autocast_mode import cast as autocast
from tinygrad_edu.composite.arithmetic import add, clamp, div, mul, sub
from tinygrad_edu.composite.logic import any, lt, where
from tinygrad_edu.composite.operands import _is_tensor
from tinygrad_edu.composite.products import bmm, matmul, mm, mv, outer
from tinygrad_edu.composite.reductions import mean, sum
from tinygrad_edu.composite.scans import cumprod
from tinygrad_edu.composite.special import _zero_gradient_to
from tinygrad_edu.movement import (
    _to_device,
    cat,
    diagonal,
    expand,
    flip,
    meshgrid,
    movedim,
    narrow,
    reshape,
    stack,
    unsqueeze,
)


def trace(x: Any) -> Any:
    """The sum of the main diagonal of a matrix (integers sum as int64)"""
    x, = autocast("trace", x)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if x.dtype is dtypes.bool_:  # PyTorch: NotImplementedError (a RuntimeError)
        raise RuntimeError("\"trace\" not implemented for 'Bool'")
    return autograd.named(sum(diagonal(x)), "TraceBackward0")


# ---------------------------------------------------------------------------- cross, kron


def cross(a: Any, b: Any, dim: Any = None) -> Any:
    """The cross product of 3-vectors along dim (a and b broadcast). PyTorch's dim=None is
    deprecated: it picks the first dim of size 3 (and warns); linalg.cross uses dim=-1."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        sizes = dispatch.broadcast("cross", a, b) if a.ndim == b.ndim else a._shape
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return linalg_cross(a, b, dim=dim)


def linalg_cross(a: Any, b: Any, *, dim: int = -1) -> Any:
    """c = a x b along dim: c0 = a1 b2 - a2 b1, c1 = a2 b0 - a0 b2, c2 = a0 b1 - a1 b0,
    from three one-wide slices (views) of each operand."""
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    axis = tensor_module._axis(dim, a.ndim)
    if a._shape[axis] != 3 or b._shape[axis] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                           f"Got {a._shape[axis]} and {b._shape[axis]}")
    a0, a1, a2 = (narrow(a, axis, i, 1) for i in range(3))
    b0, b1, b2 = (narrow(b, axis, i, 1) for i in range(3))
    parts = [sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)),
             sub(mul(a0, b1), mul(a1, b0))]
    return autograd.named(cat(parts, axis), "LinalgCrossBackward0")


def kron(a: Any, b: Any) -> Any:
    """The Kronecker product: out[i * B + j] = a[i] * b[j] in every dim (shapes padded
    with leading 1s to one rank). One broadcast multiply: a as (a0, 1, a1, 1, ...) times b
    as (1, b0, 1, b1, ...), then the pairs of dims merged."""
    rank = builtins.max(a.ndim, b.ndim)
    shape_a = (1,) * (rank - a.ndim) + a._shape
    shape_b = (1,) * (rank - b.ndim) + b._shape
    spread_a = reshape(a, tuple(s for size in shape_a for s in (size, 1)))
    spread_b = reshape(b, tuple(s for size in shape_b for s in (1, size)))
    product = mul(spread_a, spread_b)  # (a0, b0, a1, b1, ...)
    return reshape(product, tuple(x * y for x, y in zip(shape_a, shape_b)))


# ---------------------------------------------------------------------------- addmm's family


def _beta_input_plus_alpha_product(name: str, x: Any, product: Any, beta: Any,
                                   alpha: Any) -> Any:
    """beta * x + alpha * product, as addmm: beta = 0 ignores x (nan and inf included)."""
    if not product.dtype.is_floating_point and product.dtype is not dtypes.bool_:
        for label, value in (("beta", beta), ("alpha", alpha)):
            if isinstance(value, builtins.float):
                raise RuntimeError(f"For integral input tensors, argument {label} must not "
                                   "be a floating point number.")
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # x is in the graph with gradient 0, as PyTorch's
        return _zero_gradient_to(x, product)
    return add(x if beta == 1 else mul(x, beta), product)


def baddbmm(x: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """beta * x + alpha * (batch1 @ batch2), batch1 (B, n, k), batch2 (B, k, m)"""
    out = _beta_input_plus_alpha_product("baddbmm", x, bmm(batch1, batch2), beta, alpha)
    return autograd.named(out, "BaddbmmBackward0")


def addbmm(x: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """beta * x + alpha * sum_b batch1[b] @ batch2[b]: one (n, B k) @ (B k, m) product, the
    batches laid side by side (the sum over b is then the sum over the inner dim)"""
    for label, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{label} must be a 3D tensor")
    count, rows, inner = batch1._shape
    side_by_side = reshape(movedim(batch1, 0, 1), (rows, count * inner))  # (n, B k)
    stacked = reshape(batch2, (count * inner, batch2._shape[2]))  # (B k, m)
    out = _beta_input_plus_alpha_product("addbmm", x, mm(side_by_side, stacked), beta, alpha)
    return autograd.named(out, "AddbmmBackward0")


def addmv(x: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """beta * x + alpha * (mat @ vec), mat (n, m), vec (m,), x broadcast to (n,)"""
    if mat.ndim == 2 and vec.ndim == 1 and mat._shape[1] != vec._shape[0]:
        raise RuntimeError(f"size mismatch, got input ({', '.join(map(str, x._shape))}), mat "
                           f"({mat._shape[0]}x{mat._shape[1]}), vec ({vec._shape[0]})")
    out = _beta_input_plus_alpha_product("addmv", x, mv(mat, vec), beta, alpha)
    return autograd.named(out, "AddmvBackward0")


def addr(x: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """beta * x + alpha * outer(vec1, vec2) (on bools: and for *, or for +)"""
    for label, t in (("vec1", vec1), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {label}, but got {t.ndim}-D")
    out = _beta_input_plus_alpha_product("addr", x, outer(vec1, vec2), beta, alpha)
    return autograd.named(out, "AddrBackward0")


# ---------------------------------------------------------------------------- building matrices


def diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Matrices with x's last dim on their offset-th diagonal, in output dims (dim1, dim2):
    out[..., i, i + offset] = x[..., i], zeros elsewhere (size n + |offset| each way).

    Composed as where(mask, x spread along a new dim, 0), the mask j - i == offset built
    on the host; the new dims are made last, then moved to (dim1, dim2)."""
    ndim = x.ndim + 1
    first, second = tensor_module._axis(dim1, ndim), tensor_module._axis(dim2, ndim)
    if first == second:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    count = x._shape[-1] if x.ndim else 1
    size = count + builtins.abs(offset)
    x = reshape(x, (1,)) if x.ndim == 0 else x
    if offset:  # pad the diagonal to the matrix size (the padding is never selected)
        padding = dispatch.full_like(x, x._shape[:-1] + (builtins.abs(offset),), 0, x.dtype)
        x = cat([x, padding], -1)
    rows = np.arange(size)[:, None]
    mask = _to_device(np.ascontiguousarray(np.arange(size)[None, :] - rows == offset), x)
    spread = unsqueeze(x, -1) if offset >= 0 else unsqueeze(x, -2)  # value x[min(i, j)]
    zero = dispatch.full_like(x, (), 0, x.dtype)
    out = where(mask, spread, zero)  # (..., size, size)
    out = movedim(out, (ndim - 2, ndim - 1), (first, second))
    return autograd.named(out, "DiagEmbedBackward0")


def block_diag(*tensors: Any) -> Any:
    """The tensors (0-d, 1-d as a row, or 2-d) as blocks down the diagonal of one matrix,
    zeros elsewhere; the dtype promoted over all of them"""
    if not tensors:
        from tinygrad_edu import creation
        return creation.zeros(1, 0)
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
        blocks.append(reshape(t, (1, -1) if t.ndim == 1 else (1, 1)) if t.ndim < 2 else t)
    dtype = functools.reduce(dtypes.promote_types, [t.dtype for t in blocks])
    width = builtins.sum(t._shape[1] for t in blocks)
    rows, start = [], 0
    for t in blocks:
        height, columns = t._shape
        left = dispatch.full_like(t, (height, start), 0, dtype)
        right = dispatch.full_like(t, (height, width - start - columns), 0, dtype)
        rows.append(cat([left, t if t.dtype is dtype else t.to(dtype), right], 1))
        start += columns
    return cat(rows, 0)


def cartesian_prod(*tensors: Any) -> Any:
    """Every combination of one element of each 1-d tensor, as rows (N, k), the last
    tensor varying fastest (itertools.product's order); one tensor is returned as is"""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def vander(x: Any, N: Any = None, increasing: bool = False) -> Any:  # noqa: N803
    """The Vandermonde matrix: out[i, j] = x[i] ** (N - 1 - j) (x[i] ** j if increasing),
    N = len(x) by default. The powers are a cumprod of [1, x, x, ...]: exact for integers
    (which give int64, as bools do), one multiply per power."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    count = x._shape[0]
    N = count if N is None else N  # noqa: N806
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.int64)
    if N == 0:
        return dispatch.full_like(x, (count, 0), 0, x.dtype)
    ones = dispatch.full_like(x, (count, 1), 1, x.dtype)
    powers = cumprod(cat([ones, expand(unsqueeze(x, 1), (count, N - 1))], 1), 1)
    return powers if increasing else flip(powers, (1,))


# ---------------------------------------------------------------------------- statistics


def cov(x: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Any:
    """The covariance of the variables in x's rows (observations in columns; a 1-d x is one
    variable): (X - mean) W (X - mean)^T / (sum(w) - correction), with w the product of
    the integer frequency weights and the float weights, as NumPy's cov. With aweights the
    divisor is sum(w) - correction * sum(w * aweights) / sum(w). A divisor <= 0 warns and
    is made 0 (inf and nan result), as PyTorch."""
    if x.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    observations = x._shape[-1] if x.ndim else 1
    rows = reshape(x, (-1, observations)) if x.ndim < 2 else x  # (variables, N)
    weights, dtype = None, x.dtype if x.dtype.is_floating_point else dtypes.get_default_dtype()
    for label, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        _check_weights(label, w, observations)
        if label == "aweights":
            dtype = dtypes.promote_types(dtype, w.dtype)
        weights = w if weights is None else mul(weights, w)
    rows = rows if rows.dtype is dtype else rows.to(dtype)
    if weights is None:
        total: Any = observations
        centered = sub(rows, mean(rows, 1, keepdim=True))
        weighted = centered
    else:
        weights = reshape(weights if weights.dtype is dtype else weights.to(dtype), (1, -1))
        total = sum(weights)
        centered = sub(rows, div(sum(mul(rows, weights), 1, keepdim=True), total))
        weighted = mul(centered, weights)
    if correction == 0:
        divisor = total
    elif aweights is None:
        divisor = sub(total, correction) if _is_tensor(total) else total - correction
    else:
        spread = div(sum(mul(weights, reshape(aweights.to(dtype), (1, -1)))), total)
        divisor = sub(total, mul(spread, correction))
    if builtins.float(divisor.item() if _is_tensor(divisor) else divisor) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        divisor = mul(divisor, 0) if _is_tensor(divisor) else 0
    out = div(matmul(weighted, centered.transpose(0, 1)), divisor)
    return reshape(out, ()) if x.ndim < 2 else out


def _check_weights(label: str, w: Any, observations: int) -> None:
    """PyTorch's checks of cov's fweights and aweights (one negative weight: one host read)."""
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {label} to have one or fewer dimensions but got "
                           f"{label} with {w.ndim} dimensions")
    if w.numel() != observations:
        raise RuntimeError(f"cov(): expected {label} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {observations}")
    floating = label == "aweights"
    if w.dtype.is_floating_point != floating or w.dtype is dtypes.bool_:
        kind = "floating point" if floating else "integral"
        raise RuntimeError(f"cov(): expected {label} to have {kind} dtype but got {label} "
                           f"with {dtypes.scalar_type_name(w.dtype)} dtype")
    if w.numel() and builtins.bool(any(lt(w.detach(), 0)).item()):
        raise RuntimeError(f"cov(): {label} cannot be negative")


def corrcoef(x: Any) -> Any:
    """The correlation coefficients: cov(x)[i, j] / (std_i std_j), clipped to [-1, 1]"""
    c = cov(x)
    if c.ndim == 0:
        return div(c, c)
    std = diagonal(c).sqrt()  # (variables,)
    return clamp(div(div(c, unsqueeze(std, 1)), unsqueeze(std, 0)), -1, 1)
