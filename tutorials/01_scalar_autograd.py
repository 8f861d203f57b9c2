# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 — Scalar autograd: derivatives, the chain rule, and `Value`
#
# Every deep-learning library answers one question over and over: *if I nudge this number,
# how much does the loss change?* That number is a derivative, and **backpropagation** computes
# all of them at once by the chain rule. Here we do it on single numbers (scalars), with
# `tinygrad_edu.scalar.Value`; the Tensor library later does exactly the same on arrays.
#
# Run this file as a script (`python tutorials/01_scalar_autograd.py`) or open it as a notebook
# (`jupytext --to notebook tutorials/01_scalar_autograd.py`). Figures go to `tutorials/out/`.

# %%
import math
import os
import random
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from tinygrad_edu import viz
from tinygrad_edu.datasets_toy import make_moons
from tinygrad_edu.scalar import Value
from tinygrad_edu.scalar_nn import MLP

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# ## 1. A derivative is a slope you can measure
#
# For $f(x) = 3x^2 - 4x + 5$ calculus says $f'(x) = 6x - 4$, so $f'(3) = 14$. Without calculus
# we can *measure* it: nudge $x$ by a small $h$ and see how much $f$ moves.
#
# - forward difference: $\frac{f(x+h) - f(x)}{h}$, error shrinks like $h$;
# - central difference: $\frac{f(x+h) - f(x-h)}{2h}$, error shrinks like $h^2$.
#
# Too small an $h$ loses to floating-point rounding, so there is a sweet spot.


# %%
def f(x):
    return 3 * x**2 - 4 * x + 5


x = 3.0
print(f"{'h':>8} {'forward':>14} {'central':>14}   (exact 14)")
for h in [1e-1, 1e-3, 1e-5, 1e-8, 1e-12]:
    forward = (f(x + h) - f(x)) / h
    central = (f(x + h) - f(x - h)) / (2 * h)
    print(f"{h:8.0e} {forward:14.10f} {central:14.10f}")

# %%
xs = np.linspace(-2, 4, 100)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(xs, f(xs), label="f(x)")
ax.plot(xs, f(3.0) + 14 * (xs - 3.0), "--", label="tangent at x=3, slope 14")
ax.scatter([3.0], [f(3.0)], color="k", zorder=3)
ax.set_ylim(-5, 40)
ax.legend()
ax.set_title("the derivative is the slope of the tangent")
fig.savefig(OUT / "01_tangent.png", dpi=100)
plt.close(fig)

# %% [markdown]
# Finite differences cost one extra evaluation of $f$ **per input**. A network with a million
# weights would need a million forward passes per step. Backpropagation gets all of them for
# the cost of about one more pass. We keep finite differences as the *referee*: every gradient
# in this library is tested against them.
#
# ## 2. The chain rule
#
# If $L = g(u)$ and $u = h(w)$, then $\frac{dL}{dw} = \frac{dL}{du}\cdot\frac{du}{dw}$: local
# slopes multiply along the path. Take one neuron: $u = w x + b$, $p = \sigma(u)$, with
# $\sigma'(u) = p(1-p)$.

# %%
w, x, b = 0.5, 2.0, -0.3
u = w * x + b
p = 1 / (1 + math.exp(-u))
dp_du = p * (1 - p)  # local derivative of the sigmoid
du_dw = x  # local derivative of w * x + b with respect to w
dp_dw_chain = dp_du * du_dw  # chain rule


def neuron(w):
    return 1 / (1 + math.exp(-(w * x + b)))


h = 1e-6
dp_dw_numeric = (neuron(w + h) - neuron(w - h)) / (2 * h)
print(f"chain rule: {dp_dw_chain:.8f}   finite difference: {dp_dw_numeric:.8f}")

# %% [markdown]
# ## 3. `Value`: numbers that remember where they came from
#
# A `Value` wraps one float. Every operation on Values returns a new Value that records its
# inputs (`_prev`) and its operation (`_op`). That record *is* the computation graph.

# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
f_ = Value(-2.0, label="f")
L = d * f_
L.label = "L"
print(L)
print("L was made by", repr(L._op), "from", [v.label for v in L._prev])
print("d was made by", repr(d._op), "from", [v.label for v in d._prev])

# %% [markdown]
# `L.backward()` visits the nodes from `L` back to the leaves (reverse topological order)
# and at each node adds `node.grad * local derivative` to each input's `grad`:
#
# - $\partial L/\partial L = 1$
# - $L = d f$: $\partial L/\partial d = f = -2$, $\partial L/\partial f = d = 4$
# - $d = e + c$: a `+` passes the gradient through: $\partial L/\partial e = \partial L/
#   \partial c = -2$
# - $e = a b$: $\partial L/\partial a = -2 \cdot b = 6$, $\partial L/\partial b = -2 \cdot a =
#   -4$

# %%
L.backward()
for v in (a, b, c, f_):
    print(f"dL/d{v.label} = {v.grad:g}")

# check one with a finite difference: nudge a, recompute L
h = 1e-6
L_plus = ((a.data + h) * b.data + c.data) * f_.data
L_minus = ((a.data - h) * b.data + c.data) * f_.data
print("finite difference dL/da =", round((L_plus - L_minus) / (2 * h), 6))

# %% [markdown]
# Each op's local derivative lives in `kernels/scalar_math.py` (for example `tanh_back(y, grad)
# = grad * (1 - y**2)`). The compiled CPU and GPU kernels use *the same functions*, so the
# scalar engine and the Tensor library can never disagree about a derivative.
#
# ## 4. Seeing the graph
#
# `viz.draw_graph` draws what `backward` walks: leaves in blue, operations in yellow, the
# output in green, each box with its `data` and `grad`. Here is one neuron with a tanh.

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
bias = Value(6.8813735870195432, label="b")
n = x1 * w1 + x2 * w2 + bias
n.label = "n"
o = n.tanh()
o.label = "o"
o.backward()
graph_figure = viz.draw_graph(o, OUT / "01_neuron_graph.png", title="o = tanh(x1 w1 + x2 w2 + b)")
print("wrote", OUT / "01_neuron_graph.png", "(in a notebook, evaluate `graph_figure` to see it)")
print(viz.to_dot(o).splitlines()[3])  # DOT text too, for Graphviz users

# %% [markdown]
# ### A node used twice
#
# When a Value feeds two places, gradients from both paths **add up** (multivariable chain
# rule). That is why `_backward` uses `+=`, and why you must zero gradients between training
# steps: leaves accumulate across `backward()` calls, exactly like PyTorch.

# %%
a = Value(3.0, label="a")
y = a * a + a  # dy/da = 2a + 1 = 7
y.backward()
print("dy/da =", a.grad)
y.backward()  # again, without zeroing: the leaf accumulates
print("after a second backward, without zeroing:", a.grad)
a.grad = 0.0
y.backward()
print("after zeroing and one more backward:", a.grad)

# %% [markdown]
# ## 5. Training a small network of Values
#
# `tinygrad_edu.scalar_nn` builds `Neuron`, `Layer` and `MLP` from Values, with the same
# method names as `tinygrad_edu.nn` (and PyTorch): `model(x)`, `model.parameters()`,
# `model.zero_grad()`. We classify the two-moons set: two interleaved half circles that no
# straight line separates.
#
# Loss: the hinge (SVM) loss $\max(0, 1 - y_i s_i)$ with labels $y_i \in \{-1, +1\}$ and scores
# $s_i$, averaged, plus a small L2 penalty on the weights. Optimiser: plain gradient descent,
# `p.data -= lr * p.grad`, with a decaying learning rate.

# %%
n_points, hidden, steps, grid_size = (40, 8, 25, 15) if FAST else (100, 16, 80, 40)
X, labels = make_moons(n_points, noise=0.1, seed=1, dtype=np.float64)
Y = 2 * labels - 1  # {0, 1} -> {-1, +1}

model = MLP(2, [hidden, hidden, 1], activation="relu", rng=random.Random(1337))
print(model)
print("parameters:", len(model.parameters()))


def loss_and_accuracy(model):
    scores = [model([float(x0), float(x1)]) for x0, x1 in X]
    hinge = [(1 - float(yi) * si).relu() for yi, si in zip(Y, scores)]
    data_loss = sum(hinge) * (1.0 / len(hinge))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    accuracy = np.mean([(yi > 0) == (si.data > 0) for yi, si in zip(Y, scores)])
    return data_loss + reg_loss, accuracy


history = []
start = time.perf_counter()
for step in range(steps):
    loss, accuracy = loss_and_accuracy(model)
    model.zero_grad()
    loss.backward()
    learning_rate = 1.0 - 0.9 * step / steps
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    history.append(loss.data)
    if step % max(1, steps // 8) == 0 or step == steps - 1:
        print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
loss, accuracy = loss_and_accuracy(model)
print(f"final: loss {loss.data:.4f}, accuracy {accuracy:.1%} "
      f"({time.perf_counter() - start:.1f} s of pure-Python autograd)")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(history)
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.set_title("training loss")
fig.savefig(OUT / "01_loss.png", dpi=100)
plt.close(fig)

# %% [markdown]
# The decision boundary: evaluate the trained network on a grid of points and colour each by
# the sign of its score.

# %%
pad = 0.5
gx = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, grid_size)
gy = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, grid_size)
scores = np.array([[model([float(u), float(v)]).data for u in gx] for v in gy])
fig, ax = plt.subplots(figsize=(5, 4))
ax.contourf(gx, gy, scores > 0, levels=1, cmap="coolwarm", alpha=0.4)
ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="coolwarm", edgecolors="k", s=25)
ax.set_title(f"decision boundary (train accuracy {accuracy:.0%})")
fig.savefig(OUT / "01_decision_boundary.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "01_loss.png", "and", OUT / "01_decision_boundary.png")

# %% [markdown]
# ## Exercises
#
# 1. Add `Value.sin()`: the forward is `scalar_math.sin` and the local derivative is
#    `scalar_math.sin_back(x, grad)`. Check it against a central difference.
# 2. Draw the graph of `(a * a).tanh()` and explain why `a` has one arrow but two
#    contributions to its `grad`.
# 3. Replace the hinge loss by the logistic loss $\log(1 + e^{-y s})$ using `exp` and `log`.
#    Does training still reach 100%?
# 4. Comment out `model.zero_grad()` in the training loop. What happens to the loss, and why?
# 5. Time one training step for hidden sizes 4, 8, 16, 32. How does the cost grow? (The Tensor
#    library replaces thousands of Python objects by one array operation per layer.)
