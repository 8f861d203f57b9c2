"""Parametrizations (PyTorch: torch.nn.utils.parametrize): a tensor computed from others.

`register_parametrization(layer, "weight", Symmetric())` makes `layer.weight` a property:
every read computes `Symmetric()(original)`, where `original` is the learned parameter,
now kept at `layer.parametrizations.weight.original`. So the optimiser updates `original`
and the layer always sees a symmetric weight. How it is done, as in PyTorch:

- the module's class is swapped for a subclass made on the fly, `ParametrizedLinear`, that
  holds a property per parametrized name (a property must live on the class, and changing
  Linear itself would change every Linear);
- `layer.parametrizations` is a ModuleDict of `ParametrizationList`s: the chain of
  parametrizations (applied in order) plus the originals;
- a parametrization with `right_inverse(w)` says which original gives w: it is used to turn
  the current weight into the original(s) at registration, and by `layer.weight = w`. When it
  returns a tuple, the originals are `original0`, `original1`, ... and forward takes them all
  (that is how parametrizations.weight_norm keeps g and v).

`cached()` computes each parametrized tensor once inside the block instead of at every read
(useful when a weight is read many times, as in an RNN step loop).
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from tinygrad_edu.autograd import no_grad
from tinygrad_edu.nn.modules.container import ModuleDict, ModuleList
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import Tensor

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized",
           "cached", "ParametrizationList", "type_before_parametrizations"]

_cache_depth = 0
_cache: dict = {}  # (id(module), name) -> the tensor computed once inside cached()


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Inside the block, a parametrized tensor is computed at its first read and reused."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and its original(s)."""

    def __init__(self, modules: list, original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        with no_grad():
            new = first.right_inverse(original) if hasattr(first, "right_inverse") \
                else original
        self.is_tensor = isinstance(new, Tensor)
        keep = Parameter if isinstance(original, Parameter) else None
        if self.is_tensor:
            if new is not original:  # keep the tensor object (an optimiser may hold it)
                with no_grad():
                    if tuple(new.shape) == tuple(original.shape):
                        original.copy_(new)
                        new = original
            self._register("original", new, keep, original.requires_grad)
        else:
            self.ntensors = len(new)
            for index, tensor in enumerate(new):
                self._register(f"original{index}", tensor, keep, original.requires_grad)

    def _register(self, name: str, tensor: Tensor, keep: Any, requires_grad: bool) -> None:
        if keep is Parameter:
            if not isinstance(tensor, Parameter):
                tensor = Parameter(tensor.detach(), requires_grad)
            self.register_parameter(name, tensor)
        else:
            self.register_buffer(name, tensor)

    def originals(self) -> tuple:
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def forward(self) -> Tensor:
        """parametrization_n(... parametrization_0(*originals))."""
        modules = list(self._modules.values())
        value = modules[0](*self.originals())
        for module in modules[1:]:
            value = module(value)
        return value

    def right_inverse(self, value: Tensor) -> None:
        """Set the originals so that forward() gives `value` (`module.weight = value`)."""
        with no_grad():
            for module in reversed(list(self._modules.values())):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       "implement right_inverse.")
                value = module.right_inverse(value)
            values = (value,) if self.is_tensor else tuple(value)
            for original, new in zip(self.originals(), values):
                original.copy_(new)


def _property(name: str) -> property:
    def get(module: Module) -> Tensor:
        parametrization = module.parametrizations[name]
        if not _cache_depth:
            return parametrization()
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set(module: Module, value: Tensor) -> None:  # noqa: A001
        module.parametrizations[name].right_inverse(value)

    return property(get, set)


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """True if module has a parametrization (on `tensor_name`, when given)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return tensor_name is None or tensor_name in parametrizations._modules


def type_before_parametrizations(module: Module) -> type:
    """The module's class before register_parametrization swapped it (Linear, not
    ParametrizedLinear)."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def _check(module: Module, name: str, original_shape: tuple, original_dtype: Any) -> None:
    value = getattr(module, name)
    if not isinstance(value, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
    if tuple(value.shape) != original_shape or value.dtype != original_dtype:
        raise ValueError("Registering a parametrization may not change the shape or dtype of "
                         "the tensor, unless the `unsafe` flag is enabled.\n"
                         f"unparametrized shape: {original_shape}, dtype: {original_dtype}\n"
                         f"parametrized shape: {tuple(value.shape)}, dtype: {value.dtype}")


def register_parametrization(module: Module, tensor_name: str, parametrization: Module,
                             *, unsafe: bool = False) -> Module:
    """Make module.<tensor_name> = parametrization(original), original learned; returns
    module. A second registration on the same name chains after the first."""
    if is_parametrized(module, tensor_name):
        chain = module.parametrizations[tensor_name]
        original_shape = tuple(getattr(module, tensor_name).shape)
        original_dtype = getattr(module, tensor_name).dtype
        chain.append(parametrization)
        if not unsafe:
            _check(module, tensor_name, original_shape, original_dtype)
        return module
    if tensor_name in module._parameters:
        original = module._parameters[tensor_name]
    elif tensor_name in module._buffers:
        original = module._buffers[tensor_name]
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    chain = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        cls = type(module)
        subclass = type("Parametrized" + cls.__name__, (cls,), {})
        module.__class__ = subclass
        module.parametrizations = ModuleDict()
    setattr(type(module), tensor_name, _property(tensor_name))
    module.parametrizations[tensor_name] = chain
    if not unsafe:
        try:
            _check(module, tensor_name, tuple(original.shape), original.dtype)
        except ValueError:
            remove_parametrizations(module, tensor_name, leave_parametrized=False)
            raise
    return module


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo register_parametrization on tensor_name: the tensor becomes a plain parameter (or
    buffer) again, holding the parametrized value (leave_parametrized) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
                if tuple(value.shape) == tuple(original.shape) and value.dtype == original.dtype:
                    original.copy_(value)
                else:
                    original = type(original)(value.detach()) if isinstance(
                        original, Parameter) else value.detach()
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            value = getattr(module, tensor_name)
        requires_grad = chain.originals()[0].requires_grad
        original = Parameter(value.detach(), requires_grad) \
            if isinstance(chain.originals()[0], Parameter) else value.detach()
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not len(module.parametrizations):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module
