"""tinygrad_edu.distributed: processes that train one model together (torch.distributed).

The CPU ("gloo") path of PyTorch, over TCP sockets of the standard library:

    import tinygrad_edu.distributed as dist
    dist.init_process_group("gloo")          # env://: MASTER_ADDR/PORT, RANK, WORLD_SIZE
    t = torch.tensor([float(dist.get_rank())])
    dist.all_reduce(t)                        # now 0 + 1 + ... + (W-1) on every rank
    dist.destroy_process_group()

    process_group.py   init_process_group, get_rank, get_world_size, ... (the one global)
    transport.py       the rendezvous and the sockets between every pair of ranks
    collectives.py     all_reduce (a ring), broadcast, all_gather, reduce, gather, scatter, ...
    objects.py         the same for picklable Python objects

`tinygrad_edu.multiprocessing.spawn` starts the processes; `nn.parallel.DistributedDataParallel`
averages gradients with `all_reduce`; `utils.data.DistributedSampler` gives each rank its share.
"""

from tinygrad_edu.distributed.collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    gather,
    recv,
    reduce,
    reduce_scatter,
    scatter,
    send,
)
from tinygrad_edu.distributed.objects import (
    all_gather_object,
    broadcast_object_list,
    gather_object,
)
from tinygrad_edu.distributed.process_group import (
    Backend,
    GroupMember,
    ProcessGroup,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
)
from tinygrad_edu.distributed.transport import DistBackendError

__all__ = [
    "Backend", "DistBackendError", "GroupMember", "ProcessGroup", "ReduceOp", "Work",
    "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast",
    "broadcast_object_list", "default_pg_timeout", "destroy_process_group", "gather",
    "gather_object", "get_backend", "get_rank", "get_world_size", "group", "init_process_group",
    "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
    "is_nccl_available", "recv", "reduce", "reduce_scatter", "scatter", "send",
]
