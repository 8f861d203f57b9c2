"""Two more initialisation schemes of nn.init (re-exported there).

    sparse_   each column of a 2-D weight gets a fixed fraction of zeros, the rest ~ N(0, std)
              (Martens, 2010: sparse initialisation for deep nets without pre-training)
    dirac_    a conv weight that passes its input through: the Dirac delta per channel
"""

import math
from typing import Any

import numpy as np

from tinygrad_edu import autograd, creation
from tinygrad_edu.tensor import Tensor

__all__ = ["sparse_", "dirac_"]


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Any = None) -> Tensor:
    """Fill the 2-D tensor from N(0, std), then zero ceil(sparsity * rows) random entries of
    every column (different rows per column). In place; returns tensor."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    rng = creation._rng(generator)
    values = rng.normal(0.0, std, size=(rows, cols))
    for col in range(cols):
        values[rng.permutation(rows)[:num_zeros], col] = 0.0
    with autograd.no_grad():
        tensor.copy_(creation.tensor(values.astype(tensor.dtype.numpy), device=tensor.device))
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Make a conv weight (out, in, *kernel) the identity: weight[g*k + d, d, centre] = 1 for
    each group g and d < min(out // groups, in), zeros elsewhere; the conv then copies its
    first channels (with padding = kernel // 2 the output equals the input)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_channels = tensor.shape[0]
    if out_channels % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = out_channels // groups
    values = np.zeros(tuple(tensor.shape), dtype=tensor.dtype.numpy)
    centre = tuple(size // 2 for size in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    with autograd.no_grad():
        tensor.copy_(creation.tensor(values, device=tensor.device))
    return tensor
