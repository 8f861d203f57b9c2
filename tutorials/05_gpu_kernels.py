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
# # 05 — GPU kernels: threads, blocks, grids, and shared memory
#
# A CPU kernel (tutorial 04) is one loop run by one thread (or a few). A GPU kernel is the
# *body* of a loop, run by thousands of threads at once, each working out from its own
# number which element(s) to handle. `numba.cuda` compiles such kernels from Python, and
# `kernels/cuda/` holds the library's: the same operations as the CPU backend, the same
# `kernels/strided.py` index math, compiled for the GPU.
#
# No GPU? Numba's **CUDA simulator** (`NUMBA_ENABLE_CUDASIM=1`) runs every GPU thread as a
# Python thread: slow, but the same code paths, so everything below runs on a laptop. The
# variable must be set before `numba.cuda` is first imported, so we decide first thing: use
# the simulator unless this machine shows an NVIDIA device (or you set the variable yourself).

# %%
import os
from pathlib import Path

if "NUMBA_ENABLE_CUDASIM" not in os.environ and not Path("/dev/nvidia0").exists():
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import tinygrad_edu as torch  # noqa: E402

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("simulator:", torch.cuda.is_simulator(), "| real GPU:", torch.cuda.is_available())
print("device:", torch.cuda.get_device_name())

from numba import cuda  # noqa: E402  (after the simulator switch)

from kernels import ops  # noqa: E402
from kernels.cuda import THREADS_PER_BLOCK, TILE, CUDABackend, blocks_for, elementwise  # noqa
from kernels.strided import Strided, contiguous_strides  # noqa: E402

print("THREADS_PER_BLOCK =", THREADS_PER_BLOCK, "| matmul TILE =", TILE,
      "(small under the simulator, where each thread is a Python thread)")

# %% [markdown]
# ## 1. Threads, blocks and the grid
#
# A launch `kernel[blocks, threads_per_block](args)` starts `blocks` **blocks** of
# `threads_per_block` **threads**; together they form the **grid**. Inside, each thread knows
# `cuda.blockIdx.x`, `cuda.threadIdx.x` and `cuda.blockDim.x`, and
# `cuda.grid(1) = blockIdx.x * blockDim.x + threadIdx.x` is its global number. Threads of one
# block run on one multiprocessor and can share fast on-chip memory and wait for each other;
# different blocks cannot.
#
# A kernel returns nothing: it writes into arrays. This one records who ran where.


# %%
@cuda.jit
def who_am_i(block_of, thread_of, global_of):
    i = cuda.grid(1)
    if i < global_of.shape[0]:  # the grid may have more threads than work: guard
        block_of[i] = cuda.blockIdx.x
        thread_of[i] = cuda.threadIdx.x
        global_of[i] = i


n_elements, threads = 10, 4
blocks = (n_elements + threads - 1) // threads  # ceil: 3 blocks of 4 = 12 threads >= 10
block_of = cuda.to_device(np.full(n_elements, -1))
thread_of = cuda.to_device(np.full(n_elements, -1))
global_of = cuda.to_device(np.full(n_elements, -1))
who_am_i[blocks, threads](block_of, thread_of, global_of)
print("element :", list(range(n_elements)))
print("block   :", block_of.copy_to_host().tolist())
print("thread  :", thread_of.copy_to_host().tolist())

# %% [markdown]
# ## 2. The grid-stride loop
#
# One thread per element needs a grid as large as the data. The library's kernels instead
# use a **grid-stride loop**: thread `t` of a grid of `G` threads handles elements
# `t, t + G, t + 2G, ...`. Any grid size works, so the launcher (`blocks_for`) caps the grid
# at what the GPU can keep busy. Adjacent threads touch adjacent elements at each step, so
# their memory accesses *coalesce* into few transactions. From `kernels/cuda/elementwise.py`:
#
# ```python
# @cuda.jit
# def map_contiguous(op, x, x_offset, out, out_offset, size):
#     for i in range(cuda.grid(1), size, cuda.gridsize(1)):
#         store_unary(op, load(x[x_offset + i]), out, out_offset + i)
# ```
#
# (`map_kernels(load)` makes this kernel twice: `map_contiguous_kernel` loads each value as it
# is, `map_contiguous_half_kernel` widens float16 inputs to float32 first.)
#
# We launch it ourselves with a deliberately small grid (2 blocks of 4 threads for 20
# elements), then record which thread handles which element with a twin of the loop.

# %%
size = 20
x = cuda.to_device(np.linspace(-2, 2, size))
out = cuda.device_array(size)
elementwise.map_contiguous_kernel[2, 4](ops.ABS, x, 0, out, 0, size)
print("abs via a 2 x 4 grid:", np.round(out.copy_to_host(), 2).tolist())
print("matches NumPy:", np.allclose(out.copy_to_host(), np.abs(np.linspace(-2, 2, size))))


@cuda.jit
def record_grid_stride(owner, size):
    for i in range(cuda.grid(1), size, cuda.gridsize(1)):
        owner[i] = cuda.grid(1)


owner = cuda.to_device(np.zeros(size, dtype=np.int64))
record_grid_stride[2, 4](owner, size)
owner = owner.copy_to_host()
fig, ax = plt.subplots(figsize=(8, 1.6))
ax.imshow(owner[None, :], cmap="tab10", aspect="auto", vmin=0, vmax=9)
for i, t in enumerate(owner):
    ax.text(i, 0, f"t{t}", ha="center", va="center", fontsize=8)
ax.set_yticks([])
ax.set_xticks(range(size))
ax.set_xlabel("element index")
ax.set_title("grid-stride loop: 8 threads (2 blocks x 4) cover 20 elements; colour = thread",
             fontsize=9)
fig.tight_layout()
fig.savefig(OUT / "05_grid_stride.png", dpi=100)
plt.close(fig)
print("library launch for 1M elements:", blocks_for(1_000_000), "blocks of", THREADS_PER_BLOCK)

# %% [markdown]
# ## 3. A reduction with shared memory
#
# Summing is harder: every element must reach one result. `kernels/cuda/reduce.py` gives each
# block a row (or a piece of one). Each thread first folds its grid-stride share into a
# register, then writes it to a `cuda.shared.array` of `THREADS_PER_BLOCK` slots, fast memory
# the whole block sees. Then a **tree**: in each step the first half of the threads add the
# second half's values to their own, with `cuda.syncthreads()` (wait until every thread of the
# block got here) between steps. $T$ partial sums become one in $\log_2 T$ steps.
#
# ```python
# partial[thread] = accumulator
# cuda.syncthreads()
# half = THREADS_PER_BLOCK // 2
# while half > 0:
#     if thread < half:
#         partial[thread] = combine(op, partial[thread], partial[thread + half])
#     cuda.syncthreads()
#     half //= 2
# ```
#
# Below: the tree drawn for 8 partial sums, then the real kernel through the backend.

# %%
values = np.arange(1, 9, dtype=float)
levels = [values.copy()]
half = len(values) // 2
while half > 0:
    step = levels[-1].copy()
    step[:half] = step[:half] + step[half:2 * half]
    step[half:] = np.nan  # no longer read
    levels.append(step)
    half //= 2
fig, ax = plt.subplots(figsize=(6, 2.6))
for depth, level in enumerate(levels):
    for t, v in enumerate(level):
        if not np.isnan(v):
            ax.add_patch(plt.Rectangle((t, -depth), 0.9, 0.8, color="#cfe2f3"))
            ax.text(t + 0.45, -depth + 0.4, f"{v:g}", ha="center", va="center", fontsize=9)
ax.set_xlim(0, len(values))
ax.set_ylim(-len(levels) + 1, 1)
ax.set_axis_off()
ax.set_title("shared-memory tree: partial[t] += partial[t + half], half = 4, 2, 1", fontsize=9)
fig.savefig(OUT / "05_reduction_tree.png", dpi=100)
plt.close(fig)

backend = CUDABackend()
rows, cols = 3, 100
host = np.random.default_rng(0).random((rows, cols))
device_x = Strided(backend.from_numpy(host), (rows, cols), contiguous_strides((rows, cols)), 0)
row_sums = backend.reduce(ops.SUM, device_x, (1,), np.float64).copy_to_host()
print("row sums on the device:", np.round(row_sums, 4), "| NumPy:", np.round(host.sum(1), 4))

# %% [markdown]
# ## 4. Tiled matrix multiply
#
# The naive GPU matmul gives each thread one output $C_{ij}$ and lets it read a row of $A$
# and a column of $B$ from global (slow) memory: every element of $A$ is read $m$ times.
# The **tiled** kernel (`kernels/cuda/matmul.py`) gives each block a `TILE x TILE` piece of
# $C$. For each step along $k$, every thread loads *one* element of $A$ and one of $B$ into
# two shared tiles, the block synchronises, and each thread does `TILE` multiply-adds from
# shared memory. Global reads drop by a factor of `TILE`. Elements past the edge load as 0,
# so any shape works; we use awkward ones on purpose.

# %%
n, k, m = (13, 11, 9) if FAST else (37, 29, 23)
rng = np.random.default_rng(1)
a_host = rng.standard_normal((n, k)).astype(np.float32)
b_host = rng.standard_normal((k, m)).astype(np.float32)
for kernel_name in ("naive", "tiled"):
    backend = CUDABackend(matmul_kernel=kernel_name)
    a_dev = Strided(backend.from_numpy(a_host), (n, k), (k, 1), 0)
    b_dev = Strided(backend.from_numpy(b_host), (k, m), (m, 1), 0)
    c = backend.matmul(a_dev, b_dev, np.float32).copy_to_host().reshape(n, m)
    print(f"{kernel_name:5s} matmul ({n}x{k} @ {k}x{m}): max error vs NumPy",
          f"{np.abs(c - a_host @ b_host).max():.2e}")
tiles = ((n + TILE - 1) // TILE) * ((m + TILE - 1) // TILE)
print(f"the tiled launch: {tiles} tiles of {TILE}x{TILE} threads, "
      f"{(k + TILE - 1) // TILE} steps along k")

# %% [markdown]
# ## 5. Tensors on the GPU: `.to(device)`
#
# Day to day you never launch kernels yourself: a tensor on a `"cuda"` device sends every
# operation to `CUDABackend`, and autograd works the same. `.to("cuda")` copies a tensor to
# the device, `.cpu()` (or `.to("cpu")`) back; both sides of an operation must be on the same
# device. Under the simulator `torch.cuda.is_available()` is False (there is no GPU, as
# PyTorch would say), but `"cuda"` tensors still work; `torch.cuda.is_simulator()` tells.
# The usual device-agnostic line is below: on a real GPU it picks `"cuda"`.

# %%
device = "cuda" if torch.cuda.is_available() or torch.cuda.is_simulator() else "cpu"
torch.manual_seed(0)
w_cpu = torch.randn(4, 3)
w = w_cpu.to(device).requires_grad_()
x = torch.randn(5, 4).to(device)
loss = (x @ w).tanh().pow(2).mean()
loss.backward()
print("loss on", loss.device, "=", round(loss.item(), 5))
print("grad on", w.grad.device, "| back on the CPU:", w.grad.cpu().device)

# the same computation on the CPU gives the same numbers
w_check = w_cpu.clone().requires_grad_()
(x.cpu() @ w_check).tanh().pow(2).mean().backward()
print("CPU and", device, "gradients agree:", np.allclose(w.grad.cpu().numpy(),
                                                         w_check.grad.numpy(), atol=1e-5))
try:
    x + torch.ones(5, 4)  # one tensor on each device
except RuntimeError as error:
    print("mixing devices:", str(error)[:80])

# %% [markdown]
# ## Exercises
#
# 1. Launch `who_am_i` with 2 blocks of 8 threads for 10 elements. Which threads find nothing
#    to do? Remove the `if` guard: what goes wrong (try it on the simulator, which checks
#    bounds)?
# 2. Write a grid-stride kernel `axpy(a, x, y, out)` computing `out = a * x + y`, launch it
#    with 1 block of 1 thread and with 4 blocks of 32, and check both.
# 3. In the reduction tree, what would happen without the `cuda.syncthreads()` inside the
#    loop? Why must the `if thread < half` not contain the `syncthreads()`?
# 4. Count the global-memory reads of $A$ and $B$ for the naive and the tiled kernel for
#    n = k = m = 1024 and TILE = 16.
# 5. On a machine with a GPU (or a free cloud notebook with one), time `x @ x` for a
#    2048 x 2048 float32 `x` on `"cuda"` with the naive and the tiled kernel, and against
#    the CPU's BLAS.
