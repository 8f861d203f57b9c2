"""Singular values by one-sided Jacobi (Hestenes), composed: svd, svdvals, matrix_rank.

Rotate the columns of A (m >= n) in pairs until they are mutually orthogonal: U' = A V with
V a product of plane rotations. Then U'[:, j] = sigma_j u_j, sigma_j = ||U'[:, j]||, and
A = U' V^T = U diag(sigma) V^T. The rotation of a pair (p, q) is exactly the Jacobi
rotation (eigen.py) that diagonalizes the 2 x 2 block of the Gram matrix G = U'^T U':

    [[ ||u_p||^2,  u_p . u_q ],
     [ u_p . u_q,  ||u_q||^2 ]]

so one sweep of the round-robin rounds here is a Jacobi sweep on A^T A, but the rotations
act on A's columns and the singular values come out as their norms: no sqrt of the
eigenvalues of a formed A^T A, which loses the small singular values (those below
sqrt(eps) times the largest) to rounding. A sweep stops the loop once every pair of
columns is orthogonal relative to its own lengths. A wide A (m < n) is done as A^T.

Gradients are autograd's through the rotations: right for distinct, non-zero singular
values (PyTorch's formula divides by sigma_i^2 - sigma_j^2 and gives inf / nan there).
Singular vectors come with the rotations' signs, not LAPACK's: a pair (u_j, v_j) may be
(-u_j, -v_j) in PyTorch (both give the same A). full_matrices=True completes U with the
'complete' QR of U (columns orthonormal to the others, signs arbitrary).
"""

from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dtypes
from tinygrad_edu.composite.arithmetic import div, mul
from tinygrad_edu.composite.eigen import (
    MAX_SWEEPS,
    _masks,
    _rotation,
    _rounds,
)
from tinygrad_edu.composite.householder import qr
from tinygrad_edu.composite.logic import eq, gt, where
from tinygrad_edu.composite.products import matmul
from tinygrad_edu.composite.reductions import amax, sum
from tinygrad_edu.movement import _to_device, cat, expand, gather, narrow, unsqueeze

SvdResult = namedtuple("linalg_svd", ["U", "S", "Vh"])


def _one_sided_jacobi(a: Any) -> tuple:
    """(U' = A V with orthogonal columns (..., m, n), V (..., n, n)) for A with m >= n."""
    n = a._shape[-1]
    v = expand(_to_device(np.eye(n, dtype=a.dtype.numpy), a), a._shape[:-2] + (n, n))
    rounds = _rounds(n)
    masks = [_masks(n, pairs, a.dtype.numpy) for pairs in rounds]
    tolerance = n * float(np.finfo(a.dtype.numpy).eps)
    u = a
    for _ in range(MAX_SWEEPS):
        if n < 2 or a.numel() == 0:
            break
        if _worst_cosine(matmul(u.transpose(-2, -1), u)) <= tolerance:
            break
        for pairs, mask in zip(rounds, masks):
            j = _rotation(matmul(u.transpose(-2, -1), u), pairs, mask)
            u = matmul(u, j)
            v = matmul(v, j)
    return u, v


def _worst_cosine(gram: Any) -> float:
    """The largest |cos| of the angle between two columns, |G[p, q]| / sqrt(G[p, p] G[q, q])
    (one host read): each pair is judged against its own lengths, so short columns (small
    singular values) are made orthogonal as accurately as long ones."""
    values = gram._storage.backend.to_numpy(gram.detach()._strided())
    lengths = np.sqrt(np.abs(np.diagonal(values, 0, -2, -1)))  # (..., n)
    scale = lengths[..., :, None] * lengths[..., None, :]
    cosines = np.abs(values) * (1 - np.eye(values.shape[-1])) / np.where(scale > 0, scale, 1)
    return float(cosines.max()) if cosines.size else 0.0


def _check(name: str, a: Any) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 "
                           "dimensions.")
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {dtypes.scalar_type_name(a.dtype)}")


def svd(a: Any, full_matrices: bool = True) -> Any:
    """(U, S, Vh) with A = U diag(S) Vh, S descending (..., k), k = min(m, n); U (..., m, k)
    and Vh (..., k, n), or U (m, m) and Vh (n, n) with full_matrices=True (the default)."""
    _check("svd", a)
    m, n = a._shape[-2:]
    if m < n:  # A^T = V S U^T
        u, s, vh = svd(a.transpose(-2, -1), full_matrices)
        return SvdResult(vh.transpose(-2, -1), s, u.transpose(-2, -1))
    columns, v = _one_sided_jacobi(a)
    s = sum(mul(columns, columns), -2).sqrt() if n else narrow(columns, -2, 0, 0).sum(-2)
    with autograd.no_grad():
        order = s.detach().argsort(-1, descending=True)
    s = gather(s, -1, order)
    columns = gather(columns, -1, expand(unsqueeze(order, -2), columns._shape))
    v = gather(v, -1, expand(unsqueeze(order, -2), v._shape))
    safe = where(eq(s, 0), 1.0, s)  # a zero singular value: its u stays 0 (rank-deficient)
    u = div(columns, unsqueeze(safe, -2))
    if full_matrices and m > n:
        complete = qr(u.detach(), mode="complete").Q  # (..., m, m): no gradient
        u = cat([u, narrow(complete, -1, n, m - n)], -1)
    return SvdResult(autograd.named(u, "LinalgSvdBackward0"),
                     autograd.named(s, "LinalgSvdBackward0"),
                     autograd.named(v.transpose(-2, -1), "LinalgSvdBackward0"))


def svdvals(a: Any) -> Any:
    """The singular values of A, descending: svd(A, full_matrices=False).S"""
    _check("svd", a)
    return svd(a, full_matrices=False).S


def matrix_rank(a: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:
    """How many singular values exceed max(atol, rtol * the largest) (int64, per matrix);
    rtol defaults to eps * max(m, n) when neither is given, 0 when atol alone is.
    hermitian is accepted; the singular values are computed the same way."""
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at "
                           "least 2 dimensions.")
    if not a.dtype.is_floating_point:
        raise RuntimeError("This function doesn't handle types other than float and double")
    m, n = a._shape[-2:]
    if rtol is None:
        rtol = np.finfo(a.dtype.numpy).eps * max(m, n) if atol is None else 0.0
    with autograd.no_grad():
        s = svdvals(a.detach())
        if s._shape[-1] == 0:
            return _to_device(np.zeros(s._shape[:-1], np.int64), a)
        threshold = mul(amax(s, -1, keepdim=True), float(rtol))
        if atol is not None:
            threshold = where(gt(threshold, float(atol)), threshold, float(atol))
        return sum(gt(s, threshold), -1)
