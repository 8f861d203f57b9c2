"""scatter, scatter_add, index_add, index_copy, index_fill, take (and in-place forms) against
PyTorch, on every device: values, PyTorch's errors, gradients to both x and the source, and
repeated indices."""

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

CASES = {
    "scatter, int32 index": lambda T, t: T.zeros(3, 4).to(t.device).scatter(
        1, t([[1, 2]], "int32"), t([[5.0, 6.0]])),
    "scatter a value (one-hot)": lambda T, t: T.zeros(3, 4).to(t.device).scatter_(
        1, t([[0], [3], [1]]), 1.0),
    "scatter along dim 0": lambda T, t: T.zeros(2, 3).to(t.device).scatter_(
        0, t([[1, 0, 1]]), t([[5.0, 6.0, 7.0]])),
    "scatter_add, repeats add up": lambda T, t: T.zeros(4).to(t.device).scatter_add_(
        0, t([1, 1, 2]), t([1.0, 2.0, 3.0])),
    "scatter_add, index smaller than src": lambda T, t: T.zeros(3, 4).to(t.device).scatter_add(
        1, t([[1, 1], [0, 3]]), t([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])),
    "index_add, repeats": lambda T, t: T.zeros(5).to(t.device).index_add_(
        0, t([4, 0, 4]), t([1.0, 2.0, 3.0])),
    "index_add, dim 1, alpha": lambda T, t: T.zeros(3, 4).to(t.device).index_add(
        1, t([3, 0]), t([[1.0, 2.0]] * 3), alpha=2),
    "int64 scatter_add": lambda T, t: t([1, 2, 3]).scatter_add(0, t([0, 0]), t([10, 20])),
    "error: dtype of src": lambda T, t: T.zeros(3, 4).to(t.device).scatter(
        1, t([[1, 2]]), t([[1.0, 2.0]], "float64")),
    "error: index rank": lambda T, t: T.zeros(3, 4).to(t.device).scatter(
        1, t([1, 2]), t([[1.0, 2.0]])),
    "error: index out of range": lambda T, t: T.zeros(3, 4).to(t.device).scatter(
        1, t([[1, 5]]), t([[1.0, 2.0]])),
    "error: index larger than src": lambda T, t: T.zeros(3, 4).to(t.device).scatter(
        1, t([[1, 2, 0]]), t([[1.0, 2.0]])),
    "error: index_add source shape": lambda T, t: T.zeros(3, 4).to(t.device).index_add(
        0, t([0, 0]), t([[1.0, 2.0, 3.0]] * 2)),
    "error: index_add count": lambda T, t: T.zeros(3, 4).to(t.device).index_add(
        0, t([0, 0]), T.ones(3, 4).to(t.device)),
    "error: index_add float index": lambda T, t: T.zeros(3, 4).to(t.device).index_add(
        0, t([0.0, 1.0]), T.ones(2, 4).to(t.device)),
    "error: index_add out of range": lambda T, t: T.zeros(3).to(t.device).index_add(
        0, t([-1]), t([1.0])),
    "error: index_add dtypes": lambda T, t: T.zeros(3).to(t.device).index_add(
        0, t([1]), t([1.0], "float64")),
    "index_copy, dim 0": lambda T, t: T.zeros(3, 4).to(t.device).index_copy(
        0, t([2, 0]), t([[1.0] * 4, [2.0] * 4])),
    "index_copy_, dim 1, int64": lambda T, t: t([[1, 2, 3], [4, 5, 6]]).index_copy_(
        1, t([2, 0]), t([[10, 20], [30, 40]])),
    "index_copy of a 0-d tensor": lambda T, t: t(5.0).index_copy(0, t([0]), t(2.0)),
    "error: index_copy count": lambda T, t: T.zeros(3, 2).to(t.device).index_copy(
        0, t([1]), T.ones(2, 2).to(t.device)),
    "error: index_copy out of range": lambda T, t: T.zeros(3).to(t.device).index_copy(
        0, t([3]), t([1.0])),
    "error: index_copy int32 index": lambda T, t: T.zeros(3).to(t.device).index_copy(
        0, t([1], "int32"), t([1.0])),
    "error: index_copy dtypes": lambda T, t: T.zeros(3).to(t.device).index_copy(
        0, t([1]), t([1.0], "float64")),
    "index_fill, dim 1": lambda T, t: T.zeros(3, 4).to(t.device).index_fill(1, t([0, 2]), -1.5),
    "index_fill_, negative index, int64 gets 2.7 as 2": lambda T, t: t([1, 2, 3]).index_fill_(
        0, t([-1]), 2.7),
    "index_fill with a 0-d tensor, 0-d index": lambda T, t: T.zeros(2, 3).to(t.device).index_fill(
        1, t(1), t(7.0, "float64")),
    "index_fill of a non-contiguous view": lambda T, t: T.arange(6.0).to(t.device).view(
        2, 3).t().index_fill(0, t([1]), 0.0),
    "error: index_fill out of range": lambda T, t: T.zeros(3).to(t.device).index_fill(
        0, t([-4]), 1.0),
    "error: index_fill int32 index": lambda T, t: T.zeros(3).to(t.device).index_fill(
        0, t([1], "int32"), 1.0),
    "error: index_fill 2-d index": lambda T, t: T.zeros(3).to(t.device).index_fill(
        0, t([[1]]), 1.0),
    "error: index_fill 1-d value": lambda T, t: T.zeros(3).to(t.device).index_fill(
        0, t([1]), t([1.0])),
    "take, negative and 2-d index": lambda T, t: T.take(T.arange(6.0).to(t.device).view(2, 3),
                                                        t([[0, -1], [4, 2]])),
    "take of a transposed view": lambda T, t: T.arange(6).to(t.device).view(2, 3).t().take(
        t([1, 2])),
    "error: take out of range": lambda T, t: T.take(T.zeros(3).to(t.device), t([3])),
    "error: take float index": lambda T, t: T.take(T.zeros(3).to(t.device), t([1.0])),
}


def run(module, name, device):
    def t(values, dtype=None):
        return module.tensor(values, dtype=None if dtype is None else getattr(module, dtype),
                             device=device)
    t.device = device
    try:
        return CASES[name](module, t).cpu().numpy()
    except Exception as error:  # compared by type and message
        return type(error).__name__, str(error)


@pytest.mark.parametrize("name", list(CASES))
def test_against_pytorch(name, device):
    ours, theirs = run(tg, name, device), run(torch, name, "cpu")
    if isinstance(theirs, tuple) or isinstance(ours, tuple):
        assert ours == theirs
    else:
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (ours, theirs)


def test_gradients_reach_x_and_the_source(device):
    weights = [1.0, 2.0, 3.0]
    results = {}
    for module, where in ((tg, device), (torch, "cpu")):
        def index(values, module=module, where=where):
            return module.tensor(values, device=where)

        grads = []
        for make in (lambda x, s: x.scatter_add(0, index([1, 1, 0]), s),
                     lambda x, s: x.index_add(0, index([2, 0, 2]), s, alpha=3),
                     lambda x, s: x.scatter(0, index([2, 0, 1]), s),
                     lambda x, s: x.index_copy(0, index([2, 0, 1]), s),
                     lambda x, s: x.index_fill(0, index([2]), 0.0) * s,
                     lambda x, s: x.take(index([2, 2, 0])) * s):
            x = module.ones(3, device=where, requires_grad=True)
            s = module.tensor([5.0, 6.0, 7.0], device=where, requires_grad=True)
            y = make(x, s)
            (y * module.tensor(weights, device=where)).sum().backward()
            grads.append((type(y.grad_fn).__name__ if module is torch else y.grad_fn.name(),
                          x.grad.tolist(), s.grad.tolist()))
        results[module] = grads
    assert results[tg] == results[torch]


def test_index_fill_with_a_tensor_value_gives_it_the_gradient(device):
    results = {}
    for module, where in ((tg, device), (torch, "cpu")):
        x = module.ones(2, 3, device=where, requires_grad=True)
        value = module.tensor(4.0, device=where, requires_grad=True)
        y = x.index_fill(1, module.tensor([0, 2], device=where), value)
        (y * module.arange(6.0, device=where).view(2, 3)).sum().backward()
        name = type(y.grad_fn).__name__ if module is torch else y.grad_fn.name()
        results[module] = (name, y.tolist(), x.grad.tolist(), value.grad.item())
    assert results[tg] == results[torch]
