"""DistributedDataParallel: one model, W processes, each on its own slice of every batch.

Data parallelism in one picture (W = 2):

    rank 0: model copy, batch[0::2]  -> forward -> backward -> g_0 --+-- all_reduce --> (g_0+g_1)/2
    rank 1: model copy, batch[1::2]  -> forward -> backward -> g_1 --+                  on both

Every rank starts from the same weights (rank 0's, broadcast when the wrapper is made), and
every rank applies the same averaged gradient, so the copies stay identical without ever
sending a weight again. With a mean loss and equal shares, the average of the W shard
gradients is exactly the gradient of the whole batch: W processes take the step one process
would take on the whole batch.

How the averaging hooks into autograd: each parameter gets a post-accumulate-grad hook
(`Tensor.register_post_accumulate_grad_hook`), called when backward has added into its
`.grad`. The parameters are grouped into buckets (in reverse order, roughly the order in which
backward reaches them); when every parameter of the next bucket is ready, the bucket is
flattened into one buffer, averaged with one ring `all_reduce`, and copied back. So when
`loss.backward()` returns, every `.grad` holds the average over ranks.

PyTorch does the same with ~25 MB buckets whose all-reduces run on a background thread while
backward goes on computing earlier layers (overlapping communication with computation);
here each all-reduce runs to the end inside the hook, so nothing overlaps. PyTorch can also
make `.grad` a view into its bucket (`gradient_as_bucket_view`); here it is a copy.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_edu import autograd, creation
from tinygrad_edu import distributed as dist
from tinygrad_edu.distributed.collectives import ReduceOp, broadcast_array, ring_all_reduce
from tinygrad_edu.distributed.process_group import default_group
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.tensor import Tensor

__all__ = ["DistributedDataParallel"]

DEFAULT_BUCKET_CAP_MB = 25.0  # PyTorch's default


def _flat(tensors: list[Tensor], dtype: np.dtype) -> np.ndarray:
    """The tensors' values end to end in one new 1-d array (zeros for a missing one)."""
    pieces = [np.zeros(0, dtype)]
    for tensor in tensors:
        pieces.append(np.ascontiguousarray(tensor.detach().numpy()).reshape(-1))
    return np.concatenate(pieces)


def _unflatten_into(flat: np.ndarray, tensors: list[Tensor]) -> None:
    """Copy consecutive pieces of flat back into the tensors (in place)."""
    start = 0
    with autograd.no_grad():
        for tensor in tensors:
            count = tensor.numel()
            piece = flat[start: start + count].reshape(tuple(tensor.shape))
            tensor.copy_(creation.from_numpy(piece))
            start += count


def _leaves(output: Any) -> Iterator[Tensor]:
    """The parameters that a backward from `output` would reach (walk of the graph)."""
    stack = []
    for tensor in _tensors_in(output):
        if tensor.grad_fn is not None:
            stack.append(tensor.grad_fn)
        elif tensor.requires_grad:
            yield tensor
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if variable is not None:  # an AccumulateGrad: a leaf
            yield variable
        stack.extend(child for child, _ in node.next_functions if child is not None)


def _tensors_in(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)


class DistributedDataParallel(Module):
    """Wrap `module` so that backward averages its gradients over all ranks (see above).

    Call `init_process_group` first. `ddp(x)` runs `module(x)`; `ddp.module` is the model
    itself; `ddp.state_dict()` has the keys "module.<name>", as in PyTorch (save
    `ddp.module.state_dict()` for a checkpoint that loads without the wrapper).

    device_ids / output_device: CPU only here, so they must be None (PyTorch: one GPU per
    process). broadcast_buffers: send rank 0's buffers (BatchNorm's running statistics) to all
    before each forward. find_unused_parameters: walk the graph in each forward, so that
    parameters the loss does not reach do not keep the reduction waiting. bucket_cap_mb: the
    size of one all-reduce. gradient_as_bucket_view and static_graph are accepted and change
    nothing here.
    """

    def __init__(self, module: Module, device_ids: list | None = None,
                 output_device: Any = None, dim: int = 0, broadcast_buffers: bool = True,
                 process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 init_sync: bool = True) -> None:
        super().__init__()
        self.process_group = default_group(process_group)
        parameters = list(dict.fromkeys(p for p in module.parameters() if p.requires_grad))
        devices = {str(p.device) for p in module.parameters()}
        if device_ids is not None or output_device is not None:
            raise ValueError("DistributedDataParallel device_ids and output_device arguments "
                             "only work with single-device/multiple-device GPU modules or CPU "
                             f"modules, but got device_ids {device_ids}, output_device "
                             f"{output_device}, and module parameters {devices}.")
        if devices - {"cpu"}:
            raise ValueError(f"tinygrad_edu's DistributedDataParallel (gloo) trains CPU modules "
                             f"only; the module has parameters on {sorted(devices)}")
        if not parameters:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.module = module
        self.device_ids = None
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True  # False inside no_sync()
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((bucket_cap_mb or DEFAULT_BUCKET_CAP_MB) * 1024 * 1024)
        self._params = parameters
        self._index = {id(p): i for i, p in enumerate(parameters)}
        self._buckets = self._make_buckets(parameters, self.bucket_bytes_cap)
        self._bucket_of = {i: n for n, bucket in enumerate(self._buckets) for i in bucket}
        self._expecting = False  # a forward ran with sync on; its reduction is not done yet
        self._hook_fired = False  # ... and its backward has begun delivering gradients
        self._verify_same_model()
        if init_sync:
            self._broadcast_from_rank0(list(module.parameters()) + list(module.buffers()))
        reference = weakref.ref(self)  # the hooks must not keep the wrapper alive

        def on_grad_ready(param: Tensor) -> None:
            wrapper = reference()
            if wrapper is not None and wrapper._expecting:
                wrapper._hook_fired = True
                wrapper._mark_ready(param)

        for param in parameters:
            param.register_post_accumulate_grad_hook(on_grad_ready)

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _make_buckets(parameters: list[Tensor], cap: int) -> list[list[int]]:
        """Parameter indices in reverse order, cut into runs of one dtype and <= cap bytes."""
        buckets: list[list[int]] = []
        size = 0
        for index in reversed(range(len(parameters))):
            param = parameters[index]
            nbytes = param.numel() * param.element_size()
            same_dtype = buckets and parameters[buckets[-1][0]].dtype == param.dtype
            if same_dtype and size + nbytes <= cap:
                buckets[-1].append(index)
                size += nbytes
            else:
                buckets.append([index])
                size = nbytes
        return buckets

    def _verify_same_model(self) -> None:
        """Every rank must wrap the same architecture, or the all-reduces would not line up."""
        mine = [(tuple(p.shape), str(p.dtype)) for p in self._params]
        everyone: list = [None] * self.process_group.size()
        dist.all_gather_object(everyone, mine)
        for rank, theirs in enumerate(everyone):
            if theirs != mine:
                raise RuntimeError(f"DDP expects same model across all ranks, but rank {rank} "
                                   f"has parameters {theirs} where rank "
                                   f"{self.process_group.rank()} has {mine}")

    def _broadcast_from_rank0(self, tensors: list[Tensor]) -> None:
        by_dtype: dict = {}
        for tensor in dict.fromkeys(tensors):
            by_dtype.setdefault(tensor.dtype, []).append(tensor)
        for group in by_dtype.values():
            flat = _flat(group, group[0].detach().numpy().dtype)
            broadcast_array(self.process_group, flat, 0)
            if self.process_group.rank() != 0:
                _unflatten_into(flat, group)

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._expecting and self._hook_fired:  # a forward with no backward is fine
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss. (or backward was not called "
                "after the previous forward)")
        if self.broadcast_buffers and self.require_forward_param_sync:
            buffers = list(self.module.buffers())
            if buffers and self.process_group.size() > 1:
                self._broadcast_from_rank0(buffers)
        output = self.module(*inputs, **kwargs)
        if autograd.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(output)
        return output

    def _prepare_for_backward(self, output: Any) -> None:
        self._ready = [False] * len(self._params)
        self._waiting = [len(bucket) for bucket in self._buckets]
        self._next_bucket = 0
        self._expecting = True
        self._hook_fired = False
        if self.find_unused_parameters:
            used = {id(leaf) for leaf in _leaves(output)}
            for param in self._params:
                if id(param) not in used:
                    self._mark_ready(param)  # no gradient will come: do not wait for it

    # ------------------------------------------------------------------ backward
    def _mark_ready(self, param: Tensor) -> None:
        """A parameter's gradient is final for this backward; reduce every bucket now full."""
        if not self._expecting:
            return  # backward of a forward run in no_sync (or without this wrapper)
        index = self._index[id(param)]
        if self._ready[index]:
            return
        self._ready[index] = True
        self._waiting[self._bucket_of[index]] -= 1
        # buckets are reduced in their fixed order on every rank, so the all-reduces match
        while self._next_bucket < len(self._buckets) and not self._waiting[self._next_bucket]:
            self._reduce_bucket([self._params[i] for i in self._buckets[self._next_bucket]])
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._expecting = False

    def _reduce_bucket(self, params: list[Tensor]) -> None:
        """Average the bucket's gradients over all ranks: flatten, one all_reduce, copy back."""
        dtype = params[0].detach().numpy().dtype
        grads = [p.grad if p.grad is not None else creation.zeros_like(p.detach())
                 for p in params]
        flat = _flat(grads, dtype)
        ring_all_reduce(self.process_group, flat, ReduceOp.AVG)
        keep = [True] * len(params)
        if self.find_unused_parameters:
            # a parameter no rank used keeps grad None, as in PyTorch; one some rank used
            # gets the average (with zeros from the ranks that did not use it)
            has_grad = np.array([p.grad is not None for p in params], np.int64)
            ring_all_reduce(self.process_group, has_grad, ReduceOp.MAX)
            keep = [bool(flag) for flag in has_grad]
        start = 0
        for param, grad, wanted in zip(params, grads, keep):
            count = param.numel()
            if wanted:
                _unflatten_into(flat[start: start + count], [grad])
                if param.grad is None:
                    param.grad = grad
            start += count

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward only accumulates local gradients; the first backward of a forward
        run after the block averages the accumulated sums (gradient accumulation with one
        all-reduce per several micro-batches)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
