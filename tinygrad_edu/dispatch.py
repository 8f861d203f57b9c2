"""The one place the Tensor layer calls a backend: tensors in, new tensors out, no autograd.

Each helper allocates the output on the inputs' device, hands `Strided` views to the
device's backend (kernels/backend.py), and wraps the result in a Tensor. The primitives in
`functions/` call these in their forward and backward.
"""

from typing import TYPE_CHECKING, Any

from kernels.strided import Strided, broadcast_shapes, numel
from tinygrad_edu import dtypes
from tinygrad_edu import tensor as tensor_module

if TYPE_CHECKING:
    from tinygrad_edu.tensor import Tensor


def _wrap(buffer: object, shape: tuple, dtype: dtypes.dtype, like: "Tensor") -> "Tensor":
    """A new contiguous tensor over `buffer`, on like's device."""
    storage = like._storage
    return tensor_module.Tensor._from_buffer(buffer, shape, dtype, storage.device,
                                             storage.backend)


def same_device(name: str, *tensors: "Tensor") -> None:
    """Raise PyTorch's error when the tensors of one op live on different devices."""
    first = tensors[0]._storage.device
    for other in tensors[1:]:
        # `is` first: tensors share the one device object of their device (cheap), while
        # device.__eq__ is a Python call
        if other._storage.device is not first and other._storage.device != first:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {first} and {other._storage.device}! (when checking arguments for "
                f"{name})")


def broadcast(name: str, *tensors: "Tensor") -> tuple:
    """The broadcast shape of the tensors, or PyTorch's error naming the op and shapes."""
    try:
        return broadcast_shapes(*(t._shape for t in tensors))
    except ValueError:
        shapes = " and ".join(str(list(t._shape)) for t in tensors)
        raise RuntimeError(f"{name}: the shapes {shapes} are not broadcastable "
                           "(sizes must match or be 1 in every dimension, counted from the "
                           "right)") from None


def new_tensor(like: "Tensor", shape: tuple, dtype: dtypes.dtype) -> "Tensor":
    """An uninitialised contiguous tensor on `like`'s device."""
    storage = like._storage
    buffer = storage.backend.empty(numel(shape), dtype.numpy)
    return _wrap(buffer, shape, dtype, like)


def unary(op: int, x: "Tensor", dtype: dtypes.dtype | None = None) -> "Tensor":
    """out[i] = f(x[i]) for the unary op code `op`."""
    out = new_tensor(x, x._shape, dtype or x.dtype)
    x._storage.backend.map(op, x._strided(), out._strided())
    return out


def binary(op: int, a: "Tensor", b: "Tensor", dtype: dtypes.dtype | None = None,
           name: str = "op") -> "Tensor":
    """out[i] = f(a[i], b[i]) with broadcasting; dtype defaults to a's."""
    if a._storage.device is not b._storage.device:
        same_device(name, a, b)  # raises if they differ
    shape = a._shape if a._shape == b._shape else broadcast(name, a, b)
    out = new_tensor(a, shape, dtype or a.dtype)
    a._storage.backend.zip(op, a._strided(), b._strided(), out._strided())
    return out


def where(condition: "Tensor", a: "Tensor", b: "Tensor", dtype: dtypes.dtype) -> "Tensor":
    """out[i] = a[i] if condition[i] else b[i], broadcasting all three."""
    same_device("where", condition, a, b)
    shape = broadcast("where", condition, a, b)
    out = new_tensor(a, shape, dtype)
    a._storage.backend.where(condition._strided(), a._strided(), b._strided(), out._strided())
    return out


def copy_into(source: "Tensor", destination: "Tensor") -> None:
    """destination[...] = source (broadcast, cast); writes through destination's view."""
    same_device("copy_", destination, source)
    destination._storage.backend.copy(source._strided(), destination._strided())


def contiguous(x: "Tensor", dtype: dtypes.dtype | None = None) -> "Tensor":
    """A row-major copy of x (and a cast, when dtype is given)."""
    out = new_tensor(x, x._shape, dtype or x.dtype)
    x._storage.backend.copy(x._strided(), out._strided())
    return out


def reduce(op: int, x: "Tensor", axes: tuple, dtype: dtypes.dtype) -> "Tensor":
    """Fold op over `axes` (sorted, non-negative); the result drops those axes."""
    backend = x._storage.backend
    buffer = backend.reduce(op, x._strided(), axes, dtype.numpy)
    shape = tuple(size for axis, size in enumerate(x._shape) if axis not in axes)
    return _wrap(buffer, shape, dtype, x)


def arg_reduce(op: int, x: "Tensor", axis: int) -> "Tensor":
    """Index of the max (ops.ARGMAX) or min along `axis` (int64); drops that axis."""
    backend = x._storage.backend
    buffer = backend.arg_reduce(op, x._strided(), axis)
    shape = x._shape[:axis] + x._shape[axis + 1:]
    return _wrap(buffer, shape, dtypes.int64, x)


def matmul(a: "Tensor", b: "Tensor", dtype: dtypes.dtype) -> "Tensor":
    """(..., n, k) @ (..., k, m) with equal batch dims -> (..., n, m)."""
    backend = a._storage.backend
    buffer = backend.matmul(a._strided(), b._strided(), dtype.numpy)
    shape = a._shape[:-1] + b._shape[-1:]
    return _wrap(buffer, shape, dtype, a)


def linear(x: "Tensor", weight: "Tensor", bias: "Tensor | None",
           relu: bool = False) -> "Tensor":
    """x (n, k) @ weight (m, k)^T + bias (m,) -> (n, m), then max(., 0) if relu: one backend
    call."""
    backend = x._storage.backend
    buffer = backend.linear(x._strided(), weight._strided(),
                            bias._strided() if bias is not None else None, relu)
    return _wrap(buffer, (x._shape[0], weight._shape[0]), x.dtype, x)


def linear_grad_weight(grad: "Tensor", x: "Tensor", with_bias: bool) -> tuple:
    """(grad^T @ x, grad summed over rows or None): nn.Linear's parameter gradients."""
    backend = grad._storage.backend
    weight_buffer, bias_buffer = backend.linear_grad_weight(grad._strided(), x._strided(),
                                                            with_bias)
    m = grad._shape[1]
    grad_weight = _wrap(weight_buffer, (m, x._shape[1]), grad.dtype, grad)
    grad_bias = _wrap(bias_buffer, (m,), grad.dtype, grad) if with_bias else None
    return grad_weight, grad_bias


def take(x: "Tensor", positions: "Tensor") -> "Tensor":
    """out[i] = x.storage[positions[i]]: positions are flat buffer positions (int64)."""
    backend = x._storage.backend
    buffer = backend.take(x._storage.buffer, positions._strided(), x.dtype.numpy)
    return _wrap(buffer, positions._shape, x.dtype, x)


def index_add(target: "Tensor", positions: "Tensor", source: "Tensor") -> None:
    """target.storage[positions[i]] += source[i] (target must be contiguous from offset 0)."""
    target._storage.backend.index_add(target._storage.buffer, positions._strided(),
                                      source._strided())


def index_put(target: "Tensor", positions: "Tensor", source: "Tensor") -> None:
    """target.storage[positions[i]] = source[i]."""
    target._storage.backend.index_put(target._storage.buffer, positions._strided(),
                                      source._strided())


def full_like(x: "Tensor", shape: tuple, value: Any, dtype: dtypes.dtype) -> "Tensor":
    """A new tensor of `shape` on x's device filled with `value`."""
    backend = x._storage.backend
    buffer = backend.full(numel(shape), value, dtype.numpy)
    return _wrap(buffer, shape, dtype, x)


def scalar_strided(value: Any, like: "Tensor", dtype: dtypes.dtype) -> Strided:
    """A 0-d view holding `value`, on like's device (for `x + 2` style operands)."""
    buffer = like._storage.backend.full(1, value, dtype.numpy)
    return Strided(buffer, (), (), 0)



def cross_entropy_forward(x: "Tensor", target: "Tensor", reduction: str, ignore_index: int,
                          smoothing: float) -> tuple:
    """(loss, probabilities) of logits x (N, C) and class indices target (N,): loss (N,) for
    reduction 'none', else 0-d; probabilities the softmax of each row, (N, C) float64, for
    backward (backend.py)."""
    same_device("cross_entropy", x, target)
    loss, probabilities = x._storage.backend.cross_entropy_forward(
        x._strided(), target._strided(), reduction, ignore_index, smoothing)
    shape = x._shape[:1] if reduction == "none" else ()
    return (_wrap(loss, shape, x.dtype, x),
            _wrap(probabilities, x._shape, dtypes.float64, x))


def cross_entropy_backward(probabilities: "Tensor", target: "Tensor", grad: "Tensor",
                           reduction: str, ignore_index: int, smoothing: float,
                           dtype: dtypes.dtype) -> "Tensor":
    """d(cross entropy)/dx from forward's probabilities, a new (N, C) tensor of `dtype`
    (backend.py)."""
    buffer = probabilities._storage.backend.cross_entropy_backward(
        probabilities._strided(), target._strided(), grad._strided(), reduction,
        ignore_index, smoothing, dtype.numpy)
    return _wrap(buffer, probabilities._shape, dtype, probabilities)
