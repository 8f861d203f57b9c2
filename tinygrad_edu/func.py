"""tinygrad_edu.func (PyTorch: torch.func): calling a module with other parameters.

`functional_call(model, {"weight": w}, (x,))` runs `model(x)` as if its `weight` were `w`:
the tensors are swapped into the module's registries for the call and the originals put
back afterwards, even when the call raises. Gradients flow to the tensors given (they are
used as they are, not copied), which is how meta-learning (MAML) and "the loss as a function
of the weights" are written. PyTorch's torch.func also holds vmap, grad and jacrev, which
need function transforms this library does not have.
"""

from collections.abc import Mapping
from typing import Any

__all__ = ["functional_call"]


def _registry_of(module: Any, name: str) -> dict | None:
    """The dict (_parameters or _buffers) that holds `name` on `module`, if any."""
    for registry in ("_parameters", "_buffers"):
        entries = module.__dict__.get(registry)
        if entries is not None and name in entries:
            return entries
    return None


def _split(module: Any, path: str) -> tuple:
    *owners, name = path.split(".")
    return module.get_submodule(".".join(owners)) if owners else module, name


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """module(*args, **kwargs) with the named parameters and buffers replaced for the call.

    `parameter_and_buffer_dicts`: one {dotted name: tensor} dict or a sequence of them (a
    name in two dicts is an error). `args`: a tensor or a tuple of arguments. With
    `tie_weights`, a parameter shared under two names (tied embeddings) is replaced under both
    when one is given. With `strict`, every parameter and buffer must be given, and no other.
    """
    if isinstance(parameter_and_buffer_dicts, Mapping):
        dicts = [parameter_and_buffer_dicts]
    else:
        dicts = list(parameter_and_buffer_dicts)
    replacements: dict = {}
    for entries in dicts:
        repeated = sorted(set(entries) & set(replacements))
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        replacements.update(entries)
    # every name of every parameter and buffer, ties included (remove_duplicate=False)
    named = list(module.named_parameters(remove_duplicate=False)) + \
        list(module.named_buffers(remove_duplicate=False))
    if tie_weights:
        by_tensor: dict = {}
        for name, tensor in named:
            by_tensor.setdefault(id(tensor), []).append(name)
        for names in by_tensor.values():
            given = [n for n in names if n in replacements]
            if given and any(replacements[n] is not replacements[given[0]] for n in given):
                raise ValueError(f"functional_call got multiple values for keys {given}, "
                                 "which are tied. Consider using tie_weights=False")
            for name in names:
                if given:
                    replacements.setdefault(name, replacements[given[0]])
    if strict:
        known = {name for name, _ in named}
        missing = sorted(known - set(replacements))
        unexpected = sorted(set(replacements) - known)
        if missing or unexpected:
            lines = [f"Error(s) in reparametrizing for {module._get_name()}:"]
            if unexpected:
                lines.append("\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected)
                             + ".")
            if missing:
                lines.append("\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError("\n".join(lines))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    restore: list = []  # (dict, name, original or _ABSENT), undone in reverse order
    try:
        for path, value in replacements.items():
            owner, name = _split(module, path)
            registry = _registry_of(owner, name)
            if registry is None and isinstance(getattr(type(owner), name, None), property):
                # PyTorch swaps the result of a parametrization; a property here would win
                # over the instance attribute, so the replacement would be silently ignored
                raise ValueError(f"functional_call: '{path}' is a parametrized tensor (nn.utils"
                                 ".parametrize), which tinygrad_edu cannot replace; replace "
                                 f"its originals ('parametrizations.{name}.original') instead")
            if registry is None:  # not a parameter or buffer: a plain attribute for the call
                registry = owner.__dict__
            restore.append((registry, name, registry.get(name, _ABSENT)))
            registry[name] = value
        return module(*args, **(kwargs or {}))
    finally:
        for registry, name, original in reversed(restore):
            if original is _ABSENT:
                del registry[name]
            else:
                registry[name] = original


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()

