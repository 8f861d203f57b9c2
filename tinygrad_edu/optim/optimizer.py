"""Optimizer: the bookkeeping every optimizer shares (PyTorch's `torch.optim.Optimizer`).

    param_groups  a list of dicts {"params": [tensors], "lr": 0.1, ...}; an option that a
                  group does not set comes from `defaults` (the constructor's arguments)
    state         parameter tensor -> its own dict (step count, momentum buffers, ...)
    step()        one update of every parameter that has a `.grad` (each subclass)
    zero_grad()   forget the gradients (set them to None, by default)
    register_step_pre_hook / register_step_post_hook   functions run around every step()
                  (register_optimizer_step_pre/post_hook: around every optimizer's step)
    state_dict()  {"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}:
                  each parameter is replaced by its position in the groups, so the dict can
                  be saved, and loaded into an optimizer over other tensors of the same shapes

How a subclass's `step` updates a parameter: the algorithm reads as plain math in its
docstring. SGD, Adam/AdamW, RMSprop and Adagrad run it as ONE fused kernel per parameter on
the parameter's device (`backend.adam_update(...)`, kernels/cpu/optim.py), which reads and
writes each element once; `fused_update` below hands that kernel flat buffers and bumps the
version counters. Adamax, NAdam, RAdam and Adadelta write the same kind of update with
Tensor ops in place (tensor_update.py): several kernels per parameter, the formula visible
line by line.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import wraps
from itertools import chain
from typing import Any

from kernels.strided import numel
from tinygrad_edu import creation, dispatch, dtypes
from tinygrad_edu.autograd import enable_grad
from tinygrad_edu.nn.modules.module import RemovableHandle
from tinygrad_edu.tensor import Tensor

Params = Iterable[Any]  # tensors, (name, tensor) pairs, or dicts {"params": ..., options}


class _RequiredParameter:
    """The default of an option that every param group must set itself."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of the optimizers: param groups, per-parameter state, state_dict.

    A subclass passes its options as `defaults` and defines `step(closure=None)`.
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(dict(group))

    # ------------------------------------------------------------------ step hooks
    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each subclass's own `step` so the step hooks run around it.

        The base class has no step of its own to wrap: SGD, Adam, ... each define `step`.
        Python calls this hook when such a class is created, so wrapping here (once per
        class, not per instance) covers every optimizer, custom ones included. A subclass
        whose step calls super().step() would run the hooks twice: the wrapper notices
        that it is already inside a step of this optimizer and then just calls through.
        """
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__ and not getattr(cls.__dict__["step"], "_with_hooks", False):
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), called before each
        step(); args include the optimizer itself, first, as in PyTorch."""
        return _add_hook(self.__dict__.setdefault("_optimizer_step_pre_hooks", {}), hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) -> None, called after each step()."""
        return _add_hook(self.__dict__.setdefault("_optimizer_step_post_hooks", {}), hook)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ------------------------------------------------------------------ groups and gradients
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. to unfreeze layers later).

        Options the group leaves out take the optimizer's defaults; a parameter may belong to
        one group only.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        param_group["params"] = params
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(param).__name__}")
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error", stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
            if {id(p) for p in group["params"]} & set(ids):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: `.grad = None`, or fill it with zeros.

        None (the default) saves memory, and a step then skips parameters that got no
        gradient; zeros keep the tensor, so a step still updates them (e.g. weight decay).
        """
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    if param.grad.grad_fn is not None:
                        param.grad.detach_()
                    else:
                        param.grad.requires_grad_(False)
                    param.grad.zero_()

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: state}, "param_groups": [{options..., "params": [index, ...]}]}.

        Indices count the parameters across the groups in order. The state tensors are the
        optimizer's own (not copies), as in PyTorch: save or deep-copy the dict to keep it.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index_of[id(key)] if isinstance(key, Tensor) else key): value
                 for key, value in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore state and options saved by `state_dict()` (from this or another optimizer
        over parameters of the same shapes, in the same order).

        Floating state tensors are copied to each parameter's device and dtype ("step" stays
        a float32 CPU tensor). PyTorch: may share tensors with `state_dict`; here the
        optimizer always owns contiguous copies, which its fused kernels need.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("optimizer state_dict must be a dict with keys 'state' and "
                             "'param_groups'")
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        param_of = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = {name: _state_value(param, name, item)
                                for name, item in value.items()}
            else:
                state[key] = value
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups


# hooks that run around the step of every optimizer (before the optimizer's own)
_global_optimizer_pre_hooks: dict[int, Callable] = {}
_global_optimizer_post_hooks: dict[int, Callable] = {}


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """A pre-hook (as Optimizer.register_step_pre_hook) for every optimizer's step."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """A post-hook (as Optimizer.register_step_post_hook) for every optimizer's step."""
    return _add_hook(_global_optimizer_post_hooks, hook)


def _add_hook(hooks: dict[int, Callable], hook: Callable) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _with_step_hooks(step: Callable) -> Callable:
    """step wrapped: global pre-hooks, the optimizer's pre-hooks, step, its post-hooks, the
    global post-hooks. A pre-hook may return (new_args, new_kwargs) for the call."""

    @wraps(step)
    def hooked_step(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        if self.__dict__.get("_in_step", False):       # super().step() inside a step
            return step(*args, **kwargs)
        own = self.__dict__
        pre = chain(_global_optimizer_pre_hooks.values(),
                    own.get("_optimizer_step_pre_hooks", {}).values())
        for hook in list(pre):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
                args, kwargs = result
        own["_in_step"] = True
        try:
            out = step(*args, **kwargs)
        finally:
            own["_in_step"] = False
        post = chain(own.get("_optimizer_step_post_hooks", {}).values(),
                     _global_optimizer_post_hooks.values())
        for hook in list(post):
            hook(self, args, kwargs)
        return out

    hooked_step._with_hooks = True  # type: ignore[attr-defined]
    return hooked_step


def _state_value(param: Tensor, name: str, value: Any) -> Any:
    """A loaded state entry, made the optimizer's own: tensors on param's device and (if
    floating) dtype, contiguous; a "step" tensor as a float32 CPU scalar tensor (a plain
    number, as a custom optimizer may keep, stays a number: PyTorch's rule)."""
    if name == "step" and isinstance(value, Tensor):
        return creation.tensor(float(value.item()), dtype=dtypes.float32)
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    dtype = param.dtype if value.dtype.is_floating_point else value.dtype
    return dispatch.contiguous(value.detach().to(param.device), dtype)


def check_adam_arguments(lr: float, eps: float, betas: tuple, weight_decay: float) -> None:
    """PyTorch's checks (and messages, in its order) of the Adam family's arguments."""
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


# ---------------------------------------------------------------------------- step helpers


def evaluate(closure: Callable[[], Any] | None) -> Any:
    """Run `closure()` (which recomputes the loss and calls backward) with grad mode on."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def new_step_count() -> Tensor:
    """state["step"]: a 0-d float32 CPU tensor, as PyTorch keeps it."""
    return creation.zeros((), dtype=dtypes.float32)


def advance(step_count: Tensor) -> float:
    """step_count += 1 in place; returns the new count as a Python float.

    The count is a 0-d float32 CPU tensor, so this adds 1 to its one element in the storage's
    NumPy buffer (the same float32 addition as `step_count += 1`, without a tensor op's
    overhead); a count of another kind goes through its NumPy view.
    """
    storage = step_count._storage
    if storage.device.type == "cpu" and step_count._shape == ():
        storage.buffer[step_count._offset] += 1
        storage.version += 1
        return float(storage.buffer[step_count._offset])
    count = step_count.numpy()
    count += 1
    storage.version += 1
    return float(count)


class fused_update:  # noqa: N801  (used like a function: `with fused_update(p, m) as ...`)
    """`with fused_update(param, *state) as (backend, param, grad, *state):` flat buffers for
    one in-place fused update.

    Each buffer is `storage.buffer[offset : offset + numel]` of a contiguous tensor (the whole
    buffer when the tensor fills it), so the kernel sees only flat arrays of the parameter's
    dtype and length (None stays None). A non-contiguous parameter (rare) is updated in a
    contiguous copy that is then written back; a gradient of another layout or dtype is
    copied. On leaving the block the version counters of the parameter and its state go up,
    as for any in-place op. (A small class, not @contextmanager: a generator per parameter
    per step costs more Python time than the kernel it wraps.)
    """

    __slots__ = ("param", "work", "state")

    def __init__(self, param: Tensor, *state: Tensor | None) -> None:
        self.param = param
        self.state = state

    def __enter__(self) -> tuple:
        param = self.param
        grad = param.grad
        device = param._storage.device
        # `is` first: a gradient made by backward shares the parameter's device object
        same_device = grad._storage.device is device or grad._storage.device == device
        if grad._shape != param._shape or not same_device:
            raise RuntimeError(f"the gradient of a parameter of shape {list(param._shape)} on "
                               f"{device} has shape {list(grad._shape)} on {grad.device}")
        if not param.dtype.is_floating_point:
            raise RuntimeError(f"optimizers update floating-point parameters, got {param.dtype}")
        work = param if param.is_contiguous() else dispatch.contiguous(param)
        self.work = work
        # same shape and strides as the contiguous `work`: then the gradient is contiguous too
        same_layout = grad._strides == work._strides or grad.is_contiguous()
        if not same_layout or grad.dtype is not param.dtype:
            grad = dispatch.contiguous(grad, param.dtype)
        size = numel(param._shape)
        buffers = [param._storage.backend, _flat(work, size), _flat(grad, size)]
        for tensor in self.state:
            buffers.append(None if tensor is None else _flat(_checked_state(tensor, work), size))
        return tuple(buffers)

    def __exit__(self, error_type: type | None, *exc_info: object) -> None:
        if error_type is not None:
            return  # the kernel raised: leave the versions as they were
        param = self.param
        if self.work is not param:
            dispatch.copy_into(self.work, param)
        param._storage.version += 1
        for tensor in self.state:
            if tensor is not None:
                tensor._storage.version += 1


def _flat(tensor: Tensor, size: int) -> Any:
    """The flat slice of a contiguous tensor's buffer that holds its `size` elements in order
    (the buffer itself when the tensor fills it: no slice object to make)."""
    buffer = tensor._storage.buffer
    if tensor._offset == 0 and buffer.size == size:
        return buffer
    return buffer[tensor._offset:tensor._offset + size]


def _checked_state(tensor: Tensor, param: Tensor) -> Tensor:
    """A state tensor the kernel may index like the (contiguous) parameter: it does no bounds
    checks. `is` and equal strides first: the state the optimizer made passes at once."""
    device = param._storage.device
    same_device = tensor._storage.device is device or tensor._storage.device == device
    contiguous = tensor._strides == param._strides or tensor.is_contiguous()
    if (tensor._shape != param._shape or tensor.dtype is not param.dtype
            or not same_device or not contiguous):
        raise RuntimeError(
            f"optimizer state of shape {list(tensor._shape)}, {tensor.dtype} on "
            f"{tensor.device} (contiguous: {tensor.is_contiguous()}) does not match its "
            f"parameter of shape {list(param._shape)}, {param.dtype} on {param.device}")
    return tensor
