"""nn.functional: the stateless forms of the layers and losses (`import ... as F`).

    activation.py   relu, gelu, silu, softmax, ...
    layers.py       linear, norms, dropout, embedding
    sparse.py       embedding_bag
    conv.py         conv, conv_transpose, unfold, fold
    pooling.py      max, average and adaptive pooling; pixel_shuffle
    shape.py        one_hot, pad, interpolate
    loss.py         mse, cross entropy, nll, bce, kl_div, ...
    loss_margin.py  margin, ranking and likelihood losses
    attention.py    scaled_dot_product_attention, multi_head_attention_forward
    distance.py     cosine_similarity, pairwise_distance
    layers_more.py  bilinear, channel_shuffle, gumbel_softmax
    conv3d.py       conv3d, max/avg/adaptive_avg pool3d, from the 2-d kernels
    sampling.py     affine_grid, grid_sample (spatial transformers)
    more_names.py   lp_pool, max_unpool, alpha/feature_alpha dropout, dropout3d, pdist,
                    triplet_margin_with_distance_loss, upsample*, in-place activations
"""

from tinygrad_edu.nn.functional.activation import (
    celu,
    celu_,
    elu,
    gelu,
    glu,
    hardshrink,
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
    rrelu,
    rrelu_,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from tinygrad_edu.nn.functional.attention import (
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from tinygrad_edu.nn.functional.conv import (
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    fold,
    unfold,
)
from tinygrad_edu.nn.functional.conv3d import (
    adaptive_avg_pool3d,
    avg_pool3d,
    conv3d,
    max_pool3d,
)
from tinygrad_edu.nn.functional.distance import cosine_similarity, pairwise_distance
from tinygrad_edu.nn.functional.layers import (
    batch_norm,
    dropout,
    dropout1d,
    dropout2d,
    embedding,
    group_norm,
    instance_norm,
    layer_norm,
    linear,
    local_response_norm,
    normalize,
    rms_norm,
)
from tinygrad_edu.nn.functional.layers_more import bilinear, channel_shuffle, gumbel_softmax
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
from tinygrad_edu.nn.functional.loss_margin import (
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from tinygrad_edu.nn.functional.more_names import (
    alpha_dropout,
    dropout3d,
    elu_,
    feature_alpha_dropout,
    hardtanh_,
    leaky_relu_,
    lp_pool1d,
    lp_pool2d,
    max_unpool1d,
    max_unpool2d,
    pdist,
    selu_,
    triplet_margin_with_distance_loss,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from tinygrad_edu.nn.functional.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    pixel_shuffle,
    pixel_unshuffle,
)
from tinygrad_edu.nn.functional.sampling import affine_grid, grid_sample
from tinygrad_edu.nn.functional.shape import interpolate, one_hot, pad
from tinygrad_edu.nn.functional.sparse import embedding_bag

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
    "celu", "celu_", "glu", "hardshrink", "rrelu", "rrelu_", "softshrink", "softsign",
    "tanhshrink", "threshold", "threshold_",
    "instance_norm", "local_response_norm", "rms_norm",
    "cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "conv_transpose1d", "conv_transpose2d", "fold",
    "pixel_shuffle", "pixel_unshuffle", "unfold", "embedding_bag",
    "bilinear", "channel_shuffle", "gumbel_softmax",
    "adaptive_avg_pool3d", "avg_pool3d", "conv3d", "max_pool3d",
    "affine_grid", "grid_sample",
    "alpha_dropout", "dropout3d", "elu_", "feature_alpha_dropout", "hardtanh_", "leaky_relu_",
    "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d", "pdist", "selu_",
    "triplet_margin_with_distance_loss", "upsample", "upsample_bilinear", "upsample_nearest",
]
