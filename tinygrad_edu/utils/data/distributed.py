"""DistributedSampler: each of `num_replicas` processes reads its own 1/num_replicas share.

The world size and rank come from the arguments, else from the default process group
(`tinygrad_edu.distributed`), else from the environment variables WORLD_SIZE and RANK that
`torchrun` sets (default 1 and 0). PyTorch: without an initialised group it raises instead of
reading the environment.

With shuffle=False the indices are PyTorch's, element for element. With shuffle=True they are
a permutation by our generator seeded with seed + epoch: the same on every rank and in every
run, but not PyTorch's order, since `randperm` here draws from NumPy's PCG64, not from
PyTorch's Mersenne Twister (see the README).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sized

import tinygrad_edu as _tg

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """Indices for replica `rank`: a permutation (seeded by seed + epoch, the same in every
    replica) padded by repetition to total_size = num_samples * num_replicas (or cut when
    drop_last), then every num_replicas-th index starting at rank: p[rank::num_replicas].

    num_samples = ceil(N / R), or ceil((N - R) / R) when drop_last and R does not divide N.
    Call `set_epoch(e)` before each epoch for a new shuffle.
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        group_on = _tg.distributed.is_initialized()
        if num_replicas is None:
            num_replicas = (_tg.distributed.get_world_size() if group_on
                            else int(os.environ.get("WORLD_SIZE", "1")))
        if rank is None:
            rank = _tg.distributed.get_rank() if group_on else int(os.environ.get("RANK", "0"))
        if num_replicas < 1:
            raise ValueError(f"num_replicas must be >= 1, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        size = len(dataset)
        if drop_last and size % num_replicas != 0:
            self.num_samples = math.ceil((size - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(size / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        size = len(self.dataset)
        if self.shuffle:
            generator = _tg.Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = _tg.randperm(size, generator=generator).tolist()
        else:
            indices = list(range(size))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use seed + epoch for the next shuffle, so every epoch has a new order."""
        self.epoch = epoch
