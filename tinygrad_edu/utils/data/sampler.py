"""Samplers: which indices a DataLoader visits, in which order, and how they are batched.

All randomness comes from a `tinygrad_edu.Generator` passed in, or else from the library's global
RNG, so `tinygrad_edu.manual_seed(s)` makes every shuffle reproducible. A sampler lives in the
main process only (workers receive indices), so the order never depends on `num_workers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

import tinygrad_edu as _tg

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "draw_seed",
]

T_co = TypeVar("T_co", covariant=True)
SEED_HIGH = 2**62  # seeds are drawn uniformly from [0, SEED_HIGH)


def draw_seed(generator: Any = None) -> int:
    """One random int64 seed from `generator` (or the global RNG when None).

    PyTorch: `int(torch.empty((), dtype=torch.int64).random_(generator=g).item())`.
    """
    return int(_tg.randint(0, SEED_HIGH, (1,), generator=generator).item())


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} should be a boolean value, but got {name}={value}")


class Sampler(Generic[T_co]):
    """Base class: a subclass defines `__iter__` (the indices) and, if it can, `__len__`.

    PyTorch: the base `__iter__` raises NotImplementedError; here it has none, so `iter()` on
    a bare Sampler is Python's "object is not iterable" TypeError.
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        # PyTorch accepts (and ignores) data_source here for backwards compatibility
        pass


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random order of the indices of `data_source`.

    Without replacement: concatenated fresh permutations randperm(n), cut at num_samples
    (default n, so one permutation). With replacement: num_samples draws of randint(0, n),
    made in chunks of 32. With `generator=None` a seed is drawn from the global RNG when the
    iteration starts, then a private Generator is used (PyTorch's scheme).
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("replacement", replacement)
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = _tg.Generator()
            generator.manual_seed(draw_seed())
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from _tg.randint(0, n, (32,), generator=generator).tolist()
            remainder = self.num_samples % 32
            if remainder:
                yield from _tg.randint(0, n, (remainder,), generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from _tg.randperm(n, generator=generator).tolist()
            remainder = self.num_samples % n
            if remainder:
                yield from _tg.randperm(n, generator=generator).tolist()[:remainder]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order: indices[p[i]] for p = randperm(len(indices))."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _tg.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """num_samples indices drawn with P(i) = weights[i] / sum(weights).

    PyTorch: `torch.multinomial(weights, num_samples, replacement, generator)`. Here the draw is
    NumPy's `Generator.choice` seeded by one seed drawn from `generator` (or the global RNG), so
    it is just as reproducible under `manual_seed`, with a different stream.
    """

    def __init__(
        self,
        weights: Sequence[float] | Any,
        num_samples: int,
        replacement: bool = True,
        generator: Any = None,
    ) -> None:
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement)
        values = weights.numpy() if isinstance(weights, _tg.Tensor) else weights
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(array.shape)}"
            )
        if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError("weights must be a non-empty sequence of finite values >= 0")
        if array.sum() <= 0:
            raise ValueError("weights must not all be zero")
        if not replacement and num_samples > np.count_nonzero(array):
            raise ValueError(
                f"cannot sample num_samples={num_samples} > {np.count_nonzero(array)} "
                "indices of non-zero weight without replacement"
            )
        self.weights = _tg.from_numpy(array)
        self._probabilities = array / array.sum()
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(draw_seed(self.generator))
        chosen = rng.choice(
            len(self._probabilities),
            size=self.num_samples,
            replace=self.replacement,
            p=self._probabilities,
        )
        yield from chosen.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of `sampler` into lists of `batch_size`; the short last one is kept
    unless `drop_last`. len = n // b if drop_last else ceil(n / b)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return count // self.batch_size
        return (count + self.batch_size - 1) // self.batch_size
