"""Idioms from the tutorials learners copy (makemore, nanoGPT, d2l.ai, PyTorch's 60-minute
blitz), each run with tinygrad_edu and with PyTorch: same values, dtypes and shapes, or the
same kind of error."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
# PyTorch hands `x + ndarray` to NumPy, whose __array_wrap__ protocol warns
pytestmark = pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")


def values(result):
    """(dtype name, shape, values) of a tensor; other results as they are."""
    if hasattr(result, "dtype") and hasattr(result, "shape"):
        array = result.detach().cpu().numpy()
        return str(result.dtype).split(".")[-1], tuple(result.shape), array.tolist()
    if isinstance(result, tuple):  # a Size
        return [type(result).__name__, list(result)]
    return result


IDIOMS = {
    "logprobs[range(n), Yb] (makemore)": lambda T, d: T.arange(12.0, device=d).view(3, 4)[
        range(3), T.tensor([1, 0, 3], device=d)],
    "rows[range(1, 3)]": lambda T, d: T.arange(12.0, device=d).view(3, 4)[range(1, 3)],
    "causal mask: tril(ones(T, T)) (nanoGPT)": lambda T, d: T.tril(T.ones(4, 4, device=d)),
    "masked_fill of the upper triangle": lambda T, d: T.zeros(3, 3, device=d).masked_fill(
        T.tril(T.ones(3, 3, device=d)) == 0, float("-inf")),
    "triu, diagonal 1": lambda T, d: T.arange(12, device=d).view(3, 4).triu(1),
    "tril, diagonal -1, batched": lambda T, d: T.arange(24.0, device=d).view(2, 3, 4).tril(-1),
    "log10().item() (makemore 3)": lambda T, d: T.tensor([1e-3, 100.0], device=d).log10(),
    "log10 of ints": lambda T, d: T.log10(T.tensor([10, 1000], device=d)),
    "lerp": lambda T, d: T.lerp(T.zeros(3, device=d), T.ones(3, device=d), 0.25),
    "addmm": lambda T, d: T.addmm(T.ones(2, 2, device=d), T.ones(2, 3, device=d),
                                  T.ones(3, 2, device=d), beta=0.5, alpha=2),
    "clamp_min, clamp_max": lambda T, d: T.tensor([-1.0, 2.0], device=d).clamp_min(0)
    + T.tensor([-1.0, 2.0], device=d).clamp_max(1),
    "x.type(torch.LongTensor)": lambda T, d: T.tensor([1.5, -2.5]).type(T.LongTensor),
    "type_as": lambda T, d: T.tensor([1, 2], device=d).type_as(T.ones(1, device=d)),
    "randn(size=()).shape (d2l)": lambda T, d: T.randn(size=(), device=d).shape,
    "zeros(size=(2, 3))": lambda T, d: T.zeros(size=(2, 3), device=d),
    "x.shape[1:] is a Size": lambda T, d: repr(T.ones(2, 3, 4).shape[1:]).split(".")[-1],
    "(1,) + shape is a Size": lambda T, d: repr((1,) + T.ones(2).shape).split(".")[-1],
    "f'{loss:.3f}' of a 0-d tensor": lambda T, d: f"{T.tensor(1.23456, device=d):.3f}",
    "f'{loss}' of a 0-d tensor": lambda T, d: f"{T.tensor(1.5, device=d)}",
    "format spec on a 1-d tensor": lambda T, d: f"{T.tensor([1.5], device=d):.2f}",
    "sigmoid_, abs_, sqrt_ in place": lambda T, d: T.tensor([-4.0, 0.0], device=d).abs_()
    .sqrt_().sigmoid_(),
    "tril_ in place": lambda T, d: T.ones(2, 2, device=d).tril_(),
    "sqrt_ of an int tensor": lambda T, d: T.tensor([4, 9], device=d).sqrt_(),
    "tensor of NumPy arrays keeps float64": lambda T, d: T.tensor(
        [np.array([1.0, 2.0]), np.array([3.0, 4.0])], device=d),
    "tensor of an int64 array and floats": lambda T, d: T.tensor(
        [np.array([1, 2]), [3.5, 4.0]], device=d),
    "x == None is False": lambda T, d: T.ones(2, device=d) == None,  # noqa: E711
    "x != None is True": lambda T, d: T.ones(2, device=d) != None,  # noqa: E711
    "x == a list is False": lambda T, d: T.ones(2, device=d) == [1, 1],
    "x + a NumPy array": lambda T, d: T.ones(2, device=d) + np.array([1.0, 2.0]),
    "x * a 2-d NumPy array broadcasts": lambda T, d: T.ones(2, device=d) * np.array([[1], [2]]),
}


def run(module, idiom, device):
    try:
        return values(IDIOMS[idiom](module, device))
    except Exception as error:  # compared by type
        return type(error)


@needs_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("idiom", list(IDIOMS))
def test_idiom_matches_pytorch(idiom, device):
    ours, theirs = run(tg, idiom, device), run(torch, idiom, "cpu")
    if isinstance(ours, tuple) and isinstance(theirs, tuple):
        assert ours[:2] == theirs[:2], f"dtype/shape {ours[:2]} vs PyTorch's {theirs[:2]}"
        assert np.allclose(np.asarray(ours[2], dtype=float), np.asarray(theirs[2], dtype=float),
                           rtol=1e-6, equal_nan=True), f"{ours[2]} vs PyTorch's {theirs[2]}"
    elif isinstance(theirs, type) and issubclass(theirs, Exception):
        assert isinstance(ours, type) and issubclass(ours, theirs.__mro__[1] if theirs
                                                     is NotImplementedError else theirs), ours
    else:
        assert ours == theirs


@pytest.mark.parametrize("device", DEVICES)
def test_range_index_writes_in_place(device):
    """dlogits[range(n), Yb] -= 1 (makemore 4): the backward of cross entropy by hand."""
    grad = tg.zeros(3, 4, device=device)
    grad[range(3), tg.tensor([1, 0, 3], device=device)] -= 1
    assert grad.tolist() == [[0, -1, 0, 0], [-1, 0, 0, 0], [0, 0, 0, -1]]


def test_tril_gradient_is_the_mask():
    x = tg.ones(3, 3, requires_grad=True)
    y = x.tril()
    assert y.grad_fn.name() == "TrilBackward0"
    (y * tg.arange(9.0).view(3, 3)).sum().backward()
    assert x.grad.tolist() == [[0, 0, 0], [3, 4, 0], [6, 7, 8]]
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tg.tril(tg.ones(3))


def test_inference_mode_as_manager_and_decorator():
    x = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad
    with tg.no_grad(), tg.inference_mode(False):  # False turns nothing back on
        assert not (x * 2).requires_grad

    @tg.inference_mode()
    def called():
        return (x * 2).requires_grad

    @tg.inference_mode
    def bare():
        return (x * 2).requires_grad

    assert not called() and not bare() and tg.is_grad_enabled()


@needs_torch
def test_finfo_iinfo_and_set_printoptions():
    for name in ("float32", "float64", "float16"):
        ours, theirs = tg.finfo(getattr(tg, name)), torch.finfo(getattr(torch, name))
        for field in ("eps", "max", "min", "tiny", "smallest_normal", "resolution", "bits"):
            assert getattr(ours, field) == getattr(theirs, field), (name, field)
        assert repr(ours) == repr(theirs)
    assert tg.finfo().eps == torch.finfo().eps
    for name in ("int8", "int16", "int32", "int64", "uint8"):
        ours, theirs = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
        assert (ours.min, ours.max, ours.bits, repr(ours)) == (theirs.min, theirs.max,
                                                               theirs.bits, repr(theirs))
    with pytest.raises(TypeError, match="requires a floating point"):
        tg.finfo(tg.int32)
    shown = []
    for T in (tg, torch):
        try:
            T.set_printoptions(precision=2)
            a = repr(T.tensor([1.23456, 2.0]))
            T.set_printoptions(sci_mode=True)
            b = repr(T.tensor([1.5, 2.0]))
            T.set_printoptions(threshold=5, edgeitems=1)
            c = repr(T.arange(10))
            T.set_printoptions(profile="full")
            d = repr(T.arange(2000))
        finally:
            T.set_printoptions(profile="default")
        shown.append((a, b, c, d, repr(T.tensor([1.5]))))
    assert shown[0] == shown[1]


MISTAKES = {  # each must fail with PyTorch's error type and message, not go silently wrong
    "a dim twice": lambda T: T.zeros(2, 3).sum((0, 0)),
    "a dim twice, negative": lambda T: T.zeros(2, 3).mean((1, -1)),
    "writing into an expanded tensor": lambda T: T.zeros(1).expand(3).add_(1),
    "arange that runs the wrong way": lambda T: T.arange(3, 1),
    "an int beyond int64": lambda T: T.tensor([2**63]),
    "float() of two elements": lambda T: float(T.ones(2)),
    "mT of a vector": lambda T: T.zeros(3).mT,
    "max of nothing": lambda T: T.zeros(0).max(),
    "where with an int condition": lambda T: T.where(T.tensor([1, 0]), 1.0, 0.0),
    "masked_fill with an int mask": lambda T: T.zeros(2).masked_fill(T.tensor([1, 0]), 1.0),
}


@needs_torch
@pytest.mark.parametrize("name", list(MISTAKES))
def test_mistakes_fail_as_in_pytorch(name):
    with pytest.raises(Exception) as theirs:
        MISTAKES[name](torch)
    with pytest.raises(Exception) as ours:
        MISTAKES[name](tg)
    assert type(ours.value) is type(theirs.value)
    expected = str(theirs.value).split(":")[0] if name == "an int beyond int64" else \
        str(theirs.value)
    assert str(ours.value).startswith(expected), (str(ours.value), str(theirs.value))


def test_hooks_and_non_leaf_grads():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None
    y.register_hook(lambda grad: tg.ones(3))
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        y.sum().backward()
    with pytest.raises(TypeError, match="must be tuple of ints"):
        tg.randint(0, 10)


INVERSE_TRIG = {
    "asin": lambda T, x: T.asin(x), "acos": lambda T, x: x.acos(),
    "atan": lambda T, x: T.atan(x), "expm1": lambda T, x: T.expm1(x),
    "atan2 by quadrant": lambda T, x: T.atan2(x, T.flip(x, [0]) - 0.25),
    "arctan2 of a number": lambda T, x: T.arctan2(x, T.ones_like(x) * -1.0),
}


@needs_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(INVERSE_TRIG))
def test_inverse_trig_and_expm1_match_pytorch(name, device):
    values = np.array([-0.9, -0.3, 0.0, 1e-9, 0.5, 0.99])
    results = []
    for T, where in ((tg, device), (torch, "cpu")):
        x = T.tensor(values, requires_grad=True, device=where)
        y = INVERSE_TRIG[name](T, x)
        (y * T.tensor(values + 2.0, device=where)).sum().backward()
        node = y.grad_fn.name() if T is tg else type(y.grad_fn).__name__
        results.append((y.detach().cpu().numpy(), x.grad.cpu().numpy(), node))
    assert np.allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-15), results
    assert np.allclose(results[0][1], results[1][1], rtol=1e-10), results
    assert results[0][2] == results[1][2]


@needs_torch
def test_inverse_trig_of_integers_and_outside_the_domain():
    for name in ("asin", "acos", "atan", "expm1"):
        ours, theirs = getattr(tg, name)(tg.tensor([0, 1, 2])), getattr(torch, name)(
            torch.tensor([0, 1, 2]))
        assert ours.dtype is tg.float32
        assert np.allclose(ours.numpy(), theirs.numpy(), equal_nan=True), name
    assert tg.atan2(tg.tensor([1]), tg.tensor([-1])).dtype is tg.float32


def test_the_usual_seed_everything_helper_runs() -> None:
    """The helper found at the top of many training scripts: it must run, and seeding the
    default generator must make the random numbers repeat."""
    import random

    def set_seed(torch, seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        torch.cuda.manual_seed(seed)
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.cuda.empty_cache()

    set_seed(tg, 3)
    first = tg.randn(4).tolist()
    set_seed(tg, 3)
    assert tg.randn(4).tolist() == first
    assert tg.backends.cudnn.deterministic is True
    assert tg.backends.mps.is_available() is False
    with pytest.raises(ValueError, match="invalid literal"):  # PyTorch's error
        tg.cuda.manual_seed("not a seed")
