"""Kernel and overhead benchmarks for the Tensor core (issue 3), in one run.

    python benchmarks/kernels.py            # prints a table of medians and ratios

- elementwise add and a 3-op chain on 4M float32: GB/s vs NumPy (and PyTorch);
- matmul float32 at 256/512/1024: GFLOP/s of each CPU kernel as a fraction of np.matmul;
- per-op overhead: add of two (4,) tensors with requires_grad, forward + backward, in us;
- import time and time to the first op, with a cold (empty) and a warm Numba cache.
Machines are shared and noisy: every figure is a median of several repeats.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import tinygrad_edu as tg  # noqa: E402
from kernels.cpu import CPUBackend  # noqa: E402
from kernels.strided import Strided  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def median_time(function, repeat: int = 7, number: int = 1) -> float:
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def elementwise() -> None:
    n = 4 * 1024 * 1024
    a_np = np.random.rand(n).astype(np.float32)
    b_np = np.random.rand(n).astype(np.float32)
    a, b = tg.from_numpy(a_np), tg.from_numpy(b_np)
    bytes_add = 3 * 4 * n  # read a, b, write out
    rows = [("add tinygrad_edu", median_time(lambda: a + b)),
            ("add numpy", median_time(lambda: a_np + b_np))]
    chain = [("chain tinygrad_edu", median_time(lambda: ((a + b) * a).relu())),
             ("chain numpy", median_time(lambda: np.maximum((a_np + b_np) * a_np, 0)))]
    if torch is not None:
        at, bt = torch.from_numpy(a_np), torch.from_numpy(b_np)
        rows.append(("add torch", median_time(lambda: at + bt)))
        chain.append(("chain torch", median_time(lambda: ((at + bt) * at).relu())))
    print("\n== elementwise, 4M float32 (GB/s counts each op's reads and writes)")
    base = rows[1][1]
    for name, seconds in rows:
        print(f"{name:24s} {seconds * 1e3:8.2f} ms  {bytes_add / seconds / 1e9:7.2f} GB/s  "
              f"{base / seconds:5.2f}x numpy")
    base = chain[1][1]
    for name, seconds in chain:
        print(f"{name:24s} {seconds * 1e3:8.2f} ms  {3 * bytes_add / seconds / 1e9:7.2f} GB/s  "
              f"{base / seconds:5.2f}x numpy")


def matmul() -> None:
    backend = CPUBackend()
    print("\n== matmul float32: GFLOP/s and fraction of np.matmul")
    for n in (256, 512, 1024):
        a = np.random.rand(n, n).astype(np.float32)
        b = np.random.rand(n, n).astype(np.float32)
        flops = 2 * n ** 3
        reference = median_time(lambda a=a, b=b: a @ b, repeat=15)
        print(f"n={n:5d} numpy {flops / reference / 1e9:8.1f} GFLOP/s")
        views = (Strided(a.reshape(-1), (n, n), (n, 1), 0),
                 Strided(b.reshape(-1), (n, n), (n, 1), 0))
        for kernel in ("blas", "tiled", "naive"):
            if kernel == "naive" and n > 512:
                continue
            backend.matmul_kernel = kernel
            seconds = median_time(lambda views=views: backend.matmul(*views, np.float32),
                                  repeat=3 if kernel != "blas" else 15)
            print(f"        {kernel:6s}{flops / seconds / 1e9:8.1f} GFLOP/s  "
                  f"{reference / seconds:6.3f} of numpy")
        if torch is not None:
            at, bt = torch.from_numpy(a), torch.from_numpy(b)
            seconds = median_time(lambda at=at, bt=bt: at @ bt, repeat=15)
            print(f"        torch {flops / seconds / 1e9:8.1f} GFLOP/s  "
                  f"{reference / seconds:6.3f} of numpy")


def overhead() -> None:
    a = tg.randn(4, requires_grad=True)
    b = tg.randn(4, requires_grad=True)
    ours = median_time(lambda: (a + b).sum().backward(), repeat=7, number=2000)
    ours_forward = median_time(lambda: a + b, repeat=7, number=5000)
    print("\n== per-op overhead: (4,) tensors with requires_grad")
    print(f"tinygrad_edu add forward           {ours_forward * 1e6:7.1f} us")
    print(f"tinygrad_edu (a+b).sum().backward() {ours * 1e6:7.1f} us")
    if torch is not None:
        at = torch.randn(4, requires_grad=True)
        bt = torch.randn(4, requires_grad=True)
        theirs = median_time(lambda: (at + bt).sum().backward(), repeat=7, number=2000)
        theirs_forward = median_time(lambda: at + bt, repeat=7, number=5000)
        print(f"torch add forward                  {theirs_forward * 1e6:7.1f} us  "
              f"(ratio {ours_forward / theirs_forward:.2f}x)")
        print(f"torch (a+b).sum().backward()       {theirs * 1e6:7.1f} us  "
              f"(ratio {ours / theirs:.2f}x)")


STARTUP = """
import time
t0 = time.perf_counter()
import tinygrad_edu as tg
t1 = time.perf_counter()
x = tg.randn(64, 64, requires_grad=True)
y = (x @ x).relu().sum()
y.backward()
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def startup() -> None:
    print("\n== start-up: import, and first matmul+relu+sum+backward (seconds)")
    root = os.path.join(os.path.dirname(__file__), "..")
    cache = tempfile.mkdtemp(prefix="numba-cache-")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=root)
    try:
        for label in ("cold cache", "warm cache"):
            output = subprocess.run([sys.executable, "-c", STARTUP], env=env, check=True,
                                    capture_output=True, text=True).stdout.split()
            print(f"{label:11s} import {float(output[0]):6.3f}   first op {float(output[1]):7.3f}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    elementwise()
    matmul()
    overhead()
    startup()
