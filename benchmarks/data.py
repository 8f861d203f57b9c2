"""Data-loading speed: batches per second over MNIST with ToTensor + Normalize, batch 128.

Runs tinygrad_edu's DataLoader with 0 and 2 workers and, when PyTorch is installed, PyTorch's
DataLoader over the same uint8 arrays with the same per-sample work (uint8 (28, 28) -> float32
(1, 28, 28) / 255, then (x - 0.1307) / 0.3081; torchvision is not needed). Each row reports the
time to the first batch (worker start-up included) and the steady rate over the batches after it.

    python benchmarks/data.py [--batches 100] [--workers 0 2]
    TINYGRAD_EDU_FAST=1 python benchmarks/data.py      # a few batches, for the test suite
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_edu as tg
from tinygrad_edu.utils.data import DataLoader, Dataset
from tinygrad_edu.vision import transforms as T
from tinygrad_edu.vision.datasets import MNIST

MEAN, STD = 0.1307, 0.3081
BATCH_SIZE = 128


def measure(loader: Iterable[object], batches: int) -> tuple[float, float]:
    """(seconds to the first batch, batches per second over the next `batches - 1`)."""
    start = time.perf_counter()
    iterator = iter(loader)
    next(iterator)
    first = time.perf_counter() - start
    start = time.perf_counter()
    count = 0
    for _ in range(batches - 1):
        try:
            next(iterator)
        except StopIteration:
            break
        count += 1
    elapsed = time.perf_counter() - start
    del iterator  # shuts workers down
    return first, count / elapsed if elapsed > 0 else float("inf")


def torch_loaders(images: np.ndarray, labels: np.ndarray,
                  workers: list[int]) -> list[tuple[str, object]]:
    """PyTorch DataLoaders over the same arrays and per-sample work, if PyTorch is installed."""
    try:
        import torch
        import torch.utils.data as torch_data
    except ImportError:
        return []

    class TorchMNIST(torch_data.Dataset):
        """ToTensor + Normalize written with torch ops (torchvision is not needed)."""

        def __init__(self) -> None:
            self.images = torch.from_numpy(images)
            self.labels = torch.from_numpy(labels.astype(np.int64))

        def __len__(self) -> int:
            return len(self.images)

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            x = self.images[i].to(torch.float32).div(255).unsqueeze(0)  # (1, 28, 28)
            return x.sub(MEAN).div(STD), int(self.labels[i])

    torch.set_num_threads(1)
    return [(f"torch       workers={w}",
             torch_data.DataLoader(TorchMNIST(), batch_size=BATCH_SIZE, shuffle=True,
                                   num_workers=w))
            for w in workers]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args(argv)
    batches = 4 if os.environ.get("TINYGRAD_EDU_FAST") else args.batches

    tg.manual_seed(0)
    transform = T.Compose([T.ToTensor(), T.Normalize((MEAN,), (STD,))])
    dataset: Dataset[object] = MNIST(train=True, transform=transform)
    loaders: list[tuple[str, object]] = [
        (f"tinygrad_edu workers={w}",
         DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, num_workers=w))
        for w in args.workers
    ]
    loaders += torch_loaders(dataset.data.numpy(), dataset.targets.numpy(), args.workers)

    print(f"MNIST train, ToTensor + Normalize, batch {BATCH_SIZE}, {batches} batches, "
          f"{os.cpu_count()} CPUs")
    print(f"{'loader':<26}{'first batch (s)':>16}{'batches/s':>12}{'images/s':>12}")
    for name, loader in loaders:
        first, rate = measure(loader, batches)
        print(f"{name:<26}{first:>16.3f}{rate:>12.1f}{rate * BATCH_SIZE:>12.0f}")


if __name__ == "__main__":
    main()
