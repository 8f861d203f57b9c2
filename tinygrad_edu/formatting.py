"""PyTorch-style printing: `tensor([[1., 2.]], requires_grad=True)`, PyTorch's rules.

One format for all the numbers of a tensor, chosen from its finite non-zero values:
- floats that are all whole numbers print as `2.`; otherwise with 4 decimals, `0.1000`;
- scientific notation, `1.0000e+03`, when the largest magnitude is over 1000x the smallest,
  or over 1e8, or (not whole numbers) under 1e-4;
- every number is right-aligned to the widest one (of the values that are printed).

Layout: rows of numbers separated by ", ", wrapped so a line holds
(80 - indent) // (width + 2) of them; a tensor of more than 1000 elements is summarised,
showing the first and last 3 along each dim around "...".
"""

import math
from typing import Any

import numpy as np

from tinygrad_edu import dtypes

LINE_WIDTH = 80  # PyTorch's print options: linewidth, threshold, edgeitems, precision
THRESHOLD = 1000
EDGE_ITEMS = 3
PRECISION = 4


def _summarized(values: np.ndarray) -> np.ndarray:
    """The values that a summarised print shows: the first and last EDGE_ITEMS of each dim."""
    if values.ndim == 0:
        return values.reshape(1)
    if values.shape[0] > 2 * EDGE_ITEMS:
        parts = [values[:EDGE_ITEMS], values[-EDGE_ITEMS:]]
    else:
        parts = [values]
    return np.concatenate([_summarized(row).reshape(-1) for part in parts for row in part]) \
        if values.ndim > 1 else np.concatenate(parts)


def _float_format(values: np.ndarray) -> Any:
    """value -> text, from the finite non-zero values (module docstring)."""
    finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
    if finite.size == 0:  # zeros, nan, inf only: whole-number style, as PyTorch
        return lambda v: f"{v:.0f}." if math.isfinite(v) else f"{v}"
    magnitudes = np.abs(finite)
    largest, smallest = magnitudes.max(), magnitudes.min()
    whole = bool(np.all(finite == np.ceil(finite)))
    scientific = largest / smallest > 1000.0 or largest > 1.0e8 or (
        not whole and smallest < 1.0e-4)
    if scientific:
        return lambda v: f"{v:.{PRECISION}e}"
    if whole:
        return lambda v: f"{v:.0f}." if math.isfinite(v) else f"{v}"
    return lambda v: f"{v:.{PRECISION}f}"


def _formatter(values: np.ndarray, dtype: dtypes.dtype, summarize: bool) -> tuple:
    """(value -> right-aligned text, the width) for every number of the tensor."""
    shown = _summarized(values) if summarize else values.reshape(-1)
    if dtype.is_floating_point:
        text = _float_format(shown)
        # the width comes from the finite non-zero values: -0., nan and inf may stick out
        sized = shown[np.isfinite(shown) & (shown != 0)]
    elif dtype is dtypes.bool_:
        def text(v: Any) -> str:
            return "True" if v else "False"
        sized = shown
    else:
        text, sized = str, shown
    width = max((len(text(v)) for v in sized.tolist()), default=0)
    return (lambda v: text(v).rjust(width)), width


def _vector(values: np.ndarray, indent: int, summarize: bool, fmt: Any, width: int) -> str:
    per_line = max(1, (LINE_WIDTH - indent) // (width + 2))
    if summarize and values.shape[0] > 2 * EDGE_ITEMS:
        items = ([fmt(v) for v in values[:EDGE_ITEMS].tolist()] + [" ..."]
                 + [fmt(v) for v in values[-EDGE_ITEMS:].tolist()])
    else:
        items = [fmt(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarize: bool, fmt: Any, width: int) -> str:
    """[[...], [...]]: the rows of each dim one more space in, blank lines between blocks."""
    if values.ndim == 1:
        return _vector(values, indent, summarize, fmt, width)
    rows = range(values.shape[0])
    if summarize and values.shape[0] > 2 * EDGE_ITEMS:
        rows = [*range(EDGE_ITEMS), None, *range(values.shape[0] - EDGE_ITEMS, values.shape[0])]
    parts = ["..." if i is None else _nested(values[i], indent + 1, summarize, fmt, width)
             for i in rows]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(tensor: Any) -> str:
    values = tensor._storage.backend.to_numpy(tensor._strided())
    suffixes = []
    if tensor.is_cuda:
        suffixes.append(f"device='{tensor.device}'")
    prefix = "tensor("
    if values.size == 0:
        body = "[]"
        if values.shape != (0,):
            suffixes.insert(0, f"size={tuple(values.shape)}")
    else:
        summarize = values.size > THRESHOLD
        fmt, width = _formatter(values, tensor.dtype, summarize)
        body = fmt(values.item()) if values.ndim == 0 else _nested(
            values, len(prefix), summarize, fmt, width)
    implied = (dtypes.get_default_dtype(),) if values.size == 0 else (
        dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_)  # what tensor([...]) infers
    if tensor.dtype not in implied:  # (an empty int64 or bool tensor shows its dtype)
        suffixes.append(f"dtype={tensor.dtype}")
    if tensor.grad_fn is not None:
        # PyTorch prints the last part of a qualified name: torch::autograd::CopySlices
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name().rsplit('::', 1)[-1]}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, len(prefix)) + ")"


def _with_suffixes(body: str, suffixes: list, indent: int) -> str:
    """tensor(body, dtype=..., grad_fn=...: a suffix that would pass the line width goes on a line
    of its own, indented (PyTorch's rule)."""
    parts = [body]
    line_length = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > LINE_WIDTH:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts)
