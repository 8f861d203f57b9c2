"""tinygrad_edu.autograd.functional (PyTorch: torch.autograd.functional): derivatives of a
whole function at a point, not of a graph already built.

    vjp(f, x, v)    -> (f(x), v^T J)     one backward pass
    jacobian(f, x)  -> J, J[i, j] = d f(x)_i / d x_j

`jacobian` runs one backward pass per element of the output: row i of J is the vjp with
the one-hot vector e_i. (PyTorch does the same by default; with vectorize=True it batches the
passes with vmap, which this library does not have, so here vectorize only changes nothing.)

Each call runs `f` once on detached copies of the inputs that require grad, so the caller's
graph and `.grad` are left alone; the results do not require grad (create_graph=False).
`hessian`, `jvp`, `hvp` and `vhp` are derivatives of derivatives (a jvp is computed as the
vjp of a vjp): they need create_graph=True, which tinygrad_edu does not support, and say so.
"""

import sys
from collections.abc import Callable
from typing import Any

from tinygrad_edu import autograd
from tinygrad_edu.autograd import enable_grad
from tinygrad_edu.creation import zeros
from tinygrad_edu.movement import stack
from tinygrad_edu.tensor import Tensor

__all__ = ["vjp", "jacobian", "hessian", "jvp", "hvp", "vhp"]


def _as_tuple(value: Any, argument: str, function: str) -> tuple:
    """(tuple of tensors, whether `value` was a tuple), with PyTorch's type check."""
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for item in values:
        if not isinstance(item, Tensor):
            if is_tuple:
                raise TypeError(f"The {argument} given to {function} must be either a Tensor "
                                f"or a tuple of Tensors but the value at index "
                                f"{values.index(item)} has type {type(item)}.")
            raise TypeError(f"The {argument} given to {function} must be either a Tensor or a "
                            f"tuple of Tensors but the given {argument} has type "
                            f"{type(item)}.")
    return values, is_tuple


def _run(func: Callable, inputs: Any, function: str) -> tuple:
    """(inputs as detached leaves that require grad, outputs tuple, the two is_tuple flags)."""
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", function)
    leaves = tuple(t.detach().requires_grad_(True) for t in inputs)
    with enable_grad():
        outputs = func(*leaves)
    outputs, outputs_tuple = _as_tuple(outputs, "outputs of the user-provided function",
                                       function)
    return leaves, outputs, inputs_tuple, outputs_tuple


def _gradients(outputs: tuple, leaves: tuple, seeds: tuple) -> list:
    """d(sum_k seeds_k . outputs_k)/d leaves; None where an input is not used."""
    roots = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
    if not roots:
        return [None] * len(leaves)
    return list(autograd.grad([o for o, _ in roots], list(leaves), [s for _, s in roots],
                              retain_graph=True, allow_unused=True))


def _refuse_create_graph(create_graph: bool) -> None:
    """autograd.grad's own error for create_graph=True, before any work is done."""
    if create_graph:
        autograd.grad((), (), create_graph=True)


def _zeros_like(tensor: Tensor) -> Tensor:
    return Tensor._ones_like(tensor) * 0


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(*inputs), v^T J): the vector-Jacobian product, one backward pass.

    `v` has the outputs' structure; it may be None only for a single one-element output.
    The vjp has the inputs' structure (a tensor for a tensor, a tuple for a tuple).
    """
    _refuse_create_graph(create_graph)
    leaves, outputs, inputs_tuple, outputs_tuple = _run(func, inputs, "vjp")
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        seeds = (Tensor._ones_like(outputs[0]),)
    else:
        seeds, _ = _as_tuple(v, "v", "vjp")
        if len(seeds) != len(outputs):
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(outputs)} but "
                               f"got {len(seeds)}.")
        for index, (seed, output) in enumerate(zip(seeds, outputs)):
            if tuple(seed.shape) != tuple(output.shape):
                raise RuntimeError(f"Entry {index} in v has invalid size: should be "
                                   f"{output.shape} but got {seed.shape}.")
    grads = _gradients(outputs, leaves, seeds)
    result = []
    for index, (grad, leaf) in enumerate(zip(grads, leaves)):
        if grad is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {index}. This is not allowed in strict mode.")
            grad = _zeros_like(leaf)
        result.append(grad)
    outputs = tuple(o.detach() for o in outputs)
    return (outputs if outputs_tuple else outputs[0],
            tuple(result) if inputs_tuple else result[0])


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of func at inputs: block (i, j) has shape outputs[i].shape + inputs[j].shape.

    Tensor in, tensor out: one tensor. A tuple on one side: a tuple over that side. Tuples on
    both: a tuple (over outputs) of tuples (over inputs), as in PyTorch. One backward pass per
    output element; an input the output does not depend on gets zeros (strict: an error).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         'Hint: If your function has more outputs than inputs, "forward-mode" '
                         'tends to be more performant. Otherwise, prefer to use '
                         '"reverse-mode".')
    if strategy == "forward-mode":
        if not vectorize:
            raise ValueError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` "
                             "is only implemented for `vectorize=True`.")
        raise RuntimeError("jacobian: strategy=\"forward-mode\" needs forward-mode automatic "
                           "differentiation, which tinygrad_edu does not have; use "
                           "strategy=\"reverse-mode\" (the default)")
    _refuse_create_graph(create_graph)
    leaves, outputs, inputs_tuple, outputs_tuple = _run(func, inputs, "jacobian")
    blocks = []
    for i, output in enumerate(outputs):
        rows: list = [[] for _ in leaves]  # rows[j][k] = d output.flat[k] / d leaves[j]
        used = [False] * len(leaves)
        for k in range(output.numel()):
            seed = _zeros_like(output)
            seed.reshape(-1)[k] = 1.0  # one-hot: this pass gives row k of the Jacobian
            grads = _gradients((output,), leaves, (seed,))
            for j, grad in enumerate(grads):
                used[j] = used[j] or grad is not None
                rows[j].append(grad if grad is not None else _zeros_like(leaves[j]))
        row_blocks = []
        for j, leaf in enumerate(leaves):
            if strict and not used[j]:
                raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                   f"of input {j}. This is not allowed in strict mode.")
            shape = tuple(output.shape) + tuple(leaf.shape)
            if rows[j]:
                row_blocks.append(stack(rows[j]).reshape(shape))
            else:  # an output with no elements: an empty block
                row_blocks.append(zeros(shape, dtype=leaf.dtype, device=leaf.device))
        blocks.append(tuple(row_blocks))
    if outputs_tuple and inputs_tuple:
        return tuple(blocks)
    if outputs_tuple:
        return tuple(row[0] for row in blocks)
    if inputs_tuple:
        return blocks[0]
    return blocks[0][0]


def _needs_double_backward(name: str) -> Callable:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"torch.autograd.functional.{name} needs gradients of gradients "
                           "(create_graph=True), which tinygrad_edu does not support; "
                           "PyTorch supports it. vjp and jacobian work.")
    refuse.__name__ = name
    refuse.__doc__ = (f"PyTorch's {name}: refused here, since it differentiates a backward "
                      "pass (create_graph=True), which tinygrad_edu does not support.")
    return refuse


hessian = _needs_double_backward("hessian")
jvp = _needs_double_backward("jvp")
hvp = _needs_double_backward("hvp")
vhp = _needs_double_backward("vhp")

# `from tinygrad_edu.autograd.functional import jacobian` works: autograd is a module, not a
# package, so this module is made its attribute and registered under that name
autograd.functional = sys.modules[__name__]
sys.modules["tinygrad_edu.autograd.functional"] = sys.modules[__name__]
