"""Conv2d and MaxPool2d forward + backward: tinygrad_edu's kernel strategies vs PyTorch CPU.

    python benchmarks/conv.py              # LeNet-sized layers on a (64, 1, 28, 28) batch
    python benchmarks/conv.py --repeats 50
    TINYGRAD_EDU_FAST=1 python benchmarks/conv.py   # a few repeats, for the test suite

For each layer it times `out = layer(x); out.backward(grad)` (the weight and bias gradients,
plus the input gradient where the input requires one, as in a network's second layer):

    im2col   copy each receptive field of a sample into a column, then one BLAS product
             per sample, runs of samples in parallel (kernels/cpu/conv.py conv2d_im2col;
             the backend's default)
    direct   the convolution sum as plain loops, parallel over (sample, channel) pairs
    torch    PyTorch's own CPU kernels (oneDNN / its im2col), same thread count

Figures are the median and the best of the repeats, in milliseconds. All contenders run in
one process, in blocks that take turns over a few rounds, so that they see the same machine
load; "x torch" is the ratio of medians to PyTorch's. On a busy machine PyTorch's medians
suffer most (its threads wait for each other): compare the best times there, or use
--torch-threads 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
from tinygrad_edu.device import backend_for  # noqa: E402

# (name, input shape, layer constructor arguments, input needs a gradient)
CASES = [
    ("conv1 1->6 5x5", (64, 1, 28, 28), ("Conv2d", (1, 6, 5)), False),
    ("conv1 1->32 5x5", (64, 1, 28, 28), ("Conv2d", (1, 32, 5)), False),
    ("conv2 6->16 5x5", (64, 6, 12, 12), ("Conv2d", (6, 16, 5)), True),
    ("conv 16->32 3x3 pad 1", (64, 16, 14, 14), ("Conv2d", (16, 32, 3, 1, 1)), True),
    ("maxpool 2x2 on (64,6,24,24)", (64, 6, 24, 24), ("MaxPool2d", (2,)), True),
]


def time_in_rounds(steps: dict, repeats: int, rounds: int = 3) -> dict:
    """{name: (median, best)} milliseconds per step. Each round runs every step in its own
    block (one untimed call, then repeats / rounds timed ones): rounds share out changes in
    the machine's load, blocks keep one library's idle threads (BLAS, OpenMP, which spin for
    a while after a call) from slowing the next library's calls."""
    for step in steps.values():
        step()
    times: dict = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            step()
            for _ in range(max(1, repeats // rounds)):
                start = time.perf_counter()
                step()
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: (statistics.median(t), min(t)) for name, t in times.items()}


class _Strategy:
    """A step run with the CPU backend's conv_kernel set to one strategy."""

    def __init__(self, backend, strategy: str, step) -> None:
        self.backend, self.strategy, self.step = backend, strategy, step

    def __call__(self) -> None:
        self.backend.conv_kernel = self.strategy
        try:
            self.step()
        finally:
            self.backend.conv_kernel = "im2col"


def tinygrad_step(layer_name: str, arguments: tuple, x_array: np.ndarray, grad: np.ndarray,
                  needs_input_grad: bool):
    tg.manual_seed(0)
    layer = getattr(nn, layer_name)(*arguments)
    x = tg.tensor(x_array, requires_grad=needs_input_grad)
    seed = tg.tensor(grad)

    def step() -> None:
        layer.zero_grad()
        x.grad = None
        layer(x).backward(seed)

    return step


def torch_step(torch, layer_name: str, arguments: tuple, x_array: np.ndarray,
               grad: np.ndarray, needs_input_grad: bool):
    torch.manual_seed(0)
    layer = getattr(torch.nn, layer_name)(*arguments)
    x = torch.tensor(x_array, requires_grad=needs_input_grad)
    seed = torch.tensor(grad)

    def step() -> None:
        layer.zero_grad()
        x.grad = None
        layer(x).backward(seed)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fast = os.environ.get("TINYGRAD_EDU_FAST") == "1"
    parser.add_argument("--repeats", type=int, default=3 if fast else 20)
    parser.add_argument("--torch-threads", type=int, default=os.cpu_count() or 1,
                        help="PyTorch's intra-op threads (default: one per core)")
    args = parser.parse_args()
    try:
        import torch
        torch.set_num_threads(args.torch_threads)
    except ImportError:
        torch = None
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}; PyTorch "
          f"{torch.__version__ + f' with {args.torch_threads} threads' if torch else 'absent'}")
    backend = backend_for(tg.device("cpu"))
    print(f"{'case':30s} {'strategy':9s} {'median ms':>10s} {'best ms':>9s} {'x torch':>8s}")
    rng = np.random.default_rng(0)
    for name, shape, (layer_name, arguments), needs_input_grad in CASES:
        x = rng.standard_normal(shape).astype(np.float32)
        with tg.no_grad():
            probe = getattr(nn, layer_name)(*arguments)(tg.tensor(x))
        grad = rng.standard_normal(tuple(probe.shape)).astype(np.float32)
        strategies = ["im2col", "direct"] if layer_name == "Conv2d" else ["im2col"]
        steps = {("kernel" if layer_name != "Conv2d" else strategy): _Strategy(
            backend, strategy, tinygrad_step(layer_name, arguments, x, grad, needs_input_grad))
            for strategy in strategies}
        if torch is not None:
            steps["torch"] = torch_step(torch, layer_name, arguments, x, grad, needs_input_grad)
        results = time_in_rounds(steps, args.repeats)
        for strategy, (median, best) in results.items():
            ratio = f"{median / results['torch'][0]:8.2f}" if "torch" in results \
                else f"{'-':>8s}"
            print(f"{name:30s} {strategy:9s} {median:10.2f} {best:9.2f} {ratio}")
            name = ""


if __name__ == "__main__":
    main()
