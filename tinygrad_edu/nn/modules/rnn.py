"""Recurrent layers: RNN, LSTM, GRU (multi-layer, optionally bidirectional) and their cells.

One time step, with x_t the input and h the previous hidden state (W_i*, W_h* the rows of
weight_ih / weight_hh for each gate, b_* the biases):

    RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)          (or relu)
    LSTM  i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_ih x + b_ih + W_hh h + b_hh)
          c' = f * c + i * g;   h' = o * tanh(c')            (h' = W_hr h' with proj_size)
    GRU   r, z = sigmoid(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn));   h' = (1 - z) * n + z * h

The input projections W_ih x of all time steps are one matrix product before the loop;
only W_hh h runs step by step. Autograd differentiates through time on its own.
"""

import math
import warnings
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu import functions as Fn
from tinygrad_edu.movement import cat, stack
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn import init
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.nn.utils.rnn import PackedSequence, pad_packed_sequence
from tinygrad_edu.tensor import Tensor

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _step(mode: str, x_projection: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor,
          b_hh: Tensor | None, w_hr: Tensor | None) -> tuple:
    """One time step (see the module docstring); x_projection = W_ih x + b_ih."""
    hidden = F.linear(h, w_hh, b_hh)
    if mode == "GRU":
        x_r, x_z, x_n = x_projection.chunk(3, 1)
        h_r, h_z, h_n = hidden.chunk(3, 1)
        r = Fn.Sigmoid.apply(x_r + h_r)
        z = Fn.Sigmoid.apply(x_z + h_z)
        n = Fn.Tanh.apply(x_n + r * h_n)
        return n + z * (h - n), None  # = (1 - z) * n + z * h
    gates = x_projection + hidden
    if mode == "RNN_TANH":
        return Fn.Tanh.apply(gates), None
    if mode == "RNN_RELU":
        return Fn.Relu.apply(gates), None
    i, f, g, o = gates.chunk(4, 1)
    c = Fn.Sigmoid.apply(f) * c + Fn.Sigmoid.apply(i) * Fn.Tanh.apply(g)
    h = Fn.Sigmoid.apply(o) * Fn.Tanh.apply(c)
    return (h if w_hr is None else F.linear(h, w_hr)), c


class RNNBase(Module):
    """Parameters weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (suffix
    _reverse for the backward direction), all ~ U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size
        output_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list = []
        for layer in range(num_layers):
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                layer_input = input_size if layer == 0 else output_size * directions
                shapes = {"weight_ih": (gate_size, layer_input),
                          "weight_hh": (gate_size, output_size)}
                if bias:
                    shapes.update({"bias_ih": (gate_size,), "bias_hh": (gate_size,)})
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name + suffix,
                            Parameter(creation.empty(*shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return (get("weight_ih" + suffix), get("weight_hh" + suffix), get("bias_ih" + suffix),
                get("bias_hh" + suffix), get("weight_hr" + suffix))

    def _initial_state(self, input: Tensor, hx: Any, batch: int, batched: bool) -> tuple:
        """(h0, c0): zeros, or the given state checked against the expected shapes."""
        directions = 2 if self.bidirectional else 1
        output_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_shape = (self.num_layers * directions, batch, output_size)
        c_shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            h0 = creation.zeros(h_shape, dtype=input.dtype, device=input.device)
            c0 = creation.zeros(c_shape, dtype=input.dtype, device=input.device)
            return h0, (c0 if self.mode == "LSTM" else None)
        states = list(hx) if self.mode == "LSTM" else [hx]
        for k, state in enumerate(states):
            if batched and state.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but "
                                   f"got ({state.dim()}-D) tensors")
            if not batched and state.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D "
                                   f"but got ({state.dim()}-D) tensors")
            states[k] = state if batched else state.unsqueeze(1)
        expected = [h_shape, c_shape]
        for k, state in enumerate(states):
            if tuple(state.shape) != expected[k]:
                name = "hidden" if self.mode != "LSTM" else f"hidden[{k}]"
                raise RuntimeError(f"Expected {name} size {expected[k]}, got "
                                   f"{list(state.shape)}")
        return states[0], (states[1] if self.mode == "LSTM" else None)

    def forward(self, input: Tensor, hx: Any = None) -> tuple:
        """input (T, N, input_size) ((N, T, .) with batch_first; (T, .) unbatched) ->
        (output (T, N, directions * hidden), h_n (layers * directions, N, hidden)),
        with h_n replaced by (h_n, c_n) for LSTM."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        name = type(self).__name__
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             "tensor instead")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        h0, c0 = self._initial_state(input, hx, input.shape[1], batched)
        output, h_n, c_n = self._layers(input, h0, c0)
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def _layers(self, input: Tensor, h0: Tensor, c0: Tensor | None,
                batch_sizes: list | None = None) -> tuple:
        """Every layer and direction over input (T, N, features): (output, h_n, c_n).

        batch_sizes (a packed batch, sorted longest first): at step t only the first
        batch_sizes[t] sequences run; the others keep their state, so each final state is
        the one after the sequence's own last step (forward) or first step (reverse)."""
        steps, batch = input.shape[0], input.shape[1]
        directions = 2 if self.bidirectional else 1
        layer_input = input
        final_h, final_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                index = layer * directions + direction
                h = h0[index]
                c = c0[index] if c0 is not None else None
                projections = F.linear(layer_input, w_ih, b_ih)  # (T, N, gates), all steps
                step_outputs: list = [None] * steps
                order = range(steps) if direction == 0 else range(steps - 1, -1, -1)
                for t in order:
                    running = batch if batch_sizes is None else batch_sizes[t]
                    if running == batch:
                        h, c = _step(self.mode, projections[t], h, c, w_hh, b_hh, w_hr)
                    else:
                        h_run, c_run = _step(self.mode, projections[t, :running], h[:running],
                                             None if c is None else c[:running], w_hh, b_hh,
                                             w_hr)
                        h = cat([h_run, h[running:]], 0)
                        c = None if c is None else cat([c_run, c[running:]], 0)
                    step_outputs[t] = h
                outputs.append(stack(step_outputs, 0))
                final_h.append(h)
                final_c.append(c)
            layer_input = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        h_n = stack(final_h, 0)
        c_n = stack(final_c, 0) if self.mode == "LSTM" else None
        return layer_input, h_n, c_n

    def _forward_packed(self, packed: PackedSequence, hx: Any) -> tuple:
        """forward for a PackedSequence: the state hx and the returned state are in the
        batch's original order; the output is packed like the input."""
        sorted_input = packed._replace(unsorted_indices=None)
        padded, _ = pad_packed_sequence(sorted_input)  # (T, N, features), longest first
        if padded.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {padded.shape[-1]}")
        order, inverse = packed.sorted_indices, packed.unsorted_indices
        if hx is not None and order is not None:
            hx = (tuple(state.index_select(1, order) for state in hx)
                  if self.mode == "LSTM" else hx.index_select(1, order))
        h0, c0 = self._initial_state(padded, hx, padded.shape[1], True)
        batch_sizes = [int(v) for v in packed.batch_sizes.tolist()]
        output, h_n, c_n = self._layers(padded, h0, c0, batch_sizes)
        data = cat([output[t, :count] for t, count in enumerate(batch_sizes)], 0)
        if inverse is not None:
            h_n = h_n.index_select(1, inverse)
            c_n = c_n.index_select(1, inverse) if c_n is not None else None
        return packed._replace(data=data), ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


class RNN(RNNBase):
    """Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (nonlinearity='relu' for relu).

    Its repr, RNNBase's, leaves the nonlinearity out, as PyTorch's does: RNN(2, 3)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)


class LSTM(RNNBase):
    """Long short-term memory; forward returns (output, (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; forward returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


class _CellBase(Module):
    """One time step: weight_ih (gates * hidden, input), weight_hh (gates * hidden, hidden)."""

    mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(creation.empty(gate_size, input_size, device=device,
                                                  dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gate_size, hidden_size, device=device,
                                                  dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(gate_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(gate_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _run(self, input: Tensor, hx: Any) -> tuple:
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        zeros = creation.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
        if hx is None:
            h, c = zeros, (zeros if self.mode == "LSTM" else None)
        elif self.mode == "LSTM":
            h, c = hx
            h, c = (h, c) if batched else (h.unsqueeze(0), c.unsqueeze(0))
        else:
            h, c = (hx if batched else hx.unsqueeze(0)), None
        projection = F.linear(x, self.weight_ih, self.bias_ih)
        h, c = _step(self.mode, projection, h, c, self.weight_hh, self.bias_hh, None)
        if not batched:
            h = h.squeeze(0)
            c = c.squeeze(0) if c is not None else None
        return h, c

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        return text


class RNNCell(_CellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)[0]

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (f", nonlinearity={self.nonlinearity}"
                       if self.nonlinearity != "tanh" else "")


class LSTMCell(_CellBase):
    """One LSTM step: returns (h', c')."""

    mode = "LSTM"

    def forward(self, input: Tensor, hx: Any = None) -> tuple:
        return self._run(input, hx)


class GRUCell(_CellBase):
    """One GRU step: returns h'."""

    mode = "GRU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, hx)[0]
