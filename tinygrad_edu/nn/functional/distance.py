"""Distances between the rows of two tensors: cosine similarity and p-norm distance."""

import numpy as np

from tinygrad_edu import autograd
from tinygrad_edu import composite as C
from tinygrad_edu.tensor import Tensor


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along dim (broadcasting x1, x2).

    As PyTorch (which clamps the norms in place under no_grad), the clamp changes the value
    only: the gradient is that of x / ||x||, also where ||x|| < eps.
    """
    shape = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)

    def unit(x: Tensor) -> Tensor:
        norm = C.norm(x, 2, dim, keepdim=True)
        fixed = norm.detach()  # norm's value clamped, its gradient untouched (see above)
        return C.div(x, C.add(norm, C.sub(C.clamp(fixed, min=eps), fixed)))

    return autograd.named(C.mul(unit(x1), unit(x2)).sum(dim), "SumBackward1")


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (eps keeps the norm's gradient finite)"""
    dim = max(x1.ndim, x2.ndim) - 1
    return autograd.named(C.norm(C.add(C.sub(x1, x2), eps), p, dim, keepdim=keepdim),
                          "NormBackward1")
