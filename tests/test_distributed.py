"""tinygrad_edu.distributed, .multiprocessing, nn.parallel.DistributedDataParallel and
DistributedSampler.

Real processes are expensive here (each child imports the library), so the multi-process
tests use one spawn each and run many checks inside it: a failed check raises in the child,
and spawn raises it in the test with the child's traceback. The ring all-reduce is also run
by threads over real loopback TCP sockets, where many world sizes are cheap.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as torch
import tinygrad_edu.distributed as dist
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
from tinygrad_edu.distributed.collectives import ring_all_reduce
from tinygrad_edu.distributed.process_group import ProcessGroup
from tinygrad_edu.distributed.transport import Channel, DistBackendError, Mesh
from tinygrad_edu.multiprocessing import ProcessExitedException, ProcessRaisedException
from tinygrad_edu.nn.parallel import DistributedDataParallel as DDP
from tinygrad_edu.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = timedelta(seconds=30)  # no test waits forever on a peer
OPS = [dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN,
       dist.ReduceOp.MAX]
NUMPY_OPS = {dist.ReduceOp.SUM: np.add, dist.ReduceOp.AVG: np.add,
             dist.ReduceOp.PRODUCT: np.multiply, dist.ReduceOp.MIN: np.minimum,
             dist.ReduceOp.MAX: np.maximum}
SIZES = [0, 1, 7, 1000]
DTYPES = ["float32", "float64", "int64"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def no_group_left():
    """Every test starts and ends without a default process group in this process."""
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def rank_data(rank: int, size: int, dtype: str) -> np.ndarray:
    """Rank `rank`'s input: small integers (so PRODUCT stays exact), as dtype."""
    rng = np.random.default_rng(1000 * rank + size)
    return rng.integers(-3, 4, size).astype(dtype)


def expected_reduce(world: int, size: int, dtype: str, op: dist.ReduceOp) -> np.ndarray:
    result = rank_data(0, size, dtype)
    for rank in range(1, world):
        result = NUMPY_OPS[op](result, rank_data(rank, size, dtype))
    return result / world if op is dist.ReduceOp.AVG else result


# ---------------------------------------------------------------------- ring, over threads


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
    return client, accepted


def thread_groups(world: int) -> list[ProcessGroup]:
    """`world` process groups in this process, joined by loopback TCP sockets."""
    channels: list[dict] = [{} for _ in range(world)]
    for i in range(world):
        for j in range(i + 1, world):
            a, b = tcp_pair()
            channels[i][j], channels[j][i] = Channel(a, j, 10.0), Channel(b, i, 10.0)
    return [ProcessGroup(r, world, Mesh(r, world, channels[r]), TIMEOUT) for r in range(world)]


def run_threads(groups: list[ProcessGroup], fn) -> list:
    results, errors = [None] * len(groups), []

    def body(group: ProcessGroup) -> None:
        try:
            results[group.rank()] = fn(group)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=body, args=(g,)) for g in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for group in groups:
        group.mesh.close()
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("world", [2, 3, 4])
def test_ring_all_reduce_every_op_size_and_dtype(world: int) -> None:
    cases = [(size, dtype, op) for size in SIZES for dtype in DTYPES for op in OPS
             if not (op is dist.ReduceOp.AVG and dtype == "int64")]

    def all_cases(group: ProcessGroup) -> list:
        out = []
        for size, dtype, op in cases:
            flat = rank_data(group.rank(), size, dtype)
            if op is dist.ReduceOp.AVG:
                flat = flat.astype(dtype)  # AVG works in place: float only
            ring_all_reduce(group, flat, op)
            out.append(flat)
        return out

    per_rank = run_threads(thread_groups(world), all_cases)
    for index, (size, dtype, op) in enumerate(cases):
        want = expected_reduce(world, size, dtype, op).astype(dtype)
        for rank in range(world):
            got = per_rank[rank][index]
            assert got.dtype == want.dtype and got.shape == want.shape, (size, dtype, op)
            assert np.array_equal(got, want), (
                f"world {world} rank {rank}, {size} x {dtype}, {op}: max error "
                f"{np.abs(got - want).max() if size else 0}")


def test_ring_gives_identical_bits_on_every_rank() -> None:
    """Floating-point sums in a different order differ; the ring still gives every rank the
    same bits, because each finished chunk is computed once and then copied."""
    def noisy(group: ProcessGroup) -> np.ndarray:
        flat = np.random.default_rng(group.rank()).normal(size=999).astype(np.float32)
        ring_all_reduce(group, flat, dist.ReduceOp.SUM)
        return flat

    results = run_threads(thread_groups(3), noisy)
    want = sum(np.random.default_rng(r).normal(size=999).astype(np.float32) for r in range(3))
    np.testing.assert_allclose(results[0], want, rtol=1e-5, atol=1e-5)
    assert all(np.array_equal(results[0], other) for other in results[1:])


def test_ring_of_two_moves_megabytes_both_ways_without_deadlock() -> None:
    """With 2 ranks both directions share one socket, and each half (2.4 MB) is far bigger
    than the kernel's buffers: a send that blocked before receiving would hang here."""
    def big(group: ProcessGroup) -> np.ndarray:
        flat = np.full(1_200_001, group.rank() + 1.0, np.float32)
        ring_all_reduce(group, flat, dist.ReduceOp.AVG)
        return flat

    for result in run_threads(thread_groups(2), big):
        assert result.min() == result.max() == 1.5


def test_channel_errors_name_the_problem() -> None:
    a, b = tcp_pair()
    rank0_to_1, rank1_to_0 = Channel(a, 1, 0.3), Channel(b, 0, 0.3)
    rank0_to_1.send(b"1234")
    with pytest.raises(DistBackendError, match="rank 0 sent 4 bytes where 8 were expected"):
        rank1_to_0.recv_into(memoryview(bytearray(8)))
    started = time.monotonic()
    with pytest.raises(DistBackendError, match="timed out after 0.3 s .* rank 0"):
        rank1_to_0.recv_bytes()  # nobody sends
    assert time.monotonic() - started < 5
    rank0_to_1.close()
    with pytest.raises(DistBackendError, match="connection closed by rank 0"):
        rank1_to_0.recv_bytes()
    rank1_to_0.close()


# ---------------------------------------------------------------------- in this process


NOT_INIT = "Default process group has not been initialized, please make sure to call"


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.get_backend(),
    lambda: dist.all_reduce(torch.ones(2)), lambda: dist.broadcast(torch.ones(2), 0),
    lambda: dist.all_gather([torch.ones(2)], torch.ones(2)), lambda: dist.barrier(),
    lambda: dist.reduce(torch.ones(2), 0), lambda: dist.destroy_process_group(),
    lambda: dist.all_gather_object([None], 1), lambda: DDP(nn.Linear(2, 2)),
], ids=["get_rank", "get_world_size", "get_backend", "all_reduce", "broadcast",
        "all_gather", "barrier", "reduce", "destroy", "all_gather_object", "DDP"])
def test_calls_before_init_raise_pytorchs_error(call) -> None:
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match=NOT_INIT):
        call()


def test_init_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert dist.is_available()
    with pytest.raises(RuntimeError, match="only 'gloo'"):
        dist.init_process_group("nccl", init_method="tcp://127.0.0.1:1", rank=0, world_size=1)
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(ValueError, match="environment variable MASTER_ADDR expected, but not"):
        dist.init_process_group("gloo", rank=0, world_size=1)
    with pytest.raises(ValueError, match="tcp:// rendezvous: rank parameter missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1")
    with pytest.raises(RuntimeError, match="No rendezvous handler for file://"):
        dist.init_process_group("gloo", init_method="file:///tmp/x", rank=0, world_size=1)
    with pytest.raises(ValueError, match="Invalid rank 2"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=2, world_size=2)
    assert not dist.is_initialized()


def test_rendezvous_times_out_instead_of_hanging() -> None:
    started = time.monotonic()
    with pytest.raises(DistBackendError, match="waiting for clients. 0/1 clients joined"):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0,
                                world_size=2, timeout=timedelta(seconds=0.5))
    with pytest.raises(DistBackendError, match="client socket has timed out"):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=1,
                                world_size=2, timeout=timedelta(seconds=0.5))
    assert time.monotonic() - started < 10
    assert not dist.is_initialized()


def test_world_of_one_and_argument_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_process_group("gloo", timeout=TIMEOUT)  # env:// with everything from the env
    assert dist.is_initialized() and dist.get_backend() == "gloo"
    assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
    with pytest.raises(ValueError, match="initialize the default process group twice"):
        dist.init_process_group("gloo")
    t = torch.tensor([1.0, 2.0])
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert t.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="Tensors must be contiguous"):
        dist.all_reduce(torch.ones(3, 4).t())
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        dist.all_reduce(torch.ones(3, dtype=torch.int64), op=dist.ReduceOp.AVG)
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type torch.Tensor"):
        dist.all_reduce([1.0])
    with pytest.raises(RuntimeError, match="invalid root rank: 3"):
        dist.broadcast(torch.ones(2), src=3)
    with pytest.raises(RuntimeError, match="expected length 1, got 2"):
        dist.all_gather([torch.ones(2), torch.ones(2)], torch.ones(2))
    with pytest.raises(RuntimeError, match="invalid tensor size"):
        dist.all_gather([torch.ones(3)], torch.ones(2))
    with pytest.raises(ValueError, match="device_ids and output_device arguments only work"):
        DDP(nn.Linear(2, 2), device_ids=[0])
    sampler = DistributedSampler(range(5), shuffle=False)  # rank and size from the group
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (1, 0, [0, 1, 2, 3, 4])
    model = DDP(nn.Sequential(nn.Linear(3, 2)))
    assert list(model.state_dict()) == ["module.0.weight", "module.0.bias"]
    assert model.module[0] is next(iter(model.module.children()))
    x = torch.randn(4, 3)
    model(x).sum().backward()
    weight = model.module[0].weight
    np.testing.assert_allclose(weight.grad.numpy(), x.sum(0).expand(2, 3).numpy(), rtol=1e-6)
    dist.destroy_process_group()
    assert not dist.is_initialized()


def test_post_accumulate_grad_hook_sees_the_summed_grad() -> None:
    """The autograd hook DDP is built on: called once per backward, after .grad is final."""
    w = torch.ones(3, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 2 + w * 3).sum().backward()  # two uses of w: one call, with the sum
    (w * 1).sum().backward()
    assert seen == [[5.0, 5.0, 5.0], [6.0, 6.0, 6.0]]
    handle.remove()
    w.sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(print)


# ---------------------------------------------------------------------- DistributedSampler


@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_torch(drop_last: bool) -> None:
    real = pytest.importorskip("torch", reason="PyTorch not installed")
    for n in (0, 1, 5, 10, 11):
        for replicas in (1, 2, 3, 4):
            for rank in range(replicas):
                ours = DistributedSampler(range(n), replicas, rank, shuffle=False,
                                          drop_last=drop_last)
                theirs = real.utils.data.distributed.DistributedSampler(
                    range(n), replicas, rank, shuffle=False, drop_last=drop_last)
                assert (list(ours), len(ours)) == (list(theirs), len(theirs)), (
                    n, replicas, rank, drop_last)
    assert torch.utils.data.distributed.DistributedSampler is DistributedSampler


def test_distributed_sampler_shuffle_partitions_and_reshuffles() -> None:
    samplers = [DistributedSampler(range(10), num_replicas=3, rank=r, seed=5) for r in range(3)]
    first = [list(s) for s in samplers]
    assert all(len(part) == 4 for part in first)  # ceil(10 / 3), padded by repetition
    assert set(sum(first, [])) == set(range(10))
    assert [list(s) for s in samplers] == first, "the same epoch must give the same order"
    for sampler in samplers:
        sampler.set_epoch(1)
    assert [list(s) for s in samplers] != first, "set_epoch must give a new order"


# ---------------------------------------------------------------------- real processes


def collectives_worker(rank: int, world: int, port: int) -> None:
    """Every public collective, on `world` real processes over tcp://."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=TIMEOUT)
    assert (dist.get_rank(), dist.get_world_size()) == (rank, world)
    for size in SIZES:
        for dtype in DTYPES:
            for op in OPS:
                if op is dist.ReduceOp.AVG and dtype == "int64":
                    continue
                t = torch.from_numpy(rank_data(rank, size, dtype).copy())
                dist.all_reduce(t, op=op)
                want = expected_reduce(world, size, dtype, op).astype(dtype)
                assert np.array_equal(t.numpy(), want), (size, dtype, op, t, want)
    big = torch.full((1_000_003,), float(rank + 1))  # ~4 MB: far beyond the socket buffers
    dist.all_reduce(big)
    assert float(big.min()) == float(big.max()) == world * (world + 1) / 2
    for src in range(world):
        value = torch.tensor(7 * src if rank == src else -1)
        dist.broadcast(value, src=src)
        assert value.item() == 7 * src
    out = [torch.zeros(2, 3, dtype=torch.int64) for _ in range(world)]
    dist.all_gather(out, torch.full((2, 3), rank, dtype=torch.int64))
    assert [int(o[1, 2]) for o in out] == list(range(world))
    t = torch.tensor([float(rank), -float(rank)])
    dist.reduce(t, dst=world - 1, op=dist.ReduceOp.MAX)
    assert t.tolist() == ([world - 1.0, 0.0] if rank == world - 1 else [rank, -rank])
    mine = torch.zeros(2)
    inputs = [torch.tensor([10.0 * rank + r, 1.0]) for r in range(world)]
    dist.reduce_scatter(mine, inputs, op=dist.ReduceOp.SUM)
    assert mine.tolist() == [10.0 * sum(range(world)) + world * rank, world], mine
    assert inputs[0].tolist() == [10.0 * rank, 1.0], "the inputs must stay as they were"
    gathered = [torch.zeros(1) for _ in range(world)] if rank == 0 else None
    dist.gather(torch.tensor([rank + 0.5]), gathered, dst=0)
    if rank == 0:
        assert [g.item() for g in gathered] == [r + 0.5 for r in range(world)]
    part = torch.zeros(2)
    parts = [torch.full((2,), 10.0 * r) for r in range(world)] if rank == 1 else None
    dist.scatter(part, parts, src=1)
    assert part.tolist() == [10.0 * rank] * 2
    dist.barrier()
    objects: list = [None] * world
    dist.all_gather_object(objects, {"rank": rank, "name": f"r{rank}"})
    assert objects == [{"rank": r, "name": f"r{r}"} for r in range(world)]
    box = [rank, "x"] if rank == 2 else [None, None]
    dist.broadcast_object_list(box, src=2)
    assert box == [2, "x"]
    if rank == 0:
        dist.send(torch.tensor([3.0, 4.0]), dst=1)
    elif rank == 1:
        got = torch.zeros(2)
        assert dist.recv(got) == 0 and got.tolist() == [3.0, 4.0]  # src=None: anyone
    dist.barrier()
    dist.destroy_process_group()


def test_collectives_across_three_processes() -> None:
    torch.multiprocessing.spawn(collectives_worker, args=(3, free_port()), nprocs=3)


class Branchy(nn.Module):
    """Two heads; `use_b` decides whether the second takes part (unused parameters)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(5, 3), nn.Linear(5, 3)

    def forward(self, x: torch.Tensor, use_b: bool) -> torch.Tensor:
        return self.a(x) + self.b(x) if use_b else self.a(x)


def make_mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))


def plain_copy(ddp: DDP) -> nn.Module:
    copy = make_mlp(0)
    copy.load_state_dict(ddp.module.state_dict())
    return copy


def grads_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[np.ndarray]:
    model.zero_grad()
    F.mse_loss(model(x), y).backward()
    return [p.grad.numpy().copy() for p in model.parameters()]


def same_everywhere(world: int, arrays: list[np.ndarray]) -> bool:
    everyone: list = [None] * world
    dist.all_gather_object(everyone, [a.tolist() for a in arrays])
    return all(other == everyone[0] for other in everyone)


def ddp_worker(rank: int, world: int) -> None:
    """DDP on each rank's shard == one process on the whole batch; no_sync; unused params."""
    dist.init_process_group("gloo", rank=rank, world_size=world, timeout=TIMEOUT)  # env://
    torch.manual_seed(0)
    x, y = torch.randn(8, 5), torch.randn(8, 3)  # the same on every rank
    shard = slice(rank * 8 // world, (rank + 1) * 8 // world)
    reference = make_mlp(100)  # rank 0's initial weights
    ddp = DDP(make_mlp(100 + rank))  # each rank starts different; DDP copies rank 0's
    for p, q in zip(ddp.parameters(), reference.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy()), "no broadcast"
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    ddp(x[shard])  # a forward without backward (a look at the loss) is allowed, as PyTorch
    for step in range(3):
        optimizer.zero_grad()
        F.mse_loss(ddp(x[shard]), y[shard]).backward()
        reference_optimizer.zero_grad()
        F.mse_loss(reference(x), y).backward()
        for p, q in zip(ddp.parameters(), reference.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"rank {rank} step {step}: grad")
        optimizer.step()
        reference_optimizer.step()
    for p, q in zip(ddp.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=f"rank {rank}: parameters")
    assert same_everywhere(world, [p.detach().numpy() for p in ddp.parameters()])

    # no_sync: two micro-batches accumulate locally, the second backward averages the sums
    plain = plain_copy(ddp)
    micro = [torch.randn(2, 5) for _ in range(2 * world)], [torch.randn(2, 3)
                                                            for _ in range(2 * world)]
    local = [grads_of(plain, micro[0][2 * rank], micro[1][2 * rank])]
    ddp.zero_grad()
    with ddp.no_sync():
        F.mse_loss(ddp(micro[0][2 * rank]), micro[1][2 * rank]).backward()
    for p, g in zip(ddp.parameters(), local[0]):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-5, atol=1e-7,
                                   err_msg="no_sync must keep the local gradient")
    F.mse_loss(ddp(micro[0][2 * rank + 1]), micro[1][2 * rank + 1]).backward()
    want = [np.zeros_like(g) for g in local[0]]
    for index in range(2 * world):
        for total, g in zip(want, grads_of(plain, micro[0][index], micro[1][index])):
            total += g / world
    for p, w in zip(ddp.parameters(), want):
        np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-5, atol=1e-6,
                                   err_msg="after no_sync: average of the accumulated sums")

    # unused parameters: rank 0 uses head b, the others do not
    torch.manual_seed(1)
    branchy = DDP(Branchy(), find_unused_parameters=True)
    xs = [torch.randn(3, 5) for _ in range(world)]
    branchy(xs[rank], use_b=rank == 0).sum().backward()
    b_grad = branchy.module.b.weight.grad
    assert b_grad is not None, "a parameter used on some rank gets the average everywhere"
    np.testing.assert_allclose(b_grad.numpy(), xs[0].sum(0).expand(3, 5).numpy() / world,
                               rtol=1e-5)
    branchy.zero_grad()
    branchy(xs[rank], use_b=False).sum().backward()
    assert branchy.module.b.weight.grad is None, "unused on every rank: grad stays None"
    strict = DDP(Branchy())  # without find_unused_parameters the reduction never finishes
    strict(xs[rank], use_b=False).sum().backward()
    try:
        strict(xs[rank], use_b=False)
        raise AssertionError("a forward before the reduction finished must raise")
    except RuntimeError as error:
        assert "Expected to have finished reduction in the prior iteration" in str(error)

    # buffers (BatchNorm's running statistics) follow rank 0's before each forward
    normed = DDP(nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4)))
    normed(torch.randn(6, 5) * (rank + 1)).sum().backward()
    normed.eval()
    normed(x)
    assert same_everywhere(world, [normed.module[1].running_var.numpy()])

    sampler = DistributedSampler(range(10), shuffle=False)  # rank and world from the group
    assert list(sampler) == list(range(rank, 10, world))
    assert list(ddp.state_dict())[0] == "module.0.weight"
    dist.destroy_process_group()


def test_ddp_on_two_processes_matches_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")  # what a user (or torchrun) sets
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    torch.multiprocessing.spawn(ddp_worker, args=(2,), nprocs=2)


def failing_worker(rank: int, port: int) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2, timeout=TIMEOUT)
    if rank == 1:
        raise ValueError("rank 1 cannot go on: bad shard 42")
    dist.barrier()  # rank 0 then fails too, with "connection closed by rank 1"


def exiting_worker(rank: int) -> None:
    os._exit(3)


def test_spawn_raises_the_childs_error_in_the_parent() -> None:
    context = torch.multiprocessing.spawn(failing_worker, args=(free_port(),), nprocs=2,
                                          join=False)
    for process in context.processes:  # let both fail: rank 1 first, then rank 0 from it
        process.join(60)
    assert [p.exitcode for p in context.processes] == [1, 1]
    with pytest.raises(ProcessRaisedException, match="bad shard 42") as caught:
        context.join()  # the cause (rank 1), not rank 0's "connection closed by rank 1"
    assert caught.value.error_index == 1
    assert "-- Process 1 terminated with the following error" in str(caught.value)
    assert "Traceback" in str(caught.value) and "failing_worker" in str(caught.value)
    with pytest.raises(ProcessExitedException, match="process 0 terminated with exit code 3"):
        torch.multiprocessing.spawn(exiting_worker, nprocs=1, start_method="fork")


def test_example_trains_with_two_processes() -> None:
    env = dict(os.environ, TINYGRAD_EDU_FAST="1")
    env.pop("MASTER_PORT", None)
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "train_ddp.py")],
                            capture_output=True, text=True, timeout=180, env=env, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rank 1 epoch  2" in result.stdout and "rank 0 epoch  2" in result.stdout
    assert "weights identical on all ranks: True" in result.stdout, result.stdout
    accuracy = float(result.stdout.split("test accuracy ")[1].split("%")[0])
    assert accuracy > 85, result.stdout
