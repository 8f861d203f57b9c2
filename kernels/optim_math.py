"""Per-step scalars of the fused optimizer updates, in plain Python (imports numpy only).

The CPU kernels (kernels/cpu/optim.py) and the CUDA kernels (kernels/cuda/optim.py) take the
same scalar arguments after their buffers: the bias corrections, step sizes and option flags,
computed here once per step and cast to the parameter's dtype, so a float32 parameter is
updated in float32 arithmetic on both devices. Each `*_arguments` function returns them in
the order the kernels take them.

They are cached (`lru_cache`): every parameter of a group asks for the same arguments in
one step, and the cache answers in 0.1 us where computing them takes 1.5-2 us.
"""

from functools import lru_cache

import numpy as np

cached = lru_cache(maxsize=256)


def lerp_arguments(weight: float, dtype: np.dtype) -> tuple:
    """(from_start, coefficient) for `lerp(start, end, weight)` in `dtype`, PyTorch's way:

    weight < 0.5: start + weight * (end - start)    else: end - (end - start) * (1 - weight)
    Both are `base + coefficient * (end - start)` with base = start or end, and
    end - x * (1 - w) equals end + x * -(1 - w) exactly, so one formula serves.
    """
    w = dtype.type(weight)
    from_start = bool(abs(w) < 0.5)
    return from_start, w if from_start else -(dtype.type(1) - w)


@cached
def sgd_arguments(lr: float, momentum: float, dampening: float, weight_decay: float,
                  nesterov: bool, maximize: bool, first_step: bool, dtype: np.dtype) -> tuple:
    """The scalar arguments of `sgd_update` after the buffers."""
    cast = dtype.type
    return (cast(-1 if maximize else 1), weight_decay != 0, cast(weight_decay), momentum != 0,
            first_step, nesterov, cast(momentum), cast(1 - dampening), cast(-lr))


@cached
def adam_arguments(lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                   step: float, amsgrad: bool, maximize: bool, decoupled: bool,
                   dtype: np.dtype) -> tuple:
    """The scalar arguments of `adam_update` for Adam step number `step` (1, 2, ...).

    bias_correction1 = 1 - beta1**step        step_size = lr / bias_correction1
    bias_correction2 = 1 - beta2**step        the denominator uses sqrt(bias_correction2)
    decay_factor = 1 - lr * weight_decay      (AdamW: param *= decay_factor; else exactly 1)
    """
    cast = dtype.type
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    decoupled_decay = decoupled and weight_decay != 0
    decay_factor = cast(1 - lr * weight_decay) if decoupled_decay else cast(1)
    from_start, coefficient = lerp_arguments(1 - beta1, dtype)
    return (cast(-1 if maximize else 1), decay_factor, weight_decay != 0 and not decoupled,
            cast(weight_decay), from_start, coefficient, cast(beta2), cast(1 - beta2), amsgrad,
            cast(-step_size), cast(bias_correction2_sqrt), cast(eps))


@cached
def rmsprop_arguments(lr: float, alpha: float, eps: float, weight_decay: float,
                      momentum: float, centered: bool, maximize: bool, dtype: np.dtype) -> tuple:
    """The scalar arguments of `rmsprop_update` after the buffers."""
    cast = dtype.type
    from_start, coefficient = lerp_arguments(1 - alpha, dtype)
    return (cast(-1 if maximize else 1), weight_decay != 0, cast(weight_decay), cast(alpha),
            cast(1 - alpha), centered, from_start, coefficient, cast(eps), momentum > 0,
            cast(momentum), cast(-lr))


@cached
def adagrad_arguments(lr: float, lr_decay: float, eps: float, weight_decay: float,
                      step: float, maximize: bool, dtype: np.dtype) -> tuple:
    """The scalar arguments of `adagrad_update`: the decayed rate is
    clr = lr / (1 + (step - 1) * lr_decay)."""
    cast = dtype.type
    clr = lr / (1 + (step - 1) * lr_decay)
    return cast(-1 if maximize else 1), weight_decay != 0, cast(weight_decay), cast(eps), \
        cast(-clr)
