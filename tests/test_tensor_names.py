"""The PyTorch names of tensor_names.py and tensor_names_helpers.py against PyTorch itself."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")


def _pair(*shape, seed=0, dtype=np.float64):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(ours, theirs, atol=1e-6):
    ours_np, theirs_np = ours.detach().numpy(), theirs.detach().numpy()
    assert ours_np.shape == theirs_np.shape, f"shape {ours_np.shape} != {theirs_np.shape}"
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1], f"{ours.dtype} {theirs.dtype}"
    np.testing.assert_allclose(ours_np, theirs_np, atol=atol, equal_nan=True)


def _check_grad(ours_out, theirs_out, ours_inputs, theirs_inputs):
    """Backward with the same random weights; compare every input's gradient."""
    w = np.random.default_rng(9).standard_normal(tuple(theirs_out.shape))
    (ours_out * tg.tensor(w)).sum().backward()
    (theirs_out * torch.tensor(w)).sum().backward()
    for ours, theirs in zip(ours_inputs, theirs_inputs):
        _close(ours.grad, theirs.grad)


def test_msort_unflatten_select():
    x, y = _pair(4, 6)
    _close(tg.msort(x), torch.msort(y))
    _close(x.msort(), y.msort())
    _close(tg.unflatten(x, 1, (2, -1)), torch.unflatten(y, 1, (2, -1)))
    _close(tg.select(x, 1, -2), torch.select(y, 1, -2))
    _check_grad(tg.msort(x), torch.msort(y), [x], [y])


@pytest.mark.parametrize("name,shape,arg", [("hsplit", (4, 6), 3), ("hsplit", (6,), [1, 4]),
                                            ("vsplit", (4, 6), 2), ("dsplit", (2, 2, 6), [2])])
def test_splits(name, shape, arg):
    x, y = _pair(*shape)
    ours, theirs = getattr(tg, name)(x, arg), getattr(torch, name)(y, arg)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _close(a, b)


def test_split_errors():
    x, y = _pair(4, 6)
    with pytest.raises(RuntimeError, match="not divisible"):
        tg.hsplit(x, 4)
    with pytest.raises(RuntimeError, match="not divisible"):
        torch.hsplit(y, 4)
    with pytest.raises(RuntimeError, match="at least 3 dimension"):
        tg.dsplit(x, 2)


@pytest.mark.parametrize("name,src_shape,args", [
    ("diagonal_scatter", (3,), (0, 0, 1)), ("diagonal_scatter", (3,), (1, 0, 1)),
    ("select_scatter", (4,), (0, 2)), ("select_scatter", (3,), (1, -1)),
    ("slice_scatter", (3, 2), (1, 1, 5, 2))])
def test_scatters(name, src_shape, args):
    x, y = _pair(3, 4)
    s, t = _pair(*src_shape, seed=1)
    ours, theirs = getattr(tg, name)(x, s, *args), getattr(torch, name)(y, t, *args)
    _close(ours, theirs)
    _check_grad(ours, theirs, [x, s], [y, t])
    assert np.array_equal(x.detach().numpy(), y.detach().numpy())  # input left unchanged


def test_scatter_size_error():
    x, _ = _pair(3, 4)
    with pytest.raises(RuntimeError, match="expected src to have a size equal"):
        tg.select_scatter(x, tg.zeros(3), 0, 0)


@pytest.mark.parametrize("r,rep", [(2, False), (3, True), (0, False), (5, False)])
def test_combinations(r, rep):
    x, y = _pair(4)
    _close(tg.combinations(x, r, rep), torch.combinations(y, r, rep))
    if r == 2:
        _check_grad(tg.combinations(x, r), torch.combinations(y, r), [x], [y])


def test_trapezoid_family():
    y1, y2 = _pair(3, 5)
    x1, x2 = _pair(5, seed=2)
    _close(tg.trapezoid(y1), torch.trapezoid(y2))
    _close(tg.trapezoid(y1, x1), torch.trapezoid(y2, x2))
    _close(tg.trapezoid(y1, dx=0.5, dim=0), torch.trapezoid(y2, dx=0.5, dim=0))
    _close(tg.trapz(y1, x1), torch.trapz(y2, x2))
    _close(tg.cumulative_trapezoid(y1, x1), torch.cumulative_trapezoid(y2, x2))
    _close(tg.cumulative_trapezoid(y1, dx=2.0, dim=0),
           torch.cumulative_trapezoid(y2, dx=2.0, dim=0))
    _check_grad(tg.trapezoid(y1, x1), torch.trapezoid(y2, x2), [y1, x1], [y2, x2])


def test_inner_tensordot_chain_matmul():
    a1, a2 = _pair(2, 3, 4)
    b1, b2 = _pair(4, 3, 5, seed=1)
    _close(tg.tensordot(a1, b1, ([1, 2], [1, 0])), torch.tensordot(a2, b2, ([1, 2], [1, 0])))
    c1, c2 = _pair(3, 4, 2, seed=3)
    _close(tg.tensordot(a1, c1, 2), torch.tensordot(a2, c2, 2))
    _check_grad(tg.tensordot(a1, c1, 2), torch.tensordot(a2, c2, 2), [a1, c1], [a2, c2])
    d1, d2 = _pair(5, 4, seed=4)
    _close(tg.inner(a1, d1), torch.inner(a2, d2))
    _close(tg.tensordot(a1, b1, 1), torch.tensordot(a2, b2, 1))
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        tg.tensordot(a1, b1, ([0], [0]))
    m1, m2 = _pair(4, 5, seed=5)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ours = tg.chain_matmul(d1, m1, m1.t())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.chain_matmul(d2, m2, m2.t())
    _close(ours, theirs, atol=1e-5)


def test_elementwise_names():
    nan, inf = float("nan"), float("inf")
    a = np.array([nan, 1.0, -inf, 2.0, nan, 0.0])
    b = np.array([2.0, nan, 1.0, inf, nan, -0.0])
    for name in ("fmax", "fmin"):
        _close(getattr(tg, name)(tg.tensor(a), tg.tensor(b)),
               getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    for name in ("isneginf", "isposinf", "sgn", "absolute", "negative", "positive"):
        _close(getattr(tg, name)(tg.tensor(b)), getattr(torch, name)(torch.tensor(b)))
    _close(tg.clamp_min(tg.tensor(b), 0.5), torch.clamp_min(torch.tensor(b), 0.5))
    _close(tg.clamp_max(tg.tensor(b), 0.5), torch.clamp_max(torch.tensor(b), 0.5))
    x, y = _pair(5)
    m1, m2 = _pair(5, seed=1)
    _check_grad(tg.fmax(x, m1), torch.fmax(y, m2), [x, m1], [y, m2])
    with pytest.raises(TypeError):
        tg.positive(tg.tensor([True]))


def test_integer_and_float_decomposition():
    i, j = np.array([12, -18, 0, 7]), np.array([18, 12, 5, 0])
    for name in ("gcd", "lcm"):
        _close(getattr(tg, name)(tg.tensor(i), tg.tensor(j)),
               getattr(torch, name)(torch.tensor(i), torch.tensor(j)))
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        tg.gcd(tg.tensor([1.0]), tg.tensor([2.0]))
    _close(tg.ldexp(tg.tensor(i), tg.tensor([1, 2, 3, 4])),
           torch.ldexp(torch.tensor(i), torch.tensor([1, 2, 3, 4])))
    f = np.array([0.0, 1.5, -3.0, 1e-3, 1024.0], dtype=np.float32)
    ours, theirs = tg.frexp(tg.tensor(f)), torch.frexp(torch.tensor(f))
    _close(ours.mantissa, theirs.mantissa)
    _close(ours[1], theirs[1])


def test_histogram():
    x, y = _pair(50)
    w = np.abs(np.random.default_rng(3).standard_normal(50))
    for kwargs in ({}, {"range": (-1.0, 1.0)}, {"density": True}):
        ours, theirs = tg.histogram(x, 7, **kwargs), torch.histogram(y, 7, **kwargs)
        _close(ours.hist, theirs.hist)
        _close(ours.bin_edges, theirs.bin_edges)
    edges = np.array([-2.0, -0.5, 0.0, 3.0])
    ours = tg.histogram(x, tg.tensor(edges), weight=tg.tensor(w))
    theirs = torch.histogram(y, torch.tensor(edges), weight=torch.tensor(w))
    _close(ours[0], theirs[0])


def test_dtype_helpers():
    cases = [(tg.tensor([1]), 2.5), (tg.tensor([1], dtype=tg.int32), tg.tensor(5)),
             (tg.tensor(1.0, dtype=tg.float64), tg.tensor([1], dtype=tg.int16)),
             (tg.tensor([True]), 3)]
    for a, b in cases:
        ta = torch.tensor(a.numpy())
        tb = torch.tensor(b.numpy()) if hasattr(b, "numpy") else b
        assert tg.result_type(a, b).name == str(torch.result_type(ta, tb)).split(".")[-1]
    names = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
    for src in names:
        for dst in names:
            assert tg.can_cast(getattr(tg, src), getattr(tg, dst)) == torch.can_cast(
                getattr(torch, src), getattr(torch, dst)), (src, dst)
    assert tg.is_nonzero(tg.tensor([0.5])) and not tg.is_nonzero(tg.tensor(0))
    for bad, message in (([], "no values"), ([1, 2], "more than one value")):
        with pytest.raises(RuntimeError, match=message):
            tg.is_nonzero(tg.tensor(bad))
        with pytest.raises(RuntimeError, match=message):
            torch.is_nonzero(torch.tensor(bad))
    assert tg.typename(tg.zeros(2, dtype=tg.float64)) == torch.typename(torch.zeros(2).double())
    assert tg.typename(3) == torch.typename(3)


def test_default_device_round_trip():
    assert tg.get_default_device().type == "cpu"
    tg.set_default_device("cpu")
    try:
        assert tg.zeros(2).device.type == "cpu"
    finally:
        tg.set_default_device(None)
    assert tg.get_default_device() == tg.device("cpu")


@pytest.mark.gpu
def test_default_device_cuda():
    """Factories follow set_default_device; from_numpy stays on the CPU (as in PyTorch)."""
    tg.set_default_device("cuda")
    try:
        assert tg.get_default_device() == tg.device("cuda", 0)
        for made in (tg.zeros(2), tg.tensor([1.0]), tg.arange(3), tg.randn(2)):
            assert made.device.type == "cuda", made.device
        assert tg.from_numpy(np.zeros(2)).device.type == "cpu"
    finally:
        tg.set_default_device(None)
    assert tg.zeros(1).device.type == "cpu"


def test_factories():
    buf = bytearray(np.arange(6, dtype=np.float32).tobytes())
    ours = tg.frombuffer(buf, dtype=tg.float32, count=4, offset=4)
    _close(ours, torch.frombuffer(bytearray(buf), dtype=torch.float32, count=4, offset=4))
    ours[0] = 10.0  # shares the buffer's memory
    assert np.frombuffer(buf, dtype=np.float32)[1] == 10.0
    a = np.arange(4.0)
    shared = tg.asarray(a)
    a[0] = 7.0
    assert shared[0].item() == 7.0 and shared.dtype is tg.float64
    assert tg.asarray(a, copy=True).numpy()[0] == 7.0 and tg.asarray(a, copy=True) is not a
    copied = tg.asarray(a, copy=True)
    a[0] = 8.0
    assert copied[0].item() == 7.0
    with pytest.raises(ValueError):
        tg.asarray(a, dtype=tg.float32, copy=False)
    _close(tg.asarray([1, 2]), torch.asarray([1, 2]))
    _close(tg.logspace(-1, 2, 5), torch.logspace(-1, 2, 5))
    _close(tg.logspace(0, 3, 4, base=2, dtype=tg.float64), torch.logspace(0, 3, 4, base=2,
                                                                          dtype=torch.float64))
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        ours = tg.range(1, 4, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _close(ours, torch.range(1, 4, 0.5))
        _close(tg.range(0, 5), torch.range(0, 5))
    e = tg.empty_strided((2, 3), (3, 1))
    assert e.shape == (2, 3) and e.is_contiguous()


def test_complex_names_on_real():
    x, y = _pair(3)
    assert tg.conj(x) is x and tg.resolve_conj(x) is x and x.conj() is x
    _close(tg.conj_physical(x), torch.conj_physical(y))
    _close(tg.real(x), torch.real(y))
    _close(tg.isreal(x), torch.isreal(y))
    assert tg.is_complex(x) is torch.is_complex(y) is False
    for lib, t in ((tg, x), (torch, y)):
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                               "non-complex dtypes."):
            lib.imag(t)
        with pytest.raises(RuntimeError, match="non-complex"):
            t.imag  # noqa: B018


def test_in_place_geometry():
    a = np.arange(6.0).reshape(1, 2, 3)
    for call in (lambda t: t.squeeze_(), lambda t: t.squeeze_(0), lambda t: t.unsqueeze_(2),
                 lambda t: t.transpose_(0, 2), lambda t: t[0].t_()):
        ours, theirs = tg.tensor(a), torch.tensor(a)
        out_ours, out_theirs = call(ours), call(theirs)
        _close(out_ours, out_theirs)
        _close(ours, theirs)  # self changed in place (t[0].t_() changes only the view)
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.zeros(1, 3, requires_grad=True).squeeze_()
    w, saved = tg.ones(1, 3, requires_grad=True), tg.ones(1, 3)
    loss = (w * saved).sum()
    saved.squeeze_()  # bumps the version, as PyTorch does: the saved tensor has changed
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_fill_diagonal_resize_sum_to_size():
    for shape, wrap in (((3, 3), False), ((7, 3), True), ((7, 3), False), ((2, 2, 2), False)):
        ours, theirs = tg.zeros(*shape), torch.zeros(*shape)
        _close(ours.fill_diagonal_(5.0, wrap), theirs.fill_diagonal_(5.0, wrap))
    a = np.arange(6.0)
    for size in ((2, 2), (3, 2)):
        ours, theirs = tg.tensor(a), torch.tensor(a)
        _close(ours.resize_(*size), theirs.resize_(*size))
    ours, theirs = tg.tensor(a), torch.tensor(a)
    _close(ours.resize_as_(tg.zeros(3, 1)), theirs.resize_as_(torch.zeros(3, 1)))
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        tg.zeros(2, requires_grad=True).resize_(3)
    x, y = _pair(2, 3, 4)
    _close(x.sum_to_size(3, 1), y.sum_to_size(3, 1))
    _close(x.sum_to_size((1, 1, 4)), y.sum_to_size((1, 1, 4)))
    _check_grad(x.sum_to_size(3, 1), y.sum_to_size(3, 1), [x], [y])
    with pytest.raises(RuntimeError, match="is not expandable"):
        x.sum_to_size(2, 1)


def test_function_methods():
    x, y = _pair(3, 4)
    m1, m2 = _pair(3, 4, seed=1)
    _close(x.fmin(m1), y.fmin(m2))
    _close(x.inner(m1), y.inner(m2))
    _close(x.select_scatter(m1[0], 0, 1), y.select_scatter(m2[0], 0, 1))
    _close(x.hsplit(2)[1], y.hsplit(2)[1])
    _close(x.histogram(3).hist, y.histogram(3).hist)
    _close(x.isposinf(), y.isposinf())
