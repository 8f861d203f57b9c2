"""Compile every CUDA kernel for a real GPU, on a machine that has none.

Why this exists
---------------
With no GPU, the tests run our kernels on Numba's CUDA simulator, which runs each kernel as
plain Python. That checks what a kernel computes, not whether Numba can compile it for a GPU:
a kernel can pass every simulator test and still fail to compile (a builtin the CUDA target
lacks, a dtype it cannot type, a float16 operation). Compiling needs no GPU, only the CUDA
toolkit's NVVM library (`cuda.compile_ptx`), so this script compiles each kernel with every
argument type the backend launches it with.

How, in two processes
---------------------
1. record, on the simulator: `sweep` calls the backend interface with every dtype and dtype
   pair that the Tensor layer can send it, on tiny arrays, and each kernel launch is noted as
   (kernel, argument types). The types are Numba's, as a real launch would infer them: a
   float32 device array is array(float32, 1d, C), a Python int is int64, a tuple of ints is
   UniTuple(int64, n). A kernel compiles once per distinct signature, so these are exactly
   the compilations a GPU would do for the same calls.
2. compile, with the real numba.cuda: `cuda.compile_ptx` for a compute capability (default
   9.0, Hopper), then `ptxas` (when found) assembles the PTX to machine code, as the driver
   does when it loads a kernel.

    python -m kernels.cuda.compile_check          # exit 0: all compiled; 1: failures listed
    python -m kernels.cuda.compile_check --cc 8.0 # 77: no CUDA toolkit found, nothing checked
    python -m kernels.cuda.compile_check --quick  # fewer dtype pairs (the tests use this)

The full sweep is about 750 compilations (minutes on two cores); --quick about 250.
The toolkit is found where Numba looks (CUDA_HOME, then /usr/local/cuda; or the NVIDIA
wheels that `pip install numba-cuda[cu12]` brings).
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter

import numpy as np

NO_TOOLKIT = 77  # exit status: nothing could be compiled here (no CUDA toolkit)
KERNEL_MODULES = ("elementwise", "reduce", "matmul", "indexing", "loss", "conv", "optim",
                  "sort")
DTYPES = tuple(np.dtype(name) for name in (
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"))
FLOATS = tuple(d for d in DTYPES if d.kind == "f")


# ---- step 1: the sweep (runs on the simulator) ---------------------------------------------


def sweep(backend, every_pair: bool = True) -> None:
    """Call every backend method with every dtype (and dtype pair) the Tensor layer may pass.

    every_pair=False (--quick) pairs each dtype only with itself, bool and float32 in
    map and where, and only with itself in zip: a third of the compilations.
    """
    from kernels import ops
    from kernels.strided import Strided, contiguous_strides

    def tensor(dtype, shape=(2, 3)):  # 1, 0, 0, 1, 0, 0, ...: no sum overflows an int8
        values = (np.arange(int(np.prod(shape))) % 3 == 0).reshape(shape).astype(dtype)
        return Strided(backend.from_numpy(values), shape, contiguous_strides(shape), 0)

    def transposed(x):  # a non-contiguous view: the strided kernels
        return Strided(x.buffer, x.shape[::-1], x.strides[::-1], x.offset)

    def out(dtype, shape=(2, 3)):
        size = int(np.prod(shape))
        return Strided(backend.empty(size, dtype), shape, contiguous_strides(shape), 0)

    def partners(dtype, zip_op=False):
        if every_pair:
            return DTYPES
        return (dtype,) if zip_op else tuple({dtype, np.dtype(bool), np.dtype(np.float32)})

    for dtype in DTYPES:
        backend.full(4, 1, dtype)

    # map: its signature is (x dtype, out dtype); the op code is a runtime argument, so a
    # copy (op IDENTITY) of each pair compiles the same code as exp or neg of that pair.
    for source in DTYPES:
        for target in partners(source):
            backend.copy(tensor(source), out(target))
            backend.copy(transposed(tensor(source)), out(target, (3, 2)))

    # zip: the Tensor layer passes operands of any two dtypes (the kernel's arithmetic
    # promotes them) and an out of the result dtype, bool (comparisons) or the default float
    # (true division of integers). The strided kernel shares the arithmetic (store_binary),
    # so it is swept for equal dtypes only.
    for a in DTYPES:
        for b in partners(a, zip_op=True):
            for target in {a, b, np.promote_types(a, b), np.dtype(bool), np.dtype(np.float32)}:
                backend.zip(ops.ADD, tensor(a), tensor(b), out(target))
        for target in {a, np.dtype(bool), np.dtype(np.float32)}:
            backend.zip(ops.ADD, transposed(tensor(a)), tensor(a, (3, 2)), out(target, (3, 2)))

    # bit ops: one integer dtype for operands and out (the Tensor layer casts first)
    for dtype in DTYPES:
        if dtype.kind in "iu":
            backend.bitwise(ops.BITWISE_LEFT_SHIFT, tensor(dtype), tensor(dtype), out(dtype))
            backend.bitwise(ops.BITWISE_AND, transposed(tensor(dtype)), tensor(dtype, (3, 2)),
                            out(dtype, (3, 2)))

    for a in DTYPES:
        condition = tensor(np.bool_)
        for b in partners(a):
            backend.where(condition, tensor(a), tensor(b), out(np.promote_types(a, b)))
        backend.where(transposed(condition), tensor(a, (3, 2)), tensor(a, (3, 2)),
                      out(a, (3, 2)))

    # reductions: short rows (one thread per row), long rows (a block per row, and a row cut
    # into parts plus a second pass), a slow axis, and two reduced axes that do not merge.
    for dtype in DTYPES:
        sums = {dtype, np.dtype(np.int64) if dtype.kind in "biu" else np.dtype(np.float64)}
        for op in ops.REDUCE_OPS.values():
            for target in (sums if op in (ops.SUM, ops.PROD) else {dtype}):
                backend.reduce(op, tensor(dtype, (3, 5)), (1,), target)
                backend.reduce(op, tensor(dtype, (1, 300)), (1,), target)
                backend.reduce(op, tensor(dtype, (40, 3)), (0,), target)
                backend.reduce(op, transposed(tensor(dtype, (2, 3, 20))), (0, 2), target)
        for op in ops.ARG_REDUCE_OPS.values():
            backend.arg_reduce(op, tensor(dtype, (3, 5)), 1)
            backend.arg_reduce(op, tensor(dtype, (2, 40)), 1)
        # argsort: rows copied to a float64 / int64 scratch, so one kernel per wide dtype;
        # both directions, along the last axis and along another (the indices copied back)
        # rows of 3 sort in shared memory; with the block limit lowered to 2 the same rows
        # take the long-row path (global memory, one launch per stage)
        from kernels.cuda import sort
        block_sort_max = sort.BLOCK_SORT_MAX
        for limit in (block_sort_max, 2):
            sort.BLOCK_SORT_MAX = limit
            try:
                for descending in (False, True):
                    backend.argsort(tensor(dtype, (2, 3)), 1, descending)
                    backend.argsort(transposed(tensor(dtype, (2, 3))), 0, descending)
            finally:
                sort.BLOCK_SORT_MAX = block_sort_max

    # matmul, both kernels, batched and not; linear (composed of the kernels above)
    kernel = backend.matmul_kernel
    for name in ("tiled", "naive"):
        backend.matmul_kernel = name
        for dtype in DTYPES:
            backend.matmul(tensor(dtype, (2, 3)), tensor(dtype, (3, 4)), dtype)
            backend.matmul(tensor(dtype, (2, 2, 3)), transposed(tensor(dtype, (4, 3, 2))), dtype)
    backend.matmul_kernel = kernel
    for dtype in FLOATS:
        for bias in (None, tensor(dtype, (4,))):
            for relu in (False, True):
                backend.linear(tensor(dtype, (2, 3)), tensor(dtype, (4, 3)), bias, relu)
        backend.linear_grad_weight(tensor(dtype, (2, 4)), tensor(dtype, (2, 3)), True)

    # gather and scatter by position (atomics for some dtypes, a serial kernel for others)
    positions = tensor(np.int64, (2, 3))
    for dtype in DTYPES:
        buffer = tensor(dtype, (2, 3)).buffer
        backend.take(buffer, positions, dtype)
        backend.take(buffer, transposed(positions), dtype)
        backend.index_add(buffer, positions, tensor(dtype, (2, 3)))
        backend.index_put(buffer, positions, tensor(dtype, (2, 3)))

    # the fused losses and the conv-net kernels, for each float dtype
    for dtype in FLOATS:
        target = Strided(backend.from_numpy(np.array([0, 2])), (2,), (1,), 0)
        for reduction in ("none", "sum", "mean"):
            grad_shape = (2,) if reduction == "none" else ()
            _, probabilities = backend.cross_entropy_forward(tensor(dtype), target, reduction,
                                                             -100, 0.1)
            backend.cross_entropy_backward(
                Strided(probabilities, (2, 3), (3, 1), 0), target, tensor(dtype, grad_shape),
                reduction, -100, 0.1, dtype)
        x, weight = tensor(dtype, (1, 2, 4, 4)), tensor(dtype, (3, 2, 2, 2))
        window = ((1, 1), (0, 0), (1, 1))
        for bias in (None, tensor(dtype, (3,))):
            backend.conv2d(x, weight, bias, *window, 1, (3, 3))
        grad = tensor(dtype, (1, 3, 3, 3))
        backend.conv2d_grad_input(grad, weight, (1, 2, 4, 4), *window, 1)
        backend.conv2d_grad_weight(x, grad, (3, 2, 2, 2), *window, 1)
        backend.conv2d_grad_bias(grad)
        backend.max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), (2, 2))

    # the fused optimizer updates, with and without their optional state buffers
    for dtype in FLOATS:
        def buffer(dtype=dtype):
            return tensor(dtype, (6,)).buffer

        for momentum in (0.0, 0.9):
            backend.sgd_update(buffer(), buffer(), buffer() if momentum else None, 0.1,
                               momentum, 0.0, 0.01, momentum > 0, False, True)
        for amsgrad in (False, True):
            backend.adam_update(buffer(), buffer(), buffer(), buffer(),
                                buffer() if amsgrad else None, 1e-3, 0.9, 0.999, 1e-8, 0.01,
                                1.0, amsgrad, False, True)
        backend.rmsprop_update(buffer(), buffer(), buffer(), buffer(), buffer(), 1e-2, 0.99,
                               1e-8, 0.0, 0.9, True, False)
        backend.adagrad_update(buffer(), buffer(), buffer(), 1e-2, 0.0, 1e-10, 0.0, 1.0, False)


def numba_type(value):
    """The Numba type a real kernel launch infers for `value` (a simulator device array is
    typed as the device array it stands for: 1-d, C-contiguous, writable)."""
    import numba

    array = getattr(value, "_ary", None)  # the simulator's FakeCUDAArray wraps a NumPy array
    if array is not None:
        layout = "C" if array.flags.c_contiguous else "A"
        return numba.types.Array(numba.from_dtype(array.dtype), array.ndim, layout)
    return numba.typeof(value)


def record(path: str, every_pair: bool) -> None:
    """Run `sweep` on the simulator; pickle its launches [(module, kernel name, signature)]
    and the kernels it never launched."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        raise SystemExit("record: run with NUMBA_ENABLE_CUDASIM=1 (the simulator)")
    from numba.cuda.simulator import kernel as simulator

    import kernels.cuda  # noqa: F401  (reloads numba's config: the simulator)
    from kernels.cuda.backend import CUDABackend

    # every kernel, by its name in its module (a kernel made by a factory, such as
    # elementwise.map_kernels, has a name only there)
    names = {}
    for name in KERNEL_MODULES:
        module = importlib.import_module(f"kernels.cuda.{name}")
        for attribute, value in vars(module).items():
            if isinstance(value, simulator.FakeCUDAKernel) and not value._device:
                names[id(value)] = (module.__name__, attribute)

    launches: set = set()
    launch = simulator.FakeCUDAKernel.__call__

    def noting_launch(kernel, *args):
        if not kernel._device:  # a kernel, not a device function called from one
            signature = tuple(numba_type(arg) for arg in args)
            launches.add(names[id(kernel)] + (signature,))
        return launch(kernel, *args)

    simulator.FakeCUDAKernel.__call__ = noting_launch
    try:  # (NumPy warns of the inf and nan that the simulated optimizer steps make: fine)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sweep(CUDABackend(), every_pair)
    finally:
        simulator.FakeCUDAKernel.__call__ = launch

    never = set(names.values()) - {(module, name) for module, name, _ in launches}
    with open(path, "wb") as file:
        pickle.dump({"launches": sorted(launches, key=str), "never_launched": sorted(never)},
                    file)


# ---- step 2: compile (runs with the real numba.cuda) ---------------------------------------


def pretend_current_device(cc: tuple[int, int]) -> None:
    """compile_ptx compiles a kernel for the compute capability it is given, but a device
    function called from the kernel is compiled for "the current device", which Numba asks
    the driver for; with no GPU there is none, so tell Numba the current device has `cc`."""
    from numba.cuda import dispatcher

    class Device:
        compute_capability = cc

    dispatcher.get_current_device = lambda: Device()


def find_ptxas() -> str | None:
    """ptxas from the toolkit Numba uses (CUDA_HOME or /usr/local/cuda), else from PATH."""
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home and os.path.exists(os.path.join(home, "bin", "ptxas")):
            return os.path.join(home, "bin", "ptxas")
    return shutil.which("ptxas")


def compile_share(path: str, cc: tuple[int, int], share: int, shares: int) -> tuple:
    """Compile every `shares`-th recorded launch from number `share` on. Returns (failures,
    spilling, note): failures as [(kernel name, signature, message)], spilling as {kernel
    name: count}, note a reason the PTX was not assembled, or ""."""
    from numba import cuda

    with open(path, "rb") as file:
        launches = pickle.load(file)["launches"][share::shares]
    pretend_current_device(cc)
    ptxas = find_ptxas()
    failures, spilling, note = [], Counter(), ""
    with tempfile.TemporaryDirectory() as folder:
        for module, name, signature in launches:
            function = getattr(importlib.import_module(module), name).py_func
            try:
                ptx, _ = cuda.compile_ptx(function, signature, cc=cc)
            except Exception as error:  # any compile error is a finding: report them all
                failures.append((name, signature, f"{type(error).__name__}: {error}"))
                continue
            if ptxas is None:
                continue
            ptx_file = os.path.join(folder, "kernel.ptx")
            with open(ptx_file, "w") as file:
                file.write(ptx)
            # -c: a relocatable object, as Numba links it with its helpers (float16 math)
            result = subprocess.run(
                [ptxas, "-c", f"-arch=sm_{cc[0]}{cc[1]}", "-v", "-o", os.devnull, ptx_file],
                capture_output=True, text=True, check=False)
            if "Unsupported .version" in result.stderr:  # NVVM newer than this ptxas
                found = result.stderr[result.stderr.index("Unsupported"):].splitlines()[0]
                note = f"{ptxas} is older than the NVVM that made the PTX ({found})"
                ptxas = None
            elif result.returncode != 0:
                failures.append((name, signature, "ptxas: " + result.stderr.strip()))
            elif " 0 bytes spill stores" not in result.stderr:
                spilling[name] += 1
    return failures, spilling, note


def compile_all(path: str, cc: tuple[int, int], workers: int) -> int:
    """Compile every recorded (kernel, signature) in `workers` processes; print what failed;
    return the exit status."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        raise SystemExit("compile: run without NUMBA_ENABLE_CUDASIM (the real numba.cuda)")
    from numba import cuda, float32

    def probe(x):
        x[0] = 1

    pretend_current_device(cc)
    try:  # is there a toolkit (NVVM) at all?
        cuda.compile_ptx(probe, (float32[:],), cc=cc)
    except Exception as error:  # no libnvvm, or a toolkit this numba cannot use
        print(f"no usable CUDA toolkit, nothing compiled: {type(error).__name__}: "
              f"{str(error).strip().splitlines()[0]}")
        return NO_TOOLKIT
    implementation = getattr(cuda, "implementation", "built-in")
    ptxas = find_ptxas()
    print(f"numba.cuda: {implementation}; compute capability {cc[0]}.{cc[1]}; "
          f"ptxas: {ptxas or 'not found (PTX not assembled)'}; {workers} processes",
          flush=True)

    with open(path, "rb") as file:
        recorded = pickle.load(file)
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # fresh interpreters, no forked LLVM state
    with context.Pool(workers) as pool:
        results = pool.starmap(compile_share, [(path, cc, k, workers) for k in range(workers)])
    seconds = time.perf_counter() - start
    failures = [failure for share_failures, _, _ in results for failure in share_failures]
    spilling = sum((share_spilling for _, share_spilling, _ in results), Counter())
    for note in sorted({note for _, _, note in results if note}):
        print(f"PTX not assembled: {note}")

    count = len(recorded["launches"])
    print(f"{count} (kernel, signature) pairs compiled in {seconds:.1f} s: "
          f"{count - len(failures)} ok, {len(failures)} failed")
    if spilling:
        print("registers spilled to local memory (slower, not wrong) in: "
              + ", ".join(f"{name} ({n})" for name, n in sorted(spilling.items())))
    for module, name in recorded["never_launched"]:
        failures.append((name, (), f"the sweep never launches {module}.{name}: add it"))
    for name, signature, message in failures:
        shown = "\n    ".join(message.strip().splitlines()[:12])
        print(f"FAILED {name}{tuple(str(t) for t in signature)}\n    {shown}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cc", default="9.0", help="compute capability, e.g. 8.0 or 9.0")
    parser.add_argument("--quick", action="store_true",
                        help="fewer dtype pairs (see sweep); the tests use it")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="compiling processes (default: one per CPU)")
    parser.add_argument("--record", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--compile", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cc = tuple(int(part) for part in args.cc.split("."))
    if args.record:
        record(args.record, not args.quick)
        return 0
    if args.compile:
        return compile_all(args.compile, cc, args.workers)

    # both steps, each in a fresh interpreter: numba.cuda is the simulator or the real target
    # for a whole process, chosen when it is first imported
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "launches.pkl")
        here = [sys.executable, "-m", "kernels.cuda.compile_check"]
        simulator = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
        quick = ["--quick"] if args.quick else []
        subprocess.run(here + ["--record", path] + quick, env=simulator, check=True)
        real = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
        return subprocess.run(here + ["--compile", path, "--cc", args.cc,
                                      "--workers", str(args.workers)],
                              env=real, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
