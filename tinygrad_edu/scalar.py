"""Value: autograd on single numbers (micrograd-style), the first thing to read.

A `Value` holds one float (`data`), the derivative of the final output with respect to it
(`grad`), the Values it was computed from (`_prev`) and the name of the operation that made
it (`_op`). `backward()` walks the graph from the output back to the leaves in reverse
topological order and applies the chain rule at every node:

    input.grad += output.grad * d(output)/d(input)

Every forward formula and every local derivative calls `kernels/scalar_math.py`, the same
plain-Python functions that the CPU and CUDA kernels compile, so `Value.sigmoid` and the
Tensor kernels agree by construction.

Two differences from micrograd, both for speed and for deep graphs:
- no backward closures: a node stores its op name and inputs, and `_backward()` dispatches
  on `_op`. A closure that captures its own output is a reference cycle, and cycles make
  Python's cycle collector run constantly on large graphs.
- the topological sort is iterative, so a chain of 10,000 nodes needs no recursion.
"""

from __future__ import annotations

import numbers

from kernels import scalar_math

Number = int | float  # a plain Python number that may stand next to a Value


def _check_number(x: object, what: str) -> float:
    """Return x as a float, or raise a TypeError that names `what` went wrong."""
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return float(x)
    raise TypeError(f"{what}: expected an int or float, got {type(x).__name__}")


class Value:
    """One scalar in a computation graph: data, grad, and how it was computed."""

    # __slots__: graphs hold hundreds of thousands of Values; slots make each one small.
    __slots__ = ("_const", "_op", "_prev", "data", "grad", "label")

    def __init__(
        self,
        data: float,
        _prev: tuple[Value, ...] = (),
        _op: str = "",
        _const: float = 0.0,
        label: str = "",
    ) -> None:
        self.data = _check_number(data, "Value(data)")
        self.grad = 0.0  # d(output)/d(self), filled in by backward()
        self._prev = _prev  # the inputs; a tuple, so `a * a` lists `a` twice
        self._op = _op  # "" for a leaf, else "+", "*", "tanh", ...
        self._const = _const  # the number in `x ** c` and `c ** x`
        self.label = label  # a name for pictures (viz.draw_graph), optional

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------------ operands

    @staticmethod
    def _lift(other: object, op: str, reflected: bool = False) -> Value:
        """Wrap a number as a leaf Value; refuse anything else with a clear TypeError."""
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real):
            return Value(other)
        left, right = "Value", type(other).__name__
        if reflected:
            left, right = right, left
        raise TypeError(
            f"unsupported operand types for {op}: '{left}' and '{right}' "
            "(a Value combines only with a Value, int or float)"
        )

    # ------------------------------------------------------------------ binary ops
    # Each op computes its result with scalar_math and records (inputs, op name).

    def __add__(self, other: Value | Number) -> Value:
        other = Value._lift(other, "+")
        return Value(scalar_math.add(self.data, other.data), (self, other), "+")

    def __sub__(self, other: Value | Number) -> Value:
        other = Value._lift(other, "-")
        return Value(scalar_math.sub(self.data, other.data), (self, other), "-")

    def __mul__(self, other: Value | Number) -> Value:
        other = Value._lift(other, "*")
        return Value(scalar_math.mul(self.data, other.data), (self, other), "*")

    def __truediv__(self, other: Value | Number) -> Value:
        other = Value._lift(other, "/")
        # scalar_math.div follows IEEE: 1/0 = inf (Python's / would raise ZeroDivisionError)
        return Value(scalar_math.div(self.data, other.data), (self, other), "/")

    def __pow__(self, exponent: Number) -> Value:
        """self ** c for a number c (a Value exponent is not supported)."""
        if isinstance(exponent, Value):
            raise TypeError("Value ** Value is not supported: "
                            "the exponent must be an int or float")
        c = _check_number(exponent, "Value ** exponent")
        return Value(scalar_math.power(self.data, c), (self,), "**", _const=c)

    # Reflected ops: `2 + x` calls x.__radd__(2). The number becomes a leaf on the left.
    def __radd__(self, other: Number) -> Value:
        return Value._lift(other, "+", reflected=True) + self

    def __rsub__(self, other: Number) -> Value:
        return Value._lift(other, "-", reflected=True) - self

    def __rmul__(self, other: Number) -> Value:
        return Value._lift(other, "*", reflected=True) * self

    def __rtruediv__(self, other: Number) -> Value:
        return Value._lift(other, "/", reflected=True) / self

    def __rpow__(self, base: Number) -> Value:
        """c ** self for a number c."""
        c = _check_number(base, "number ** Value")
        return Value(scalar_math.power(c, self.data), (self,), "rpow", _const=c)

    # ------------------------------------------------------------------ unary ops

    def __neg__(self) -> Value:
        return Value(scalar_math.neg(self.data), (self,), "neg")

    def neg(self) -> Value:
        """-self"""
        return -self

    def exp(self) -> Value:
        """e ** self"""
        return Value(scalar_math.exp(self.data), (self,), "exp")

    def log(self) -> Value:
        """natural log of self"""
        return Value(scalar_math.log(self.data), (self,), "log")

    def tanh(self) -> Value:
        """tanh(self)"""
        return Value(scalar_math.tanh(self.data), (self,), "tanh")

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self)"""
        return Value(scalar_math.sigmoid(self.data), (self,), "sigmoid")

    def relu(self) -> Value:
        """max(self, 0)"""
        return Value(scalar_math.relu(self.data), (self,), "relu")

    # ------------------------------------------------------------------ backward

    def _backward(self) -> None:
        """Chain rule at this node: add self.grad * d(self)/d(input) to each input's grad.

        Unary functions use the `*_back(x_or_y, grad)` helpers of scalar_math, which return
        grad * f'(.), written in terms of the input x or the output y = self.data.
        """
        op = self._op
        g = self.grad
        y = self.data
        if op == "":
            return  # a leaf: nothing to pass on
        if op in ("+", "-", "*", "/"):
            a, b = self._prev
            if op == "+":  # d(a+b)/da = 1, d(a+b)/db = 1
                da, db = g, g
            elif op == "-":  # d(a-b)/da = 1, d(a-b)/db = -1
                da, db = g, scalar_math.neg(g)
            elif op == "*":  # d(ab)/da = b, d(ab)/db = a
                da = scalar_math.mul(g, b.data)
                db = scalar_math.mul(g, a.data)
            else:  # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -(a/b)/b
                da = scalar_math.div(g, b.data)
                db = scalar_math.neg(scalar_math.div(scalar_math.mul(g, y), b.data))
            a.grad += da
            b.grad += db
            return
        (x,) = self._prev
        if op == "neg":  # d(-x)/dx = -1
            x.grad += scalar_math.neg(g)
        elif op == "**":  # d(x**c)/dx = c x**(c-1)
            x.grad += scalar_math.mul(g, scalar_math.power_back_base(x.data, self._const))
        elif op == "rpow":  # d(c**x)/dx = c**x log(c) = y log(c)
            x.grad += scalar_math.mul(g, scalar_math.power_back_exponent(self._const, y))
        elif op == "exp":
            x.grad += scalar_math.exp_back(y, g)
        elif op == "log":
            x.grad += scalar_math.log_back(x.data, g)
        elif op == "tanh":
            x.grad += scalar_math.tanh_back(y, g)
        elif op == "sigmoid":
            x.grad += scalar_math.sigmoid_back(y, g)
        elif op == "relu":
            x.grad += scalar_math.relu_back(x.data, g)
        else:
            raise RuntimeError(f"Value._backward: unknown op {op!r}")

    def topological_order(self) -> list[Value]:
        """Every node this Value depends on (itself included), inputs before outputs.

        Iterative depth-first search with an explicit stack of (node, inputs_done):
        a node is appended after all of its inputs, so no recursion limit applies.
        """
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))  # come back to it once its inputs are placed
            for child in node._prev:
                if id(child) not in visited:
                    stack.append((child, False))
        return order

    def backward(self, gradient: float = 1.0) -> None:
        """Fill in d(self)/d(node) for every node of the graph, by the chain rule.

        Leaves accumulate: calling backward twice adds the gradients twice (like PyTorch);
        call `zero_grad()` on a Module (or set `grad = 0.0`) in between. Intermediate nodes
        are reset first and then hold this pass's gradient (PyTorch keeps no grad on them
        by default; we keep it so that viz.draw_graph can show it).
        """
        order = self.topological_order()
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += _check_number(gradient, "backward(gradient)")
        for node in reversed(order):  # outputs before inputs
            node._backward()

