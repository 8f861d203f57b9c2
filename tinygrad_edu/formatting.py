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

# PyTorch's print options, changed by set_printoptions (below); sci_mode None = automatic
OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
DEFAULTS = dict(OPTIONS)


def set_printoptions(precision: int | None = None, threshold: int | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print (PyTorch's torch.set_printoptions): digits after the point, the
    element count above which a print is summarised, the edge items shown then, the line
    width, and sci_mode True/False to force scientific notation on or off (None: automatic).
    profile "default", "short" (2 digits) or "full" (never summarised) sets the first four."""
    if profile is not None:
        profiles = {"default": DEFAULTS, "short": {**DEFAULTS, "precision": 2, "edgeitems": 2},
                    "full": {**DEFAULTS, "threshold": 2**63 - 1}}
        if profile not in profiles:
            raise ValueError(f"profile must be 'default', 'short' or 'full', not {profile!r}")
        chosen = profiles[profile]
        for key in ("precision", "threshold", "edgeitems", "linewidth"):
            OPTIONS[key] = chosen[key]
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            OPTIONS[key] = value
    OPTIONS["sci_mode"] = sci_mode


def _summarized(values: np.ndarray) -> np.ndarray:
    """The values that a summarised print shows: the first and last edgeitems of each dim."""
    if values.ndim == 0:
        return values.reshape(1)
    edge = OPTIONS["edgeitems"]
    if values.shape[0] > 2 * edge:
        parts = [values[:edge], values[-edge:]]
    else:
        parts = [values]
    return np.concatenate([_summarized(row).reshape(-1) for part in parts for row in part]) \
        if values.ndim > 1 else np.concatenate(parts)


def _float_format(values: np.ndarray) -> Any:
    """value -> text, from the finite non-zero values (module docstring)."""
    precision, forced = OPTIONS["precision"], OPTIONS["sci_mode"]
    finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
    whole = bool(np.all(finite == np.ceil(finite)))
    if finite.size == 0:  # zeros, nan, inf only: whole-number style, as PyTorch
        scientific = False
    else:
        largest, smallest = np.abs(finite).max(), np.abs(finite).min()
        scientific = largest / smallest > 1000.0 or largest > 1.0e8 or (
            not whole and smallest < 1.0e-4)
    if forced is not None:
        scientific = forced
    if scientific:
        return lambda v: f"{v:.{precision}e}"
    if whole:
        return lambda v: f"{v:.0f}." if math.isfinite(v) else f"{v}"
    return lambda v: f"{v:.{precision}f}"


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
    per_line = max(1, (OPTIONS["linewidth"] - indent) // (width + 2))
    edge = OPTIONS["edgeitems"]
    if summarize and values.shape[0] > 2 * edge:
        items = ([fmt(v) for v in values[:edge].tolist()] + [" ..."]
                 + [fmt(v) for v in values[-edge:].tolist()])
    else:
        items = [fmt(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarize: bool, fmt: Any, width: int) -> str:
    """[[...], [...]]: the rows of each dim one more space in, blank lines between blocks."""
    if values.ndim == 1:
        return _vector(values, indent, summarize, fmt, width)
    rows: Any = range(values.shape[0])
    edge = OPTIONS["edgeitems"]
    if summarize and values.shape[0] > 2 * edge:
        rows = [*range(edge), None, *range(values.shape[0] - edge, values.shape[0])]
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
        summarize = values.size > OPTIONS["threshold"]
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
        if line_length + len(suffix) + 2 > OPTIONS["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts)
