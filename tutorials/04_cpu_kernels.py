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
# # 04 — CPU kernels: loops that Numba compiles
#
# Under every tensor operation sits a **kernel**: a plain loop over a flat buffer, compiled
# to machine code by [Numba](https://numba.readthedocs.io). The `kernels/` package holds them
# and knows nothing about tensors: it sees flat NumPy arrays, shapes and strides (tutorial
# 02). This tutorial calls the kernels directly, the way the Tensor layer does:
#
# 1. what `@njit` does, and what it costs the first time;
# 2. map / zip / reduce over strided views with `kernels.cpu` and `kernels.strided`;
# 3. three matrix-multiply kernels timed against NumPy;
# 4. `NUMBA_DISABLE_JIT=1`: the same kernels as plain Python you can step through.

# %%
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from numba import njit

from kernels import ops
from kernels.cpu import CPUBackend, elementwise, reduce
from kernels.strided import Strided, broadcast_strides, contiguous_strides, ordinal_to_position

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
ROOT = HERE.parent
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# ## 1. A Numba kernel is a Python function compiled on first call
#
# `@njit` ("no-Python JIT") reads the function's bytecode, infers a type for every variable
# from the *types of the arguments* (here: a float64 array), and has LLVM compile it. The first
# call pays for the compilation; later calls with the same argument types run the machine
# code. A new combination of types (float32 arrays) compiles a second version. The library's
# kernels add `cache=True`, which saves the machine code to disk so the next *process* skips
# the compile too.


# %%
def python_sum_of_squares(x):
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * x[i]
    return total


numba_sum_of_squares = njit(python_sum_of_squares)  # the same source, compiled
x = np.random.default_rng(0).random(200_000 if FAST else 2_000_000)


def seconds(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


print(f"plain Python          {seconds(python_sum_of_squares, x):8.4f} s")
print(f"Numba, first call     {seconds(numba_sum_of_squares, x):8.4f} s  (includes compiling)")
print(f"Numba, second call    {seconds(numba_sum_of_squares, x):8.4f} s")
print(f"NumPy np.dot(x, x)    {seconds(np.dot, x, x):8.4f} s")
print("compiled versions (one per argument types):", numba_sum_of_squares.signatures)

# %% [markdown]
# ## 2. Map over a strided view
#
# A kernel sees a tensor as `Strided(buffer, shape, strides, offset)`: element `[i, j]` sits
# at `buffer[offset + i * strides[0] + j * strides[1]]`. `ordinal_to_position` turns "the
# k-th element in row-major order" into that buffer position; it is plain Python in
# `kernels/strided.py`, compiled for the CPU *and* for the GPU.
#
# `elementwise.map_strided(op, x, x_strides, x_offset, out, out_strides, out_offset, shape)`
# computes `out[pos_out(i)] = f(x[pos_x(i)])` for every index `i` of `shape`. The op is a small
# integer from `kernels/ops.py`, so one compiled kernel serves every unary function. Here
# it negates a *transposed* view: no copy is made, the strides do the transposing.

# %%
buffer = np.arange(6, dtype=np.float64)  # a (2, 3) matrix [[0, 1, 2], [3, 4, 5]]
x = Strided(buffer, (2, 3), contiguous_strides((2, 3)), 0)
x_t = Strided(buffer, (3, 2), (1, 3), 0)  # its transpose: same buffer, swapped strides
print("positions the transpose reads, in order:",
      [ordinal_to_position(k, x_t.shape, x_t.strides, x_t.offset) for k in range(6)])


def int64(values):
    """Shapes and strides go to the kernels as int64 arrays (one compiled kernel per dtype
    serves any number of dimensions)."""
    return np.array(values, dtype=np.int64)


out = np.empty(6)
elementwise.map_strided(ops.NEG, buffer, int64(x_t.strides), x_t.offset,
                        out, int64(contiguous_strides((3, 2))), 0, int64((3, 2)))
print("-x.T =\n", out.reshape(3, 2))

# %% [markdown]
# ## 3. Zip with broadcasting, and reduce
#
# `zip_strided` does the same for two inputs. Broadcasting is a stride of 0 from
# `broadcast_strides`: a (3, 1) column read as (3, 4) repeats each element along the row.
# `reduce_strided` folds the *reduced* axes for every index of the *kept* ones, starting from
# an initial value (0 for a sum). The backend class `CPUBackend` wraps all of this: it picks a
# kernel (contiguous fast path or strided, serial or parallel) and unpacks the `Strided`
# views, exactly as a Tensor operation calls it.

# %%
col = Strided(np.array([0.0, 10.0, 20.0]), (3, 1), (1, 1), 0)
row = Strided(np.array([1.0, 2.0, 3.0, 4.0]), (4,), (1,), 0)
shape = (3, 4)
print("col strides as (3, 4):", broadcast_strides(col.shape, col.strides, shape),
      "| row strides as (3, 4):", broadcast_strides(row.shape, row.strides, shape))
total = np.empty(12)
elementwise.zip_strided(
    ops.ADD, col.buffer, int64(broadcast_strides(col.shape, col.strides, shape)), 0,
    row.buffer, int64(broadcast_strides(row.shape, row.strides, shape)), 0,
    total, int64(contiguous_strides(shape)), 0, int64(shape))
print("col + row =\n", total.reshape(shape))

# sum over axis 1 of the (3, 4) result: kept axis 0 (stride 4), reduced axis 1 (stride 1)
row_sums = np.empty(3)
reduce.reduce_strided(ops.SUM, total, int64((3,)), int64((4,)), int64((4,)), int64((1,)), 0,
                      np.float64(0.0), row_sums)
print("row sums:", row_sums, "| NumPy:", total.reshape(shape).sum(1))

backend = CPUBackend()
out = Strided(np.empty(12), shape, contiguous_strides(shape), 0)
backend.zip(ops.MUL, col, row, out)  # the same call a Tensor `col * row` makes
print("CPUBackend.zip(MUL):\n", out.buffer.reshape(shape))

# %% [markdown]
# ## 4. Three ways to multiply matrices
#
# `kernels/cpu/matmul.py` has three kernels for $C_{ij} = \sum_p A_{ip} B_{pj}$, chosen with
# `CPUBackend().matmul_kernel`:
#
# - `"naive"`: the textbook triple loop; the innermost loop walks down a column of $B$,
#   jumping a whole row in memory at every step: the cache keeps missing.
# - `"tiled"`: the same sums, reordered into blocks that stay in cache (64 rows, 256
#   columns), with the inner loop running along contiguous rows of $B$ and $C$ (so the
#   compiler can use SIMD instructions), and the row blocks spread over cores with `prange`.
# - `"blas"` (the default): `np.dot` inside the kernel, which Numba turns into a call to the
#   BLAS library NumPy ships with: decades of tuning (vector instructions, register blocking).
#
# We time each on square float32 matrices and compare with NumPy's `@` (which also calls
# BLAS). The machine may be busy, so each figure is a median of a few runs.

# %%
sizes = [64, 128, 256] if FAST else [64, 128, 256, 512, 768]
kernels = ["naive", "tiled", "blas"]
rng = np.random.default_rng(0)


def median_seconds(function, *args, repeat=3):
    function(*args)  # warm-up: compiles on the first call
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


gflops = {name: [] for name in kernels + ["numpy"]}
for n in sizes:
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    a_view = Strided(a.reshape(-1), (n, n), (n, 1), 0)
    b_view = Strided(b.reshape(-1), (n, n), (n, 1), 0)
    expected = a @ b
    for name in kernels:
        backend = CPUBackend()
        backend.matmul_kernel = name
        result = backend.matmul(a_view, b_view, np.float32).reshape(n, n)
        assert np.allclose(result, expected, atol=1e-3 * n), name
        elapsed = median_seconds(backend.matmul, a_view, b_view, np.float32)
        gflops[name].append(2 * n**3 / elapsed / 1e9)
    gflops["numpy"].append(2 * n**3 / median_seconds(np.matmul, a, b) / 1e9)
    print(f"n = {n:4d}: " + "  ".join(f"{name} {gflops[name][-1]:6.2f}" for name in gflops)
          + "  GFLOP/s")

fig, ax = plt.subplots(figsize=(6, 4))
for name, values in gflops.items():
    ax.plot(sizes, values, "o-", label=name)
ax.set_xlabel("matrix size n (n x n @ n x n, float32)")
ax.set_ylabel("GFLOP/s (higher is better)")
ax.set_yscale("log")
ax.legend()
ax.set_title("matmul kernels vs NumPy")
fig.tight_layout()
fig.savefig(OUT / "04_matmul.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "04_matmul.png")

# %% [markdown]
# As the matrices grow, the naive kernel falls off (its columns of $B$ no longer fit in
# cache) while the tiled one holds its speed; on small matrices the tiled kernel's thread
# start-up can cost more than it saves, especially on a busy machine. BLAS beats both by a
# large factor at every size. That gap is why the library calls BLAS by default and keeps the
# other two for reading (and why the README lists SciPy, Numba's route to BLAS, as a dependency).
#
# ## 5. Stepping through a kernel: `NUMBA_DISABLE_JIT=1`
#
# A compiled kernel cannot be stepped through in a debugger. With the environment variable
# `NUMBA_DISABLE_JIT=1` set *before numba is imported*, `@njit` returns the plain Python
# function: same results, far slower, and `pdb` (or your IDE's debugger) can stop on any
# line. For example:
#
# ```bash
# NUMBA_DISABLE_JIT=1 python -m pdb my_script.py
# (Pdb) break kernels/cpu/elementwise.py:<line of the loop in _map_rows>
# (Pdb) continue
# ```
#
# Below, a child process runs the transposed negation from section 2 that way and, instead of
# a debugger, uses Python's tracing hook to print the loop variables each time the loop body
# runs: one row of the output per pass, a stride walk along it.

# %%
STEP_THROUGH = r"""
import sys
import numpy as np
from kernels import ops
from kernels.cpu import elementwise
print("map_strided is now a", type(elementwise.map_strided).__name__)

def tracer(frame, event, arg):
    if frame.f_code.co_name == "_map_rows" and event == "line":
        line = frame.f_code.co_filename and open(frame.f_code.co_filename).readlines()[
            frame.f_lineno - 1]
        if "out[po + j * so]" in line:
            v = frame.f_locals
            print(f"row {v['row']} j {v['j']}: read buffer[{v['px'] + v['j'] * v['sx']}]"
                  f" -> write out[{v['po'] + v['j'] * v['so']}]")
    return tracer

i64 = lambda t: np.array(t, dtype=np.int64)
buffer, out = np.arange(6, dtype=np.float64), np.empty(6)
sys.settrace(tracer)
elementwise.map_strided(ops.NEG, buffer, i64((1, 3)), 0, out, i64((2, 1)), 0, i64((3, 2)))
sys.settrace(None)
print("out =", out.reshape(3, 2).tolist())
"""
env = dict(os.environ, NUMBA_DISABLE_JIT="1")
env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
result = subprocess.run([sys.executable, "-c", STEP_THROUGH], env=env, cwd=ROOT,
                        capture_output=True, text=True, timeout=120, check=False)
print(result.stdout or result.stderr[-2000:])

# %% [markdown]
# ## Exercises
#
# 1. Call `elementwise.map_strided` with `ops.EXP` on the view `x[:, ::2]` of a (3, 4)
#    buffer: work out its shape, strides and offset first (tutorial 02).
# 2. Reduce the (3, 4) `total` of section 3 over *both* axes with one `reduce_strided` call.
#    What are the kept shape and strides then?
# 3. Change `TILE` in `kernels/cpu/matmul.py` to 16 and 128 (then delete the `__pycache__`
#    next to it, or the cached machine code is used) and re-run section 4. Where is the best
#    tile size on your machine, and how does it relate to your CPU's cache sizes?
# 4. Time `numba_sum_of_squares` on a float32 array: does it compile again? Check
#    `.signatures`.
# 5. Step through `reduce.reduce_strided` with `NUMBA_DISABLE_JIT=1` and `pdb`, and watch
#    the accumulator of one output element.
