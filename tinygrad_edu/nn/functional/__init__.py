"""nn.functional: the stateless forms of the layers and losses (`import ... as F`).

    activation.py  relu, gelu, silu, softmax, ...      conv.py   conv, pooling
    layers.py      linear, norms, dropout, embedding   shape.py  one_hot, pad, interpolate
    loss.py        mse, cross entropy, nll, bce, kl_div, ...
    attention.py   scaled_dot_product_attention, multi_head_attention_forward
    distance.py    cosine_similarity, pairwise_distance
"""

from tinygrad_edu.nn.functional.activation import (
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    tanh,
)
from tinygrad_edu.nn.functional.attention import (
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from tinygrad_edu.nn.functional.conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    max_pool1d,
    max_pool2d,
)
from tinygrad_edu.nn.functional.distance import cosine_similarity, pairwise_distance
from tinygrad_edu.nn.functional.layers import (
    batch_norm,
    dropout,
    dropout1d,
    dropout2d,
    embedding,
    group_norm,
    layer_norm,
    linear,
    normalize,
)
from tinygrad_edu.nn.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from tinygrad_edu.nn.functional.shape import interpolate, one_hot, pad

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
    "cosine_similarity", "cross_entropy", "dropout", "dropout1d", "dropout2d", "elu", "embedding",
    "gelu", "group_norm", "hardsigmoid", "hardswish", "hardtanh", "huber_loss", "interpolate",
    "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid",
    "max_pool1d", "max_pool2d", "mish", "mse_loss", "multi_head_attention_forward", "nll_loss",
    "normalize", "one_hot", "pad", "pairwise_distance", "prelu", "relu", "relu6", "relu_",
    "scaled_dot_product_attention", "selu", "sigmoid", "silu", "smooth_l1_loss", "softmax",
    "softmin", "softplus", "tanh",
]
