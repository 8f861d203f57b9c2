"""Pruning: zero out part of a parameter with a mask (torch.nn.utils.prune).

Pruning `module.weight` reparametrises it, as PyTorch does:

    weight_orig   the parameter (learnable; the optimizer still sees every entry)
    weight_mask   a buffer of 0s and 1s, the same shape (saved in the state_dict)
    weight        a plain tensor, weight_orig * weight_mask, recomputed by a forward
                  pre-hook before each call, so gradients reach only the kept entries

A method decides the mask: at random, or by the smallest magnitudes (L1), per entry
("unstructured") or per whole slice along one dim ("structured", e.g. output channels).
`amount` is an int (how many entries or slices) or a float in [0, 1] (that fraction,
rounded). Pruning the same parameter again prunes only what is left: the methods go into
a PruningContainer, and each new one works on the entries (or slices) the old mask kept.
`remove` makes the pruning permanent: `weight` is one parameter again, zeros included.

Ties: where several entries have the same magnitude, the one with the lower flat index is
pruned first (a stable sort). PyTorch's topk leaves tie order unspecified, so on exact ties
our mask may differ from PyTorch's; with distinct magnitudes they agree.
"""

from typing import Any

import numpy as np

from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.nn.utils.prune_amounts import (
    _channel_norms,
    _compute_nparams_toprune,
    _like,
    _np,
    _rng_uniform,
    _smallest,
    _structured_mask,
    _validate_pruning_amount,
    _validate_pruning_amount_init,
    _validate_structured_pruning,
)
from tinygrad_edu.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


# ------------------------------------------------------------------ the method classes

class BasePruningMethod:
    """The base class: a forward pre-hook that sets module.<name> = <name>_orig * <name>_mask.

    A subclass sets PRUNING_TYPE ("unstructured", "structured" or "global") and writes
    compute_mask(t, default_mask): the new mask, given the tensor's importance scores t and
    the mask so far. apply(module, name, ...) installs it; remove(module) makes it permanent.
    """

    _tensor_name: str | None = None
    PRUNING_TYPE = "unstructured"

    def __call__(self, module: Any, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        raise TypeError(f"{type(self).__name__} must define compute_mask(t, default_mask)")

    def apply_mask(self, module: Any) -> Tensor:
        """<name>_orig * <name>_mask: differentiable in <name>_orig."""
        if self._tensor_name is None:
            raise RuntimeError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return orig * mask.to(dtype=orig.dtype)

    @classmethod
    def apply(cls, module: Any, name: str, *args: Any, importance_scores: Tensor | None = None,
              **kwargs: Any) -> "BasePruningMethod":
        """Prune module.<name> with cls(*args, **kwargs); returns the hook installed (a
        PruningContainer when <name> was pruned before)."""
        method: BasePruningMethod = cls(*args, **kwargs)
        method._tensor_name = name
        old = None
        for key, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = hook
                del module._forward_pre_hooks[key]
        if old is not None:
            container = old if isinstance(old, PruningContainer) else PruningContainer(old)
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name)
        if importance_scores is not None:
            if tuple(importance_scores.shape) != tuple(orig.shape):
                raise ValueError(f"importance_scores should have the same shape as parameter "
                                 f"{name} of {module}")
        else:
            importance_scores = orig
        if old is None:
            if not isinstance(orig, Parameter):
                raise TypeError(f"module.{name} is not an nn.Parameter")
            del module._parameters[name]
            module.register_parameter(name + "_orig", orig)
            default_mask = _like(np.ones(tuple(orig.shape)), orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        mask = method.compute_mask(importance_scores, default_mask=default_mask)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """t times the mask this method computes (no module involved)."""
        scores = t if importance_scores is None else importance_scores
        if default_mask is None:
            default_mask = _like(np.ones(tuple(t.shape)), t)
        return t * self.compute_mask(scores, default_mask=default_mask)

    def remove(self, module: Any) -> None:
        """Make the pruning permanent: <name> becomes the parameter <name>_orig, now holding
        <name>_orig * <name>_mask; <name>_orig and <name>_mask go away."""
        if self._tensor_name is None:
            raise RuntimeError(f"Module {module} has to be pruned before pruning can be removed")
        name = self._tensor_name
        weight = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        orig = module._parameters[name + "_orig"]
        orig.data = weight.detach()
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied, in order, to one parameter. Its mask: the last method's
    mask, computed on only what the earlier masks kept (entries, or whole slices)."""

    def __init__(self, *args: Any) -> None:
        self._pruning_methods: tuple = ()
        if len(args) == 1 and not isinstance(args[0], (tuple, list)):
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            methods = args[0] if len(args) == 1 else args
            for method in methods:
                self.add_pruning_method(method)

    def add_pruning_method(self, method: Any) -> None:
        if method is not None and not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Any:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: int) -> BasePruningMethod:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        method = self._pruning_methods[-1]
        values, mask = _np(t), _np(default_mask)
        new_mask = mask.copy()
        if method.PRUNING_TYPE == "global":                  # the whole tensor at once
            new_mask = _np(method.compute_mask(t, default_mask))
        elif method.PRUNING_TYPE == "unstructured":
            keep = mask == 1                                 # only the entries still alive
            sub = method.compute_mask(_like(values[keep], t), _like(mask[keep], default_mask))
            new_mask[keep] = _np(sub)
        elif method.PRUNING_TYPE == "structured":
            dim = method.dim % values.ndim
            others = tuple(d for d in range(values.ndim) if d != dim)
            alive = np.nonzero(mask.sum(axis=others) != 0)[0]   # the channels still alive
            sub = method.compute_mask(_like(np.take(values, alive, axis=dim), t),
                                      _like(np.take(mask, alive, axis=dim), default_mask))
            index = [slice(None)] * values.ndim
            index[dim] = alive
            new_mask[tuple(index)] = _np(sub)
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        return _like(new_mask, default_mask)


class Identity(BasePruningMethod):
    """Prunes nothing: the mask of ones (handy to reparametrise without pruning)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Any, name: str) -> BasePruningMethod:  # type: ignore[override]
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prune `amount` entries chosen uniformly at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: Any) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = int(np.prod(t.shape))
        _validate_pruning_amount(self.amount, size)
        k = _compute_nparams_toprune(self.amount, size)
        mask = _np(default_mask).reshape(-1)
        if k:
            mask[np.argsort(-_rng_uniform(size), kind="stable")[:k]] = 0
        return _like(mask.reshape(tuple(t.shape)), default_mask)

    @classmethod
    def apply(cls, module: Any, name: str, amount: Any) -> BasePruningMethod:  # type: ignore
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune the `amount` entries of smallest absolute value (the L1 norm of one number)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: Any) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = int(np.prod(t.shape))
        _validate_pruning_amount(self.amount, size)
        k = _compute_nparams_toprune(self.amount, size)
        mask = _np(default_mask).reshape(-1)
        if k:
            mask[_smallest(np.abs(_np(t).reshape(-1)), k)] = 0
        return _like(mask.reshape(tuple(t.shape)), default_mask)

    @classmethod
    def apply(cls, module: Any, name: str, amount: Any,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prune `amount` whole slices along `dim` (e.g. dim=0: output channels) at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: Any, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _validate_structured_pruning(t)
        size = t.shape[self.dim]
        _validate_pruning_amount(self.amount, size)
        k = _compute_nparams_toprune(self.amount, size)
        if k == 0:
            return default_mask
        keep = np.argsort(-_rng_uniform(size), kind="stable")[:size - k]
        return _structured_mask(keep, self.dim, t, default_mask)

    @classmethod
    def apply(cls, module: Any, name: str, amount: Any,  # type: ignore[override]
              dim: int = -1) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prune the `amount` slices along `dim` of smallest n-norm (n: int, float, inf, -inf,
    "fro")."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: Any, n: Any, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _validate_structured_pruning(t)
        size = t.shape[self.dim]
        _validate_pruning_amount(self.amount, size)
        k = _compute_nparams_toprune(self.amount, size)
        if k == 0:
            return default_mask
        norms = _channel_norms(_np(t).astype(np.float64), self.n, self.dim % t.ndim)
        keep = _smallest(norms, size)[k:]        # drop the k smallest, keep the rest
        return _structured_mask(keep, self.dim, t, default_mask)

    @classmethod
    def apply(cls, module: Any, name: str, amount: Any, n: Any,  # type: ignore[override]
              dim: int, importance_scores: Tensor | None = None) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune with a mask you give (multiplied into the mask so far)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"mask of shape {tuple(self.mask.shape)} does not match the "
                             f"parameter's shape {tuple(default_mask.shape)}")
        return _like(_np(default_mask) * _np(self.mask), default_mask)

    @classmethod
    def apply(cls, module: Any, name: str, mask: Tensor) -> BasePruningMethod:  # type: ignore
        return super().apply(module, name, mask=mask)


# ------------------------------------------------------------------ the functions

def identity(module: Any, name: str) -> Any:
    """Reparametrise module.<name> with a mask of ones (prunes nothing); returns module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Any, name: str, amount: Any) -> Any:
    """Prune `amount` random entries of module.<name>; returns module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Any, name: str, amount: Any,
                    importance_scores: Tensor | None = None) -> Any:
    """Prune the `amount` entries of module.<name> of smallest |score| (default: |weight|)."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Any, name: str, amount: Any, dim: int) -> Any:
    """Prune `amount` random slices of module.<name> along dim; returns module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Any, name: str, amount: Any, n: Any, dim: int,
                  importance_scores: Tensor | None = None) -> Any:
    """Prune the `amount` slices along dim of smallest n-norm; returns module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Any, pruning_method: type, importance_scores: Any = None,
                        **kwargs: Any) -> None:
    """Prune several parameters as one: (module, name) pairs, scored together, so `amount`
    counts over all of them (the smallest weights anywhere go first)."""
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    scores, masks = [], []
    for module, name in parameters:
        value = importance_scores.get((module, name), getattr(module, name))
        scores.append(_np(value).reshape(-1))
        mask = getattr(module, name + "_mask", None)
        masks.append(np.ones(scores[-1].size) if mask is None else _np(mask).reshape(-1))
    like = getattr(parameters[0][0], parameters[0][1])
    container = PruningContainer()
    container._tensor_name = "temp"
    container.add_pruning_method(method)
    final = _np(container.compute_mask(_like(np.concatenate(scores), like),
                                       _like(np.concatenate(masks), like)))
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        size = int(np.prod(param.shape))
        piece = final[start:start + size].reshape(tuple(param.shape))
        custom_from_mask(module, name, mask=_like(piece, param))
        start += size


def custom_from_mask(module: Any, name: str, mask: Tensor) -> Any:
    """Prune module.<name> where mask is 0; returns module."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Any, name: str) -> Any:
    """Make the pruning of module.<name> permanent (see BasePruningMethod.remove)."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module: Any) -> bool:
    """True if module, or any submodule, has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules() for hook in sub._forward_pre_hooks.values())
