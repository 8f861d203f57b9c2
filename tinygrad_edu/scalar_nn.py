"""A tiny neural-network library on `Value`s: Neuron, Layer, MLP.

The names match `tinygrad_edu.nn` (and PyTorch): a `Module` has `forward`, is called like a
function, lists its `parameters()` and clears their gradients with `zero_grad()`.

    neuron(x) = act(sum_i w_i x_i + b)          one output
    layer(x)  = [neuron_1(x), ..., neuron_n(x)]  n outputs
    mlp(x)    = layer_k(... layer_1(x))          hidden layers use the activation, last is linear

Initialisation follows PyTorch's `nn.Linear`: every weight and bias uniform in
[-1/sqrt(nin), 1/sqrt(nin)], drawn from the `random.Random` you pass (so runs repeat).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from tinygrad_edu.scalar import Value

ACTIVATIONS = ("relu", "tanh", "sigmoid", None)


class Module:
    """Base class: parameters(), zero_grad(), and __call__ -> forward."""

    def parameters(self) -> list[Value]:
        """Every trainable Value of this module (a fresh list)."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (PyTorch sets None; a Value's grad is a float)."""
        for p in self.parameters():
            p.grad = 0.0

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """module(x) runs module.forward(x), which each subclass defines."""
        return self.forward(x)


class Neuron(Module):
    """act(w . x + b) for one output."""

    def __init__(self, nin: int, activation: str | None = "relu",
                 rng: random.Random | None = None):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        rng = rng if rng is not None else random.Random(0)
        bound = 1.0 / math.sqrt(nin)
        self.w = [Value(rng.uniform(-bound, bound), label="w") for _ in range(nin)]
        self.b = Value(rng.uniform(-bound, bound), label="b")
        self.activation = activation

    def forward(self, x: Sequence[Value | float]) -> Value:
        """act(sum_i w_i x_i + b)"""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        out = self.b
        for wi, xi in zip(self.w, x):
            out = out + wi * xi
        if self.activation == "relu":
            return out.relu()
        if self.activation == "tanh":
            return out.tanh()
        if self.activation == "sigmoid":
            return out.sigmoid()
        return out

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """nout Neurons that all read the same nin inputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        rng: random.Random | None = None,
    ):
        rng = rng if rng is not None else random.Random(0)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        """[neuron(x) for each neuron]"""
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)}, {len(self.neurons)}, activation={n.activation!r})"


class MLP(Module):
    """Multi-layer perceptron: nin -> nouts[0] -> ... -> nouts[-1].

    Hidden layers use `activation`; the last layer is linear (its raw scores go to a loss).
    With one output, calling the MLP returns a Value instead of a list of one.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "relu",
        rng: random.Random | None = None,
    ):
        rng = rng if rng is not None else random.Random(0)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else None, rng)
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """layer_k(... layer_1(x))"""
        out: list[Value] = list(x)
        for layer in self.layers:
            out = layer(out)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP([{', '.join(repr(layer) for layer in self.layers)}])"
