"""Adam step speed over 1M parameters: fused kernel vs a chain of tensor ops vs PyTorch CPU.

One run measures, on the same float32 parameter of N elements (default 1M) with a fixed
gradient:

- fused:            `tinygrad_edu.optim.Adam.step()`, one Numba kernel pass per parameter
                    (the parallel kernel at this size), plus the Python bookkeeping;
- kernel alone:     the serial and the parallel kernel called directly (what threads
                    buy on this machine's cores; the backend switches to the parallel
                    one above kernels/cpu/optim.py's PARALLEL_THRESHOLD elements);
- tensor-op chain:  the same update written as in-place tinygrad_edu tensor ops, PyTorch's
                    `_single_tensor_adam` line by line (each op a kernel launch + a pass
                    over memory + temporaries);
- PyTorch:          `torch.optim.Adam` (the default for-loop implementation on CPU) and
                    `fused=True` (PyTorch's own fused CPU kernel), on all of PyTorch's
                    threads and on one, when torch is installed.

Each row prints the median over `--repeats` steps (after warm-up) and its ratio to the
fused step.

    python benchmarks/optim.py [--size 1000000] [--repeats 30]
    TINYGRAD_EDU_FAST=1 python benchmarks/optim.py      # small and quick, for the test suite
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

import tinygrad_edu as tg
from kernels.cpu import optim as cpu_optim
from tinygrad_edu import optim

LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8


def median_seconds(step: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fused_step(values: np.ndarray, grad: np.ndarray) -> Callable[[], object]:
    param = tg.tensor(values, requires_grad=True)
    param.grad = tg.tensor(grad)
    optimizer = optim.Adam([param], lr=LR, betas=(BETA1, BETA2), eps=EPS)
    return optimizer.step


def kernel_step(values: np.ndarray, grad: np.ndarray, kernel: Callable) -> Callable[[], object]:
    """One Adam kernel (serial or parallel) called directly: no Python bookkeeping."""
    param, exp_avg, exp_avg_sq = values.copy(), np.zeros_like(values), np.zeros_like(values)
    count = [0]

    def step() -> None:
        count[0] += 1
        arguments = cpu_optim.adam_arguments(LR, BETA1, BETA2, EPS, 0.0, count[0], False,
                                             False, False, values.dtype)
        kernel(param, grad, exp_avg, exp_avg_sq, param[:0], *arguments)
    return step


def tensor_chain_step(values: np.ndarray, grad: np.ndarray) -> Callable[[], object]:
    """Adam as PyTorch's _single_tensor_adam writes it, one tensor op per line."""
    param = tg.tensor(values)
    gradient = tg.tensor(grad)
    exp_avg, exp_avg_sq = tg.zeros_like(param), tg.zeros_like(param)
    count = [0]

    def step() -> None:
        count[0] += 1
        t = count[0]
        exp_avg.mul_(BETA1).add_(gradient, alpha=1 - BETA1)
        exp_avg_sq.mul_(BETA2).add_(gradient * gradient, alpha=1 - BETA2)
        step_size = LR / (1 - BETA1 ** t)
        bias_correction2_sqrt = (1 - BETA2 ** t) ** 0.5
        denominator = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(EPS)
        param.add_(exp_avg / denominator, alpha=-step_size)
    return step


def torch_steps(values: np.ndarray, grad: np.ndarray) -> list[tuple[str, Callable]]:
    """PyTorch's Adam, default (for-loop) and fused, on all its threads and on one."""
    try:
        import torch
    except ImportError:
        return []
    rows = []
    for label, options in (("PyTorch Adam (default, CPU)", {}),
                           ("PyTorch Adam (fused=True)", {"fused": True})):
        for threads in (torch.get_num_threads(), 1):
            param = torch.tensor(values, requires_grad=True)
            param.grad = torch.tensor(grad)
            optimizer = torch.optim.Adam([param], lr=LR, betas=(BETA1, BETA2), eps=EPS,
                                         **options)
            rows.append((f"{label}, {threads} thread{'s' if threads > 1 else ''}",
                         _with_threads(torch, threads, optimizer.step)))
    return rows


def _with_threads(torch: object, threads: int, step: Callable) -> Callable[[], object]:
    def run() -> object:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return step()
        finally:
            torch.set_num_threads(previous)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fast = os.environ.get("TINYGRAD_EDU_FAST") == "1"
    parser.add_argument("--size", type=int, default=20_000 if fast else 1_000_000)
    parser.add_argument("--repeats", type=int, default=3 if fast else 30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    values = rng.standard_normal(args.size).astype(np.float32)
    grad = rng.standard_normal(args.size).astype(np.float32)
    rows = [("tinygrad_edu Adam.step (fused kernel)", fused_step(values, grad)),
            ("  its kernel alone, serial loop", kernel_step(values, grad, cpu_optim.adam_update)),
            ("  its kernel alone, parallel loop",
             kernel_step(values, grad, cpu_optim.adam_update_parallel)),
            ("tinygrad_edu tensor-op chain", tensor_chain_step(values, grad)),
            *torch_steps(values, grad)]
    try:
        import torch
        threads = f", PyTorch threads {torch.get_num_threads()}"
    except ImportError:
        threads = ""
    print(f"Adam step, {args.size:,} float32 parameters, median of {args.repeats} "
          f"(cores {os.cpu_count()}{threads})")
    medians = [(label, median_seconds(step, args.repeats)) for label, step in rows]
    fused = medians[0][1]
    for label, seconds in medians:
        print(f"  {label:44s} {seconds * 1e3:9.3f} ms   {seconds / fused:6.2f}x fused")


if __name__ == "__main__":
    main()
