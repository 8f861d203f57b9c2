"""Weight normalisation, PyTorch's legacy hook-based API (torch.nn.utils.weight_norm).

Salimans & Kingma (2016) write a weight as a direction times a length,

    w = g * v / ||v||        (the norm over every dim but `dim`: one length per output row)

and learn g and v instead of w: the length and the direction get separate gradients, which
often speeds up training. `weight_norm(layer)` replaces the parameter `weight` by two
parameters, `weight_g` (shape (out, 1, ...)) and `weight_v` (weight's shape), and makes
`weight` a plain tensor recomputed from them by a forward pre-hook before every call, so
that the graph of each forward runs through g and v. `dim=None` (or -1, as in PyTorch)
uses one norm over the whole tensor. PyTorch deprecates this API in favour of
nn.utils.parametrizations.weight_norm (same maths, written with parametrize) and warns.
"""

import warnings
from typing import Any

from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import Tensor

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim", "WeightNorm"]


def norm_except_dim(v: Tensor, pow: int = 2, dim: int | None = 0) -> Tensor:  # noqa: A002
    """||v|| over every dim but `dim`, keeping dims: shape (v.shape[dim], 1, ...) for dim=0;
    dim None or -1: the norm of the whole tensor, shape ()."""
    if dim is None or dim == -1:
        return v.abs().pow(pow).sum().pow(1.0 / pow)
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:
        return v.abs()
    return v.abs().pow(pow).sum(others, keepdim=True).pow(1.0 / pow)


def _weight_norm(v: Tensor, g: Tensor, dim: int | None) -> Tensor:
    """w = v * (g / ||v||), the norm taken as in norm_except_dim."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook: before each forward, module.<name> = g * v / ||v||."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Any) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Any, name: str, dim: int | None) -> "WeightNorm":
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if not isinstance(weight, Parameter):
            raise TypeError(f"weight_norm: module.{name} is not an nn.Parameter")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2,
                                                                         fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        # a plain attribute, not a parameter: it is a function of g and v
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Any) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Any, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Any, name: str = "weight", dim: int | None = 0) -> Any:
    """Reparametrise module.<name> as <name>_g * <name>_v / ||<name>_v||; returns module."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                  stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Any, name: str = "weight") -> Any:
    """Undo weight_norm: module.<name> is one parameter again, of the current value."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
