"""The fused group as one autograd node: `Fused.apply(*inputs, group=group)`.

A `FusedGroup` holds the group's `KernelSpec` (kernels/fusion.py) and runs its generated
kernels on tensors: it lays the operands out as NumPy views broadcast to the loop's shape,
calls the forward kernel, and, in backward, the gradient kernel. `Fused` is the Function
that autograd sees: one node for the whole group, PyTorch's `CompiledFunctionBackward`.

What forward saves: the group's inputs that the backward kernel reads, plus the results of
its expensive ops (tanh, exp, ...) at the loop's full shape, which the forward kernel writes
out as extra arrays. Cheap intermediates (adds, multiplies) are recomputed by the backward
kernel instead of being stored and read back. That is the trade PyTorch's compiler makes
("rematerialisation" in its min-cut partitioner).

Gradients of broadcast inputs (a bias row, LayerNorm's per-row statistics) are summed by
the backward kernel itself, into a zeroed tensor of the input's shape; eager backward writes
a full-shape gradient and then reduces it (`unbroadcast`).
"""

from typing import Any

import numpy as np

from kernels import fusion
from kernels.strided import numel
from tinygrad_edu import dispatch, dtypes
from tinygrad_edu.autograd import Function, once_differentiable

# Above this many elements a forward kernel's outer loop is split across threads (numba
# prange). As for the eager kernels (kernels/cpu/elementwise.py) that pays only for very
# large arrays on these shared 2-core machines: a 15-op chain on 1M float32 took 0.2 ms
# serial and 12 ms parallel on a loaded machine (threads waiting for a core). A parallel
# kernel also compiles ~2x slower. Backward kernels are always serial.
PARALLEL_THRESHOLD = 1 << 23


def dtype_name(tensor: Any) -> str:
    """'float32', 'int64', 'bool', ...: the NumPy name of a tensor's dtype."""
    return np.dtype(tensor.dtype.numpy).name


def _broadcast_strides(shape: tuple, strides: tuple, loop_shape: tuple) -> list:
    """Strides that read a tensor of `shape` at every index of `loop_shape` (0 = repeat)."""
    lead = len(loop_shape) - len(shape)
    result = [0] * lead
    for size, stride, loop_size in zip(shape, strides, loop_shape[lead:]):
        result.append(0 if size == 1 and loop_size != 1 else stride)
    return result


def layout(loop_shape: tuple, tensors: list) -> tuple:
    """(loop sizes, arrays, levels): each tensor as a NumPy view over the loop's index space.

    Dims of size 1 are dropped, and neighbouring dims are merged where every operand's
    memory allows it (stride[d] == stride[d+1] * size[d+1]): a contiguous group becomes one
    flat loop, a bias added to every row stays two. levels[i]: 1 + the innermost dim that
    operand i moves along, the loop level where the kernel reads it (kernels/fusion.py);
    level 0 (it moves along none: a scalar) is passed as a one-element array."""
    all_strides = [_broadcast_strides(t._shape, t._strides, loop_shape) for t in tensors]
    dims = [(size, [s[d] for s in all_strides]) for d, size in enumerate(loop_shape)
            if size != 1]
    merged: list = []
    for size, strides in dims:
        if merged and all(outer == inner * size
                          for outer, inner in zip(merged[-1][1], strides)):
            merged[-1] = (merged[-1][0] * size, strides)
        else:
            merged.append((size, strides))
    if not merged:
        merged = [(1, [1] * len(tensors))]
    shape = tuple(size for size, _ in merged)
    arrays, levels = [], []
    for number, tensor in enumerate(tensors):
        buffer = tensor._storage.buffer
        start = tensor._offset
        strides = [dim_strides[number] for _, dim_strides in merged]
        level = max((d + 1 for d, stride in enumerate(strides) if stride), default=0)
        levels.append(level)
        if level == 0:
            arrays.append(buffer[start:start + 1])
        elif len(shape) == 1 and strides[0] == 1:
            arrays.append(buffer[start:start + shape[0]])  # the common case: a plain slice
        else:
            item = buffer.itemsize
            byte_strides = tuple(s * item for s in strides)
            if buffer.flags.c_contiguous:  # np.ndarray over the same memory: as as_strided,
                arrays.append(np.ndarray(shape, buffer.dtype, buffer, start * item,
                                         byte_strides))  # but several times faster
            else:
                arrays.append(np.lib.stride_tricks.as_strided(buffer[start:], shape,
                                                              byte_strides))
    return shape, arrays, tuple(levels)


class FusedGroup:
    """A group's kernel spec and its compiled kernels, per layout (cached)."""

    def __init__(self, spec: fusion.KernelSpec, loop_shape: tuple) -> None:
        self.spec = spec
        self.loop_shape = loop_shape
        self._plans: dict = {}  # needs pattern -> BackwardPlan
        self._kernels: dict = {}  # (which, needs, layout) -> compiled kernel
        self.sources: dict = {}  # "forward" / "backward": the last generated source text

    def plan(self, needs: tuple) -> fusion.BackwardPlan:
        plan = self._plans.get(needs)
        if plan is None:
            plan = self._plans[needs] = fusion.plan_backward(self.spec, needs)
        return plan

    def forward(self, inputs: tuple, needs: tuple) -> tuple:
        """(outputs, saved): the group's results, and the expensive intermediates that the
        backward kernel for `needs` reads instead of recomputing (none without a grad)."""
        spec, shape = self.spec, self.loop_shape
        keep = self.plan(needs).saved if any(needs) else ()
        outputs = [dispatch.new_tensor(inputs[0], shape, _dtype_of(spec, k))
                   for k in spec.outputs]
        saved = [dispatch.new_tensor(inputs[0], shape, _dtype_of(spec, k)) for k in keep]
        if numel(shape):
            sizes, arrays, levels = layout(shape, outputs + saved + list(inputs))
            ndim = len(sizes)
            parallel = numel(shape) >= PARALLEL_THRESHOLD
            key = ("forward", ndim, levels, parallel, keep)
            kernel = self._kernels.get(key)
            if kernel is None:  # generate the text once per layout; compile once per text
                source = fusion.forward_source(spec, ndim, levels[len(outputs) + len(saved):],
                                               parallel, keep)
                self.sources["forward"] = source
                kernel = self._kernels[key] = fusion.compile_source(source, parallel)
            kernel(*arrays)
        return outputs, saved

    def backward(self, needs: tuple, reads: tuple, saved: tuple, inputs: tuple,
                 grads: tuple) -> list:
        """Input gradients (None where not needed), each summed back to its input's shape.

        reads: the inputs the kernel reads (plan.reads), saved: what forward kept for it,
        inputs: (shape, dtype) of every input, grads: one per output (None: not used)."""
        plan = self.plan(needs)
        shape = self.loop_shape
        result: list = [None] * len(inputs)
        if not plan.grads_for:
            return result
        like = next(t for t in grads if t is not None)
        # a full-shape gradient is stored; a broadcast input's is summed into zeros
        grad_ins = [dispatch.new_tensor(like, shape, inputs[i][1]) if inputs[i][0] == shape
                    else dispatch.full_like(like, inputs[i][0], 0, inputs[i][1])
                    for i in plan.grads_for]
        if numel(shape):
            grads = tuple(g if g is not None else _zero(like, self.spec, k)
                          for g, k in zip(grads, self.spec.outputs))
            operands = grad_ins + list(reads) + list(saved) + list(grads)
            sizes, arrays, levels = layout(shape, operands)
            ndim = len(sizes)
            first = len(grad_ins)
            summed = tuple(inputs[i][0] != shape for i in plan.grads_for)
            key = ("backward", needs, ndim, levels, summed)
            kernel = self._kernels.get(key)
            if kernel is None:
                last = first + len(reads)
                source = fusion.backward_source(self.spec, plan, ndim, levels[first:last],
                                                levels[last + len(saved):], summed,
                                                levels[:first])
                self.sources["backward"] = source
                kernel = self._kernels[key] = fusion.compile_source(source)
            kernel(*arrays, *sizes)
        for i, grad in zip(plan.grads_for, grad_ins):
            result[i] = grad
        return result


def _dtype_of(spec: fusion.KernelSpec, k: int) -> Any:
    """The tinygrad_edu dtype of op k's result (from its NumPy name)."""
    return dtypes.from_numpy_dtype(np.dtype(spec.nodes[k].dtype))


def _zero(like: Any, spec: fusion.KernelSpec, k: int) -> Any:
    """A one-element 0 standing for an output's missing gradient (it did not reach the loss)."""
    return dispatch.full_like(like, (), 0, _dtype_of(spec, k))


class Fused(Function):
    """A group of elementwise primitives run as one generated kernel; one graph node."""

    label = "CompiledFunctionBackward"  # PyTorch's name for a compiled graph's node

    @staticmethod
    def forward(ctx: Function, *inputs: Any, group: FusedGroup) -> Any:
        needs = tuple(bool(ctx.needs_input_grad[i]) for i in range(len(inputs)))
        outputs, saved = group.forward(inputs, needs)
        if any(needs):
            plan = group.plan(needs)
            ctx.group, ctx.needs = group, needs
            ctx.inputs = tuple((t._shape, t.dtype) for t in inputs)
            ctx.counts = (len(plan.reads), len(saved))
            ctx.save_for_backward(*(inputs[i] for i in plan.reads), *saved)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    @staticmethod
    @once_differentiable  # its backward runs kernels (or a recomputed graph) only
    def backward(ctx: Function, *grads: Any) -> Any:
        count = len(ctx.group.spec.outputs)
        grads = tuple(grads) + (None,) * (count - len(grads))  # autograd may send fewer
        kept = ctx.saved_tensors
        reads, saved = kept[:ctx.counts[0]], kept[ctx.counts[0]:]
        return tuple(ctx.group.backward(ctx.needs, reads, saved, ctx.inputs, grads))
