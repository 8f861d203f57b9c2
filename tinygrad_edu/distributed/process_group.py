"""The default process group: who am I (rank), how many are we (world size), and the sockets.

    init_process_group("gloo", init_method="env://")   # MASTER_ADDR/PORT, RANK, WORLD_SIZE
    init_process_group("gloo", init_method="tcp://10.0.0.1:29500", rank=r, world_size=w)

Every process of a job calls it once, with its own rank; it returns when all `world_size`
processes have met (or raises after `timeout`). As in PyTorch this is the one piece of global
state of the package: the collectives use the default group unless told otherwise.
"""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlparse

from tinygrad_edu.distributed.transport import Mesh, rendezvous

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "default_pg_timeout",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_gloo_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
]

default_pg_timeout = timedelta(minutes=30)  # PyTorch's default for gloo
NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                   "init_process_group.")


class Backend:
    """Backend names, as `torch.distributed.Backend.GLOO`. Only gloo exists here."""

    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"
    UNDEFINED = "undefined"


class ProcessGroup:
    """The processes of a job and the sockets between them (`mesh`)."""

    def __init__(self, rank: int, world_size: int, mesh: Mesh, timeout: timedelta) -> None:
        self._rank = rank
        self._world_size = world_size
        self.mesh = mesh
        self.timeout = timeout

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._world_size

    def __repr__(self) -> str:
        return f"ProcessGroup(backend=gloo, rank={self._rank}, size={self._world_size})"


class GroupMember:
    """`GroupMember.WORLD` (also `group.WORLD`): the default group, once initialised."""

    WORLD: ProcessGroup | None = None


group = GroupMember  # torch.distributed.group.WORLD


def is_available() -> bool:
    """True: the package works on every platform with TCP sockets."""
    return True


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return False


def is_mpi_available() -> bool:
    return False


def is_initialized() -> bool:
    """Whether this process has called init_process_group (and not destroyed it since)."""
    return GroupMember.WORLD is not None


def default_group(given: ProcessGroup | None = None) -> ProcessGroup:
    """The group a collective runs on: the default one (the only one here)."""
    world = GroupMember.WORLD
    if world is None:
        raise ValueError(NOT_INITIALIZED)
    if given is not None and given is not world:
        raise ValueError("only the default process group (group=None) is supported by "
                         "tinygrad_edu.distributed; new_group() does not exist here")
    return world


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's number, 0 .. world_size - 1."""
    return default_group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """How many processes the job has."""
    return default_group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    default_group(group)
    return Backend.GLOO


def _check_backend(backend: str | None) -> None:
    name = Backend.GLOO if backend is None else str(backend).lower()
    if name in (Backend.GLOO, "cpu:gloo"):
        return
    raise RuntimeError(f"backend {backend!r} is not supported by tinygrad_edu.distributed: "
                       "only 'gloo' (CPU tensors over TCP sockets) is; PyTorch also has "
                       "'nccl' for CUDA tensors and 'mpi'")


def _env(name: str, scheme: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise ValueError(f"Error initializing torch.distributed using {scheme}:// rendezvous: "
                         f"environment variable {name} expected, but not set")
    return value


def _where_to_meet(init_method: str, rank: int, world_size: int) -> tuple[str, int, int, int]:
    """(host, port, rank, world_size) from the init_method URL and the environment.

    env://: MASTER_ADDR, MASTER_PORT, and RANK / WORLD_SIZE unless the arguments give them
    (what `torchrun` sets). tcp://host:port: rank and world_size must be arguments.
    """
    url = urlparse(init_method)
    if url.scheme == "env":
        host = _env("MASTER_ADDR", "env")
        port = int(_env("MASTER_PORT", "env"))
        if rank < 0:
            rank = int(_env("RANK", "env"))
        if world_size < 0:
            world_size = int(_env("WORLD_SIZE", "env"))
    elif url.scheme == "tcp":
        if url.hostname is None or url.port is None:
            raise ValueError(f"tcp:// rendezvous needs tcp://host:port, got {init_method!r}")
        host, port = url.hostname, url.port
        for name, value in (("rank", rank), ("world size", world_size)):
            if value < 0:
                raise ValueError("Error initializing torch.distributed using tcp:// "
                                 f"rendezvous: {name} parameter missing")
    else:
        raise RuntimeError(f"No rendezvous handler for {url.scheme}:// (tinygrad_edu has "
                           "env:// and tcp://)")
    if world_size < 1:
        raise ValueError(f"world_size must be positive, got {world_size}")
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                         f"[0, {world_size - 1}]")
    return host, port, rank, world_size


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store: object = None, group_name: str = "",
                       pg_options: object = None, device_id: object = None) -> None:
    """Join this process to the job's default group; returns once all have joined.

    backend: "gloo" (or None, which means gloo here). init_method: "env://" (the default) or
    "tcp://host:port". timeout: how long a rendezvous or any later collective may wait for
    the other processes before raising (default 30 minutes, as PyTorch's).
    PyTorch: `store=` (a TCPStore / FileStore), "file://" and `pg_options` also exist.
    """
    _check_backend(backend)
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise ValueError("store= is not supported by tinygrad_edu.distributed; use "
                         "init_method='env://' or 'tcp://host:port'")
    timeout = default_pg_timeout if timeout is None else timeout
    if not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout).__name__}")
    host, port, rank, world_size = _where_to_meet(init_method or "env://", rank, world_size)
    seconds = timeout.total_seconds()
    mesh = rendezvous(host, port, rank, world_size, seconds)
    GroupMember.WORLD = ProcessGroup(rank, world_size, mesh, timeout)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Close the sockets and forget the default group (init_process_group may run again).

    PyTorch raises an AssertionError ("Process group cannot be None") when there is none;
    here it is the ValueError of every other call made before init_process_group.
    """
    world = default_group(group)
    world.mesh.close()
    GroupMember.WORLD = None
