"""Reverse-mode automatic differentiation: grad mode, graph nodes, and the backward pass.

The graph: every tensor made by a primitive op while grad mode is on gets a `grad_fn`, the
`Function` instance that made it. `grad_fn.next_functions` points at the nodes that made
its inputs (or an `AccumulateGrad` node for a leaf tensor the user created). `backward()`
walks that graph from the output back to the leaves, in topological order, calling each
node's `backward(ctx, grad)` once all the gradients flowing into it have arrived.

Differences from PyTorch, on purpose:
- Each primitive has its backward formula twice: `backward`, on the backend's kernels
  (fast, no graph: what every ordinary backward pass runs), and `graph_backward`, the same
  formula in Tensor ops, which record a graph of their own. `create_graph=True` (gradients
  of gradients: Hessian-vector products, gradient penalties, MAML) runs the second. PyTorch
  writes each formula once, in differentiable ops; two versions keep the common case fast.
  A Function of the user's (torch.autograd.Function) has its `backward` run with grad mode
  on under create_graph=True, as in PyTorch; one whose backward calls kernels is marked
  `@once_differentiable` and its gradients raise if differentiated again.
- A grad_fn's name is PyTorch's where naming the node is enough: a primitive is named after
  its class (`Mul` -> `MulBackward0`, or its own `name()`: `Log1p` -> `Log1PBackward0`), and
  the view ops built on one primitive label the node they make with `named(tensor, name)`
  (`t()` makes a Permute labelled `TBackward0`, `x[0]` a Slice labelled `SelectBackward0`).
  Composite ops label their last node the same way (`mean` ends in a Div labelled
  `MeanBackward0`); only that node is named, the ones before it keep their primitives' names.
- In-place ops record what PyTorch records: the written tensor takes the op's node, and a
  write through a view gives the base a `CopySlices` node (functions/). A view whose
  memory was written in place since its node was made reads its base's new history the
  next time an op uses it (`Tensor._refresh_view`, PyTorch's regenerated view grad_fn).
"""

import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kernels import ops

_grad_enabled = True
_recorder = None  # the tinygrad_edu.tracing.Trace being recorded, if any
_anomaly_mode = False  # tinygrad_edu/anomaly.py: check each node's gradients for nan
Tensor: Any = None  # set by tinygrad_edu/tensor.py (it imports this module)


# ---------------------------------------------------------------------------- grad mode


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default; False inside `no_grad`)."""
    return _grad_enabled


class set_grad_enabled:  # noqa: N801  (PyTorch's name)
    """Turn graph recording on or off: as a call, a context manager that restores, or a
    decorator (which, as in PyTorch, restores the mode at once and sets it per call)."""

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        self.previous = _grad_enabled
        self.mode = bool(mode)
        _grad_enabled = self.mode

    def __call__(self, function: Callable) -> Callable:
        global _grad_enabled
        _grad_enabled = self.previous
        return (enable_grad() if self.mode else no_grad())(function)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        global _grad_enabled
        _grad_enabled = self.previous


class _GradMode:
    """Base of no_grad / enable_grad: a context manager and a function decorator."""

    mode = True

    def __new__(cls, function: Callable | None = None) -> Any:
        """`@no_grad` (no parentheses) decorates at once; `no_grad()` makes the manager."""
        instance = super().__new__(cls)
        if function is not None:
            return instance(function)
        return instance

    def __init__(self, function: Callable | None = None) -> None:
        self.previous = _grad_enabled

    def __enter__(self) -> None:
        global _grad_enabled
        self.previous = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, function: Callable) -> Callable:
        mode = self.mode

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _fresh(mode):
                return function(*args, **kwargs)

        wrapper.__name__ = function.__name__
        wrapper.__doc__ = function.__doc__
        return wrapper


class no_grad(_GradMode):  # noqa: N801
    """Inside `with no_grad():` ops record no graph: for evaluation and parameter updates."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph recording back on inside a `no_grad` block."""

    mode = True


class inference_mode(_GradMode):  # noqa: N801
    """`with inference_mode():` records no graph, as no_grad; inference_mode(False) changes
    nothing. Also a decorator, with or without parentheses.

    Difference from PyTorch: there, tensors made inside are "inference tensors" that autograd
    refuses to record later, which lets PyTorch skip some bookkeeping; here they are ordinary
    tensors, exactly as under no_grad."""

    def __new__(cls, mode: Any = True) -> Any:
        instance = object.__new__(cls)
        if callable(mode):  # @inference_mode without parentheses
            instance.__init__(True)
            return instance(mode)
        return instance

    def __init__(self, mode: Any = True) -> None:
        self.enabled = bool(mode)
        self.previous = _grad_enabled

    def __enter__(self) -> None:
        global _grad_enabled
        self.previous = _grad_enabled
        if self.enabled:
            _grad_enabled = False

    def __call__(self, function: Callable) -> Callable:
        enabled = self.enabled

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(enabled):
                return function(*args, **kwargs)

        wrapper.__name__ = function.__name__
        wrapper.__doc__ = function.__doc__
        return wrapper


def _fresh(mode: bool) -> _GradMode:
    return no_grad() if not mode else enable_grad()


# ---------------------------------------------------------------------------- graph nodes


class _NothingNeedsGrad(tuple):
    """`ctx.needs_input_grad` while grad mode is off: False for every input."""

    def __getitem__(self, index: Any) -> bool:  # type: ignore[override]
        return False


class Function:
    """A primitive op and, once applied, a graph node (`grad_fn`).

    Subclasses write two static methods, side by side:
        forward(ctx, *inputs, **options) -> Tensor   (computes, may ctx.save_for_backward)
        backward(ctx, grad) -> one gradient per tensor input (None where not needed)
    and are used as `MyFunction.apply(*inputs, **options)`, as in PyTorch.
    `ctx.needs_input_grad` (one flag per tensor input) is known in forward already, so
    forward can save only what the needed gradients use (Mul: b only when a needs a grad).
    """

    # defaults on the class, so creating a node costs nothing until forward sets them
    next_functions: tuple = ()
    needs_input_grad: tuple = _NothingNeedsGrad()
    label: str | None = None  # PyTorch's name for this node, when the class name is not it
    _saved: tuple | None = ()
    _saved_versions: tuple = ()
    # set (in the node's own __dict__) only by register_hook and retain_grad: backward skips
    # a node's hook and retain work with one look at these
    _node_hooks: list | None = None  # hook(grad_inputs, grad_outputs), after backward
    _tensor_hooks: dict | None = None  # output number -> hooks of that output tensor
    _retained: dict | None = None  # output number -> weakref of a tensor that retains grad

    # -- what forward calls
    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors for backward; an in-place change to one of them is caught later."""
        self._saved = tensors
        self._saved_versions = tuple(t._storage.version if t is not None else 0 for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors forward saved; raises if freed by a backward or modified in place."""
        if self._saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        for tensor, version in zip(self._saved, self._saved_versions):
            if tensor is not None and tensor._storage.version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{tensor.type()} {list(tensor.shape)}], which is "
                    f"saved by {self.name()}; is at version {tensor._storage.version}; expected "
                    f"version {version} instead.")
        return self._saved

    # -- graph plumbing
    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Any:
        """Run forward; when grad mode is on and an input requires grad, record the node."""
        if _recorder is not None:  # tracing.record() is on: it runs _run and notes the call
            return _recorder._primitive(cls, inputs, options)
        return cls._run(inputs, options)

    @classmethod
    def _run(cls, inputs: tuple, options: dict) -> Any:
        ctx = cls()
        if not _grad_enabled:
            return cls.forward(ctx, *inputs, **options)  # no graph: ctx is dropped now
        edges = []
        needs = []
        for value in inputs:
            if isinstance(value, Tensor):
                if value._base is not None and value._view_version != value._storage.version:
                    value._refresh_view()  # written in place since its node was made
                needs.append(value._requires_grad)
                edges.append(_edge(value))
        # the edges are taken before forward runs: CopySlices' forward returns its input
        ctx.needs_input_grad = tuple(needs)
        output = cls.forward(ctx, *inputs, **options)
        if not any(needs):
            return output
        # only floating-point tensors have gradients (PyTorch): x.long() or x > 0 of an x
        # that requires grad gives a plain tensor, which ends the graph there
        if isinstance(output, tuple):
            if not any(t.dtype.is_floating_point for t in output):
                return output
            ctx.next_functions = tuple(edges)
            for index, tensor in enumerate(output):
                if tensor.dtype.is_floating_point:
                    tensor._requires_grad = True
                    tensor.grad_fn = ctx
                    tensor._output_nr = index
        elif not output.dtype.is_floating_point:
            return output
        else:
            ctx.next_functions = tuple(edges)
            output._requires_grad = True
            output.grad_fn = ctx
            output._output_nr = 0
        return output

    @staticmethod
    def forward(ctx: "Function", *inputs: Any, **options: Any) -> Any:
        raise TypeError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: "Function", *grads: Any) -> Any:
        raise TypeError("a Function subclass must define backward(ctx, grad)")

    def name(self) -> str:
        """PyTorch's node name: `MulBackward0` for the primitive `Mul`, or the node's label."""
        return self.label or type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        # PyTorch: <CopySlices object at ...> for the node named torch::autograd::CopySlices
        return f"<{self.name().rsplit('::', 1)[-1]} object at {hex(id(self))}>"

    def register_hook(self, hook: Callable) -> None:
        """Hooks on the node itself: hook(grad_inputs, grad_outputs) after backward."""
        self.__dict__.setdefault("_node_hooks", []).append(hook)

    def saved_output(self, saved: Any) -> Any:
        """The output forward saved (detached, so that node and output hold no reference
        cycle), for a `graph_backward` formula: an alias of it whose grad_fn is this node
        again, so that a second backward reaches the inputs through it (PyTorch's saved
        outputs do the same when unpacked)."""
        if not _grad_enabled:
            return saved
        alias = saved._view_of(saved._shape, saved._strides, saved._offset)
        alias._base = None
        alias._requires_grad = True
        alias.grad_fn = self
        return alias


def once_differentiable(backward: Callable) -> Callable:
    """Mark a Function's backward as written on kernels (PyTorch's decorator of this name):
    under create_graph=True it runs without a graph, and its gradients raise if anything
    differentiates them again, instead of silently missing their second-order terms."""
    backward.once_differentiable = True
    return backward


class _DelayedError(Function):
    """Stands in for the graph of a gradient made by a once_differentiable backward:
    forward passes the gradients through; backward, reached only by a second-order pass,
    raises."""

    @staticmethod
    def forward(ctx: Function, *inputs: Any, gradients: tuple, node: str) -> Any:
        ctx.node = node
        return tuple(g.detach() for g in gradients)

    @staticmethod
    def backward(ctx: Function, *grads: Any) -> Any:
        raise RuntimeError(f"trying to differentiate twice the gradient computed by "
                           f"{ctx.node}, whose backward is marked once_differentiable "
                           "(tinygrad_edu has no graph formula for it)")


class AccumulateGrad:
    """The node at a leaf: adds the incoming gradient into `variable.grad`.

    One per leaf, shared by every use of the leaf while a graph holds it (the leaf keeps a
    weak reference, `_accumulator`, as PyTorch does): gradients from all uses are summed
    before the leaf's hooks run once on the sum.
    """

    next_functions = ()

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def named(tensor: Any, name: str) -> Any:
    """Label the node that made `tensor` (if any) with PyTorch's name for the op the user
    called: `t()` makes a Permute node, which PyTorch calls `TBackward0`. Returns tensor."""
    if tensor.grad_fn is not None:
        tensor.grad_fn.label = name
    return tensor


def _edge(tensor: Any) -> tuple:
    """(node, output number) that a gradient for `tensor` flows into; (None, 0) if none."""
    if not tensor._requires_grad:
        return (None, 0)
    if tensor.grad_fn is None:
        reference = tensor._accumulator
        node = reference() if reference is not None else None
        if node is None:  # no graph holds the leaf's node: a new one
            node = AccumulateGrad(tensor)
            tensor._accumulator = weakref.ref(node)
        return (node, 0)
    return (tensor.grad_fn, tensor._output_nr)


# ---------------------------------------------------------------------------- backward


def _add(a: Any, b: Any) -> Any:
    return b if a is None else a + b


def run_backward(roots: Sequence, grads: Sequence, retain_graph: bool,
                 capture: dict | None = None, capture_nodes: dict | None = None,
                 create_graph: bool = False) -> None:
    """Propagate `grads` from the `roots` tensors to every leaf (Kahn's topological order).

    With `capture` (a dict {id(tensor): None} of wanted tensors), gradients are stored there
    instead of being accumulated into `.grad`: that is `autograd.grad`. `capture_nodes` maps
    (id(grad_fn), output number) of wanted non-leaf tensors to their id in `capture`.
    With `create_graph`, grad mode stays on and each node runs its `graph_backward`: the
    gradients are tensors with a graph of their own, which can be differentiated again.
    """
    # 1. Count, for each node, how many edges from reachable nodes point at it.
    start = [_edge(root) for root in roots]
    dependencies: dict = {}
    stack = [node for node, _ in start if node is not None]
    seen = set(stack)
    while stack:
        node = stack.pop()  # each reachable node once: count its edges, visit new children
        for child, _ in node.next_functions:
            if child is not None:
                dependencies[child] = dependencies.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)

    # 2. Seed the gradient buffers with the roots' gradients.
    buffers: dict = {}
    for (node, number), grad in zip(start, grads):
        if node is not None:
            slots = buffers.setdefault(node, {})
            slots[number] = _add(slots.get(number), grad)
    ready = deque(node for node in buffers if dependencies.get(node, 0) == 0)
    # storages a leaf must not adopt as its .grad: the caller's own gradient tensors
    delivered_storages: set = {id(grad._storage) for grad in grads}

    # 3. Run each node once all its inputs have arrived.
    with _fresh(create_graph):
        while ready:
            node = ready.popleft()
            slots = buffers.pop(node)
            if isinstance(node, AccumulateGrad):
                _accumulate(node.variable, slots[0], capture, delivered_storages,
                            create_graph)
                continue
            if node._tensor_hooks is None and node._retained is None and not capture_nodes:
                # the common case: no hook, retained or captured output, often just one
                if len(slots) == 1 and 0 in slots:
                    output_grads = [slots[0]]
                else:
                    output_grads = [slots.get(index) for index in range(max(slots) + 1)]
            else:
                output_grads = _prepare_output_grads(node, slots, capture, capture_nodes)
            input_grads = node.backward(node, *output_grads) if not create_graph \
                else _graph_backward(node, output_grads)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if _anomaly_mode:  # only in anomaly mode: import here, no cycle
                from tinygrad_edu.anomaly import check_gradients
                check_gradients(node, input_grads)
            if node._node_hooks is not None:
                for hook in node._node_hooks:
                    hook(input_grads, output_grads)
            if not retain_graph:
                node._saved = None
            for (child, number), grad in zip(node.next_functions, input_grads):
                if child is None:
                    continue
                if grad is not None:
                    child_slots = buffers.setdefault(child, {})
                    previous = child_slots.get(number)
                    child_slots[number] = grad if previous is None else previous + grad
                remaining = dependencies[child] - 1
                dependencies[child] = remaining
                if remaining == 0 and child in buffers:
                    ready.append(child)


def _graph_backward(node: Function, output_grads: list) -> Any:
    """A node's input gradients as tensors with a graph (for create_graph=True)."""
    formula = getattr(node, "graph_backward", None)
    if formula is not None:  # a library primitive: its formula in Tensor ops
        return formula(node, *output_grads)
    if not getattr(type(node).backward, "once_differentiable", False):
        return node.backward(node, *output_grads)  # a user's Function: Tensor ops record
    with no_grad():
        results = node.backward(node, *output_grads)
    single = not isinstance(results, tuple)
    results = (results,) if single else results
    # what the gradients depend on: the incoming gradients and the tensors forward saved
    sources = [t for t in (*output_grads, *(node._saved or ()))
               if t is not None and t._requires_grad]
    present = [r for r in results if r is not None and r.dtype.is_floating_point]
    if not sources or not present:
        return results[0] if single else results
    delayed = iter(_DelayedError.apply(*sources, gradients=tuple(present), node=node.name()))
    results = tuple(next(delayed) if r is not None and r.dtype.is_floating_point else r
                    for r in results)
    return results[0] if single else results


def _prepare_output_grads(node: Function, slots: dict, capture: dict | None,
                          capture_nodes: dict | None) -> list:
    """The node's output gradients in order: hooks applied, retained, captured, zeros filled."""
    count = max(slots) + 1
    for index in range(count):
        grad = slots.get(index)
        for hook in (node._tensor_hooks or {}).get(index, ()):
            grad = _run_hook(hook, grad)
        retained = (node._retained or {}).get(index)
        tensor = retained() if retained is not None else None
        if tensor is not None and grad is not None:
            if capture is None:
                tensor.grad = grad.clone() if tensor.grad is None else tensor.grad + grad
        if capture_nodes and (id(node), index) in capture_nodes:
            capture[capture_nodes[(id(node), index)]] = grad
        slots[index] = grad
    return [slots.get(index) for index in range(count)]


def _run_hook(hook: Callable, grad: Any) -> Any:
    """hook(grad), or grad when the hook returns None; a returned gradient must keep grad's
    shape (PyTorch's check)."""
    result = hook(grad)
    if result is None:
        return grad
    if grad is not None and getattr(result, "_shape", None) != grad._shape:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    return result


def _accumulate(variable: Any, grad: Any, capture: dict | None, delivered: set,
                create_graph: bool = False) -> None:
    """Leaf: run its hooks, then `variable.grad += grad` (or capture it for autograd.grad).
    With create_graph, .grad keeps the gradient's graph and a sum is out of place (PyTorch)."""
    for hook in variable._hooks or ():
        grad = _run_hook(hook, grad)
    if capture is not None:
        if id(variable) in capture:
            previous = capture[id(variable)]
            capture[id(variable)] = grad if previous is None else previous + grad
        return
    if create_graph and variable.grad is not None:
        variable.grad = variable.grad + grad
    elif variable.grad is None:
        # One gradient tensor can reach several leaves (a + b gives both the same), and a
        # gradient may be a broadcast view (0 strides): copy in those cases, so that every
        # leaf owns a contiguous .grad that in-place ops (zero_, mul_) can safely change.
        if id(grad._storage) in delivered or not grad.is_contiguous():
            grad = grad.clone()
        delivered.add(id(grad._storage))
        # a gradient made by backward (grad mode off) has no history already; a hook's result
        # may have some, which .grad must not keep (unless create_graph asked for it)
        variable.grad = grad if create_graph or (grad.grad_fn is None
                                                 and not grad._requires_grad) \
            else grad.detach()
    else:
        # PyTorch accumulates in place: a reference to .grad sees the new sum
        existing = variable.grad
        existing._storage.backend.zip(ops.ADD, existing._strided(), grad._strided(),
                                      existing._strided())
        existing._storage.version += 1
    # Tensor.register_post_accumulate_grad_hook: hook(variable) once .grad holds the sum
    for hook in variable.__dict__.get("_post_accumulate_grad_hooks", ()):
        hook(variable)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Compute and accumulate gradients of `tensors` into the leaves' `.grad`.
    retain_graph defaults to create_graph (a graph that will be differentiated again must
    keep what its nodes saved)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    grads = [_root_grad(t, g, create_graph) for t, g in zip(tensors, grad_tensors)]
    if retain_graph is None:
        retain_graph = create_graph
    capture = None
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        capture = {id(t): None for t in inputs}
    run_backward(tensors, grads, bool(retain_graph), capture, create_graph=create_graph)
    if capture is not None:
        for tensor in inputs:
            grad = capture[id(tensor)]
            if grad is not None and not create_graph:
                grad = grad.detach()
            if grad is not None:
                tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def _root_grad(tensor: Any, grad: Any, create_graph: bool = False) -> Any:
    if not tensor._requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    if grad is None:
        if tensor.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return Tensor._ones_like(tensor)
    if not isinstance(grad, Tensor):
        raise TypeError(f"gradient must be a Tensor, got {type(grad).__name__}")
    if tuple(grad.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {grad.shape} and "
                           f"output[0] has a shape of {tensor.shape}.")
    return grad if create_graph else grad.detach()  # create_graph: its own graph goes on


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """d(outputs)/d(inputs) as a tuple of tensors, without touching any `.grad`.
    With create_graph=True the results have a graph (they can be differentiated again);
    retain_graph defaults to create_graph."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    for tensor in inputs:
        if not tensor._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = [_root_grad(t, g, create_graph) for t, g in zip(outputs, grad_outputs)]
    if retain_graph is None:
        retain_graph = create_graph
    capture = {id(t): None for t in inputs}
    # a non-leaf input is captured when the node that made it runs
    capture_nodes = {(id(t.grad_fn), t._output_nr): id(t) for t in inputs if t.grad_fn}
    run_backward(outputs, grads, bool(retain_graph), capture, capture_nodes, create_graph)
    result = []
    for index, tensor in enumerate(inputs):
        value = capture[id(tensor)]
        if value is None and not allow_unused:
            raise RuntimeError(f"One of the differentiated Tensors (input {index}) appears to "
                               "not have been used in the graph. Set allow_unused=True if this "
                               "is the desired behavior.")
        result.append(value)
    return tuple(result)


# ---------------------------------------------------------------------------- gradcheck


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree (the message says where and by how much)."""


def gradcheck(function: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare backward's gradients with central differences, (f(x+eps) - f(x-eps)) / 2eps.

    Inputs that require grad should be float64 (float32 differences are too coarse). For
    every output element j and input element i it checks d out_j / d in_i, so keep it small.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wanted = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for tensor in wanted:
        if tensor.dtype.name != "float64":
            import warnings
            warnings.warn(f"gradcheck: input of dtype {tensor.dtype} is not float64; the "
                          "numerical gradient will be imprecise", stacklevel=2)

    def outputs() -> list:
        result = function(*inputs)
        return [result] if isinstance(result, Tensor) else [r for r in result
                                                             if isinstance(r, Tensor)]

    with no_grad():
        reference = [o.detach().numpy().astype("float64").reshape(-1) for o in outputs()]
    for index, tensor in enumerate(wanted):
        values = tensor.detach().numpy()  # shares memory: perturb in place
        flat_count = values.size
        numerical = [[None] * flat_count for _ in reference]
        for i in range(flat_count):
            position = np.unravel_index(i, values.shape) if values.shape else ()
            original = values[position]
            values[position] = original + eps
            with no_grad():
                plus = [o.detach().numpy().astype("float64").reshape(-1) for o in outputs()]
            values[position] = original - eps
            with no_grad():
                minus = [o.detach().numpy().astype("float64").reshape(-1) for o in outputs()]
            values[position] = original
            for k in range(len(reference)):
                numerical[k][i] = (plus[k] - minus[k]) / (2 * eps)
        for k, ref in enumerate(reference):
            for j in range(ref.size):
                result = outputs()[k]
                seed = Tensor._ones_like(result) * 0
                seed_values = seed.numpy()
                seed_values.reshape(-1)[j] = 1
                (analytical,) = grad([result], [tensor], [seed], allow_unused=True)
                got = (analytical.numpy().reshape(-1) if analytical is not None
                       else np.zeros(flat_count))
                expected = np.array([numerical[k][i][j]
                                                      for i in range(flat_count)])
                error = abs(got - expected)
                if (error > atol + rtol * abs(expected)).any():
                    worst = int(error.argmax())
                    message = (f"Jacobian mismatch for output {k} with respect to input "
                               f"{index} (shape {list(tensor.shape)}): at output element {j}, "
                               f"input element {worst}: analytical {got[worst]:.6g} vs "
                               f"numerical {expected[worst]:.6g} (max abs error "
                               f"{error.max():.3g})")
                    if raise_exception:
                        raise GradcheckError(message)
                    return False
    return True
