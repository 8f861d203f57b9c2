"""Collectives on tensors: every rank calls the same function, in the same order.

    all_reduce(t, op)        every rank ends with op(t_0, t_1, ..., t_{W-1}), in place
    broadcast(t, src)        every rank ends with rank src's t
    all_gather(list, t)      every rank ends with [t_0, t_1, ..., t_{W-1}]
    reduce(t, dst, op)       rank dst ends with op(t_0, ..., t_{W-1}); the others keep theirs
    reduce_scatter(t, list)  rank r ends with op over all ranks of their list[r]
    gather / scatter         W tensors to one rank / from one rank
    barrier()                nobody leaves until everybody has arrived
    send / recv              point to point

The all-reduce is a ring (see `all_reduce`); the others go through one rank ("star"), which is
simple and fine for the small tensors they usually move. A tensor must be a contiguous CPU
tensor: its memory is sent as it lies, and results are written back into it (in place, with no
autograd, as in PyTorch). With `async_op=True` a call still finishes before it returns, and the
`Work` it returns is already complete. PyTorch: gloo runs async calls on its own threads.
"""

from __future__ import annotations

import enum
import select
from collections.abc import Sequence

import numpy as np

from tinygrad_edu.distributed.process_group import ProcessGroup, default_group
from tinygrad_edu.tensor import Tensor

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "gather",
    "recv",
    "reduce",
    "reduce_scatter",
    "scatter",
    "send",
]


class ReduceOp(enum.Enum):
    """How all_reduce / reduce combine the ranks' tensors, element by element."""

    SUM = "sum"
    AVG = "avg"  # SUM, then divide by the world size (floating-point tensors only)
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"  # bitwise and/or/xor: integer and bool tensors
    BOR = "bor"
    BXOR = "bxor"


# out = combine(a, b, out=out): the elementwise step of each reduction
_COMBINE = {
    ReduceOp.SUM: np.add, ReduceOp.AVG: np.add, ReduceOp.PRODUCT: np.multiply,
    ReduceOp.MIN: np.minimum, ReduceOp.MAX: np.maximum, ReduceOp.BAND: np.bitwise_and,
    ReduceOp.BOR: np.bitwise_or, ReduceOp.BXOR: np.bitwise_xor,
}
_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool"}


class Work:
    """What an `async_op=True` call returns; the work is already done here."""

    def wait(self, timeout: object = None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True


def _done(async_op: bool) -> Work | None:
    return Work() if async_op else None


def as_array(tensor: object, name: str = "tensor") -> np.ndarray:
    """A NumPy view of a contiguous CPU tensor's memory (so results land in the tensor)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(tensor)} instead.")
    if tensor.device.type != "cpu":
        raise RuntimeError(f"tinygrad_edu.distributed (gloo) moves CPU tensors only, got a "
                           f"tensor on {tensor.device}: call .cpu() first")
    if not tensor.is_contiguous():
        raise RuntimeError("Tensors must be contiguous")
    return tensor.detach().numpy()


def _written(tensor: Tensor) -> None:
    # an in-place write: bump the version counter, so autograd notices if the tensor was saved
    tensor._storage.version += 1


def _bytes(array: np.ndarray) -> memoryview:
    return memoryview(array.reshape(-1)).cast("B")


def _check_rank(group: ProcessGroup, rank: int, what: str, op: str) -> None:
    if not 0 <= rank < group.size():
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid {what} rank: {rank}")


def _finish_average(array: np.ndarray, op: ReduceOp, world_size: int) -> None:
    if op is ReduceOp.AVG:
        np.divide(array, world_size, out=array)


def _check_op(op: object, array: np.ndarray, dtype: object) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, ...), got {op!r}")
    if op is ReduceOp.AVG and array.dtype.kind in "biu":
        name = _TYPE_NAMES.get(array.dtype.name, array.dtype.name)
        raise RuntimeError(f"result type Float can't be cast to the desired output type {name}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and array.dtype.kind not in "biu":
        raise RuntimeError(f"{op.name} needs an integer or bool tensor, got {dtype}")
    return op


def _ring_pass(group: ProcessGroup, chunks: Sequence[np.ndarray], start: int,
               combine: object = None) -> None:
    """W - 1 steps around the ring. At step s each rank r sends chunk (start - s) to rank r+1
    and receives chunk (start - s - 1) from rank r-1; with `combine` it reduces what arrives
    into its own copy of that chunk, without it it overwrites its copy."""
    rank, world = group.rank(), group.size()
    right, left = (rank + 1) % world, (rank - 1) % world
    scratch = np.empty(max(chunk.size for chunk in chunks), chunks[0].dtype)
    for step in range(world - 1):
        outgoing = chunks[(start - step) % world]
        target = chunks[(start - step - 1) % world]
        incoming = target if combine is None else scratch[: target.size]
        group.mesh.exchange(right, _bytes(outgoing), left, _bytes(incoming))
        if combine is not None:
            combine(target, incoming, out=target)


def ring_all_reduce(group: ProcessGroup, flat: np.ndarray, op: ReduceOp) -> None:
    """All-reduce a 1-d array in place, over a ring of the W ranks (see `all_reduce`)."""
    world, rank = group.size(), group.rank()
    if world > 1:
        edges = [flat.size * i // world for i in range(world + 1)]  # W chunks, sizes +-1
        chunks = [flat[edges[i]: edges[i + 1]] for i in range(world)]
        _ring_pass(group, chunks, rank, _COMBINE[op])  # reduce-scatter
        _ring_pass(group, chunks, rank + 1)  # all-gather of the finished chunks
    _finish_average(flat, op, world)


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Replace `tensor` on every rank by op over all ranks' tensors (in place).

    The ring algorithm (Baidu, 2017; what gloo and NCCL use for large tensors). Cut the
    tensor into W chunks c_0..c_{W-1} and put the ranks on a ring, r sending to r+1.

    1. reduce-scatter, W-1 steps: at step s, rank r sends its chunk c_{r-s} to r+1 and
       combines the chunk c_{r-s-1} arriving from r-1 into its own. Each chunk travels
       once around the ring gathering one more rank's values per step, so after W-1 steps
       rank r holds chunk c_{r+1} reduced over all ranks.
    2. all-gather, W-1 steps: the same moves, but each rank now overwrites its copy with
       the finished chunk it receives; after W-1 steps every rank has every finished chunk.

    With 2 ranks, the ring is one exchange of halves each way, twice:

        rank 0: [a0 | a1]   sends a0, gets b1 -> [a0 | a1+b1]  sends a1+b1, gets a0+b0
        rank 1: [b0 | b1]   sends b1, gets a0 -> [a0+b0 | b1]  sends a0+b0, gets a1+b1

    Each rank sends 2 (W-1)/W of the tensor in all, however many ranks there are: the
    bandwidth-optimal amount. The star (everyone sends to rank 0, which adds and sends
    back) makes rank 0 move 2 (W-1) whole tensors, a bottleneck that grows with W.
    Every rank ends with the same bits: each finished chunk is computed once, then copied.
    """
    world = default_group(group)
    array = as_array(tensor)
    op = _check_op(op, array, tensor.dtype)
    ring_all_reduce(world, array.reshape(-1), op)
    _written(tensor)
    return _done(async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """output on rank r = op over all ranks of their input_list[r]: the first half of the
    ring all-reduce alone, with input_list as the chunks (started one place earlier, so that
    rank r finishes with chunk r rather than r + 1)."""
    world = default_group(group)
    array = as_array(output, "output")
    op = _check_op(op, array, output.dtype)
    inputs = _check_list(input_list, world, array, "reduce_scatter", "input_list")
    chunks = [np.array(source, copy=True).reshape(-1) for source in inputs]  # inputs stay
    _ring_pass(world, chunks, world.rank() - 1, _COMBINE[op])
    array.reshape(-1)[...] = chunks[world.rank()]
    _finish_average(array, op, world.size())
    _written(output)
    return _done(async_op)


def broadcast(tensor: Tensor, src: int, group: ProcessGroup | None = None,
              async_op: bool = False) -> Work | None:
    """Copy rank src's tensor into `tensor` on every other rank (src sends to each)."""
    world = default_group(group)
    array = as_array(tensor)
    _check_rank(world, src, "root", "broadcast")
    broadcast_array(world, array, src)
    if world.rank() != src:
        _written(tensor)
    return _done(async_op)


def broadcast_array(group: ProcessGroup, array: np.ndarray, src: int) -> None:
    """Rank src sends its array to every other rank, which receives it in place."""
    if group.rank() == src:
        for peer in range(group.size()):
            if peer != src:
                group.mesh.send(peer, _bytes(array))
    else:
        group.mesh.recv_into(src, _bytes(array))


def _check_list(tensors: object, world: ProcessGroup, like: np.ndarray, op: str,
                name: str) -> list[np.ndarray]:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"Invalid function argument: {name} should be a list of tensors")
    if len(tensors) != world.size():
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid output tensor list at index 0 "
                           f"(expected length {world.size()}, got {len(tensors)})")
    arrays = [as_array(t, name) for t in tensors]
    for index, array in enumerate(arrays):
        if array.shape != like.shape or array.dtype != like.dtype:
            raise RuntimeError(f"ProcessGroupGloo::{op}: invalid tensor size at index {index} "
                               f"(expected {like.shape}, {like.dtype}; got {array.shape}, "
                               f"{array.dtype})")
    return arrays


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """tensor_list[i] = rank i's tensor, on every rank: the second half of the ring
    all-reduce alone, with each rank's whole tensor as its chunk."""
    world = default_group(group)
    array = as_array(tensor)
    outputs = _check_list(tensor_list, world, array, "allgather", "tensor_list")
    outputs[world.rank()][...] = array
    _ring_pass(world, [out.reshape(-1) for out in outputs], world.rank())
    for out in tensor_list:
        _written(out)
    return _done(async_op)


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Rank dst's tensor becomes op over all ranks' tensors; the others' are left as they
    are (PyTorch: their contents afterwards are unspecified)."""
    world = default_group(group)
    array = as_array(tensor)
    op = _check_op(op, array, tensor.dtype)
    _check_rank(world, dst, "root", "reduce")
    if world.rank() != dst:
        world.mesh.send(dst, _bytes(array))
        return _done(async_op)
    incoming = np.empty_like(array)
    for peer in range(world.size()):  # in rank order, so the result does not vary by run
        if peer != dst:
            world.mesh.recv_into(peer, _bytes(incoming))
            _COMBINE[op](array, incoming, out=array)
    _finish_average(array, op, world.size())
    _written(tensor)
    return _done(async_op)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int = 0,
           group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """gather_list[i] = rank i's tensor, on rank dst only (the others pass no list)."""
    world = default_group(group)
    array = as_array(tensor)
    _check_rank(world, dst, "root", "gather")
    if world.rank() != dst:
        if gather_list:
            raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                             "ranks.")
        world.mesh.send(dst, _bytes(array))
        return _done(async_op)
    outputs = _check_list(gather_list, world, array, "gather", "gather_list")
    for peer, out in enumerate(outputs):
        if peer == dst:
            out[...] = array
        else:
            world.mesh.recv_into(peer, _bytes(out))
        _written(gather_list[peer])
    return _done(async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int = 0,
            group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Rank i's tensor = scatter_list[i] of rank src (the others pass no list)."""
    world = default_group(group)
    array = as_array(tensor)
    _check_rank(world, src, "root", "scatter")
    if world.rank() != src:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source "
                             "ranks.")
        world.mesh.recv_into(src, _bytes(array))
    else:
        inputs = _check_list(scatter_list, world, array, "scatter", "scatter_list")
        for peer, source in enumerate(inputs):
            if peer == src:
                array[...] = source
            else:
                world.mesh.send(peer, _bytes(source))
    _written(tensor)
    return _done(async_op)


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: object = None) -> Work | None:
    """Block until every rank has called barrier: all tell rank 0, then rank 0 tells all."""
    world = default_group(group)
    if world.rank() == 0:
        for peer in range(1, world.size()):
            world.mesh.recv_bytes(peer)
        for peer in range(1, world.size()):
            world.mesh.send(peer, b"")
    else:
        world.mesh.send(0, b"")
        world.mesh.recv_bytes(0)
    return _done(async_op)


def send(tensor: Tensor, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> None:
    """Send `tensor` to rank dst, which must call recv with a tensor of the same size."""
    world = default_group(group)
    _check_rank(world, dst, "destination", "send")
    if dst == world.rank():
        raise ValueError("Invalid destination rank: should not be the same as the rank of the "
                         "current process.")
    world.mesh.send(dst, _bytes(as_array(tensor)))


def recv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0) -> int:
    """Receive into `tensor` from rank src (from whichever rank sends first when src is
    None); returns the sender's rank."""
    world = default_group(group)
    array = as_array(tensor)
    if world.size() == 1:
        raise ValueError("recv needs another rank to send, but the world has one process")
    if src is None:  # wait until one of the sockets has something to read
        channels = world.mesh.channels
        readable, _, _ = select.select([c.sock for c in channels.values()], [], [],
                                       world.timeout.total_seconds())
        if not readable:
            raise RuntimeError(f"recv timed out after {world.timeout.total_seconds():g} s")
        src = next(rank for rank, c in channels.items() if c.sock is readable[0])
    _check_rank(world, src, "source", "recv")
    world.mesh.recv_into(src, _bytes(array))
    _written(tensor)
    return src

