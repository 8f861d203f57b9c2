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
# # 02 — Tensors: a shape and strides over a flat buffer
#
# A `Value` held one number. A **tensor** holds many, laid out in one flat buffer (the
# *storage*), and describes how to read it as an n-dimensional array with three pieces of
# bookkeeping: a **shape**, **strides** (how many elements to step in the buffer for +1 along
# each dimension) and an **offset**. Most of what surprises people about tensors (a slice that
# changes its source, `view` refusing to work, broadcasting "for free") follows from that.
#
# The library copies PyTorch's names, so we import it the way PyTorch code does.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # nothing slow here; kept for uniformity
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("figures go to", OUT)

# %% [markdown]
# ## 1. Making tensors
#
# From Python data with `torch.tensor`, or from a recipe: `zeros`, `ones`, `full`, `arange`,
# `linspace`, `eye`, random `rand` (uniform on [0, 1)) and `randn` (standard normal).
# `torch.manual_seed` makes the random ones repeatable.

# %%
torch.manual_seed(0)
print(torch.tensor([[1, 2, 3], [4, 5, 6]]))
print(torch.zeros(2, 3))
print(torch.full((2, 2), 7.0))
print(torch.arange(0, 10, 3))
print(torch.linspace(0, 1, 5))
print(torch.eye(3))
print(torch.randn(2, 3))
x = torch.rand(2, 3)
print(torch.zeros_like(x).shape, torch.ones_like(x).dtype)

# %% [markdown]
# ## 2. dtypes and casting
#
# Every tensor has one **dtype**. Python floats become `float32` (the default dtype, what
# deep learning uses), Python ints `int64`, bools `bool`. Mixing dtypes in an operation
# *promotes* to the type that can hold both: int64 + float32 is float32.
# Cast with `.to(dtype)` or the shortcuts `.float()`, `.double()`, `.long()`, `.int()`.
# Casting a float to an integer type truncates toward zero.

# %%
a = torch.tensor([1, 2, 3])
b = torch.tensor([0.5, 1.5, 2.5])
print(a.dtype, b.dtype, torch.tensor([True, False]).dtype)
print("int64 + float32 ->", (a + b).dtype, "| promote_types:",
      torch.promote_types(torch.int64, torch.float32))
print(b.to(torch.float64).dtype, b.long(), torch.tensor([1.7, -1.7]).int())
print("bytes per element:", a.element_size(), b.element_size(), b.half().element_size())

# %% [markdown]
# ## 3. Shape, `view` and `reshape`
#
# `shape` (or `size()`) is a `Size`, a tuple. `view(new_shape)` reads the *same* buffer with a
# new shape: no copy, so the number of elements must match. One dimension may be `-1`: "work it
# out from the others". `reshape` does the same but may copy (see section 7 for when).

# %%
x = torch.arange(12)
print(x.shape, x.size(), x.size(0), x.numel())  # size() is shape; size(d) one dimension
m = x.view(3, 4)
print(m)
print(m.view(2, -1).shape, m.reshape(-1).shape, m.view(2, 2, -1).shape)
m[0, 0] = 100  # m is a view of x: x sees the change
print("x after writing m[0, 0]:", x[:4])

# %% [markdown]
# ## 4. Indexing, and why a slice is a view
#
# Basic indexing (integers, slices `a:b:step`) never copies: it only changes shape, strides
# and offset. So writing through a slice writes into the source. Advanced indexing (a boolean
# mask, a list of indices) has to gather scattered elements, so it returns a copy.

# %%
x = torch.arange(12).reshape(3, 4)
row = x[1]  # the second row
cols = x[:, ::2]  # every other column
print("x[1]      shape", tuple(row.shape), "strides", row.stride(), "offset",
      row.storage_offset())
print("x[:, ::2] shape", tuple(cols.shape), "strides", cols.stride(), "offset",
      cols.storage_offset())
cols[2, 1] = -1  # that is x[2, 2]
print(x)
picked = x[x > 5]  # boolean mask: a copy
picked[0] = 999
print("mask copy", picked, "| x unchanged:", x[1, 2].item())

# %% [markdown]
# ## 5. `clone`: a copy you own
#
# When you want a slice that does *not* write back, `clone()` it: new storage, same values.

# %%
x = torch.zeros(2, 3)
safe = x[0].clone()
safe += 5
print(x[0], safe)

# %% [markdown]
# ## 6. `from_numpy` shares memory, `tensor` copies
#
# `torch.from_numpy(array)` wraps the NumPy buffer: no copy, and changes show on both sides.
# `torch.tensor(array)` copies. `t.numpy()` goes the other way and also shares memory (for a
# CPU tensor that does not require grad).

# %%
array = np.zeros(3, dtype=np.float32)
shared = torch.from_numpy(array)
copied = torch.tensor(array)
array[0] = 5.0
shared[1] = 7.0
print("array :", array)
print("shared:", shared)
print("copied:", copied)
print("t.numpy() shares too:", np.shares_memory(shared.numpy(), array))

# %% [markdown]
# ## 7. Strides and contiguity, drawn
#
# Element `[i, j]` of a 2-D tensor lives at `buffer[offset + i * stride[0] + j * stride[1]]`.
# A row-major ("C order", **contiguous**) tensor of shape (3, 4) has strides (4, 1). Its
# transpose `t()` swaps shape *and* strides, (4, 3) with strides (1, 4): the same buffer
# read in another order. The picture shows the storage of `x` (top) and, for each view, which
# buffer slot its elements come from, numbered in the order the view reads them.


# %%
def draw_view(ax, view, title, n_storage=12):
    """Number the storage slots in the order `view` reads them (row-major over its shape)."""
    shape, strides, offset = tuple(view.shape), view.stride(), view.storage_offset()
    order = {}
    for ordinal, index in enumerate(np.ndindex(*shape)):
        position = offset + sum(i * s for i, s in zip(index, strides))
        order.setdefault(position, []).append(ordinal)
    for slot in range(n_storage):
        used = slot in order
        ax.add_patch(plt.Rectangle((slot, 0), 0.95, 0.95, color="#9fc5e8" if used else "#eee"))
        if used:
            label = ",".join(str(o) for o in order[slot])
            ax.text(slot + 0.47, 0.47, label, ha="center", va="center", fontsize=8)
    ax.set_xlim(0, n_storage)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    ax.set_title(f"{title}: shape {shape}, strides {strides}, offset {offset}, contiguous "
                 f"{view.is_contiguous()}", fontsize=9, loc="left")


x = torch.arange(12).reshape(3, 4)
views = [(x, "x"), (x.t(), "x.t()"), (x[1:, 1::2], "x[1:, 1::2]"),
         (x[:, :1].expand(3, 4), "x[:, :1].expand(3, 4)")]
fig, axes = plt.subplots(len(views), 1, figsize=(7, 1.1 * len(views)))
for ax, (view, title) in zip(axes, views):
    draw_view(ax, view, title)
fig.tight_layout()
fig.savefig(OUT / "02_strides.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "02_strides.png")

# %% [markdown]
# In the last row one slot is read four times: **broadcasting is a stride of 0**. Walking a
# non-contiguous view visits the buffer out of order, which is why `view` refuses to flatten
# `x.t()` (no single stride describes the result) while `reshape` copies it, and why
# `contiguous()` exists: it makes a row-major copy (or returns `self` if already contiguous).

# %%
xt = x.t()
try:
    xt.view(12)
except RuntimeError as error:
    print("view failed:", str(error)[:70], "...")
print("reshape copies:", xt.reshape(12))
print("contiguous():", xt.contiguous().stride(), "| already contiguous is a no-op:",
      x.contiguous() is x)

# %% [markdown]
# ## 8. Broadcasting
#
# An elementwise operation on shapes that differ lines them up **from the right**; in each
# column the sizes must be equal or one of them 1; a size-1 (or missing) dimension is
# stretched (stride 0, no copy). `(3, 1) + (4,)` -> `(3, 1) + (1, 4)` -> `(3, 4)`.

# %%
col = torch.tensor([[0.0], [10.0], [20.0]])  # (3, 1)
row = torch.tensor([1.0, 2.0, 3.0, 4.0])  # (4,)
total = col + row
print(total)
try:
    torch.zeros(3) + torch.zeros(4)
except (RuntimeError, ValueError) as error:
    print("(3,) + (4,) fails:", str(error)[:60])

fig, axes = plt.subplots(1, 3, figsize=(8, 2.6))
for ax, values, title in ((axes[0], col.expand(3, 4), "col (3, 1) stretched"),
                          (axes[1], row.expand(3, 4), "row (4,) stretched"),
                          (axes[2], total, "col + row (3, 4)")):
    data = values.numpy()
    ax.imshow(data, cmap="Blues", vmin=0, vmax=25)
    for (i, j), v in np.ndenumerate(data):
        ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
axes[0].add_patch(plt.Rectangle((-0.5, -0.5), 1, 3, fill=False, lw=2, color="r"))
axes[1].add_patch(plt.Rectangle((-0.5, -0.5), 4, 1, fill=False, lw=2, color="r"))
fig.suptitle("red: the real data; the rest is the same memory read again (stride 0)",
             fontsize=9)
fig.tight_layout()
fig.savefig(OUT / "02_broadcasting.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "02_broadcasting.png")

# %% [markdown]
# ## 9. `squeeze` and `unsqueeze`
#
# `unsqueeze(d)` inserts a size-1 dimension at `d` (handy to line up shapes for
# broadcasting); `squeeze()` removes every size-1 dimension, `squeeze(d)` only dimension `d`.
# Both are views. A typical use: subtract each row's mean.

# %%
x = torch.randn(3, 4)
print(x.unsqueeze(0).shape, x.unsqueeze(-1).shape, torch.zeros(1, 3, 1).squeeze().shape)
row_means = x.mean(dim=1)  # (3,)
centred = x - row_means.unsqueeze(1)  # (3, 4) - (3, 1)
print("row means after centring:", centred.mean(dim=1))

# %% [markdown]
# ## Exercises
#
# 1. Predict the strides of `torch.zeros(2, 3, 4)`, of its `permute(2, 0, 1)` and of
#    `[:, 1, ::2]`; check with `.stride()` and draw them with `draw_view`.
# 2. `x = torch.arange(6.)`; `y = x.view(2, 3).t()`. Which of `y.view(6)`, `y.reshape(6)`,
#    `y.contiguous().view(6)` work, and which of them share memory with `x`?
# 3. Why does `row - row.mean()` work for a `(4,)` tensor while `x - x.mean(dim=1)` fails for
#    a `(3, 4)` tensor? Fix it twice: with `unsqueeze` and with `keepdim=True`.
# 4. Make a NumPy array, wrap it with `from_numpy`, then call `.double()` on the tensor. Does
#    the result still share memory with the array? Why?
# 5. Write `outer(a, b)` for 1-D tensors with broadcasting only (no loops, no `torch.outer`)
#    and compare with `torch.outer`.
