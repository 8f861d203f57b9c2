"""Module: the base class of every layer, with PyTorch's bookkeeping.

A Module keeps three ordered dicts filled by plain attribute assignment:

    self.weight = Parameter(...)   -> _parameters["weight"]   (learnable, in state_dict)
    self.fc1 = Linear(2, 3)        -> _modules["fc1"]         (a child: its own dicts nest)
    self.register_buffer("running_mean", t)  -> _buffers      (state, not learned)

Everything else walks that tree: `parameters()`, `to(device)`, `train()/eval()`,
`zero_grad()`, the printed tree, and `state_dict()` / `load_state_dict` (keys like
"fc1.weight"; in state_dict.py). `model(x)` runs forward hooks around `forward(x)`, and
wraps inputs and outputs in identity nodes when backward hooks are registered (below).
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from tinygrad_edu import autograd, creation, dtypes
from tinygrad_edu.device import canonical
from tinygrad_edu.nn.modules.state_dict import StateDictMixin
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import Tensor


def typename(value: Any) -> str:
    """PyTorch's torch.typename: 'torch.FloatTensor' for tensors, else the qualified name."""
    if isinstance(value, Tensor):
        return value.type()
    module = type(value).__module__
    name = type(value).__qualname__
    return name if module in (None, "builtins") else f"{module}.{name}"


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (for a child's repr inside its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class RemovableHandle:
    """What register_*_hook returns: `handle.remove()` unregisters the hook."""

    next_id = 0

    def __init__(self, *hook_dicts: dict) -> None:
        self.hook_dicts = hook_dicts
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        for hooks in self.hook_dicts:
            hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


class _HookIdentity(autograd.Function):
    """Identity on several tensors (one graph node); its backward hands all their gradients
    at once to `on_backward`, which returns the gradients to pass on (PyTorch's
    BackwardHookFunction)."""

    label = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx: Any, *tensors: Tensor, on_backward: Callable) -> tuple:
        ctx.on_backward, ctx.count = on_backward, len(tensors)
        return tuple(tensor.detach() for tensor in tensors)  # new tensors, same memory

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        grads = tuple(grads) + (None,) * (ctx.count - len(grads))  # missing trailing ones
        return tuple(ctx.on_backward(grads))

    graph_backward = backward  # the gradients pass through (with their graph, if any)


class _BackwardHooks:
    """One module call's full backward hooks (PyTorch's torch.utils.hooks.BackwardHook).

    The inputs that require grad pass through one _HookIdentity node before forward, the
    outputs through another after it. Backward reaches the output node first: it records
    grad_output (after the backward pre-hooks, which may replace it); then the input node:
    it calls hook(module, grad_input, grad_output), which may return a new grad_input.
    """

    def __init__(self, module: "Module", hooks: dict, pre_hooks: dict) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.count, self.positions = 0, None  # inputs, and which ones pass the node
        self.output_count, self.output_positions = 0, None  # the same for the outputs
        self.grad_outputs: tuple | None = None

    @staticmethod
    def _wrap(values: tuple, on_backward: Callable) -> tuple[tuple, list | None]:
        positions = [k for k, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
        if not positions:
            return values, None
        wrapped = _HookIdentity.apply(*(values[k] for k in positions), on_backward=on_backward)
        values = list(values)
        for k, tensor in zip(positions, wrapped):
            values[k] = tensor
        return tuple(values), positions

    @staticmethod
    def _spread(positions: list, grads: tuple, count: int) -> tuple:
        full: list = [None] * count
        for k, grad in zip(positions, grads):
            full[k] = grad
        return tuple(full)

    def _input_grads(self, grads: tuple) -> tuple:
        """grad_input as PyTorch gives it: None for a non-tensor argument, zeros for a
        tensor that gets no gradient (one that needs none, or is not used)."""
        full = list(self._spread(self.positions, grads, self.count))
        for k, value in enumerate(self.args):
            if isinstance(value, Tensor) and full[k] is None:
                full[k] = creation.zeros_like(value)
        return tuple(full)

    def setup_inputs(self, args: tuple) -> tuple:
        self.count = len(args)
        args, self.positions = self._wrap(args, self._on_input_grads)
        self.args = args if self.positions is not None else ()  # for the zeros' shapes
        return args

    def setup_outputs(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        if not single and not isinstance(output, tuple):
            warnings.warn("For backward hooks to be called, module output should be a Tensor "
                          f"or a tuple of Tensors but received {type(output)}", stacklevel=3)
            return output
        values = (output,) if single else output
        self.output_count = len(values)
        values, self.output_positions = self._wrap(values, self._on_output_grads)
        return values[0] if single else values

    def _on_output_grads(self, grads: tuple) -> tuple:
        positions, count = self.output_positions, self.output_count
        self.grad_outputs = self._spread(positions, grads, count)
        for hook in list(self.pre_hooks.values()):
            result = hook(self.module, self.grad_outputs)
            if result is None:
                continue
            if len(result) != count:
                raise RuntimeError("Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(result)}, but expected {count}")
            self.grad_outputs = tuple(result)
        passed = tuple(self.grad_outputs[k] for k in positions)
        if self.positions is None:  # no input needs a gradient: the hooks run now
            if self.hooks:
                warnings.warn("Full backward hook is firing when gradients are computed with "
                              "respect to module outputs since no inputs require gradients. "
                              "See https://docs.pytorch.org/docs/main/generated/torch.nn."
                              "Module.html#torch.nn.Module.register_full_backward_hook for "
                              "more details.", stacklevel=2)
            grad_inputs = (None,) * self.count
            for hook in list(self.hooks.values()):
                result = hook(self.module, grad_inputs, self.grad_outputs)
                if result is not None and not (isinstance(result, tuple)
                                               and all(g is None for g in result)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return passed

    def _on_input_grads(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:  # the gradient did not come through the outputs
            return grads
        grad_inputs = self._input_grads(grads)
        for hook in list(self.hooks.values()):
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is None:
                continue
            if len(result) != len(grad_inputs):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(result)}, but expected {len(grad_inputs)}")
            grad_inputs = tuple(result)
        self.grad_outputs = None
        return tuple(grad_inputs[k] for k in self.positions)


class Module(StateDictMixin):
    """Base class for all neural network modules (see the module docstring)."""

    _version: int = 1
    training: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument "
                            f"but {len(args) + 1} were given")
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks_with_kwargs", {})
        object.__setattr__(self, "_forward_hooks_always_called", {})
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks_with_kwargs", {})
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it.

        PyTorch raises NotImplementedError here; we raise TypeError with the same message,
        since nothing in this library is left unimplemented on purpose.
        """
        raise TypeError(f'Module [{type(self).__name__}] is missing the required '
                        '"forward" function')

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent one) under `name`."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter", self._parameters)
        if param is None:
            self._parameters[name] = None
        elif not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        elif param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             "parameters must be created explicitly. To express "
                             f"'{name}' as a function of another Tensor, compute the value in "
                             "the forward() method.")
        else:
            self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None,
                        persistent: bool = True) -> None:
        """Add state that is not learned (saved in state_dict unless persistent=False)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under `name` (what `self.name = module` does)."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, name: Any, kind: str, registry: dict) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def get_submodule(self, target: str) -> "Module":
        """The module at a dotted path like 'encoder.layers.0' ('' is self)."""
        module = self
        for item in target.split(".") if target else []:
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path like 'encoder.fc.weight'."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        parameter = getattr(module, name)
        if not isinstance(parameter, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return parameter

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name: str, value: Any) -> None:
        def remove_from(*containers: Any) -> None:
            for container in containers:
                if name in container:
                    if isinstance(container, dict):
                        del container[name]
                    else:
                        container.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules,
                        self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(self.__dict__, self._parameters, self._buffers,
                        self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the three registries
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list:
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(key for key in set(keys) if not key[0].isdigit())

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """(name, module) for self and every descendant, depth first; each once."""
        if memo is None:
            memo = set()
        if remove_duplicate and self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            child_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self, remove_duplicate: bool = True) -> Iterator["Module"]:
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """('fc1.weight', Parameter) for every parameter (shared ones once)."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> "Module":
        """Set training mode on self and every descendant (Dropout, BatchNorm read it)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def compile(self, **kwargs: Any) -> None:
        """Compile this module's forward in place (tinygrad_edu.compile; PyTorch's
        Module.compile): later calls replay the traced program with fused kernels."""
        from tinygrad_edu.compiler import compile_module
        compile_module(self, **kwargs)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (default) or fill them with zeros."""
        for parameter in self.parameters():
            if parameter.grad is None:
                continue
            if set_to_none:
                parameter.grad = None
            else:
                parameter.grad.detach_()  # in place: whoever holds .grad sees the zeros
                parameter.grad.zero_()

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call fn on every descendant, then on self (e.g. a custom initialisation)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ devices and dtypes
    def _apply(self, fn: Callable[[Tensor], Tensor]) -> "Module":
        """Replace every parameter's memory (and grad) and every buffer by fn of it.

        Parameters keep their identity (`param.data = fn(param)`), so an optimizer built
        before `model.to(...)` still holds the right objects.
        """
        for module in self.children():
            module._apply(fn)
        with autograd.no_grad():
            for parameter in self._parameters.values():
                if parameter is None:
                    continue
                parameter.data = fn(parameter)
                if parameter.grad is not None:
                    parameter.grad = fn(parameter.grad).detach()
            for name, buffer in self._buffers.items():
                if buffer is not None:
                    self._buffers[name] = fn(buffer)
        return self

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """`to(device)`, `to(dtype)`, `to(device, dtype)`, `to(tensor)`: moves parameters and
        buffers; a dtype applies to floating-point ones only, as in PyTorch."""
        device, dtype = None, None
        for value in list(args) + [kwargs.get("device"), kwargs.get("dtype"),
                                   kwargs.get("tensor")]:
            if value is None or isinstance(value, bool):
                continue
            if isinstance(value, Tensor):
                device, dtype = value.device, value.dtype
            elif isinstance(value, dtypes.dtype) or isinstance(value, type):
                dtype = dtypes.to_dtype(value)
            else:
                device = canonical(value)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        def convert(tensor: Tensor) -> Tensor:
            target = dtype if dtype is not None and tensor.is_floating_point() else None
            return tensor.to(device=device, dtype=target)

        return self._apply(convert)

    def cuda(self, device: Any = None) -> "Module":
        target = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int)
                                                else device)
        return self._apply(lambda t: t.to(canonical(target)))

    def cpu(self) -> "Module":
        return self._apply(lambda t: t.cpu())

    def float(self) -> "Module":
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> "Module":
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> "Module":
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def type(self, dst_type: Any) -> "Module":
        return self._apply(lambda t: t.type(dst_type))

    # ------------------------------------------------------------------ calling and hooks
    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args) -> None or new args, called before forward
        (with_kwargs: hook(module, args, kwargs) -> None or (args, kwargs))."""
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """hook(module, args, output) -> None or a new output, called after forward
        (with_kwargs: hook(module, args, kwargs, output))."""
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """hook(module, grad_input, grad_output) -> None or a new grad_input, called once the
        gradients with respect to the module's positional inputs are computed (grad_input
        has None for an input that is not a tensor requiring grad). Works by identity nodes
        around the call (see _BackwardHooks); only for calls made in grad mode."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """hook(module, grad_output) -> None or a new grad_output, called when the gradients
        with respect to the module's outputs arrive, before they flow on into the module."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Pre-hooks, forward, then hooks (each may replace the inputs / the output)."""
        backward_hooks = self.__dict__.get("_backward_hooks")
        backward_pre_hooks = self.__dict__.get("_backward_pre_hooks")
        wants_backward = bool(backward_hooks or backward_pre_hooks)
        if not self._forward_hooks and not self._forward_pre_hooks and not wants_backward:
            return self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward = None
        if wants_backward and autograd.is_grad_enabled():
            backward = _BackwardHooks(self, backward_hooks or {}, backward_pre_hooks or {})
            args = backward.setup_inputs(args)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    try:
                        self._run_forward_hook(hook_id, hook, args, kwargs, None)
                    except Exception:  # noqa: S110  (PyTorch also keeps the first error)
                        pass
            raise
        for hook_id, hook in list(self._forward_hooks.items()):
            result = self._run_forward_hook(hook_id, hook, args, kwargs, output)
            if result is not None:
                output = result
        return output if backward is None else backward.setup_outputs(output)

    def _run_forward_hook(self, hook_id: int, hook: Callable, args: tuple, kwargs: dict,
                          output: Any) -> Any:
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, output)
        return hook(self, args, output)

    # ------------------------------------------------------------------ printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's line; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
