"""nn.utils: gradient clipping, flattening parameters into one vector, and (nn.utils.rnn)
padding sequences to one length."""

from tinygrad_edu.nn.utils import rnn
from tinygrad_edu.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from tinygrad_edu.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters", "rnn"]
