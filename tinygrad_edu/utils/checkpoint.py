"""Gradient checkpointing (PyTorch: torch.utils.checkpoint): trade compute for memory.

Backward needs the tensors each node saved in forward (activations, masks). For a deep
network those dominate memory. `checkpoint(block, x)` keeps, for the block, only what it
needs to run the block again, and recomputes the block's forward when backward gets there:
memory per block falls from "all its activations" to "its inputs", at the price of one more
forward. With `preserve_rng_state=True` the recompute draws the same random numbers, so a
dropout inside makes the same mask and the gradients are exactly the plain run's.

Two designs, as in PyTorch, chosen by `use_reentrant`:

- `use_reentrant=True` (PyTorch's default, with a warning when not passed): one custom
  `Function`, `CheckpointFunction`. Its forward runs the block under `no_grad` (no graph at
  all inside); its backward runs the block again with grad on, from detached copies of the
  inputs, and calls `autograd.backward` on that fresh graph: a backward inside a backward
  ("re-entrant"). The parameters used inside get their `.grad` from that inner backward,
  which is why they need not be inputs of the Function. The catch, as in PyTorch: when no
  input requires grad, the output does not either, and nothing inside gets a gradient.
- `use_reentrant=False` (PyTorch recommends it): the block runs with grad on, so the graph
  is the ordinary one (its nodes are `AddmmBackward0`, ... and reach every parameter), but
  the tensors its nodes saved are dropped at once. A hook on the block's outputs runs when
  backward reaches them: it recomputes the block and puts the recomputed saved tensors into
  the old nodes, which then run as if nothing had happened. PyTorch builds the same idea on
  saved-tensor hooks; here the nodes made inside are listed by Function.apply's one
  interception point (`autograd._recorder`, which tracing uses too) and paired in order.
  This works with `autograd.grad`, keyword arguments and inputs that do not require grad.

Differences from PyTorch:
- use_reentrant=True under `autograd.grad` (or backward(inputs=...)): PyTorch refuses; here
  the inner backward cannot tell, so the input gradients are right but the parameters used
  inside get their `.grad` written (and autograd.grad reports them as unused).
- use_reentrant=False drops what nodes keep through `save_for_backward` (all primitives
  here); a tensor a node keeps as a plain attribute stays. Inputs and parameters are never
  dropped (they live anyway), so an in-place change to one is still caught in backward.
  A recompute that makes a different sequence of nodes raises (PyTorch compares the saved
  tensors' metadata instead).
- `context_fn`, `determinism_check`, `debug` and `early_stop` are not parameters here: with
  use_reentrant=False they would reach `function` as keyword arguments.
- As in PyTorch, a BatchNorm inside updates its running statistics again in the recompute.
"""

import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_edu import autograd, creation
from tinygrad_edu.autograd import Function, enable_grad, no_grad, once_differentiable
from tinygrad_edu.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction"]

_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")
_SEQUENTIAL_WARNING = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
    "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


def _detached(args: Sequence) -> list:
    """Fresh leaves over the same memory: the recomputed graph starts (and stops) there."""
    return [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
            for a in args]


def _run_with_rng(function: Callable, args: Sequence, kwargs: dict, rng_state: Any) -> Any:
    """function(*args, **kwargs) with the generator at `rng_state`; the outer stream of random
    numbers is put back afterwards (PyTorch: torch.random.fork_rng)."""
    if rng_state is None:
        return function(*args, **kwargs)
    outer = creation.get_rng_state()
    creation.set_rng_state(rng_state)
    try:
        return function(*args, **kwargs)
    finally:
        creation.set_rng_state(outer)


# ---------------------------------------------------------------------------- re-entrant


class CheckpointFunction(Function):
    """The re-entrant checkpoint: forward without a graph, backward = recompute + backward.

    forward(ctx, run_function, preserve_rng_state, *args) -> the block's tensor outputs
    backward(ctx, *grads) -> one gradient per tensor in args (None where none is needed)
    """

    @staticmethod
    def forward(ctx: Function, run_function: Callable, preserve_rng_state: bool,
                *args: Any, layout: list | None = None) -> Any:
        ctx.run_function = run_function
        ctx.rng_state = creation.get_rng_state() if preserve_rng_state else None
        # the tensors are kept through save_for_backward (freed after backward, version
        # checked); the other arguments ride along as they are
        ctx.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.others = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[args[i] for i in ctx.positions])
        with no_grad():
            outputs = run_function(*args)
        if isinstance(outputs, Tensor):
            return outputs
        # a Function's outputs are all tensors: checkpoint() puts the rest back from `layout`
        if layout is not None:
            layout.extend(None if isinstance(o, Tensor) else (o,) for o in outputs)
        return tuple(o for o in outputs if isinstance(o, Tensor))

    @staticmethod
    @once_differentiable  # its backward runs kernels (or a recomputed graph) only
    def backward(ctx: Function, *grads: Any) -> tuple:
        args = list(ctx.others)
        for position, tensor in zip(ctx.positions, ctx.saved_tensors):
            args[position] = tensor
        inputs = _detached(args)
        with enable_grad():
            outputs = _run_with_rng(ctx.run_function, inputs, {}, ctx.rng_state)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        outputs = [o for o in outputs if isinstance(o, Tensor)]
        roots = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad and g is not None]
        if not roots:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        # the inner backward: parameters used by the block get their .grad here
        autograd.backward([o for o, _ in roots], [g for _, g in roots])
        return tuple(inputs[i].grad if inputs[i].requires_grad else None
                     for i in ctx.positions)

    def name(self) -> str:
        return "CheckpointFunctionBackward"  # PyTorch's node name


# ---------------------------------------------------------------------------- non-reentrant


class _NodeList:
    """Stands in as `autograd._recorder` while a block runs: notes, in order, every node
    that Function.apply makes (passing the call on to a trace being recorded, if any)."""

    def __init__(self, outer: Any) -> None:
        self.outer = outer
        self.nodes: list = []

    def _primitive(self, function: type, args: tuple, options: dict) -> Any:
        if self.outer is not None:
            output = self.outer._primitive(function, args, options)
        else:
            output = function._run(args, options)
        for tensor in output if isinstance(output, tuple) else (output,):
            node = getattr(tensor, "grad_fn", None)
            if node is not None and (not self.nodes or self.nodes[-1] is not node):
                self.nodes.append(node)
        return output


def _run_listing_nodes(function: Callable, args: Sequence, kwargs: dict,
                       rng_state: Any) -> tuple:
    """(outputs, the nodes made while running function), with grad mode on."""
    listing = _NodeList(autograd._recorder)
    autograd._recorder = listing
    try:
        with enable_grad():
            outputs = _run_with_rng(function, args, kwargs, rng_state)
    finally:
        autograd._recorder = listing.outer
    return outputs, listing.nodes


class _Recompute:
    """What a non-reentrant checkpoint remembers to refill its nodes' saved tensors."""

    def __init__(self, function: Callable, args: list, kwargs: dict, rng_state: Any,
                 nodes: list) -> None:
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.rng_state = rng_state
        # weak references: the block's output node holds this object (through its hook), so
        # strong ones would make a reference cycle (DESIGN.md: graph nodes hold none)
        self.nodes = [weakref.ref(node) for node in nodes]
        self.dropped: list = []  # per node: the slots whose tensor was dropped
        self.done = False
        # tensors that live anyway (the inputs, and leaves such as parameters) are kept:
        # dropping them saves nothing, and keeping them keeps their version check
        kept = {id(a._storage) for a in args if isinstance(a, Tensor)}
        for node in nodes:
            saved = node._saved or ()
            slots = [i for i, t in enumerate(saved) if t is not None
                     and id(t._storage) not in kept and not (t.grad_fn is None and
                                                             t.requires_grad)]
            node._saved = tuple(None if i in slots else t for i, t in enumerate(saved))
            self.dropped.append(slots)

    def hook(self, grad: Any) -> None:
        """Runs when backward reaches an output of the block (before its node runs)."""
        if self.done:
            return
        self.done = True
        _, nodes = _run_listing_nodes(self.function, _detached(self.args), self.kwargs,
                                      self.rng_state)
        old_nodes = [reference() for reference in self.nodes]
        if len(nodes) != len(old_nodes) or any(old is not None and type(old) is not type(new)
                                               for old, new in zip(old_nodes, nodes)):
            raise RuntimeError(
                "torch.utils.checkpoint: the recomputed forward made a different graph "
                f"({len(nodes)} nodes instead of {len(old_nodes)}): the checkpointed "
                "function must run the same operations every time it is called")
        for old, new, slots in zip(old_nodes, nodes, self.dropped):
            # None: a node no graph holds any more, or one freed by an earlier backward
            if not slots or old is None or old._saved is None:
                continue
            saved = list(old._saved)
            versions = list(old._saved_versions)
            for i in slots:
                saved[i] = new._saved[i]
                versions[i] = new._saved_versions[i]
            old._saved = tuple(saved)
            old._saved_versions = tuple(versions)
        self.args = self.kwargs = None  # nothing is recomputed twice


def _checkpoint_graph(function: Callable, args: tuple, kwargs: dict,
                      preserve_rng_state: bool) -> Any:
    if not autograd.is_grad_enabled():
        return function(*args, **kwargs)  # no graph, nothing to save
    rng_state = creation.get_rng_state() if preserve_rng_state else None
    outputs, nodes = _run_listing_nodes(function, args, kwargs, None)
    recompute = _Recompute(function, list(args), kwargs, rng_state, nodes)
    for output in (outputs,) if isinstance(outputs, Tensor) else outputs:
        if isinstance(output, Tensor) and output.grad_fn is not None:
            output.register_hook(recompute.hook)
    return outputs


# ---------------------------------------------------------------------------- the API


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """function(*args, **kwargs), keeping only what is needed to recompute it in backward.

    The result and the gradients are those of the plain call; the memory held between forward
    and backward is the inputs instead of every activation inside `function`.
    """
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, stacklevel=2)
        use_reentrant = True
    if not use_reentrant:
        return _checkpoint_graph(function, args, kwargs, preserve_rng_state)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if autograd.is_grad_enabled() and not any(
            isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)
    layout: list = []  # the block's outputs, a tensor's place marked None
    outputs = CheckpointFunction.apply(function, preserve_rng_state, *args, layout=layout)
    if isinstance(outputs, Tensor):
        return outputs
    tensors = iter(outputs)
    return tuple(next(tensors) if item is None else item[0] for item in layout)


def checkpoint_sequential(functions: Any, segments: int, input: Any,  # noqa: A002
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run `functions` (an nn.Sequential or a list of callables) one after another on
    `input`, in `segments` pieces of len // segments functions: every piece but the last is
    checkpointed (the last one's activations are needed at once by backward, as in PyTorch).

    `preserve_rng_state` may be passed as a keyword, as in PyTorch.
    """
    if use_reentrant is None:
        warnings.warn(_SEQUENTIAL_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())  # nn.Sequential: its layers in order
    functions = list(functions)
    if not 1 <= segments <= len(functions):
        # PyTorch fails here with "range() arg 3 must not be zero"
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and the number "
                         f"of functions ({len(functions)}), got {segments}")
    size = len(functions) // segments

    def run(start: int, stop: int) -> Callable:
        def forward(value: Any) -> Any:
            for function in functions[start:stop]:
                value = function(value)
            return value
        return forward

    start = 0
    for _ in range(segments - 1):
        input = checkpoint(run(start, start + size), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
        start += size
    return run(start, len(functions))(input)
