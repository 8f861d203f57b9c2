"""tinygrad_edu.testing (PyTorch: torch.testing): assert_close, the test suite's comparison.

    assert_close(actual, expected)  passes when, element by element,
        |actual - expected| <= atol + rtol * |expected|
    (nan == nan only with equal_nan=True; inf == inf when the signs agree), after checking
    that the shapes agree and, by default, the dtypes and devices. The default tolerances
    depend on the dtype, as PyTorch's do:

        dtype               rtol      atol
        float16             1e-3      1e-5
        bfloat16            1.6e-2    1e-5
        float32             1.3e-6    1e-5
        float64             1e-7      1e-7
        integers and bool   0         0      (exact)

A failure raises AssertionError in PyTorch's words ("Tensor-likes are not close!", the number
of mismatched elements, the greatest absolute and relative differences and where they are).
Sequences and mappings are compared item by item (the message says which item failed);
Python numbers are compared as numbers, with float64's tolerances for floats.
PyTorch: dtypes and sizes print as `tinygrad_edu.float32`, `tinygrad_edu.Size([2])` here;
`check_layout` and `check_stride` are accepted (every tensor here is strided; strides are
compared when check_stride=True).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["assert_close"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5),
               "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False,
                 msg: str | None = None) -> None:
    """Raise AssertionError unless actual and expected are close (see the module docstring)."""
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, "
                         f"but got no {missing}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, options)
    except _Mismatch as error:
        text = error.args[0]
        if error.path:
            text += "\n\nThe failure occurred for item " + "".join(reversed(error.path))
        raise AssertionError(msg if msg is not None else text) from None


class _Mismatch(Exception):
    """A failed comparison; `path` collects the item keys on the way out ([1]['a'])."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.path: list = []


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "_shape") and hasattr(value, "grad_fn")


def _compare(actual: Any, expected: Any, options: dict) -> None:
    if _is_tensor(actual) and _is_tensor(expected):
        return _compare_tensors(actual, expected, options)
    if isinstance(actual, (bool, int, float)) and isinstance(expected, (bool, int, float)) \
            and not _is_tensor(actual):
        return _compare_numbers(actual, expected, options)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise _Mismatch("The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: "
                            f"{sorted(set(expected) - set(actual), key=repr)}\n"
                            f"Additional keys in the actual mapping: "
                            f"{sorted(set(actual) - set(expected), key=repr)}")
        for key in expected:
            _compare_item(actual[key], expected[key], options, key)
        return None
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: "
                            f"{len(actual)} != {len(expected)}")
        for index, (a, e) in enumerate(zip(actual, expected)):
            _compare_item(a, e, options, index)
        return None
    raise TypeError("No comparison pair was able to handle inputs of type "
                    f"{type(actual)} and {type(expected)}.")


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _compare_item(actual: Any, expected: Any, options: dict, key: Any) -> None:
    try:
        _compare(actual, expected, options)
    except _Mismatch as error:
        error.path.append(f"[{key!r}]")
        raise


def _compare_numbers(actual: Any, expected: Any, options: dict) -> None:
    if options["check_dtype"] and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    if isinstance(actual, bool) and isinstance(expected, bool):
        if actual != expected:
            raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}")
        return
    exact = isinstance(actual, int) and isinstance(expected, int)
    rtol, atol = (0.0, 0.0) if exact else _TOLERANCES["float64"]
    if options["rtol"] is not None:
        rtol, atol = options["rtol"], options["atol"]
    a, e = np.float64(actual), np.float64(expected)
    if _close(np.array([a]), np.array([e]), rtol, atol, options["equal_nan"]).all():
        return
    difference = abs(a - e)
    relative = difference / abs(e) if e != 0 else (np.inf if difference else 0.0)
    if exact:
        raise _Mismatch(f"Scalars are not equal!\n\nExpected {expected} but got {actual}.\n"
                        f"Absolute difference: {builtins.int(difference)}\n"
                        f"Relative difference: {builtins.float(relative)}")
    raise _Mismatch(f"Scalars are not close!\n\nExpected {expected} but got {actual}.\n"
                    f"Absolute difference: {builtins.float(difference)} "
                    f"(up to {atol} allowed)\n"
                    f"Relative difference: {builtins.float(relative)} (up to {rtol} allowed)")


def _close(a: np.ndarray, e: np.ndarray, rtol: float, atol: float,
           equal_nan: bool) -> np.ndarray:
    """The element-wise test: |a - e| <= atol + rtol |e|; equal values (infs) always pass."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = (a == e) | (np.abs(a - e) <= atol + rtol * np.abs(e))
    if equal_nan:
        close |= np.isnan(a) & np.isnan(e)
    return close


def _compare_tensors(actual: Any, expected: Any, options: dict) -> None:
    if actual.shape != expected.shape:
        raise _Mismatch(f"The values for attribute 'shape' do not match: "
                        f"{actual.shape!r} != {expected.shape!r}.")
    if options["check_device"] and str(actual.device) != str(expected.device):
        raise _Mismatch(f"The values for attribute 'device' do not match: "
                        f"{actual.device} != {expected.device}.")
    if options["check_dtype"] and actual.dtype != expected.dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: "
                        f"{actual.dtype} != {expected.dtype}.")
    if options["check_stride"] and actual.stride() != expected.stride():
        raise _Mismatch(f"The values for attribute 'stride()' do not match: "
                        f"{actual.stride()} != {expected.stride()}.")
    a = actual.detach().cpu().numpy()
    e = expected.detach().cpu().numpy()
    name = _wider_name(a.dtype, e.dtype)
    if name in _TOLERANCES or name == "bfloat16":
        rtol, atol = _TOLERANCES.get(name, _TOLERANCES["float32"])
        compute = a.dtype if name in ("float16", "float64") else np.float32
        exact = False
    else:  # integers and bool: exact, differences in int64 / float32 as PyTorch shows them
        rtol, atol, compute, exact = 0.0, 0.0, np.float32, True
    if options["rtol"] is not None:
        rtol, atol = options["rtol"], options["atol"]
    common = np.promote_types(a.dtype, e.dtype)
    if common == np.bool_:
        common = np.int64
    a, e = a.astype(common), e.astype(common)
    close = _close(a, e, rtol, atol, options["equal_nan"])
    if close.all():
        return
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        difference = np.abs(a - e).astype(compute if not exact else np.int64)
        relative = difference.astype(compute) / np.abs(e).astype(compute)
    kind = "equal" if exact else "close"
    if a.ndim == 0:
        raise _Mismatch(_scalar_message(a, e, difference, relative, kind, rtol, atol))
    mismatched = int((~close).sum())
    lines = [f"Tensor-likes are not {kind}!", "",
             f"Mismatched elements: {mismatched} / {close.size} "
             f"({100 * mismatched / close.size:.1f}%)"]
    for label, values, tolerance in (("absolute", difference, atol),
                                     ("relative", relative, rtol)):
        flat = int(np.argmax(values.reshape(-1)))  # a nan counts as the greatest
        worst = values.reshape(-1)[flat].item()
        at = tuple(int(i) for i in np.unravel_index(flat, values.shape))
        allowed = "" if exact else f" (up to {tolerance} allowed)"
        lines.append(f"Greatest {label} difference: {worst} at index {at}{allowed}")
    raise _Mismatch("\n".join(lines))


def _scalar_message(a: np.ndarray, e: np.ndarray, difference: np.ndarray,
                    relative: np.ndarray, kind: str, rtol: float, atol: float) -> str:
    """A 0-d tensor reads like a number: 'Expected 2.0 but got 1.0.'"""
    lines = [f"Scalars are not {kind}!", "", f"Expected {e.item()} but got {a.item()}."]
    suffixes = ("", "") if kind == "equal" else (f" (up to {atol} allowed)",
                                                 f" (up to {rtol} allowed)")
    lines.append(f"Absolute difference: {difference.item()}{suffixes[0]}")
    lines.append(f"Relative difference: {relative.item()}{suffixes[1]}")
    return "\n".join(lines)


def _wider_name(a: np.dtype, b: np.dtype) -> str:
    """The name of the dtype whose tolerances apply: the less precise float of the two."""
    floats = [d.name for d in (a, b) if d.kind == "f"]
    if not floats:
        return "int"
    order = ["float16", "bfloat16", "float32", "float64"]
    return min(floats, key=lambda n: order.index(n) if n in order else 2)
