"""tinygrad_edu.jit (PyTorch: torch.jit): trace a function once, then replay the trace.

    traced = tinygrad_edu.jit.trace(model, torch.randn(8, 4))   # runs model once, recording
    traced(x)                                                    # replays the recorded ops

`trace` is built on `tinygrad_edu.compile(..., backend="eager")` (compiler/api.py): the
example run is recorded by `tracing.record`, and later calls with inputs of the same
shape, dtype and device replay those ops without running the Python code again. What a trace
cannot hold, it warns about with a `TracerWarning`, as torch.jit.trace does: a branch on a
tensor's value (`if x.sum() > 0:`), `.item()`, a random draw, an in-place write into a traced
tensor. Those inputs then run the Python function itself (correct results, no replay).

With check_trace=True (the default) the trace is replayed once on the example inputs and
compared with the Python function's result; a difference is a TracerWarning too.

Differences from torch.jit, on purpose:
- PyTorch's trace is one graph that replays for any input shape, with the example's shapes
  frozen where Python read them; here inputs of a new shape are traced again (as torch.compile
  does), so a shape-dependent `if` is right for every shape.
- `script` compiles nothing: there is no TorchScript compiler here (no type-annotated Python
  subset, no `.code`, no `save` of a program). `script(obj)` returns obj unchanged, so code
  written for torch.jit.script still runs, as plain Python.
- `ignore`, `unused` and `export` only steer TorchScript's compiler in PyTorch; with none here
  they are identity decorators.
- a traced module keeps the original's state_dict keys and parameters (they are the
  original's); there is no `.graph` or `.code`: `traced.explain()` shows what was recorded.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_edu.compiler.api import CompiledFunction, OptimizedModule
from tinygrad_edu.nn import Module
from tinygrad_edu.tensor import Tensor

__all__ = ["TracedModule", "TracerWarning", "export", "ignore", "script", "trace", "unused"]

_SETTINGS = {"fullgraph": False, "dynamic": None, "backend": "eager", "mode": None,
             "options": {}}


class TracerWarning(UserWarning):
    """Something in the traced code that a replayed trace would get wrong (PyTorch's name)."""


class TracedModule(OptimizedModule):
    """What `trace(module, ...)` returns: a Module whose call replays the trace of the
    original's call. Parameters, buffers and state_dict keys are the original module's."""

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod.state_dict(*args, **kwargs)

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod.load_state_dict(*args, **kwargs)


def trace(func: Any, example_inputs: Any = None, *, check_trace: bool = True,
          strict: bool = True, example_kwarg_inputs: dict | None = None,
          **ignored: Any) -> Any:
    """Run `func` (a function or an nn.Module) on `example_inputs` (a tensor or a tuple of
    them) while recording its ops; return a callable (a `TracedModule` for a module) that
    replays them. Trace problems warn as TracerWarning (see the module docstring).
    strict and other torch.jit.trace keywords are accepted and change nothing."""
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("torch.jit.trace: example_inputs or example_kwarg_inputs must be "
                           "given")
    if isinstance(example_inputs, Tensor):
        example_inputs = (example_inputs,)
    args = tuple(example_inputs or ())
    kwargs = dict(example_kwarg_inputs or {})
    if isinstance(func, Module):
        traced: Any = TracedModule(func, dict(_SETTINGS))
        compiled = _TracedFunction(func.__call__, dict(_SETTINGS), (func,))
        compiled.__name__ = type(func).__name__
        object.__setattr__(traced, "_compiled", compiled)
        eager = func
    elif callable(func):
        traced = compiled = _TracedFunction(func, dict(_SETTINGS))
        eager = func
    else:
        raise TypeError(f"torch.jit.trace expects a function or an nn.Module, got "
                        f"{type(func).__name__}")
    compiled(*args, **kwargs)  # the recording run; a problem warns in _break
    if check_trace and all(graph.program is not None for graph in compiled.graphs.values()):
        _check(compiled, eager, args, kwargs)
    return traced


class _TracedFunction(CompiledFunction):
    """compile's CompiledFunction whose graph breaks warn as TracerWarning."""

    def _break(self, problem: str, once: bool = False) -> None:
        if once and getattr(self, "_warned", None) == problem:
            return
        self._warned = problem
        warnings.warn(TracerWarning(
            f"torch.jit.trace({self.__name__}): the trace cannot be replayed: {problem}. "
            "Calls with these inputs run the Python function instead."), stacklevel=4)


def _flat_tensors(value: Any) -> list:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _flat_tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _flat_tensors(item)]
    return []


def _check(compiled: CompiledFunction, eager: Callable, args: tuple, kwargs: dict) -> None:
    """Replay once and compare with the Python function (PyTorch's check_trace)."""
    replayed = _flat_tensors(compiled(*args, **kwargs))
    expected = _flat_tensors(eager(*args, **kwargs))
    for number, (got, want) in enumerate(zip(replayed, expected), start=1):
        a = got.detach().cpu().numpy()
        b = want.detach().cpu().numpy()
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-5, atol=1e-5, equal_nan=True):
            warnings.warn(TracerWarning(
                f"Output nr {number}. of the traced function does not match the "
                "corresponding output of the Python function."), stacklevel=3)


def script(obj: Any, *args: Any, **kwargs: Any) -> Any:
    """Return obj unchanged. PyTorch compiles obj's Python source to TorchScript; there is no
    TorchScript compiler here, so the "scripted" object is the Python one, and runs as it.
    (For a recorded, replayable program use `trace` or `tinygrad_edu.compile`.)"""
    return obj


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Identity decorator, bare (`@ignore`) or called (`@ignore(drop=True)`). PyTorch: tells
    TorchScript to leave the function as Python; with no TorchScript here it changes nothing."""
    if callable(drop):
        return drop
    return lambda function: function


def unused(function: Callable) -> Callable:
    """Identity decorator. PyTorch: TorchScript replaces the body by a raise; here nothing."""
    return function


def export(function: Callable) -> Callable:
    """Identity decorator. PyTorch: TorchScript compiles this method too; here nothing."""
    return function
