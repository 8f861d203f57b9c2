"""The Tensor op suite: every op of issue 3, on every device, against NumPy and PyTorch.

One suite parametrized over devices (`cpu`, plus `cuda` -- marked `gpu`, run on the CUDA
simulator without a GPU -- when `kernels.cuda` imports). Hypothesis draws shapes (size-0 and
size-1 dims included), broadcasting pairs and memory layouts (transposed, strided, offset and
expanded views: see tests/strategies.py). Three oracles: forward values against NumPy; forward
values and gradients against PyTorch (skipped when it is not installed); and gradients by
`tinygrad_edu.autograd.gradcheck` in float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import strategies as S
from helpers import DEVICES, cuda_imports
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.autograd import gradcheck

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None


on_devices = pytest.mark.parametrize("device", DEVICES)
EXAMPLES = {"cpu": 8, "cuda": 2}  # Hypothesis examples per test and device
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


def examples(device: str, factor: int = 1) -> Callable:
    """Decorate a `check(data)` into a Hypothesis test with the device's number of examples
    (times `factor`, for cheap tests with many cases, like indexing keys).

    (A per-device count needs the decorator inside the parametrized test: the CUDA simulator
    runs each GPU thread as a Python thread, so it gets few, tiny examples.)
    """
    def decorate(check: Callable) -> Callable:
        return settings(max_examples=EXAMPLES[device] * factor, deadline=None, derandomize=True,
                        database=None, suppress_health_check=[
                            HealthCheck.too_slow, HealthCheck.filter_too_much,
                            HealthCheck.data_too_large])(given(data=st.data())(check))
    return decorate


def max_side(device: str) -> int:
    """Tiny shapes on the CUDA simulator, where each GPU thread is a Python thread."""
    return 2 if device == "cuda" else 4


# ---------------------------------------------------------------------------- comparing


def as_numpy(x: Any) -> np.ndarray:
    """A tinygrad_edu or torch tensor (any device), or anything array-like, as NumPy."""
    if hasattr(x, "detach"):
        return np.asarray(x.detach().cpu().numpy())
    return np.asarray(x)


def dtype_name(x: Any) -> str:
    """'float32' for a tensor, an array or a dtype of either library."""
    return str(getattr(x, "dtype", x)).split(".")[-1]


def assert_close(got: Any, expected: Any, what: str, tol: float | None = None) -> None:
    """Same shape; floats close (nan == nan, inf == inf), everything else equal."""
    got, expected = as_numpy(got), as_numpy(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs expected {expected.shape}"
    if got.dtype.kind == "f" or expected.dtype.kind == "f":
        if tol is None:
            tol = 1e-5 if np.float32 in (got.dtype, expected.dtype) else 1e-9
        got64, expected64 = got.astype(np.float64), expected.astype(np.float64)
        close = np.isclose(got64, expected64, rtol=tol, atol=tol, equal_nan=True)
        if not close.all():
            error = np.nanmax(np.abs(got64 - expected64))
            first = tuple(int(i) for i in np.argwhere(~close)[0])
            raise AssertionError(f"{what}: max abs error {error:.3g}, first at {first}: got "
                                 f"{got64[first]!r}, expected {expected64[first]!r}")
    else:
        same = got == expected
        assert np.all(same), (f"{what}: {int(np.size(same) - np.sum(same))} elements differ:\n"
                              f"got {got!r}\nexpected {expected!r}")


def upstream(shape: tuple) -> np.ndarray:
    """A fixed, non-uniform gradient to feed backward: distinct values catch mixed-up slots."""
    n = math.prod(shape)
    return (np.cos(np.arange(n) * 1.3) + 0.25).reshape(shape)


def compare_with_torch(fn: Callable, arrays: list, layouts: list, device: str, what: str,
                       tol: float = 1e-8) -> None:
    """fn(lib, *views) in float64 with both libraries: forward values, dtype, and the
    gradients of every leaf (through the views) for a fixed upstream gradient."""
    if torch is None:
        return
    results = {}
    for lib, dev in ((tg, device), (torch, "cpu")):
        built = [S.build(lib, a, layout, requires_grad=True, device=dev, dtype=lib.float64)
                 for a, layout in zip(arrays, layouts)]
        out = fn(lib, *[view for _, view in built])
        if out.requires_grad:
            out.backward(lib.tensor(upstream(tuple(out.shape)), dtype=out.dtype).to(dev))
        results[lib.__name__] = (out, [leaf.grad for leaf, _ in built])
    (out, grads), (expected, expected_grads) = results["tinygrad_edu"], results["torch"]
    assert dtype_name(out) == dtype_name(expected), (
        f"{what}: dtype {out.dtype} vs torch {expected.dtype}")
    assert_close(out, expected, f"{what}: forward vs torch", tol)
    for k, (grad, expected_grad) in enumerate(zip(grads, expected_grads)):
        if expected_grad is None and grad is None:
            continue
        shape = tuple((expected_grad if expected_grad is not None else grad).shape)
        grad = np.zeros(shape) if grad is None else grad
        expected_grad = np.zeros(shape) if expected_grad is None else expected_grad
        assert_close(grad, expected_grad, f"{what}: gradient of input {k} vs torch", tol)


def gradcheck_views(fn: Callable, arrays: list, layouts: list, what: str) -> None:
    """autograd.gradcheck (float64 central differences) of fn applied to views of leaves."""
    built = [S.build(tg, a, layout, requires_grad=True, dtype=tg.float64)
             for a, layout in zip(arrays, layouts)]
    leaves = [leaf for leaf, _ in built]

    def through_views(*leaves: Any) -> Any:
        views = [S.build_view_of(leaf, a.shape, layout)
                 for leaf, a, layout in zip(leaves, arrays, layouts)]
        return fn(tg, *views)

    try:
        assert gradcheck(through_views, leaves, eps=1e-6, atol=1e-5, rtol=1e-4)
    except tg.autograd.GradcheckError as error:
        raise AssertionError(f"{what}: {error}") from None


# ---------------------------------------------------------------------------- unary math

UNARY = {  # name: (NumPy definition, domain of the drawn values)
    "abs": (np.abs, "any"),
    "exp": (np.exp, "any"),
    "log": (np.log, "positive"),
    "log1p": (np.log1p, "positive"),
    "sqrt": (np.sqrt, "positive"),
    "rsqrt": (lambda x: 1 / np.sqrt(x), "positive"),
    "sin": (np.sin, "any"),
    "cos": (np.cos, "any"),
    "tanh": (np.tanh, "any"),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), "any"),
    "relu": (lambda x: np.maximum(x, 0), "any"),
    "neg": (np.negative, "any"),
    "sign": (np.sign, "any"),
    "reciprocal": (lambda x: 1 / x, "nonzero"),
    "square": (np.square, "any"),
}


def in_domain(array: np.ndarray, domain: str) -> np.ndarray:
    """Move drawn values into an op's domain: positive [0.25, ...), or away from zero."""
    if domain == "positive":
        return np.abs(array) + 0.25
    if domain == "nonzero":
        return np.where(array < 0, -1.0, 1.0) * (np.abs(array) + 0.25)
    return array


@st.composite
def unary_case(draw: Any, device: str, min_dims: int = 0) -> tuple:
    shape = draw(S.shapes(min_dims=min_dims, max_side=max_side(device)))
    return draw(S.values(shape)), draw(S.layouts()), draw(st.sampled_from(["float32",
                                                                            "float64"]))


@on_devices
@pytest.mark.parametrize("name", list(UNARY))
def test_unary(device: str, name: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        reference, domain = UNARY[name]
        array, layout, dtype = data.draw(unary_case(device))
        array = in_domain(array, domain)
        _, x = S.build(tg, array.astype(dtype), layout, device=device)
        method = getattr(x, name)()
        function = getattr(tg, name)(x)
        expected = reference(S.layout_values(array, layout).astype(dtype))
        what = f"{name} {layout} {array.shape} {dtype} on {device}"
        assert dtype_name(method) == dtype, f"{what}: dtype {method.dtype}"
        assert_close(method, expected, f"{what}: x.{name}() vs NumPy")
        assert_close(function, expected, f"{what}: tinygrad_edu.{name}(x) vs NumPy")
        compare_with_torch(lambda lib, v: getattr(v, name)(), [array], [layout], device, what)

    check()


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_gradcheck(name: str) -> None:
    _, domain = UNARY[name]
    array = in_domain(np.array([[0.7, -1.3, 0.4], [1.9, -0.6, 2.2]]), domain)
    for layout in ("contiguous", "transposed", "offset", "expanded"):
        gradcheck_views(lambda lib, v: getattr(v, name)(), [array], [layout],
                        f"{name} {layout}")


@pytest.mark.gpu
@pytest.mark.skipif(len(DEVICES) == 1, reason="kernels.cuda does not import")
def test_unary_and_binary_gradients_on_cuda_equal_cpu() -> None:
    """Fixed, non-empty inputs (the Hypothesis tests give the slow simulator only a couple of
    tiny draws): every unary and binary op's value and gradients on cuda equal the CPU's,
    which gradcheck pins down above."""
    a = np.array([[0.7, -1.3, 0.4], [1.9, -0.6, 2.2]])
    b = np.array([0.5, 1.1, -0.8])
    cases = [(name, lambda lib, x, y, name=name: getattr(x, name)(), UNARY[name][1], "any")
             for name in UNARY]
    cases += [(name, call, domain_a, domain_b)
              for name, (call, _, domain_a, domain_b) in BINARY.items()]
    for name, call, domain_a, domain_b in cases:
        results = []
        for device in ("cpu", "cuda"):
            x = tg.tensor(in_domain(a, domain_a), requires_grad=True, device=device)
            y = tg.tensor(in_domain(b, domain_b), requires_grad=True, device=device)
            out = call(tg, x.t(), y[:, None]) if name not in UNARY else call(tg, x.t(), y)
            out.backward(tg.ones(out.shape, dtype=out.dtype, device=device) * 0.5)
            results.append([t.detach().cpu().numpy() if t is not None else None
                            for t in (out, x.grad, y.grad)])
        for what, on_cpu, on_cuda in zip(("value", "grad of a", "grad of b"), *results):
            if on_cpu is None or on_cuda is None:
                assert on_cpu is None and on_cuda is None, f"{name}: {what} on one device only"
                continue
            assert_close(on_cuda, on_cpu, f"{name} {what}: cuda vs cpu", 1e-6)


def test_unary_on_integers_follows_pytorch() -> None:
    x = tg.tensor([[5, -7, 0], [3, 2, -1]])
    for name in ("exp", "log", "sqrt", "sin", "tanh", "sigmoid", "reciprocal"):
        assert getattr(x, name)().dtype is tg.float32, f"{name}(int64) should be float32"
    for name, expected in [("abs", [[5, 7, 0], [3, 2, 1]]), ("neg", [[-5, 7, 0], [-3, -2, 1]]),
                           ("sign", [[1, -1, 0], [1, 1, -1]]), ("relu", [[5, 0, 0], [3, 2, 0]])]:
        result = getattr(x, name)()
        assert result.dtype is tg.int64, f"{name}(int64) gave {result.dtype}"
        assert_close(result, np.array(expected), f"{name} of int64")


# ---------------------------------------------------------------------------- binary math

BINARY = {  # name: (how to call it, NumPy definition, domain of a, domain of b)
    "add": (lambda lib, a, b: a + b, np.add, "any", "any"),
    "sub": (lambda lib, a, b: a - b, np.subtract, "any", "any"),
    "mul": (lambda lib, a, b: a * b, np.multiply, "any", "any"),
    "div": (lambda lib, a, b: a / b, np.divide, "any", "nonzero"),
    "pow": (lambda lib, a, b: a ** b, np.power, "positive", "any"),
    "maximum": (lambda lib, a, b: lib.maximum(a, b), np.maximum, "any", "any"),
    "minimum": (lambda lib, a, b: lib.minimum(a, b), np.minimum, "any", "any"),
    "where": (lambda lib, a, b: lib.where(a > b, a, b), lambda a, b: np.where(a > b, a, b),
              "any", "any"),
    "method_add": (lambda lib, a, b: a.add(b, alpha=2), lambda a, b: a + 2 * b, "any", "any"),
    "method_sub": (lambda lib, a, b: a.sub(b), np.subtract, "any", "any"),
    "method_mul": (lambda lib, a, b: a.mul(b), np.multiply, "any", "any"),
    "method_div": (lambda lib, a, b: a.div(b), np.divide, "any", "nonzero"),
    "method_pow": (lambda lib, a, b: a.pow(b), np.power, "positive", "any"),
}
NO_GRAD_BINARY = {  # results without a gradient: floor division, remainder, comparisons
    "floor_divide": (lambda lib, a, b: a // b, np.floor_divide),
    "remainder": (lambda lib, a, b: a % b, np.remainder),
    "eq": (lambda lib, a, b: a == b, np.equal),
    "ne": (lambda lib, a, b: a != b, np.not_equal),
    "lt": (lambda lib, a, b: a < b, np.less),
    "le": (lambda lib, a, b: a <= b, np.less_equal),
    "gt": (lambda lib, a, b: a > b, np.greater),
    "ge": (lambda lib, a, b: a >= b, np.greater_equal),
}


@st.composite
def binary_case(draw: Any, device: str, grid: bool = False) -> tuple:
    shape_a, shape_b = draw(S.broadcast_pairs(max_side=max_side(device)))
    if grid:  # values on a grid of quarters: exact floor division, frequent ties
        make = lambda shape: S.tie_values(shape)  # noqa: E731
    else:
        make = S.values
    return (draw(make(shape_a)), draw(make(shape_b)), draw(S.layouts()), draw(S.layouts()))


@on_devices
@pytest.mark.parametrize("name", list(BINARY))
def test_binary(device: str, name: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        call, reference, domain_a, domain_b = BINARY[name]
        a, b, layout_a, layout_b = data.draw(binary_case(device))
        a, b = in_domain(a, domain_a), in_domain(b, domain_b)
        _, x = S.build(tg, a, layout_a, device=device)
        _, y = S.build(tg, b, layout_b, device=device)
        what = f"{name} {layout_a} {a.shape} with {layout_b} {b.shape} on {device}"
        expected = reference(S.layout_values(a, layout_a), S.layout_values(b, layout_b))
        assert_close(call(tg, x, y), expected, f"{what}: vs NumPy")
        compare_with_torch(call, [a, b], [layout_a, layout_b], device, what)

    check()


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck(name: str) -> None:
    call, _, domain_a, domain_b = BINARY[name]
    a = in_domain(np.array([[0.7, -1.3, 0.4], [1.9, -0.6, 2.2]]), domain_a)
    b = in_domain(np.array([0.5, 1.1, -0.8]), domain_b)
    for layout in ("contiguous", "transposed", "strided"):
        gradcheck_views(call, [a, b], [layout, "offset"], f"{name} {layout} with broadcast")


@on_devices
@pytest.mark.parametrize("name", list(NO_GRAD_BINARY))
def test_binary_without_gradient(device: str, name: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        call, reference = NO_GRAD_BINARY[name]
        a, b, layout_a, layout_b = data.draw(binary_case(device, grid=True))
        if name in ("floor_divide", "remainder"):
            b = in_domain(b, "nonzero")
        _, x = S.build(tg, a, layout_a, device=device)
        _, y = S.build(tg, b, layout_b, device=device)
        result = call(tg, x, y)
        what = f"{name} {layout_a} {a.shape} with {layout_b} {b.shape} on {device}"
        expected = reference(S.layout_values(a, layout_a), S.layout_values(b, layout_b))
        assert_close(result, expected, f"{what}: vs NumPy")
        expected_dtype = "float64" if name in ("floor_divide", "remainder") else "bool"
        assert dtype_name(result) == expected_dtype, f"{what}: dtype {result.dtype}"
        compare_with_torch(lambda lib, p, q: call(lib, p.detach(), q.detach()), [a, b],
                           [layout_a, layout_b], device, what)

    check()


def test_floor_divide_and_remainder_use_exact_quotient() -> None:
    x = tg.tensor([1.0, 0.7], dtype=tg.float64)
    assert_close(x // 0.1, np.array([1.0, 0.7]) // 0.1, "float64 // 0.1")
    assert_close(x % 0.1, np.array([1.0, 0.7]) % 0.1, "float64 % 0.1")


SCALAR_FORMS = {  # the reflected and scalar forms: name -> (call, NumPy)
    "t+2": (lambda x: x + 2, lambda v: v + 2), "2+t": (lambda x: 2 + x, lambda v: 2 + v),
    "t-2.5": (lambda x: x - 2.5, lambda v: v - 2.5), "2-t": (lambda x: 2 - x, lambda v: 2 - v),
    "t*-3": (lambda x: x * -3, lambda v: v * -3), "3*t": (lambda x: 3 * x, lambda v: 3 * v),
    "t/4": (lambda x: x / 4, lambda v: v / 4), "4/t": (lambda x: 4 / x, lambda v: 4 / v),
    "t**2": (lambda x: x ** 2, lambda v: v ** 2), "2**t": (lambda x: 2 ** x, lambda v: 2 ** v),
    "t//0.5": (lambda x: x // 0.5, lambda v: v // 0.5),
    "3//t": (lambda x: 3 // x, lambda v: 3 // v), "t%0.75": (lambda x: x % 0.75,
                                                              lambda v: v % 0.75),
    "5%t": (lambda x: 5 % x, lambda v: 5 % v), "-t": (lambda x: -x, lambda v: -v),
    "abs(t)": (lambda x: abs(x), np.abs), "t>0": (lambda x: x > 0, lambda v: v > 0),
    "0.5<=t": (lambda x: 0.5 <= x, lambda v: 0.5 <= v), "t==0.5": (lambda x: x == 0.5,
                                                                   lambda v: v == 0.5),
}


@on_devices
@pytest.mark.parametrize("name", list(SCALAR_FORMS))
def test_scalar_and_reflected_forms(device: str, name: str) -> None:
    call, reference = SCALAR_FORMS[name]
    values = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -0.75]])
    for dtype in ("float32", "float64"):
        x = tg.tensor(values, dtype=getattr(tg, dtype), device=device)
        expected = reference(values.astype(dtype))
        result = call(x)
        assert_close(result, expected, f"{name} on {dtype} {device}")
        assert dtype_name(result) == str(np.asarray(expected).dtype), (
            f"{name} on {dtype}: dtype {result.dtype} vs {np.asarray(expected).dtype}")
    differentiable = name in ("t+2", "2+t", "t-2.5", "2-t", "t*-3", "3*t", "t/4", "4/t",
                              "t**2", "2**t", "-t", "abs(t)")
    compare_with_torch(lambda lib, v: call(v if differentiable else v.detach()), [values],
                       ["transposed"], device, name)


INPLACE = {  # name: (in-place call, NumPy of the same)
    "add_": (lambda x, y: x.add_(y), lambda a, b: a + b),
    "add_alpha": (lambda x, y: x.add_(y, alpha=-0.5), lambda a, b: a - 0.5 * b),
    "sub_": (lambda x, y: x.sub_(y), lambda a, b: a - b),
    "mul_": (lambda x, y: x.mul_(y), lambda a, b: a * b),
    "div_": (lambda x, y: x.div_(y), lambda a, b: a / b),
    "pow_": (lambda x, y: x.pow_(y), lambda a, b: a ** b),
    "+=": (lambda x, y: _iadd(x, y), lambda a, b: a + b),
    "-=": (lambda x, y: _isub(x, y), lambda a, b: a - b),
    "*=": (lambda x, y: _imul(x, y), lambda a, b: a * b),
    "/=": (lambda x, y: _idiv(x, y), lambda a, b: a / b),
    "copy_": (lambda x, y: x.copy_(y), lambda a, b: np.broadcast_to(b, a.shape)),
    "clamp_": (lambda x, y: x.clamp_(-0.5, 0.5), lambda a, b: np.clip(a, -0.5, 0.5)),
    "masked_fill_": (lambda x, y: x.masked_fill_(y > 0, 9.0), lambda a, b: np.where(b > 0, 9.0,
                                                                                       a)),
}


def _iadd(x: Any, y: Any) -> Any:
    x += y
    return x


def _isub(x: Any, y: Any) -> Any:
    x -= y
    return x


def _imul(x: Any, y: Any) -> Any:
    x *= y
    return x


def _idiv(x: Any, y: Any) -> Any:
    x /= y
    return x


@on_devices
@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_writes_through_views(device: str, name: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        call, reference = INPLACE[name]
        out_shape, b_shape = data.draw(S.broadcast_pairs(min_dims=1, max_side=max_side(device)))
        out_shape = np.broadcast_shapes(out_shape, b_shape)
        a = in_domain(data.draw(S.values(out_shape)), "positive" if name == "pow_" else "any")
        b = in_domain(data.draw(S.values(b_shape)), "nonzero")
        layout = data.draw(st.sampled_from(["contiguous", "transposed", "strided", "offset"]))
        leaf, x = S.build(tg, a, layout, device=device)
        _, y = S.build(tg, b, "contiguous", device=device)
        version = x._version
        result = call(x, y)
        expected = reference(a, b)
        what = f"{name} on a {layout} view {out_shape} with {b_shape} on {device}"
        assert result is x, f"{what}: should return the tensor itself"
        assert x._version > version, f"{what}: version counter not bumped"
        assert_close(x, expected, f"{what}: the view")
        assert_close(S.build_view_of(leaf, a.shape, layout), expected,
                     f"{what}: the base (writes must go through the view)")

    check()


def test_inplace_refuses_a_float_result_in_an_int_tensor() -> None:
    x = tg.ones(2, dtype=tg.long)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        x /= 2
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 2.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        tg.ones(3).add_(tg.ones(2, 3))


@on_devices
def test_clamp_where_masked_fill(device: str) -> None:
    values = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -0.75]])
    x = tg.tensor(values, device=device)
    assert_close(x.clamp(-1, 2), np.clip(values, -1, 2), "clamp(-1, 2)")
    assert_close(x.clamp(min=0.3), np.maximum(values, 0.3), "clamp(min=0.3)")
    assert_close(x.clamp(max=0.3), np.minimum(values, 0.3), "clamp(max=0.3)")
    assert_close(tg.clamp(x, -0.5, 0.5), np.clip(values, -0.5, 0.5), "tinygrad_edu.clamp")
    assert_close(tg.where(x > 0, x, 0.0), np.where(values > 0, values, 0), "where(c, x, 0.)")
    assert_close(tg.where(x > 0, 1.0, 0.0), (values > 0).astype(np.float32), "where(c, 1., 0.)")
    mask = tg.tensor([True, False, True], device=device)
    assert_close(x.masked_fill(mask, -9), np.where([True, False, True], -9, values),
                 "masked_fill with a broadcast mask")
    assert_close(x.sign(), np.sign(values), "sign")
    with pytest.raises(RuntimeError, match="min"):
        x.clamp()


def test_clamp_promotes_like_pytorch() -> None:
    result = tg.tensor([5, -7, 0]).clamp(-1.5, 2)
    assert result.dtype is tg.float32, f"dtype {result.dtype}, torch gives float32"
    assert_close(result, np.array([2.0, -1.5, 0.0]), "int clamp(-1.5, 2)")


def test_integer_trunc_division_stays_integer() -> None:
    result = tg.tensor([5, -7]).div(2, rounding_mode="trunc")
    assert result.dtype is tg.int64, f"dtype {result.dtype}, torch gives int64"
    assert_close(result, np.array([2, -3]), "trunc division")


def test_clamp_propagates_nan() -> None:
    nan = float("nan")
    assert_close(tg.tensor([nan, 1.0]).clamp(0, 0.5), [np.nan, 0.5], "clamp of nan")
    cases = {  # the bound may be a number or a tensor (nan in the bound propagates too)
        "clamp(0, 0.5)": lambda lib, v: v.clamp(0, 0.5),
        "clamp(min=0)": lambda lib, v: v.clamp(min=0.0),
        "clamp(max=0)": lambda lib, v: lib.clamp(v, max=0.0),
        "clamp(tensor min)": lambda lib, v: v.clamp(min=lib.tensor([nan, 0.0, 0.0, -1.0],
                                                                   dtype=lib.float64)),
    }
    values = np.array([nan, -2.0, 0.5, 3.0])  # 0.5: a tie with max, the gradient passes
    for what, call in cases.items():
        compare_with_torch(call, [values], ["contiguous"], "cpu", what)


def test_relu_propagates_nan() -> None:
    from kernels import ops
    from kernels.reference import ReferenceBackend
    from kernels.strided import Strided
    values = np.array([np.nan, -1.0, 0.0, 2.0], dtype=np.float32)
    expected = [np.nan, 0.0, 0.0, 2.0]
    assert_close(tg.tensor(values).relu(), expected, "relu (contiguous cpu kernel)")
    assert_close(tg.tensor(values).expand(2, 4).t().relu(), np.array([expected] * 2).T,
                 "relu (strided cpu kernel)")
    out = np.empty(4, dtype=np.float32)
    ReferenceBackend().map(ops.RELU, Strided(values, (4,), (1,), 0),
                           Strided(out, (4,), (1,), 0))
    assert_close(out, expected, "relu (reference backend)")


def test_sign_of_nan_and_negative_zero() -> None:
    result = tg.tensor([float("nan"), -0.0, -2.0]).sign()
    assert repr(result) == "tensor([ 0.,  0., -1.])", f"sign: {result!r}"
    strided = tg.tensor([float("nan"), -0.0, -2.0]).expand(2, 3).t().sign()
    assert repr(strided[:, 0]) == "tensor([ 0.,  0., -1.])", f"strided sign: {strided!r}"
    assert_close(tg.tensor([-3, 0, 5]).sign(), np.array([-1, 0, 1]), "sign of int64")


def test_bitwise_operators_on_integers() -> None:
    a, b = tg.tensor([3, 1, 6]), tg.tensor([1, 1, 3])
    assert_close(a & b, np.array([1, 1, 2]), "int &")
    assert_close(a | b, np.array([3, 1, 7]), "int |")
    assert_close(a ^ b, np.array([2, 0, 5]), "int ^")
    if torch is None:
        return
    cases = {  # (tinygrad_edu result, torch result)
        "int & scalar": lambda lib: lib.tensor([3, 1, 6]) & 1,
        "scalar | int": lambda lib: 4 | lib.tensor([3, 1, 6]),
        "broadcast ^": lambda lib: lib.tensor([[3], [5]]) ^ lib.tensor([1, 6]),
        "~int": lambda lib: ~lib.tensor([3, 0, -7]),
        "~uint8": lambda lib: ~lib.tensor([3, 0, 255], dtype=lib.uint8),
        "int8 & int64 promotes": lambda lib: lib.tensor([-1], dtype=lib.int8) & lib.tensor([6]),
        "bool & stays logical": lambda lib: lib.tensor([True, False]) & lib.tensor([True, True]),
        "bool ^ bool": lambda lib: lib.tensor([True, False]) ^ lib.tensor([True, True]),
        "~bool": lambda lib: ~lib.tensor([True, False]),
        "bool | int is int": lambda lib: lib.tensor([True, False]) | lib.tensor([2, 4]),
    }
    for what, call in cases.items():
        got, expected = call(tg), call(torch)
        assert dtype_name(got) == dtype_name(expected), f"{what}: dtype {got.dtype}"
        assert_close(got, expected, what)
    with pytest.raises(RuntimeError, match="bitwise_and"):
        tg.tensor([1.0]) & 1
    with pytest.raises(RuntimeError, match="bitwise_not"):
        ~tg.tensor([1.0])


def test_integer_division_by_zero_raises() -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tg.tensor([2]) // 0
    with pytest.raises(RuntimeError, match="negative integer powers"):
        tg.tensor([2]) ** -1
    for divide in (lambda: tg.tensor([2, 3]) % tg.tensor([1, 0]),
                   lambda: tg.tensor([4]).div(tg.tensor([0]), rounding_mode="trunc"),
                   lambda: tg.tensor([4]).div(0, rounding_mode="floor"),
                   lambda: 7 // tg.tensor([[1], [0]]),
                   lambda: tg.tensor([4], dtype=tg.uint8).remainder(0)):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            divide()
    # what stays allowed, as in PyTorch: floats, non-zero divisors, int ** non-negative ints
    assert_close(tg.tensor([4.0]) // 0, [np.inf], "float // 0")
    assert_close(tg.tensor([4]) / 0, [np.inf], "int / 0 is a true (float) division")
    assert_close(tg.tensor([5, -7]) % tg.tensor([3, 2]), np.array([2, 1]), "int % tensor")
    assert_close(tg.tensor([2]) ** 0, np.array([1]), "int ** 0")
    assert_close(tg.tensor([2]) ** -1.0, [0.5], "int ** negative float is float")
    assert_close(tg.tensor([4.0]) ** -1, [0.25], "float ** negative int")


def test_remainder_has_pytorch_gradient() -> None:
    """d(a % b)/da = 1, d(a % b)/db = -floor(a / b); values stay the exact remainder."""
    a = np.array([[5.5, -7.0, 2.25], [-0.75, 3.0, 9.5]])
    b = np.array([2.0, -1.5, 0.5])
    for layout in ("contiguous", "transposed", "offset"):
        compare_with_torch(lambda lib, p, q: p % q, [a, b], [layout, "contiguous"], "cpu",
                           f"a % b ({layout})")
        compare_with_torch(lambda lib, p, q: p.remainder(2.5) * (q % 1.25), [a, b],
                           [layout, "strided"], "cpu", f"a % 2.5 * (b % 1.25) ({layout})")
        gradcheck_views(lambda lib, p, q: p % q, [a + 0.1, b], [layout, "offset"],
                        f"gradcheck a % b ({layout})")
    x = tg.tensor([1.0, 0.7], dtype=tg.float64, requires_grad=True)
    assert_close(x % 0.1, np.array([1.0, 0.7]) % 0.1, "exact value with a gradient")
    x = tg.tensor([3.0, -3.0], requires_grad=True)
    result = x % float("inf")  # t = a - q * b is not finite here: no nan leaks in
    assert_close(result, [3.0, np.inf], "a % inf")


def test_rounding_modes() -> None:
    x = tg.tensor([5.5, -7.0, 2.0])
    assert_close(x.div(2, rounding_mode="floor"), np.floor(np.array([5.5, -7.0, 2.0]) / 2),
                 "floor division")
    assert_close(x.div(2, rounding_mode="trunc"), np.trunc(np.array([5.5, -7.0, 2.0]) / 2),
                 "trunc division")
    assert_close(tg.tensor([5, -7]) // 2, np.array([2, -4]), "int floor division")
    assert_close(tg.tensor([5, -7]) % 3, np.array([2, 2]), "int remainder takes b's sign")
    assert_close(tg.tensor([5, -7]) % -3, np.array([-1, -1]), "int remainder, negative b")


# ---------------------------------------------------------------------------- reductions


def _np_reduce(name: str, values: np.ndarray, axes: tuple, keepdim: bool) -> np.ndarray:
    kwargs = {"axis": axes, "keepdims": keepdim}
    if name == "sum":
        return np.sum(values, **kwargs)
    if name == "mean":
        return np.mean(values, **kwargs)
    if name == "prod":
        return np.prod(values, **kwargs)
    if name in ("amax", "max"):
        return np.max(values, **kwargs)
    if name in ("amin", "min"):
        return np.min(values, **kwargs)
    if name == "var":
        return np.var(values, ddof=1, **kwargs)
    if name == "std":
        return np.std(values, ddof=1, **kwargs)
    if name == "norm":
        return np.sqrt(np.sum(values * values, **kwargs))
    if name == "logsumexp":
        shift = np.max(values, axis=axes, keepdims=True) if values.size else 0
        total = np.log(np.sum(np.exp(values - shift), axis=axes, keepdims=True)) + shift
        return total if keepdim else np.squeeze(total, axis=axes)
    if name == "any":
        return np.any(values != 0, **kwargs)
    return np.all(values != 0, **kwargs)


REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "norm",
              "logsumexp", "any", "all"]


def _call_reduction(lib: Any, name: str, x: Any, dim: Any, keepdim: bool) -> Any:
    if name == "norm" and lib is torch:  # torch.norm takes at most 2 dims
        return torch.linalg.vector_norm(x, dim=dim, keepdim=keepdim)
    if name == "norm":
        return x.norm(dim=dim, keepdim=keepdim)
    if name in ("max", "min") and dim is None:
        return getattr(x, name)()
    if name in ("max", "min"):
        return getattr(x, name)(dim, keepdim=keepdim).values
    if name == "prod" and dim is None:
        return x.prod()
    return getattr(x, name)(dim=dim, keepdim=keepdim)


def _axes(dim: Any, ndim: int) -> tuple:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else dim
    return tuple(sorted({d % ndim for d in dims})) if ndim else ()


@on_devices
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction(device: str, name: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(max_side=max_side(device)))
        dim = data.draw(S.reduce_dims(shape))
        if name in ("max", "min", "prod", "logsumexp") and isinstance(dim, tuple):
            dim = dim[0]  # PyTorch: one dim for max(dim) and prod(dim); logsumexp needs a dim
        if name == "logsumexp" and dim is None:
            dim = 0
        keepdim = data.draw(st.booleans())
        axes = _axes(dim, len(shape))
        reduced = math.prod(shape[a] for a in axes)
        if name in ("amax", "amin", "max", "min"):
            assume(reduced > 0)  # an error case, tested on its own
        values = data.draw(S.tie_values(shape) if data.draw(st.booleans()) else S.values(shape))
        layout = data.draw(S.layouts())
        leaf, x = S.build(tg, values, layout, device=device)
        what = f"{name}(dim={dim}, keepdim={keepdim}) of {layout} {shape} on {device}"
        result = _call_reduction(tg, name, x, dim, keepdim)
        keep = keepdim and not (name in ("max", "min", "prod") and dim is None)
        expected = _np_reduce(name, S.layout_values(values, layout), axes, keep)
        assert_close(result, expected, f"{what}: vs NumPy")
        differentiable = name not in ("any", "all")
        if name in ("var", "std"):  # 1/(N-1) with N = 1, sqrt'(0): nan in torch and here
            differentiable = reduced > 1 and np.all(np.abs(as_numpy(result)) > 1e-3)
        if differentiable:
            compare_with_torch(lambda lib, v: _call_reduction(lib, name, v, dim, keepdim),
                               [values], [layout], device, what)

    check()


@pytest.mark.parametrize("name", [n for n in REDUCTIONS if n not in ("any", "all")])
def test_reduction_gradcheck(name: str) -> None:
    values = np.array([[0.7, -1.3, 0.4, 1.1], [1.9, -0.6, 2.2, 0.3], [0.8, 1.2, -0.9, 1.6]])
    for dim, keepdim in [(None, False), (1, True), (0, False), ((0, 1), True)]:
        if name in ("max", "min", "prod", "logsumexp") and isinstance(dim, tuple):
            continue
        if name == "logsumexp" and dim is None:
            continue
        for layout in ("contiguous", "transposed"):
            gradcheck_views(lambda lib, v, d=dim, k=keepdim: _call_reduction(lib, name, v, d, k),
                            [values], [layout], f"{name} dim={dim} keepdim={keepdim} {layout}")


def test_prod_gradient_with_zeros() -> None:
    x = tg.tensor([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [2.0, -3.0, 1.0]], requires_grad=True)
    x.prod(1).sum().backward()
    expected = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [-3.0, 2.0, -6.0]])
    assert_close(x.grad, expected, "gradient of prod(1) with zeros")


def test_norm_gradient_at_zero() -> None:
    x = tg.zeros(3, dtype=tg.float64, requires_grad=True)
    x.norm().backward()
    assert_close(x.grad, np.zeros(3), "gradient of norm at 0")


@on_devices
def test_max_min_with_dim_values_and_indices(device: str) -> None:
    values = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0]])
    x = tg.tensor(values, device=device)
    result = x.max(1)
    assert_close(result.values, [3.0, 2.0], "max(1).values")
    assert_close(result.indices, [1, 0], "max(1).indices: first of the ties")
    values_k, indices_k = x.min(0, keepdim=True)
    assert_close(values_k, [[1.0, 2.0, -1.0, 0.0]], "min(0, keepdim=True).values")
    assert_close(indices_k, [[0, 1, 1, 0]], "min(0, keepdim=True).indices")
    assert_close(x.argmax(), 1, "argmax over all (flattened)")
    assert_close(x.argmin(), 6, "argmin over all")
    assert_close(x.argmax(1, keepdim=True), [[1], [0]], "argmax(1, keepdim=True)")
    assert_close(x.argmin(-1), [3, 2], "argmin(-1)")
    assert_close(tg.max(x, tg.zeros(4, device=device)), np.maximum(values, 0), "max(x, other)")
    assert x.argmax().dtype is tg.int64, "argmax gives int64"


@on_devices
def test_argmax_argmin_ties_match_numpy(device: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(min_dims=1, min_side=1, max_side=max_side(device)))
        values = data.draw(S.tie_values(shape))
        layout = data.draw(S.layouts())
        _, x = S.build(tg, values, layout, device=device)
        plain = S.layout_values(values, layout)
        dim = data.draw(st.integers(-len(shape), len(shape) - 1))
        what = f"{layout} {shape} dim={dim} on {device}"
        assert_close(x.argmax(dim), np.argmax(plain, axis=dim), f"argmax {what}")
        assert_close(x.argmin(dim), np.argmin(plain, axis=dim), f"argmin {what}")
        assert_close(x.max(dim).indices, np.argmax(plain, axis=dim), f"max(dim).indices {what}")
        assert_close(x.argmax(), np.argmax(plain), f"argmax() {what}")

    check()


def test_reduction_errors_and_empty_cases() -> None:
    empty = tg.zeros(2, 0)
    assert_close(empty.sum(1), [0.0, 0.0], "sum over an empty dim")
    assert_close(empty.prod(1), [1.0, 1.0], "prod over an empty dim")
    assert np.isnan(as_numpy(empty.mean())).all(), "mean of nothing is nan"
    with pytest.raises((IndexError, RuntimeError), match="numel|non-zero|empty"):
        empty.amax()
    with pytest.raises(IndexError, match="non-zero size"):
        empty.max(1)
    with pytest.raises(RuntimeError, match="mean"):
        tg.tensor([1, 2]).mean()
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.ones(2, 3).sum(2)
    assert tg.tensor([True, True]).sum().dtype is tg.int64, "bool sum is int64"
    assert tg.ones(2, dtype=tg.int32).sum().dtype is tg.int64, "int32 sum is int64"


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_imports(), reason="kernels.cuda does not import")
def test_any_of_an_empty_cuda_tensor() -> None:
    assert_close(tg.zeros(0, device="cuda").any(), False, "any() of an empty cuda tensor")
    assert_close(tg.zeros(2, 0, device="cuda").any(1), [False, False], "any(1) of (2, 0)")


def test_logsumexp_over_an_empty_dim() -> None:
    assert_close(tg.zeros(0, 2).logsumexp(0), np.full(2, -np.inf), "logsumexp(0) of (0, 2)")


def test_amax_over_a_nonempty_dim_of_an_empty_tensor() -> None:
    assert tuple(tg.zeros(0, 3).amax(1).shape) == (0,), "amax(1) of a (0, 3) tensor"


def test_norm_p0_counts_nonzeros() -> None:
    assert_close(tg.tensor([1.0, 0.0, 2.0]).norm(0), 2.0, "norm(0)")
    values = np.array([[1.0, 0.0, -2.0], [0.0, 0.0, np.inf]])
    for dim, keepdim in ((None, False), (1, False), (0, True)):
        compare_with_torch(lambda lib, v, d=dim, k=keepdim: v.norm(0, d, k), [values],
                           ["transposed"], "cpu", f"norm(0, {dim}, {keepdim})")
    x = tg.tensor([1.0, 0.0, 2.0], requires_grad=True)
    x.norm(0).backward()  # PyTorch leaves x.grad None (an undefined gradient); 0 here
    assert_close(x.grad, np.zeros(3), "gradient of norm(0)")


# ---------------------------------------------------------------------------- matmul family


@st.composite
def matmul_shapes(draw: Any, device: str) -> tuple:
    side = st.integers(0, max_side(device))
    n, k, m = draw(side), draw(side), draw(side)
    batch_a, batch_b = draw(S.broadcast_pairs(max_dims=2, max_side=3))
    a_shape = (k,) if draw(st.integers(0, 4)) == 0 else batch_a + (n, k)
    b_shape = (k,) if draw(st.integers(0, 4)) == 0 else batch_b + (k, m)
    return a_shape, b_shape


@on_devices
def test_matmul(device: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        a_shape, b_shape = data.draw(matmul_shapes(device))
        a, b = data.draw(S.values(a_shape)), data.draw(S.values(b_shape))
        layout_a, layout_b = data.draw(S.layouts()), data.draw(S.layouts())
        _, x = S.build(tg, a, layout_a, device=device)
        _, y = S.build(tg, b, layout_b, device=device)
        what = f"{layout_a} {a_shape} @ {layout_b} {b_shape} on {device}"
        expected = np.matmul(S.layout_values(a, layout_a), S.layout_values(b, layout_b))
        assert_close(x @ y, expected, f"{what}: @ vs NumPy")
        assert_close(tg.matmul(x, y), expected, f"{what}: matmul vs NumPy")
        compare_with_torch(lambda lib, p, q: p @ q, [a, b], [layout_a, layout_b], device, what)

    check()


@on_devices
def test_mm_bmm_mv_dot_outer(device: str) -> None:
    rng = np.random.default_rng(0)
    cases = {
        "mm": (lambda lib, p, q: lib.mm(p, q), [(3, 4), (4, 2)], np.matmul),
        "bmm": (lambda lib, p, q: p.bmm(q), [(2, 3, 4), (2, 4, 1)], np.matmul),
        "mv": (lambda lib, p, q: p.mv(q), [(3, 4), (4,)], np.matmul),
        "dot": (lambda lib, p, q: lib.dot(p, q), [(5,), (5,)], np.dot),
        "outer": (lambda lib, p, q: p.outer(q), [(3,), (2,)], np.outer),
    }
    for name, (call, shapes, reference) in cases.items():
        a, b = (rng.standard_normal(s) for s in shapes)
        pairs = [("transposed", "offset")] + ([("contiguous", "contiguous")] if device == "cpu"
                                              else [])
        for layouts in pairs:
            _, x = S.build(tg, a, layouts[0], device=device)
            _, y = S.build(tg, b, layouts[1], device=device)
            assert_close(call(tg, x, y), reference(a, b), f"{name} {layouts} on {device}")
            if device == "cpu":  # the simulator is slow: test_matmul covers cuda gradients
                compare_with_torch(call, [a, b], list(layouts), device, f"{name} {layouts}")
                gradcheck_views(call, [a, b], list(layouts), f"{name} {layouts}")


def test_matmul_errors() -> None:
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(2x3 and 2x3\)"):
        tg.ones(2, 3) @ tg.ones(2, 3)
    with pytest.raises(RuntimeError, match="same dtype"):
        tg.ones(2, 3) @ tg.ones(3, 2, dtype=tg.float64)
    with pytest.raises(RuntimeError, match="at least 1D"):
        tg.ones(()) @ tg.ones(3)
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        tg.dot(tg.ones(2, 2), tg.ones(2))
    with pytest.raises(RuntimeError, match="bmm"):
        tg.bmm(tg.ones(2, 2), tg.ones(2, 2))


# ---------------------------------------------------------------------------- softmax


@on_devices
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(device: str, name: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(min_dims=1, max_side=max_side(device)))
        values = data.draw(S.values(shape)) * data.draw(st.sampled_from([1.0, 100.0, 1e4]))
        dim = data.draw(st.integers(-len(shape), len(shape) - 1))
        layout = data.draw(S.layouts())
        _, x = S.build(tg, values, layout, device=device)
        plain = S.layout_values(values, layout)
        shifted = plain - (np.max(plain, axis=dim, keepdims=True) if plain.size else 0)
        log_total = np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        expected = np.exp(shifted - log_total) if name == "softmax" else shifted - log_total
        what = f"{name}(dim={dim}) of {layout} {shape}, |x| <= {np.abs(values).max(initial=0):g}"
        result = getattr(x, name)(dim)
        assert np.isfinite(as_numpy(result)).all(), f"{what}: not finite (unstable?)"
        assert_close(result, expected, f"{what}: vs NumPy")
        assert_close(getattr(tg, name)(x, dim), expected, f"{what}: tinygrad_edu.{name}")
        compare_with_torch(lambda lib, v: getattr(v, name)(dim), [values], [layout], device, what)

    check()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_gradcheck_and_stability(name: str) -> None:
    values = np.array([[0.7, -1.3, 0.4], [1.9, -0.6, 2.2]])
    for dim in (0, 1, -1):
        gradcheck_views(lambda lib, v, d=dim: getattr(v, name)(d), [values], ["transposed"],
                        f"{name} dim={dim}")
    huge = tg.tensor([[1000.0, 0.0, -1000.0], [1e30, 1e30, 0.0]])
    result = as_numpy(getattr(huge, name)(1))
    assert np.isfinite(result).all(), f"{name} of huge inputs: {result}"
    if torch is not None:
        expected = getattr(torch.tensor(as_numpy(huge)), name)(1)
        assert_close(result, expected, f"{name} of huge inputs vs torch")


# ---------------------------------------------------------------------------- creation


@on_devices
def test_creation_functions_match_pytorch(device: str) -> None:
    cases = {
        "tensor int": lambda L, d: L.tensor([[1, 2], [3, 4]], device=d),
        "tensor float": lambda L, d: L.tensor([1, 2.5], device=d),
        "tensor bool": lambda L, d: L.tensor([True, False], device=d),
        "tensor 0-d": lambda L, d: L.tensor(3.5, device=d),
        "tensor empty": lambda L, d: L.tensor([], device=d),
        "tensor dtype": lambda L, d: L.tensor([1, 2], dtype=L.float64, device=d),
        "tensor numpy": lambda L, d: L.tensor(np.arange(3, dtype=np.int32), device=d),
        "as_tensor": lambda L, d: L.as_tensor([1.5, 2], device=d),
        "zeros": lambda L, d: L.zeros(2, 3, device=d),
        "zeros tuple": lambda L, d: L.zeros((2, 0), device=d),
        "ones long": lambda L, d: L.ones(2, dtype=L.long, device=d),
        "full int": lambda L, d: L.full((2,), 7, device=d),
        "full float": lambda L, d: L.full((2, 1), 7.5, device=d),
        "full bool": lambda L, d: L.full((2,), True, device=d),
        "zeros_like": lambda L, d: L.zeros_like(L.ones(2, dtype=L.int32, device=d)),
        "ones_like": lambda L, d: L.ones_like(L.ones(2, 1, device=d)),
        "full_like": lambda L, d: L.full_like(L.ones(2, device=d), 3),
        "full_like int": lambda L, d: L.full_like(L.ones(2, dtype=L.long, device=d), 3.7),
        "new_ones": lambda L, d: L.ones(2, dtype=L.float64, device=d).new_ones(3),
        "new_zeros": lambda L, d: L.ones(2, dtype=L.int32, device=d).new_zeros((2, 2)),
        "new_full": lambda L, d: L.ones(2, device=d).new_full((2,), 4),
        "new_tensor": lambda L, d: L.ones(2, dtype=L.float64, device=d).new_tensor([1, 2]),
        "arange": lambda L, d: L.arange(5, device=d),
        "arange float": lambda L, d: L.arange(0, 1, 0.25, device=d),
        "arange down": lambda L, d: L.arange(5, 0, -2, device=d),
        "arange dtype": lambda L, d: L.arange(3, dtype=L.float64, device=d),
        "linspace": lambda L, d: L.linspace(0, 1, 5, device=d),
        "linspace 1": lambda L, d: L.linspace(-1, 1, 1, device=d),
        "eye": lambda L, d: L.eye(3, device=d),
        "eye rect": lambda L, d: L.eye(2, 3, dtype=L.long, device=d),
        "FloatTensor": lambda L, d: L.FloatTensor([[1, 2]]),
        "IntTensor": lambda L, d: L.IntTensor([1, 2]),
        "LongTensor": lambda L, d: L.LongTensor([1, 2]),
        "DoubleTensor": lambda L, d: L.DoubleTensor([1, 2]),
        "Tensor": lambda L, d: L.Tensor([1, 2]),
    }
    for name, make in cases.items():
        ours = make(tg, device)
        what = f"{name} on {device}"
        if torch is not None:
            expected = make(torch, "cpu")
            assert dtype_name(ours) == dtype_name(expected), (
                f"{what}: dtype {ours.dtype} vs torch {expected.dtype}")
            assert_close(ours, expected, what)
        assert str(ours.device).startswith(device) or name.endswith("Tensor"), (
            f"{what}: on {ours.device}")
    for name, make in {"empty": lambda L: L.empty(2, 3), "FloatTensor(2, 3)":
                       lambda L: L.FloatTensor(2, 3), "Tensor(2, 3)": lambda L: L.Tensor(2, 3),
                       "empty_like": lambda L: L.empty_like(L.ones(2, 3, dtype=L.float64))
                       }.items():
        ours = make(tg)
        assert tuple(ours.shape) == (2, 3), f"{name}: shape {tuple(ours.shape)}"
        assert ours.dtype in (tg.float32, tg.float64), f"{name}: dtype {ours.dtype}"


@on_devices
def test_random_creation_and_seeding(device: str) -> None:
    tg.manual_seed(3)
    first = as_numpy(tg.rand(4, 5, device=device))
    tg.manual_seed(3)
    assert_close(tg.rand(4, 5, device=device), first, "rand after manual_seed(3), twice")
    assert ((first >= 0) & (first < 1)).all(), f"rand outside [0, 1): {first}"
    normal = as_numpy(tg.randn(2000))
    assert abs(normal.mean()) < 0.1 and abs(normal.std() - 1) < 0.1, (
        f"randn: mean {normal.mean():.3f}, std {normal.std():.3f}")
    integers = tg.randint(2, 5, (100,), device=device)
    assert integers.dtype is tg.int64, f"randint dtype {integers.dtype}"
    assert set(as_numpy(integers).tolist()) <= {2, 3, 4}, "randint outside [2, 5)"
    assert sorted(as_numpy(tg.randperm(6)).tolist()) == list(range(6)), "randperm"
    generator = tg.Generator().manual_seed(1)
    again = tg.Generator().manual_seed(1)
    assert_close(tg.randn(3, generator=generator), tg.randn(3, generator=again), "Generator")
    for like in (tg.rand_like, tg.randn_like):
        result = like(tg.ones(2, 3, dtype=tg.float64))
        assert tuple(result.shape) == (2, 3) and result.dtype is tg.float64, f"{like.__name__}"
    uniform = as_numpy(tg.empty(500).uniform_(2, 3))
    assert ((uniform >= 2) & (uniform < 3)).all(), "uniform_(2, 3) outside [2, 3)"
    normal = as_numpy(tg.empty(5000).normal_(5, 2))
    assert abs(normal.mean() - 5) < 0.15 and abs(normal.std() - 2) < 0.15, "normal_(5, 2)"
    assert_close(tg.ones(3).zero_(), np.zeros(3), "zero_")
    assert_close(tg.empty(2).fill_(3.5), np.full(2, 3.5), "fill_")


@on_devices
def test_normal_and_bernoulli(device: str) -> None:
    tg.manual_seed(0)
    samples = as_numpy(tg.normal(2.0, 3.0, (20000,), device=device))
    assert abs(samples.mean() - 2) < 0.1 and abs(samples.std() - 3) < 0.1, (
        f"normal(2, 3): mean {samples.mean():.3f}, std {samples.std():.3f}")
    means = tg.tensor([[0.0], [100.0]], device=device)
    spread = tg.normal(means, tg.tensor([1e-3, 1e-3, 1e-3], device=device))  # broadcast
    assert tuple(spread.shape) == (2, 3) and spread.device == means.device
    assert np.allclose(as_numpy(spread), [[0.0] * 3, [100.0] * 3], atol=0.01), as_numpy(spread)
    assert tg.normal(tg.zeros(2, dtype=tg.float64), 1.0).dtype is tg.float64
    assert tg.normal(0.0, tg.ones(2, 3)).dtype is tg.float32
    tg.manual_seed(5)
    first = as_numpy(tg.normal(0.0, 1.0, (4,)))
    tg.manual_seed(5)
    assert_close(tg.normal(0.0, 1.0, (4,)), first, "normal after manual_seed(5), twice")
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        tg.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="all elements of std >= 0.0"):
        tg.normal(tg.zeros(2), tg.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="size"):
        tg.normal(0.0, 1.0)
    coins = tg.bernoulli(tg.full((20000,), 0.3, device=device))
    assert coins.dtype is tg.float32 and set(as_numpy(coins).tolist()) == {0.0, 1.0}
    assert abs(as_numpy(coins).mean() - 0.3) < 0.02, as_numpy(coins).mean()
    edges = tg.tensor([0.0, 1.0, 0.0, 1.0], dtype=tg.float64, device=device).bernoulli()
    assert edges.dtype is tg.float64 and as_numpy(edges).tolist() == [0.0, 1.0, 0.0, 1.0]
    assert as_numpy(tg.bernoulli(tg.ones(3), p=0.0)).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="0 <= p <= 1"):
        tg.bernoulli(tg.full((3,), 2.0))


def test_memory_format_arguments() -> None:
    x = tg.ones(2, 3).t()
    for made in (x.clone(memory_format=tg.preserve_format),
                 x.contiguous(memory_format=tg.contiguous_format),
                 tg.zeros_like(x, memory_format=tg.preserve_format),
                 tg.empty_like(x, memory_format=tg.contiguous_format),
                 tg.randn_like(x, memory_format=tg.preserve_format)):
        assert tuple(made.shape) == (3, 2) and made.is_contiguous()
    with pytest.raises(RuntimeError, match="channels_last is not supported"):
        x.clone(memory_format=tg.channels_last)
    with pytest.raises(TypeError, match="memory_format"):
        tg.ones_like(x, memory_format="preserve")
    assert repr(tg.preserve_format) == "tinygrad_edu.preserve_format"


def test_numpy_memory_sharing() -> None:
    array = np.zeros(3, dtype=np.float32)
    shared = tg.from_numpy(array)
    array[0] = 5
    shared[1] = 7
    assert_close(shared, [5.0, 7.0, 0.0], "from_numpy sees writes to the array")
    assert_close(array, [5.0, 7.0, 0.0], "the array sees writes to the tensor")
    copied = tg.tensor(array)
    array[2] = 9
    assert_close(copied, [5.0, 7.0, 0.0], "tensor() copies")
    x = tg.zeros(2, 2)
    x.numpy()[1, 1] = 4
    assert_close(x, [[0.0, 0.0], [0.0, 4.0]], ".numpy() shares memory")
    stepped = np.zeros((3, 4), dtype=np.float64)[:, ::2]
    view = tg.from_numpy(stepped)
    stepped[1, 1] = 2
    assert_close(view, stepped, "from_numpy of a strided array shares memory")
    assert tg.from_numpy(np.arange(3)).dtype is tg.int64, "from_numpy keeps int64"
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.ones(2, requires_grad=True).numpy()


def test_numpy_array_protocol() -> None:
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]]).t()
    array = np.asarray(x)  # used to be a 0-d object array
    assert array.dtype == np.float32 and array.shape == (2, 2), f"np.asarray: {array!r}"
    assert_close(array, [[1.0, 3.0], [2.0, 4.0]], "np.asarray of a transposed view")
    assert np.shares_memory(array, x.numpy()), "np.asarray shares memory, as PyTorch's"
    copied = np.array(x, dtype=np.float64)
    assert copied.dtype == np.float64 and not np.shares_memory(copied, array), "np.array copies"
    assert np.asarray(tg.tensor(3)).shape == (), "a 0-d tensor gives a 0-d array"
    assert_close(np.asarray([tg.tensor(1.0), tg.tensor(2.0)]), [1.0, 2.0], "a list of 0-d")
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(tg.ones(2, requires_grad=True))
    with pytest.raises(ValueError, match="copy=False"):
        x.__array__(np.float64, copy=False)
    scaled = np.float32(2.0) * tg.tensor([1.0, 2.0])  # NumPy defers to the Tensor's operator
    assert isinstance(scaled, tg.Tensor), f"np.float32 * Tensor gave a {type(scaled).__name__}"
    assert_close(scaled, [2.0, 4.0], "np.float32 * Tensor")


# ---------------------------------------------------------------------------- dtypes

ALL_DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8",
              "bool"]


@needs_torch
def test_promotion_table_matches_torch_result_type() -> None:
    """Every pair of dtypes, as dimensioned and 0-d tensors and Python numbers.

    A dimensioned operand is a size-0 tensor (the op runs no kernel, so the table costs no
    compilation); two 0-d operands go through the Tensor layer's promote() directly.
    """
    from tinygrad_edu.composite import promote

    def ours(a: Any, b: Any) -> str:
        if hasattr(a, "ndim") and hasattr(b, "ndim") and a.ndim == 0 and b.ndim == 0:
            return promote(a, b)[2].name
        return dtype_name(a + b)

    mismatches = []
    scalars = [2, 2.5, True]
    for name_a in ALL_DTYPES:
        for zero_dim_a in (False, True):
            ta = tg.ones((), dtype=getattr(tg, name_a)) if zero_dim_a else tg.ones(
                0, dtype=getattr(tg, name_a))
            pa = torch.ones((), dtype=getattr(torch, name_a)) if zero_dim_a else torch.ones(
                0, dtype=getattr(torch, name_a))
            others = [(getattr(tg, b), getattr(torch, b), zd) for b in ALL_DTYPES
                      for zd in (False, True)]
            for tb_dtype, pb_dtype, zero_dim_b in others:
                tb = tg.ones((), dtype=tb_dtype) if zero_dim_b else tg.ones(0, dtype=tb_dtype)
                pb = torch.ones((), dtype=pb_dtype) if zero_dim_b else torch.ones(0, dtype=
                                                                                  pb_dtype)
                got, expected = ours(ta, tb), dtype_name(torch.result_type(pa, pb))
                if got != expected:
                    mismatches.append(f"{ta.dtype}{list(ta.shape)} + {tb.dtype}"
                                      f"{list(tb.shape)}: {got} vs {expected}")
            for scalar in scalars:
                got = dtype_name(ta * scalar) if not zero_dim_a else promote(ta, scalar)[2].name
                expected = dtype_name(torch.result_type(pa, scalar))
                if got != expected:
                    mismatches.append(f"{ta.dtype}{list(ta.shape)} * {scalar!r}: {got} vs "
                                      f"{expected}")
    assert not mismatches, f"{len(mismatches)} promotions differ from torch:\n" + "\n".join(
        mismatches[:20])


def test_promotion_in_real_ops() -> None:
    cases = [
        (lambda: tg.tensor([1, 2]) / tg.tensor([2, 2]), "float32", [0.5, 1.0]),
        (lambda: tg.tensor([1, 2]) + 2.5, "float32", [3.5, 4.5]),
        (lambda: tg.tensor([1, 2], dtype=tg.int32) + tg.tensor(3), "int32", [4, 5]),
        (lambda: tg.ones(2) + tg.tensor(2.0, dtype=tg.float64), "float32", [3.0, 3.0]),
        (lambda: tg.tensor([1], dtype=tg.uint8) + tg.tensor([1], dtype=tg.int8), "int16", [2]),
        (lambda: tg.tensor([True]) + 1, "int64", [2]),
        (lambda: tg.tensor([1.0], dtype=tg.float16) * 2, "float16", [2.0]),
        (lambda: tg.tensor([100], dtype=tg.int8) + tg.tensor([100], dtype=tg.int8), "int8",
         [-56]),
    ]
    for k, (make, dtype, expected) in enumerate(cases):
        result = make()
        assert dtype_name(result) == dtype, f"case {k}: dtype {result.dtype}, expected {dtype}"
        assert_close(result, np.array(expected), f"case {k}")


def test_uint8_wraps_around() -> None:
    x = tg.tensor([1], dtype=tg.uint8)
    assert_close(x - 2, np.array([255]), "uint8 1 - 2")
    assert_close(x * -2, np.array([254]), "uint8 1 * -2")


@on_devices
def test_casting_methods(device: str) -> None:
    values = [1.7, -2.5, 0.0, 3.2, -0.2]
    x = tg.tensor(values, device=device)
    for method, dtype in [("float", "float32"), ("double", "float64"), ("long", "int64"),
                          ("int", "int32"), ("bool", "bool"), ("half", "float16"),
                          ("byte", "uint8")]:
        if method == "byte":
            source, plain = x.abs(), np.abs(np.array(values, dtype=np.float32))
        else:
            source, plain = x, np.array(values, dtype=np.float32)
        result = getattr(source, method)()
        assert dtype_name(result) == dtype, f".{method}() gave {result.dtype}"
        assert_close(result, plain.astype(dtype), f".{method}() values (truncates toward 0)")
        assert dtype_name(x.to(getattr(tg, dtype))) == dtype, f".to({dtype})"
    assert x.to(tg.float32) is x, ".to(same dtype) returns self"
    assert x.type(tg.float64).dtype is tg.float64, ".type(dtype) casts"
    expected_type = "torch.cuda.FloatTensor" if device == "cuda" else "torch.FloatTensor"
    assert x.type() == expected_type, f".type() gave {x.type()}"
    sizes = {name: tg.ones(1, dtype=getattr(tg, name)).element_size() for name in ALL_DTYPES}
    assert sizes == {"float32": 4, "float64": 8, "float16": 2, "int8": 1, "int16": 2, "int32": 4,
                     "int64": 8, "uint8": 1, "bool": 1}, f"element_size: {sizes}"
    aliases = [tg.float is tg.float32, tg.double is tg.float64, tg.long is tg.int64,
               tg.int is tg.int32, tg.half is tg.float16]
    assert all(aliases), f"dtype aliases: {aliases}"


# ---------------------------------------------------------------------------- repr and misc


@pytest.mark.parametrize("source", [
    "L.tensor([[1., 2.]], requires_grad=True)", "L.tensor([1.5, -2.25, 3.])",
    "L.tensor([[1, -20], [300, 4]])", "L.tensor([True, False])", "L.tensor(3.5)",
    "L.tensor(7)", "L.tensor([1., 2.], dtype=L.float64)", "L.tensor([1, 2], dtype=L.int32)",
    "L.tensor([[1., 2.]], requires_grad=True) * 2", "L.tensor([1e-5, 1.0])",
    "L.zeros(0)", "L.zeros(2, 0)", "L.arange(12.).view(3, 4) / 3", "L.zeros(2, 3, 2)",
    "L.tensor([1., 2.], requires_grad=True).sum()", "L.tensor([1, 2], dtype=L.uint8)",
    "L.tensor([float('nan'), 1., float('inf')])",
    "L.tensor([-0.0, 1.])", "L.tensor([0.0, -0.0, 2.5])", "L.tensor([0.0, -0.0])",
    "L.tensor([float('nan'), -float('inf')])", "L.tensor([0.5, float('nan')])",
    "L.zeros(3)", "L.tensor([[1., -0.], [0., 2.]], requires_grad=True) * 1",
    "L.ones(3, requires_grad=True)[1:].clone()",
])
@needs_torch
def test_repr_matches_pytorch(source: str) -> None:
    ours = repr(eval(source, {"L": tg}))
    expected = repr(eval(source, {"L": torch})).replace("torch.", "tinygrad_edu.")
    assert ours == expected, f"repr of {source}:\n ours:  {ours}\n torch: {expected}"


@on_devices
def test_conversions_and_sizes(device: str) -> None:
    values = np.arange(6.0).reshape(2, 3)
    x = tg.tensor(values, device=device)
    assert x.sum().item() == 15.0 and isinstance(x.sum().item(), float), "item()"
    assert tg.tensor(3).item() == 3 and isinstance(tg.tensor(3).item(), int), "int item()"
    assert x.tolist() == values.tolist(), f"tolist(): {x.tolist()}"
    assert len(x) == 2 and x.dim() == 2 and x.ndim == 2 and x.numel() == 6, "len/dim/numel"
    assert tuple(x.shape) == (2, 3) and x.size() == (2, 3) and x.size(-1) == 3, "shape/size"
    assert [row.tolist() for row in x] == values.tolist(), "iteration gives the rows"
    assert_close(x.cpu().numpy(), values, ".numpy()")
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    with pytest.raises(TypeError, match="0-d"):
        len(tg.tensor(1.0))


# ---------------------------------------------------------------------------- views


VIEW_OPS = {  # name: (make a view of a (2, 3, 4) tensor, PyTorch shares memory too)
    "view": lambda x: x.view(6, -1), "reshape": lambda x: x.reshape(3, 8),
    "flatten": lambda x: x.flatten(1), "transpose": lambda x: x.transpose(0, 2),
    "t": lambda x: x[0].t(), "T": lambda x: x[0].T, "permute": lambda x: x.permute(2, 0, 1),
    "expand": lambda x: x[:, :1].expand(2, 5, 4), "squeeze": lambda x: x[:, :1].squeeze(1),
    "unsqueeze": lambda x: x.unsqueeze(-1), "narrow": lambda x: x.narrow(2, 1, 2),
    "select": lambda x: x.select(1, -1), "unbind": lambda x: x.unbind(1)[2],
    "split": lambda x: x.split(3, 2)[1], "chunk": lambda x: x.chunk(2, 2)[1],
    "int index": lambda x: x[1], "slices": lambda x: x[:, 1:, ::2],
    "None and ...": lambda x: x[None, ..., 1], "detach": lambda x: x.detach(),
    "data": lambda x: x.data, "contiguous": lambda x: x.contiguous(),
    "view_as": lambda x: x.view_as(x.new_zeros(4, 6)), "expand_as": lambda x: x[:1].expand_as(x),
}


@on_devices
@pytest.mark.parametrize("name", list(VIEW_OPS))
def test_views_share_storage(device: str, name: str) -> None:
    make = VIEW_OPS[name]
    base = tg.arange(24.0, device=device).view(2, 3, 4)
    view = make(base)
    what = f"{name} on {device}"
    if torch is not None:
        expected = make(torch.arange(24.0).view(2, 3, 4))
        assert tuple(view.shape) == tuple(expected.shape), f"{what}: shape {tuple(view.shape)}"
        sized = [k for k, size in enumerate(view.shape) if size != 1]  # size-1: any stride
        assert [view.stride()[k] for k in sized] == [expected.stride()[k] for k in sized], (
            f"{what}: strides {view.stride()} vs torch {expected.stride()}")
        assert view.storage_offset() == expected.storage_offset(), f"{what}: storage offset"
        assert view.is_contiguous() == expected.is_contiguous(), f"{what}: is_contiguous"
        assert_close(view, expected, f"{what}: values")
    before = as_numpy(base).copy()
    with tg.no_grad():
        base.add_(100)  # the view sees a change to its base
    assert_close(view, make(tg.tensor(before + 100, device=device)), f"{what}: base change")
    if name != "expand" and name != "expand_as":  # writing into an expanded view aliases
        with tg.no_grad():
            view.mul_(0)
        assert (as_numpy(base) == 0).sum() == view.numel(), (
            f"{what}: zeroing the view zeroed {(as_numpy(base) == 0).sum()} base elements, "
            f"expected {view.numel()}")


@on_devices
def test_a_batch_of_rows_is_a_view_like_numpys(device: str) -> None:
    """x[a:b:c] on a tensor with no autograd history (the training loop's batches, taken
    without an autograd node) and on one that requires grad (a SliceBackward0 node)."""
    array = np.arange(30.0).reshape(10, 3)
    x = tg.tensor(array, device=device)
    for key in [slice(2, 7), slice(1, 9, 3), slice(-4, None), slice(None, -8), slice(8, 100),
                slice(7, 2), slice(None)]:
        rows = x[key]
        assert rows._storage is x._storage and rows.grad_fn is None, f"{key}: not a view"
        assert_close(rows, array[key], f"x[{key}] on {device}")
        assert rows.stride() == tuple(s // 8 for s in array[key].strides), f"{key}: strides"
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    w = tg.ones(4, 2, requires_grad=True, device=device)
    assert w[1:3].grad_fn.name() == "SliceBackward0"
    with tg.no_grad():
        assert not w[1:3].requires_grad and w[1:3].grad_fn is None


def test_view_errors_and_copies() -> None:
    x = tg.arange(6.0).view(2, 3)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(6)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        x.view(4, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match="expanded size"):
        x.expand(3, 3)
    copy = x.t().reshape(6)  # needs a copy: later writes do not show in x
    copy.add_(1)
    assert_close(x, np.arange(6.0).reshape(2, 3), "reshape of a transpose copies")
    assert x.contiguous() is x, "contiguous() of a contiguous tensor returns it"
    assert x.t().contiguous().is_contiguous(), "contiguous() makes a row-major copy"


# ---------------------------------------------------------------------------- indexing


def _lib_key(lib: Any, key: tuple, tensors: bool, device: str) -> tuple:
    """The key for `lib`: masks and (when `tensors`) int lists become lib tensors."""
    converted = []
    for item in key:
        if isinstance(item, np.ndarray) or (tensors and isinstance(item, list)):
            array = np.asarray(item, dtype=np.bool_ if isinstance(item, np.ndarray) else None)
            tensor = lib.tensor(array.astype(np.int64) if array.dtype != np.bool_ else array)
            converted.append(tensor.to(device) if lib is tg else tensor)
        else:
            converted.append(item)
    return tuple(converted)


def numpy_view_and_key(array: np.ndarray, key: tuple) -> tuple:
    """(view, rest) with view[rest] = x[key] under PyTorch's rule, for NumPy as the oracle.

    PyTorch applies the basic items (ints, slices, None) first, as a view, and the advanced
    ones (int lists, masks) to that view; NumPy counts ints as advanced once a key has a list,
    so x[0, :, [1, 2]] is (3, 2) in PyTorch but (2, 3) in NumPy. `view` is a NumPy view, so
    `view[rest] = value` writes into array."""
    if not any(isinstance(item, (list, np.ndarray)) for item in key):
        return array, key
    basic, rest = [], []
    for item in key:
        if isinstance(item, (list, np.ndarray)):
            mask = isinstance(item, np.ndarray) and item.dtype == np.bool_
            basic += [slice(None)] * (item.ndim if mask else 1)
            rest.append(item)
        elif isinstance(item, int):
            basic.append(item)
        else:  # a slice, None or ...
            basic.append(item)
            rest.append(Ellipsis if item is Ellipsis else slice(None))
    return array[tuple(basic)], tuple(rest)


@on_devices
def test_getitem(device: str) -> None:
    @examples(device, factor=3)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(min_dims=1, max_side=max_side(device)))
        basic = data.draw(st.booleans())
        key = data.draw(S.basic_keys(shape) if basic else S.index_keys(shape))
        values = data.draw(S.values(shape))
        layout = data.draw(S.layouts())
        tensors = data.draw(st.booleans())
        _, x = S.build(tg, values, layout, device=device)
        what = f"x[{key!r}] of {layout} {shape} on {device} (int lists as tensors: {tensors})"
        view, rest = numpy_view_and_key(S.layout_values(values, layout), key)
        expected = view[rest]
        result = x[_lib_key(tg, key, tensors, device)]
        assert_close(result, expected, what)
        compare_with_torch(lambda lib, v: v[_lib_key(lib, key, tensors, "cpu" if lib is torch
                                                     else device)],
                           [values], [layout], device, what)

    check()


def test_getitem_cases_and_errors() -> None:
    x = tg.arange(24.0).view(2, 3, 4)
    plain = np.arange(24.0).reshape(2, 3, 4)
    assert_close(x[1, -1], plain[1, -1], "x[1, -1]")
    assert_close(x[..., ::3], plain[..., ::3], "x[..., ::3]")
    assert_close(x[None, :, None, 1], plain[None, :, None, 1], "x[None, :, None, 1]")
    assert_close(x[x > 20], plain[plain > 20], "x[x > 20]")
    assert_close(x[[1, 0], :, [3, 3]], plain[[1, 0], :, [3, 3]], "separated advanced indices")
    assert_close(x[1, [0, 2], 1:3], plain[1, [0, 2], 1:3], "int, list and slice")
    assert_close(x[tg.tensor([[1], [0]]), tg.tensor([2, 0])], plain[[[1], [0]], [2, 0]],
                 "broadcast index tensors")
    assert_close(x[tg.tensor(1)], plain[1], "0-d int tensor index")
    assert_close(tg.tensor(5.0)[None], [5.0], "0-d [None]")
    assert_close(x[:, 3:], plain[:, 3:], "empty slice")
    assert x[1]._storage is x._storage, "basic indexing is a view"
    assert x[[1]]._storage is not x._storage, "advanced indexing copies"
    with pytest.raises(IndexError, match="out of bounds"):
        x[2]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[tg.tensor([0.0])]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]


def test_getitem_with_an_empty_list() -> None:
    assert tuple(tg.ones(2, 3)[[]].shape) == (0, 3), "x[[]] of a (2, 3) tensor"


def test_gather_checks_its_indices() -> None:
    x = tg.arange(6.0).view(2, 3)
    for bad in ([[3], [0]], [[-1], [0]]):
        with pytest.raises((RuntimeError, IndexError), match="out of bounds"):
            x.gather(1, tg.tensor(bad))
    with pytest.raises(RuntimeError, match="index 1000000000000 is out of bounds for "
                                           "dimension 0 with size 2"):
        x.gather(0, tg.tensor([[0, 10 ** 12, 1]]))  # used to crash the interpreter
    with pytest.raises(RuntimeError, match="Size does not match at dimension 0"):
        x.gather(1, tg.tensor([[0], [0], [0]]))  # a row x does not have
    assert_close(x.gather(1, tg.tensor([[2], [0]])), [[2.0], [3.0]], "a valid gather")
    assert_close(x.gather(0, tg.zeros(0, 3, dtype=tg.int64)), np.zeros((0, 3)), "empty index")
    assert_close(tg.tensor(5.0).gather(0, tg.tensor(0)), 5.0, "gather of a 0-d tensor")
    with pytest.raises(RuntimeError, match="index 1 is out of bounds for dimension 0 with size 1"):
        tg.tensor(5.0).gather(0, tg.tensor(1))


def test_indexing_kernels_check_positions() -> None:
    """The last line of defence: a buffer position outside the buffer never reaches memory."""
    from tinygrad_edu import functions as F
    x = tg.arange(6.0).view(2, 3)
    for positions in ([6], [-1], [0, 2 ** 40]):
        with pytest.raises(IndexError, match="outside the buffer"):
            F.Gather.apply(x, tg.tensor(positions))
        with pytest.raises(IndexError, match="outside the buffer"):
            F.IndexPut.apply(x, tg.tensor(positions), tg.tensor(1.0))
    y = tg.zeros(3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        y[tg.tensor([5])] = 1.0
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        y[[0, -4]] = tg.tensor([1.0, 2.0])
    with pytest.raises(IndexError, match="out of bounds"):
        tg.zeros(3, requires_grad=True).clone()[[3]] = 1.0  # the recorded (IndexPut) path
    assert_close(y, np.zeros(3), "nothing written by a refused setitem")


def test_int_and_list_index_like_pytorch() -> None:
    """PyTorch applies ints (as basic indexing) before lists and masks; NumPy does not."""
    plain = np.arange(24.0).reshape(2, 3, 4)
    mask = [True, False, True, True]
    cases = {  # key (lists of bools become bool tensors) -> NumPy in PyTorch's order
        "x[0, :, [1, 2]]": ((0, slice(None), [1, 2]), plain[0][:, [1, 2]]),
        "x[1, :, mask]": ((1, slice(None), mask), plain[1][:, np.array(mask)]),
        "x[:, 0, [1, 2]]": ((slice(None), 0, [1, 2]), plain[:, 0][:, [1, 2]]),
        "x[None, [1, 0]]": ((None, [1, 0]), plain[None, [1, 0]]),
        "x[[0, 1], None, [1, 2]]": (([0, 1], None, [1, 2]), plain[:, None][[0, 1], :, [1, 2]]),
        "x[[1, 0], :, [3, 3]]": (([1, 0], slice(None), [3, 3]), plain[[1, 0], :, [3, 3]]),
        "x[[1], ..., 0]": (([1], Ellipsis, 0), plain[..., 0][[1]]),
        "x[0, [0, 2], None, [1, 3]]": ((0, [0, 2], None, [1, 3]),
                                        plain[0][:, None][[0, 2], :, [1, 3]]),
        "x[t(1), 1:, [0, 3]]": (("t1", slice(1, None), [0, 3]), plain[1][1:][:, [0, 3]]),
        "x[1, [[0], [2]], [[1, 2]]]": ((1, [[0], [2]], [[1, 2]]), plain[1][[[0], [2]], [[1, 2]]]),
    }

    def key_for(lib: Any, key: tuple) -> tuple:
        return tuple(lib.tensor(1) if item == "t1" else lib.tensor(item) if isinstance(
            item, list) and isinstance(item[0], bool) else item for item in key)

    for what, (key, expected) in cases.items():
        assert_close(tg.tensor(plain)[key_for(tg, key)], expected, what)
        for layout in ("transposed", "offset"):
            compare_with_torch(lambda lib, v, k=key: v[key_for(lib, k)], [plain], [layout],
                               "cpu", f"{what} ({layout})")

        def assign(lib: Any, base: Any, key: tuple = key) -> Any:
            result = base * 2
            result[key_for(lib, key)] = lib.tensor(-1.0, dtype=base.dtype)
            return result
        compare_with_torch(assign, [plain], ["contiguous"], "cpu", f"{what} = -1 (with grad)")
        if torch is None:
            continue
        written = tg.tensor(plain)
        written[key_for(tg, key)] = tg.tensor(np.arange(float(expected.size)).reshape(
            expected.shape))
        expected_after = torch.tensor(plain)
        expected_after[key_for(torch, key)] = torch.arange(float(expected.size)).reshape(
            expected.shape).double()
        assert_close(written, expected_after.numpy(), f"{what} = values (no grad)")
    gradcheck_views(lambda lib, v: v[0, :, [1, 2]] * v[:, 1, [0, 3]].sum(), [plain],
                    ["strided"], "gradcheck of x[0, :, [1, 2]]")


@st.composite
def value_for(draw: Any, shape: tuple) -> Any:
    """A scalar, or an array that broadcasts to `shape` (leading dims dropped, some set to 1)."""
    if draw(st.booleans()):
        return draw(st.floats(-3, 3, allow_nan=False))
    keep = draw(st.integers(0, len(shape)))
    value_shape = tuple(size if draw(st.booleans()) else 1 for size in shape[len(shape) - keep:])
    return draw(S.values(value_shape))


@on_devices
def test_setitem(device: str) -> None:
    @examples(device, factor=3)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(min_dims=1, max_side=max_side(device)))
        basic = data.draw(st.booleans())
        key = data.draw(S.basic_keys(shape) if basic else S.index_keys(shape, unique=True))
        values = data.draw(S.values(shape))
        layout = data.draw(st.sampled_from(["contiguous", "transposed", "strided", "offset"]))
        expected = values.copy()
        view, rest = numpy_view_and_key(expected, key)
        value = data.draw(value_for(view[rest].shape))
        view[rest] = value
        leaf, x = S.build(tg, values, layout, device=device)
        what = f"x[{key!r}] = {value!r} on a {layout} {shape} view on {device}"
        version = x._version
        x[_lib_key(tg, key, True, device)] = value if np.isscalar(value) else tg.tensor(
            value, device=device)
        assert_close(x, expected, what)
        assert_close(S.build_view_of(leaf, shape, layout), expected, f"{what}: in the base")
        assert x._version > version, f"{what}: version counter not bumped"

    check()


def test_setitem_cases() -> None:
    x = tg.zeros(2, 3)
    x[0] = tg.tensor([1.0, 2.0, 3.0])
    x[:, 1] = 7
    x[x > 2] = -1.0
    x[[1, 1], [0, 2]] = tg.tensor([[5.0, 6.0]])  # a leading 1 in the value is dropped
    assert_close(x, [[1.0, -1.0, -1.0], [5.0, -1.0, 6.0]], "mixed setitem")
    y = tg.zeros(2, 3)
    y.t()[0] = 9
    assert_close(y, [[9.0, 0.0, 0.0], [9.0, 0.0, 0.0]], "setitem through a transpose")
    integers = tg.zeros(3, dtype=tg.int64)
    integers[1] = 2.7
    assert_close(integers, [0, 2, 0], "a float value is cast to the int tensor")
    with pytest.raises(RuntimeError, match=r"\[2\] and \[3\]|shape mismatch"):
        x[0] = tg.ones(2)


@on_devices
def test_setitem_with_grad_reaches_the_base(device: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(min_dims=1, max_side=max_side(device)))
        basic = data.draw(st.booleans())
        key = data.draw(S.basic_keys(shape) if basic else S.index_keys(shape, unique=True))
        values = data.draw(S.values(shape))

        def assign(lib: Any, base: Any) -> Any:
            result = base * 2  # a non-leaf: in-place is allowed
            result[_lib_key(lib, key, True, "cpu" if lib is torch else device)] = 0.5
            return result * 3

        compare_with_torch(assign, [values], ["contiguous"], device, f"y[{key!r}] = 0.5, grad")

    check()


def test_setitem_value_gets_its_gradient() -> None:
    base = tg.zeros(2, 3, requires_grad=True)
    value = tg.ones(3, requires_grad=True)
    y = base.clone()
    y[[0, 1], [1, 1]] = value[:2] * 2
    (y * tg.arange(6.0).view(2, 3)).sum().backward()
    assert value.grad is not None, "value.grad is None"
    assert_close(value.grad, [2.0, 8.0, 0.0], "gradient of the assigned value")


# ---------------------------------------------------------------------------- joining, splitting


@st.composite
def join_case(draw: Any, device: str) -> tuple:
    shape = draw(S.shapes(min_dims=1, max_side=max_side(device)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(0, max_side(device)), min_size=1, max_size=3))
    arrays = []
    for size in sizes:
        part = list(shape)
        part[dim] = size
        arrays.append(draw(S.values(tuple(part))))
    layouts = [draw(S.layouts()) for _ in arrays]
    return arrays, layouts, dim


@on_devices
def test_cat_and_stack(device: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        arrays, layouts, dim = data.draw(join_case(device))
        views = [S.build(tg, a, layout, device=device)[1] for a, layout in zip(arrays, layouts)]
        plain = [S.layout_values(a, layout) for a, layout in zip(arrays, layouts)]
        what = f"cat of {[a.shape for a in arrays]} {layouts} dim={dim} on {device}"
        assert_close(tg.cat(views, dim), np.concatenate(plain, dim), what)
        compare_with_torch(lambda lib, *v: lib.cat(v, dim), arrays, layouts, device, what)
        same = [S.build(tg, arrays[0], layout, device=device)[1] for layout in layouts]
        stack_dim = data.draw(st.integers(-arrays[0].ndim - 1, arrays[0].ndim))
        expected = np.stack([S.layout_values(arrays[0], layout) for layout in layouts], stack_dim)
        assert_close(tg.stack(same, stack_dim), expected, f"stack dim={stack_dim} {layouts}")
        compare_with_torch(lambda lib, *v: lib.stack(v, stack_dim), [arrays[0]] * len(layouts),
                           layouts, device, f"stack dim={stack_dim} {layouts}")

    check()


def _chunk_sections(size: int, chunks: int) -> list:
    step = -(-size // chunks) if size else 1
    return [min(step, size - s) for s in range(0, size, step)] if size else [0]


@on_devices
def test_split_chunk_unbind_narrow_flip_repeat(device: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(min_dims=1, max_side=max_side(device)))
        values = data.draw(S.values(shape))
        layout = data.draw(S.layouts())
        dim = data.draw(st.integers(-len(shape), len(shape) - 1))
        size = shape[dim]
        plain = S.layout_values(values, layout)
        _, x = S.build(tg, values, layout, device=device)
        what = f"{layout} {shape} dim={dim} on {device}"

        split_size = data.draw(st.integers(1, 3))
        parts = x.split(split_size, dim)
        sections = [min(split_size, size - s) for s in range(0, size, split_size)] or [0]
        expected = np.split(plain, np.cumsum(sections)[:-1], axis=dim)
        assert [tuple(p.shape) for p in parts] == [e.shape for e in expected], (
            f"split({split_size}) {what}: shapes {[tuple(p.shape) for p in parts]}")
        for part, wanted in zip(parts, expected):
            assert_close(part, wanted, f"split({split_size}) {what}")
        chunks = data.draw(st.integers(1, 4))
        sections = _chunk_sections(size, chunks)
        got = x.chunk(chunks, dim)
        assert [p.shape[dim] for p in got] == sections, (
            f"chunk({chunks}) {what}: sizes {[p.shape[dim] for p in got]} vs {sections}")
        for part, wanted in zip(got, np.split(plain, np.cumsum(sections)[:-1], axis=dim)):
            assert_close(part, wanted, f"chunk({chunks}) {what}")
        unbound = x.unbind(dim)
        assert len(unbound) == size, f"unbind {what}: {len(unbound)} parts"
        for k, part in enumerate(unbound):
            assert_close(part, np.take(plain, k, axis=dim), f"unbind part {k} {what}")
        start = data.draw(st.integers(0, size))
        length = data.draw(st.integers(0, size - start))
        assert_close(x.narrow(dim, start, length),
                     np.take(plain, range(start, start + length), axis=dim),
                     f"narrow({start}, {length}) {what}")
        assert_close(x.flip(dim), np.flip(plain, dim), f"flip {what}")
        assert_close(x.flip(list(range(len(shape)))), np.flip(plain), f"flip all {what}")
        repeats = tuple(data.draw(st.integers(0, 2)) for _ in range(len(shape) + 1))
        assert_close(x.repeat(*repeats), np.tile(plain, repeats), f"repeat{repeats} {what}")
        compare_with_torch(lambda lib, v: lib.cat([p * (k + 1) for k, p in
                                                   enumerate(v.split(split_size, dim))], dim),
                           [values], [layout], device, f"split grad {what}")
        compare_with_torch(lambda lib, v: v.flip(dim) * v.narrow(dim, 0, size).flip(dim),
                           [values], [layout], device, f"flip grad {what}")
        compare_with_torch(lambda lib, v: v.repeat(*repeats), [values], [layout], device,
                           f"repeat grad {what}")
        if size:
            compare_with_torch(lambda lib, v: v.unbind(dim)[-1] * 2, [values], [layout], device,
                               f"unbind grad {what}")

    check()


def test_cat_of_zero_dim_tensors_and_of_nothing_raise_pytorchs_errors() -> None:
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\)"):
        tg.cat([tg.tensor([1.0]), tg.tensor(2.0)])
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        tg.cat([])


def test_module_level_gather_checks_its_index() -> None:
    x = tg.arange(6.0).view(2, 3)
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 1 with size 3"):
        tg.gather(x, 1, tg.tensor([[0, 3]]))
    assert tg.gather(x, 1, tg.tensor([[2, 0]])).tolist() == [[2.0, 0.0]]


def test_joining_gradcheck_and_errors() -> None:
    a, b = np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([[1.5, 0.2]])
    gradcheck_views(lambda lib, p, q: lib.cat([p, q, p], 0), [a, b], ["transposed", "offset"],
                    "cat")
    gradcheck_views(lambda lib, p, q: lib.stack([p, q.expand(2, 2)], 1), [a, b],
                    ["contiguous", "contiguous"], "stack")
    gradcheck_views(lambda lib, p: p.repeat(2, 1, 3).flip(0), [a], ["transposed"], "repeat")
    gradcheck_views(lambda lib, p: p.chunk(2, 1)[1] * p.split(1, 1)[0], [a], ["strided"],
                    "chunk/split")
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        tg.cat([tg.ones(2, 3), tg.ones(2, 2)], 0)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        tg.stack([tg.ones(2), tg.ones(3)])
    with pytest.raises(RuntimeError, match="split_with_sizes"):
        tg.ones(4).split([1, 2])
    assert_close(tg.cat([tg.ones(2), tg.ones(2, dtype=tg.int64)]), np.ones(4), "cat promotes")


# ---------------------------------------------------------------------------- scans, selection


def _dim_for(draw: Any, shape: tuple) -> int:
    """A dim for shape, negative spellings included (a 0-d tensor takes 0 and -1)."""
    size = max(len(shape), 1)
    return draw(st.integers(-size, size - 1))


def _np_scan(name: str, values: np.ndarray, dim: int) -> np.ndarray:
    if values.ndim == 0:
        return values.copy()
    return (np.cumsum if name == "cumsum" else np.cumprod)(values, axis=dim)


@on_devices
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumsum_cumprod(device: str, name: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(max_side=max_side(device) + 1))
        values = data.draw(S.values(shape, -1.5, 1.5))
        layout = data.draw(S.layouts())
        dim = _dim_for(data.draw, shape)
        _, x = S.build(tg, values, layout, device=device)
        what = f"{name}({dim}) of a {layout} {shape} view on {device}"
        out = getattr(x, name)(dim)
        assert out.device == x.device, f"{what}: result on {out.device}"
        assert_close(out, _np_scan(name, S.layout_values(values, layout), dim), what)
        compare_with_torch(lambda lib, v: getattr(lib, name)(v, dim=dim), [values], [layout],
                           device, what)

    check()


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumsum_cumprod_gradcheck(name: str) -> None:
    values = np.array([[0.5, -1.0, 0.0, 2.0, 0.3], [1.5, 0.2, -0.7, 0.0, 0.0]])
    for layout in ("transposed", "strided"):
        for dim in (0, 1, -1):
            gradcheck_views(lambda lib, v, d=dim: getattr(v, name)(d), [values], [layout],
                            f"gradcheck {name}({dim}) {layout}")


def test_cumsum_cumprod_dtypes_names_and_errors() -> None:
    ints = tg.tensor([[1, 2, 3], [4, 5, 6]])
    assert ints.cumsum(1).tolist() == [[1, 3, 6], [4, 9, 15]]
    assert tg.cumprod(ints, dim=0).tolist() == [[1, 2, 3], [4, 10, 18]]
    for dtype in (tg.bool, tg.uint8, tg.int8, tg.int32):
        assert tg.ones(3, dtype=dtype).cumsum(0).dtype is tg.int64, f"cumsum of {dtype}"
        assert tg.ones(3, dtype=dtype).cumprod(0).dtype is tg.int64, f"cumprod of {dtype}"
    assert tg.ones(3, dtype=tg.float16).cumsum(0).dtype is tg.float16
    assert tg.tensor([1, 2]).cumsum(0, dtype=tg.int8).dtype is tg.int8
    assert tg.tensor([1.5, 2.5]).cumsum(0, dtype=tg.int64).tolist() == [1, 3]
    assert tg.arange(4).cumsum(0, dtype=tg.float64).dtype is tg.float64
    big = tg.tensor([2 ** 60, 3])  # exact in int64 (through float64 it would round)
    assert big.cumsum(0).tolist() == [2 ** 60, 2 ** 60 + 3]
    x = tg.ones(2, 3, requires_grad=True)
    assert x.cumsum(1).grad_fn.name() == "CumsumBackward0"
    assert x.cumprod(-1).grad_fn.name() == "CumprodBackward0"
    assert x[:, :1].cumsum(1).grad_fn.name() == "CumsumBackward0"  # size 1: a copy
    one = tg.ones(1)
    assert one.cumsum(0) is not one and tg.tensor(3.0).cumsum(-1).item() == 3.0
    assert tuple(tg.ones(0, 3).cumsum(0).shape) == (0, 3)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        x.cumsum(2)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        tg.tensor(3.0).cumprod(1)
    with pytest.raises(RuntimeError, match="\"cumsum_out_cpu\" not implemented for 'Bool'"):
        tg.tensor([True]).cumsum(0, dtype=tg.bool)
    with pytest.raises(TypeError):
        tg.ones(3).cumsum()  # dim is required, as in PyTorch


@needs_torch
def test_cumsum_cumprod_integer_and_zero_cases_match_torch() -> None:
    for lib_values in ([3, -1, 0, 7, 2, 5, 1, 1, 2], [True, False, True]):
        for name in ("cumsum", "cumprod"):
            ours = getattr(tg.tensor(lib_values), name)(0)
            expected = getattr(torch.tensor(lib_values), name)(0)
            assert dtype_name(ours) == dtype_name(expected), f"{name} dtype {ours.dtype}"
            assert_close(ours, expected, f"{name} of {lib_values}")
    for values in ([2.0, 0.0, 3.0, 4.0, 0.5], [0.0, 0.0, 3.0, 4.0]):  # gradient at zeros
        compare_with_torch(lambda lib, v: v.cumprod(0), [np.array(values)], ["contiguous"],
                           "cpu", f"cumprod of {values}")


@on_devices
def test_index_select(device: str) -> None:
    @examples(device)
    def check(data: Any) -> None:
        shape = data.draw(S.shapes(min_dims=1, max_side=max_side(device)))
        values = data.draw(S.values(shape))
        layout = data.draw(S.layouts())
        dim = _dim_for(data.draw, shape)
        size = shape[dim]
        index = data.draw(st.lists(st.integers(0, size - 1), max_size=4)) if size else []
        strided_index = data.draw(st.booleans())
        dtype = data.draw(st.sampled_from(["int64", "int32"]))

        def make_index(lib: Any) -> Any:
            dev = "cpu" if lib is torch else device
            if strided_index:  # every other element of a longer index
                doubled = [i for i in index for _ in (0, 1)]
                return lib.tensor(doubled, dtype=getattr(lib, dtype)).to(dev)[::2]
            return lib.tensor(index, dtype=getattr(lib, dtype)).to(dev)

        _, x = S.build(tg, values, layout, device=device)
        what = f"index_select({dim}, {index} {dtype}) of a {layout} {shape} view on {device}"
        out = x.index_select(dim, make_index(tg))
        expected = np.take(S.layout_values(values, layout), np.array(index, dtype=np.int64),
                           axis=dim)
        assert_close(out, expected, what)
        compare_with_torch(lambda lib, v: lib.index_select(v, dim, make_index(lib)), [values],
                           [layout], device, what)

    check()


def test_index_select_gradcheck_and_errors() -> None:
    values = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.7]])
    gradcheck_views(lambda lib, v: v.index_select(1, lib.tensor([2, 0, 2])), [values],
                    ["transposed"], "gradcheck index_select with repeats")
    x = tg.tensor(values, requires_grad=True)
    assert x.index_select(0, tg.tensor([1])).grad_fn.name() == "IndexSelectBackward0"
    assert tuple(x.index_select(1, tg.tensor(1)).shape) == (2, 1)  # a 0-d index: one pick
    assert tuple(tg.tensor(5.0).index_select(0, tg.tensor([0])).shape) == ()
    assert tuple(tg.ones(2, 3).index_select(0, tg.tensor([], dtype=tg.int64)).shape) == (0, 3)
    cases = [  # (call, error type, PyTorch's message)
        (lambda: x.index_select(1, tg.tensor([[0]])), IndexError,
         "Index is supposed to be a vector"),
        (lambda: x.index_select(1, tg.tensor([3])), RuntimeError,
         "INDICES element is out of DATA bounds, id=3 axis_dim=3"),
        (lambda: x.index_select(1, tg.tensor([-1])), RuntimeError,
         "INDICES element is out of DATA bounds, id=-1 axis_dim=3"),
        (lambda: x.index_select(1, tg.tensor([1.0])), RuntimeError,
         "Expected dtype int32 or int64 for index"),
        (lambda: x.index_select(1, [0]), TypeError, "must be Tensor, not list"),
        (lambda: x.index_select(2, tg.tensor([0])), IndexError, "Dimension out of range"),
        (lambda: tg.tensor(5.0).index_select(0, tg.tensor([0, 0])), RuntimeError,
         "Index to scalar can have only 1 value, got 2 value"),
        (lambda: tg.ones(0, 3).index_select(0, tg.tensor([0])), RuntimeError,
         "self indexing axis dim should be positive"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


@needs_torch
def test_index_select_errors_are_pytorchs() -> None:
    calls = {
        "matrix index": lambda L: L.ones(2, 3).index_select(1, L.tensor([[0]])),
        "too big": lambda L: L.ones(2, 3).index_select(1, L.tensor([3])),
        "negative": lambda L: L.ones(2, 3).index_select(1, L.tensor([-1])),
        "float index": lambda L: L.ones(2, 3).index_select(1, L.tensor([1.0])),
        "scalar": lambda L: L.tensor(5.0).index_select(0, L.tensor([0, 0])),
        "empty dim": lambda L: L.ones(0, 3).index_select(0, L.tensor([0])),
    }
    for what, call in calls.items():
        raised = []
        for lib in (tg, torch):
            with pytest.raises(Exception) as info:
                call(lib)
            raised.append((type(info.value), str(info.value)))
        assert raised[0] == raised[1], f"{what}: {raised[0]} vs torch {raised[1]}"


@on_devices
def test_count_nonzero_nonzero_and_where_with_one_argument(device: str) -> None:
    values = [[0.0, 1.5, 0.0], [2.0, 0.0, -3.0]]
    x = tg.tensor(values, device=device)
    assert x.count_nonzero().item() == 3 and x.count_nonzero().dtype is tg.int64
    assert tg.count_nonzero(x, dim=0).tolist() == [1, 1, 1]
    assert x.count_nonzero(dim=(0, 1)).item() == 3 and x.count_nonzero([-1]).tolist() == [1, 2]
    assert x.t().count_nonzero(1).tolist() == [1, 1, 1]
    assert tg.tensor(True).count_nonzero().item() == 1
    rows, columns = tg.where(x)
    assert rows.device == x.device and rows.dtype is tg.int64
    assert (rows.tolist(), columns.tolist()) == ([0, 1, 1], [1, 0, 2])
    assert tg.nonzero(x).tolist() == [[0, 1], [1, 0], [1, 2]]
    assert x.t().nonzero().tolist() == [[0, 1], [1, 0], [2, 1]]
    assert tg.argwhere(x > 1).tolist() == [[0, 1], [1, 0]]
    assert [t.tolist() for t in (x > 1).nonzero(as_tuple=True)] == [[0, 1], [1, 0]]
    assert tuple(tg.nonzero(tg.tensor(3.0)).shape) == (1, 0)
    assert tuple(tg.nonzero(tg.tensor(0.0)).shape) == (0, 0)
    assert [t.tolist() for t in tg.tensor(3.0).nonzero(as_tuple=True)] == [[0]]
    assert [t.tolist() for t in tg.where(tg.zeros(0, 2))] == [[], []]
    assert tg.where(x > 1, x, 0.0).tolist() == [[0.0, 1.5, 0.0], [2.0, 0.0, 0.0]]
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.count_nonzero(dim=(0, -2))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.count_nonzero(dim=5)
    if torch is not None:
        expected = torch.tensor(values)
        assert_close(x.count_nonzero(0), torch.count_nonzero(expected, 0), "count_nonzero(0)")
        assert_close(tg.nonzero(x), torch.nonzero(expected), "nonzero")
        for ours, theirs in zip(tg.where(x), torch.where(expected)):
            assert_close(ours, theirs, "where(condition)")


@on_devices
def test_swapaxes_nbytes_itemsize_new_empty(device: str) -> None:
    x = tg.ones(2, 3, 4, device=device, requires_grad=True)
    assert tuple(x.swapaxes(0, -1).shape) == (4, 3, 2)
    assert tuple(tg.swapdims(x, 1, 2).shape) == (2, 4, 3)
    assert tuple(x.swapdims(dim0=0, dim1=1).shape) == (3, 2, 4)
    assert tuple(tg.swapaxes(x, axis0=0, axis1=2).shape) == (4, 3, 2)
    assert x.swapaxes(0, 1).grad_fn.name() == "TransposeBackward0"
    values = np.arange(24.0).reshape(2, 3, 4)
    assert_close(tg.tensor(values, device=device).swapaxes(0, 2), values.swapaxes(0, 2),
                 "swapaxes values")
    gradcheck_views(lambda lib, v: v.swapaxes(0, 1) * v.swapdims(1, 0), [values[0]],
                    ["strided"], "gradcheck swapaxes")
    assert (x.itemsize, x.nbytes) == (4, 96)
    assert tg.ones(4, 4, dtype=tg.float64)[:, :2].nbytes == 64  # the view's elements
    assert tg.ones(4, dtype=tg.bool).expand(3, 4).nbytes == 12
    assert tg.ones(2, dtype=tg.float16).itemsize == 2
    empty = x.new_empty(3, 2)
    assert tuple(empty.shape) == (3, 2) and empty.dtype is tg.float32
    assert empty.device == x.device and not empty.requires_grad
    assert x.new_empty((2,), dtype=tg.int64).dtype is tg.int64
    if torch is not None:
        for dtype in ("float32", "float64", "float16", "int64", "int32", "int16", "int8",
                      "uint8", "bool"):
            ours = tg.ones(2, 3, dtype=getattr(tg, dtype))
            theirs = torch.ones(2, 3, dtype=getattr(torch, dtype))
            assert (ours.itemsize, ours.nbytes) == (theirs.itemsize, theirs.nbytes), dtype


def test_legacy_constructors_and_isinstance() -> None:
    assert tuple(tg.Tensor().shape) == (0,), "Tensor() is empty 1-d, as in PyTorch"
    assert tuple(tg.FloatTensor().shape) == (0,) and tg.FloatTensor().dtype is tg.float32
    assert tg.LongTensor().dtype is tg.int64 and tuple(tg.LongTensor().shape) == (0,)
    assert tuple(tg.FloatTensor(2, 3).shape) == (2, 3)
    assert tuple(tg.FloatTensor(tg.Size([2, 3])).shape) == (2, 3)  # a Size is a shape
    assert tg.FloatTensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data
    assert type(tg.FloatTensor([1])) is tg.Tensor
    float_tensor = tg.ones(2)
    checks = {
        "float32 is FloatTensor": isinstance(float_tensor, tg.FloatTensor),
        "float64 is not FloatTensor": not isinstance(float_tensor.double(), tg.FloatTensor),
        "float64 is DoubleTensor": isinstance(float_tensor.double(), tg.DoubleTensor),
        "int64 is LongTensor": isinstance(tg.tensor([1]), tg.LongTensor),
        "a Parameter is FloatTensor": isinstance(tg.nn.Parameter(float_tensor),
                                                 tg.FloatTensor),
        "a number is not": not isinstance(3.0, tg.FloatTensor),
        "not a subclass": not issubclass(tg.Tensor, tg.FloatTensor),
        "in a tuple": isinstance(float_tensor, (tg.LongTensor, tg.FloatTensor)),
    }
    assert all(checks.values()), f"isinstance: {checks}"
    assert tg.FloatTensor.__name__ == "FloatTensor" and tg.FloatTensor.dtype is tg.float32
    if torch is not None:
        assert tuple(torch.FloatTensor().shape) == (0,)
        assert isinstance(torch.ones(2), torch.FloatTensor)
        assert not isinstance(torch.ones(2, dtype=torch.float64), torch.FloatTensor)


@pytest.mark.gpu
@pytest.mark.skipif(len(DEVICES) == 1, reason="kernels.cuda does not import")
def test_a_cuda_tensor_is_not_a_cpu_float_tensor() -> None:
    assert not isinstance(tg.ones(2, device="cuda"), tg.FloatTensor)  # torch.cuda's, as torch


def test_dtype_names_in_messages_are_pytorchs() -> None:
    names = {name: tg.dtypes.scalar_type_name(getattr(tg, name)) for name in ALL_DTYPES}
    assert names == {"float32": "Float", "float64": "Double", "float16": "Half",
                     "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                     "uint8": "Byte", "bool": "Bool"}, names
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long$"):
        tg.ones(2, dtype=tg.int64).add_(tg.ones(2))
    with pytest.raises(RuntimeError, match="result type Char can't be cast to the desired "
                                           "output type Bool$"):
        tg.ones(2, dtype=tg.bool).add_(tg.ones(2, dtype=tg.int8))
    with pytest.raises(RuntimeError, match=r"^gather\(\): Expected dtype int32/int64 for index$"):
        tg.gather(tg.ones(2, 2), 1, tg.tensor([[1.0]]))
    assert tg.gather(tg.arange(4.0).view(2, 2), 1, tg.tensor([[1]], dtype=tg.int32)).tolist() \
        == [[1.0]]  # PyTorch takes int32 indices too
    if torch is None:
        return
    for name in ALL_DTYPES:  # PyTorch's own spellings, read from its messages
        with pytest.raises(RuntimeError) as info:
            torch.ones(1, dtype=getattr(torch, name)).mul_(torch.ones(1, dtype=torch.complex64))
        assert str(info.value).split()[-1] == names[name], f"{name}: {info.value}"
        if name == "float32":
            continue
        with pytest.raises(RuntimeError) as info:
            torch.ones(1, 1, dtype=getattr(torch, name)) @ torch.ones(1, 1)
        cpp = str(info.value).split("but got: ")[1].split(" != ")[0]
        assert tg.dtypes.cpp_type_name(getattr(tg, name)) == cpp, f"{name}: {info.value}"


@needs_torch
def test_dtype_mismatch_messages_and_size_addition_match_pytorch() -> None:
    cases = [lambda L: L.ones(2, 2) @ L.ones(2, 2, dtype=L.float64),
             lambda L: L.nn.functional.linear(L.ones(2, 2, dtype=L.float64), L.ones(2, 2))]
    for case in cases:
        with pytest.raises(RuntimeError) as expected:
            case(torch)
        with pytest.raises(RuntimeError) as ours:
            case(tg)
        assert str(ours.value) == str(expected.value)
    total = tg.Size([1]) + tg.Size([2])
    assert isinstance(total, tg.Size) and total == torch.Size([1]) + torch.Size([2])


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_numpy_argument_names_axis_and_keepdims() -> None:
    """PyTorch maps axis= to dim= and keepdims= to keepdim= for its functions and methods."""
    cases = {
        "sum keepdims": lambda T, x: x.sum(1, keepdims=True),
        "sum axis": lambda T, x: x.sum(axis=0),
        "mean axis keepdims": lambda T, x: x.mean(axis=1, keepdims=True),
        "cumsum axis": lambda T, x: x.cumsum(axis=0),
        "T.sum axis": lambda T, x: T.sum(x, axis=1),
        "T.cat axis": lambda T, x: T.cat([x, x], axis=0),
        "max axis values": lambda T, x: x.max(axis=1).values,
        "argmax axis keepdims": lambda T, x: x.argmax(axis=1, keepdims=True),
        "std axis": lambda T, x: x.std(axis=0),
        "logsumexp axis": lambda T, x: x.logsumexp(axis=1),
    }
    values = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    for name, call in cases.items():
        ours, theirs = call(tg, tg.tensor(values)), call(torch, torch.tensor(values))
        assert_close(ours, theirs.numpy(), name)
    with pytest.raises(TypeError, match="both dim= and its NumPy name axis="):
        tg.ones(2, 2).sum(dim=0, axis=1)


REPR_CASES = {
    "2-d ints wrap at PyTorch's width": np.arange(40).reshape(2, 20),
    "2-d floats": np.arange(20.0).reshape(2, 10) / 3,
    "whole floats 1000x apart: scientific": np.array([1.0, 2000.0], dtype=np.float32),
    "1e8 exactly: not scientific": np.array([1e8], dtype=np.float32),
    "tiny values: scientific": np.array([1e-5, 1.0], dtype=np.float32),
    "nan, inf and -0.": np.array([np.nan, 1.0, -0.0, np.inf], dtype=np.float32),
    "only zeros": np.zeros(2, dtype=np.float32),
    "summarised 2-d": np.arange(2000.0, dtype=np.float32).reshape(2, 1000),
    "summarised rows and columns": np.arange(3000).reshape(10, 300),
    "summarised 3-d": (np.arange(512.0, dtype=np.float32).reshape(8, 8, 8) - 256) / 7,
    "3-d blocks": np.arange(24.0, dtype=np.float32).reshape(2, 3, 4),
    "0-d": np.array(3.5, dtype=np.float32),
    "bools": np.array([True, False]),
    "wide ints": np.arange(-1000, 1000, 67).reshape(2, 15),
}


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("name", list(REPR_CASES))
def test_repr_layout_matches_pytorch(name: str) -> None:
    values = REPR_CASES[name]
    ours = repr(tg.tensor(values)).replace("tinygrad_edu.", "torch.")
    theirs = repr(torch.tensor(values))
    assert ours == theirs, f"\n{ours}\nPyTorch:\n{theirs}"
    grad = values.dtype.kind == "f"
    if grad:  # the suffix joins the last line (or a line of its own past 80 columns)
        ours = repr(tg.tensor(values, requires_grad=True)).replace("tinygrad_edu.", "torch.")
        assert ours == repr(torch.tensor(values, requires_grad=True)), ours
