"""Householder QR, composed: qr, householder_product, lstsq (batched).

A Householder reflection H = I - tau v v^T maps a column x onto a multiple of e_1 (it
mirrors x across the hyperplane orthogonal to v). Applied to column k of what remains, one
reflection per column zeroes everything below the diagonal (LAPACK's geqrf):

    for k in 0 .. min(m, n) - 1:
        x = R[k:, k]
        beta = -sign(x[0]) * ||x||            the new diagonal entry (sign: see below)
        v = (x - beta e_1) / (x[0] - beta)    scaled so that v[0] = 1
        tau = (beta - x[0]) / beta
        R = H R                               only rows k.. change

and Q = H_0 H_1 ... H_{k-1} (householder_product). The sign of beta is opposite to x[0]'s so
that x[0] - beta never cancels; it is LAPACK's choice, so R's diagonal is often negative,
exactly where PyTorch's is. Where x has nothing below x[0] LAPACK reflects nothing (tau = 0,
beta = x[0]); so does this code, so a triangular A gives Q = I and R = A.

min(m, n) steps of O(mn) work: small matrices, every step a primitive (autograd's gradient).
"""

from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu.composite.arithmetic import add, div, mul, sub
from tinygrad_edu.composite.elementwise import triu
from tinygrad_edu.composite.logic import eq, ge, gt, where
from tinygrad_edu.composite.products import matmul
from tinygrad_edu.composite.reductions import amax, sum
from tinygrad_edu.composite.triangular import solve_triangular
from tinygrad_edu.movement import _to_device, expand, narrow, stack, unsqueeze

QRResult = namedtuple("linalg_qr", ["Q", "R"])
LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def _reflectors(a: Any) -> tuple:
    """(R, V, tau): A (..., m, n) reduced to upper triangular R (..., m, n) by k = min(m, n)
    reflections; V (..., m, k) holds the vectors v (v[k] = 1 on the diagonal, zeros above),
    tau (..., k) their scales."""
    m, n = a._shape[-2:]
    rows = _to_device(np.arange(m), a)  # (m,)
    vectors, taus = [], []
    r = a
    for k in range(min(m, n)):
        column = where(ge(rows, k), r[..., :, k], 0.0)  # x, padded with zeros above row k
        head = r[..., k, k]  # x[0]
        below = sum(where(gt(rows, k), column * column, 0.0), -1)  # ||x[1:]||^2
        nothing_below = eq(below, 0)
        norm = add(mul(head, head), below)
        norm = where(eq(norm, 0), 1.0, norm).sqrt()  # a safe sqrt: its gradient stays finite
        beta = where(nothing_below, head, where(ge(head, 0), -norm, norm))
        tau = where(nothing_below, 0.0, div(sub(beta, head), beta))
        scale = where(nothing_below, 1.0, sub(head, beta))
        v = where(eq(rows, k), 1.0, div(column, unsqueeze(scale, -1)))  # (..., m)
        # H R = R - tau v (v^T R): only rows >= k change, as v is 0 above row k
        v_column = unsqueeze(v, -1)  # (..., m, 1)
        r = sub(r, mul(unsqueeze(unsqueeze(tau, -1), -1),
                       mul(v_column, matmul(v_column.transpose(-2, -1), r))))
        vectors.append(v)
        taus.append(tau)
    if not vectors:  # m or n is 0: nothing to reflect
        batch = a._shape[:-2]
        return r, narrow(a, -1, 0, 0), dispatch.full_like(a, batch + (0,), 0, a.dtype)
    return triu(r), stack(vectors, -1), stack(taus, -1)


def _apply_reflections(vectors: Any, tau: Any, columns: int) -> Any:
    """H_0 H_1 ... H_{k-1} times the first `columns` columns of I (m, columns): the
    reflections applied to I from the last one back, each a rank-one update."""
    m = vectors._shape[-2]
    batch = vectors._shape[:-2]
    eye = _to_device(np.eye(m, columns, dtype=vectors.dtype.numpy), vectors)
    q = expand(eye, batch + (m, columns))
    for j in reversed(range(tau._shape[-1])):
        v = narrow(vectors, -1, j, 1)  # (..., m, 1)
        scale = unsqueeze(unsqueeze(tau[..., j], -1), -1)
        q = sub(q, mul(scale, mul(v, matmul(v.transpose(-2, -1), q))))
    return q


def householder_product(a: Any, tau: Any) -> Any:
    """The first n columns of H_0 ... H_{k-1}, H_i = I - tau_i v_i v_i^T, with v_i read
    from A's column i below the diagonal (v_i[i] = 1, zeros above): geqrf's output turned
    back into Q (LAPACK's orgqr)."""
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.householder_product: input must have at least 2 "
                           "dimensions.")
    m, n = a._shape[-2:]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if n < tau._shape[-1]:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    rows = _to_device(np.arange(m)[:, None] - np.arange(n)[None, :], a)  # i - j
    vectors = where(eq(rows, 0), 1.0, where(gt(rows, 0), a, 0.0))
    vectors = narrow(vectors, -1, 0, tau._shape[-1])
    return autograd.named(_apply_reflections(vectors, tau.to(a.dtype), n),
                          "LinalgHouseholderProductBackward0")


def qr(a: Any, mode: str = "reduced") -> Any:
    """(Q, R) with A = Q R, Q's columns orthonormal, R upper triangular; A (..., m, n),
    k = min(m, n). mode 'reduced': Q (m, k), R (k, n); 'complete': Q (m, m), R (m, n);
    'r': R only (Q an empty tensor), as PyTorch returns.

    Gradients are autograd's through the reflections; for a full-rank A in 'reduced' mode
    (m >= n) they agree with PyTorch's formula (QR is then unique given the signs of R's
    diagonal). PyTorch refuses the gradient for 'complete' with m > n and for 'r'."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_floating("qr", a)
    if a.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    m, n = a._shape[-2:]
    k = min(m, n)
    r, vectors, tau = _reflectors(a)
    if mode == "r":
        empty = _to_device(np.zeros(0, a.dtype.numpy), a)
        return QRResult(empty, autograd.named(narrow(r, -2, 0, k), "LinalgQrBackward0"))
    columns = m if mode == "complete" else k
    q = _apply_reflections(vectors, tau, columns)
    r = r if mode == "complete" else narrow(r, -2, 0, k)
    return QRResult(autograd.named(q, "LinalgQrBackward0"), autograd.named(r, "LinalgQrBackward0"))


def _check_floating(name: str, a: Any) -> None:
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {dtypes.scalar_type_name(a.dtype)}")


def lstsq(a: Any, b: Any, rcond: Any = None, *, driver: Any = None) -> Any:
    """(solution, residuals, rank, singular_values): X minimizing ||A X - B|| (the minimum-
    norm X when A is wide), as PyTorch's CPU default driver 'gelsy' returns it: residuals
    and singular_values empty, rank an int64 per batch element.

    Computed for a full-rank A by QR: A = Q R (m >= n) gives X = R^-1 Q^T B; a wide A
    (m < n) factors A^T = Q R, and X = Q R^-T B. Limits: no column pivoting, so a rank-
    deficient A gives inf / nan where gelsy's pivoted QR would drop columns; `rank` counts
    the |R[i, i]| above rcond (eps * max(m, n) by default) times the largest: a guess
    without pivoting, exact for a full-rank A. driver names are checked, not honoured."""
    if driver is not None and driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    if a.dtype is not b.dtype:
        raise RuntimeError("torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {dtypes.scalar_type_name(a.dtype)} "
                           f"and other's dtype {dtypes.scalar_type_name(b.dtype)}")
    _check_floating("lstsq", a)
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b._shape == a._shape[:-1])
    if vector:
        b = unsqueeze(b, -1)
    if b._shape[-2] != a._shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)"
                           if not vector else "torch.linalg.lstsq: input.size(-2) should "
                           "match other.size(-1)")
    batch = dispatch.broadcast("linalg.lstsq", _Shape(a._shape[:-2]), _Shape(b._shape[:-2]))
    a = expand(a, batch + a._shape[-2:])
    b = expand(b, batch + b._shape[-2:])
    m, n = a._shape[-2:]
    if m >= n:
        q, r = qr(a)
        x = solve_triangular(r, matmul(q.transpose(-2, -1), b), upper=True)
    else:
        q, r = qr(a.transpose(-2, -1))
        x = matmul(q, solve_triangular(r.transpose(-2, -1), b, upper=False))
    rank = _rank_guess(r, m, n, rcond)
    x = autograd.named(x[..., 0] if vector else x, "LinalgLstsqBackward0")
    empty = _to_device(np.zeros(0, a.dtype.numpy), a)
    return LstsqResult(x, empty, _to_device(rank, a), empty)


def _rank_guess(r: Any, m: int, n: int, rcond: Any) -> np.ndarray:
    """How many |R[i, i]| exceed rcond times the largest (one host read), per batch element."""
    if rcond is None:
        rcond = np.finfo(r.dtype.numpy).eps * max(m, n)
    diagonal = r.detach().diagonal(0, -2, -1).abs()
    if diagonal._shape[-1] == 0:
        return np.zeros(r._shape[:-2], np.int64)
    largest = amax(diagonal, -1, keepdim=True)
    kept = gt(diagonal, mul(largest, float(rcond)))
    values = kept._storage.backend.to_numpy(kept._strided())
    return values.sum(-1).astype(np.int64)


class _Shape:  # a stand-in with a shape, for dispatch.broadcast
    def __init__(self, shape: tuple) -> None:
        self._shape = shape
