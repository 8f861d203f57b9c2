"""GPU kernel speed: kernels/cuda against the GPU's own libraries, on one real GPU.

- fp32 matmul (n x n @ n x n, n = 1024 and 4096): our tiled and naive kernels as a fraction
  of cuBLAS (through PyTorch or CuPy, whichever has CUDA; TF32 off, so all do true fp32);
- elementwise add of two 64M-float vectors: achieved bandwidth (3 x 4 bytes per element: two
  reads, one write) as a fraction of a device-to-device copy's (2 x 4 bytes per element);
- sum of a 64M-float vector: bandwidth (4 bytes per element) as a fraction of the same copy's;
- a training step of an MLP 784-1024-1024-10 on a batch of 1024 (forward, cross entropy,
  backward, SGD): our GPU against our CPU, and against PyTorch on the same GPU when it has one.

Times are the median of --repeat runs after one warm-up (which compiles the kernel), each
ended by a device synchronize. Without a real GPU (no driver, or the CUDA simulator) the
script says so and exits with status 0.

    python benchmarks/gpu.py [--sizes 1024 4096] [--elements 67108864] [--repeat 10]
    python benchmarks/gpu.py --simulator    # tiny sizes on the CUDA simulator: a smoke test
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_edu import cuda as tg_cuda


def median_seconds(function: Callable[[], object], synchronize: Callable[[], None],
                   repeat: int) -> float:
    """Median wall time of function() + synchronize() over `repeat` runs, after a warm-up."""
    function()
    synchronize()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cublas_baseline():
    """(name, matmul(a_host, b_host) -> timed callable, synchronize) from PyTorch or CuPy with
    CUDA, or None when neither is usable."""
    try:
        import torch

        if torch.cuda.is_available():
            torch.backends.cuda.matmul.allow_tf32 = False  # true fp32, like our kernels

            def prepare(a: np.ndarray, b: np.ndarray) -> Callable[[], object]:
                a_gpu, b_gpu = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
                return lambda: a_gpu @ b_gpu

            return f"cuBLAS (torch {torch.__version__})", prepare, torch.cuda.synchronize
    except ImportError:
        pass
    try:
        import cupy

        def prepare(a: np.ndarray, b: np.ndarray) -> Callable[[], object]:
            a_gpu, b_gpu = cupy.asarray(a), cupy.asarray(b)
            return lambda: a_gpu @ b_gpu

        cupy.cuda.runtime.getDeviceCount()
        return f"cuBLAS (cupy {cupy.__version__})", prepare, cupy.cuda.Device().synchronize
    except Exception:  # noqa: BLE001  (no cupy, or cupy without a usable GPU)
        return None


def row(name: str, seconds: float, rate: str, ratio: str = "") -> None:
    print(f"  {name:<34} {seconds * 1e3:10.3f} ms  {rate:>16}  {ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--elements", type=int, default=64 * 2**20)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--simulator", action="store_true",
                        help="run tiny sizes on the CUDA simulator (timings meaningless)")
    args = parser.parse_args()
    if args.simulator:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        args.sizes, args.elements, args.repeat = [20], 300, 1
    elif not tg_cuda.is_available():
        reason = "the CUDA simulator is on" if tg_cuda.is_simulator() else "no CUDA GPU found"
        print(f"benchmarks/gpu.py: {reason}; this benchmark needs a real NVIDIA GPU. Skipped.")
        return 0

    from kernels.cuda import CUDABackend
    from kernels.strided import Strided, contiguous_strides

    backend = CUDABackend()
    synchronize = tg_cuda.synchronize
    print(f"GPU: {tg_cuda.get_device_name()}")
    rng = np.random.default_rng(0)

    def on_device(array: np.ndarray) -> Strided:
        return Strided(backend.from_numpy(array), array.shape, contiguous_strides(array.shape), 0)

    # ---- matmul ----
    baseline = cublas_baseline()
    print("fp32 matmul (n x n @ n x n); ratio = cuBLAS time / our time (100% = as fast)")
    if baseline is None:
        print("  (no cuBLAS baseline: install PyTorch with CUDA or CuPy to compare)")
    for n in args.sizes:
        a_host = rng.standard_normal((n, n), dtype=np.float32)
        b_host = rng.standard_normal((n, n), dtype=np.float32)
        a, b = on_device(a_host), on_device(b_host)
        flops = 2.0 * n**3
        reference_seconds = None
        if baseline is not None:
            name, prepare, baseline_sync = baseline
            reference_seconds = median_seconds(prepare(a_host, b_host), baseline_sync,
                                               args.repeat)
            row(f"{name} n={n}", reference_seconds, f"{flops / reference_seconds / 1e12:.2f} TF/s")
        for kernel in ("tiled", "naive"):
            backend.matmul_kernel = kernel
            seconds = median_seconds(lambda a=a, b=b: backend.matmul(a, b, np.float32),
                                     synchronize, args.repeat)
            ratio = (f"{reference_seconds / seconds:6.1%} of cuBLAS"
                     if reference_seconds else "")
            row(f"kernels/cuda {kernel} n={n}", seconds, f"{flops / seconds / 1e12:.2f} TF/s",
                ratio)
        backend.matmul_kernel = "tiled"
        check = backend.to_numpy(Strided(backend.matmul(a, b, np.float32), (n, n), (n, 1), 0))
        error = np.abs(check - a_host @ b_host).max() / np.abs(a_host @ b_host).max()
        print(f"  (tiled result vs NumPy: max relative error {error:.1e})")

    # ---- bandwidth: copy, add, sum ----
    size = args.elements
    x = on_device(rng.standard_normal(size, dtype=np.float32))
    y = on_device(rng.standard_normal(size, dtype=np.float32))
    out = on_device(np.zeros(size, np.float32))
    copy_seconds = median_seconds(lambda: out.buffer.copy_to_device(x.buffer), synchronize,
                                  args.repeat)
    copy_bandwidth = 2 * 4 * size / copy_seconds
    print(f"bandwidth on {size:,} float32 elements; ratio = fraction of device-to-device copy")
    row("device-to-device copy", copy_seconds, f"{copy_bandwidth / 1e9:.0f} GB/s")
    from kernels import ops

    add_seconds = median_seconds(lambda: backend.zip(ops.ADD, x, y, out), synchronize,
                                 args.repeat)
    add_bandwidth = 3 * 4 * size / add_seconds
    row("kernels/cuda zip add", add_seconds, f"{add_bandwidth / 1e9:.0f} GB/s",
        f"{add_bandwidth / copy_bandwidth:6.1%} of copy")
    sum_seconds = median_seconds(lambda: backend.reduce(ops.SUM, x, (0,), np.float32),
                                 synchronize, args.repeat)
    sum_bandwidth = 4 * size / sum_seconds
    row("kernels/cuda reduce sum", sum_seconds, f"{sum_bandwidth / 1e9:.0f} GB/s",
        f"{sum_bandwidth / copy_bandwidth:6.1%} of copy")

    # ---- a whole training step: GPU vs CPU ----
    widths, batch = ((8, 16, 16, 4), 4) if args.simulator else ((784, 1024, 1024, 10), 1024)
    print(f"MLP training step {'-'.join(map(str, widths))}, batch {batch} (forward, cross "
          "entropy, backward, SGD step)")
    x_host = rng.standard_normal((batch, widths[0]), dtype=np.float32)
    y_host = rng.integers(0, widths[-1], batch)
    cpu_seconds = median_seconds(mlp_step(widths, x_host, y_host, "cpu"), lambda: None,
                                 args.repeat)
    gpu_seconds = median_seconds(mlp_step(widths, x_host, y_host, "cuda"), synchronize,
                                 args.repeat)
    row("tinygrad_edu CPU", cpu_seconds, f"{batch / cpu_seconds:,.0f} samples/s")
    row("tinygrad_edu GPU", gpu_seconds, f"{batch / gpu_seconds:,.0f} samples/s",
        f"{cpu_seconds / gpu_seconds:.1f}x the CPU's speed")
    torch_step = torch_mlp_step(widths, x_host, y_host)
    if torch_step is not None:
        step, torch_sync = torch_step
        torch_seconds = median_seconds(step, torch_sync, args.repeat)
        row("PyTorch GPU (same model)", torch_seconds, f"{batch / torch_seconds:,.0f} samples/s",
            f"ours takes {gpu_seconds / torch_seconds:.1f}x its time")
    return 0


def mlp_step(widths: tuple, x_host: np.ndarray, y_host: np.ndarray,
             device: str) -> Callable[[], None]:
    """One SGD step of Linear-ReLU-...-Linear on (x, y), as a callable, on `device`."""
    import tinygrad_edu as tg

    tg.manual_seed(0)
    layers: list = []
    for width_in, width_out in zip(widths[:-1], widths[1:]):
        layers += [tg.nn.Linear(width_in, width_out), tg.nn.ReLU()]
    model = tg.nn.Sequential(*layers[:-1]).to(device)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.01)
    x, y = tg.tensor(x_host, device=device), tg.tensor(y_host, device=device)

    def step() -> None:
        optimizer.zero_grad()
        tg.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def torch_mlp_step(widths: tuple, x_host: np.ndarray, y_host: np.ndarray):
    """(step, synchronize) for the same MLP in PyTorch on its GPU, or None without one."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    layers: list = []
    for width_in, width_out in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(width_in, width_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1]).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.from_numpy(x_host).cuda(), torch.from_numpy(y_host).cuda()

    def step() -> None:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step, torch.cuda.synchronize


if __name__ == "__main__":
    sys.exit(main())
