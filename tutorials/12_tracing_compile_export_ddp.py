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
# # 12 — Tracing, compile, ONNX export and data-parallel training
#
# Everything so far ran **eagerly**: each line of Python runs its kernel at once, and the
# graph exists only for `backward`. This lesson is about what becomes possible once a run is
# *written down*, and about running one model in several processes:
#
# 1. **tracing** (`tinygrad_edu.tracing.record`): run a model once and keep the list of ops
#    it made, the idea of `torch.jit.trace`; replay that list on a new input by hand;
# 2. **compile** (`tinygrad_edu.compile`, PyTorch's `torch.compile`): a trace whose
#    elementwise ops are fused into generated kernels you can read;
# 3. **ONNX export** (`tinygrad_edu.onnx.export`): a trace translated into a file that
#    another runtime (onnxruntime) runs without this library;
# 4. **data-parallel training** (`tinygrad_edu.distributed`, `DistributedDataParallel`):
#    processes that each take part of every batch and average their gradients with a ring
#    all-reduce.
#
# The first three are one idea three times: record, then do something with the record.

# %%
import io
import os
import pickle
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import warnings
from datetime import timedelta
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.distributed as dist
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
from tinygrad_edu import dispatch, tracing
from tinygrad_edu.distributed.collectives import ring_all_reduce
from tinygrad_edu.distributed.process_group import ProcessGroup
from tinygrad_edu.distributed.transport import Channel, Mesh

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
ROOT = HERE.parent
np.set_printoptions(precision=4, suppress=True)
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# ## 1. Tracing: write down what a run computes
#
# Every computation on tensors goes through one of two doors into the kernels: a
# **primitive** (`Function.apply`: `Linear`, `Mul`, `Softmax`, ...) or a `dispatch` helper
# (comparisons, `argmax`: ops without a gradient). Inside `with tracing.record(x) as trace:`
# both doors write each call down as a `Node`: its kind, its target, its arguments and its
# output. `trace.source(t)` says where an argument comes from: the traced input, the output
# of an earlier node, or a **constant** (a parameter, a buffer), kept by reference.

# %%
torch.manual_seed(0)
mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
x = torch.randn(2, 4)  # (B, 4): the example input
with tracing.record(x) as trace:
    probabilities = mlp(x).softmax(dim=-1)  # (B, 3)
    trace.set_outputs(probabilities)

parameter_names = {id(p): name for name, p in mlp.named_parameters()}


def where_from(arg):
    """One argument of a node, as a learner wants to read it."""
    if not isinstance(arg, torch.Tensor):
        return repr(arg)
    place = trace.source(arg)
    if place[0] == "input":
        return f"input {place[1]}"
    if place[0] == "node":
        return f"node {place[1]}"
    return f"constant {parameter_names.get(id(arg), list(arg.shape))}"


for number, node in enumerate(trace.nodes):
    arguments = ", ".join(where_from(a) for a in node.args)
    print(f"node {number}: {node.kind:8s} {node.name():8s} ({arguments}) {node.options}")
print("output comes from:", trace.source(probabilities)[:2], "| problems:", trace.problems)

# %% [markdown]
# Five layers and a softmax, but only five nodes: `nn.Sequential` runs a `Linear` followed by
# a `ReLU` as *one* primitive (`relu=True`: the ReLU is applied in the same kernel, which is
# one of the things that make training fast here). The `Tanh` stayed its own node.
#
# A trace is a program. Replaying it takes a dozen lines: walk the nodes in order, look up
# each tensor argument (the new input, an earlier node's result, or the constant itself),
# and call the target again (`tests/test_tracing.py` has the same `replay`). The Python code
# of `mlp.forward` does not run at all.


# %%
def replay(trace, *inputs):
    """Run a trace again on new inputs: the simplest consumer of a trace."""
    values = []  # values[k]: what node k produced this time

    def resolve(arg):
        if not isinstance(arg, torch.Tensor):
            return arg  # an option such as dim=1: kept as it was
        place = trace.source(arg)
        if place[0] == "input":
            return inputs[place[1]]
        if place[0] == "node":
            produced = values[place[1]]
            return produced[place[2]] if isinstance(produced, tuple) else produced
        return place[1]  # a constant: the very same tensor (read now, not copied then)

    for node in trace.nodes:
        args = tuple(resolve(a) for a in node.args)
        if node.kind == "function":
            values.append(node.target.apply(*args, **node.options))
        else:
            values.append(getattr(dispatch, node.target)(*args, **node.options))
    return [resolve(out) for out in trace.outputs]


fresh = torch.randn(3, 4)  # a new input, even a new batch size (nothing here depends on it)
(replayed,) = replay(trace, fresh)
print("replay == eager on a new input:", torch.allclose(replayed, mlp(fresh).softmax(dim=-1)))
with torch.no_grad():
    mlp[0].weight.mul_(0.5)  # what an optimizer step does: change a parameter in place
(replayed,) = replay(trace, fresh)
print("after an in-place weight update:", torch.allclose(replayed, mlp(fresh).softmax(dim=-1)),
      "(constants are read by reference)")

# %% [markdown]
# ### What a trace refuses
#
# A trace is the path *this one run* took. Two things cannot be written as a fixed list of
# ops, and the recorder says so in `trace.problems` instead of returning a wrong program:
#
# - a **random draw** (dropout while training): a replay would reuse this run's mask;
# - a **value read back to Python** (`if x.sum() > 0:`, `.item()`): the branch is decided
#   while tracing and frozen; another input might take the other branch.
#
# `torch.jit.trace` has the same limits; it *warns* (`TracerWarning: Converting a tensor to a
# Python boolean might cause the trace to be incorrect`) and keeps the frozen path. An `if` on
# a *shape* is not flagged: a trace is made for the shapes it saw. `compile` (next section)
# traces again for every new input shape, so there it is safe; our bare `replay` would
# keep the branch of the traced shape for any batch size.


# %%
def with_dropout(x):
    return F.dropout(x, 0.5, training=True)


def with_branch(x):
    return x * 2 if x.sum() > 0 else -x


def with_shape_branch(x):
    return x * 2 if x.shape[0] > 1 else -x  # a shape: fixed for this trace, fine


for function in (with_dropout, with_branch, with_shape_branch):
    with tracing.record(x) as run:
        function(x)
    print(f"{function.__name__:18s} nodes {[n.name() for n in run.nodes]}")
    print(f"{'':18s} problems {run.problems}")
with tracing.record(x) as problem_trace:
    with_branch(x)
try:
    problem_trace.check()  # compile and export read the same problems before trusting it
except tracing.TraceError as error:
    print("trace.check() raises", type(error).__name__, "-", error)

# %% [markdown]
# ## 2. Compile: fuse the elementwise ops of a trace
#
# `tinygrad_edu.compile(model)` returns a wrapper module. Its first call for a new kind of
# input (shapes, dtypes, grad mode, `training` flags: the **guard key**) runs the model
# eagerly under `tracing.record`; it then partitions the trace: runs of elementwise ops whose
# intermediates are used nowhere else become **one generated Numba kernel** each (with a
# backward kernel derived by reverse mode), and everything else (`Linear`, `Sum`, ...) is
# replayed as itself. Later calls with the same key replay that program.
#
# A GELU with the tanh approximation, $\frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x +
# 0.044715 x^3)\right)\right)$, is nine elementwise ops; a LayerNorm is a mean, a variance
# and a handful more. Eagerly each op is one kernel that reads its inputs from memory and
# writes a full-size result back.

# %%
torch.manual_seed(0)
B, D, H = (32, 64, 256) if FAST else (128, 256, 1024)  # batch, width, hidden width
model = nn.Sequential(nn.Linear(D, H), nn.GELU(approximate="tanh"), nn.LayerNorm(H),
                      nn.Linear(H, D))
compiled = torch.compile(model)  # shares model's parameters; nothing is traced yet
x = torch.randn(B, D)

start = time.perf_counter()
compiled(x)  # first call: runs eagerly under tracing.record, then partitions the trace
traced_s = time.perf_counter() - start
start = time.perf_counter()
loss_compiled = compiled(x).square().mean()  # second call: replays the program
loss_compiled.backward()
first_replay_s = time.perf_counter() - start  # Numba compiles each new kernel at first run
grads_compiled = [p.grad.numpy().copy() for p in model.parameters()]

model.zero_grad()
loss_eager = model(x).square().mean()
loss_eager.backward()
grads_eager = [p.grad.numpy().copy() for p in model.parameters()]
print(f"call 1 (trace): {traced_s:.2f} s | call 2 (first replay, forward + backward, Numba "
      f"compiles the fused kernels): {first_replay_s:.2f} s")
print(f"loss eager {loss_eager.item():.6f} | compiled {loss_compiled.item():.6f}")
print("largest gradient difference:",
      f"{max(np.abs(a - b).max() for a, b in zip(grads_eager, grads_compiled)):.1e}")

# %% [markdown]
# The first call's result *is* an eager result (it ran eagerly while being traced), so the
# comparison that matters is the one above, on the second call: the first replay, through
# the generated kernels. The backward graph shows the fusion too: where eager has one node
# per op, each fused group is one `CompiledFunctionBackward` node.


# %%
def backward_nodes(tensor):
    """The names of the grad_fn nodes behind a tensor, from the output back."""
    names, todo, seen = [], [tensor.grad_fn], set()
    while todo:
        node = todo.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(node.name())
        todo += [child for child, _ in node.next_functions]
    return [name for name in names if "AccumulateGrad" not in name]


eager_nodes, compiled_nodes = backward_nodes(model(x)), backward_nodes(compiled(x))
print(f"eager backward graph: {len(eager_nodes)} nodes; compiled: {len(compiled_nodes)}:",
      compiled_nodes)

# %% [markdown]
# `explain()` shows what was compiled: each step of the program (`fused` groups and plain
# `op`s), then the Python source of every generated kernel. Here is the summary and the GELU
# group's forward kernel: one loop over the elements, nine operations on registers, one
# store of the output and one of the `tanh` (kept for backward).

# %%
explanation = compiled.explain()
lines = explanation.splitlines()
cut = next(i for i, line in enumerate(lines) if line.startswith("--- group 0, backward"))
print("\n".join(lines[:cut]))
print(f"... and {len(lines) - cut} more lines: the backward kernel of group 0 and the two "
      "LayerNorm groups (print(compiled.explain()) shows all)")

# %% [markdown]
# ### Timing: eager against compiled
#
# A forward and backward step, the median of a few runs (the first two calls already paid
# for tracing and compilation); the two take turns run by run, so a change in the machine's
# load hits both alike, and both run on one thread (`set_num_threads(1)`: on a machine busy
# with other work, threads that wait for a core cost more than they bring). Why fusion
# helps: eagerly, each of the GELU's nine ops writes a (B, H) float32 array and the next op
# reads it back, so the group moves about 9 writes and 12 reads of that array through
# memory; the fused kernel reads its input once and writes two arrays. Memory traffic, not
# arithmetic, is what such ops cost. The two `Linear`s (matrix products, where the
# arithmetic is) are the same in both.


# %%
def train_step(module):
    module.zero_grad()
    module(x).square().mean().backward()


def median_seconds(steps, repeats):
    """{name: median seconds} of steps that take turns: a, b, a, b, ..."""
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


repeats = 5 if FAST else 20
threads = torch.get_num_threads()
torch.set_num_threads(1)
medians = median_seconds({"eager": lambda: train_step(model),
                          "compiled": lambda: train_step(compiled)}, repeats)
torch.set_num_threads(threads)
eager_s, compiled_s = medians["eager"], medians["compiled"]
array_mib = B * H * 4 / 2**20
print(f"(B, H) = ({B}, {H}): one float32 array is {array_mib:.2f} MiB; the GELU moves ~"
      f"{21 * array_mib:.1f} MiB eagerly and ~{3 * array_mib:.2f} MiB fused")
print(f"forward + backward, median of {repeats}: eager {eager_s * 1e3:.2f} ms, compiled "
      f"{compiled_s * 1e3:.2f} ms, speed-up {eager_s / compiled_s:.2f}x")

fig, ax = plt.subplots(figsize=(4.2, 2.4))
ax.barh(["eager", "compiled"], [eager_s * 1e3, compiled_s * 1e3], color=["#999", "#3a7"])
ax.set_xlabel("ms per forward + backward (median)")
ax.set_title(f"GELU-tanh + LayerNorm MLP, batch {B}, hidden {H}", fontsize=9)
fig.tight_layout()
fig.savefig(OUT / "12_compile_timing.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "12_compile_timing.png")

# %% [markdown]
# On a small, busy machine the numbers are noisy. The two matrix products cost the same in
# both runs, so fusion can save at most the share of the step that the elementwise ops took;
# and a `tanh` still costs one libm call per element, fused or not. `benchmarks/compile.py`
# measures more cases, and a 15-op chain on 1M values that fuses into one kernel is ~10x
# faster (README, Compile).
#
# What compile does with a trace it cannot replay: it runs that guard key eagerly after one
# warning (a **graph break**), or raises with `fullgraph=True`.

# %%
compiled_dropout = torch.compile(with_dropout)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    compiled_dropout(x)
print("warning:", str(caught[0].message)[:110], "...")
try:
    torch.compile(with_dropout, fullgraph=True)(x)
except torch.compiler.CompileError as error:
    print("fullgraph=True:", type(error).__name__)

# %% [markdown]
# ## 3. ONNX export: the trace as a file for another runtime
#
# `tinygrad_edu.onnx.export` has the signature of `torch.onnx.export`. It records one run,
# translates each node into ONNX ops (Convolution -> Conv, Linear -> Gemm, View ->
# Reshape, ...), stores parameters as initializers (with constant folding, BatchNorm's
# running statistics become three stored vectors), and writes the protobuf bytes with an
# encoder of its own, so exporting needs no dependency. `dynamic_axes` makes the batch size
# symbolic. Export in eval mode, as with PyTorch.

# %%
torch.manual_seed(0)
cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.25), nn.Linear(4 * 4 * 4, 10))
cnn.eval()  # Dropout off, BatchNorm uses its running statistics
example = torch.randn(2, 1, 8, 8)  # (B, C, H, W)
onnx_path = OUT / "12_cnn.onnx"
torch.onnx.export(cnn, example, onnx_path, input_names=["image"], output_names=["logits"],
                  dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                  verbose=True)  # verbose: the library's own listing of the graph
print(f"wrote {onnx_path} ({onnx_path.stat().st_size} bytes)")

# %% [markdown]
# Now read the file back with the `onnx` package and run it in onnxruntime, on a batch of a
# different size. (Both are optional: `pip install onnx onnxruntime`.)

# %%
try:
    import onnx
    import onnxruntime
except ImportError:
    onnx = onnxruntime = None
    print("onnx / onnxruntime are not installed: the file is written, but not checked here")

if onnx is not None:
    graph = onnx.load(str(onnx_path)).graph
    print("op types:", [node.op_type for node in graph.node])
    for value in list(graph.input) + list(graph.output):
        dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
        print(f"  {value.name}: {dims}")
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    batch = torch.randn(5, 1, 8, 8)  # batch 5: the dynamic axis at work
    (from_onnxruntime,) = session.run(None, {"image": batch.numpy()})
    with torch.no_grad():
        from_library = cnn(batch).numpy()
    print(f"onnxruntime vs tinygrad_edu on a batch of 5: shape {from_onnxruntime.shape}, "
          f"max difference {np.abs(from_onnxruntime - from_library).max():.1e}")

# %% [markdown]
# The `Sub`, `Mul`, `Add` after `Conv` are BatchNorm in eval mode: $(x - \mu) \cdot
# \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}} + \beta$ with the scale folded into one stored
# vector. Dropout left no node at all: in eval mode it is the identity.
#
# In training mode the run draws dropout's random mask and updates BatchNorm's running
# statistics in place. PyTorch's tracer would warn and write a graph of that one run; here
# export raises `ExportError` naming both problems.

# %%
cnn.train()
try:
    torch.onnx.export(cnn, example, io.BytesIO())
except torch.onnx.ExportError as error:
    print("ExportError:", error)
cnn.eval()

# %% [markdown]
# ## 4. Data-parallel training: one model, several processes
#
# With $W$ processes (**ranks**), each holds a copy of the model and takes $1/W$ of every
# batch. After `backward`, the ranks **average their gradients**, so every copy takes the
# same step and the copies stay identical without ever sending weights again:
#
# ```
# rank 0: batch[0::2] -> forward -> backward -> g0 --+
#                                                    +-- all_reduce(avg) --> (g0 + g1) / 2
# rank 1: batch[1::2] -> forward -> backward -> g1 --+                        on both ranks
# ```
#
# Why this is exact: with a mean loss and equal shares, the whole-batch gradient is the
# average of the shard gradients. We check that in one process first:

# %%
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
inputs, labels = torch.randn(12, 8), torch.randint(0, 3, (12,))
F.cross_entropy(net(inputs), labels).backward()
whole = [p.grad.numpy().copy() for p in net.parameters()]
shard_grads = []
for rank in range(2):
    net.zero_grad()
    F.cross_entropy(net(inputs[rank::2]), labels[rank::2]).backward()
    shard_grads.append([p.grad.numpy().copy() for p in net.parameters()])
average = [(a + b) / 2 for a, b in zip(*shard_grads)]
print("whole-batch gradient == average of the 2 shard gradients:",
      all(np.allclose(w, a, atol=1e-6) for w, a in zip(whole, average)))

# %% [markdown]
# ### The ring all-reduce
#
# How do $W$ ranks average? Sending everything to rank 0 makes rank 0 the bottleneck (it
# receives and sends $W - 1$ whole tensors). The **ring** (what gloo and NCCL use for large
# tensors) cuts the tensor into $W$ chunks and puts the ranks on a ring, each sending to its
# right neighbour. For $W = 3$, chunks a, b, c (a digit is the rank whose values a chunk
# holds):
#
# ```
#                    rank 0        rank 1        rank 2
# start              a0 b0 c0      a1 b1 c1      a2 b2 c2
# reduce-scatter 1   .  .  c02     a01 .  .      .  b12 .       each sends one chunk right,
# reduce-scatter 2   .  b012 .     .  .  c012    a012 .  .      adds the one from the left
# all-gather 1, 2    every rank copies the finished chunks around the ring: a012 b012 c012
# ```
#
# After $W - 1$ steps each rank holds one chunk summed over all ranks; $W - 1$ more steps
# copy the finished chunks round. Every rank sends $2 (W - 1) / W$ of the tensor in all,
# however many ranks there are. Below, ranks are **threads** of this process, each with its
# own `ProcessGroup` over real loopback TCP sockets (as `tests/test_distributed.py` does),
# and a channel that counts the bytes it sends. Each thread calls `ring_all_reduce`, the
# ring that `dist.all_reduce(t)` runs (`dist.all_reduce` itself only takes its process's
# one default group, made by `init_process_group`).

# %%
class CountingChannel(Channel):
    """A socket to one peer that counts the payload bytes sent through it."""

    sent = 0

    def send(self, data):
        self.sent += len(data)
        super().send(data)


def thread_groups(world):
    """`world` process groups in this process, every pair joined by a loopback socket."""
    channels = [{} for _ in range(world)]
    for i in range(world):
        for j in range(i + 1, world):
            with socket.create_server(("127.0.0.1", 0)) as server:
                client = socket.create_connection(server.getsockname())
                accepted, _ = server.accept()
            channels[i][j] = CountingChannel(client, j, 10.0)
            channels[j][i] = CountingChannel(accepted, i, 10.0)
    return [ProcessGroup(r, world, Mesh(r, world, channels[r]), timedelta(seconds=30))
            for r in range(world)]


n_values = 10_000 if FAST else 1_000_000
for world in (2, 3, 4):
    groups = thread_groups(world)
    tensors = [torch.full((n_values,), float(rank + 1)) for rank in range(world)]
    # dist.all_reduce(t) runs ring_all_reduce on t's memory over the default group; the
    # threads call it directly, each on its own group
    threads = [threading.Thread(target=ring_all_reduce,
                                args=(groups[r], tensors[r].numpy(), dist.ReduceOp.SUM))
               for r in range(world)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    sent = [sum(c.sent for c in g.mesh.channels.values()) for g in groups]
    for group in groups:
        group.mesh.close()
    expected = world * (world + 1) / 2  # 1 + 2 + ... + W on every element
    correct = all(bool((t == expected).all()) for t in tensors)
    print(f"W = {world}: every rank holds {expected:g} everywhere: {correct}; each rank sent "
          f"{sent[0] / (4 * n_values):.3f} of the tensor (2 (W-1)/W = "
          f"{2 * (world - 1) / world:.3f}), {seconds * 1e3:.1f} ms")

# %% [markdown]
# ### Real processes: `examples/train_ddp.py`
#
# In a real job every rank is its own process, started by
# `tinygrad_edu.multiprocessing.spawn(worker, args=..., nprocs=W)`. Each rank joins the
# group (`dist.init_process_group("gloo")`, meeting at `MASTER_ADDR:MASTER_PORT`), wraps its
# model in `nn.parallel.DistributedDataParallel` (which copies rank 0's weights to everyone
# and averages every `.grad` in `backward`), and reads its share of the data through a
# `DistributedSampler`. We run the example as a script, with 2 processes and then with 1
# (the same global batch of 64, so the same number of steps), and read what it prints.

# %%
epochs = 2 if FAST else 10


def run_example(nprocs):
    command = [sys.executable, str(ROOT / "examples" / "train_ddp.py"), "--nprocs",
               str(nprocs), "--epochs", str(epochs)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"train_ddp.py failed:\n{result.stderr[-2000:]}")
    return result.stdout, wall


def losses(stdout):
    """{(rank, epoch): loss} from the lines each rank prints (the two processes share one
    pipe, so their lines may come interleaved)."""
    found = re.findall(r"rank (\d+) epoch +(\d+): loss on its \d+ samples ([0-9.]+)", stdout)
    return {(int(rank), int(epoch)): float(loss) for rank, epoch, loss in found}


def summary(stdout):
    return next(line for line in stdout.splitlines() if "weights identical" in line)


def training_seconds(stdout):
    return float(re.search(r"epochs in ([0-9.]+) s", stdout).group(1))


two_ranks, wall_two = run_example(2)
one_rank, wall_one = run_example(1)
two, one = losses(two_ranks), losses(one_rank)
print("epoch | loss on rank 0's half | rank 1's half | 1 process, whole batches")
for epoch in range(1, epochs + 1):
    print(f"{epoch:5d} | {two[0, epoch]:21.4f} | {two[1, epoch]:13.4f} | {one[0, epoch]:.4f}")
print(summary(two_ranks))
print(summary(one_rank))
print(f"training time: 2 ranks {training_seconds(two_ranks):.1f} s, 1 rank "
      f"{training_seconds(one_rank):.1f} s | the whole run, start-up included: "
      f"{wall_two:.1f} s and {wall_one:.1f} s")

# %% [markdown]
# Both ranks end with the very same weights (the example compares checksums of every
# parameter with `all_gather_object`), although each saw only its half of every batch: the
# averaged gradient made every step the same on both. Each rank's loss is on its own half.
# One process takes the same steps on the same global batches (the `DistributedSampler`
# deals the same shuffle out as `perm[rank::W]`), except for two details: the two ranks draw
# different dropout masks (the MLP has `Dropout(0.1)`), and the sampler pads the 1,437
# training images to 1,438 so that both ranks get 719. So the losses and the accuracy are
# close to one process's, not equal.
#
# Faster? Not here. This MLP's step takes well under a millisecond of arithmetic, so the
# costs of going parallel dominate: each step now waits for an all-reduce over sockets, the
# two processes share two cores with everything else on this machine, and every process
# pays its own start-up (a fresh interpreter importing the library). Data parallelism pays
# when a step's compute is large next to its communication: big models, big batches, one
# GPU per rank. PyTorch also overlaps the all-reduce of one bucket of gradients with the
# backward of earlier layers; here each all-reduce runs to its end inside backward.
#
# ### Why `spawn` needs an importable function
#
# `spawn` starts **fresh** Python interpreters (the safe way with threads and Numba). A child
# gets the function to run as a pickle, and a function pickles **by name**: the module it
# lives in and its name, not its code. The child then imports that module to find it. So the
# function must sit at the top level of an importable file (`examples/train_ddp.py`), and a
# script that calls `spawn` needs `if __name__ == "__main__":`, or each child, importing the
# script, would spawn again. A function defined in a notebook lives in the kernel's
# `__main__`, which a child cannot import; a lambda has no name to look up at all:

# %%
print("os.path.join pickles as a reference:", pickle.dumps(os.path.join)[:40], "...")
try:
    pickle.dumps(lambda rank: rank)
except (pickle.PicklingError, AttributeError) as error:
    print("a lambda cannot be pickled:", type(error).__name__, "-", error)

# %% [markdown]
# ## Exercises
#
# 1. Trace `F.layer_norm(x, (4,))` and print its nodes. Which primitives make a LayerNorm?
#    Compare with the fused groups of section 2's `explain()`.
# 2. Write `count_ops(trace)` that counts the nodes by name, and use it on a trace of the
#    CNN of section 3 in eval mode and in training mode. What changes?
# 3. Extend `replay` so that it refuses a trace with problems (call `trace.check()`), and
#    try it on `with_branch`. What would a silent replay of `with_branch` compute for
#    `-x` as input?
# 4. Compile a function of your own with a long chain of elementwise ops on a 1M-element
#    tensor (`(x * 1.5 + 2).relu() * x - x.square()`, ...). How does the speed-up grow
#    with the number of ops? Read its `explain()`.
# 5. Export the CNN with `do_constant_folding=False` and compare the op types: where does
#    BatchNorm's arithmetic go?
# 6. In section 4, all-reduce with `op=dist.ReduceOp.AVG` and `MAX`. Then time the ring for
#    `W = 2` at sizes 1k, 100k and 10M values and compute the bandwidth: where does the
#    fixed cost per step stop mattering?
# 7. Run `examples/train_ddp.py --nprocs 3`. 64 is not divisible by 3: what does each rank
#    get, and are the results still identical on all ranks?
