"""The ops of composite/special.py, scans (cummax cummin logcumsumexp), linalg.py, shape.py
and search.py, against PyTorch: values, gradients, dtypes, edge values and error messages.

Every op here is a composite over existing kernels, so the file compiles nothing new.
Inputs are built once in NumPy and handed to both libraries; `compare` checks the values
and, where the op is differentiable, the gradients of sum(out * w) for a fixed random w.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg
from tinygrad_edu.autograd import gradcheck

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

RNG = np.random.default_rng(0)


def _pair(value: Any, requires_grad: bool, transpose: bool) -> tuple:
    """(tinygrad_edu input, torch input, the two leaves) for a NumPy array or a number; a
    transposed input is the transposed view of a contiguous leaf (non-contiguous)."""
    if not isinstance(value, np.ndarray):
        return value, value, None, None
    grad = requires_grad and value.dtype.kind == "f"
    source = np.ascontiguousarray(value.swapaxes(-1, -2)) if transpose else value
    ours = tg.tensor(source, requires_grad=grad)
    theirs = torch.tensor(source, requires_grad=grad)
    if transpose:
        return ours.transpose(-1, -2), theirs.transpose(-1, -2), ours, theirs
    return ours, theirs, ours, theirs


def _flat(out: Any) -> list:
    return [o for o in out] if isinstance(out, (tuple, list)) else [out]


def assert_same(ours: Any, theirs: Any, atol: float = 1e-6, rtol: float = 1e-6,
                what: str = "value") -> None:
    """Same shape, dtype and values (nan where nan; exact for integers and bools)."""
    expected = theirs.detach().numpy()
    actual = ours.detach().numpy()
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {ours.shape} vs " \
        f"{tuple(theirs.shape)}"
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], \
        f"{what}: dtype {ours.dtype} vs {theirs.dtype}"
    if expected.dtype.kind in "biu":
        assert np.array_equal(actual, expected), f"{what}: {actual} vs {expected}"
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=what)


def compare(ours_fn: Any, torch_fn: Any, *inputs: Any, grad: bool = True,
            transpose: tuple = (), atol: float = 1e-6, rtol: float = 1e-6,
            grad_atol: float | None = None, torch_contiguous: bool = False,
            **kwargs: Any) -> Any:
    """Run both functions on the same inputs (positions in `transpose` given as transposed
    views: to PyTorch as contiguous copies with torch_contiguous, where its own op fails
    on views); compare every output, then the gradients of sum(out * w)."""
    pairs = [_pair(v, grad, i in transpose) for i, v in enumerate(inputs)]
    ours = ours_fn(*[p[0] for p in pairs], **kwargs)
    theirs_inputs = [p[1].contiguous() if torch_contiguous and isinstance(p[1], torch.Tensor)
                     else p[1] for p in pairs]
    theirs = torch_fn(*theirs_inputs, **kwargs)
    for i, (o, t) in enumerate(zip(_flat(ours), _flat(theirs))):
        assert_same(o, t, atol, rtol, f"output {i}")
    out, ref = _flat(ours)[0], _flat(theirs)[0]
    if grad and ref.requires_grad:
        weights = RNG.standard_normal(tuple(ref.shape)).astype(ref.detach().numpy().dtype)
        (out * tg.tensor(weights)).sum().backward()
        (ref * torch.tensor(weights)).sum().backward()
        for i, (_, _, leaf, ref_leaf) in enumerate(pairs):
            if ref_leaf is not None and ref_leaf.requires_grad and ref_leaf.grad is None:
                assert leaf.grad is None or not leaf.grad.numpy().any(), f"input {i}: grad"
            elif ref_leaf is not None and ref_leaf.requires_grad:
                assert leaf.grad is not None, f"input {i}: no gradient"
                assert_same(leaf.grad, ref_leaf.grad, grad_atol or atol, rtol,
                            f"gradient of input {i}")
    return ours


def raises_like(ours_fn: Any, torch_fn: Any) -> None:
    """Both raise, with the same message (our RuntimeError for PyTorch's NotImplementedError)."""
    with pytest.raises(Exception) as theirs:
        torch_fn()
    with pytest.raises(Exception) as ours:
        ours_fn()
    assert str(ours.value) == str(theirs.value)


def f64(*shape: int, low: float = -3, high: float = 3) -> np.ndarray:
    return RNG.uniform(low, high, shape)


# ---------------------------------------------------------------------------- special.py

UNARY = ["sinh", "cosh", "asinh", "atanh", "sinc", "deg2rad", "rad2deg", "logit", "signbit"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_special_values_and_gradients(name: str) -> None:
    x = f64(3, 4, low=-0.99, high=0.99)
    x[0, :] = [0.0, 1e-9, -1e-7, 0.5]
    if name == "logit":  # PyTorch's gradient is nan outside [0, 1] (see logit's docstring)
        x = np.abs(x)
    grad = name != "signbit"
    # sinc's gradient near 0 cancels (both libraries'): an absolute tolerance there
    compare(getattr(tg, name), getattr(torch, name), x, grad=grad, transpose=(0,),
            rtol=1e-12, atol=1e-14, grad_atol=1e-8)
    compare(getattr(tg.Tensor, name), getattr(torch.Tensor, name), x, grad=False)


def test_acosh_and_wide_ranges() -> None:
    x = np.array([1.0, 1 + 1e-12, 1.5, 10.0, 1e5, 3e8, 1e200, 0.5, np.inf, np.nan])
    compare(tg.acosh, torch.acosh, x[1:7], rtol=1e-12)
    compare(tg.acosh, torch.acosh, x, grad=False, rtol=1e-12)
    big = np.array([-1e300, -1e10, -50.0, -1e-300, 0.0, 1e-20, 0.3, 2.0, 40.0, 1e10, np.inf])
    # atol: at -1e300 PyTorch's gradient 1 / sqrt(1 + x^2) underflows to 0 (x^2 is inf)
    compare(tg.asinh, torch.asinh, big, rtol=1e-12, atol=1e-290)
    compare(tg.sinh, torch.sinh, np.array([-700.0, -20.0, -1.0, -0.999, 1e-300, 0.9, 5.0,
                                           700.0, np.nan, -np.inf]), rtol=1e-12, atol=0)
    # rtol: cosh's gradient near 0 is a difference of two terms near 1/2 (sinh's is not)
    compare(tg.cosh, torch.cosh, np.array([-700.0, -1.0, 0.0, 1e-5, 3.0, 700.0, np.inf]),
            rtol=1e-10, atol=0)
    compare(tg.atanh, torch.atanh, np.array([-1.0, -1 + 1e-9, 0.0, 1.0, 2.0]), grad=False)


def test_float32_near_overflow_and_integer_promotion() -> None:
    x = np.array([-88.3, -10.0, 0.0, 1e-6, 88.0, 88.3], np.float32)
    compare(tg.sinh, torch.sinh, x, rtol=1e-6)
    compare(tg.cosh, torch.cosh, x, rtol=1e-6)
    compare(tg.asinh, torch.asinh, np.array([3e19, -1e-8, 2.0], np.float32), rtol=1e-6)
    ints = np.array([[0, 1, -2]])
    for name in UNARY + ["acosh", "arcsinh", "arccosh", "arctanh"]:
        compare(getattr(tg, name), getattr(torch, name), ints, grad=False, rtol=1e-6)
    compare(tg.sinc, torch.sinc, np.array([True, False]), grad=False)


PROMOTION_INPUTS = [np.array([True, False, True]), np.array([1, 0, -2], np.int32),
                    np.array([3, 0, 2]), np.array([0.5, 0.0, -1.5], np.float32),
                    np.array([0.25, 2.0, 0.0])]


def _outcome(library: Any, name: str, *arrays: np.ndarray) -> tuple:
    """(result dtype name, values) or (the error message, None)."""
    try:
        out = getattr(library, name)(*[library.tensor(a) for a in arrays])
    except (RuntimeError, NotImplementedError) as error:  # PyTorch's NotImplementedError
        return str(error), None  # is our RuntimeError, with the same message
    return str(out.dtype).split(".")[-1], out.detach().numpy().astype(np.float64)


@pytest.mark.parametrize("name", UNARY + ["acosh", "lgamma", "digamma", "logaddexp",
                                          "logaddexp2", "hypot", "xlogy", "fmod",
                                          "copysign", "float_power"])
def test_dtype_promotion_and_refusals_match_pytorch(name: str) -> None:
    binary = name in ("logaddexp", "logaddexp2", "hypot", "xlogy", "fmod", "copysign",
                      "float_power")
    operands = [(a, b) for a in PROMOTION_INPUTS for b in PROMOTION_INPUTS] if binary else [
        (a,) for a in PROMOTION_INPUTS]
    for arrays in operands:
        if name == "fmod" and arrays[1].dtype.kind in "biu":
            arrays = (arrays[0], arrays[1] + (arrays[1] == 0))  # integer % 0 raises (tested)
        (ours, our_values), (theirs, their_values) = (_outcome(tg, name, *arrays),
                                                      _outcome(torch, name, *arrays))
        what = f"{name}{tuple(a.dtype.name for a in arrays)}"
        assert ours == theirs, f"{what}: {ours} vs {theirs}"
        if their_values is not None:
            np.testing.assert_allclose(our_values, their_values, rtol=1e-6, atol=1e-6,
                                       equal_nan=True, err_msg=what)


def test_logit_eps_clamps_and_zeroes_the_gradient_outside() -> None:
    x = np.array([0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0])
    compare(tg.logit, torch.logit, x, eps=0.1, rtol=1e-12)
    compare(tg.logit, torch.logit, np.array([-0.5, 0.0, 1.0, 1.5]), grad=False)
    y = tg.tensor([0.25, 0.5])
    assert y.logit_(eps=0.3) is y and np.allclose(y.numpy(), torch.logit(
        torch.tensor([0.25, 0.5]), 0.3).numpy())


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2", "hypot", "copysign",
                                  "float_power", "xlogy", "fmod"])
def test_binary_special_broadcast_and_transposed(name: str) -> None:
    a, b = f64(4, 1, 3), f64(5, 3)
    if name == "float_power":
        a = np.abs(a) + 0.1
    if name == "xlogy":
        b = np.abs(b)
    ours, theirs = getattr(tg, name), getattr(torch, name)
    compare(ours, theirs, a, b, transpose=(1,), rtol=1e-12, atol=1e-12)
    compare(getattr(tg.Tensor, name), getattr(torch.Tensor, name), a, b, grad=False)
    if name in ("copysign", "float_power", "xlogy", "fmod"):  # PyTorch takes a number here
        compare(ours, theirs, a, 2.5, rtol=1e-12, atol=1e-12)


def test_logaddexp_infinities_and_integers() -> None:
    inf = np.inf
    a = np.array([-inf, inf, -inf, inf, 1.0, 1.0, np.nan, -1000.0, 30.0])
    b = np.array([-inf, inf, inf, 2.0, 1.0, -inf, 0.0, -1000.0, -30.0])
    compare(tg.logaddexp, torch.logaddexp, a, b, grad=False)
    compare(tg.logaddexp2, torch.logaddexp2, a, b, grad=False)
    compare(tg.logaddexp, torch.logaddexp, a[4:], b[4:])  # finite: gradients (ties split)
    raises_like(lambda: tg.logaddexp(tg.tensor([1]), tg.tensor([2])),
                lambda: torch.logaddexp(torch.tensor([1]), torch.tensor([2])))


def test_hypot_edges() -> None:
    a = np.array([3.0, 0.0, 1e300, np.inf, np.nan, -np.inf, 1e-300])
    b = np.array([-4.0, 0.0, 1e300, np.nan, np.inf, 2.0, 1e-300])
    compare(tg.hypot, torch.hypot, a, b, grad=False, rtol=1e-12, atol=0)
    compare(tg.hypot, torch.hypot, np.array([3.0, -2.0, 5.0]), np.array([4.0, 2.0, 0.0]))
    compare(tg.hypot, torch.hypot, np.array([3.0, 1e20], np.float32),
            np.array([4.0, 1e20], np.float32), grad=False)


def test_xlogy_zero_rule_and_its_gradient() -> None:
    x = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 1.5, -1.0])
    y = np.array([0.0, -1.0, np.inf, np.nan, 3.0, 0.0, 3.0, np.inf, 2.0])
    compare(tg.xlogy, torch.xlogy, x, y, grad=False)
    # gradients where PyTorch's are finite (see xlogy's docstring for the two it leaves nan
    # or inf): d/dx = log y (0 where x = 0 and y <= 0), d/dy = x / y
    keep = [1, 4, 6, 8]
    compare(tg.xlogy, torch.xlogy, x[keep], y[keep])
    ours = tg.tensor([0.0, 0.0], requires_grad=True)
    y0 = tg.tensor([0.0, 2.0], requires_grad=True)
    tg.xlogy(ours, y0).sum().backward()
    assert np.allclose(ours.grad.numpy(), [0.0, math.log(2.0)])
    assert np.isfinite(y0.grad.numpy()).all(), "the where-gradient trap: nan leaked through"
    compare(tg.xlogy, torch.xlogy, np.array([1, 0, 3]), np.array([2, 0, 5]), grad=False)
    compare(tg.xlogy, torch.xlogy, 3, np.array([1.0, 2.0]))


def test_fmod_signs_integers_and_division_by_zero() -> None:
    a = np.array([5.0, -5.0, 5.0, -5.0, -4.0, 0.5, np.inf, 1.0, -0.0, 1e-30, 7.5])
    b = np.array([3.0, 3.0, -3.0, -3.0, 2.0, 0.0, 1.0, np.inf, 2.0, -1.0, 2.5])
    ours = compare(tg.fmod, torch.fmod, a, b, grad=False)
    finite = ~np.isnan(ours.numpy())  # -0.0 kept (a nan's sign bit: see signbit)
    assert np.array_equal(np.signbit(ours.numpy()[finite]), np.signbit(np.fmod(a, b)[finite]))
    compare(tg.fmod, torch.fmod, a[:5], b[:5])  # d/da = 1, d/db = -trunc(a / b)
    ints = np.array([7, -7, 7, -7, 0])
    compare(tg.fmod, torch.fmod, ints, np.array([2, 2, -2, -2, 3]), grad=False)
    compare(tg.fmod, torch.fmod, ints.astype(np.uint8), np.array([3], np.uint8), grad=False)
    compare(tg.fmod, torch.fmod, ints, 2.5, grad=False)
    raises_like(lambda: tg.fmod(tg.tensor([1, 2]), tg.tensor([1, 0])),
                lambda: torch.fmod(torch.tensor([1, 2]), torch.tensor([1, 0])))
    raises_like(lambda: tg.fmod(tg.tensor([1, 2]), 0), lambda: torch.fmod(torch.tensor([1, 2]), 0))
    x = tg.tensor([5, -5])
    assert x.fmod_(3) is x and x.tolist() == [2, -2]


def test_copysign_signbit_and_negative_zero() -> None:
    a = np.array([1.0, -2.0, 0.0, 3.0, np.inf, 0.0])
    b = np.array([-0.0, 0.0, -1.0, -np.inf, -2.0, 5.0])
    compare(tg.copysign, torch.copysign, a, b, grad=False)
    keep = [0, 1, 2, 3, 5]  # PyTorch's d/da at a = inf is inf / inf = nan (here sign(b))
    compare(tg.copysign, torch.copysign, a[keep], b[keep])  # d/db is 0, and present
    ours = tg.copysign(tg.tensor(a), tg.tensor(b)).numpy()
    assert np.array_equal(np.signbit(ours), np.signbit(np.copysign(a, b)))
    compare(tg.signbit, torch.signbit, np.array([-0.0, 0.0, -1.0, np.inf, -np.inf]))
    compare(tg.signbit, torch.signbit, np.array([-3, 0, 2]))
    compare(tg.copysign, torch.copysign, np.array([1, -2]), np.array([-1, 1]))


def test_heaviside_float_power_and_inplace_forms() -> None:
    x = np.array([[np.nan, 0.0, -1.0, 2.0]])
    compare(tg.heaviside, torch.heaviside, x, np.array([5.0]), grad=False)
    compare(tg.heaviside, torch.heaviside, np.array([0, 3, -1]), np.array([7]), grad=False)
    raises_like(lambda: tg.heaviside(tg.tensor([1.0]), tg.tensor([1])),
                lambda: torch.heaviside(torch.tensor([1.0]), torch.tensor([1])))
    compare(tg.float_power, torch.float_power, np.array([2, 3]), np.array([0.5, 2.0],
                                                                         np.float32))
    compare(tg.float_power, torch.float_power, 2, np.array([1.0, -1.0], np.float32))
    raises_like(lambda: tg.ones(2).float_power_(2), lambda: torch.ones(2).float_power_(2))
    for name in ["sinh", "cosh", "asinh", "atanh", "sinc", "deg2rad", "rad2deg", "arcsinh"]:
        ours, theirs = tg.tensor([0.25, -0.5]), torch.tensor([0.25, -0.5])
        assert getattr(ours, name + "_")() is ours
        assert_same(ours, getattr(theirs, name + "_")(), what=name + "_")
    for name in ["hypot", "xlogy", "copysign", "fmod", "float_power"]:
        ours, theirs = tg.tensor([0.25, 0.5], dtype=tg.float64), torch.tensor([0.25, 0.5],
                                                                              dtype=torch.float64)
        getattr(ours, name + "_")(tg.tensor([-2.0], dtype=tg.float64))
        assert_same(ours, getattr(theirs, name + "_")(torch.tensor([-2.0], dtype=torch.float64)),
                    what=name + "_")


def test_grad_fn_names() -> None:
    x = tg.tensor([0.5], requires_grad=True)  # stands for the operand count
    for name, node in [("sinh", "SinhBackward0"), ("xlogy", "XlogyBackward0"),
                       ("logit", "LogitBackward0"), ("rot90", "Rot90Backward0"),
                       ("logcumsumexp", "LogcumsumexpBackward0"), ("trace", "TraceBackward0")]:
        args = (x, x) if name == "xlogy" else (x,)
        extra = {"rot90": (1, (0, 1)), "logcumsumexp": (0,)}.get(name, ())
        shape = (1, 1) if name in ("rot90", "trace") else (1,)
        theirs = torch.full(shape, 0.5, requires_grad=True)
        assert type(getattr(torch, name)(*[theirs] * len(args), *extra).grad_fn).__name__ \
            == node
        ours = tg.full(shape, 0.5, requires_grad=True)
        assert getattr(tg, name)(*[ours] * len(args), *extra).grad_fn.name() == node


# ---------------------------------------------------------------------------- scans.py


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_ties_nan_and_gradient_to_the_chosen_index(name: str) -> None:
    nan = np.nan
    x = np.array([[1.0, 3.0, 3.0, 2.0, nan, 5.0, nan, 1.0],
                  [2.0, 1.0, 1.0, 0.0, 0.0, 4.0, -1.0, -1.0]])
    for dim in (1, -1):
        ours = compare(getattr(tg, name), getattr(torch, name), x, dim=dim)
    assert type(ours).__name__ == name and ours.indices.dtype == tg.int64
    compare(getattr(tg, name), getattr(torch, name), f64(3, 4, 5), transpose=(0,), dim=1)
    compare(getattr(tg.Tensor, name), getattr(torch.Tensor, name), f64(3, 1, 2), 1)
    compare(getattr(tg, name), getattr(torch, name), np.array([[3, 1, 3, 7]]), 1)
    compare(getattr(tg, name), getattr(torch, name), np.array([True, False, True]), 0)
    compare(getattr(tg, name), getattr(torch, name), np.zeros((2, 0)), 1)
    compare(getattr(tg, name), getattr(torch, name), np.array(2.5), 0)


def test_logcumsumexp_is_stable() -> None:
    inf = np.inf
    compare(tg.logcumsumexp, torch.logcumsumexp, f64(4, 5, low=-5, high=5), 1, rtol=1e-12,
            transpose=(0,))
    compare(tg.logcumsumexp, torch.logcumsumexp, np.array([1000.0, 1000.0, -1000.0, 1e4]), 0,
            rtol=1e-12)  # exp would overflow
    compare(tg.logcumsumexp, torch.logcumsumexp, np.array([-inf, -inf, 1.0, inf, 2.0]), 0,
            grad=False)
    compare(tg.Tensor.logcumsumexp, torch.Tensor.logcumsumexp, np.zeros((0, 3), np.float32), 0)
    raises_like(lambda: tg.logcumsumexp(tg.tensor([1, 2]), 0),
                lambda: torch.logcumsumexp(torch.tensor([1, 2]), 0))


# ---------------------------------------------------------------------------- linalg.py


def test_trace_and_kron() -> None:
    compare(tg.trace, torch.trace, f64(3, 5), transpose=(0,))
    compare(tg.Tensor.trace, torch.Tensor.trace, np.arange(6, dtype=np.int32).reshape(2, 3))
    compare(tg.trace, torch.trace, np.zeros((0, 2)))
    raises_like(lambda: tg.trace(tg.ones(3)), lambda: torch.trace(torch.ones(3)))
    raises_like(lambda: tg.trace(tg.ones(2, 2, dtype=tg.bool)),
                lambda: torch.trace(torch.ones(2, 2, dtype=torch.bool)))
    # PyTorch 2.13's kron and block_diag fail on a transposed view: it gets a copy
    compare(tg.kron, torch.kron, f64(2, 3), f64(4, 1, 2), transpose=(0,), torch_contiguous=True)
    compare(tg.Tensor.kron, torch.Tensor.kron, f64(3), f64(2))
    compare(tg.kron, torch.kron, np.arange(4).reshape(2, 2), np.array([[1, -1]], np.int32))
    compare(tg.kron, torch.kron, np.array(2.0), f64(2, 0))


def test_cross_dims_broadcast_and_errors() -> None:
    a, b = f64(4, 3), f64(1, 3)
    compare(tg.cross, torch.cross, a, b, dim=1)
    compare(tg.linalg.cross, torch.linalg.cross, f64(2, 5, 3), f64(5, 3)[None],
            transpose=())
    compare(tg.Tensor.cross, torch.Tensor.cross, f64(3, 3, 2), f64(3, 3, 2), dim=0)
    with pytest.warns(UserWarning, match="without specifying the dim"):
        ours = tg.cross(tg.tensor(f64(2, 3, 3)), tg.tensor(f64(2, 3, 3)))
    with pytest.warns(UserWarning):
        theirs = torch.cross(torch.tensor(ours.numpy()), torch.tensor(ours.numpy()))
    assert_same(tg.cross(ours, ours, dim=1), theirs)  # the first dim of size 3: dim 1
    compare(tg.linalg.cross, torch.linalg.cross, np.array([[1, 0, 0]]), np.array([[0, 1, 0]]))
    with pytest.warns(UserWarning):
        raises_like(lambda: tg.cross(tg.ones(2, 4), tg.ones(2, 4)),
                    lambda: torch.cross(torch.ones(2, 4), torch.ones(2, 4)))
    raises_like(lambda: tg.linalg.cross(tg.ones(2, 4), tg.ones(2, 4)),
                lambda: torch.linalg.cross(torch.ones(2, 4), torch.ones(2, 4)))
    raises_like(lambda: tg.cross(tg.ones(3), tg.ones(2, 3), dim=-1),
                lambda: torch.cross(torch.ones(3), torch.ones(2, 3), dim=-1))


def test_addmm_family_beta_alpha_and_beta_zero() -> None:
    x, m1, m2 = f64(1, 3), f64(4, 2, 5), f64(4, 5, 3)
    compare(tg.baddbmm, torch.baddbmm, x, m1, m2, beta=0.5, alpha=-2.0)
    compare(tg.addbmm, torch.addbmm, f64(2, 3), m1, m2, transpose=(2,), alpha=3.0)
    compare(tg.addmv, torch.addmv, f64(1), f64(3, 4), f64(4), transpose=(1,), beta=2.0)
    compare(tg.addr, torch.addr, f64(3, 1), f64(3), f64(2), alpha=0.5)
    nan = np.full((2, 3), np.nan)
    for ours, theirs, args in [(tg.addr, torch.addr, (nan, f64(2), f64(3))),
                               (tg.addmv, torch.addmv, (nan[0, :2], f64(2, 3), f64(3))),
                               (tg.baddbmm, torch.baddbmm, (nan, f64(1, 2, 4), f64(1, 4, 3))),
                               (tg.addbmm, torch.addbmm, (nan, f64(0, 2, 4), f64(0, 4, 3)))]:
        compare(ours, theirs, *args, beta=0)  # beta = 0 ignores nan in the input
    compare(tg.addr, torch.addr, np.ones((2, 3), np.int64), np.arange(2), np.arange(3),
            beta=2, alpha=3)
    compare(tg.addr, torch.addr, np.zeros((2, 2), bool), np.array([True, False]),
            np.array([True, True]))
    raises_like(lambda: tg.addr(tg.ones(2, 3, dtype=tg.long), tg.ones(2, dtype=tg.long),
                                tg.ones(3, dtype=tg.long), beta=0.5),
                lambda: torch.addr(torch.ones(2, 3, dtype=torch.long),
                                   torch.ones(2, dtype=torch.long),
                                   torch.ones(3, dtype=torch.long), beta=0.5))
    raises_like(lambda: tg.addmv(tg.ones(2), tg.ones(2, 3), tg.ones(4)),
                lambda: torch.addmv(torch.ones(2), torch.ones(2, 3), torch.ones(4)))
    for name, args in [("addmv", (f64(3, 4), f64(4))), ("addr", (f64(2), f64(3)))]:
        shape = (2, 3) if name == "addr" else (3,)
        ours, theirs = tg.zeros(*shape, dtype=tg.float64), torch.zeros(*shape,
                                                                   dtype=torch.float64)
        assert getattr(ours, name + "_")(*[tg.tensor(a) for a in args], alpha=2) is ours
        assert_same(ours, getattr(theirs, name + "_")(*[torch.tensor(a) for a in args],
                                                      alpha=2))


@pytest.mark.parametrize("offset, dim1, dim2", [(0, -2, -1), (1, 0, 2), (-2, 2, 0),
                                                (3, -1, 1)])
def test_diag_embed(offset: int, dim1: int, dim2: int) -> None:
    compare(tg.diag_embed, torch.diag_embed, f64(2, 3), offset, dim1, dim2, transpose=(0,))
    compare(tg.Tensor.diag_embed, torch.Tensor.diag_embed, np.arange(3), offset)


def test_diag_embed_errors_and_edges() -> None:
    raises_like(lambda: tg.diag_embed(tg.ones(2, 3), 1, 0, -3),
                lambda: torch.diag_embed(torch.ones(2, 3), 1, 0, -3))
    compare(tg.diag_embed, torch.diag_embed, np.zeros((2, 0)))


def test_block_diag_cartesian_prod_vander() -> None:
    compare(tg.block_diag, torch.block_diag, np.array(1.5), f64(2), f64(2, 3), f64(0, 2),
            f64(3, 1), transpose=(2,), torch_contiguous=True)
    compare(tg.block_diag, torch.block_diag, np.array([1, 2], np.int32), np.array([[True]]))
    assert_same(tg.block_diag(), torch.block_diag())
    raises_like(lambda: tg.block_diag(tg.ones(2, 2, 2)),
                lambda: torch.block_diag(torch.ones(2, 2, 2)))
    compare(tg.cartesian_prod, torch.cartesian_prod, f64(2), f64(3), f64(1))
    compare(tg.cartesian_prod, torch.cartesian_prod, f64(3))
    compare(tg.cartesian_prod, torch.cartesian_prod, np.arange(2), np.arange(0))
    raises_like(lambda: tg.cartesian_prod(tg.ones(2, 2)),
                lambda: torch.cartesian_prod(torch.ones(2, 2)))
    # PyTorch 2.13's vander backward fails (an in-place cumprod): ours by central differences
    compare(tg.vander, torch.vander, f64(4), grad=False)
    compare(tg.vander, torch.vander, f64(3), N=5, increasing=True, grad=False)
    x = tg.tensor(f64(3), requires_grad=True)
    assert gradcheck(lambda t: tg.vander(t, N=4), (x,))
    compare(tg.vander, torch.vander, np.array([3, -2, 7]), 4)  # exact int64 powers
    compare(tg.vander, torch.vander, np.array([True, False]))
    compare(tg.vander, torch.vander, f64(2), N=0)
    raises_like(lambda: tg.vander(tg.ones(2, 2)), lambda: torch.vander(torch.ones(2, 2)))


def test_cov_weights_correction_and_corrcoef() -> None:
    x = f64(3, 6)
    fw, aw = np.array([1, 2, 0, 3, 1, 1]), RNG.uniform(0.1, 2, 6)

    def weighted(library: Any, **options: Any) -> Any:
        weights = {k: library.tensor(v) for k, v in options.items() if k != "correction"}
        return lambda t: library.cov(t, correction=options.get("correction", 1), **weights)

    compare(tg.cov, torch.cov, x, transpose=(0,), rtol=1e-10)
    for options in [dict(correction=0, fweights=fw), dict(aweights=aw),
                    dict(correction=2, fweights=fw, aweights=aw)]:
        compare(weighted(tg, **options), weighted(torch, **options), x, rtol=1e-10)
    compare(weighted(tg, aweights=aw.astype(np.float32)),
            weighted(torch, aweights=aw.astype(np.float32)), np.arange(12.0).reshape(2, 6),
            rtol=1e-10)  # float64 x, float32 weights: float64
    compare(tg.Tensor.cov, torch.Tensor.cov, f64(5), rtol=1e-10)  # one variable: 0-d
    compare(tg.cov, torch.cov, np.array([[1, 2, 4], [3, 3, 1]]), grad=False)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        compare(tg.cov, torch.cov, f64(2, 1), grad=False)
    compare(tg.corrcoef, torch.corrcoef, x, rtol=1e-10)
    compare(tg.Tensor.corrcoef, torch.Tensor.corrcoef, np.array([[1, 2, 4], [3, 3, 3]]),
            grad=False)
    compare(tg.corrcoef, torch.corrcoef, f64(4), grad=False)
    ones = tg.ones(2, 3)
    for ours, theirs in [
            (lambda: tg.cov(tg.ones(2, 2, 2)), lambda: torch.cov(torch.ones(2, 2, 2))),
            (lambda: tg.cov(ones, fweights=tg.ones(3)),
             lambda: torch.cov(torch.ones(2, 3), fweights=torch.ones(3))),
            (lambda: tg.cov(ones, fweights=-tg.ones(3, dtype=tg.long)),
             lambda: torch.cov(torch.ones(2, 3), fweights=-torch.ones(3, dtype=torch.long))),
            (lambda: tg.cov(ones, aweights=tg.ones(3, dtype=tg.long)),
             lambda: torch.cov(torch.ones(2, 3), aweights=torch.ones(3, dtype=torch.long))),
            (lambda: tg.cov(ones, aweights=tg.ones(2)),
             lambda: torch.cov(torch.ones(2, 3), aweights=torch.ones(2))),
            (lambda: tg.cov(ones, aweights=tg.ones(3, 1)),
             lambda: torch.cov(torch.ones(2, 3), aweights=torch.ones(3, 1)))]:
        raises_like(ours, theirs)


# ---------------------------------------------------------------------------- shape.py


@pytest.mark.parametrize("splits", [3, 5, 1, [1, -2, 9, 3], [], [0, 0], (2,)])
def test_tensor_split_sections_and_indices_are_views(splits: Any) -> None:
    x = f64(4, 7)
    ours = compare(tg.tensor_split, torch.tensor_split, x, splits, dim=1, transpose=(0,))
    assert len(ours) == len(torch.tensor_split(torch.tensor(x), splits, dim=1))
    base = tg.tensor(x)
    for piece in tg.tensor_split(base, splits, 1):
        assert piece._storage is base._storage, "tensor_split should return views"
    compare(tg.Tensor.tensor_split, torch.Tensor.tensor_split, f64(5, 0), splits)


def test_tensor_split_tensor_arguments_and_errors() -> None:
    x = np.arange(7)
    compare(tg.tensor_split, torch.tensor_split, x, np.array(3))
    compare(tg.tensor_split, torch.tensor_split, x, np.array([2, 5]))
    for splits in [2, 0]:
        raises_like(lambda s=splits: tg.tensor_split(tg.tensor(1.0) if s else tg.arange(5), s),
                    lambda s=splits: torch.tensor_split(torch.tensor(1.0) if s else
                                                        torch.arange(5), s))
    raises_like(lambda: tg.tensor_split(tg.arange(7), tg.tensor([1.0, 2.0])),
                lambda: torch.tensor_split(torch.arange(7), torch.tensor([1.0, 2.0])))
    raises_like(lambda: tg.tensor_split(tg.arange(7), tg.ones(2, 2, dtype=tg.long)),
                lambda: torch.tensor_split(torch.arange(7), torch.ones(2, 2, dtype=torch.long)))


def test_take_along_dim_broadcasts_and_flattens() -> None:
    x = f64(3, 4)
    index = np.argsort(x, axis=1)
    compare(tg.take_along_dim, torch.take_along_dim, x, index, 1, transpose=(0,))
    compare(tg.Tensor.take_along_dim, torch.Tensor.take_along_dim, x, np.array([[0], [3],
                                                                                [1]]), 1)
    compare(tg.take_along_dim, torch.take_along_dim, f64(3, 1), np.array([[0, 0]]), 1)
    compare(tg.take_along_dim, torch.take_along_dim, f64(2, 1, 3),
            np.array([[[0, 2]], [[1, 1]]]).repeat(4, 1), -1)
    compare(tg.take_along_dim, torch.take_along_dim, x, np.array([11, 0, 5]))  # flattened
    raises_like(lambda: tg.take_along_dim(tg.ones(2, 3), tg.ones(3, dtype=tg.long), 1),
                lambda: torch.take_along_dim(torch.ones(2, 3), torch.ones(3, dtype=torch.long),
                                             1))
    raises_like(lambda: tg.take_along_dim(tg.ones(2, 3), tg.ones(1, 3, dtype=tg.int32), 1),
                lambda: torch.take_along_dim(torch.ones(2, 3),
                                             torch.ones(1, 3, dtype=torch.int32), 1))


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 3, 4, 5])
def test_rot90(k: int) -> None:
    compare(tg.rot90, torch.rot90, f64(2, 3, 4), k, (2, 0), transpose=(0,))
    compare(tg.Tensor.rot90, torch.Tensor.rot90, np.arange(6).reshape(2, 3), k)


def test_rot90_errors() -> None:
    for args in [(1, [0, 1, 2]), (1, [0, 0])]:
        raises_like(lambda a=args: tg.rot90(tg.ones(3, 3), *a),
                    lambda a=args: torch.rot90(torch.ones(3, 3), *a))
    raises_like(lambda: tg.rot90(tg.ones(3)), lambda: torch.rot90(torch.ones(3)))


def test_atleast_column_stack_and_triangle_indices() -> None:
    shapes = [(), (3,), (2, 3), (2, 1, 3)]
    for name in ["atleast_1d", "atleast_2d", "atleast_3d"]:
        for shape in shapes:
            compare(getattr(tg, name), getattr(torch, name), f64(*shape))
        ours = getattr(tg, name)(tg.ones(()), tg.ones(2))
        theirs = getattr(torch, name)(torch.ones(()), torch.ones(2))
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]
        assert [t.shape for t in getattr(tg, name)([tg.ones(())])] == [
            tuple(t.shape) for t in getattr(torch, name)([torch.ones(())])]
    x = tg.ones(2, 3)
    assert tg.atleast_2d(x) is x
    compare(lambda *t: tg.column_stack(t), lambda *t: torch.column_stack(t), np.array(1.0),
            f64(1), f64(1, 2))
    compare(lambda *t: tg.column_stack(t), lambda *t: torch.column_stack(t), f64(3), f64(3, 2),
            np.arange(3.0), transpose=(1,))
    for row, col, offset in [(3, 4, 1), (4, 3, 0), (0, 4, -1), (3, 2, -5), (1, 1, 0)]:
        for name in ["tril_indices", "triu_indices"]:
            assert_same(getattr(tg, name)(row, col, offset),
                        getattr(torch, name)(row, col, offset))
    assert_same(tg.tril_indices(3, 3, dtype=tg.int32), torch.tril_indices(3, 3,
                                                                         dtype=torch.int32))


# ---------------------------------------------------------------------------- search.py


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize(right: bool) -> None:
    s = np.array([1.0, 2.0, 2.0, 2.0, 5.0, 7.0, np.inf])
    values = np.array([[-np.inf, 1.0, 2.0, 3.0], [7.0, 8.0, np.inf, np.nan]])
    compare(tg.searchsorted, torch.searchsorted, s, values, right=right)
    compare(tg.searchsorted, torch.searchsorted, s, values, side="right" if right else "left")
    compare(tg.searchsorted, torch.searchsorted, s, 2.0, right=right)
    compare(tg.searchsorted, torch.searchsorted, s, values, right=right, out_int32=True)
    batch = np.sort(f64(2, 3, 5), axis=-1)
    compare(tg.searchsorted, torch.searchsorted, batch, f64(2, 3, 4), right=right)
    compare(tg.searchsorted, torch.searchsorted, np.array([1, 3, 3, 8]),
            np.array([0.5, 3.0, 9.0]), right=right)  # int sequence, float values
    compare(tg.searchsorted, torch.searchsorted, np.array([1.0, np.nan, np.nan]),
            np.array([0.0, 1.0, 2.0, np.nan]), right=right)
    compare(tg.searchsorted, torch.searchsorted, np.zeros(0), np.ones(3), right=right)
    compare(tg.searchsorted, torch.searchsorted, np.array([4.0]), np.ones((0, 2)), right=right)
    unsorted = np.array([5.0, 1.0, 3.0, 3.0, 0.0])
    sorter = np.argsort(unsorted, kind="stable")
    ours = tg.searchsorted(tg.tensor(unsorted), tg.tensor([3.0, 4.0, -1.0]), right=right,
                           sorter=tg.tensor(sorter))
    theirs = torch.searchsorted(torch.tensor(unsorted), torch.tensor([3.0, 4.0, -1.0]),
                                right=right, sorter=torch.tensor(sorter))
    assert_same(ours, theirs)
    compare(tg.bucketize, torch.bucketize, values, s, right=right)
    compare(tg.bucketize, torch.bucketize, 2, np.array([1, 3]), right=right, out_int32=True)


def test_searchsorted_errors() -> None:
    ones = (tg.ones(3), torch.ones(3))
    for kwargs in [dict(side="left", right=True), dict(side="middle")]:
        raises_like(lambda k=kwargs: tg.searchsorted(ones[0], tg.ones(3, 1), **k),
                    lambda k=kwargs: torch.searchsorted(ones[1], torch.ones(3, 1), **k))
    raises_like(lambda: tg.searchsorted(tg.ones(2, 3), tg.ones(3, 1)),
                lambda: torch.searchsorted(torch.ones(2, 3), torch.ones(3, 1)))
    raises_like(lambda: tg.searchsorted(tg.ones(2, 3), 2.0),
                lambda: torch.searchsorted(torch.ones(2, 3), 2.0))
    raises_like(lambda: tg.searchsorted(ones[0], tg.ones(2), sorter=tg.ones(3, dtype=tg.int32)),
                lambda: torch.searchsorted(ones[1], torch.ones(2),
                                           sorter=torch.ones(3, dtype=torch.int32)))
    raises_like(lambda: tg.searchsorted(ones[0], tg.ones(2), sorter=tg.ones(2, dtype=tg.long)),
                lambda: torch.searchsorted(ones[1], torch.ones(2),
                                           sorter=torch.ones(2, dtype=torch.long)))
    raises_like(lambda: tg.bucketize(tg.ones(1), tg.ones(2, 2)),
                lambda: torch.bucketize(torch.ones(1), torch.ones(2, 2)))


def test_histc() -> None:
    x = f64(50) * 2
    x[:4] = [np.nan, 10.0, -10.0, 1.0]
    compare(tg.histc, torch.histc, x, bins=7, min=-2, max=4, grad=False)
    compare(tg.Tensor.histc, torch.Tensor.histc, x[4:].astype(np.float32), 10, grad=False)
    compare(tg.histc, torch.histc, np.array([0.0, 1.0, 2.0, 3.0]), bins=3, grad=False)
    compare(tg.histc, torch.histc, np.array([1.4], np.float32), 4, 1, 1, grad=False)
    compare(tg.histc, torch.histc, np.array([2.0, 2.0]), 5, grad=False)
    compare(tg.histc, torch.histc, np.zeros((0,)), 3, grad=False)
    compare(tg.histc, torch.histc, f64(3, 4), 4, transpose=(0,), grad=False)
    for args in [((1, 2), dict(bins=4)), ((1.0, 2.0), dict(bins=0)),
                 ((1.0, 2.0), dict(bins=3, min=2, max=1)), ((1.0, np.inf), dict(bins=3))]:
        raises_like(lambda a=args: tg.histc(tg.tensor(a[0]), **a[1]),
                    lambda a=args: torch.histc(torch.tensor(a[0]), **a[1]))


def test_aminmax() -> None:
    x = f64(3, 4)
    x[0, 1] = x[0, 2] = 5.0  # a tie: amax's gradient is shared, as PyTorch's
    for kwargs in [dict(), dict(dim=1), dict(dim=0, keepdim=True), dict(dim=-1)]:
        ours = compare(tg.aminmax, torch.aminmax, x, transpose=(0,), **kwargs)
        assert type(ours).__name__ == "aminmax" and ours._fields == ("min", "max")
        # the gradient of max too
        compare(lambda t, kw=kwargs: tg.aminmax(t, **kw).max,
                lambda t, kw=kwargs: torch.aminmax(t, **kw).max, x, **{})
    compare(tg.Tensor.aminmax, torch.Tensor.aminmax, np.array([[3, -1], [2, 2]]), dim=0)
    compare(tg.aminmax, torch.aminmax, np.array(3.0), dim=0)
    compare(tg.aminmax, torch.aminmax, np.zeros((0, 3)), dim=1)
    raises_like(lambda: tg.aminmax(tg.ones(0, 3)), lambda: torch.aminmax(torch.ones(0, 3)))


# ---------------------------------------------------------------------------- tinygrad_edu.linalg


@pytest.mark.parametrize("ord", [2, 1, 3.5, 0, math.inf, -math.inf])
def test_linalg_vector_norm(ord: float) -> None:
    x = f64(3, 4)
    x[0, 0] = 0.0
    for dim in [None, 1, (0, 1)]:
        compare(tg.linalg.vector_norm, torch.linalg.vector_norm, x, ord, dim, transpose=(0,),
                rtol=1e-10)
    compare(tg.linalg.vector_norm, torch.linalg.vector_norm, x, ord, -1, True, rtol=1e-10)


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf])
def test_linalg_matrix_norm_and_norm(ord: Any) -> None:
    x = f64(2, 3, 4)
    compare(tg.linalg.matrix_norm, torch.linalg.matrix_norm, x, ord, transpose=(0,),
            rtol=1e-10)
    compare(tg.linalg.matrix_norm, torch.linalg.matrix_norm, x, ord, (0, 2), True, rtol=1e-10)
    compare(tg.linalg.norm, torch.linalg.norm, x[0], ord, rtol=1e-10)  # 2-d: matrix norm


def test_linalg_norm_defaults_vecdot_and_errors() -> None:
    x = f64(2, 3, 4)
    compare(tg.linalg.norm, torch.linalg.norm, x, rtol=1e-10)
    compare(tg.linalg.norm, torch.linalg.norm, x, None, (1, 2), rtol=1e-10)
    compare(tg.linalg.norm, torch.linalg.norm, x, 3, 1, rtol=1e-10)
    compare(tg.linalg.vecdot, torch.linalg.vecdot, x, f64(3, 4), rtol=1e-10)
    compare(tg.linalg.diagonal, torch.linalg.diagonal, x, offset=1)
    raises_like(lambda: tg.linalg.vector_norm(tg.ones(2, dtype=tg.long)),
                lambda: torch.linalg.vector_norm(torch.ones(2, dtype=torch.long)))
    with pytest.raises(RuntimeError, match="singular values"):
        tg.linalg.matrix_norm(tg.ones(2, 2), 2)


# ---------------------------------------------------------------------------- gamma.py


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_lgamma_digamma_values_and_gradients(name: str) -> None:
    ours, theirs = getattr(tg, name), getattr(torch, name)
    x = np.concatenate([f64(20, low=0.01, high=30), f64(10, low=-30, high=-0.01),
                        [0.5, 1.0, 2.0, 1.4616321449683623, 3.5, 1e-8, 170.5, 1e5, -2.5,
                         -1e5 - 0.25]])
    # atol: lgamma's zeros at 1, 2 and digamma's at 1.46...: see gamma.py on accuracy.
    # PyTorch's digamma gradient (its trigamma, a short series) is good to ~1e-9 only
    grad_atol = 1e-12 if name == "lgamma" else 1e-8
    compare(ours, theirs, x, rtol=1e-12, atol=1e-13, grad_atol=grad_atol)
    try:
        from scipy.special import polygamma
    except ImportError:
        polygamma = None
    if polygamma is not None:  # ours against SciPy's polygamma, to the last few ulps
        t = tg.tensor(x, requires_grad=True)
        ours(t).sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), polygamma(0 if name == "lgamma" else 1, x),
                                   rtol=1e-12, atol=1e-12)
    edges = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan, 1e-300, 1e300])
    compare(ours, theirs, edges, grad=False, rtol=1e-12)
    # float32: ours is computed in float64 and rounded once; PyTorch's in float32
    compare(ours, theirs, f64(3, 4, low=-5, high=5).astype(np.float32), transpose=(0,),
            rtol=1e-4, atol=1e-5)
    compare(ours, theirs, np.array([1, 2, 3, 7]), grad=False, rtol=1e-6)
    compare(getattr(tg.Tensor, name), getattr(torch.Tensor, name), f64(2, 2, low=0.5, high=4),
            rtol=1e-12)
    x_ours, x_theirs = tg.tensor([0.5, 4.0]), torch.tensor([0.5, 4.0])
    assert getattr(x_ours, name + "_")() is x_ours
    assert_same(x_ours, getattr(x_theirs, name + "_")())


# ---------------------------------------------------------------------------- devices


@pytest.mark.parametrize("device", DEVICES)
def test_the_new_ops_run_on_every_device(device: str) -> None:
    """A few elements through each module's ops on the device, against the CPU (the CUDA
    simulator runs every GPU thread in Python: tiny sizes)."""
    x, y = f64(2, 3), np.abs(f64(2, 3)) + 0.5
    cases = [
        lambda t, u: tg.sinh(t), lambda t, u: tg.xlogy(t, u), lambda t, u: tg.fmod(t, u),
        lambda t, u: tg.logaddexp(t, u), lambda t, u: tg.lgamma(u),
        lambda t, u: tg.cummax(t, 1).values, lambda t, u: tg.cummin(t, 1).indices,
        lambda t, u: tg.logcumsumexp(t, 1), lambda t, u: tg.cross(t, u, dim=1),
        lambda t, u: tg.diag_embed(t, 1), lambda t, u: tg.block_diag(t, u[0]),
        lambda t, u: tg.cov(t), lambda t, u: tg.tensor_split(t, 2, 1)[1] * 1,
        lambda t, u: tg.rot90(t), lambda t, u: tg.take_along_dim(t, tg.argsort(t, 1), 1),
        lambda t, u: tg.searchsorted(tg.sort(u, 1).values, t), lambda t, u: tg.histc(t, 4),
        lambda t, u: tg.aminmax(t, dim=0).max, lambda t, u: tg.addr(t, u[0, :2], u[1]),
    ]
    for i, case in enumerate(cases):
        expected = case(tg.tensor(x), tg.tensor(y)).numpy()
        got = case(tg.tensor(x, device=device), tg.tensor(y, device=device))
        assert got.device.type == device.split(":")[0], f"case {i}: on {got.device}"
        np.testing.assert_allclose(got.cpu().numpy(), expected, rtol=1e-12, atol=1e-12,
                                   err_msg=f"case {i}")
    assert tg.tril_indices(3, 3, device=device).device.type == device.split(":")[0]


# ---------------------------------------------------------------------------- elimination.py


def _well_conditioned(*shape: int) -> np.ndarray:
    return f64(*shape) + 4 * np.eye(shape[-1])


def test_det_solve_inv_values_and_gradients() -> None:
    a = f64(2, 4, 4)  # random: pivoting swaps rows
    compare(tg.linalg.det, torch.linalg.det, a, transpose=(0,), rtol=1e-10, atol=1e-12)
    compare(tg.det, torch.det, f64(3, 3), rtol=1e-10)
    compare(tg.Tensor.det, torch.Tensor.det, np.array([[0.0, 2.0], [3.0, 1.0]]), rtol=1e-12)
    compare(tg.linalg.inv, torch.linalg.inv, _well_conditioned(3, 3, 3), transpose=(0,),
            rtol=1e-10, atol=1e-12)
    compare(tg.inverse, torch.inverse, a[0], rtol=1e-9, atol=1e-10)
    compare(tg.Tensor.inverse, torch.Tensor.inverse, _well_conditioned(2, 2), rtol=1e-10)
    compare(tg.linalg.solve, torch.linalg.solve, a, f64(2, 4, 3), transpose=(1,), rtol=1e-9,
            atol=1e-10)
    compare(tg.linalg.solve, torch.linalg.solve, _well_conditioned(3, 1, 4, 4), f64(2, 4, 1),
            rtol=1e-10, atol=1e-12)  # batch dims broadcast
    compare(tg.linalg.solve, torch.linalg.solve, a, f64(2, 4), rtol=1e-9, atol=1e-10)  # vector
    compare(tg.linalg.solve, torch.linalg.solve, a[0], f64(4), rtol=1e-9, atol=1e-10)
    compare(tg.linalg.solve, torch.linalg.solve, a, f64(2, 3, 4), left=False, rtol=1e-9,
            atol=1e-10)
    compare(tg.linalg.solve, torch.linalg.solve, a.astype(np.float32),
            f64(4, 2).astype(np.float32), rtol=1e-4, atol=1e-4)


def test_det_solve_inv_edges_and_errors() -> None:
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    compare(tg.linalg.det, torch.linalg.det, singular, grad=False, atol=1e-12)
    rank_one = tg.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=tg.float64, requires_grad=True)
    tg.linalg.det(rank_one).backward()  # the cofactors (PyTorch 2.13 gives zeros here)
    assert rank_one.grad.tolist() == [[4.0, -2.0], [-2.0, 1.0]], rank_one.grad
    compare(tg.linalg.det, torch.linalg.det, np.zeros((2, 0, 0)))
    compare(tg.linalg.det, torch.linalg.det, f64(3, 1, 1))
    compare(tg.linalg.inv, torch.linalg.inv, np.zeros((0, 0)))
    compare(tg.linalg.solve, torch.linalg.solve, np.zeros((0, 0)), np.zeros((0, 2)))
    both = np.stack([np.eye(3), singular])
    for ours, theirs in [
            (lambda: tg.linalg.inv(tg.tensor(singular)),
             lambda: torch.linalg.inv(torch.tensor(singular))),
            (lambda: tg.linalg.inv(tg.tensor(both)), lambda: torch.linalg.inv(torch.tensor(both))),
            (lambda: tg.linalg.solve(tg.tensor(both), tg.ones(3, dtype=tg.float64)),
             lambda: torch.linalg.solve(torch.tensor(both), torch.ones(3, dtype=torch.float64))),
            (lambda: tg.linalg.solve(tg.tensor(singular), tg.ones(3, dtype=tg.float64)),
             lambda: torch.linalg.solve(torch.tensor(singular),
                                        torch.ones(3, dtype=torch.float64))),
            (lambda: tg.linalg.det(tg.ones(2, 3)), lambda: torch.linalg.det(torch.ones(2, 3))),
            (lambda: tg.linalg.det(tg.ones(2, 2, dtype=tg.long)),
             lambda: torch.linalg.det(torch.ones(2, 2, dtype=torch.long))),
            (lambda: tg.linalg.inv(tg.ones(3)), lambda: torch.linalg.inv(torch.ones(3))),
            (lambda: tg.linalg.solve(tg.eye(3), tg.ones(2)),
             lambda: torch.linalg.solve(torch.eye(3), torch.ones(2)))]:
        raises_like(ours, theirs)
