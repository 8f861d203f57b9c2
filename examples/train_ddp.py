"""Data-parallel training: 2 processes train one digits MLP, each on half of every batch.

    python examples/train_ddp.py                 # 2 processes, 10 epochs, ~10 s on 2 cores
    python examples/train_ddp.py --nprocs 3 --epochs 5

What each process (rank) does, the same code in all of them:

    dist.init_process_group("gloo")               # meet the others (MASTER_ADDR/PORT)
    model = DistributedDataParallel(MLP())        # rank 0's weights are copied to everyone
    sampler = DistributedSampler(train_set)       # this rank's 1/W of the indices
    for epoch ...: sampler.set_epoch(epoch)       # a new shuffle, the same on every rank
        loss.backward()                           # gradients averaged over the ranks here
        optimizer.step()                          # identical step everywhere: copies stay equal

The global batch is --batch-size (64): each of W ranks computes on 64 / W of it, so W
processes take the steps one process would take with batch 64. At the end the ranks count
their share of the test set and all_reduce the counts into one accuracy, and check that all
of them hold the very same weights.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import tinygrad_edu as torch  # noqa: E402
import tinygrad_edu.distributed as dist  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
from tinygrad_edu.nn.parallel import DistributedDataParallel  # noqa: E402
from tinygrad_edu.train import MLP, load_arrays  # noqa: E402
from tinygrad_edu.utils.data import (  # noqa: E402
    BatchSampler,
    DataLoader,
    DistributedSampler,
    TensorDataset,
)

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite's short run


def shard_loader(x: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool
                 ) -> tuple[DataLoader, DistributedSampler]:
    """Batches from this rank's share of (x, y): a DistributedSampler cut into batches."""
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, shuffle=shuffle, seed=0)  # rank, W from the group
    batches = BatchSampler(sampler, batch_size, drop_last=False)
    return DataLoader(dataset, batch_size=None, sampler=batches), sampler


def worker(rank: int, world_size: int, epochs: int, batch_size: int, lr: float) -> None:
    """The training job of one rank (called by spawn as worker(rank, *args))."""
    torch.set_num_threads(1)  # W processes share the cores: one thread each
    dist.init_process_group("gloo", rank=rank, world_size=world_size)  # env:// by default
    torch.manual_seed(rank)  # different on purpose: DDP makes the weights rank 0's anyway
    data = load_arrays("digits", None)
    train_loader, sampler = shard_loader(torch.from_numpy(data["train_x"]),
                                         torch.from_numpy(data["train_y"]),
                                         batch_size // world_size, shuffle=True)
    test_loader, _ = shard_loader(torch.from_numpy(data["test_x"]),
                                  torch.from_numpy(data["test_y"]), 256, shuffle=False)
    model = DistributedDataParallel(MLP(64, [128, 64], dropout=0.1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()  # DDP: every .grad is now the average over the ranks
            optimizer.step()
            total, count = total + loss.item() * len(y), count + len(y)
        print(f"rank {rank} epoch {epoch:2d}: loss on its {count} samples {total / count:.4f}",
              flush=True)

    model.eval()
    correct_count = torch.zeros(2, dtype=torch.int64)  # (correct, seen) on this rank's share
    with torch.no_grad():
        for x, y in test_loader:
            correct_count[0] += int((model(x).argmax(dim=1) == y).sum().item())
            correct_count[1] += len(y)
    dist.all_reduce(correct_count)  # sums over the ranks
    checksums: list = [None] * world_size
    dist.all_gather_object(checksums, [float(p.sum().item()) for p in model.parameters()])
    if rank == 0:
        same = all(c == checksums[0] for c in checksums)
        correct, seen = (int(v) for v in correct_count.tolist())
        # the padding of the DistributedSampler may count a few test images twice
        print(f"{world_size} ranks, {epochs} epochs in {time.perf_counter() - start:.1f} s: "
              f"test accuracy {correct / seen:.2%} ({correct}/{seen}); weights identical on "
              f"all ranks: {same}", flush=True)
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nprocs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2 if FAST else 10)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch (all ranks)")
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args(argv)
    # what a launcher (torchrun) would set: where rank 0 listens for the others
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    torch.multiprocessing.spawn(worker, args=(args.nprocs, args.epochs, args.batch_size,
                                              args.lr), nprocs=args.nprocs)


if __name__ == "__main__":
    main()
