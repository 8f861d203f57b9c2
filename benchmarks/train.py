"""Training throughput: tinygrad_edu vs PyTorch eager vs a hand-written NumPy loop (issue 9).

    python benchmarks/train.py            # all cases (a few minutes)
    python benchmarks/train.py --quick    # fewer epochs, for a smoke test

Every case trains the same model on the same data with the same loop, written once against
the PyTorch API and run with `import tinygrad_edu as torch` or the real PyTorch. Figures are
samples/s over full epochs after a warm-up epoch (medians of the epochs; the libraries take
turns epoch by epoch, so that a change in the shared machine's load hits both). Also printed:
where tinygrad_edu's time goes (kernels, autograd bookkeeping, Python dispatch, allocation), the
peak memory of an MNIST-MLP epoch per library, whether memory grows across epochs, and the
start-up: `import tinygrad_edu` and the first training step from an empty and a warm Numba
cache (each in a new process, with NUMBA_CACHE_DIR pointing at a fresh folder).

The NumPy floor is the same MLP's forward and backward written out by hand (BLAS matmuls, SGD
with the same momentum): what a Python loop over the same kernels costs without autograd.

The run starts by naming the BLAS kernels each library uses: tinygrad_edu and NumPy call
OpenBLAS, PyTorch calls MKL. OpenBLAS picks its kernels for the CPU it finds, unless the
environment variable OPENBLAS_CORETYPE picks them by hand (some machines set it, with
OPENBLAS_L2_SIZE, to avoid bugs of old OpenBLAS builds; on an AVX-512 CPU, Haswell's kernels
make the MNIST products ~1.5x slower). The README's figures are from
`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train.py`.
"""

import argparse
import cProfile
import gc
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)


def load_digits() -> tuple:
    data = np.load(os.path.join(ROOT, "tinygrad_edu", "data", "digits.npz"))
    images = data["images"].reshape(-1, 64).astype(np.float32) / 16.0
    return images, data["labels"].astype(np.int64)


def load_mnist(count: int = 60000) -> tuple:
    from tinygrad_edu.vision.idx import read_idx
    folder = os.path.join(ROOT, "data", "mnist")
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"))[:count]
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz"))[:count]
    return (images.astype(np.float32) / 255.0 - 0.1307) / 0.3081, labels.astype(np.int64)


def mlp(torch, sizes: tuple):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def lenet(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def epoch(torch, model, optimizer, images, labels, batch_size: int) -> float:
    """One epoch of the usual loop; returns seconds."""
    loss_fn = torch.nn.functional.cross_entropy
    x_all = torch.from_numpy(images)
    y_all = torch.from_numpy(labels)
    start = time.perf_counter()
    for first in range(0, len(images) - batch_size + 1, batch_size):
        x = x_all[first:first + batch_size]
        y = y_all[first:first + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def setup(torch, case: dict) -> tuple:
    """A fresh model and optimizer for `case`, seeded, after one warm-up epoch."""
    torch.manual_seed(0)
    model = case["model"](torch)
    if case["optimizer"] == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    epoch(torch, model, optimizer, *case["data"], case["batch"])  # warm-up
    return model, optimizer


def compare(libraries: list, case: dict, rounds: int) -> dict:
    """Samples/s of each library on `case`: `rounds` epochs each, the libraries taking turns
    epoch by epoch (so a change in the machine's load hits all of them alike); medians. Run
    at each library's default thread count and at one thread (which wins on a busy 2-core
    machine); each library gets the better of the two."""
    best = {}
    for threads in (None, 1):
        runs = {}
        for torch in libraries:
            default = torch.get_num_threads()
            torch.set_num_threads(threads or default)
            runs[torch] = (setup(torch, case), default, [])
            torch.set_num_threads(default)
        for _ in range(rounds):
            for torch, ((model, optimizer), default, times) in runs.items():
                torch.set_num_threads(threads or default)
                times.append(epoch(torch, model, optimizer, *case["data"], case["batch"]))
                torch.set_num_threads(default)
        samples = len(case["data"][0]) // case["batch"] * case["batch"]
        for torch, (_, _, times) in runs.items():
            best[torch] = max(best.get(torch, 0.0), samples / statistics.median(times))
    return best


def blas_report(torch) -> str:
    """Which BLAS kernels each library runs on this CPU (they differ: a fair comparison
    names them)."""
    import scipy.linalg.cython_blas  # noqa: F401  (loads SciPy's OpenBLAS, which Numba calls)
    from threadpoolctl import threadpool_info
    lines = []
    for info in threadpool_info():
        if info["user_api"] == "blas":
            owner = "NumPy" if "numpy" in info["filepath"] else \
                "SciPy (tinygrad_edu's, via Numba)" if "scipy" in info["filepath"] else \
                info["filepath"]
            lines.append(f"  {owner}: {info['internal_api']} {info['version']}, "
                         f"{info.get('architecture')} kernels")
    if torch is not None:
        lines.append(f"  PyTorch: MKL, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    forced = [f"{name}={os.environ[name]}" for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
              if name in os.environ]
    if forced:
        lines.append(f"  note: {' '.join(forced)} is set, which picks OpenBLAS's kernels by "
                     "hand; without it OpenBLAS picks the best for this CPU (to measure that: "
                     "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train.py)")
    return "BLAS in this run:\n" + "\n".join(lines)


def numpy_mlp_epoch(images, labels, sizes: tuple, batch_size: int, lr: float = 0.05,
                    momentum: float = 0.9) -> float:
    """The floor: forward and backward written out in NumPy (BLAS matmuls), SGD with momentum
    as torch.optim.SGD does it (v = momentum * v + g; p -= lr * v)."""
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((a, b)).astype(np.float32) / np.sqrt(a)
               for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b, np.float32) for b in sizes[1:]]
    velocities = [np.zeros_like(p) for p in weights + biases]
    start = time.perf_counter()
    for first in range(0, len(images) - batch_size + 1, batch_size):
        x = images[first:first + batch_size]
        y = labels[first:first + batch_size]
        activations = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = activations[-1] @ w + b
            activations.append(np.maximum(z, 0) if i < len(weights) - 1 else z)
        logits = activations[-1]
        shifted = logits - logits.max(1, keepdims=True)
        probabilities = np.exp(shifted)
        probabilities /= probabilities.sum(1, keepdims=True)
        grad = probabilities
        grad[np.arange(len(y)), y] -= 1
        grad /= len(y)
        for i in range(len(weights) - 1, -1, -1):
            grad_w = activations[i].T @ grad
            grad_b = grad.sum(0)
            if i:
                grad = (grad @ weights[i].T) * (activations[i] > 0)
            for parameter, velocity, g in ((weights[i], velocities[i], grad_w),
                                           (biases[i], velocities[len(weights) + i], grad_b)):
                velocity *= momentum
                velocity += g
                parameter -= lr * velocity
    return time.perf_counter() - start


def profile(case: dict) -> None:
    """Where tinygrad_edu's time goes in one epoch, by layer of the code."""
    import tinygrad_edu as torch
    torch.manual_seed(0)
    model = case["model"](torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    images, labels = case["data"]
    epoch(torch, model, optimizer, images, labels, case["batch"])
    profiler = cProfile.Profile()
    profiler.enable()
    epoch(torch, model, optimizer, images, labels, case["batch"])
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    buckets = {"kernels (Numba, BLAS)": 0.0, "autograd bookkeeping": 0.0,
               "Python dispatch (tensor, functions, nn, optim)": 0.0, "allocation": 0.0,
               "other": 0.0}
    for (filename, _, name), (_, _, own_time, _, _) in stats.items():
        if "kernels" in filename and "__init__" not in filename or "numba" in filename:
            buckets["kernels (Numba, BLAS)"] += own_time
        elif filename.endswith("autograd.py"):
            buckets["autograd bookkeeping"] += own_time
        elif "tinygrad_edu" in filename or "kernels" in filename:
            buckets["Python dispatch (tensor, functions, nn, optim)"] += own_time
        elif name in ("<built-in method numpy.empty>", "<built-in method numpy.zeros>") or \
                "empty" in name or "full" in name:
            buckets["allocation"] += own_time
        else:
            buckets["other"] += own_time
    total = sum(buckets.values())
    print(f"\n== where tinygrad_edu's time goes ({case['name']}, one epoch under cProfile)")
    for label, seconds in buckets.items():
        print(f"{label:48s} {seconds:7.3f} s  {100 * seconds / total:5.1f}%")


MEMORY = """
import sys, resource, gc
sys.path.insert(0, {root!r})
import numpy as np
import benchmarks.train as bench
import {library} as torch
images, labels = bench.load_mnist({count})
images = images.reshape(len(images), 784)
torch.manual_seed(0)
model = bench.mlp(torch, (784, 256, 128, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
rss = []
for _ in range(3):
    bench.epoch(torch, model, optimizer, images, labels, 128)
    gc.collect()
    # VmHWM: this process's peak resident memory (ru_maxrss would include the parent's,
    # since it survives the exec that started us)
    status = open("/proc/self/status").read()
    rss.append(int(status.split("VmHWM:")[1].split()[0]) / 1024)
print(" ".join(f"{{r:.1f}}" for r in rss))
"""


def memory(count: int) -> None:
    print(f"\n== peak RSS (MiB) after each of 3 MNIST-MLP epochs ({count} samples)")
    for library in ("tinygrad_edu", "torch"):
        code = MEMORY.format(root=ROOT, library=library, count=count)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=dict(os.environ, PYTHONPATH=ROOT))
        if result.returncode:
            print(f"{library:13s} failed: {result.stderr.strip().splitlines()[-1]}")
            continue
        peaks = [float(v) for v in result.stdout.split()]
        growth = peaks[-1] - peaks[0]
        print(f"{library:13s} {' '.join(f'{p:8.1f}' for p in peaks)}   growth {growth:+.1f}")


STARTUP = """
import sys, time
t0 = time.perf_counter()
import tinygrad_edu as torch
t1 = time.perf_counter()
sys.path.insert(0, {root!r})
import benchmarks.train as bench
images, labels = bench.load_mnist(128)
torch.manual_seed(0)
model = bench.mlp(torch, (784, 256, 128, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
t2 = time.perf_counter()
bench.epoch(torch, model, optimizer, images.reshape(-1, 784), labels, 128)  # one step
t3 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t3 - t2:.3f}}")
"""


def startup() -> None:
    """Import time and the first MNIST-MLP training step (forward, cross-entropy, backward,
    SGD step) in a new process: with an empty Numba cache (everything compiles), then with
    the cache that run left (everything loads)."""
    print("\n== start-up (seconds): import tinygrad_edu; first training step")
    cache = tempfile.mkdtemp(prefix="numba-cache-")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT)
    try:
        for label in ("empty cache", "warm cache", "warm cache"):
            result = subprocess.run([sys.executable, "-c", STARTUP.format(root=ROOT)], env=env,
                                    capture_output=True, text=True)
            if result.returncode:
                print(f"{label:12s} failed: {result.stderr.strip().splitlines()[-1]}")
                return
            seconds = [float(v) for v in result.stdout.split()]
            print(f"{label:12s} import {seconds[0]:6.2f}   first step {seconds[1]:6.2f}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print("(the cache lives in __pycache__ beside kernels/, or in NUMBA_CACHE_DIR when set)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and samples")
    args = parser.parse_args()
    mnist_count = 6000 if args.quick else 60000
    digits = load_digits()
    mnist = load_mnist(mnist_count)
    mnist_images = (mnist[0].reshape(-1, 1, 28, 28), mnist[1])
    flat_mnist = (mnist[0].reshape(-1, 784), mnist[1])
    cases = [
        {"name": "digits MLP b32 SGD", "model": lambda t: mlp(t, (64, 128, 64, 10)),
         "data": digits, "batch": 32, "optimizer": "sgd", "numpy": (64, 128, 64, 10),
         "rounds": 40},
        {"name": "digits MLP b128 SGD", "model": lambda t: mlp(t, (64, 128, 64, 10)),
         "data": digits, "batch": 128, "optimizer": "sgd", "numpy": (64, 128, 64, 10),
         "rounds": 40},
        {"name": "digits MLP b32 Adam", "model": lambda t: mlp(t, (64, 128, 64, 10)),
         "data": digits, "batch": 32, "optimizer": "adam", "rounds": 40},
        {"name": "digits MLP b128 Adam", "model": lambda t: mlp(t, (64, 128, 64, 10)),
         "data": digits, "batch": 128, "optimizer": "adam", "rounds": 40},
        {"name": "MNIST MLP b128 SGD", "model": lambda t: mlp(t, (784, 256, 128, 10)),
         "data": flat_mnist, "batch": 128, "optimizer": "sgd", "numpy": (784, 256, 128, 10),
         "rounds": 5},
        {"name": "MNIST LeNet b64 SGD", "model": lenet,
         "data": (mnist_images[0][: mnist_count // 4], mnist_images[1][: mnist_count // 4]),
         "batch": 64, "optimizer": "sgd", "rounds": 5},
    ]
    import tinygrad_edu
    try:
        import torch
    except ImportError:
        torch = None
    from threadpoolctl import threadpool_limits
    print(blas_report(torch))
    print("samples/s (median of epochs after a warm-up; the libraries take turns epoch by epoch);")
    print("ratio = tinygrad_edu / other; each library (and NumPy's BLAS) at its best of default")
    print("threads and one thread")
    print(f"{'case':24s} {'tinygrad_edu':>13s} {'torch':>10s} {'ratio':>6s} {'numpy':>10s} "
          f"{'ratio':>6s}")
    libraries = [tinygrad_edu] + ([torch] if torch is not None else [])
    for case in cases:
        rounds = 2 if args.quick else case["rounds"]
        speed = compare(libraries, case, rounds)
        ours = speed[tinygrad_edu]
        theirs = speed.get(torch, float("nan"))
        line = f"{case['name']:24s} {ours:13.0f} {theirs:10.0f} {ours / theirs:6.2f}"
        if "numpy" in case:
            runs = [numpy_mlp_epoch(*case["data"], case["numpy"], case["batch"])
                    for _ in range(rounds)]
            with threadpool_limits(1):  # NumPy's BLAS on one thread, as for PyTorch above
                runs_one = [numpy_mlp_epoch(*case["data"], case["numpy"], case["batch"])
                            for _ in range(rounds)]
            seconds = min(statistics.median(runs), statistics.median(runs_one))
            floor = (len(case["data"][0]) // case["batch"]) * case["batch"] / seconds
            line += f" {floor:10.0f} {ours / floor:6.2f}"
        print(line, flush=True)
    profile(cases[1])
    memory(mnist_count)
    startup()
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nthis process: peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
