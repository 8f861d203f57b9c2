"""nn.utils: gradient clipping, flattening parameters into one vector, (nn.utils.rnn)
padding sequences to one length, weight normalisation (the legacy hook API and
nn.utils.parametrizations), nn.utils.parametrize, (deprecated) nn.utils.stateless,
nn.utils.prune (masks) and nn.utils.fusion (folding BatchNorm into conv/linear)."""

from tinygrad_edu.nn.utils import fusion, parametrizations, parametrize, prune, rnn, stateless
from tinygrad_edu.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from tinygrad_edu.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from tinygrad_edu.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from tinygrad_edu.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters", "rnn", "weight_norm", "remove_weight_norm", "parametrize",
           "parametrizations", "stateless", "prune", "fusion", "fuse_conv_bn_eval",
           "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]
