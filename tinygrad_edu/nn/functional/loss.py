"""Loss functions, composed from primitives, stable for large logits.

Every loss computes a per-element loss and then reduces it ('mean', 'sum' or 'none').
Classification losses never take log(softmax(x)) or log(sigmoid(x)) literally (exp
overflows for logits near 100): they use the fused log_softmax and the identity
log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|)).

Here: the reduction helpers, the regression losses (mse, l1, smooth_l1, huber) and the
classification losses (nll, cross_entropy, binary_cross_entropy, kl_div); the margin,
ranking and likelihood losses are in loss_margin.py.
"""

import warnings

import numpy as np

from tinygrad_edu import autograd, creation, dtypes
from tinygrad_edu import composite as C
from tinygrad_edu import functions as F
from tinygrad_edu.amp.autocast_mode import cast as autocast
from tinygrad_edu.movement import _to_device
from tinygrad_edu.tensor import Tensor

REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The old size_average/reduce flags, translated as PyTorch does (with its warning)."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='mean' (or 'sum', 'none') instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS and reduction != "batchmean":
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted(loss: Tensor, weight: Tensor | None, reduction: str, input: Tensor,
              mean_by_weight: bool) -> Tensor:
    """loss * weight, reduced; 'mean' is sum / sum(weight) or a plain mean (PyTorch differs
    between losses here, so each says which)."""
    _check_reduction(reduction)
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = C.mul(loss, weight)
    if reduction == "mean" and mean_by_weight:
        return C.div(loss.sum(), weight.sum())
    return _reduce(loss, reduction)


def _difference(input: Tensor, target: Tensor) -> Tensor:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)
    return C.sub(input, target)


# ---------------------------------------------------------------------------- regression


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(x - y)^2"""
    input, target = autocast("mse_loss", input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    difference = _difference(input, target)
    loss = _weighted(C.mul(difference, difference), weight, reduction, input, True)
    return loss if weight is not None else autograd.named(loss, "MseLossBackward0")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|x - y|"""
    input, target = autocast("l1_loss", input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _weighted(F.Abs.apply(_difference(input, target)), weight, reduction, input, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta  (d = x - y; beta = 0: |d|)"""
    input, target = autocast("smooth_l1_loss", input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    distance = F.Abs.apply(_difference(input, target))
    if beta == 0:
        return _reduce(distance, reduction)
    quadratic = C.mul(C.mul(distance, distance), 0.5 / beta)
    loss = C.where(distance < beta, quadratic, C.sub(distance, 0.5 * beta))
    return autograd.named(_reduce(loss, reduction), "SmoothL1LossBackward0")


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)  (= beta * smooth_l1)"""
    input, target = autocast("huber_loss", input, target)
    distance = F.Abs.apply(_difference(input, target))
    quadratic = C.mul(C.mul(distance, distance), 0.5)
    linear = C.mul(C.sub(distance, 0.5 * delta), delta)
    loss = _weighted(C.where(distance < delta, quadratic, linear), weight, reduction, input,
                     False)
    return loss if weight is not None else autograd.named(loss, "HuberLossBackward0")


# ---------------------------------------------------------------------------- classification


def _class_positions(input: Tensor, target: Tensor, ignore_index: int) -> tuple:
    """Check target against input (N, C, *d) and return, computed on the host:
    (row-major element numbers of input[n, target[n, j], j], the targets with ignored ones
    replaced by class 0, the ignored mask or None)."""
    if target.dtype not in (dtypes.int64, dtypes.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{dtypes.scalar_type_name(target.dtype)}")
    classes = input.shape[1]
    host = target.detach().cpu().numpy().astype(np.int64).reshape(target.shape[0], -1)
    ignored = host == ignore_index
    valid = host[~ignored]
    if valid.size and (valid.min() < 0 or valid.max() >= classes):
        bad = valid[(valid < 0) | (valid >= classes)][0]
        raise IndexError(f"Target {bad} is out of bounds.")
    safe = np.where(ignored, 0, host)
    n, spatial = host.shape
    positions = (np.arange(n)[:, None] * classes + safe) * spatial + np.arange(spatial)[None, :]
    shape = tuple(target.shape)
    return (positions.reshape(shape), safe.reshape(shape),
            ignored.reshape(shape) if ignored.any() else None)


def _check_nll_shapes(input: Tensor, target: Tensor) -> None:
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1 and target.ndim != 0:
        raise RuntimeError("0D target tensor expected for 1D input (multi-target not "
                           "supported)")
    if input.ndim == 2 and target.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim >= 2 and target.shape[0] != input.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    expected = [input.shape[0]] + list(input.shape[2:])
    if input.ndim > 2 and list(target.shape) != expected:
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")


def _nll_node(loss: Tensor, input: Tensor, reduction: str) -> Tensor:
    """loss, its node labelled as PyTorch's nll_loss names it (by input rank and reduction)."""
    if input.ndim <= 2:
        return autograd.named(loss, "NllLossBackward0")
    if reduction == "none" and input.ndim != 4:  # PyTorch: a 4-d loss viewed back
        return autograd.named(loss, "ViewBackward0")
    return autograd.named(loss, "NllLoss2DBackward0")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """loss[n] = -weight[t] * input[n, t] with t = target[n] (0 where t == ignore_index);
    'mean' divides by the sum of weight[t] over the targets not ignored.

    input: log-probabilities (N, C), (N, C, d1, ...) or (C,); target: class indices."""
    input, weight = autocast("nll_loss", input, weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_nll_shapes(input, target)
    if input.ndim == 1:  # unbatched: one sample
        loss = nll_loss(input.unsqueeze(0), target.unsqueeze(0), weight, None, ignore_index,
                        None, reduction)
        return _nll_node(loss.squeeze(0) if reduction == "none" else loss, input, reduction)
    positions, classes, ignored = _class_positions(input, target, ignore_index)
    picked = F.Gather.apply(input, _to_device(positions, input))  # input[n, t, ...]
    if weight is None and ignored is None:
        return _nll_node(_reduce(C.neg(picked), reduction), input, reduction)
    _check_class_weight(weight, input)
    if weight is not None:  # share[n] = weight[t]
        share = F.Gather.apply(weight.to(input.dtype), _to_device(classes, input))
    else:
        share = creation.ones(picked.shape, dtype=input.dtype, device=input.device)
    if ignored is not None:
        share = C.masked_fill(share, _to_device(ignored, input), 0.0)
    loss = C.neg(C.mul(picked, share))
    if reduction == "mean" and ignored is not None and ignored.all():
        # every target ignored: PyTorch's mean is 0 / 0 = nan, with zero gradients (a plain
        # division would send 0 / 0 back too)
        return _nll_node(C.add(C.mul(loss.sum(), 0.0), float("nan")), input, reduction)
    if reduction == "mean":
        return _nll_node(C.div(loss.sum(), share.sum()), input, reduction)
    return _nll_node(_reduce(loss, reduction), input, reduction)


def _check_class_weight(weight: Tensor | None, input: Tensor) -> None:
    """PyTorch refuses class weights of another dtype (say float64 weights from NumPy)."""
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(input.dtype)} but "
                           f"found {dtypes.scalar_type_name(weight.dtype)}")


def _fused_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None) -> bool:
    """Whether functions.CrossEntropy computes this cross_entropy: float32/64 logits (N, C),
    int64 class indices (N,) on the same device, no class weights."""
    return (weight is None and input.ndim == 2 and target.ndim == 1
            and target.dtype is dtypes.int64 and input.dtype in (dtypes.float32, dtypes.float64)
            and input.shape[0] == target.shape[0] and input.shape[1] > 0
            and input._storage.device == target._storage.device)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(input, class dim), target), or with class probabilities as
    target: loss[n] = -sum_c weight[c] * target[n, c] * log_softmax(input)[n, c].

    label_smoothing e mixes the target with the uniform distribution over the C classes:
    (1 - e) * loss + e * (-sum_c weight[c] log p_c) / C (with PyTorch's normalisations)."""
    input, weight = autocast("cross_entropy", input, weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    if _fused_cross_entropy(input, target, weight):  # the common case: one node, one kernel
        return F.CrossEntropy.apply(input, target, reduction=reduction,
                                    ignore_index=int(ignore_index),
                                    smoothing=float(label_smoothing))
    _check_class_weight(weight, input)
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    log_probabilities = C.log_softmax(input, class_dim)
    weight_view = None
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = classes
        weight_view = weight.to(input.dtype).view(*shape)
    if target.dtype.is_floating_point and tuple(target.shape) == tuple(input.shape):
        if ignore_index >= 0:  # PyTorch: only the default (negative) ignore_index
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = C.add(C.mul(target, 1.0 - label_smoothing), label_smoothing / classes)
        terms = C.mul(log_probabilities, target)
        if weight_view is not None:
            terms = C.mul(terms, weight_view)
        loss = C.neg(terms.sum(class_dim))
        if reduction == "mean":  # PyTorch: divide by the number of samples, not weights
            return C.div(loss.sum(), input.numel() // max(classes, 1))
        return _reduce(loss, reduction)
    if target.dtype.is_floating_point and input.ndim > 2 and target.ndim == input.ndim:
        raise RuntimeError(f"Expected target size {list(input.shape)}, got "
                           f"{list(target.shape)}")
    nll = nll_loss(log_probabilities, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0:
        return nll
    terms = log_probabilities if weight_view is None else C.mul(log_probabilities, weight_view)
    smooth = C.neg(terms.sum(class_dim))
    ignored = C.eq(target, ignore_index)
    smooth = C.masked_fill(smooth, ignored, 0.0)
    if reduction == "mean":
        keep = C.logical_not(ignored)
        if weight is None:
            denominator = keep.sum().to(input.dtype)
        else:
            safe = C.where(keep, target, 0)
            chosen = F.Gather.apply(weight.to(input.dtype), safe.contiguous())
            denominator = C.mul(chosen, keep.to(input.dtype)).sum()
        smooth = C.div(smooth.sum(), denominator)
    else:
        smooth = _reduce(smooth, reduction)
    return C.add(C.mul(nll, 1.0 - label_smoothing), C.mul(smooth, label_smoothing / classes))


def _clamped_log(x: Tensor) -> Tensor:
    """max(log(x), -100), as PyTorch's BCE: finite (and with a finite gradient) at x = 0."""
    positive = x > 0
    safe = C.where(positive, x, 1.0)
    return C.clamp(C.where(positive, F.Log.apply(safe), -100.0), min=-100.0)


# PyTorch's BCE gradient divides by max(x (1 - x), 1e-12), the 1e-12 a float32 constant
BCE_EPSILON = float(np.float32(1e-12))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) * weight, each log clamped at -100; x in [0, 1].

    d loss / dx = (x - y) / max(x (1 - x), 1e-12) * weight, as PyTorch: finite at 0 and 1.
    """
    input, target, weight = autocast("binary_cross_entropy", input, target, weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have "
                         "the same size.")
    if target.dtype is not input.dtype:  # PyTorch: a Long or Double target is refused
        raise RuntimeError(f"Found dtype {dtypes.scalar_type_name(target.dtype)} but expected "
                           f"{dtypes.scalar_type_name(input.dtype)}")
    for name, x in (("input", input), ("target", target)):
        if x.numel() and (C.amin(x.detach()).item() < 0 or C.amax(x.detach()).item() > 1):
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    # The value from the clamped logs, at a detached x; the gradient in x from PyTorch's
    # formula, added by the detach trick: slope * (x - x.detach()) is exactly 0 but has
    # d/dx = slope. Autograd through the clamped logs would give 0 at x = 0 or 1 (the clamp)
    # and 1/x just inside (1e20 at x = 1e-20); PyTorch gives (x - y) / max(x (1 - x), eps).
    # d/dy still comes from the logs: clamped, so -+100 at x = 0 or 1 (PyTorch: -+inf).
    # PyTorch: its BCE also has a second derivative; the detached slope here has none.
    detached = input.detach()
    log_x = _clamped_log(detached)
    log_one_minus_x = _clamped_log(C.sub(1.0, detached))
    loss = C.neg(C.add(C.mul(target, log_x), C.mul(C.sub(1.0, target), log_one_minus_x)))
    if input.requires_grad:
        denominator = C.clamp(C.mul(detached, C.sub(1.0, detached)), min=BCE_EPSILON)
        slope = C.div(C.sub(detached, target.detach()), denominator)
        loss = C.add(loss, C.mul(slope, C.sub(input, detached)))
    if weight is not None:
        loss = C.mul(loss, weight)
    return autograd.named(_reduce(loss, reduction), "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(x), stably: (1 - y) x + (1 + (pos_weight - 1) y) log(1 + exp(-x)),
    with log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))."""
    input, target, weight, pos_weight = autocast("binary_cross_entropy_with_logits", input,
                                                 target, weight, pos_weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    if not target.dtype.is_floating_point:  # PyTorch: an integer target is refused
        raise RuntimeError(f"result type {dtypes.scalar_type_name(input.dtype)} can't be cast "
                           f"to the desired output type "
                           f"{dtypes.scalar_type_name(target.dtype)}")
    # maximum (not relu) so that the gradient at x = 0 is the true one (see F.softplus)
    softplus_of_negative = C.add(C.maximum(C.neg(input), 0.0),
                                 F.Log1p.apply(F.Exp.apply(C.neg(F.Abs.apply(input)))))
    if pos_weight is not None:
        softplus_of_negative = C.mul(softplus_of_negative,
                                     C.add(C.mul(C.sub(pos_weight, 1.0), target), 1.0))
    loss = C.add(C.mul(C.sub(1.0, target), input), softplus_of_negative)
    if weight is not None:
        loss = C.mul(loss, weight)
    return autograd.named(_reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0")


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """target * (log target - input) (0 where target = 0), input being log-probabilities;
    log_target: exp(target) * (target - input). 'batchmean' divides the sum by N."""
    input, target = autocast("kl_div", input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = C.mul(F.Exp.apply(target), C.sub(target, input))
    else:
        positive = target > 0
        safe = C.where(positive, target, 1.0)
        target_log_target = C.where(positive, C.mul(target, F.Log.apply(safe)), 0.0)
        loss = C.sub(target_log_target, C.mul(target, input))
    if reduction == "batchmean":
        return C.div(loss.sum(), input.shape[0]) if input.ndim else loss.sum()
    return _reduce(loss, reduction)
