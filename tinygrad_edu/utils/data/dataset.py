"""Datasets: the map-style and iterable-style protocols and their combinators (PyTorch's names).

A map-style dataset answers `dataset[i]` for 0 <= i < len(dataset); an iterable-style one only
yields samples (`for sample in dataset`). Everything here is a thin view over other datasets:
`Subset` remaps indices, `ConcatDataset` finds the right part with a binary search over the
cumulative sizes, `random_split` is one `randperm` cut into consecutive pieces.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import tinygrad_edu as _tg

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define `__getitem__(index)` and usually `__len__()`.

    PyTorch: the base class raises NotImplementedError from `__getitem__`; here it simply has
    none, so `Dataset()[0]` is Python's own "object is not subscriptable" TypeError.
    `a + b` is `ConcatDataset([a, b])`.
    """

    def __add__(self, other: Dataset[Any]) -> ConcatDataset[Any]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """An iterable-style dataset: subclasses define `__iter__()`.

    With `num_workers > 0` every worker process iterates its own copy; use
    `tinygrad_edu.utils.data.get_worker_info()` inside `__iter__` to give each worker a shard,
    or every sample is yielded once per worker. `a + b` chains the two (`ChainDataset`).
    """

    def __add__(self, other: Dataset[Any]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple[Any, ...]]):
    """Samples are rows of tensors of equal first dimension: item i = (t[i] for t in tensors)."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [int(t.shape[0]) if len(t.shape) else None for t in tensors]
        if None in sizes or any(size != sizes[0] for size in sizes):
            shapes = [tuple(t.shape) for t in tensors]
            raise ValueError(f"Size mismatch between tensors: shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after another: index i falls in part k with
    cumulative_sizes[k-1] <= i < cumulative_sizes[k] (found by binary search)."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index = len(self) + index
        if index >= len(self):
            raise IndexError(f"index {index} is out of range for ConcatDataset of {len(self)}")
        part = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[part - 1] if part > 0 else 0
        return self.datasets[part][index - start]


class ChainDataset(IterableDataset[Any]):
    """Iterable datasets one after another (lazily chained)."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)  # type: ignore[arg-type]


class Subset(Dataset[T_co]):
    """The samples of `dataset` at `indices`: subset[i] = dataset[indices[i]]."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """Batched fetch used by the DataLoader (PyTorch's protocol); forwards when it can."""
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list[int]:
    """floor(total * f) each, then the remainder handed out one by one, round-robin."""
    lengths = []
    for i, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(total * fraction))
    remainder = total - sum(lengths)
    for i in range(remainder):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                stacklevel=3,
            )
    return lengths


def random_split(
    dataset: Dataset[T_co],
    lengths: Sequence[int | float],
    generator: Any = None,
) -> list[Subset[T_co]]:
    """Split into non-overlapping random subsets of the given lengths (or fractions summing
    to 1). One permutation p = randperm(N, generator); split k = p[offset_k : offset_k + n_k].

    `generator=None` draws from the global RNG (PyTorch: `default_generator`), so
    `manual_seed(s)` before the call makes the split reproducible.
    """
    total = len(dataset)  # type: ignore[arg-type]
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, total)
    int_lengths = [int(length) for length in lengths]
    if sum(int_lengths) != total or any(i != length for i, length in zip(int_lengths, lengths)):
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset! "
            f"(lengths {list(lengths)}, dataset of {total})"
        )
    permutation = _tg.randperm(total, generator=generator).tolist()
    splits = []
    offset = 0
    for length in int_lengths:
        splits.append(Subset(dataset, permutation[offset : offset + length]))
        offset += length
    return splits
