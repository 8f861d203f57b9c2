"""Symmetric eigenvalues by the cyclic Jacobi method, composed: eigh, eigvalsh (batched).

A Jacobi rotation J in the (p, q) plane, chosen so that (J^T A J)[p, q] = 0, removes one
off-diagonal pair; later rotations put a little back, but the sum of the squares off the
diagonal shrinks every time (by 2 A[p, q]^2), and a few sweeps over all pairs drive it to
rounding level (quadratic convergence at the end). Then A' = V^T A V is diagonal: the
eigenvalues on its diagonal, the eigenvectors in V = the product of the rotations.

The angle, for a = A[p, q], d = A[q, q] - A[p, p] (Golub and Van Loan's sym.schur2, with
the division by a moved out so a = 0 needs no special case):

    t = tan(theta) = sign(d) 2a / (|d| + sqrt(d^2 + 4a^2))      (sign(0) = +1)
    c = 1 / sqrt(1 + t^2)     s = t c        J[p, p] = J[q, q] = c, J[p, q] = s = -J[q, p]

Pairs that share no index commute, so the rotations are grouped as a round-robin
tournament (Brent and Luk): n - 1 rounds of n / 2 disjoint pairs make one sweep, and each
round is one matrix J built from constant masks and two products, A <- J^T A J, V <- V J:
a handful of ops per round whatever n is. One host read per sweep tests convergence.

Gradients are autograd's through every rotation: correct for distinct eigenvalues (the
eigenvectors of a repeated eigenvalue are not unique; PyTorch's formula divides by the
gaps and gives inf / nan there). Eigenvector signs are the rotations', not LAPACK's: a
column of V may be the negative of PyTorch's (both are eigenvectors).
"""

from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_edu import autograd, dtypes
from tinygrad_edu.composite.arithmetic import add, div, mul, sub
from tinygrad_edu.composite.elimination import _check_square
from tinygrad_edu.composite.logic import eq, ge, where
from tinygrad_edu.composite.products import matmul
from tinygrad_edu.composite.triangular import symmetric_from_triangle
from tinygrad_edu.movement import _to_device, expand, gather, reshape, unsqueeze

EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])

MAX_SWEEPS = 30  # float64 converges in ~6-10 sweeps for the sizes this is meant for


def _rounds(n: int) -> list:
    """The round-robin tournament over n players: n - 1 rounds (n even; for an odd n one
    player sits out each of n rounds), each a list of disjoint pairs (p, q), p < q."""
    players = list(range(n + n % 2))  # an odd n gets a dummy player n: its partner rests
    count = len(players)
    rounds = []
    for _ in range(count - 1):
        pairs = [tuple(sorted((players[i], players[count - 1 - i]))) for i in range(count // 2)]
        rounds.append([(p, q) for p, q in pairs if q < n])
        players = [players[0], players[-1]] + players[1:-1]  # keep 0, turn the rest
    return rounds


def _masks(n: int, pairs: list, dtype: Any) -> tuple:
    """(rest, cosines, sines): J = rest + c @ cosines + s @ sines, flattened to n * n; rest
    is 1 on the diagonal of a resting index, cosines (K, n * n) puts c_k at (p, p) and
    (q, q), sines puts s_k at (p, q) and -s_k at (q, p)."""
    rest = np.eye(n, dtype=dtype).reshape(-1)
    cosines = np.zeros((len(pairs), n * n), dtype)
    sines = np.zeros((len(pairs), n * n), dtype)
    for k, (p, q) in enumerate(pairs):
        rest[p * n + p] = rest[q * n + q] = 0
        cosines[k, p * n + p] = cosines[k, q * n + q] = 1
        sines[k, p * n + q], sines[k, q * n + p] = 1, -1
    return rest, cosines, sines


def _rotation(a: Any, pairs: list, masks: tuple) -> Any:
    """J (..., n, n) with (J^T A J)[p, q] = 0 for every pair of the round."""
    n = a._shape[-1]
    flat = reshape(a, a._shape[:-2] + (n * n,))
    batch = a._shape[:-2] + (len(pairs),)

    def entries(rows: list, cols: list) -> Any:  # A[rows[k], cols[k]] for every k, (..., K)
        index = _to_device(np.array([r * n + c for r, c in zip(rows, cols)]), a)
        return gather(flat, -1, expand(index, batch))

    ps, qs = [p for p, _ in pairs], [q for _, q in pairs]
    off = entries(ps, qs)  # a
    gap = sub(entries(qs, qs), entries(ps, ps))  # d
    radicand = add(mul(gap, gap), mul(mul(off, off), 4))
    root = where(eq(radicand, 0), 1.0, radicand).sqrt()  # safe: a finite gradient at 0
    denominator = add(gap.abs(), root)
    sign = where(ge(gap, 0), 1.0, -1.0)
    t = where(eq(radicand, 0), 0.0, div(mul(mul(off, 2), sign), denominator))
    c = add(mul(t, t), 1).rsqrt()
    s = mul(t, c)
    rest, cosines, sines = (_to_device(m, a) for m in masks)
    j = add(rest, add(matmul(c, cosines), matmul(s, sines)))  # (..., n * n)
    return reshape(j, a._shape)


def _off_diagonal_ratio(a: Any) -> float:
    """sqrt(sum of squares off the diagonal) / sqrt(sum of all squares), the worst of the
    batch (one host read)."""
    values = a._storage.backend.to_numpy(a.detach()._strided())
    total = np.sqrt((values ** 2).sum((-2, -1)))
    off_diagonal = values * (1 - np.eye(values.shape[-1]))  # not total - diagonal: it cancels
    off = np.sqrt((off_diagonal ** 2).sum((-2, -1)))
    ratio = np.where(total > 0, off / np.where(total > 0, total, 1), 0)
    return float(ratio.max()) if ratio.size else 0.0


def _jacobi(a: Any) -> tuple:
    """(eigenvalues (..., n) unsorted, V (..., n, n)) of a symmetric A."""
    n = a._shape[-1]
    v = expand(_to_device(np.eye(n, dtype=a.dtype.numpy), a), a._shape)
    rounds = _rounds(n)
    masks = [_masks(n, pairs, a.dtype.numpy) for pairs in rounds]
    tolerance = n * float(np.finfo(a.dtype.numpy).eps)
    for _ in range(MAX_SWEEPS):
        if n < 2 or a.numel() == 0 or _off_diagonal_ratio(a) <= tolerance:
            break
        for pairs, mask in zip(rounds, masks):
            j = _rotation(a, pairs, mask)
            a = matmul(matmul(j.transpose(-2, -1), a), j)
            v = matmul(v, j)
    return a.diagonal(0, -2, -1), v


def _check(name: str, a: Any, uplo: str) -> None:
    if uplo not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    if not a.dtype.is_floating_point:
        raise RuntimeError(f'"linalg_eigh_cpu" not implemented for '
                           f"'{dtypes.scalar_type_name(a.dtype)}'")
    _check_square(name, a)


def eigh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 (PyTorch's name)
    """(eigenvalues, eigenvectors) of a symmetric A (only its lower triangle is read, the
    upper with UPLO='U'): A = V diag(w) V^T, w ascending, V's columns orthonormal.
    The gradient treats a change of A as symmetric, as PyTorch's does."""
    _check("eigh", a, UPLO)
    values, vectors = _jacobi(symmetric_from_triangle(a, UPLO == "U"))
    with autograd.no_grad():
        order = values.detach().argsort(-1)  # ascending, as LAPACK's syevd returns them
    values = gather(values, -1, order)
    vectors = gather(vectors, -1, expand(unsqueeze(order, -2), vectors._shape))
    return EighResult(autograd.named(values, "LinalgEighBackward0"),
                      autograd.named(vectors, "LinalgEighBackward0"))


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 (PyTorch's name)
    """The eigenvalues of a symmetric A, ascending: eigh(A).eigenvalues (PyTorch's errors
    name linalg.eigh here too)."""
    return eigh(a, UPLO).eigenvalues
