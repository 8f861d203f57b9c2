"""StackDataset: several datasets of one length, read side by side (PyTorch's name).

    StackDataset(images, labels)[i]          == (images[i], labels[i])
    StackDataset(x=images, y=labels)[i]      == {"x": images[i], "y": labels[i]}
"""

from __future__ import annotations

from typing import Any

from .dataset import Dataset

__all__ = ["StackDataset"]


class StackDataset(Dataset):
    """Sample i is the tuple (or, given keywords, the dict) of every dataset's sample i."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        datasets = list(args) if args else list(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        self._length = len(datasets[0])
        if any(self._length != len(dataset) for dataset in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets: Any = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """A batch of samples at once (DataLoader's fast path): one list per index."""
        return [self[index] for index in indices]

    def __len__(self) -> int:
        return self._length
