"""NumPy's argument names where PyTorch takes them too: `axis=` for `dim=`, `keepdims=` for
`keepdim=`.

PyTorch's argument parser maps these two for every built-in function and Tensor method, so
code such as `P.sum(1, keepdims=True)` or `A.mean(axis=0)` runs there. Here, after the
Tensor class and the top-level functions are defined, `accept_numpy_names` wraps each one
that has a `dim` (or `keepdim`) parameter with a translation of its keyword arguments. The
functions themselves keep one name per argument, PyTorch's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def accept_numpy_names(function: Callable) -> Callable:
    """function, or a wrapper that renames axis= to dim= and keepdims= to keepdim=."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # no signature to read: leave it alone
        return function
    renames = {alias: name for alias, name in ALIASES.items()
               if name in parameters and alias not in parameters}
    if not renames:
        return function

    @functools.wraps(function)
    def with_numpy_names(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for alias, name in renames.items():
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{function.__name__}() got both {name}= and its "
                                        f"NumPy name {alias}=")
                    kwargs[name] = kwargs.pop(alias)
        return function(*args, **kwargs)

    return with_numpy_names


def add_to_class(cls: type) -> None:
    """Wrap every public method of cls (defined on cls itself) that has a dim parameter."""
    for name, value in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(value):
            wrapped = accept_numpy_names(value)
            if wrapped is not value:
                setattr(cls, name, wrapped)


def add_to_namespace(namespace: dict) -> None:
    """Wrap every public function in a module's namespace that has a dim parameter."""
    for name, value in list(namespace.items()):
        if not name.startswith("_") and inspect.isfunction(value):
            namespace[name] = accept_numpy_names(value)
