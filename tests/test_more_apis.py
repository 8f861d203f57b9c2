"""PyTorch names learners meet: torch.special, testing.assert_close, anomaly mode, jit.trace
and script, and the extra Tensor methods (scatter_reduce, quantile, unfold, random fills,
...), each compared with PyTorch: values, gradients, shapes and error messages."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _close(got: object, want: object, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    a = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
    b = want.detach().numpy() if hasattr(want, "detach") else np.asarray(want)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def _error(call: object, kind: type = RuntimeError) -> str:
    with pytest.raises(kind) as info:
        call()
    return str(info.value)


# ---------------------------------------------------------------------------- special

SPECIAL_POINTS = np.array([-30.0, -9.0, -6.5, -6.0, -5.5, -2.0, -0.3, 0.0, 0.4, 1.7, 5.0, 9.0])
POSITIVE = np.array([0.05, 0.5, 1.0, 2.5, 7.0, 30.0])
UNIT = np.array([1e-6, 0.05, 0.3, 0.5, 0.9, 0.999])


@pytest.mark.parametrize("name, points", [
    ("erf", SPECIAL_POINTS), ("erfc", SPECIAL_POINTS[:-2]), ("expit", SPECIAL_POINTS),
    ("ndtr", SPECIAL_POINTS), ("log_ndtr", SPECIAL_POINTS), ("gammaln", POSITIVE),
    ("digamma", POSITIVE), ("psi", POSITIVE), ("logit", UNIT), ("sinc", SPECIAL_POINTS),
    ("exp2", SPECIAL_POINTS), ("expm1", SPECIAL_POINTS), ("log1p", POSITIVE),
    ("entr", np.array([-1.0, 0.0, 0.2, 1.0, 3.0])), ("round", np.array([0.5, 1.5, -2.5, 2.7]))])
def test_special_values_and_gradients(name: str, points: np.ndarray) -> None:
    ours = getattr(tg.special, name)(tg.tensor(points))
    theirs = getattr(torch.special, name)(torch.tensor(points))
    _close(ours, theirs, rtol=1e-7, atol=1e-12)
    if name == "round":
        return
    interior = points[points != 0] if name in ("entr", "sinc") else points
    interior = interior[interior > 0] if name == "entr" else interior
    x = tg.tensor(interior, requires_grad=True)
    getattr(tg.special, name)(x).sum().backward()
    y = torch.tensor(interior, requires_grad=True)
    getattr(torch.special, name)(y).sum().backward()
    _close(x.grad, y.grad, rtol=1e-6, atol=1e-9)


def test_special_two_argument_and_reductions() -> None:
    a, b = RNG.random((3, 4)), RNG.random((3, 4)) + 0.1
    _close(tg.special.xlogy(tg.tensor(a), tg.tensor(b)),
           torch.special.xlogy(torch.tensor(a), torch.tensor(b)))
    for name in ("softmax", "log_softmax"):
        _close(getattr(tg.special, name)(tg.tensor(a), 1),
               getattr(torch.special, name)(torch.tensor(a), 1))
    _close(tg.special.logsumexp(tg.tensor(a), 0), torch.special.logsumexp(torch.tensor(a), 0))
    _close(tg.special.softmax(tg.tensor(a), 0, dtype=tg.float64),
           torch.special.softmax(torch.tensor(a), 0, dtype=torch.float64))


def test_special_float32_and_integers() -> None:
    ints = [0, 1, 3]
    _close(tg.special.expit(tg.tensor(ints)), torch.special.expit(torch.tensor(ints)))
    assert tg.special.ndtr(tg.tensor(ints)).dtype is tg.float32
    x = RNG.standard_normal(7).astype(np.float32) * 4
    _close(tg.special.log_ndtr(tg.tensor(x)), torch.special.log_ndtr(torch.tensor(x)),
           rtol=1e-6)


# ---------------------------------------------------------------------------- assert_close


def _messages(actual: object, expected: object, **kwargs: object) -> tuple:
    """The AssertionError texts of PyTorch and ours, for the same inputs."""
    def convert(value: object, module: object) -> object:
        if isinstance(value, np.ndarray):
            return module.tensor(value)
        if isinstance(value, list):
            return [convert(v, module) for v in value]
        if isinstance(value, dict):
            return {k: convert(v, module) for k, v in value.items()}
        return value
    texts = []
    for module, check in ((torch, torch.testing.assert_close),
                          (tg, tg.testing.assert_close)):
        with pytest.raises(AssertionError) as info:
            check(convert(actual, module), convert(expected, module), **kwargs)
        texts.append(str(info.value))
    return tuple(texts)


@pytest.mark.parametrize("actual, expected", [
    (np.array([1.0, 2.0, 3.0], np.float32), np.array([1.0, 2.5, 3.0], np.float32)),
    (np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]])),
    (np.array([1.0, 2.0]), np.array([1.0, 2.001])),
    (np.array(1.0, np.float32), np.array(2.0, np.float32)),
    (np.array([np.nan], np.float32), np.array([np.nan], np.float32)),
    ([np.array(1.0), np.array([2.0, 3.0])], [np.array(1.0), np.array([2.0, 4.0])]),
    ({"a": np.array([2.0, 3.0])}, {"a": np.array([2.0, 4.0])}),
    ([1, 2.0], [1, 2.5]), (1, 1.0), (True, False), ({"a": 1}, {"b": 1}), ([1, 2], [1, 2, 3]),
])
def test_assert_close_messages_match_pytorch(actual: object, expected: object) -> None:
    theirs, ours = _messages(actual, expected)
    assert ours == theirs


def test_assert_close_passes_and_options() -> None:
    check = tg.testing.assert_close
    check(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0 + 1e-6]))
    check(tg.tensor([np.nan, 1.0]), tg.tensor([np.nan, 1.0]), equal_nan=True)
    check(tg.tensor([1.0]), tg.tensor([1.0], dtype=tg.float64), check_dtype=False)
    check(tg.tensor([1.0, 2.0]), tg.tensor([1.1, 2.0]), rtol=0.2, atol=0.0)
    check(tg.tensor([np.inf]), tg.tensor([np.inf]))
    check((tg.tensor([1]), {"k": [2.0]}), [tg.tensor([1]), {"k": (2.0,)}])
    with pytest.raises(AssertionError, match="custom"):
        check(tg.tensor([1.0]), tg.tensor([2.0]), msg="custom")
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        check(tg.tensor([1.0]), tg.tensor([1.0], dtype=tg.float64))
    with pytest.raises(AssertionError, match="'shape' do not match"):
        check(tg.tensor([1.0]), tg.tensor([1.0, 2.0]))
    text = _error(lambda: check(tg.tensor([1.0]), tg.tensor([1.0]), rtol=0.1), ValueError)
    assert text == "Both 'rtol' and 'atol' must be either specified or omitted, but got no atol."
    with pytest.raises(TypeError, match="No comparison pair"):
        check(tg.tensor([1.0]), [1.0])
    half = tg.tensor([1.0], dtype=tg.float16)
    check(half, half + 5e-4)
    with pytest.raises(AssertionError, match=r"up to 0.001 allowed"):
        check(half, half + 0.01)


# ---------------------------------------------------------------------------- anomaly


def test_detect_anomaly_names_the_node() -> None:
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        assert tg.autograd.is_anomaly_enabled()
        text = _error(lambda: (x / x).sum().backward())
    assert text == "Function 'DivBackward0' returned nan values in its 1th output."
    assert not tg.autograd.is_anomaly_enabled()
    y = tg.tensor([0.0, 1.0], requires_grad=True)
    tg.autograd.set_detect_anomaly(True)
    try:
        text = _error(lambda: (y * tg.tensor([np.nan, 1.0])).sum().backward())
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert text == "Function 'MulBackward0' returned nan values in its 0th output."
    z = tg.tensor([0.0, 1.0], requires_grad=True)
    (z / z).sum().backward()  # off: the nan goes through silently, as in PyTorch
    assert np.isnan(z.grad.numpy()).any()


def test_anomaly_mode_leaves_good_gradients_alone() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)

    @tg.autograd.detect_anomaly()
    def run() -> None:
        (x * x).sum().backward()
    run()
    _close(x.grad, np.array([2.0, 4.0]))
    with tg.autograd.set_detect_anomaly(True):
        assert tg.autograd.is_anomaly_enabled()
    assert not tg.autograd.is_anomaly_enabled()


# ---------------------------------------------------------------------------- jit


def test_jit_trace_replays_a_function_and_a_module() -> None:
    calls = []

    def f(x: object) -> object:
        calls.append(1)
        return (x * 2).sin() + x.sum()
    traced = tg.jit.trace(f, tg.randn(3, 2))
    x = tg.randn(3, 2)
    before = len(calls)
    _close(traced(x), f(x))
    assert len(calls) == before + 1  # the traced call ran no Python (only f(x) did)
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.ReLU(), tg.nn.Linear(3, 2))
    traced_model = tg.jit.trace(model, (tg.randn(5, 4),))
    assert isinstance(traced_model, tg.nn.Module)
    assert list(traced_model.state_dict()) == list(model.state_dict())
    batch = tg.randn(5, 4, requires_grad=True)
    _close(traced_model(batch), model(batch))
    traced_model(batch).sum().backward()
    assert model[0].weight.grad is not None and batch.grad.shape == (5, 4)


def test_jit_trace_warns_on_a_value_branch() -> None:
    def g(x: object) -> object:
        return x * 2 if x.sum() > 0 else x
    with pytest.warns(tg.jit.TracerWarning, match="cannot be replayed"):
        traced = tg.jit.trace(g, tg.ones(3))
    assert issubclass(tg.jit.TracerWarning, UserWarning)
    _close(traced(-tg.ones(3)), -np.ones(3))  # runs the Python function: right answer
    with pytest.warns(tg.jit.TracerWarning, match="cannot be replayed"):
        _close(traced(tg.ones(4)), 2 * np.ones(4))  # a new shape traces again, and warns
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.jit.trace(lambda x: x + 1, tg.ones(2))


def test_jit_script_and_decorators_are_identities() -> None:
    model = tg.nn.Linear(2, 2)
    assert tg.jit.script(model) is model

    def f(x: object) -> object:
        return x
    for decorator in (tg.jit.ignore, tg.jit.unused, tg.jit.export, tg.jit.ignore(drop=True)):
        assert decorator(f) is f


# ---------------------------------------------------------------------------- scatter_reduce


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients(reduce: str, include_self: bool) -> None:
    x, src = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 4))
    index = np.array([[0, 2, 2, 1], [0, 2, 0, 1]])
    if reduce in ("amax", "amin") and not include_self:
        x = x + 10  # no ties between x and src (PyTorch counts x's tie even when excluded)
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs_src = torch.tensor(src, requires_grad=True)
    want = theirs_x.scatter_reduce(0, torch.tensor(index), theirs_src, reduce,
                                   include_self=include_self)
    seed = RNG.standard_normal(want.shape)
    want.backward(torch.tensor(seed))
    ours_x, ours_src = tg.tensor(x, requires_grad=True), tg.tensor(src, requires_grad=True)
    got = ours_x.scatter_reduce(0, tg.tensor(index), ours_src, reduce, include_self=include_self)
    got.backward(tg.tensor(seed))
    _close(got, want)
    _close(ours_x.grad, theirs_x.grad, atol=1e-12)
    _close(ours_src.grad, theirs_src.grad, atol=1e-12)
    assert got.grad_fn.name() == "ScatterReduceBackward0"


def test_scatter_reduce_ties_integers_and_errors() -> None:
    x = tg.tensor([1.0, 1.0, 0.0], requires_grad=True)
    src = tg.tensor([1.0, 1.0, 5.0], requires_grad=True)
    out = x.scatter_reduce(0, tg.tensor([0, 0, 1]), src, "amax")
    out.sum().backward()
    _close(x.grad, np.array([1 / 3, 0.0, 1.0]))  # x[0] and two src tie: a third each
    _close(src.grad, np.array([1 / 3, 1 / 3, 1.0]))
    ints = torch.tensor([1, 2]).scatter_reduce(0, torch.tensor([0, 0]), torch.tensor([3, 4]),
                                               "mean")
    _close(tg.tensor([1, 2]).scatter_reduce(0, tg.tensor([0, 0]), tg.tensor([3, 4]), "mean"),
           ints)
    for reduce in ("amax", "amin", "prod"):
        want = torch.tensor([1, 2]).scatter_reduce(0, torch.tensor([1]), torch.tensor([7]),
                                                   reduce, include_self=False)
        _close(tg.tensor([1, 2]).scatter_reduce(0, tg.tensor([1]), tg.tensor([7]), reduce,
                                                include_self=False), want)
    text = _error(lambda: tg.zeros(3).scatter_reduce(0, tg.tensor([0]), tg.ones(1), "foo"))
    assert text == "reduce argument must be either sum, prod, mean, amax or amin, got foo"
    y = tg.zeros(2, 3)
    y.scatter_reduce_(1, tg.tensor([[2], [0]]), tg.tensor([[4.0], [5.0]]), "sum")
    _close(y, np.array([[0.0, 0, 4], [5, 0, 0]]))


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce(reduce: str) -> None:
    x, source = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 5))
    index = [0, 2, 2, 1, 0]
    for include_self in (True, False):
        want = torch.tensor(x).index_reduce(1, torch.tensor(index), torch.tensor(source),
                                            reduce, include_self=include_self)
        got = tg.tensor(x).index_reduce(1, tg.tensor(index), tg.tensor(source), reduce,
                                        include_self=include_self)
        _close(got, want)
    text = _error(lambda: tg.zeros(3).index_reduce(0, tg.tensor([0]), tg.ones(1), "sum"))
    assert text == ("index_reduce(): Expected reduce to be one of prod, mean, amax or amin "
                    "but got sum.")


# ---------------------------------------------------------------------------- masked, put


def test_masked_scatter_and_put() -> None:
    x, source = RNG.standard_normal((2, 3)), RNG.standard_normal(7)
    mask = np.array([True, False, True])
    want_x = torch.tensor(x, requires_grad=True)
    want_s = torch.tensor(source, requires_grad=True)
    want = want_x.masked_scatter(torch.tensor(mask), want_s)
    (want * torch.arange(6.0, dtype=torch.float64).reshape(2, 3)).sum().backward()
    got_x, got_s = tg.tensor(x, requires_grad=True), tg.tensor(source, requires_grad=True)
    got = got_x.masked_scatter(tg.tensor(mask), got_s)
    (got * tg.arange(6.0, dtype=tg.float64).reshape(2, 3)).sum().backward()
    _close(got, want)
    _close(got_x.grad, want_x.grad)
    _close(got_s.grad, want_s.grad)
    text = _error(lambda: tg.zeros(3).masked_scatter(tg.tensor([True] * 3), tg.ones(2)))
    assert text == "Number of elements of source < number of ones in mask"
    for accumulate in (False, True):
        index = [[5, 0], [-1, 5]]
        want = torch.tensor(x).put(torch.tensor(index), torch.tensor([[1.0, 2], [3, 4]],
                                   dtype=torch.float64), accumulate=accumulate)
        got = tg.tensor(x).put(tg.tensor(index), tg.tensor([[1.0, 2], [3, 4]],
                               dtype=tg.float64), accumulate=accumulate)
        if accumulate:
            _close(got, want)
        else:  # PyTorch leaves which repeated write wins undefined: check the rest
            _close(got.reshape(-1)[:5], want.reshape(-1)[:5])
    y = tg.zeros(3)
    assert y.put_(tg.tensor([2]), tg.tensor([7.0])) is y
    _close(y, np.array([0.0, 0, 7]))
    text = _error(lambda: tg.zeros(3).put_(tg.tensor([5]), tg.ones(1)), IndexError)
    assert text == "out of range: tried to access index 5 on a tensor of 3 elements."


def test_narrow_copy_rsub_and_transposes() -> None:
    x = tg.arange(12.0).reshape(3, 4)
    copy = x.narrow_copy(1, 1, 2)
    _close(copy, torch.arange(12.0).reshape(3, 4).narrow_copy(1, 1, 2))
    copy.zero_()
    assert x[0, 1].item() == 1.0  # a copy, not a view
    _close(tg.rsub(x, 2.0, alpha=3), torch.rsub(torch.arange(12.0).reshape(3, 4), 2.0, alpha=3))
    assert not hasattr(tg.Tensor, "rsub") and not hasattr(torch.Tensor, "rsub")
    _close(x.H, torch.arange(12.0).reshape(3, 4).H)
    batch = RNG.standard_normal((2, 3, 4))
    _close(tg.tensor(batch).mH, torch.tensor(batch).mH)
    assert _error(lambda: tg.zeros(3).H) == str(pytest.raises(RuntimeError,
                                                              lambda: torch.zeros(3).H).value)
    assert "consider using tensor.mH" in _error(lambda: tg.zeros(2, 2, 2).H)


# ---------------------------------------------------------------------------- memory, callbacks


def test_memory_queries_and_callbacks() -> None:
    x = tg.zeros(3)
    assert x.pin_memory() is x and not x.is_pinned()
    assert x.share_memory_() is x and not x.is_shared()
    array = np.arange(10.0)
    y = tg.from_numpy(array)
    assert y.data_ptr() == array.ctypes.data
    assert y[3:].data_ptr() == array.ctypes.data + 3 * 8
    z = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert z.apply_(lambda v: v * 10 + 1) is z
    _close(z, np.array([[11.0, 21], [31, 41]]))
    z.map_(tg.tensor([1.0, 2.0]), lambda a, b: a - b)
    _close(z, np.array([[10.0, 19], [30, 39]]))
    leaf = tg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        leaf.apply_(lambda v: v)
    tg.set_float32_matmul_precision("high")
    assert tg.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="is not one of"):
        tg.set_float32_matmul_precision("fastest")
    assert tg.get_float32_matmul_precision() == "high"
    tg.set_float32_matmul_precision("highest")


# ---------------------------------------------------------------------------- random


def test_random_fills_statistics() -> None:
    tg.manual_seed(0)
    n = 40000
    x = tg.empty(n, dtype=tg.float64)
    values = x.exponential_(2.0).numpy()
    assert values.min() >= 0 and abs(values.mean() - 0.5) < 0.02
    assert abs(values.var() - 0.25) < 0.02
    values = x.geometric_(0.25).numpy()
    assert values.min() == 1 and np.all(values == np.round(values))
    assert abs(values.mean() - 4.0) < 0.1 and abs(values.var() - 12.0) < 1.0
    values = x.log_normal_(0.5, 0.3).numpy()
    assert values.min() > 0 and abs(np.log(values).mean() - 0.5) < 0.01
    assert abs(np.log(values).std() - 0.3) < 0.01
    values = x.cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(values) - 1.0) < 0.1  # no mean: the median and the quartiles
    quartiles = np.quantile(values, [0.25, 0.75])
    assert np.allclose(quartiles, [-1.0, 3.0], atol=0.15)
    assert _error(lambda: x.exponential_(0)) == \
        "exponential_ expects lambda > 0.0, but found lambda=0"
    assert _error(lambda: x.geometric_(0)) == "geometric_ expects p to be in (0, 1), but got p=0"


def test_poisson_and_binomial() -> None:
    tg.manual_seed(1)
    rates = tg.full((20000,), 3.0)
    draws = tg.poisson(rates)
    assert draws.dtype is tg.float32 and draws.shape == (20000,)
    values = draws.numpy()
    assert abs(values.mean() - 3.0) < 0.08 and abs(values.var() - 3.0) < 0.15
    counts = tg.full((20000,), 10.0)
    values = tg.binomial(counts, tg.full((20000,), 0.3)).numpy()
    assert values.min() >= 0 and values.max() <= 10
    assert abs(values.mean() - 3.0) < 0.05 and abs(values.var() - 2.1) < 0.1
    assert _error(lambda: tg.binomial(tg.tensor([5]), tg.tensor([0.5])), ValueError) == \
        "binomial only supports floating-point dtypes for count, got: Long"
    assert _error(lambda: tg.poisson(tg.tensor([-1.0]))) == \
        "invalid Poisson rate, expected rate to be non-negative"


# ---------------------------------------------------------------------------- quantile


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_pytorch(interpolation: str) -> None:
    data = RNG.standard_normal((3, 5))
    data[1, 2] = np.nan
    for q in (0.3, [0.0, 0.25, 0.5, 1.0]):
        for dim in (None, 1, 0, -1):
            for keepdim in (False, True):
                for name in ("quantile", "nanquantile"):
                    theirs_q = torch.tensor(q, dtype=torch.float64) if isinstance(q, list) else q
                    ours_q = tg.tensor(q, dtype=tg.float64) if isinstance(q, list) else q
                    want = getattr(torch, name)(torch.tensor(data), theirs_q, dim=dim,
                                                keepdim=keepdim, interpolation=interpolation)
                    got = getattr(tg, name)(tg.tensor(data), ours_q, dim=dim, keepdim=keepdim,
                                            interpolation=interpolation)
                    _close(got, want)


def test_quantile_gradient_and_errors() -> None:
    data = RNG.standard_normal((4, 6))
    q = [0.3, 0.7]
    theirs = torch.tensor(data, requires_grad=True)
    torch.quantile(theirs, torch.tensor(q, dtype=torch.float64), dim=1).sum().backward()
    ours = tg.tensor(data, requires_grad=True)
    ours.quantile(tg.tensor(q, dtype=tg.float64), dim=1).sum().backward()
    _close(ours.grad, theirs.grad)
    _close(tg.tensor([5.0]).quantile(0.5), torch.tensor([5.0]).quantile(0.5))
    for call in (lambda m: m.tensor([1.0, 2.0]).quantile(1.5),
                 lambda m: m.tensor([1, 2]).quantile(0.5),
                 lambda m: m.tensor([1.0, 2.0]).quantile(0.5, interpolation="foo"),
                 lambda m: m.tensor([1.0, 2.0]).quantile(m.tensor([[0.5]])),
                 lambda m: m.tensor([]).quantile(0.5),
                 lambda m: m.tensor([1.0, 2.0]).nanquantile(m.tensor([0.5, 2.0]))):
        assert _same_error(call)


def _same_error(call: object) -> bool:
    """call(tg) and call(torch) raise RuntimeError with the same text."""
    ours, theirs = _error(lambda: call(tg)), _error(lambda: call(torch))
    assert ours == theirs
    return True


# ---------------------------------------------------------------------------- unfold


@pytest.mark.parametrize("shape, dim, size, step", [
    ((7,), 0, 3, 2), ((2, 7, 3), 1, 3, 1), ((4, 5), -1, 2, 3), ((5,), 0, 5, 1),
    ((3, 4), 0, 1, 1), ((6,), 0, 4, 1)])
def test_unfold_values_and_overlapping_gradients(shape: tuple, dim: int, size: int,
                                                 step: int) -> None:
    data = RNG.standard_normal(shape)
    theirs = torch.tensor(data, requires_grad=True)
    want = theirs.unfold(dim, size, step)
    seed = RNG.standard_normal(want.shape)
    want.backward(torch.tensor(seed))
    ours = tg.tensor(data, requires_grad=True)
    got = ours.unfold(dim, size, step)
    got.backward(tg.tensor(seed))
    _close(got, want)
    _close(ours.grad, theirs.grad)


def test_unfold_errors_and_zero_dim() -> None:
    for call in (lambda m: m.zeros(3).unfold(0, 5, 1), lambda m: m.zeros(3).unfold(0, 2, 0)):
        assert _same_error(call)
    _close(tg.tensor(5.0).unfold(0, 1, 1), torch.tensor(5.0).unfold(0, 1, 1))
