"""Products: matmul and its forms (mm bmm mv dot outer addmm), all over the one primitive
Mm; and softmax, log_softmax (what follows a product in a layer) over their fused primitives.

matmul follows PyTorch's rules: a 1-d operand is a vector (a dim of 1 added, then removed),
the leading (batch) dims broadcast, and the last node takes the name PyTorch's has.
"""

from typing import Any

from tinygrad_edu import autograd, dispatch, dtypes
from tinygrad_edu import functions as F
from tinygrad_edu import tensor as tensor_module
from tinygrad_edu.amp.autocast_mode import cast as autocast
from tinygrad_edu.composite.arithmetic import add, mul
from tinygrad_edu.composite.operands import _is_tensor
from tinygrad_edu.movement import _squeeze_axes, expand, unsqueeze


def matmul(a: Any, b: Any) -> Any:
    """a @ b with PyTorch's rules: 1-d operands are vectors, leading dims broadcast"""
    if not (_is_tensor(a) and _is_tensor(b)):
        raise TypeError("matmul(): argument 'other' must be Tensor, not "
                        f"{type(b if _is_tensor(a) else a).__name__}")
    a, b = autocast("matmul", a, b)  # mm, bmm, mv, addmm and @ come here too
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{dtypes.cpp_type_name(a.dtype)} != {dtypes.cpp_type_name(b.dtype)}")
    dispatch.same_device("matmul", a, b)
    a2 = unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = unsqueeze(b, -1) if b.ndim == 1 else b
    if a2._shape[-1] != b2._shape[-2]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, a2._shape))} and "
                           f"{'x'.join(map(str, b2._shape))})")
    batch = dispatch.broadcast("matmul", _shell(a2._shape[:-2]), _shell(b2._shape[:-2]))
    if a2._shape[:-2] != batch:
        a2 = expand(a2, batch + a2._shape[-2:])
    if b2._shape[:-2] != batch:
        b2 = expand(b2, batch + b2._shape[-2:])
    out = F.Mm.apply(a2, b2, dtype=a.dtype)
    if a.ndim == 1:
        out = _squeeze_axes(out, (out.ndim - 2,))
    if b.ndim == 1:
        out = _squeeze_axes(out, (out.ndim - 1,))
    return autograd.named(out, _matmul_node(a.ndim, b.ndim))


def _matmul_node(a_ndim: int, b_ndim: int) -> str:
    """The node name PyTorch's matmul ends with, which depends on the operands' ranks."""
    if a_ndim == 1 and b_ndim == 1:
        return "DotBackward0"
    if a_ndim == 2 and b_ndim == 1:
        return "MvBackward0"
    if a_ndim == 1:
        return "SqueezeBackward4"
    if a_ndim == 2 and b_ndim == 2:
        return "MmBackward0"
    return "UnsafeViewBackward0"


class _shell:  # noqa: N801  (a stand-in with a shape, for dispatch.broadcast)
    def __init__(self, shape: tuple) -> None:
        self._shape = shape


def mm(a: Any, b: Any) -> Any:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {a.ndim}D and {b.ndim}D")
    return matmul(a, b)


def bmm(a: Any, b: Any) -> Any:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got {a.ndim}D and {b.ndim}D")
    if a._shape[0] != b._shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {a._shape[0]} and {b._shape[0]}")
    return autograd.named(matmul(a, b), "BmmBackward0")


def mv(a: Any, v: Any) -> Any:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: expected a 2D matrix and a 1D vector, got {a.ndim}D and "
                           f"{v.ndim}D")
    return matmul(a, v)


def dot(a: Any, b: Any) -> Any:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a._shape != b._shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a._shape[0]}] and src "
                           f"[{b._shape[0]}] to have the same number of elements, but got "
                           f"{a._shape[0]} and {b._shape[0]} elements respectively")
    return matmul(a, b)


def outer(a: Any, b: Any) -> Any:
    return mul(unsqueeze(a, 1), unsqueeze(b, 0))


def addmm(bias: Any, a: Any, b: Any, beta: Any = 1, alpha: Any = 1) -> Any:
    """beta * bias + alpha * (a @ b), a (n, k) and b (k, m); bias broadcasts to (n, m)"""
    product = mm(a, b)
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # PyTorch: bias is then ignored, nan and inf included
        return product
    return add(bias if beta == 1 else mul(bias, beta), product)


def softmax(x: Any, dim: int, dtype: Any = None) -> Any:
    x, = autocast("softmax", x)
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.get_default_dtype())
    if x.ndim == 0:
        return autograd.named(F.Softmax.apply(unsqueeze(x, 0), dim=0).reshape(()),
                              "SoftmaxBackward0")
    return F.Softmax.apply(x, dim=tensor_module._axis(dim, x.ndim))


def log_softmax(x: Any, dim: int, dtype: Any = None) -> Any:
    x, = autocast("log_softmax", x)
    if dtype is not None:
        x = x.to(dtypes.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        x = x.to(dtypes.get_default_dtype())
    if x.ndim == 0:
        return autograd.named(F.LogSoftmax.apply(unsqueeze(x, 0), dim=0).reshape(()),
                              "LogSoftmaxBackward0")
    return F.LogSoftmax.apply(x, dim=tensor_module._axis(dim, x.ndim))
