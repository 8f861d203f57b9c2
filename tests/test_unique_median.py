"""unique, unique_consecutive, median, nanmedian, kthvalue and mode (functions and methods)
against PyTorch, on every device: values, indices, dtypes, shapes, ties, nan, size-0 / size-1 /
0-d inputs, PyTorch's errors, the namedtuple results and the gradients (with PyTorch's node
names). Where PyTorch leaves an index unspecified (ties under its quickselect) the tests check
the values and that the index points at one of the tied elements."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None

pytestmark = [pytest.mark.skipif(torch is None, reason="PyTorch not installed"),
              pytest.mark.parametrize("device", DEVICES)]

NAN = float("nan")
DISTINCT = [[0.5, -1.0, 3.0, 2.5], [7.0, 0.25, -2.0, 1.5], [4.0, -3.5, 6.0, 0.0]]  # (3, 4)
ODD = [[0.5, -1.0, 3.0, 2.5, 9.0], [7.0, 0.25, -2.0, 1.5, -4.0]]  # (2, 5)
CUBE = np.random.default_rng(5).permutation(24).reshape(2, 3, 4).astype(float).tolist()
WITH_NAN = [[1.0, NAN, 3.0, NAN], [2.0, 1.0, 2.5, 5.0], [NAN, NAN, NAN, NAN]]
REPEATS = [[1.0, 2.0, 2.0, 1.0, 3.0], [3.0, 3.0, 1.0, 1.0, 0.0], [4.0, 4.0, 4.0, 4.0, 4.0],
           [5.0, 1.0, 2.0, 3.0, 4.0]]
INTS = [[3, 1, 3, 0, 1, 3], [2, -2, 2, -2, 7, 7]]

# name -> f(module, t): a tensor or a tuple of them, compared exactly (dtype, shape, values)
CASES = {
    # unique
    "unique": lambda T, t: T.unique(t([3, 1, 3, 2, 1])),
    "unique inverse counts": lambda T, t: T.unique(t([3, 1, 3, 2, 1]), return_inverse=True,
                                                   return_counts=True),
    "unique inverse of 2-d": lambda T, t: T.unique(t(INTS), return_inverse=True),
    "unique counts only": lambda T, t: T.unique(t(INTS), return_counts=True),
    "unique method": lambda T, t: t(CUBE).unique(return_inverse=True, return_counts=True),
    "unique sorted=False": lambda T, t: T.unique(t([5, 3, 9, 1, 3, 7]), sorted=False),
    "unique float nan": lambda T, t: T.unique(t([3.0, NAN, 1.0, NAN, 1.0]),
                                              return_inverse=True, return_counts=True),
    "unique -0.0 and 0.0": lambda T, t: T.unique(t([0.0, -0.0, 1.0]), return_counts=True),
    "unique int32": lambda T, t: T.unique(t(INTS, "int32"), return_inverse=True),
    "unique uint8": lambda T, t: T.unique(t([200, 3, 200, 0], "uint8"), return_counts=True),
    "unique bool": lambda T, t: T.unique(t([True, False, True]), return_inverse=True,
                                         return_counts=True),
    "unique float16": lambda T, t: T.unique(t([1.5, -2.0, 1.5], "float16")),
    "unique of a transposed view": lambda T, t: T.unique(t(INTS).t(), return_inverse=True),
    "unique 0-d": lambda T, t: T.unique(t(3.0), return_inverse=True, return_counts=True),
    "unique one element": lambda T, t: T.unique(t([[4]]), return_inverse=True,
                                                return_counts=True),
    "unique empty": lambda T, t: T.unique(T.zeros(0, 3, dtype=T.int32).to(t.device),
                                          return_inverse=True, return_counts=True),
    "unique all equal": lambda T, t: T.unique(t([2, 2, 2]), return_inverse=True,
                                              return_counts=True),
    # unique_consecutive
    "unique_consecutive": lambda T, t: T.unique_consecutive(t([1, 1, 2, 2, 3, 1, 1, 2])),
    "unique_consecutive inverse counts": lambda T, t: T.unique_consecutive(
        t([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True),
    "unique_consecutive 2-d nan": lambda T, t: T.unique_consecutive(
        t([[3.0, NAN, NAN], [1.0, 1.0, 3.0]]), return_inverse=True, return_counts=True),
    "unique_consecutive method": lambda T, t: t(INTS).unique_consecutive(return_counts=True),
    "unique_consecutive 0-d": lambda T, t: T.unique_consecutive(t(3.0), return_inverse=True,
                                                                return_counts=True),
    "unique_consecutive empty": lambda T, t: T.unique_consecutive(
        T.zeros(0).to(t.device), return_inverse=True, return_counts=True),
    # median
    "median all, even count": lambda T, t: T.median(t(DISTINCT)),
    "median all, odd count": lambda T, t: T.median(t(ODD[0])),
    "median all with nan": lambda T, t: T.median(t(WITH_NAN)),
    "median all int": lambda T, t: T.median(t([3, 1, 2, 2], "int32")),
    "median all empty": lambda T, t: T.median(T.zeros(0).to(t.device)),
    "median all 0-d": lambda T, t: T.median(t(2.5)),
    "median method": lambda T, t: t(CUBE).median(),
    "median dim": lambda T, t: T.median(t(DISTINCT), 1),
    "median dim 0": lambda T, t: T.median(t(DISTINCT), 0),
    "median dim odd keepdim": lambda T, t: T.median(t(ODD), 1, keepdim=True),
    "median dim 1 of 3-d": lambda T, t: t(CUBE).median(1),
    "median dim -3 of 3-d keepdim": lambda T, t: t(CUBE).median(-3, True),
    "median nan rows": lambda T, t: T.median(t(WITH_NAN), 1),
    "median nan, dim 0": lambda T, t: T.median(t(WITH_NAN), 0),
    "median int64": lambda T, t: T.median(t(INTS[:1]), 1),
    "median float64": lambda T, t: T.median(t(ODD, "float64"), 0),
    "median of a transposed view": lambda T, t: t(CUBE).transpose(0, 2).median(1),
    "median size-1 dim": lambda T, t: T.median(t([[2.0], [1.0]]), 1),
    "median 0-d dim": lambda T, t: T.median(t(2.0), 0, True),
    "median beside a size-0 dim": lambda T, t: T.median(T.zeros(0, 3).to(t.device), 1),
    # nanmedian
    "nanmedian all": lambda T, t: T.nanmedian(t(WITH_NAN)),
    "nanmedian all nan": lambda T, t: T.nanmedian(t([NAN, NAN])),
    "nanmedian all no nan": lambda T, t: T.nanmedian(t(ODD)),
    "nanmedian rows": lambda T, t: T.nanmedian(t(WITH_NAN[:2]), 1),
    "nanmedian a short row of nan": lambda T, t: T.nanmedian(t([[NAN, NAN], [1.0, NAN]]), 1),
    "nanmedian dim 0 keepdim": lambda T, t: t(WITH_NAN).nanmedian(0, keepdim=True),
    "nanmedian int": lambda T, t: T.nanmedian(t(INTS), 1),
    # kthvalue
    "kthvalue": lambda T, t: T.kthvalue(t(DISTINCT), 2),
    "kthvalue k = 1": lambda T, t: T.kthvalue(t(DISTINCT), 1),
    "kthvalue k = n": lambda T, t: T.kthvalue(t(DISTINCT), 4),
    "kthvalue dim 0 keepdim": lambda T, t: T.kthvalue(t(DISTINCT), 3, 0, True),
    "kthvalue method 3-d": lambda T, t: t(CUBE).kthvalue(2, dim=1),
    "kthvalue nan is largest": lambda T, t: T.kthvalue(t([3.0, NAN, 1.0, 2.0]), 4),
    "kthvalue below nan": lambda T, t: T.kthvalue(t([3.0, NAN, 1.0, 2.0]), 3),
    "kthvalue int32": lambda T, t: T.kthvalue(t([[5, -2, 9, 0]], "int32"), 2),
    "kthvalue 0-d": lambda T, t: T.kthvalue(t(2.0), 1),
    "kthvalue size-1 dim": lambda T, t: T.kthvalue(t([[2.0], [1.0]]), 1, 1),
    "kthvalue of a transposed view": lambda T, t: t(DISTINCT).t().kthvalue(2),
    "kthvalue beside a size-0 dim": lambda T, t: T.kthvalue(T.zeros(0, 3).to(t.device), 1),
    # mode (PyTorch: among as frequent values the smallest, at its last occurrence)
    "mode": lambda T, t: T.mode(t(REPEATS)),
    "mode keepdim": lambda T, t: T.mode(t(REPEATS), 1, True),
    "mode 1-d three-way tie": lambda T, t: T.mode(t([1.0, 2.0, 2.0, 1.0, 3.0, 1.0, 2.0])),
    "mode dim 0": lambda T, t: T.mode(t(REPEATS), 0),
    "mode int": lambda T, t: T.mode(t(INTS)),
    "mode int32 dim 0": lambda T, t: t(INTS, "int32").mode(0),
    "mode bool": lambda T, t: T.mode(t([True, False, True])),
    "mode method 3-d": lambda T, t: (t(CUBE) // 4).mode(1),
    "mode of a transposed view": lambda T, t: t(REPEATS).t().mode(0),
    "mode all distinct": lambda T, t: T.mode(t(DISTINCT)),
    "mode 0-d": lambda T, t: T.mode(t(3.0)),
    "mode size-1 dim": lambda T, t: T.mode(t([[2.0], [1.0]]), 1),
    "mode beside a size-0 dim": lambda T, t: T.mode(T.zeros(0, 3).to(t.device), 1),
    # errors
    "error: median dim": lambda T, t: T.median(t(DISTINCT), 2),
    "error: median 0-d dim": lambda T, t: T.median(t(2.0), 1),
    "error: median size-0 dim": lambda T, t: T.median(T.zeros(2, 0).to(t.device), 1),
    "error: median bool": lambda T, t: T.median(t([True, False, True])),
    "error: median bool dim": lambda T, t: T.median(t([True, False, True]), 0),
    "error: nanmedian bool": lambda T, t: T.nanmedian(t([True, False])),
    "error: nanmedian bool dim": lambda T, t: T.nanmedian(t([True, False]), 0),
    "error: nanmedian dim": lambda T, t: T.nanmedian(t(DISTINCT), -3),
    "error: kthvalue k too large": lambda T, t: T.kthvalue(t(DISTINCT), 5),
    "error: kthvalue k = 0": lambda T, t: T.kthvalue(t(DISTINCT), 0),
    "error: kthvalue k negative": lambda T, t: T.kthvalue(t(DISTINCT), -1),
    "error: kthvalue float k": lambda T, t: T.kthvalue(t(DISTINCT), 1.0),
    "error: kthvalue dim": lambda T, t: T.kthvalue(t(DISTINCT), 1, 2),
    "error: kthvalue k too large along dim 0": lambda T, t: T.kthvalue(t(DISTINCT), 4, 0),
    "error: kthvalue size-0 dim": lambda T, t: T.kthvalue(T.zeros(2, 0).to(t.device), 1),
    "error: kthvalue 0-d, k = 2": lambda T, t: T.kthvalue(t(2.0), 2),
    "error: kthvalue bool": lambda T, t: T.kthvalue(t([True, False]), 1),
    "error: mode dim": lambda T, t: T.mode(t(DISTINCT), 2),
    "error: mode size-0 dim": lambda T, t: T.mode(T.zeros(2, 0).to(t.device), 1),
    "error: mode empty 1-d": lambda T, t: T.mode(T.zeros(0).to(t.device)),
}


def run(module, name, device):
    def t(values, dtype=None):
        return module.tensor(values, dtype=None if dtype is None else getattr(module, dtype),
                             device=device)
    t.device = device
    try:
        result = CASES[name](module, t)
    except Exception as error:  # compared by type and message
        return type(error).__name__, str(error).splitlines()[0]
    if isinstance(result, tuple):
        return type(result).__name__, tuple(part.cpu().numpy() for part in result)
    return "tensor", (result.cpu().numpy(),)


@pytest.mark.parametrize("name", list(CASES))
def test_against_pytorch(name, device):
    ours, theirs = run(tg, name, device), run(torch, name, "cpu")
    if name.startswith("error"):
        assert isinstance(theirs[1], str), f"PyTorch did not raise: {theirs}"
        if theirs[0] == "NotImplementedError":  # ours: a RuntimeError, its base class
            theirs = ("RuntimeError", theirs[1])
        assert ours == theirs
        return
    assert ours[0] == theirs[0], f"result type {ours[0]} vs {theirs[0]}"
    assert len(ours[1]) == len(theirs[1])
    for mine, wanted in zip(ours[1], theirs[1]):
        assert mine.dtype == wanted.dtype, f"dtype {mine.dtype} vs {wanted.dtype}"
        assert mine.shape == wanted.shape, f"shape {mine.shape} vs {wanted.shape}"
        assert np.array_equal(mine, wanted, equal_nan=mine.dtype.kind == "f"), (mine, wanted)


# ties: PyTorch's median / kthvalue index among equal values is its quickselect's
TIED = [[2.0, 1.0, 2.0, 5.0, 2.0, 2.0, 2.0, 0.0, 0.0], [3.0, 1.0, 1.0, 2.0, 1.0, 1.0, 3.0, 3.0,
                                                          1.0]]


@pytest.mark.parametrize("op", ["median", "nanmedian", "kthvalue 2", "kthvalue 5"])
def test_ties_give_torch_values_and_an_index_of_a_tied_element(op, device):
    def call(module, x):
        if op.startswith("kthvalue"):
            return module.kthvalue(x, int(op.split()[1]), 1)
        return getattr(module, op)(x, 1)
    values, indices = call(tg, tg.tensor(TIED, device=device))
    expected = call(torch, torch.tensor(TIED)).values.numpy()
    assert np.array_equal(values.cpu().numpy(), expected)
    picked = np.take_along_axis(np.array(TIED, np.float32), indices.cpu().numpy()[:, None], 1)
    assert np.array_equal(picked[:, 0], expected)
    # ours: the stable sort's choice (the tied elements in index order)
    order = np.argsort(np.array(TIED), 1, kind="stable")
    position = (9 - 1) // 2 if "median" in op else int(op.split()[1]) - 1
    assert indices.cpu().numpy().tolist() == order[:, position].tolist()


def test_nanmedian_of_a_row_of_nan_is_nan_at_its_first(device):
    # PyTorch: nan, at an index its quickselect picks (0, 2, 3 or 5 for 1 to 7 nans)
    for size in (1, 4, 7):
        values, indices = tg.nanmedian(tg.full((2, size), NAN, device=device), 1)
        assert np.isnan(values.cpu().numpy()).all()
        assert indices.cpu().numpy().tolist() == [0, 0]
        assert torch.isnan(torch.nanmedian(torch.full((2, size), NAN), 1).values).all()


def test_namedtuples_and_indices_stay_out_of_the_graph(device):
    x = tg.tensor(ODD, device=device, requires_grad=True)
    results = ((tg.median(x, 1), "median"), (x.nanmedian(0), "nanmedian"),
               (x.kthvalue(2), "kthvalue"), (tg.mode(x), "mode"))
    for result, name in results:
        values, indices = result
        assert type(result).__name__ == name
        assert result.values is values and result.indices is indices
        assert values.requires_grad and not indices.requires_grad
        assert indices.dtype is tg.int64
    for result in (tg.unique(x), *tg.unique(x, return_inverse=True, return_counts=True),
                   *tg.unique_consecutive(x, return_inverse=True)):
        assert not result.requires_grad


def test_unique_leaves_dim_out(device):
    with pytest.raises(TypeError, match="only dim=None"):
        tg.unique(tg.tensor(INTS, device=device), dim=0)
    with pytest.raises(TypeError, match="only dim=None"):
        tg.unique_consecutive(tg.tensor(INTS, device=device), dim=1)


def test_mode_with_nan_counts_each_nan_once(device):
    # PyTorch's result with nan is unspecified (its CPU sort compares with <); ours: each nan
    # is a value of its own, so a value that occurs twice wins
    values, indices = tg.mode(tg.tensor([NAN, 2.0, NAN, 2.0, NAN], device=device))
    assert values.item() == 2.0 and indices.item() == 3


GRADIENT_CASES = {
    "median all": lambda T, x: T.median(x),
    "median all, ties": lambda T, x: T.median(x.round()),
    "median all, nan": lambda T, x: T.median(x * T.tensor([[1.0, NAN, 1.0, 1.0]] * 3,
                                                          dtype=T.float64, device=x.device)),
    "nanmedian all": lambda T, x: T.nanmedian(x),
    "nanmedian all, nan": lambda T, x: T.nanmedian(x * T.tensor([[1.0, NAN, 1.0, 1.0]] * 3,
                                                                dtype=T.float64,
                                                                device=x.device)),
    "median dim": lambda T, x: T.median(x, 1)[0],
    "median dim 0 keepdim": lambda T, x: x.median(0, keepdim=True).values,
    "median 3-d": lambda T, x: T.median(x.reshape(2, 3, 2), 1).values,
    "nanmedian dim": lambda T, x: T.nanmedian(x, 1).values,
    "kthvalue": lambda T, x: T.kthvalue(x, 3).values,
    "kthvalue dim 0 keepdim": lambda T, x: x.kthvalue(2, 0, True)[0],
    "mode": lambda T, x: T.mode(x.reshape(4, 3)).values,
    "mode keepdim dim 0": lambda T, x: T.mode(x, 0, keepdim=True).values,
    "median 0-d": lambda T, x: T.median(x.sum()),
    "median 0-d dim": lambda T, x: T.median(x.sum(), 0).values,
    "kthvalue 0-d": lambda T, x: T.kthvalue(x.sum(), 1).values,
    "mode 0-d": lambda T, x: T.mode(x.sum()).values,
}


@pytest.mark.parametrize("name", list(GRADIENT_CASES))
def test_gradients_against_pytorch(name, device):
    data = [[0.5, -1.0, 3.0, 2.5], [7.0, 0.25, -2.0, 1.5], [4.0, -3.5, 6.0, 0.5]]
    if name.startswith("mode"):  # repeats, so mode has a choice to make
        data = [[0.5, -1.0, 0.5, 2.5], [2.5, 0.25, -1.0, 2.5], [4.0, -1.0, 6.0, 0.5]]
    if "ties" in name:
        data = [[0.4, 1.2, 2.0, 1.4], [0.9, 1.1, 3.0, 1.0], [0.6, 1.3, 2.2, 4.0]]
    results = {}
    for module, where in ((tg, device), (torch, "cpu")):
        x = module.tensor(data, dtype=module.float64, device=where, requires_grad=True)
        y = GRADIENT_CASES[name](module, x)
        weights = module.arange(1.0, y.numel() + 1.0, dtype=module.float64,
                                device=where).reshape(y.shape)
        (y * weights).sum().backward()
        node = type(y.grad_fn).__name__ if module is torch else y.grad_fn.name()
        results[module] = (node, y.detach().cpu().numpy().tolist(),
                           x.grad.cpu().numpy().tolist())
    ours, theirs = results[tg], results[torch]
    assert ours[0] == theirs[0]
    assert np.array_equal(np.array(ours[1]), np.array(theirs[1]), equal_nan=True)
    assert np.allclose(np.array(ours[2]), np.array(theirs[2]), equal_nan=True), (ours, theirs)
