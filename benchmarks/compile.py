"""tinygrad_edu.compile: eager vs compiled (fused kernels), and PyTorch eager vs torch.compile.

    python benchmarks/compile.py                     # the three cases below
    python benchmarks/compile.py --repeats 40
    python benchmarks/compile.py --no-torch-compile  # skip torch.compile (its cold start is
                                                     # long: it writes and builds C++)
    TINYGRAD_EDU_FAST=1 python benchmarks/compile.py # small sizes, a few repeats

Cases:
    mlp fwd+bwd    Linear(256, 1024), GELU(approximate='tanh'), LayerNorm(1024),
                   Linear(1024, 256) on a (128, 256) batch: forward, mean square, backward
    chain fwd      a 15-op elementwise chain (a degree-6 polynomial by Horner's rule, then
                   relu(y) * x) on 1M float32, no grad
    chain fwd+bwd  the same chain with its gradient
    tanh fwd+bwd   the chain with tanh(y) for relu(y): one libm call per element, which
                   fusion does not make cheaper (PyTorch's vectorised tanh does)

Figures are the median and the best time in milliseconds over the repeats; all contenders
run in one process and take turns call by call, so they see the same machine load; "x eager"
is its own library's eager median divided by the contender's median (above 1: faster).

The cold cost is the first two calls of a fresh compiled callable, less two warm ones: the
trace (an eager run that records), then the first replay, where Numba compiles each
generated kernel (exec'd source cannot use Numba's disk cache, so every new process pays it
again).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"
COEFFICIENTS = (0.5, -0.25, 0.125, 1.5, -0.75, 0.3)


def polynomial(x):
    """12 elementwise ops: y = ((x*x + c0)*x + c1)*x + ... (Horner's rule)."""
    y = x
    for c in COEFFICIENTS:
        y = y * x + c
    return y


def chain(x):
    return polynomial(x).relu() * x


def tanh_chain(x):
    return polynomial(x).tanh() * x


def sizes() -> tuple:
    """(batch, features, hidden, chain length)."""
    return (16, 32, 64, 1 << 12) if FAST else (128, 256, 1024, 1 << 20)


def tinygrad_cases() -> dict:
    """{case: (eager step, compiled step)}: each step runs one forward (+ backward)."""
    batch, features, hidden, length = sizes()
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(features, hidden), nn.GELU(approximate="tanh"),
                          nn.LayerNorm(hidden), nn.Linear(hidden, features))
    compiled_model = tg.compile(model)
    x = tg.randn(batch, features)
    v = tg.randn(length)
    w = tg.randn(length, requires_grad=True)
    compiled_chain = tg.compile(chain)
    compiled_tanh = tg.compile(tanh_chain)

    def mlp(run):
        def step():
            model.zero_grad()
            out = run(x)
            (out * out).mean().backward()
        return step

    def forward(run):
        def step():
            with tg.no_grad():
                run(v)
        return step

    def both(run):
        def step():
            w.grad = None
            run(w).sum().backward()
        return step

    return {"mlp fwd+bwd": (mlp(model), mlp(compiled_model)),
            "chain fwd": (forward(chain), forward(compiled_chain)),
            "chain fwd+bwd": (both(chain), both(compiled_chain)),
            "tanh fwd+bwd": (both(tanh_chain), both(compiled_tanh))}


def torch_cases(use_compile: bool) -> tuple:
    """({case: (eager step, compiled step or None)}, note) for PyTorch, or ({}, why not)."""
    try:
        import torch
    except ImportError:
        return {}, "PyTorch is not installed"
    batch, features, hidden, length = sizes()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(features, hidden),
                                torch.nn.GELU(approximate="tanh"), torch.nn.LayerNorm(hidden),
                                torch.nn.Linear(hidden, features))
    x = torch.randn(batch, features)
    v = torch.randn(length)
    w = torch.randn(length, requires_grad=True)

    def mlp(run):
        def step():
            model.zero_grad()
            out = run(x)
            (out * out).mean().backward()
        return step

    def forward(run):
        def step():
            with torch.no_grad():
                run(v)
        return step

    def both(run):
        def step():
            w.grad = None
            run(w).sum().backward()
        return step

    compiled_model = compiled_chain = compiled_tanh = None
    note = "torch.compile skipped (--no-torch-compile)"
    if use_compile:
        try:
            compiled_model, compiled_chain = torch.compile(model), torch.compile(chain)
            compiled_tanh = torch.compile(tanh_chain)
            start = time.perf_counter()
            for step in (mlp(compiled_model), forward(compiled_chain), both(compiled_chain),
                         both(compiled_tanh)):
                step()
            note = f"torch.compile cold start (4 graphs): {time.perf_counter() - start:.1f} s"
        except Exception as error:  # no C++ compiler, an unsupported platform, ...
            compiled_model = compiled_chain = compiled_tanh = None
            note = f"torch.compile skipped: {type(error).__name__}: {str(error)[:120]}"
    cases = {"mlp fwd+bwd": (mlp(model), compiled_model and mlp(compiled_model)),
             "chain fwd": (forward(chain), compiled_chain and forward(compiled_chain)),
             "chain fwd+bwd": (both(chain), compiled_chain and both(compiled_chain)),
             "tanh fwd+bwd": (both(tanh_chain), compiled_tanh and both(compiled_tanh))}
    return cases, note


def cold_start() -> list:
    """(case, seconds of the first two calls less two warm calls) for fresh compiled ones."""
    rows = []
    for name, (_, step) in tinygrad_cases().items():
        start = time.perf_counter()
        step()
        step()
        cold = time.perf_counter() - start
        start = time.perf_counter()
        step()
        step()
        rows.append((name, cold - (time.perf_counter() - start)))
    return rows


def timings(steps: dict, repeats: int) -> dict:
    """{name: (median ms, best ms)}. The steps take turns call by call (a, b, c, a, b, ...),
    so a change in the machine's load hits every contender alike."""
    times: dict = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: (1000 * statistics.median(values), 1000 * min(values))
            for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3 if FAST else 30)
    parser.add_argument("--no-torch-compile", action="store_true")
    options = parser.parse_args()
    for eager, _ in tinygrad_cases().values():
        eager()  # load the eager kernels from Numba's disk cache before timing the cold cost
    print("cold start of tinygrad_edu.compile (trace + Numba compile of the kernels):")
    for name, seconds in cold_start():
        print(f"  {name:14s} {seconds:6.2f} s")
    ours = tinygrad_cases()
    theirs, note = torch_cases(not options.no_torch_compile and not FAST)
    if FAST:
        note = "torch.compile skipped (TINYGRAD_EDU_FAST=1)"
    print(note)
    steps = {}
    for name, (eager, compiled) in ours.items():
        steps[(name, "tinygrad_edu eager")] = eager
        steps[(name, "tinygrad_edu compile")] = compiled
    for name, (eager, compiled) in theirs.items():
        steps[(name, "torch eager")] = eager
        if compiled is not None:
            steps[(name, "torch.compile")] = compiled
    for step in steps.values():
        step()  # the first (compiling) calls before any timing
    result = timings(steps, options.repeats)
    print(f"\n{'case':14s} {'library':22s} {'median ms':>10s} {'best ms':>9s} {'x eager':>8s}")
    for (name, library), (median, best) in result.items():
        eager_name = library.replace(" compile", " eager").replace("torch.compile",
                                                                    "torch eager")
        ratio = result[(name, eager_name)][0] / median
        print(f"{name:14s} {library:22s} {median:10.2f} {best:9.2f} {ratio:7.2f}x")


if __name__ == "__main__":
    main()
