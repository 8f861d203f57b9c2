"""MultivariateNormal N(loc, Σ) over R^n, kept as its Cholesky factor L (Σ = L Lᵀ).

tinygrad_edu has no linear-algebra kernels (no `linalg.cholesky`, no triangular solve), so
this file writes the two it needs from Tensor ops, one scalar entry per op:

    cholesky(A)      L[i][j] = (A[i][j] - sum_{k<j} L[i][k] L[j][k]) / L[j][j]   (j < i)
                     L[i][i] = sqrt(A[i][i] - sum_{k<i} L[i][k]²)
    solve_lower(L, b)  z[i] = (b[i] - sum_{k<i} L[i][k] z[k]) / L[i][i]   (L z = b)

Each works on batches (the leading dims broadcast) and autograd differentiates through
them, but they cost O(n²) or O(n³) tensor ops: fine for the small n of teaching examples
(n up to ~10), slow for large n. PyTorch calls LAPACK for both.
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import (
    Distribution,
    ShapeLike,
    broadcast_shapes,
    lazy_property,
)
from tinygrad_edu.movement import stack
from tinygrad_edu.tensor import Tensor


def cholesky(matrix: Tensor) -> Tensor:
    """The lower-triangular L with L Lᵀ = matrix (..., n, n), by the Cholesky-Banachiewicz
    loop above. A matrix that is not positive definite gives nan on the diagonal."""
    n = matrix.shape[-1]
    entries: list[list[Any]] = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            total = matrix[..., i, j]
            for k in range(j):
                total = total - entries[i][k] * entries[j][k]
            entries[i][j] = total.sqrt() if i == j else total / entries[j][j]
    zero = 0 * matrix[..., 0, 0]
    rows = [stack([entries[i][j] if j <= i else zero for j in range(n)], -1) for i in range(n)]
    return stack(rows, -2)


def cholesky_pivots(matrix: Tensor) -> Tensor:
    """Whether each pivot A[i][i] - sum_k L[i][k]² of the Cholesky loop is positive (..., n),
    as bools: all are, exactly when a symmetric matrix is positive definite."""
    with no_grad():
        factor = cholesky(matrix)
        diagonal = factor.diagonal(dim1=-2, dim2=-1)
        return (diagonal == diagonal) & (diagonal > 0)


def solve_lower(lower: Tensor, b: Tensor) -> Tensor:
    """z with lower @ z = b, by forward substitution; lower (..., n, n), b (..., n)."""
    n = lower.shape[-1]
    z: list[Tensor] = []
    for i in range(n):
        total = b[..., i]
        for k in range(i):
            total = total - lower[..., i, k] * z[k]
        z.append(total / lower[..., i, i])
    return stack(z, -1)


class MultivariateNormal(Distribution):
    r"""N(loc, Σ) over R^n: give exactly one of covariance_matrix Σ, precision_matrix Σ⁻¹ or
    scale_tril L (lower triangular, positive diagonal, Σ = L Lᵀ).

        log_prob(x) = -(n log 2π + |L⁻¹ (x - loc)|²) / 2 - sum_i log L_ii
        entropy     = n (1 + log 2π) / 2 + sum_i log L_ii

    |L⁻¹(x - loc)|² is the squared Mahalanobis distance; sum log L_ii = log det Σ / 2.
    rsample: loc + L eps with eps ~ N(0, I) from tinygrad_edu.randn (reparameterised).
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        matrix = given[0]
        if matrix.dim() < 2:
            name = ("covariance_matrix" if covariance_matrix is not None else
                    "precision_matrix" if precision_matrix is not None else "scale_tril")
            raise ValueError(f"{name} must be at least two-dimensional, with optional "
                             f"leading batch dimensions")
        batch_shape = broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        n = loc.shape[-1]
        square = tuple(batch_shape) + (n, n)
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(square)
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(square)
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self.precision_matrix = precision_matrix.expand(square)
            # Σ = P⁻¹ = (Lp Lpᵀ)⁻¹ = Lp⁻ᵀ Lp⁻¹ = Z Zᵀ with Z = Lp⁻ᵀ (see _inverse_transpose)
            inverse_t = _inverse_transpose(cholesky(precision_matrix))
            self._unbroadcasted_scale_tril = cholesky(inverse_t @ inverse_t.mT)
        self.loc = loc.expand(tuple(batch_shape) + (n,))
        super().__init__(batch_shape, (n,), validate_args=validate_args)

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape)
                                                     + 2 * tuple(self._event_shape))

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        lower = self._unbroadcasted_scale_tril
        return (lower @ lower.mT).expand(tuple(self._batch_shape) + 2 * tuple(self._event_shape))

    @lazy_property
    def precision_matrix(self) -> Tensor:
        inverse_t = _inverse_transpose(self._unbroadcasted_scale_tril)  # L⁻ᵀ
        precision = inverse_t @ inverse_t.mT  # L⁻ᵀ L⁻¹ = Σ⁻¹
        return precision.expand(tuple(self._batch_shape) + 2 * tuple(self._event_shape))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        variance = self._unbroadcasted_scale_tril.pow(2).sum(-1)  # diag(L Lᵀ)
        return variance.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = creation.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        # (L eps)_i = sum_j L_ij eps_j, broadcasting L's batch dims against eps's
        return self.loc + (self._unbroadcasted_scale_tril * eps.unsqueeze(-2)).sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        n = self._event_shape[0]
        z = solve_lower(self._unbroadcasted_scale_tril, value - self.loc)
        mahalanobis = z.pow(2).sum(-1)
        return -0.5 * (n * math.log(2 * math.pi) + mahalanobis) - self._half_log_det()

    def entropy(self) -> Tensor:
        n = self._event_shape[0]
        entropy = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return entropy.expand(self._batch_shape)

    def _half_log_det(self) -> Tensor:
        """log det Σ / 2 = sum_i log L_ii."""
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _inverse_transpose(lower: Tensor) -> Tensor:
    """L⁻ᵀ for lower-triangular L: row j of the result solves L z = e_j (column j of L⁻¹)."""
    n = lower.shape[-1]
    identity = creation.eye(n, dtype=lower.dtype, device=lower.device)
    return solve_lower(lower.unsqueeze(-3), identity)
