"""Margin, ranking and likelihood losses: margin_ranking, hinge_embedding, cosine_embedding,
triplet_margin, soft_margin, multilabel_soft_margin, multi_margin, multilabel_margin;
poisson_nll, gaussian_nll. Each reduces as the losses in loss.py do (its `_reduce`).
"""

import math

import numpy as np

from tinygrad_edu import autograd, creation, dtypes
from tinygrad_edu import composite as C
from tinygrad_edu import functions as F
from tinygrad_edu.movement import _to_device
from tinygrad_edu.nn.functional.activation import logsigmoid
from tinygrad_edu.nn.functional.distance import pairwise_distance
from tinygrad_edu.nn.functional.loss import (
    REDUCTIONS,
    _check_reduction,
    _legacy_reduction,
    _reduce,
)
from tinygrad_edu.tensor import Tensor

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
