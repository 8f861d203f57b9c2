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
# # 03 — Autograd on tensors: the graph, `backward`, and vector-Jacobian products
#
# Tutorial 01 built backpropagation on single numbers. Tensors do the same thing with one node
# per *operation on a whole array* instead of one per number: far fewer nodes, and each
# node's backward is itself a kernel over arrays. The rules you learned carry over unchanged:
# the graph is recorded as you compute, `backward()` walks it in reverse, and leaves
# accumulate gradients until you zero them.

# %%
import os
from pathlib import Path

import numpy as np

import tinygrad_edu as torch
from tinygrad_edu import viz

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # nothing slow here; kept for uniformity
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("figures go to", OUT)

# %% [markdown]
# ## 1. `requires_grad` and the `grad_fn` chain
#
# A tensor you create with `requires_grad=True` is a **leaf**: autograd will fill its `.grad`.
# Every result computed from it records the operation that made it in `.grad_fn`, and
# `grad_fn.next_functions` points at the nodes that made the inputs. Leaves show up as
# `AccumulateGrad` nodes (PyTorch's name): the place where a gradient is added into `.grad`.

# %%
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0, 0.2], requires_grad=True)
y = (x * w).sum().tanh()
print("y =", y)
print("leaves:", x.is_leaf, w.is_leaf, "| y is a leaf:", y.is_leaf)

node = y.grad_fn
while node is not None:
    inputs = [child.name() if child is not None else None for child, _ in node.next_functions]
    print(f"{node.name():>28}  <- {inputs}")
    node = node.next_functions[0][0] if node.next_functions else None

# %% [markdown]
# `viz.draw_graph` draws the same chain (blue: leaves, yellow: backward nodes, green: the
# output). The arrows point the way the forward pass ran; `backward` walks them the other way.

# %%
figure = viz.draw_graph(y, OUT / "03_graph.png", title="y = tanh(sum(x * w))")
print("wrote", OUT / "03_graph.png")

# %% [markdown]
# ## 2. `backward`, checked by hand
#
# With $s = \sum_i x_i w_i$ and $y = \tanh s$: $\partial y / \partial x_i = (1 - y^2)\, w_i$ and
# $\partial y / \partial w_i = (1 - y^2)\, x_i$.

# %%
y.backward()
slope = 1 - y.item() ** 2
print("x.grad  ", x.grad, " by hand", [round(slope * v, 4) for v in (0.5, -1.0, 0.2)])
print("w.grad  ", w.grad, " by hand", [round(slope * v, 4) for v in (1.0, 2.0, 3.0)])

# %% [markdown]
# ## 3. Gradients accumulate: zero them
#
# A second `backward` *adds* into `.grad` (useful when a parameter is used in several places,
# or to accumulate over several small batches). A training loop therefore zeroes gradients
# before each step: `x.grad = None` (what `optimizer.zero_grad()` does) or `x.grad.zero_()`.

# %%
x = torch.tensor([2.0], requires_grad=True)
for _ in range(3):
    (x * x).backward()  # d(x^2)/dx = 4
    print("after another backward:", x.grad.item())
x.grad.zero_()
(x * x).backward()
print("after zero_() and one backward:", x.grad.item())

# %% [markdown]
# ## 4. Switching the recording off: `no_grad`, `detach`, `.data`
#
# - `with torch.no_grad():` nothing inside is recorded: results have no `grad_fn`. Use it for
#   evaluation and for updating weights.
# - `t.detach()`: the same memory as `t`, cut off from the graph (gradients stop there).
# - `t.data`: like `detach()`, the old way; writes through it bypass autograd's checks.
#
# Updating a leaf in place while recording is an error (autograd would lose the value it
# saved for backward), so an optimiser step runs under `no_grad`.

# %%
w = torch.tensor([1.0, -1.0], requires_grad=True)
loss = (w * w).sum()
loss.backward()
with torch.no_grad():
    doubled = w * 2
print("under no_grad:", doubled.requires_grad, doubled.grad_fn)
try:
    w -= 0.1 * w.grad  # recorded in-place update of a leaf
except RuntimeError as error:
    print("in-place on a leaf while recording:", str(error)[:60], "...")
with torch.no_grad():
    w -= 0.1 * w.grad  # the optimiser's way
print("after one step of gradient descent:", w)
frozen = w.detach()
print("detach shares memory and needs no grad:", frozen.requires_grad,
      np.shares_memory(frozen.numpy(), w.detach().numpy()))

# a detached value is a constant for autograd: here d/dw of (w * c) is c, not 2w
w.grad = None
c = w.detach()
(w * c).sum().backward()
print("grad of sum(w * w.detach()):", w.grad, "= w.detach(), not 2w")

# `.data` is the old spelling of the same idea: a tensor on the same memory, outside the graph.
# A write through it changes w *without* autograd noticing (no error, no version bump seen by
# w's graph): that is why optimisers used it, and why `no_grad()` is the safer modern form.
w.data.mul_(0.5)
print("after w.data.mul_(0.5):", w, "| requires_grad still", w.requires_grad)

# %% [markdown]
# ## 5. Non-scalar outputs: a vector-Jacobian product
#
# `backward()` with no argument needs a scalar. For a vector output $y = f(x)$ with
# $x \in \mathbb{R}^3$, $y \in \mathbb{R}^2$, the derivative is the **Jacobian**
# $J_{ij} = \partial y_i / \partial x_j$. Autograd never builds $J$: `y.backward(v)` computes
# the **vector-Jacobian product** $v^\top J$ directly (the gradient of the scalar
# $v \cdot y$). For
#
# $$y_0 = x_0 x_1, \qquad y_1 = x_1 + x_2^2, \qquad
# J = \begin{pmatrix} x_1 & x_0 & 0 \\ 0 & 1 & 2 x_2 \end{pmatrix}.$$

# %%
x = torch.tensor([2.0, 3.0, 4.0], requires_grad=True)


def f(x):
    return torch.stack([x[0] * x[1], x[1] + x[2] ** 2])


J_by_hand = np.array([[3.0, 2.0, 0.0], [0.0, 1.0, 8.0]])
v = torch.tensor([1.0, 10.0])
f(x).backward(v)
print("y.backward(v) gives x.grad =", x.grad.numpy(), "  v^T J =", v.numpy() @ J_by_hand)

# %% [markdown]
# Each backward pass gives one row combination, so the whole Jacobian costs one pass per
# *output* (with $v$ = each unit vector in turn). `torch.autograd.grad` returns gradients
# without touching `.grad`; `retain_graph=True` keeps the graph for the next pass.

# %%
y = f(x)
rows = []
for i in range(2):
    unit = torch.zeros(2)
    unit[i] = 1.0
    (row,) = torch.autograd.grad(y, x, grad_outputs=unit, retain_graph=True)
    rows.append(row.numpy())
print("Jacobian from autograd:\n", np.array(rows), "\nby hand:\n", J_by_hand)

# %% [markdown]
# ## 6. The graph is rebuilt on every run: dynamic control flow
#
# Nothing is compiled ahead: the graph is whatever your Python code did *this* time. Here a
# `while` loop doubles `y` until its norm passes 100, so the number of nodes depends on the
# input, and so does the gradient: $y = 2^k x$ gives $\partial \sum y / \partial x_i = 2^k$.


# %%
def grow(x):
    y = x
    steps = 0
    while y.norm() < 100:
        y = y * 2
        steps += 1
    return y, steps


for start in (1.0, 20.0):
    x = torch.tensor([start, -start], requires_grad=True)
    y, steps = grow(x)
    y.sum().backward()
    print(f"x = {start:5}: {steps} doublings, x.grad = {x.grad.tolist()}  (2^{steps} = "
          f"{2 ** steps})")
    viz.draw_graph(y.sum(), OUT / f"03_dynamic_graph_{int(start)}.png",
                   title=f"{steps} doublings for x = {start}")
print("wrote", OUT / "03_dynamic_graph_1.png", "and", OUT / "03_dynamic_graph_20.png")

# %% [markdown]
# ## 7. Trust, but verify: `gradcheck`
#
# `torch.autograd.gradcheck(f, inputs)` compares every derivative from `backward` with a
# central difference $\frac{f(x + \epsilon) - f(x - \epsilon)}{2\epsilon}$. Use float64
# inputs: in float32 the differences are too coarse. The library's own tests run it on every
# operation; it is equally handy for a function you write yourself.

# %%
torch.manual_seed(0)
a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
b = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)


def my_layer(a, b):
    return (a @ b).tanh().sum(dim=0)


print("gradcheck(my_layer):", torch.autograd.gradcheck(my_layer, (a, b)))


def wrong_relu_square(a):
    """relu(a)^2 with a deliberately wrong derivative: the forward value is right (the last
    two terms cancel), but the only recorded path is relu(a) * a.detach(), whose derivative
    is a instead of 2a (the detached factor counts as a constant)."""
    relu = a * (a > 0).double()
    return (relu**2).detach() + relu * a.detach() - (relu * a).detach()


ok = torch.autograd.gradcheck(wrong_relu_square, (a,), raise_exception=False)
print("gradcheck(wrong_relu_square):", ok, "<- caught the missing factor 2")

# %% [markdown]
# ## Gradients of gradients
#
# A gradient is computed by ops too, so it can itself be differentiated, if those ops were
# recorded. `create_graph=True` asks for that: each node then runs its formula written in
# Tensor ops (`graph_backward` in `tinygrad_edu/functions/`) instead of on bare kernels, and
# the gradient comes back with a `grad_fn`. Differentiating `g . v` once more gives the
# Hessian-vector product $Hv$ without ever forming $H$; gradient penalties (WGAN-GP) and
# meta-learning (MAML) are built on exactly this.

# %%
x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
f = (x**3).sum() + x[0] * x[1]  # Hessian: diag(6x) + the 1s that x[0] * x[1] puts off it
(g,) = torch.autograd.grad(f, x, create_graph=True)
print("gradient", g, "has grad_fn", g.grad_fn)
v = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
(hv,) = torch.autograd.grad((g * v).sum(), x)
print("H v =", hv, "(expected [6, 1, 0])")
hessian = torch.autograd.functional.hessian(lambda t: (t**3).sum() + t[0] * t[1], x)
print("full Hessian:\n", hessian)

# %% [markdown]
# ## Exercises
#
# 1. Print the `grad_fn` chain of `torch.softmax(x, 0)[1]` for a 3-vector `x`. Which nodes
#    does softmax decompose into?
# 2. Compute the full 3x3 Jacobian of `torch.softmax(x, 0)` with `torch.autograd.grad` and
#    check it against $J = \mathrm{diag}(p) - p p^\top$.
# 3. In section 6, what does the gradient do when the loop divides by 2 while the norm is
#    above 1? Predict first, then run it.
# 4. Why is `w -= lr * w.grad` refused while recording but allowed under `no_grad`? What
#    would `backward` compute wrongly if it were allowed?
# 5. Write `my_sigmoid(x) = 1 / (1 + exp(-x))` from `exp` and division, gradcheck it, and
#    compare its graph (`viz.draw_graph`) with that of `x.sigmoid()`.
# 6. Newton's method on $f(x) = \sum_i (x_i^4 - x_i)$: repeat $x \leftarrow x - g / h$ with
#    $g$ the gradient and $h$ the diagonal of the Hessian (one `hvp` per coordinate, or see
#    why $f$'s Hessian is diagonal). How many steps from $x = 1$ to the minimum?
