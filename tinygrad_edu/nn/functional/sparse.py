"""embedding_bag: the sum, mean or max of each bag of embedding rows, without materialising
the (bags, bag length, dim) tensor that embedding(...).sum(1) would need for ragged bags.

    input [4, 1, 2, 3, 3],  offsets [0, 2]  ->  bags [4, 1] and [2, 3, 3]
    mode="sum":  out[0] = w[4] + w[1],  out[1] = w[2] + 2 * w[3]

Every looked-up row is added into its bag's output row (index_add: a scatter-add kernel),
so the backward is a gather. A 2-D input (B, N) is B bags of N indices each.
"""

import numpy as np

from tinygrad_edu import creation
from tinygrad_edu.nn.functional.layers import embedding
from tinygrad_edu.tensor import Tensor

MODES = ("sum", "mean", "max")


def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple:
    """(flat indices (N,), starts of the bags: a list of B + 1 positions into them)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        count, length = input.shape
        return input.reshape(-1), [b * length for b in range(count + 1)]
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if offsets is None or offsets.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor but got {offsets}")
    starts = [int(v) for v in offsets.tolist()]
    if starts and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {starts[0]}")
    if not include_last_offset:
        starts.append(input.shape[0])
    if any(a > b for a, b in zip(starts, starts[1:])) or (starts and starts[-1] > input.shape[0]):
        raise RuntimeError("offsets must be non-decreasing and at most the input's length, "
                           f"got {starts}")
    return input, starts


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """(B, dim): the sum, mean or max of weight's rows over each bag (module docstring).

    padding_idx entries are left out of their bag (and of a mean's count); an empty bag
    gives zeros. per_sample_weights (same shape as input) scales each row, mode "sum" only.
    Differences from PyTorch: per_sample_weights with another mode raises ValueError
    (PyTorch: NotImplementedError, same message); in mode "max", tied maxima share the
    gradient (amax's rule) where PyTorch gives it all to one of them.
    """
    if mode not in MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise ValueError("embedding_bag: per_sample_weights was not None. per_sample_weights "
                         f"is only supported for mode='sum' (got mode='{mode}'). Please open a "
                         "feature request on GitHub.")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}"
                         f") is not None, then it must have the same shape as the input "
                         f"({list(input.shape)})")
    indices, starts = _bags(input, offsets, include_last_offset)
    count = len(starts) - 1
    rows = embedding(indices, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    if padding_idx is not None:
        padding_idx = padding_idx + weight.shape[0] if padding_idx < 0 else padding_idx
    sizes = np.diff(np.asarray(starts, dtype=np.int64))
    bag_of = creation.tensor(np.repeat(np.arange(count, dtype=np.int64), sizes),
                             device=weight.device)
    keep = None if padding_idx is None else (indices != padding_idx)
    if mode == "max":
        return _bag_max(rows, starts, keep, weight)
    scale = None if per_sample_weights is None else per_sample_weights.reshape(-1, 1)
    if keep is not None:
        kept = keep.to(weight.dtype).unsqueeze(1)
        scale = kept if scale is None else scale * kept
    contributions = rows if scale is None else rows * scale
    out = creation.zeros(count, weight.shape[1], dtype=weight.dtype, device=weight.device)
    out = out.index_add(0, bag_of, contributions)
    if mode == "sum":
        return out
    members = creation.zeros(count, dtype=weight.dtype, device=weight.device)
    ones = creation.ones(indices.shape[0], dtype=weight.dtype, device=weight.device)
    members = members.index_add(0, bag_of, ones if keep is None else keep.to(weight.dtype))
    return out / members.clamp(min=1).unsqueeze(1)


def _bag_max(rows: Tensor, starts: list, keep: Tensor | None, weight: Tensor) -> Tensor:
    """The elementwise max over each bag's rows, zeros for an empty bag.

    Bags are ragged, so they are laid out as a (bags, longest bag) table of row numbers,
    the unused slots masked with -inf before one amax over the table's rows."""
    count, dim = len(starts) - 1, weight.shape[1]
    kept = np.ones(rows.shape[0], dtype=bool) if keep is None else keep.cpu().numpy()
    members = [np.flatnonzero(kept[first:stop]) + first
               for first, stop in zip(starts, starts[1:])]
    longest = max((len(m) for m in members), default=0)
    if longest == 0:
        return creation.zeros(count, dim, dtype=weight.dtype, device=weight.device)
    table = np.zeros((count, longest), dtype=np.int64)
    used = np.zeros((count, longest), dtype=bool)
    for bag, positions in enumerate(members):
        table[bag, :len(positions)] = positions
        used[bag, :len(positions)] = True
    picked = rows.index_select(0, creation.tensor(table.reshape(-1), device=weight.device))
    used_mask = creation.tensor(used, device=weight.device).unsqueeze(-1)
    masked = picked.view(count, longest, dim).masked_fill(~used_mask, float("-inf"))
    nonempty = creation.tensor(used.any(1), device=weight.device).unsqueeze(-1)
    return masked.amax(1).masked_fill(~nonempty, 0.0)
