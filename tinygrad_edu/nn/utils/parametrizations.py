"""Ready-made parametrizations (PyTorch: torch.nn.utils.parametrizations), built on
nn.utils.parametrize. `weight_norm` is the modern form of nn.utils.weight_norm: the same
w = g * v / ||v||, but g and v are the originals of a parametrization,
`parametrizations.weight.original0` (g) and `original1` (v), and `module.weight` is a
property recomputed at each read instead of by a forward pre-hook. `spectral_norm` divides
a weight by its largest singular value, estimated by power iteration (Miyato et al., 2018).
"""

from typing import Any

from tinygrad_edu.autograd import no_grad
from tinygrad_edu.creation import randn
from tinygrad_edu.nn.functional import normalize
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.utils import parametrize
from tinygrad_edu.nn.utils.weight_norm import _weight_norm, norm_except_dim
from tinygrad_edu.tensor import Tensor

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """forward(g, v) = g * v / ||v||; right_inverse(w) = (||w||, w), the originals for w."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Any, name: str = "weight", dim: int | None = 0) -> Any:
    """Parametrize module.<name> as g * v / ||v|| (g: original0, v: original1); returns
    module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """forward(W) = W / sigma(W), sigma the largest singular value of W as a matrix
    (dim `dim` first, the rest flattened: (h, w)).

    Power iteration, with buffers u (h,) and v (w,) kept between calls:
        u = normalize(W v),  v = normalize(W^T u),  sigma = u . W v
    Each forward in training mode runs n_power_iterations steps (no gradient through u, v);
    in eval mode u and v stay as they are. A 1-d weight is just normalised.
    """

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim % weight.ndim if weight.ndim else 0
        self.eps = eps
        self.n_power_iterations = n_power_iterations
        if weight.ndim > 1:
            matrix = self._matrix(weight.detach())  # (h, w)
            h, w = matrix.shape
            self.register_buffer("_u", normalize(randn(h, dtype=weight.dtype), dim=0, eps=eps))
            self.register_buffer("_v", normalize(randn(w, dtype=weight.dtype), dim=0, eps=eps))
            self._power_method(matrix, 15)  # a good start

    def _matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    def _power_method(self, matrix: Tensor, iterations: int) -> None:
        with no_grad():
            for _ in range(iterations):
                self._u.copy_(normalize(matrix.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(matrix.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        matrix = self._matrix(weight)
        if self.training:
            self._power_method(matrix.detach(), self.n_power_iterations)
        u = self._u.clone()  # clones: the graph must not see later in-place updates
        v = self._v.clone()
        sigma = (u * matrix.mv(v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value  # any weight is its own original (sigma is recomputed from it)


def spectral_norm(module: Any, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Any:
    """Parametrize module.<name> as W / sigma(W); dim defaults to 0 (1 for the
    ConvTranspose layers, whose output channels are dim 1); returns module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
