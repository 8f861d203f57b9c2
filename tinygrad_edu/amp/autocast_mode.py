"""autocast: run the ops that tolerate it in a lower precision, the rest in float32.

Mixed precision in one idea: a matrix product or a convolution is most of a network's work
and loses little in float16 (its sums are long, but every term is a product of two small
numbers), while a loss, a softmax or a norm sums many values of very different size and is
ruined by float16's 11-bit mantissa. So inside

    with tinygrad_edu.autocast(device_type="cuda", dtype=tinygrad_edu.float16):
        loss = loss_fn(model(x), y)

each op on the "lower" list casts its float32 inputs to float16 first, and each op on the
"float32" list casts float16 inputs up to float32. Every other op runs in whatever dtype its
inputs have (a float16 Linear output stays float16 through ReLU). Gradients flow through the
casts, so `backward()` gives float32 parameters float32 gradients. Call the ops' entry points
outside the block to get the ordinary behaviour.

The lists are PyTorch's (its "Autocast Op Reference"), for the ops this library has; they
differ between devices (PyTorch's CPU list keeps softmax and layer_norm in the input's
precision). Lower precision here is float16 only: this library has no bfloat16, PyTorch's
default for the CPU. Asking for it warns and disables autocast, as PyTorch does for a dtype a
device cannot autocast to; pass `dtype=tinygrad_edu.float16` to autocast on the CPU (float16
on the CPU is computed by NumPy, slowly: autocast there is for trying code out, not speed).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from tinygrad_edu import dtypes

# ops that run in the autocast dtype (their float32 inputs are cast down)
LOWER = {
    "cpu": {"conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "bmm", "mm", "baddbmm",
            "addmm", "addbmm", "linear", "matmul", "prelu", "scaled_dot_product_attention"},
    "cuda": {"conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "bmm", "mm",
             "baddbmm", "addmm", "addbmm", "addmv", "addr", "mv", "linear", "matmul", "prelu"},
}
# ops that run in float32 (their float16 inputs are cast up)
FLOAT32 = {
    "cpu": {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
            "kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cdist",
            "prod", "trace"},
    "cuda": {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
             "kl_div", "binary_cross_entropy_with_logits", "cdist", "prod", "softmax",
             "log_softmax", "layer_norm", "group_norm"},
}
# PyTorch's CUDA float32 list also has exp, log, pow, sum, cumsum, norm, ...: not here,
# because this library composes other ops from those (mean from sum, var from pow), which
# would then turn float32 too where PyTorch keeps float16.
SUPPORTED = {"cpu": (dtypes.float16,), "cuda": (dtypes.float16,)}

_state: dict = {}  # device type -> autocast dtype, for the blocks that are on


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Is autocast on for device_type? (No argument: CUDA's, as PyTorch.)"""
    return (device_type or "cuda") in _state


def get_autocast_dtype(device_type: str) -> Any:
    """The dtype autocast uses (or would use) on device_type: float16 (PyTorch says bfloat16
    for the CPU, which this library does not have)."""
    return _state.get(device_type, _default_dtype(device_type))


def _default_dtype(device_type: str) -> Any:
    return dtypes.float16  # PyTorch: bfloat16 on the CPU, which this library does not have


class autocast:  # noqa: N801  (PyTorch's name)
    """Context manager and decorator: `with autocast("cuda"):` or `@autocast("cpu", ...)`."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in LOWER:
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self.device_type = device_type
        # PyTorch's default on the CPU is bfloat16, which this library lacks: no dtype given
        # there counts as asking for it (a warning, then autocast off)
        bfloat16 = dtype is None and device_type == "cpu"
        self.fast_dtype = _default_dtype(device_type) if dtype is None else dtype
        self._enabled = bool(enabled)
        if self._enabled and (bfloat16 or self.fast_dtype not in SUPPORTED[device_type]):
            warnings.warn(f"In {device_type.upper()} autocast, but the target dtype is not "
                          f"supported. Disabling autocast.\n{device_type.upper()} Autocast only "
                          "supports dtypes of torch.float16 currently (tinygrad_edu has no "
                          "bfloat16).", UserWarning, stacklevel=2)
            self._enabled = False
        self._previous: list = []

    def __enter__(self) -> autocast:
        self._previous.append(_state.get(self.device_type))
        if self._enabled:
            _state[self.device_type] = self.fast_dtype
        else:
            _state.pop(self.device_type, None)
        return self

    def __exit__(self, *exc: Any) -> None:
        previous = self._previous.pop()
        if previous is None:
            _state.pop(self.device_type, None)
        else:
            _state[self.device_type] = previous

    def __call__(self, function: Any) -> Any:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device_type, self.fast_dtype, self._enabled):
                return function(*args, **kwargs)
        return run


def cast(op: str, *values: Any) -> tuple:
    """The op's tensor arguments as autocast wants them (unchanged when it is off).

    Called at the top of each op on the lists: `x, w, b = amp.cast("linear", x, w, b)`."""
    if not _state:
        return values
    device_type = next((kind for kind in (getattr(getattr(v, "device", None), "type", None)
                                          for v in values) if kind is not None), None)
    target = _state.get(device_type)
    if target is None:
        return values
    if op in LOWER[device_type]:
        return tuple(_to(v, target, (dtypes.float32,)) for v in values)  # not float64
    if op in FLOAT32[device_type]:
        return tuple(_to(v, dtypes.float32, (dtypes.float16,)) for v in values)
    return values


def _to(value: Any, dtype: Any, from_dtypes: tuple) -> Any:
    if getattr(value, "dtype", None) in from_dtypes:
        return value.to(dtype)
    return value
