"""Loss functions, composed from primitives, stable for large logits.

Every loss computes a per-element loss and then reduces it ('mean', 'sum' or 'none').
Classification losses never take log(softmax(x)) or log(sigmoid(x)) literally (exp
overflows for logits near 100): they use the fused log_softmax and the identity
log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|)).
"""

import math
import warnings

import numpy as np

from tinygrad_edu import autograd, creation, dtypes
from tinygrad_edu import composite as C
from tinygrad_edu import functions as F
from tinygrad_edu.movement import _to_device
from tinygrad_edu.nn.functional.activation import logsigmoid
from tinygrad_edu.nn.functional.distance import pairwise_distance
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
    reduction = _legacy_reduction(size_average, reduce, reduction)
    difference = _difference(input, target)
    loss = _weighted(C.mul(difference, difference), weight, reduction, input, True)
    return loss if weight is not None else autograd.named(loss, "MseLossBackward0")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|x - y|"""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _weighted(F.Abs.apply(_difference(input, target)), weight, reduction, input, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta  (d = x - y; beta = 0: |d|)"""
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


# ---------------------------------------------------------------------------- margins, ranking


def _reduce_checked_late(loss: Tensor, reduction: str) -> Tensor:
    """_reduce for the losses PyTorch writes in Python: they check the reduction only at
    the end, with their own text ('... is not valid')."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin), y = 1 when x1 should rank higher, -1 when x2."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    loss = C.clamp(C.add(C.mul(C.neg(target), C.sub(input1, input2)), margin), min=0)
    return _reduce(autograd.named(loss, "ClampMinBackward0"), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x a distance, y = +-1).

    As PyTorch, a y that is neither counts both terms: x + max(0, margin - x)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    margin_term = C.where(target != 1, C.clamp(C.sub(margin, input), min=0), 0.0)
    self_term = C.where(target != -1, input, 0.0)
    return _reduce(C.add(margin_term, self_term), reduction)


COSINE_EPSILON = 1e-12  # PyTorch's, added to each squared norm


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, with
    cos = sum(x1 x2) / sqrt((sum(x1^2) + 1e-12) (sum(x2^2) + 1e-12)) along the last dim."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    wanted = target.ndim + 1
    if input1.ndim != wanted or input2.ndim != wanted:
        raise RuntimeError(f"{target.ndim}D target tensor expects {wanted}D input tensors, but "
                           f"found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    dim = target.ndim
    products = C.mul(input1, input2).sum(dim)
    squares1 = C.add(C.mul(input1, input1).sum(dim), COSINE_EPSILON)
    squares2 = C.add(C.mul(input2, input2).sum(dim), COSINE_EPSILON)
    cosine = C.div(products, F.Sqrt.apply(C.mul(squares1, squares2)))
    positive = C.where(target == 1, C.sub(1.0, cosine), 0.0)
    negative = C.where(target == -1, C.clamp(C.sub(cosine, margin), min=0), 0.0)
    return _reduce(C.add(positive, negative), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d the pairwise p-norm distance (+ eps) along the
    last dim; swap: d(a, n) becomes min(d(a, n), d(p, n))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {anchor.ndim}D, "
                           f"positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = C.minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    loss = C.clamp(C.sub(C.add(to_positive, margin), to_negative), min=0)
    return _reduce(autograd.named(loss, "ClampMinBackward0"), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) (y = +-1), as max(z, 0) + log1p(exp(-|z|)) with z = -y x, which
    never overflows (PyTorch's literal formula gives inf beyond z ~ 88 in float32)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    z = C.neg(C.mul(input, target))
    loss = C.add(C.maximum(z, 0.0), F.Log1p.apply(F.Exp.apply(C.neg(F.Abs.apply(z)))))
    return autograd.named(_reduce(loss, reduction), "SoftMarginLossBackward0")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross entropy of sigmoid(x) per class, averaged over the C classes (last dim):
    -(y log sigmoid(x) + (1 - y) log sigmoid(-x)) * weight, summed over classes / C."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = C.neg(C.add(C.mul(target, logsigmoid(input)),
                       C.mul(C.sub(1, target), logsigmoid(C.neg(input)))))
    if weight is not None:
        loss = C.mul(loss, weight)
    class_dim = input.ndim - 1
    loss = C.div(loss.sum(class_dim), input.shape[class_dim])
    return _reduce_checked_late(loss, reduction)


def _frames(input: Tensor) -> tuple[int, int]:
    """(samples, classes) of a (C,) or (N, C) input (0-d: one sample of one class)."""
    if not (input.ndim == 0 or (input.ndim in (1, 2) and input.shape[-1] != 0)):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    if input.ndim <= 1:
        return 1, (1 if input.ndim == 0 else input.shape[0])
    return input.shape[0], input.shape[1]


def _check_long(target: Tensor) -> None:
    if target.dtype is not dtypes.int64:
        raise RuntimeError("expected scalar type Long but found "
                           f"{dtypes.scalar_type_name(target.dtype)}")


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of sample x with class t = target:

        loss = sum_{d != t} weight[t] * max(0, margin - x[t] + x[d]) ** p / C   (p = 1 or 2)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    samples, classes = _frames(input)
    if target.ndim > 1 or target.numel() != samples:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           "the number of input samples (batch size). Expected target size "
                           f"[{samples}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    _check_long(target)
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got "
                           f"{list(weight.shape)}")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(input.dtype)} but "
                           f"found {dtypes.scalar_type_name(weight.dtype)}")
    host = target.detach().cpu().numpy().reshape(samples)
    if host.size and (host.min() < 0 or host.max() >= classes):
        raise RuntimeError("target out of range")
    x = input.reshape(samples, classes)
    index = _to_device(host.reshape(samples, 1), input)
    z = C.add(C.sub(margin, x.gather(1, index)), x)  # (N, C): margin - x[t] + x[d]
    hinge = C.where(z > 0, z if p == 1 else C.mul(z, z), 0.0)
    if weight is not None:
        hinge = C.mul(hinge, F.Gather.apply(weight, index))
    others = _to_device(np.arange(classes)[None, :] != host[:, None], input)  # d != t
    loss = C.div(C.where(others, hinge, 0.0).sum(1), classes)
    if reduction == "none" and target.ndim == 0:
        loss = loss.reshape(())
    return autograd.named(_reduce(loss, reduction), "MultiMarginLossBackward0")


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: target holds the sample's classes, ended by the first -1:

        loss = sum_{j in targets} sum_{d not in targets} max(0, 1 - x[j] + x[d]) / C
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    samples, classes = _frames(input)
    ok = target.ndim <= 1 and target.numel() == classes if input.ndim <= 1 else \
        tuple(target.shape) == (samples, classes)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    _check_long(target)
    host = target.detach().cpu().numpy().reshape(samples, classes)
    if host.size and (host.min() < -1 or host.max() >= classes):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = np.cumprod(host != -1, axis=1).astype(bool)  # (N, J): before the first -1
    safe = np.where(listed, host, 0)
    is_target = np.zeros((samples, classes), dtype=bool)  # (N, D)
    for row in range(samples):
        is_target[row, safe[row][listed[row]]] = True
    pairs = listed[:, :, None] & ~is_target[:, None, :]  # (N, J, D): j listed, d not a target
    x = input.reshape(samples, classes)
    picked = x.gather(1, _to_device(safe, input))  # (N, J): x[target_j]
    z = C.add(C.sub(1.0, picked.unsqueeze(2)), x.unsqueeze(1))  # (N, J, D)
    hinge = C.where(C.logical_and(_to_device(pairs, input), z > 0), z, 0.0)
    loss = C.div(hinge.sum((1, 2)), classes)
    if reduction == "none" and input.ndim <= 1:
        loss = loss.reshape(())
    return autograd.named(_reduce(loss, reduction), "MultilabelMarginLossBackward0")


# ---------------------------------------------------------------------------- likelihoods


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of target ~ Poisson(rate), up to a constant:

        log_input: exp(x) - y x   (x = log rate);   else: x - y log(x + eps)   (x = rate)
        full: + y log y - y + log(2 pi y) / 2 (Stirling's term) where y > 1
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = C.sub(F.Exp.apply(input), C.mul(target, input))
    else:
        loss = C.sub(input, C.mul(target, F.Log.apply(C.add(input, eps))))
    if full:
        stirling = C.add(C.sub(C.mul(target, F.Log.apply(target)), target),
                         C.mul(F.Log.apply(C.mul(target, 2 * math.pi)), 0.5))
        loss = C.add(loss, C.masked_fill(stirling, target <= 1, 0.0))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of target ~ Normal(input, var):

        0.5 (log(max(var, eps)) + (x - y)^2 / max(var, eps))  (+ 0.5 log(2 pi) if full)

    var: one per element, one per sample (input's shape less the last dim, or one dim of
    size 1), or a number. As PyTorch, the clamp at eps changes the value, not the gradient.
    Unlike PyTorch, a Python int var is taken as a number (PyTorch fails on it).
    """
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = C.mul(creation.ones(input.shape, dtype=input.dtype, device=input.device), var)
    elif C.any(var.detach() < 0).item():
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # one variance per sample, broadcast over the last dim
        elif not (input.ndim == var.ndim and sum(
                b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    fixed = var.detach()
    # the clamped value, with d/dvar = 1: var - var.detach() is exactly 0
    var = C.add(C.clamp(fixed, min=eps), C.sub(var, fixed))
    difference = C.sub(input, target)
    loss = C.mul(C.add(F.Log.apply(var), C.div(C.mul(difference, difference), var)), 0.5)
    if full:
        loss = C.add(loss, 0.5 * math.log(2 * math.pi))
    return _reduce(loss, reduction)
