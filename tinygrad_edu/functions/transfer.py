"""The transfer primitives: Cast (to another dtype) and ToDevice (to another device, through
host memory); each gradient goes back the same way.
"""

from typing import Any

from tinygrad_edu import dispatch, dtypes
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.autograd import Function
from tinygrad_edu.device import backend_for
from tinygrad_edu.functions.broadcasting import _as_dtype


class Cast(Function):
    """out = x converted to `dtype`; grad converted back"""

    @staticmethod
    def forward(ctx: Function, x: Any, dtype: dtypes.dtype) -> Any:
        ctx.dtype = x.dtype
        return dispatch.contiguous(x, dtype)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return _as_dtype(grad, ctx.dtype)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return grad.to(ctx.dtype)

    def name(self) -> str:
        return "ToCopyBackward0"


class ToDevice(Function):
    """out = x copied to `device` (through host memory); grad copied back"""

    @staticmethod
    def forward(ctx: Function, x: Any, device: Any) -> Any:
        ctx.device = x._storage.device
        return _transfer(x, device)

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        return _transfer(grad, ctx.device)

    @staticmethod
    def graph_backward(ctx: Function, grad: Any) -> Any:
        return ToDevice.apply(grad, ctx.device)

    def name(self) -> str:
        return "ToCopyBackward0"


def _transfer(x: Any, device: Any) -> Any:
    source = x._storage.backend
    target = backend_for(device)
    host = source.to_numpy(x._strided())
    buffer = target.from_numpy(host.copy() if source is target else host)
    return tensor_module.Tensor._from_buffer(buffer, x._shape, x.dtype, device, target)
