"""Collectives on Python objects (a dict of metrics, a list of shapes, a config).

Objects are pickled, sent whole through rank 0 (a "star": the simplest pattern, right for
small objects), and unpickled. Unpickling can run code, so, as PyTorch warns for its own
versions, use these only between processes you trust: the ranks of your own job.
"""

from __future__ import annotations

import pickle
from typing import Any

from tinygrad_edu.distributed.process_group import ProcessGroup, default_group

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object"]


def _send(world: ProcessGroup, dst: int, obj: Any) -> None:
    world.mesh.send(dst, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _recv(world: ProcessGroup, src: int) -> Any:
    return pickle.loads(world.mesh.recv_bytes(src))  # noqa: S301  (trusted peers, see above)


def _check_length(object_list: list, world: ProcessGroup, name: str) -> None:
    if not isinstance(object_list, list) or len(object_list) != world.size():
        got = len(object_list) if isinstance(object_list, list) else type(object_list).__name__
        raise ValueError(f"{name} must be a list of world_size ({world.size()}) elements, "
                         f"got {got}")


def broadcast_object_list(object_list: list, src: int = 0,
                          group: ProcessGroup | None = None, device: object = None) -> None:
    """Replace object_list's elements, on every rank, by those of rank src's list (in place;
    every rank passes a list of the same length)."""
    world = default_group(group)
    if world.rank() == src:
        for peer in range(world.size()):
            if peer != src:
                _send(world, peer, list(object_list))
        return
    received = _recv(world, src)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sent {len(received)} objects, "
                         f"this rank's list has {len(object_list)}")
    object_list[:] = received


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    """object_list[i] = rank i's obj, on every rank: all send to rank 0, rank 0 sends all."""
    world = default_group(group)
    _check_length(object_list, world, "object_list")
    if world.rank() != 0:
        _send(world, 0, obj)
        object_list[:] = _recv(world, 0)
        return
    gathered = [obj] + [_recv(world, peer) for peer in range(1, world.size())]
    for peer in range(1, world.size()):
        _send(world, peer, gathered)
    object_list[:] = gathered


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int = 0,
                  group: ProcessGroup | None = None) -> None:
    """object_gather_list[i] = rank i's obj, on rank dst only (the others pass None)."""
    world = default_group(group)
    if world.rank() != dst:
        _send(world, dst, obj)
        return
    _check_length(object_gather_list, world, "object_gather_list")
    object_gather_list[:] = [obj if peer == dst else _recv(world, peer)
                             for peer in range(world.size())]
