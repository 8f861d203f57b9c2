"""linear, normalisation (batch, layer, group, instance, rms, local response, normalize),
dropout and embedding.

All composed from primitives: e.g. batch_norm is "subtract the mean, multiply by
1/sqrt(var + eps) * weight, add bias", and autograd differentiates through the mean and the
variance on its own (which is what makes batch norm's gradient non-trivial).
"""

import math
import warnings
from collections.abc import Sequence

import numpy as np

from tinygrad_edu import autograd, creation, dispatch, dtypes, tracing
from tinygrad_edu import composite as C
from tinygrad_edu import functions as F
from tinygrad_edu.amp.autocast_mode import cast as autocast
from tinygrad_edu.movement import _to_device
from tinygrad_edu.nn.functional.shape import pad
from tinygrad_edu.tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight^T + bias, x (..., in_features), weight (out_features, in_features).

    One fused primitive (functions.Linear: a BLAS product with the bias added in place) on
    x seen as a matrix (-1, in_features), so any leading dims cost no extra product.
    """
    return linear_relu(input, weight, bias, relu=False)


def linear_relu(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                relu: bool = True) -> Tensor:
    """relu(linear(input, weight, bias)) as one node and one kernel (relu=False: linear).

    Not a PyTorch function: nn.Sequential calls it for a Linear followed by a ReLU. The
    numbers are the same as the two ops'; the graph has one node fewer (see Sequential).
    """
    input, weight, bias = autocast("linear", input, weight, bias)
    for position, (name, value) in enumerate((("input", input), ("weight", weight)), 1):
        if not isinstance(value, Tensor):
            kind = type(value)
            kind_name = kind.__qualname__ if kind.__module__ == "builtins" else \
                f"{kind.__module__}.{kind.__qualname__}"  # numpy.ndarray, as PyTorch says
            raise TypeError(f"linear(): argument '{name}' (position {position}) must be Tensor, "
                            f"not {kind_name}")
    if not input._shape or len(weight._shape) != 2 or input._shape[-1] != weight._shape[1]:
        rows = input.numel() // max(input.shape[-1], 1) if input.ndim else 1
        columns = input.shape[-1] if input.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{columns} and "
                           f"{'x'.join(map(str, reversed(tuple(weight.shape))))})")
    if input.dtype is not weight.dtype or (bias is not None and bias.dtype is not input.dtype):
        other = weight if input.dtype is not weight.dtype else bias
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{dtypes.cpp_type_name(input.dtype)} != "
                           f"{dtypes.cpp_type_name(other.dtype)}")
    dispatch.same_device("linear", input, weight, *([bias] if bias is not None else []))
    if bias is not None and bias._shape != weight._shape[:1]:
        # a bias that only broadcasts to the output (shape (1,), 0-d, (N, out)): the fused
        # kernel reads bias[j] for column j, so add it as its own (broadcasting) op
        out = C.add(linear_relu(input, weight, None, relu=False), bias)
        return F.Relu.apply(out) if relu else out
    if len(input._shape) == 2:
        return F.Linear.apply(input, weight, bias, relu=relu)
    out = F.Linear.apply(input.reshape(-1, input.shape[-1]), weight, bias, relu=relu)
    out = out.reshape(*input.shape[:-1], weight.shape[0])
    if bias is not None or relu:
        return out  # PyTorch: ViewBackward0, as here
    return autograd.named(out, "SqueezeBackward4" if input.ndim == 1 else "UnsafeViewBackward0")


# ---------------------------------------------------------------------------- normalisation


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims:

        y = (x - mean) / sqrt(var + eps) * weight + bias

    training: mean and (biased) var of this batch, and the running stats move towards them:
        running = (1 - momentum) * running + momentum * batch_stat   (unbiased var)
    else: the running stats.
    """
    channels = input.shape[1] if input.ndim > 1 else 0
    shape = (1, channels) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    count = input.numel() // max(channels, 1)
    if training and count <= 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {input.shape}")
    if training or running_mean is None or running_var is None:
        if not training:
            raise RuntimeError("running_mean and running_var must be defined in evaluation "
                               "mode")
        mean = input.mean(axes, keepdim=True)
        centered = C.sub(input, mean)
        var = C.mul(centered, centered).mean(axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            with autograd.no_grad():
                running_mean.mul_(1 - momentum).add_(C.mul(mean.view(channels), momentum))
                unbiased = C.mul(var.view(channels), momentum * count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased)
    else:
        centered = C.sub(input, running_mean.view(shape))
        var = running_var.view(shape)
    scale = F.Rsqrt.apply(C.add(var, eps))
    if weight is not None:
        scale = C.mul(scale, weight.view(shape))
    out = C.mul(centered, scale)
    return out if bias is None else C.add(out, bias.view(shape))


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dims of each sample:
    y = (x - mean) / sqrt(var + eps) * weight + bias (biased var)."""
    input, weight, bias = autocast("layer_norm", input, weight, bias)
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    count = len(normalized_shape)
    if tuple(input.shape[input.ndim - count:]) != normalized_shape or input.ndim < count:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, normalized_shape))}], but got "
                           f"input of size{list(input.shape)}")
    axes = tuple(range(input.ndim - count, input.ndim))
    mean = input.mean(axes, keepdim=True)
    centered = C.sub(input, mean)
    var = C.mul(centered, centered).mean(axes, keepdim=True)
    out = C.mul(centered, F.Rsqrt.apply(C.add(var, eps)))
    if weight is not None:
        out = C.mul(out, weight)
    return out if bias is None else C.add(out, bias)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of channels of each sample; then a per-channel weight and bias."""
    input, weight, bias = autocast("group_norm", input, weight, bias)
    n, channels = input.shape[0], input.shape[1]
    if channels % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    grouped = input.reshape(n, num_groups, -1)
    out = layer_norm(grouped, grouped.shape[-1:], eps=eps).reshape(input.shape)
    shape = (1, channels) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = C.mul(out, weight.view(shape))
    return out if bias is None else C.add(out, bias.view(shape))


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (N, C, *spatial):

        y[n, c] = (x[n, c] - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]

    As PyTorch: a batch_norm of the input seen as (1, N * C, *spatial), with weight, bias
    and the running stats repeated N times; each copy of the running stats moves towards
    its sample's statistics and the running stats become the mean of the N copies.
    use_input_stats=False normalises with the running stats instead.
    """
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    n, channels = input.shape[0], input.shape[1]
    weight_, bias_, mean_, var_ = (None if t is None else t.repeat(n)
                                   for t in (weight, bias, running_mean, running_var))
    seen = input.contiguous().reshape(1, n * channels, *input.shape[2:])
    out = batch_norm(seen, mean_, var_, weight_, bias_, use_input_stats, momentum, eps)
    if use_input_stats:
        with autograd.no_grad():
            for running, copies in ((running_mean, mean_), (running_var, var_)):
                if running is not None:
                    running.copy_(copies.view(n, channels).mean(0))
    return out.reshape(input.shape)


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square norm over the last len(normalized_shape) dims:

        y = x / sqrt(mean(x^2) + eps) * weight,   eps None: finfo(x.dtype).eps

    (layer_norm without the centring and without a bias)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    count = len(normalized_shape)
    if input.ndim < count or tuple(input.shape[input.ndim - count:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*{', '.join(map(str, normalized_shape))}], but got "
                           f"input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(normalized_shape)}")
    if eps is None:
        eps = float(np.finfo(input.dtype.numpy).eps)
    axes = tuple(range(input.ndim - count, input.ndim))
    mean_square = C.mul(input, input).mean(axes, keepdim=True)
    out = C.mul(input, F.Rsqrt.apply(C.add(mean_square, eps)))
    return out if weight is None else C.mul(out, weight)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Divide each value by a power of the squares of its neighbours across channels:

        y[n, c] = x[n, c] / (k + alpha / size * sum_{c' in window(c)} x[n, c']^2) ** beta

    the window runs from c - size // 2 to c + (size - 1) // 2, zeros beyond the channels.
    PyTorch averages over the window with avg_pool2d/avg_pool3d; here `size` shifted slices
    of the zero-padded squares are added and divided by size (the same sum).
    """
    if input.ndim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {input.ndim} dimensions)")  # (PyTorch's spacing)
    if input.numel() == 0:
        return input
    n, channels = input.shape[0], input.shape[1]
    squares = C.mul(input, input).reshape(n, channels, -1)  # (N, C, rest)
    padded = pad(squares, (0, 0, size // 2, (size - 1) // 2))  # zeros around dim 1
    window = padded.narrow(1, 0, channels)
    for offset in range(1, size):
        window = C.add(window, padded.narrow(1, offset, channels))
    average = C.div(window, size).reshape(input.shape)
    return C.div(input, C.pow(C.add(C.mul(average, alpha), k), beta))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p, eps) along dim (for p = 2: sqrt(max(sum x^2, eps^2)), which gives
    the same values and a finite gradient at x = 0)."""
    if p == 2:
        squares = C.mul(input, input).sum(dim, keepdim=True)
        norm = F.Sqrt.apply(C.clamp(squares, min=eps * eps))
    else:
        norm = C.clamp(C.norm(input, p, dim, keepdim=True), min=eps)
    result = C.div(input, norm)
    return result if out is None else out.copy_(result)


# ---------------------------------------------------------------------------- dropout


def _check_probability(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(input: Tensor, shape: tuple, p: float) -> Tensor:
    """keep / (1 - p) with keep ~ Bernoulli(1 - p), drawn on the host by the global RNG."""
    keep = creation._rng(None).random(shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return _to_device((keep * scale).astype(input.dtype.numpy), input)


def _apply_dropout(input: Tensor, mask_shape: tuple, p: float, training: bool,
                   inplace: bool) -> Tensor:
    _check_probability(p)
    if not training or p == 0.0:
        return input
    mask = _dropout_mask(input, mask_shape, p)
    if inplace:
        return input._assign(C.mul(input._inplace_input(), mask))
    return C.mul(input, mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Training: zero each element with probability p and scale the rest by 1/(1 - p), so
    the expected value is unchanged. Evaluation: x unchanged."""
    return _apply_dropout(input, tuple(input.shape), p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input."""
    if input.ndim not in (2, 3):
        raise RuntimeError("dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.ndim}D input.")
    return _apply_dropout(input, tuple(input.shape[:-1]) + (1,), p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels (feature maps) of (N, C, H, W) input: one coin per (n, c).

    PyTorch's rules for other ranks, kept here with its warnings: a 3-D input is read as
    (N, C, L), one coin per (n, c) (not as an unbatched (C, H, W)); a 2-D or 5-D one as
    (N, C, ...), one coin per (n, c); fewer than 2 dims is refused."""
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.",
                      UserWarning, stacklevel=2)
    elif input.ndim != 4:
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    coins = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _apply_dropout(input, coins, p, training, inplace)


# ---------------------------------------------------------------------------- embedding


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """out[..., :] = weight[input[...], :]: a row lookup (a Gather of row * dim + column).

    The row padding_idx gets no gradient. max_norm renormalises, in place, the looked-up
    rows whose norm exceeds it (as PyTorch does).
    """
    if input.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.type()} "
                           "instead (while checking arguments for embedding)")
    rows, dim = weight.shape
    indices = input.long()
    if indices.numel():
        with tracing.argument_check():  # this read only checks the range (ONNX export)
            host = indices.detach().cpu().numpy()
        if host.min() < 0 or host.max() >= rows:
            raise IndexError("index out of range in self")
        if max_norm is not None:  # a read that changes the weights: a trace must see it
            host = indices.detach().cpu().numpy()
            _renorm_rows(weight, np.unique(host), max_norm, norm_type)
    columns = _to_device(np.arange(dim, dtype=np.int64), indices)
    positions = C.add(C.mul(indices.unsqueeze(-1), dim), columns)  # (..., dim)
    out = F.Gather.apply(weight, positions)
    if padding_idx is not None:
        padding_idx = padding_idx + rows if padding_idx < 0 else padding_idx
        keep = (indices != padding_idx).unsqueeze(-1)
        out = C.where(keep, out, out.detach())  # same values; no gradient into that row
    if scale_grad_by_freq and out.requires_grad:
        host = indices.detach().cpu().numpy().reshape(-1)
        counts = np.bincount(host, minlength=rows)[host].reshape(host.shape)
        scale = _to_device((1.0 / counts).astype(weight.dtype.numpy), weight)
        scale = scale.view(*indices.shape, 1)
        out = C.add(C.mul(out, scale), C.mul(out.detach(), C.sub(1.0, scale)))
    return out


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """weight[r] *= max_norm / (||weight[r]|| + 1e-7) for the given rows above max_norm."""
    with autograd.no_grad():
        index = _to_device(rows.astype(np.int64), weight)
        picked = weight[index]
        norms = C.norm(picked, norm_type, 1, keepdim=True)
        factor = C.where(norms > max_norm, C.div(max_norm, C.add(norms, 1e-7)), 1.0)
        weight[index] = C.mul(picked, factor)

