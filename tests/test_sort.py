"""sort, argsort and topk (functions and methods) against PyTorch, on every device: values,
indices, dtypes, nan and ties, any dim of 3-d inputs, views, size-0 / size-1 / 0-d inputs,
PyTorch's errors, the namedtuple results and the gradients (SortBackward0, TopkBackward0)."""

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
CUBE = np.random.default_rng(5).permutation(24).reshape(2, 3, 4).astype(float).tolist()
TIES = [[1.0, NAN, 1.0, 3.0, NAN, -0.0, 0.0], [2.0, 2.0, 1.0, 2.0, 1.0, 2.0, 2.0]]
INT_TIES = [[3, 1, 3, 0, 1], [2, 2, 2, 2, 2]]

# name -> f(module, t): a tensor or a tuple of them (PyTorch's stable sort orders ties by
# index, as ours; its unstable sort on the CPU does too for these small inputs)
CASES = {
    "sort 2-d": lambda T, t: T.sort(t(DISTINCT)),
    "sort descending": lambda T, t: T.sort(t(DISTINCT), descending=True),
    "sort dim 0 of 3-d": lambda T, t: T.sort(t(CUBE), dim=0),
    "sort dim 1 of 3-d, descending": lambda T, t: T.sort(t(CUBE), 1, True),
    "sort dim -3 method": lambda T, t: t(CUBE).sort(-3, descending=True),
    "sort a transposed view": lambda T, t: t(CUBE).transpose(0, 2).sort(1),
    "sort nan and ties, stable": lambda T, t: T.sort(t(TIES), stable=True),
    "sort nan and ties, descending, stable": lambda T, t: T.sort(t(TIES), descending=True,
                                                                 stable=True),
    "sort ties, dim 0": lambda T, t: T.sort(t(TIES).t().contiguous(), dim=0, stable=True),
    "sort int64 ties": lambda T, t: T.sort(t(INT_TIES), stable=True),
    "sort int32 descending": lambda T, t: T.sort(t(INT_TIES, "int32"), descending=True,
                                                 stable=True),
    "sort uint8": lambda T, t: T.sort(t([[200, 3, 255, 0]], "uint8"), stable=True),
    "sort int8 negative": lambda T, t: T.sort(t([-128, 127, -1, 0], "int8")),
    "sort bool": lambda T, t: T.sort(t([True, False, True, False]), stable=True),
    "sort float64": lambda T, t: T.sort(t(DISTINCT, "float64"), 0),
    "sort float16": lambda T, t: T.sort(t([[1.5, -2.0, NAN, 0.5]], "float16"), descending=True),
    "sort 0-d": lambda T, t: T.sort(t(3.0)),
    "sort 0-d dim -1": lambda T, t: t(3.0).sort(-1, True),
    "sort size-0 dim": lambda T, t: T.sort(T.zeros(0, 3).to(t.device), 0),
    "sort beside a size-0 dim": lambda T, t: T.sort(T.zeros(0, 3).to(t.device), 1),
    "sort size-1 dim": lambda T, t: T.sort(t([[2.0], [1.0]]), 1),
    "argsort": lambda T, t: T.argsort(t(DISTINCT)),
    "argsort dim 0 descending": lambda T, t: T.argsort(t(CUBE), 0, True),
    "argsort method, ties descending stable": lambda T, t: t(TIES).argsort(
        descending=True, stable=True),
    "argsort int ties dim 0": lambda T, t: T.argsort(t(INT_TIES), dim=0, stable=True),
    "argsort 0-d": lambda T, t: T.argsort(t(5)),
    "topk": lambda T, t: T.topk(t(DISTINCT), 2),
    "topk smallest": lambda T, t: T.topk(t(DISTINCT), 3, largest=False),
    "topk k = 0": lambda T, t: T.topk(t(DISTINCT), 0),
    "topk k = n": lambda T, t: T.topk(t(DISTINCT), 4),
    "topk dim 0 of 3-d": lambda T, t: T.topk(t(CUBE), 1, dim=0),
    "topk dim 1 of 3-d, smallest": lambda T, t: t(CUBE).topk(2, 1, False),
    "topk nan is largest": lambda T, t: T.topk(t([1.0, NAN, 3.0, -1.0]), 2),
    "topk smallest skips nan": lambda T, t: T.topk(t([1.0, NAN, 3.0, -1.0]), 3, largest=False),
    "topk int64": lambda T, t: T.topk(t([[5, -2, 9, 0]]), 2),
    "topk of a transposed view": lambda T, t: t(DISTINCT).t().topk(2),
    "topk 0-d, k = 1": lambda T, t: T.topk(t(2.0), 1),
    "topk 0-d, k = 0": lambda T, t: T.topk(t(2.0), 0),
    "topk size-0 row, k = 0": lambda T, t: T.topk(T.zeros(2, 0).to(t.device), 0),
    "error: sort dim": lambda T, t: T.sort(t(DISTINCT), 2),
    "error: sort 0-d dim": lambda T, t: T.sort(t(1.0), 1),
    "error: argsort dim": lambda T, t: T.argsort(t(DISTINCT), dim=-3),
    "error: topk dim": lambda T, t: T.topk(t(DISTINCT), 1, dim=2),
    "error: topk k too large": lambda T, t: T.topk(t(DISTINCT), 5),
    "error: topk k negative": lambda T, t: T.topk(t(DISTINCT), -1),
    "error: topk 0-d, k = 2": lambda T, t: T.topk(t(1.0), 2),
    "error: topk k too large along dim 0": lambda T, t: T.topk(t(DISTINCT), 4, dim=0),
    "error: topk float k": lambda T, t: T.topk(t(DISTINCT), 1.0),
}


def run(module, name, device):
    def t(values, dtype=None):
        return module.tensor(values, dtype=None if dtype is None else getattr(module, dtype),
                             device=device)
    t.device = device
    try:
        result = CASES[name](module, t)
    except Exception as error:  # compared by type and message
        return type(error).__name__, str(error)
    if isinstance(result, tuple):
        return type(result).__name__, tuple(part.cpu().numpy() for part in result)
    return "tensor", (result.cpu().numpy(),)


@pytest.mark.parametrize("name", list(CASES))
def test_against_pytorch(name, device):
    ours, theirs = run(tg, name, device), run(torch, name, "cpu")
    if name.startswith("error"):
        assert isinstance(theirs[1], str), f"PyTorch did not raise: {theirs}"
        assert ours == theirs
        return
    assert ours[0] == theirs[0], f"result type {ours[0]} vs {theirs[0]}"
    assert len(ours[1]) == len(theirs[1])
    for mine, wanted in zip(ours[1], theirs[1]):
        assert mine.dtype == wanted.dtype, f"dtype {mine.dtype} vs {wanted.dtype}"
        assert mine.shape == wanted.shape, f"shape {mine.shape} vs {wanted.shape}"
        assert np.array_equal(mine, wanted, equal_nan=mine.dtype.kind == "f"), (mine, wanted)


def test_namedtuple_fields_and_indices_stay_out_of_the_graph(device):
    x = tg.tensor(DISTINCT, device=device, requires_grad=True)
    for result, name in ((tg.sort(x), "sort"), (x.topk(2), "topk")):
        values, indices = result
        assert type(result).__name__ == name
        assert result.values is values and result.indices is indices
        assert values.requires_grad and not indices.requires_grad
        assert indices.dtype is tg.int64
        assert np.array_equal(values.detach().cpu().numpy(),
                              x.detach().gather(-1, indices).cpu().numpy())
    assert tg.argsort(x).requires_grad is False


def test_topk_with_ties_picks_tied_values_consistently(device):
    # PyTorch leaves the order among ties unspecified: check values, and that the indices
    # point at them (ours are the first of a stable sort)
    rows = [[2.0, 5.0, 5.0, 1.0, 5.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
    for largest in (True, False):
        values, indices = tg.topk(tg.tensor(rows, device=device), 3, largest=largest)
        expected = torch.topk(torch.tensor(rows), 3, largest=largest).values.numpy()
        assert np.array_equal(values.cpu().numpy(), expected)
        picked = np.take_along_axis(np.array(rows, np.float32), indices.cpu().numpy(), 1)
        assert np.array_equal(picked, expected)
        assert all(len(set(row)) == 3 for row in indices.cpu().numpy().tolist())


def test_topk_unsorted_has_the_same_elements(device):
    values, indices = tg.topk(tg.tensor(CUBE, device=device), 2, dim=2, sorted=False)
    theirs = torch.topk(torch.tensor(CUBE), 2, dim=2, sorted=False)
    assert np.array_equal(np.sort(values.cpu().numpy(), 2), np.sort(theirs.values.numpy(), 2))
    assert np.array_equal(np.sort(indices.cpu().numpy(), 2), np.sort(theirs.indices.numpy(), 2))


GRADIENT_CASES = {
    "sort": lambda T, x: T.sort(x, 1)[0],
    "sort descending dim 0": lambda T, x: T.sort(x, 0, descending=True).values,
    "sort dim 0 of 3-d": lambda T, x: T.sort(x.reshape(2, 3, 2), 0).values,
    "sort method dim 1 of 3-d": lambda T, x: x.reshape(3, 2, 2).sort(1, True).values,
    "topk": lambda T, x: T.topk(x, 2).values,
    "topk dim 0, smallest": lambda T, x: x.topk(2, 0, largest=False).values,
    "topk 3-d": lambda T, x: T.topk(x.reshape(2, 2, 3), 1, dim=1)[0],
    "sort 0-d": lambda T, x: T.sort(x.sum())[0],
    "topk 0-d": lambda T, x: T.topk(x.sum(), 1)[0],
    "topk k = 0": lambda T, x: T.topk(x, 0).values,
}


@pytest.mark.parametrize("name", list(GRADIENT_CASES))
def test_gradients_against_pytorch(name, device):
    data = [[0.5, -1.0, 3.0, 2.5], [7.0, 0.25, -2.0, 1.5], [4.0, -3.5, 6.0, 0.0]]
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
    assert results[tg] == results[torch]


def test_gradient_of_ties_goes_to_the_positions_the_values_came_from(device):
    x = tg.tensor([[1.0, 2.0, 1.0, 2.0]], device=device, requires_grad=True)
    values, indices = tg.sort(x, descending=True, stable=True)
    (values * tg.tensor([[1.0, 10.0, 100.0, 1000.0]], device=device)).sum().backward()
    assert indices.cpu().numpy().tolist() == [[1, 3, 0, 2]]
    assert x.grad.cpu().numpy().tolist() == [[100.0, 1.0, 1000.0, 10.0]]
