"""Autograd semantics (DESIGN.md §3, issue 3): every rule PyTorch users rely on, and its errors.

Backward and its errors (non-scalar roots, freed graphs, in-place changes to saved tensors and to
leaves, integer tensors), accumulation and zero_grad, retain_grad, hooks, detach / .data, the grad
modes (context manager, function, decorator), autograd.grad, gradcheck, custom Functions,
grad_fn names, leaves, a 10,000-step graph, and devices that do not mix.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import numpy as np
import pytest
from helpers import cuda_imports

import tinygrad_edu as tg
from tinygrad_edu import autograd
from tinygrad_edu.autograd import Function, GradcheckError, gradcheck

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


needs_cuda = pytest.mark.skipif(not cuda_imports(), reason="kernels.cuda does not import")


@pytest.fixture(autouse=True)
def grad_mode_restored():
    """A test that fails inside a grad-mode change must not leave grad mode off for the next."""
    yield
    autograd._grad_enabled = True


def values(x: Any) -> list:
    return x.detach().cpu().numpy().tolist()


def assert_values(x: Any, expected: Any, what: str, tol: float = 1e-6) -> None:
    got = np.asarray(values(x) if hasattr(x, "detach") else x, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs {expected.shape}"
    error = np.abs(got - expected).max(initial=0)
    assert error <= tol, f"{what}: max error {error:.3g}\ngot {got}\nexpected {expected}"


# ---------------------------------------------------------------------------- backward errors


def test_backward_of_a_non_scalar_needs_a_gradient() -> None:
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        (x * 2).backward()
    y = x * tg.tensor([1.0, 10.0])
    y.backward(tg.tensor([3.0, 5.0]))
    assert_values(x.grad, [3.0, 50.0], "backward(gradient)")
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(tg.ones(3))
    (x * 2).sum(0, keepdim=True).backward()  # one element, any shape: allowed
    assert_values(x.grad, [5.0, 52.0], "backward of a one-element (1,) tensor")


def test_backward_of_a_tensor_without_grad() -> None:
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        (tg.ones(2) * 2).sum().backward()


def test_second_backward_through_a_freed_graph_raises() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second "
                                           "time.*retain_graph=True"):
        loss.backward()
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (y.exp() * y).sum()
    loss.backward(retain_graph=True)
    first = values(y.grad)
    loss.backward()
    assert_values(y.grad, 2 * np.array(first), "retain_graph=True: a second backward adds")


def test_inplace_change_of_a_saved_tensor_raises() -> None:
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    z = (y * y).sum()  # Mul saves y
    y.mul_(3)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*is at version 1; "
                                           r"expected version 0"):
        z.backward()
    x = tg.ones(2, requires_grad=True)
    y = x.exp()  # Exp saves its output
    z = y.sum()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    z = (y + y).sum()  # Add saves nothing: in-place afterwards is fine
    y.mul_(3)
    z.backward()
    assert_values(x.grad, [4.0, 4.0], "in-place on an unsaved tensor")


def test_version_counter() -> None:
    x = tg.zeros(3)
    view = x[1:]
    assert x._version == 0, f"new tensor at version {x._version}"
    x.add_(1)
    view.mul_(2)
    x[0] = 5
    assert x._version == 3 and view._version == 3, (
        f"views share the version: x at {x._version}, view at {view._version}, expected 3")
    assert (x + 1)._version == 0, "an out-of-place result starts at version 0"


def test_inplace_on_a_leaf_that_requires_grad_raises() -> None:
    operations = {
        "add_": lambda x: x.add_(1), "mul_": lambda x: x.mul_(2), "+=": lambda x: x.__iadd__(1),
        "zero_": lambda x: x.zero_(), "fill_": lambda x: x.fill_(1.0),
        "copy_": lambda x: x.copy_(tg.zeros(2)), "clamp_": lambda x: x.clamp_(0, 1),
        "setitem": lambda x: x.__setitem__(0, 3.0), "relu_": lambda x: x.relu_(),
    }
    for name, operation in operations.items():
        x = tg.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used "
                                               "in an in-place operation"):
            operation(x)
        assert_values(x, [1.0, 1.0], f"{name}: the refused in-place op changed the leaf")
        with tg.no_grad():  # allowed without grad mode: that is how optimizers update
            operation(x)


def test_requires_grad_only_for_floating_point() -> None:
    for make in (lambda: tg.tensor([1, 2], requires_grad=True),
                 lambda: tg.ones(2, dtype=tg.long, requires_grad=True),
                 lambda: tg.ones(2, dtype=tg.int32).requires_grad_(),
                 lambda: tg.tensor([True]).requires_grad_()):
        with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
            make()
    for dtype in (tg.float32, tg.float64, tg.float16):
        assert tg.ones(1, dtype=dtype, requires_grad=True).requires_grad, f"{dtype}"


def test_integer_parameter_error_is_pytorchs() -> None:
    from tinygrad_edu import nn
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype"):
        nn.Parameter(tg.zeros(2, dtype=tg.long))
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype"):
        tg.zeros(2, dtype=tg.long, requires_grad=True)
    frozen = nn.Parameter(tg.zeros(2, dtype=tg.long), requires_grad=False)
    assert not frozen.requires_grad and frozen.is_leaf
    assert nn.Parameter(tg.zeros(2)).requires_grad


def test_requires_grad_of_a_non_leaf_cannot_be_turned_off() -> None:
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_requires_grad_true_on_a_non_leaf_is_a_no_op() -> None:
    y = tg.ones(2, requires_grad=True) * 2
    assert y.requires_grad_(True) is y and y.requires_grad, "requires_grad_(True) of a non-leaf"


def test_create_graph_gives_grad_a_graph() -> None:
    x = tg.ones(2, requires_grad=True)
    (x * x * 2).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None  # 4x, differentiable again (tests/test_higher_order.py)


# ---------------------------------------------------------------------------- accumulation


def test_gradients_accumulate_across_backward_calls() -> None:
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    (x * 3).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert_values(x.grad, [3.0 + 2.0, 3.0 - 4.0], "grad after two backward calls")
    assert first is x.grad, "PyTorch accumulates into the same .grad tensor (in place)"
    assert not x.grad.requires_grad and x.grad.is_leaf, "a .grad has no graph of its own"
    (x + x + x * x).sum().backward()  # one leaf reached by three paths in one backward
    assert_values(x.grad, [5.0 + 4.0, -1.0 - 2.0], "paths into one leaf add up")


def test_grad_set_to_none_then_backward_starts_fresh() -> None:
    x = tg.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    assert_values(x.grad, [5.0, 5.0], "after x.grad = None")
    x.grad.zero_()
    (x * 1).sum().backward()
    assert_values(x.grad, [1.0, 1.0], "after x.grad.zero_()")


def test_zero_grad_sets_grads_to_none() -> None:
    nn = importlib.import_module("tinygrad_edu.nn")
    optim = importlib.import_module("tinygrad_edu.optim")
    layer = nn.Linear(3, 2)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)
    layer(tg.ones(4, 3)).sum().backward()
    assert all(p.grad is not None for p in layer.parameters()), "backward filled the grads"
    optimizer.zero_grad()
    assert all(p.grad is None for p in layer.parameters()), "optimizer.zero_grad(): not None"
    layer(tg.ones(4, 3)).sum().backward()
    grad = layer.weight.grad
    layer.zero_grad(set_to_none=False)
    assert grad is layer.weight.grad, "zero_grad(set_to_none=False) keeps the tensor"
    assert_values(grad, np.zeros((2, 3)), "zero_grad(set_to_none=False) zeroes in place")
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None, "Module.zero_grad(): None"


def test_backward_inputs_limits_accumulation() -> None:
    x = tg.ones(2, requires_grad=True)
    y = tg.ones(2, requires_grad=True)
    (x * y * 2).sum().backward(inputs=[x])
    assert_values(x.grad, [2.0, 2.0], "backward(inputs=[x]): x")
    assert y.grad is None, "backward(inputs=[x]) must leave y.grad alone"


def test_backward_does_not_modify_the_given_gradient() -> None:
    a = tg.ones(2, requires_grad=True)
    gradient = tg.tensor([1.0, 2.0, 3.0, 4.0])
    tg.cat([a, a]).backward(gradient)
    assert_values(a.grad, [4.0, 6.0], "grad of cat([a, a])")
    assert_values(gradient, [1.0, 2.0, 3.0, 4.0], "the gradient passed to backward")


# ---------------------------------------------------------------------------- retain_grad, hooks


def test_retain_grad_keeps_a_non_leaf_gradient() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y * y
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad, "retains_grad flags"
    z.sum().backward()
    assert_values(y.grad, [6.0, 12.0], "retained y.grad = 2y")
    assert z.grad is None, "a non-leaf without retain_grad keeps no .grad"
    assert_values(x.grad, [18.0, 36.0], "x.grad")
    x.retain_grad()  # a leaf: nothing to do
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                           "requires_grad=False"):
        tg.ones(2).retain_grad()


def test_hook_on_a_leaf_can_change_the_gradient_and_be_removed() -> None:
    x = tg.ones(2, requires_grad=True)
    seen = []
    x.register_hook(lambda grad: grad * 10)
    x.register_hook(lambda grad: seen.append(values(grad)))
    (x * 3).sum().backward()
    assert_values(x.grad, [30.0, 30.0], "leaf hook multiplied the gradient by 10")
    assert seen == [[30.0, 30.0]], f"the second hook saw the first one's result: {seen}"
    y = tg.ones(2, requires_grad=True)
    handle = y.register_hook(lambda grad: grad * 10)
    handle.remove()
    (y * 3).sum().backward()
    assert_values(y.grad, [3.0, 3.0], "after handle.remove()")


def test_a_leaf_used_twice_has_one_node_and_its_hook_sees_the_sum() -> None:
    """PyTorch keeps one AccumulateGrad node per leaf: both uses of x lead to it, the
    gradients of the uses are summed first, and x's hook runs once, on the sum."""
    x = tg.ones(2, requires_grad=True)
    seen = []
    x.register_hook(lambda grad: seen.append(values(grad)))
    a, b = x * 2, x * 3
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]
    (a + b).sum().backward()
    assert seen == [[5.0, 5.0]], f"hook calls: {seen}"
    assert_values(x.grad, [5.0, 5.0], "x.grad")
    del a, b  # no graph holds the node any more: a later graph gets a new one, which works
    (x * 4).sum().backward()
    assert seen[-1] == [4.0, 4.0] and values(x.grad) == [9.0, 9.0]


def test_removing_the_first_of_two_leaf_hooks() -> None:
    x = tg.ones(2, requires_grad=True)
    handle = x.register_hook(lambda grad: grad * 10)
    x.register_hook(lambda grad: grad)
    handle.remove()
    (x * 3).sum().backward()
    assert_values(x.grad, [3.0, 3.0], "grad after removing the first hook")


def test_hook_on_a_non_leaf_sees_and_changes_what_flows_on() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda grad: seen.append(values(grad)))
    handle = y.register_hook(lambda grad: grad + 1)
    (y * y).sum().backward()
    assert seen == [[4.0, 8.0]], f"hook saw {seen}, expected dL/dy = 2y = [4, 8]"
    assert_values(x.grad, [10.0, 18.0], "x.grad = 2 * (2y + 1)")
    handle.remove()
    x.grad = None
    z = x * 2
    z.register_hook(lambda grad: None)  # returning None keeps the gradient
    (z * z).sum().backward()
    assert_values(x.grad, [8.0, 16.0], "a hook returning None")
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.ones(2).register_hook(lambda grad: grad)


# ---------------------------------------------------------------------------- detach and .data


def test_detach_and_data_share_memory_without_graph() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for name, alias in (("detach()", x.detach()), (".data", x.data)):
        assert not alias.requires_grad and alias.is_leaf and alias.grad_fn is None, name
        alias[0] = 5.0  # allowed: the alias does not require grad
        assert_values(x, [5.0, 2.0], f"{name} shares memory with x")
        alias[0] = 1.0
    y = x * 2
    y.detach_()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None, "detach_() in place"
    x.data = tg.tensor([7.0, 8.0, 9.0])
    assert_values(x, [7.0, 8.0, 9.0], "assigning .data swaps the memory")
    assert x.requires_grad, "assigning .data keeps requires_grad"


def test_inplace_through_detach_is_seen_by_the_version_counter() -> None:
    x = tg.ones(2, requires_grad=True)
    y = x * x
    x.detach().add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_through_data_is_invisible_to_autograd() -> None:
    x = tg.ones(2, requires_grad=True)
    y = x * x
    x.data.add_(1)
    y.sum().backward()
    assert_values(x.grad, [4.0, 4.0], "grad after changing x.data")


# ---------------------------------------------------------------------------- grad modes


def test_grad_modes_as_context_managers() -> None:
    x = tg.ones(2, requires_grad=True)
    assert tg.is_grad_enabled(), "grad mode is on by default"
    with tg.no_grad():
        assert not tg.is_grad_enabled(), "inside no_grad"
        y = x * 2
        with tg.enable_grad():
            assert tg.is_grad_enabled(), "enable_grad inside no_grad"
            z = x * 2
        assert not tg.is_grad_enabled(), "back in no_grad"
    assert tg.is_grad_enabled(), "no_grad restored the mode"
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None, "made under no_grad"
    assert z.requires_grad and z.grad_fn is not None, "made under enable_grad"
    for mode in (False, True):
        with tg.set_grad_enabled(mode):
            assert tg.is_grad_enabled() is mode, f"set_grad_enabled({mode}) as a context"
            w = x * 2
        assert w.requires_grad is mode, f"result under set_grad_enabled({mode})"
        assert tg.is_grad_enabled(), f"set_grad_enabled({mode}) context restored the mode"
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError("leaving by an exception")
    assert tg.is_grad_enabled(), "no_grad restores the mode after an exception"


def test_set_grad_enabled_as_a_function() -> None:
    tg.set_grad_enabled(False)
    assert not tg.is_grad_enabled(), "set_grad_enabled(False) as a call"
    assert not (tg.ones(1, requires_grad=True) * 2).requires_grad, "no graph while off"
    tg.set_grad_enabled(True)
    assert tg.is_grad_enabled(), "set_grad_enabled(True) as a call"


def test_no_grad_and_enable_grad_as_decorators() -> None:
    @tg.no_grad()
    def without(x: Any) -> Any:
        assert not tg.is_grad_enabled(), "inside a @no_grad() function"
        return x * 2

    @tg.enable_grad()
    def with_grad(x: Any) -> Any:
        return x * 2

    x = tg.ones(1, requires_grad=True)
    assert not without(x).requires_grad, "@no_grad() result"
    assert tg.is_grad_enabled(), "@no_grad() restored the mode"
    with tg.no_grad():
        assert with_grad(x).requires_grad, "@enable_grad() inside no_grad"
    assert without.__name__ == "without", "the decorator keeps the function's name"


def test_bare_no_grad_decorator() -> None:
    @tg.no_grad
    def double(x: Any) -> Any:
        return x * 2

    assert not double(tg.ones(1, requires_grad=True)).requires_grad, "@no_grad result"


def test_set_grad_enabled_as_a_decorator() -> None:
    try:
        @tg.set_grad_enabled(False)
        def double(x: Any) -> Any:
            return x * 2
    finally:
        mode_after_decorating = tg.is_grad_enabled()
        autograd._grad_enabled = True
    assert mode_after_decorating, "decorating must not change the grad mode"
    assert not double(tg.ones(1, requires_grad=True)).requires_grad, "decorated result"
    assert tg.is_grad_enabled(), "grad mode after the decorated call"


# ---------------------------------------------------------------------------- autograd.grad


def test_autograd_grad() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], requires_grad=True)
    (dx,) = autograd.grad((x * x * y).sum(), x)
    assert_values(dx, [6.0, 16.0], "d(x^2 y)/dx")
    assert x.grad is None and y.grad is None, "autograd.grad does not touch .grad"
    dx, dy = autograd.grad((x * y).sum(), [x, y])
    assert_values(dx, [3.0, 4.0], "d(xy)/dx")
    assert_values(dy, [1.0, 2.0], "d(xy)/dy")
    (dx,) = autograd.grad(x * x, x, grad_outputs=tg.tensor([1.0, 10.0]))
    assert_values(dx, [2.0, 40.0], "grad_outputs")
    hidden = x * 2
    (dh,) = autograd.grad((hidden * hidden).sum(), hidden)
    assert_values(dh, [4.0, 8.0], "gradient with respect to a non-leaf")
    unused = tg.ones(2, requires_grad=True)
    dx, du = autograd.grad((x * 3).sum(), [x, unused], allow_unused=True)
    assert du is None, "allow_unused=True gives None for an unused input"
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph.*"
                                           "allow_unused=True"):
        autograd.grad((x * 3).sum(), [x, unused])
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 3).sum(), tg.ones(2))
    loss = (x.exp()).sum()
    autograd.grad(loss, x, retain_graph=True)
    (again,) = autograd.grad(loss, x)
    assert_values(again, np.exp([1.0, 2.0]), "a second autograd.grad with retain_graph", 1e-5)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(loss, x)


# ---------------------------------------------------------------------------- gradcheck, Function


class Square(Function):
    """out = x**2 * k (k a Python number); grad_x = 2 k x grad"""

    @staticmethod
    def forward(ctx: Function, x: Any, k: float) -> Any:
        ctx.save_for_backward(x)
        ctx.k = k
        with tg.no_grad():
            return x * x * k

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * x * (2 * ctx.k)


class WrongProduct(Function):
    """out = x * y, with a deliberately wrong gradient for y: half of the true x * grad."""

    @staticmethod
    def forward(ctx: Function, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        with tg.no_grad():
            return x * y

    @staticmethod
    def backward(ctx: Function, grad: Any) -> tuple:
        x, y = ctx.saved_tensors
        return grad * y, grad * x * 0.5  # wrong: d(xy)/dy = x


def test_custom_function_via_apply() -> None:
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = Square.apply(x, 3.0)
    assert_values(y, [3.0, 12.0], "Square forward")
    assert y.requires_grad and not y.is_leaf, "a Function's output joins the graph"
    assert y.grad_fn.name() == "SquareBackward0", f"grad_fn name {y.grad_fn.name()}"
    assert isinstance(y.grad_fn, Square), "the node is the Function instance"
    y.sum().backward()
    assert_values(x.grad, [6.0, 12.0], "Square backward")
    assert gradcheck(lambda t: Square.apply(t, 3.0), (x,)), "gradcheck of a correct Function"
    with tg.no_grad():
        assert not Square.apply(x, 3.0).requires_grad, "apply under no_grad records nothing"
    assert not Square.apply(tg.ones(2), 1.0).requires_grad, "no input requires grad"


def test_gradcheck_catches_a_wrong_gradient() -> None:
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([3.0, -4.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(WrongProduct.apply, (x, y))
    assert gradcheck(WrongProduct.apply, (x, y), raise_exception=False) is False, (
        "raise_exception=False returns False")
    assert gradcheck(lambda a, b: a * b, (x, y)), "the correct product passes"
    assert issubclass(GradcheckError, RuntimeError), "GradcheckError is a RuntimeError"


# ---------------------------------------------------------------------------- graph structure


def test_grad_fn_names_match_pytorch() -> None:
    x = tg.ones(2, 2, requires_grad=True)
    cases = {
        "MulBackward0": x * 2, "AddBackward0": x + 2, "SubBackward0": x - 2,
        "DivBackward0": x / 2, "PowBackward0": x ** 2, "ExpBackward0": x.exp(),
        "LogBackward0": x.log(), "SumBackward0": x.sum(), "ReluBackward0": x.relu(),
        "SigmoidBackward0": x.sigmoid(), "TanhBackward0": x.tanh(), "NegBackward0": -x,
        "AbsBackward0": x.abs(), "SqrtBackward0": x.sqrt(), "SinBackward0": x.sin(),
        "CosBackward0": x.cos(), "ViewBackward0": x.view(4), "PermuteBackward0": x.permute(1, 0),
        "ExpandBackward0": x[:1].expand(3, 2), "CloneBackward0": x.clone(),
        "CatBackward0": tg.cat([x, x]), "ToCopyBackward0": x.double(),
        "SoftmaxBackward0": x.softmax(1), "LogSoftmaxBackward0": x.log_softmax(1),
        "WhereBackward0": tg.where(x > 0, x, x), "MaximumBackward0": tg.maximum(x, x),
        "AmaxBackward0": x.amax(), "AminBackward0": x.amin(0), "MmBackward0": x @ x,
        "RsqrtBackward0": x.rsqrt(), "ReciprocalBackward0": x.reciprocal(),
    }
    wrong = {name: tensor.grad_fn.name() for name, tensor in cases.items()
             if tensor.grad_fn is None or tensor.grad_fn.name() != name}
    assert not wrong, f"grad_fn names differ from PyTorch's: {wrong}"
    assert repr(x * 2).endswith("grad_fn=<MulBackward0>)"), f"repr: {x * 2!r}"


def _viewed_then_changed(lib: Any, x: Any) -> Any:
    view = (x * 1)[0]
    view.mul_(2)
    return view  # PyTorch: the view now reads its base's CopySlices (AsStridedBackward0)


def _base_after_a_view_changed(lib: Any, x: Any) -> Any:
    y = x * 1
    y[1:].mul_(3)
    return y


def _copied_from_a_constant(lib: Any, x: Any) -> Any:
    return (x * 1).copy_(lib.ones(2, 2))


GRAD_FN_NAMES = {  # expression: a function (library, x of shape (2, 2)) -> tensor
    "x.log1p()": lambda lib, x: x.log1p(), "x.t()": lambda lib, x: x.t(),
    "x[0].t()": lambda lib, x: x[0].t(), "x.transpose(0, 1)": lambda lib, x: x.transpose(0, 1),
    "x.mT": lambda lib, x: x.mT, "x.T": lambda lib, x: x.T,
    "x[:1].squeeze()": lambda lib, x: x[:1].squeeze(),
    "x[:1].squeeze(0)": lambda lib, x: x[:1].squeeze(0),
    "x[:1].squeeze((0,))": lambda lib, x: x[:1].squeeze((0,)),
    "x.unsqueeze(1)": lambda lib, x: x.unsqueeze(1), "x[0]": lambda lib, x: x[0],
    "x[:, 0]": lambda lib, x: x[:, 0], "x[0, 1:]": lambda lib, x: x[0, 1:],
    "x[1:, 0]": lambda lib, x: x[1:, 0], "x[None]": lambda lib, x: x[None],
    "x[0, None]": lambda lib, x: x[0, None], "x[...]": lambda lib, x: x[...],
    "x[:]": lambda lib, x: x[:], "x[:, :]": lambda lib, x: x[:, :],
    "x[::2]": lambda lib, x: x[::2], "x.select(1, -1)": lambda lib, x: x.select(1, -1),
    "x.narrow(0, 0, 1)": lambda lib, x: x.narrow(0, 0, 1),
    "x.unbind(1)[0]": lambda lib, x: x.unbind(1)[0], "x.split(1)[1]": lambda lib, x: x.split(1)[1],
    "x.split([1, 1])[0]": lambda lib, x: x.split([1, 1])[0],
    "x.chunk(2)[0]": lambda lib, x: x.chunk(2)[0], "x.sum()": lambda lib, x: x.sum(),
    "x.sum(0)": lambda lib, x: x.sum(0), "x.sum(1, keepdim=True)": lambda lib, x: x.sum(1, True),
    "stack": lambda lib, x: lib.stack([x, x]), "cat": lambda lib, x: lib.cat([x, x]),
    "x.flip(0)": lambda lib, x: x.flip(0), "x.repeat(2, 1)": lambda lib, x: x.repeat(2, 1),
    "x.t().reshape(4)": lambda lib, x: x.t().reshape(4),
    "x.reshape(4)": lambda lib, x: x.reshape(4),
    "x.expand(2, 2)": lambda lib, x: x.expand(2, 2), "x @ x": lambda lib, x: x @ x,
    "x.gather(0, index)": lambda lib, x: x.gather(0, lib.zeros(2, 2, dtype=lib.int64)),
    "view after its mul_": _viewed_then_changed,
    "base after y[1:].mul_(3)": _base_after_a_view_changed,
    "y.copy_(constant)": _copied_from_a_constant,
}

GRAD_FN_NAMES_OF_OTHER_MODULES = {  # the node is made in composite/, indexing.py, tensor_math.py
    "x[[0, 1]]": lambda lib, x: x[[0, 1]], "x[x > 0]": lambda lib, x: x[x > 0],
    "bmm": lambda lib, x: x[None].bmm(x[None]), "x[0].sum(0)": lambda lib, x: x[0].sum(0),
    "y[0] = 3": lambda lib, x: _set_row(x), "y.zero_()": lambda lib, x: (x * 1).zero_(),
    "y.fill_(2)": lambda lib, x: (x * 1).fill_(2.0), "y.copy_(x)": lambda lib, x: (x * 1).copy_(x),
}


def _functional(name: str, *args: Any, **options: Any) -> Any:
    """lib, x -> lib.nn.functional.name(x, *args(lib), **options): a table entry."""
    return lambda lib, x: getattr(lib.nn.functional, name)(x, *(a(lib) for a in args),
                                                           **options)


def _classes(lib: Any, *shape: int) -> Any:
    return lib.zeros(shape, dtype=lib.int64)  # class 0 for every sample


def _zeros(lib: Any) -> Any:
    return lib.zeros(2, 2)


GRAD_FN_NAMES_OF_COMPOSITES = {  # composites whose last node carries PyTorch's name for it
    "x.mean()": lambda lib, x: x.mean(), "x.mean(0)": lambda lib, x: x.mean(0),
    "x.mean((0, 1))": lambda lib, x: x.mean((0, 1)),
    "x.sum().mean()": lambda lib, x: x.sum().mean(), "x.var()": lambda lib, x: x.var(),
    "x.var(0, correction=0)": lambda lib, x: x.var(0, correction=0),
    "x.std()": lambda lib, x: x.std(), "x.std(1, keepdim=True)": lambda lib, x: x.std(1, True),
    "x.clamp(0, 1)": lambda lib, x: x.clamp(0, 1), "x.clamp(max=1)": lambda lib, x: x.clamp(max=1),
    "x.clamp(tensor)": lambda lib, x: x.clamp(lib.zeros(2, 2)),
    "y.clamp_(0, 1)": lambda lib, x: (x * 1).clamp_(0, 1),
    "x.masked_fill(m, 1)": lambda lib, x: x.masked_fill(x > 0, 1.0),
    "x.masked_fill(m, t)": lambda lib, x: x.masked_fill(x > 0, lib.tensor(1.0)),
    "y.masked_fill_(m, 1)": lambda lib, x: (x * 1).masked_fill_(x > 0, 1.0),
    "x.norm()": lambda lib, x: x.norm(), "x.norm(dim=1)": lambda lib, x: x.norm(dim=1),
    "x.norm(p=1)": lambda lib, x: x.norm(p=1), "x.norm(p=3)": lambda lib, x: x.norm(p=3),
    "x.norm(p=inf)": lambda lib, x: x.norm(p=float("inf")),
    "x.norm(p=0)": lambda lib, x: x.norm(p=0),
    "2 - x": lambda lib, x: 2 - x, "x - 2": lambda lib, x: x - 2, "2 ** x": lambda lib, x: 2 ** x,
    "x ** x": lambda lib, x: x ** x, "x ** 2": lambda lib, x: x ** 2,
    "pow(2, x)": lambda lib, x: lib.pow(2, x),
    "x.softmax(1)": lambda lib, x: x.softmax(1),
    "x[0, 0].softmax(0)": lambda lib, x: x[0, 0].softmax(0),
    "x.log_softmax(1)": lambda lib, x: x.log_softmax(1),
    "x[0, 0].log_softmax(0)": lambda lib, x: x[0, 0].log_softmax(0),
    "x.logsumexp(1)": lambda lib, x: x.logsumexp(1),
    "x.logsumexp(1, True)": lambda lib, x: x.logsumexp(1, keepdim=True),
    "x.erf()": lambda lib, x: x.erf(), "erf(x)": lambda lib, x: lib.erf(x),
    "cross_entropy": _functional("cross_entropy", lambda lib: _classes(lib, 2)),
    "cross_entropy none": _functional("cross_entropy", lambda lib: _classes(lib, 2),
                                      reduction="none"),
    "cross_entropy ignore_index": _functional("cross_entropy", lambda lib: _classes(lib, 2),
                                              ignore_index=1),
    "cross_entropy 1-d": lambda lib, x: lib.nn.functional.cross_entropy(x[0], _classes(lib)),
    "cross_entropy 3-d": lambda lib, x: lib.nn.functional.cross_entropy(
        x[None], _classes(lib, 1, 2)),
    "cross_entropy 3-d none": lambda lib, x: lib.nn.functional.cross_entropy(
        x[None], _classes(lib, 1, 2), reduction="none"),
    "cross_entropy 4-d": lambda lib, x: lib.nn.functional.cross_entropy(
        x[None, :, :, None], _classes(lib, 1, 2, 1), reduction="sum"),
    "cross_entropy smoothing": _functional("cross_entropy", lambda lib: _classes(lib, 2),
                                           label_smoothing=0.1),
    "nll_loss": _functional("nll_loss", lambda lib: _classes(lib, 2)),
    "mse_loss": _functional("mse_loss", _zeros), "mse_loss none": _functional(
        "mse_loss", _zeros, reduction="none"),
    "l1_loss": _functional("l1_loss", _zeros),
    "smooth_l1_loss": _functional("smooth_l1_loss", _zeros),
    "huber_loss": _functional("huber_loss", _zeros),
    "binary_cross_entropy": lambda lib, x: lib.nn.functional.binary_cross_entropy(
        x.sigmoid(), lib.zeros(2, 2)),
    "binary_cross_entropy_with_logits": _functional("binary_cross_entropy_with_logits", _zeros),
    "linear": _functional("linear", lambda lib: lib.ones(3, 2)),
    "linear with bias": _functional("linear", lambda lib: lib.ones(3, 2), lambda lib: lib.ones(3)),
    "linear 1-d": lambda lib, x: lib.nn.functional.linear(x[0], x),
    "linear 3-d": lambda lib, x: lib.nn.functional.linear(x[None], x),
    "linear 3-d with bias": lambda lib, x: lib.nn.functional.linear(x[None], x, lib.ones(2)),
    "gelu": _functional("gelu"), "gelu tanh": _functional("gelu", approximate="tanh"),
    "silu": _functional("silu"), "elu": _functional("elu"),
    "elu_": lambda lib, x: lib.nn.functional.elu(x * 1, inplace=True),
    "selu": _functional("selu"), "leaky_relu": _functional("leaky_relu"),
    "leaky_relu_": lambda lib, x: lib.nn.functional.leaky_relu(x * 1, inplace=True),
    "softplus": _functional("softplus"),
    "hardtanh": _functional("hardtanh"), "relu6": _functional("relu6"),
    "logsigmoid": _functional("logsigmoid"), "mish": _functional("mish"),
}


def _set_row(x: Any) -> Any:
    y = x * 1
    y[0] = 3.0
    return y


def _names_differing_from_torch(table: dict) -> dict:
    wrong = {}
    for expression, make in table.items():
        names = []
        for lib in (tg, torch):
            node = make(lib, lib.ones(2, 2, requires_grad=True)).grad_fn
            names.append(None if node is None else node.name())
        if names[0] != names[1]:
            wrong[expression] = f"{names[0]} (torch: {names[1]})"
    return wrong


@pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")
@pytest.mark.filterwarnings("ignore:The use of `x.T`")
def test_grad_fn_names_match_torch() -> None:
    wrong = _names_differing_from_torch(GRAD_FN_NAMES)
    assert not wrong, f"grad_fn names differ from PyTorch's: {wrong}"
    assert repr(_base_after_a_view_changed(tg, tg.ones(2, 2, requires_grad=True)).grad_fn
                ).startswith("<CopySlices object at"), "a CopySlices node's repr, as PyTorch's"


@pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")
def test_grad_fn_names_made_in_other_modules_match_torch() -> None:
    wrong = _names_differing_from_torch(GRAD_FN_NAMES_OF_OTHER_MODULES)
    assert not wrong, f"grad_fn names differ from PyTorch's: {wrong}"


@pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")
def test_grad_fn_names_of_composites_match_torch() -> None:
    wrong = _names_differing_from_torch(GRAD_FN_NAMES_OF_COMPOSITES)
    assert not wrong, f"grad_fn names differ from PyTorch's: {wrong}"


def test_leaves_and_next_functions() -> None:
    x = tg.ones(2, requires_grad=True)
    constant = tg.ones(2)
    assert x.is_leaf and x.grad_fn is None, "a user tensor is a leaf"
    assert constant.is_leaf and (constant * 2).is_leaf, "anything without grad is a leaf"
    y = x * constant
    assert not y.is_leaf and y.requires_grad, "an op on a tensor that requires grad"
    (node, _), (other, _) = y.grad_fn.next_functions
    assert type(node).__name__ == "AccumulateGrad" and node.variable is x, (
        f"x's edge leads to {node!r}")
    assert other is None, "a constant input has no edge"
    z = y.exp()
    assert z.grad_fn.next_functions[0][0] is y.grad_fn, "edges point at the making node"


def test_inplace_ops_on_non_leaves_are_differentiated() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(3)
    y += x  # y = 3 (2x + 1) + x
    y.sum().backward()
    assert_values(x.grad, [7.0, 7.0], "grad through add_, mul_ and += of a non-leaf")
    assert y.grad_fn.name() == "AddBackward0", f"after +=, grad_fn is {y.grad_fn.name()}"


def _overwrite_case(overwrite: Any) -> tuple:
    """y = x * 1, overwrite(y, s), then (y * 3).sum().backward(): (x.grad, s.grad), None as 0."""
    x = tg.ones(3, requires_grad=True)
    source = tg.tensor([1.0, 2.0, 4.0], requires_grad=True)
    y = x * 1
    overwrite(y, source)
    (y * 3).sum().backward()
    return tuple(values(t.grad) if t.grad is not None else [0.0] * 3 for t in (x, source))


@pytest.mark.parametrize("name, overwrite, grad_x, grad_source", [
    ("y.copy_(constant)", lambda y, s: y.copy_(tg.tensor([1.0, 2.0, 3.0])), [0, 0, 0], [0, 0, 0]),
    ("y.copy_(s)", lambda y, s: y.copy_(s), [0, 0, 0], [3, 3, 3]),
    ("y[1:].copy_(constant)", lambda y, s: y[1:].copy_(tg.zeros(2)), [3, 0, 0], [0, 0, 0]),
    ("y[1:].copy_(s[:2])", lambda y, s: y[1:].copy_(s[:2]), [3, 0, 0], [3, 3, 0]),
    ("y[:2].copy_(s[0])", lambda y, s: y[:2].copy_(s[0]), [0, 0, 3], [6, 0, 0]),
])
def test_copy_into_a_non_leaf_cuts_its_gradient(name: str, overwrite: Any, grad_x: list,
                                                 grad_source: list) -> None:
    """copy_ overwrites: the old values get no gradient and the source gets theirs, also
    through a view (the base's other values keep their gradient)."""
    got_x, got_source = _overwrite_case(overwrite)
    assert_values(got_x, grad_x, f"x.grad after {name}")
    assert_values(got_source, grad_source, f"s.grad after {name}")


def test_zero_and_fill_of_a_non_leaf_cut_its_gradient() -> None:
    for name, overwrite, grad_x in [("y.zero_()", lambda y, s: y.zero_(), [0, 0, 0]),
                                    ("y.fill_(2)", lambda y, s: y.fill_(2.0), [0, 0, 0]),
                                    ("y[1:].zero_()", lambda y, s: y[1:].zero_(), [3, 0, 0]),
                                    ("y[0].fill_(2)", lambda y, s: y[0].fill_(2.0), [0, 3, 3])]:
        got_x, _ = _overwrite_case(overwrite)
        assert_values(got_x, grad_x, f"x.grad after {name}")


@pytest.mark.parametrize("name, use", [
    ("y * 2", lambda y, c: y * 2), ("2 * y", lambda y, c: 2 * y), ("y / 2", lambda y, c: y / 2),
    ("y * c", lambda y, c: y * c), ("y / c", lambda y, c: y / c),
    ("y @ c", lambda y, c: y @ c), ("c @ y", lambda y, c: c @ y),
    ("linear(y, c)", lambda y, c: importlib.import_module("tinygrad_edu.nn.functional").linear(
        y, c)),
])
def test_products_save_only_what_the_needed_gradients_read(name: str, use: Any) -> None:
    """Mul saves b only when a needs a gradient (and a only when b does), as PyTorch: so an
    in-place change of y after `y * 2` does not stop backward. Same for Div, Pow, Mm, Linear."""
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    constant = tg.tensor([[2.0, 0.5], [1.0, 4.0]])
    y = x * 1
    z = use(y, constant).sum()
    y.add_(1)
    z.backward()
    if torch is not None:
        tx = torch.tensor(values(x), requires_grad=True)
        ty = tx * 1
        tz = use(ty, torch.tensor(values(constant))) if "linear" not in name else \
            torch.nn.functional.linear(ty, torch.tensor(values(constant)))
        ty.add_(1)
        tz.sum().backward()
        assert_values(x.grad, tx.grad.numpy(), f"x.grad through {name} vs torch", 1e-5)
    assert x.grad is not None, f"{name}: no gradient"


def test_what_a_gradient_reads_is_still_saved() -> None:
    for name, use in [("y * y", lambda y: y * y), ("y ** 2", lambda y: y ** 2),
                      ("c / y", lambda y: 2 / y), ("y @ y", lambda y: y @ y)]:
        y = tg.ones(2, 2, requires_grad=True) * 1
        z = use(y).sum()
        y.add_(1)
        try:
            z.backward()
        except RuntimeError as error:
            assert "modified by an inplace operation" in str(error), f"{name}: {error}"
        else:
            pytest.fail(f"{name}: backward ran although its gradient reads the changed y")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y[0] = y[1] * 3  # y[1] * 3 saves the 3, not the view y[1] that setitem then changes
    y.sum().backward()
    assert_values(x.grad, [0.0, 4.0], "y[0] = y[1] * 3")


def test_needs_input_grad_is_known_in_forward() -> None:
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx: Function, a: Any, b: Any) -> Any:
            seen.append(tuple(ctx.needs_input_grad[k] for k in range(2)))
            return a.detach() * 1

        @staticmethod
        def backward(ctx: Function, grad: Any) -> tuple:
            return grad, None

    Probe.apply(tg.ones(1, requires_grad=True), tg.ones(1))
    Probe.apply(tg.ones(1), tg.ones(1))
    with tg.no_grad():
        Probe.apply(tg.ones(1, requires_grad=True), tg.ones(1))
    assert seen == [(True, False), (False, False), (False, False)], f"needs_input_grad: {seen}"


def test_inplace_on_a_view_of_a_non_leaf() -> None:
    x = tg.ones(2, 3, requires_grad=True)
    y = x * 1
    y[0].mul_(2)
    assert type(y.grad_fn).__name__ == "CopySlices", f"base's grad_fn: {y.grad_fn!r}"
    assert y.grad_fn.name() == "torch::autograd::CopySlices", y.grad_fn.name()
    y.sum().backward()
    assert_values(x.grad, [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]], "grad through y[0].mul_(2)")


def _chain(change: Any) -> Any:
    def run(lib: Any, x: Any, w: Any) -> Any:
        y = x * 2
        change(lib, y, w)
        return (y * y).sum()
    return run


def _overlapping_views(lib: Any, x: Any, w: Any) -> Any:
    y = x * 2
    a, b = y[0:2], y[1:3]
    a.mul_(w)  # writes b's first row too: b must see it
    return (b * b).sum()


def _view_read_after_its_base_changed(lib: Any, x: Any, w: Any) -> Any:
    y = x * 2
    view = y[0]
    y.mul_(w)
    return (view * view).sum()


def _view_used_after_its_own_change(lib: Any, x: Any, w: Any) -> Any:
    y = x * 2
    view = y[1]
    view.mul_(w)
    return (view * y[1]).sum() + (y * y).sum()


def _base_without_grad(lib: Any, x: Any, w: Any) -> Any:
    z = lib.zeros(3, 4, dtype=lib.float64)
    earlier = z[1:]  # taken before z depends on w: it must depend on w afterwards
    z[0:2].copy_(w.expand(2, 4))
    return (earlier * x[1:]).sum() + (z * x).sum()


INPLACE_ON_VIEWS = {
    "y[1:] += 1": _chain(lambda lib, y, w: y.__setitem__(slice(1, None),
                                                         y[1:].__iadd__(1))),
    "y[:, 0] *= 3": _chain(lambda lib, y, w: y.__setitem__((slice(None), 0),
                                                           y[:, 0].__imul__(3))),
    "y[1:].mul_(3)": _chain(lambda lib, y, w: y[1:].mul_(3)),
    "y[1:].add_(w)": _chain(lambda lib, y, w: y[1:].add_(w)),
    "y[0].copy_(w)": _chain(lambda lib, y, w: y[0].copy_(w)),
    "y[:, 1].copy_(w[:3])": _chain(lambda lib, y, w: y[:, 1].copy_(w[:3])),
    "y[0].copy_(constant)": _chain(lambda lib, y, w: y[0].copy_(lib.ones(4, dtype=lib.float64))),
    "y.t()[1].mul_(w[:3])": _chain(lambda lib, y, w: y.t()[1].mul_(w[:3])),
    "y[0][1:].mul_(2)": _chain(lambda lib, y, w: y[0][1:].mul_(2)),
    "y.view(12)[3:6].mul_(w[:3])": _chain(lambda lib, y, w: y.view(12)[3:6].mul_(w[:3])),
    "y[0].mul_(2); y[0].mul_(w)": _chain(lambda lib, y, w: y[0].mul_(2).mul_(w)),
    "y[1:].exp_()": _chain(lambda lib, y, w: y[1:].exp_()),
    "y[:, :2].pow_(2)": _chain(lambda lib, y, w: y[:, :2].pow_(2)),
    "y[0].relu_()": _chain(lambda lib, y, w: y[0].relu_()),
    "y[0] = w * 2": _chain(lambda lib, y, w: y.__setitem__(0, w * 2)),
    "overlapping views": _overlapping_views,
    "a view read after its base's mul_": _view_read_after_its_base_changed,
    "a view used after its own mul_": _view_used_after_its_own_change,
    "a base without grad, written with w": _base_without_grad,
}


@pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")
@pytest.mark.parametrize("name", list(INPLACE_ON_VIEWS))
def test_inplace_on_views_matches_torch(name: str) -> None:
    """In-place ops through views of a non-leaf: the base records CopySlices, other views of
    it read its new history; loss and gradients as PyTorch's."""
    rng = np.random.default_rng(0)
    x_values, w_values = rng.normal(size=(3, 4)), rng.normal(size=4)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(x_values, requires_grad=True)
        w = lib.tensor(w_values, requires_grad=True)
        loss = INPLACE_ON_VIEWS[name](lib, x, w)
        loss.backward()
        results.append([loss.item()] + [np.zeros(t.shape) if t.grad is None else values(t.grad)
                                        for t in (x, w)])
    for what, got, expected in zip(("loss", "x.grad", "w.grad"), *results):
        assert_values(got, expected, f"{name}: {what} vs torch", 1e-10)


def test_inplace_on_views_keeps_the_checks() -> None:
    x = tg.ones(2, 3, requires_grad=True)
    y = x * 2
    z = (y * y).sum()  # saves y
    y[0].mul_(2)  # writes y's memory through a view
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation"):
        x[0].mul_(2)
    with tg.no_grad():
        x[0].mul_(2)  # allowed without grad mode (optimizers)
    with tg.no_grad():
        view = y[1]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        view.add_(1)


def test_deep_graph_does_not_recurse() -> None:
    """An RNN-like loop unrolled 10,000 steps: backward is iterative (Kahn's order)."""
    steps = 10_000
    w = tg.tensor([0.5, -0.3], dtype=tg.float64, requires_grad=True)
    u = tg.tensor([0.1, 0.2], dtype=tg.float64, requires_grad=True)
    h = tg.zeros(2, dtype=tg.float64)
    for _ in range(steps):
        h = (w * h + u).tanh()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)  # far below the graph's depth: any recursion would fail
    try:
        h.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    assert w.grad is not None and np.isfinite(values(w.grad)).all(), f"w.grad: {w.grad}"
    if torch is not None:
        tw = torch.tensor(values(w), dtype=torch.float64, requires_grad=True)
        tu = torch.tensor(values(u), dtype=torch.float64, requires_grad=True)
        th = torch.zeros(2, dtype=torch.float64)
        for _ in range(steps):
            th = torch.tanh(tw * th + tu)
        th.sum().backward()
        assert_values(w.grad, tw.grad.numpy(), "10,000-step w.grad vs torch", 1e-10)
        assert_values(u.grad, tu.grad.numpy(), "10,000-step u.grad vs torch", 1e-10)


# ---------------------------------------------------------------------------- devices


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("name", ["add", "mul", "matmul", "cat", "where"])
def test_mixing_devices_raises_a_clear_error(name: str) -> None:
    cpu = tg.ones(2, 2)
    cuda = tg.ones(2, 2, device="cuda")
    operations = {
        "add": lambda: cpu + cuda, "mul": lambda: cuda * cpu, "matmul": lambda: cpu @ cuda,
        "cat": lambda: tg.cat([cpu, cuda]), "where": lambda: tg.where(cpu > 0, cuda, cpu),
    }
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but "
                                           "found at least two devices"):
        operations[name]()


@pytest.mark.gpu
@needs_cuda
def test_transfers_between_devices_carry_values_and_gradients() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to("cuda") * 3).sum()
    assert y.device == tg.device("cuda:0"), f"result on {y.device}"
    y.backward()
    assert x.grad.device == tg.device("cpu"), f"x.grad on {x.grad.device}"
    assert_values(x.grad, [3.0, 3.0], "gradient through .to('cuda')")
    target = tg.zeros(2)
    target.copy_(tg.tensor([4.0, 5.0], device="cuda"))  # copy_ moves across devices
    assert_values(target, [4.0, 5.0], "copy_ from cuda into a cpu tensor")
    assert_values(tg.ones(2).cuda().cpu(), [1.0, 1.0], ".cuda().cpu() round trip")


def test_assigning_a_grad_that_does_not_fit_is_refused() -> None:
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="dtype 'float64' to a tensor with dtype 'float32'"):
        x.grad = tg.ones(2, dtype=tg.float64)
    with pytest.raises(RuntimeError, match=r"size '\[3\]' to a tensor of size '\[2\]'"):
        x.grad = tg.ones(3)
    with pytest.raises(TypeError, match="Tensor or None but got grad of type int"):
        x.grad = 3
    x.grad = tg.full((2,), 5.0)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]  # an assigned grad accumulates like any other
    x.grad = None
    assert x.grad is None


def test_integer_and_bool_results_end_the_graph() -> None:
    """Only floating tensors have gradients: x.long() is a plain tensor, so a product with
    it is differentiated as a product with a constant (PyTorch: x.grad = [1, 2], not [2, 4])."""
    x = tg.tensor([1.5, 2.5], requires_grad=True)
    for made in (x.long(), x.int(), x.bool(), x.to(tg.int64), x > 2, x.argmax()):
        assert not made.requires_grad and made.grad_fn is None, made
    (x.long().float() * x).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]
    assert x.long().numpy().tolist() == [1, 2]  # no "requires grad" error


NODE_NAMES = ["x.max()", "x.min()", "x.max(1).values", "x.max(1, keepdim=True).values",
              "x.min(0).values", "x @ v", "w @ x", "v @ v", "B @ M", "x @ M", "B @ v", "v @ M"]


@pytest.mark.parametrize("expression", NODE_NAMES)
def test_node_names_match_pytorch(expression: str) -> None:
    torch = pytest.importorskip("torch")
    names = []
    for T in (tg, torch):
        scope = {"x": T.ones(3, 4, requires_grad=True), "v": T.ones(4, requires_grad=True),
                 "w": T.ones(3, requires_grad=True), "B": T.ones(2, 3, 4, requires_grad=True),
                 "M": T.ones(4, 5, requires_grad=True)}
        node = eval(expression, {}, scope).grad_fn
        names.append(node.name() if T is tg else type(node).__name__)
    assert names[0] == names[1]
