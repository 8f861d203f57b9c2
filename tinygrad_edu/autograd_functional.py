"""tinygrad_edu.autograd.functional (PyTorch: torch.autograd.functional): derivatives of a
whole function at a point, not of a graph already built.

    vjp(f, x, v)    -> (f(x), v^T J)     one backward pass
    jacobian(f, x)  -> J, J[i, j] = d f(x)_i / d x_j
    vhp(f, x, v)    -> (f(x), v^T H)     H the Hessian of a scalar f: a backward pass of a
    hvp(f, x, v)    -> (f(x), H v)       backward pass (create_graph=True); H is symmetric,
                                         so both are that one product
    jvp(f, x, v)    -> (f(x), J v)       the "double vjp": g(u) = u^T J is linear in u, and
                                         J v is the vjp of g with v
    hessian(f, x)   -> H                 the jacobian of x -> grad f(x)

`jacobian` runs one backward pass per element of the output: row i of J is the vjp with
the one-hot vector e_i. (PyTorch does the same by default; with vectorize=True it batches the
passes with vmap, which this library does not have, so here vectorize only changes nothing.)

Each call runs `f` once on detached copies of the inputs that require grad, so the caller's
graph and `.grad` are left alone; the results do not require grad unless create_graph=True.
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


def _gradients(outputs: tuple, leaves: tuple, seeds: tuple, create_graph: bool = False) -> list:
    """d(sum_k seeds_k . outputs_k)/d leaves; None where an input is not used."""
    roots = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
    if not roots:
        return [None] * len(leaves)
    return list(autograd.grad([o for o, _ in roots], list(leaves), [s for _, s in roots],
                              retain_graph=True, create_graph=create_graph, allow_unused=True))


def _zeros_like(tensor: Tensor) -> Tensor:
    return Tensor._ones_like(tensor) * 0


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(*inputs), v^T J): the vector-Jacobian product, one backward pass.

    `v` has the outputs' structure; it may be None only for a single one-element output.
    The vjp has the inputs' structure (a tensor for a tensor, a tuple for a tuple).
    """
    leaves, outputs, inputs_tuple, outputs_tuple = _run(func, inputs, "vjp")
    seeds = _seeds(v, outputs, "vjp", "user-provided function returns")
    grads = _gradients(outputs, leaves, seeds, create_graph)
    result = []
    for index, (grad, leaf) in enumerate(zip(grads, leaves)):
        if grad is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {index}. This is not allowed in strict mode.")
            grad = _zeros_like(leaf)
        result.append(grad)
    if not create_graph:
        outputs = tuple(o.detach() for o in outputs)
        result = [r.detach() for r in result]
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
    leaves, outputs, inputs_tuple, outputs_tuple = _run(func, inputs, "jacobian")
    blocks = []
    for i, output in enumerate(outputs):
        rows: list = [[] for _ in leaves]  # rows[j][k] = d output.flat[k] / d leaves[j]
        used = [False] * len(leaves)
        for k in range(output.numel()):
            seed = _zeros_like(output)
            seed.reshape(-1)[k] = 1.0  # one-hot: this pass gives row k of the Jacobian
            grads = _gradients((output,), leaves, (seed,), create_graph)
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


def _seeds(v: Any, like: tuple, function: str,
           which: str = "input to the user-provided function is") -> tuple:
    """v as a tuple shaped like `like` (inputs or outputs), with PyTorch's checks."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the {which} a single Tensor "
                               "with a single element.")
        return (Tensor._ones_like(like[0]),)
    seeds, _ = _as_tuple(v, "v", function)
    if len(seeds) != len(like):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got "
                           f"{len(seeds)}.")
    for index, (seed, tensor) in enumerate(zip(seeds, like)):
        if tuple(seed.shape) != tuple(tensor.shape):
            raise RuntimeError(f"Entry {index} in v has invalid size: should be "
                               f"{tensor.shape} but got {seed.shape}.")
    return seeds


def _filled(grads: list, leaves: tuple, create_graph: bool) -> list:
    grads = [g if g is not None else _zeros_like(leaf) for g, leaf in zip(grads, leaves)]
    return grads if create_graph else [g.detach() for g in grads]


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(*inputs), v^T H) for a function with one scalar output: grad f with a graph
    (create_graph=True), then the gradient of sum(grad f * v)."""
    leaves, outputs, inputs_tuple, _ = _run(func, inputs, "vhp")
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError("The Tensor returned by the function given to hvp should contain "
                           "a single element")
    seeds = _seeds(v, leaves, "vhp")
    first = _gradients(outputs, leaves, (Tensor._ones_like(outputs[0]),), True)
    used = [(g, s) for g, s in zip(first, seeds) if g is not None and g.requires_grad]
    second = _gradients(tuple(g for g, _ in used), leaves, tuple(s for _, s in used),
                        create_graph) if used else [None] * len(leaves)
    if strict and any(g is None for g in second):
        raise RuntimeError("The output of the user-provided function is independent of an "
                           "input, or its gradient is. This is not allowed in strict mode.")
    result = _filled(second, leaves, create_graph)
    output = outputs[0] if create_graph else outputs[0].detach()
    return output, tuple(result) if inputs_tuple else result[0]


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(*inputs), H v). A Hessian is symmetric (for a twice continuously
    differentiable f), so H v = (v^T H)^T: vhp's product. (PyTorch computes it by the double
    vjp, which gives the same numbers.)"""
    return vhp(func, inputs, v, create_graph, strict)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(*inputs), J v) by the double-vjp trick: with u a dummy of the outputs' shape,
    g(u) = u^T J is linear in u, and its vjp with v is (J v)^T; reverse mode twice."""
    leaves, outputs, inputs_tuple, outputs_tuple = _run(func, inputs, "jvp")
    seeds = _seeds(v, leaves, "jvp")
    dummies = tuple(_zeros_like(o).requires_grad_(True) for o in outputs)
    vjps = _gradients(outputs, leaves, dummies, True)
    used = [(g, s) for g, s in zip(vjps, seeds) if g is not None and g.requires_grad]
    products = (list(autograd.grad([g for g, _ in used], list(dummies), [s for _, s in used],
                                   create_graph=create_graph, allow_unused=True))
                if used else [None] * len(outputs))
    if strict and any(p is None for p in products):
        raise RuntimeError("The output of the user-provided function is independent of an "
                           "input. This is not allowed in strict mode.")
    result = _filled(products, outputs, create_graph)
    outputs = outputs if create_graph else tuple(o.detach() for o in outputs)
    return (outputs if outputs_tuple else outputs[0],
            tuple(result) if outputs_tuple else result[0])


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: the jacobian of x -> grad f(x), the gradient taken
    with create_graph=True so that jacobian can differentiate it. Blocks as jacobian's."""
    inputs_tuple = isinstance(inputs, (tuple, list))

    def gradient(*xs: Tensor) -> Any:
        outputs, _ = _as_tuple(func(*xs), "outputs of the user-provided function", "hessian")
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element")
        grads = _gradients(outputs, xs, (Tensor._ones_like(outputs[0]),), True)
        grads = [g if g is not None else _zeros_like(x) for g, x in zip(grads, xs)]
        return tuple(grads) if inputs_tuple else grads[0]

    return jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)


# `from tinygrad_edu.autograd.functional import jacobian` works: autograd is a module, not a
# package, so this module is made its attribute and registered under that name
autograd.functional = sys.modules[__name__]
sys.modules["tinygrad_edu.autograd.functional"] = sys.modules[__name__]
