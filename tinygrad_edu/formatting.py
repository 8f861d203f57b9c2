"""PyTorch-style printing: `tensor([[1., 2.]], requires_grad=True)`.

Floats print with 4 decimals (`0.1000`), as `1.` when every value is a whole number, and in
scientific notation when the values span more than 1000x or are very large or small.
"""

from typing import Any

import numpy as np

from tinygrad_edu import dtypes


def _float_formatter(values: np.ndarray) -> Any:
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        if finite.size and np.abs(finite).max() >= 1e8:
            return lambda v: f"{v:.4e}"
        return lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    magnitudes = np.abs(finite[finite != 0])
    if magnitudes.size and (magnitudes.max() / magnitudes.min() > 1000 or magnitudes.max() >= 1e8
                            or magnitudes.min() < 1e-4):
        return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}"


def _padded(format_one: Any, values: np.ndarray) -> Any:
    """Right-align every number to the widest one, as PyTorch does."""
    shown = values.reshape(-1)
    if shown.size > 1000:  # summarised: only the edges are printed
        shown = np.concatenate([shown[:3], shown[-3:]])
    if shown.dtype.kind == "f":
        # PyTorch sizes columns by the finite non-zero values only: -0., nan, inf stick out
        shown = shown[np.isfinite(shown) & (shown != 0)]
    width = max((len(format_one(v)) for v in shown), default=0)
    return lambda v: format_one(v).rjust(width)


def tensor_repr(tensor: Any) -> str:
    values = tensor._storage.backend.to_numpy(tensor._strided())
    suffixes = []
    if tensor.is_cuda:
        suffixes.append(f"device='{tensor.device}'")
    if values.size == 0:
        body = "[]"
        if values.shape != (0,):
            suffixes.insert(0, f"size={tuple(values.shape)}")
    else:
        if tensor.dtype.is_floating_point:
            formatter = {"float_kind": _padded(_float_formatter(values.astype(np.float64)),
                                               values)}
        elif tensor.dtype is dtypes.bool_:
            formatter = {"bool": _padded(lambda v: "True" if v else "False", values)}
        else:
            formatter = {"int": _padded(str, values)}
        body = np.array2string(values, separator=", ", formatter=formatter, prefix="tensor(",
                               threshold=1000, edgeitems=3, max_line_width=79)
    implied = (dtypes.get_default_dtype(),) if values.size == 0 else (
        dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_)  # what tensor([...]) infers
    if tensor.dtype not in implied:  # (an empty int64 or bool tensor shows its dtype)
        suffixes.append(f"dtype={tensor.dtype}")
    if tensor.grad_fn is not None:
        # PyTorch prints the last part of a qualified name: torch::autograd::CopySlices
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name().rsplit('::', 1)[-1]}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + suffixes) + ")"
