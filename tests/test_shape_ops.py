"""einsum and the shape functions built from views and copies (movedim, broadcast_to,
hstack/vstack/dstack, meshgrid, diagonal, diag, roll, repeat_interleave) against PyTorch:
values and gradients, on every device."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None

pytestmark = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
rng = np.random.default_rng(0)


def outputs_and_gradients(T, device, f, arrays):
    """f's outputs and the gradients of a weighted sum of them w.r.t. each float input."""
    inputs = [T.tensor(a, requires_grad=a.dtype.kind == "f", device=device) for a in arrays]
    leaves = list(inputs)
    out = f(T, *inputs)
    outs = out if isinstance(out, tuple) else (out,)
    total = 0
    for o in outs:
        weights = T.tensor(np.arange(o.numel(), dtype=np.float64).reshape(tuple(o.shape)) % 7)
        total = total + (o * weights.to(o.dtype).to(o.device)).sum()
    total.backward()
    return (
        [o.detach().cpu().numpy() for o in outs],
        [x.grad.cpu().numpy() for x in leaves if x.grad is not None],
    )


A, B, S = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((4, 4))
X, V = rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
CASES = {
    "einsum mm": (lambda T, a, b: T.einsum("ij,jk->ik", a, b), A, B),
    "einsum implicit": (lambda T, a, b: T.einsum("ij,jk", a, b), A, B),
    "einsum transpose": (lambda T, a: T.einsum("ij->ji", a), A),
    "einsum trace": (lambda T, a: T.einsum("ii", a), S),
    "einsum diag": (lambda T, a: T.einsum("ii->i", a), S),
    "einsum dot": (lambda T, a, b: T.einsum("i,i->", a, b), V, V),
    "einsum outer": (lambda T, a, b: T.einsum("i,j->ij", a, b), V, V[:3]),
    "einsum batch": (
        lambda T, a, b: T.einsum("bij,bjk->bik", a, b),
        X,
        rng.standard_normal((2, 4, 3)),
    ),
    "einsum ellipsis": (lambda T, a, b: T.einsum("...ij,jk->...ik", a, b), X, B),
    "einsum sum": (lambda T, a: T.einsum("bij->j", a), X),
    "einsum attention": (
        lambda T, q, k: T.einsum("bhqd,bhkd->bhqk", q, k),
        rng.standard_normal((2, 2, 3, 4)),
        rng.standard_normal((2, 2, 5, 4)),
    ),
    "einsum three": (
        lambda T, a, b, c: T.einsum("ij,jk,kl->il", a, b, c),
        A,
        B,
        rng.standard_normal((5, 2)),
    ),
    "einsum list": (lambda T, a, b: T.einsum("ij,jk->ik", [a, b]), A, B),
    "einsum broadcast ellipsis": (
        lambda T, a, b: T.einsum("...ij,...jk->...ik", a, b),
        rng.standard_normal((2, 1, 3, 4)),
        rng.standard_normal((3, 4, 2)),
    ),
    "movedim": (lambda T, a: T.movedim(a, 0, -1), X),
    "movedim tuple": (lambda T, a: a.movedim((0, 1), (2, 0)), X),
    "broadcast_to": (lambda T, a: T.broadcast_to(a, (2, 3, 4)), A),
    "hstack": (lambda T, a, b: T.hstack([a, b]), A, A),
    "hstack 1d": (lambda T, a, b: T.hstack((a, b)), V, V),
    "vstack": (lambda T, a, b: T.vstack([a, b]), V, V),
    "dstack": (lambda T, a, b: T.dstack([a, b]), A, A),
    "meshgrid ij": (lambda T, a, b: T.meshgrid(a, b, indexing="ij"), V, V[:3]),
    "meshgrid xy": (lambda T, a, b: T.meshgrid(a, b, indexing="xy"), V, V[:3]),
    "diagonal": (lambda T, a: a.diagonal(), S),
    "diagonal offset": (lambda T, a: a.diagonal(1), A),
    "diagonal neg offset dims": (lambda T, a: T.diagonal(a, -1, 1, 2), X),
    "diag of 1-d": (lambda T, a: T.diag(a, 1), V),
    "diag of 2-d": (lambda T, a: T.diag(a, -1), A),
    "roll": (lambda T, a: T.roll(a, 1, 0), A),
    "roll two dims": (lambda T, a: a.roll((1, -2), (0, 1)), A),
    "roll flat": (lambda T, a: a.roll(5), A),
    "repeat_interleave": (lambda T, a: a.repeat_interleave(2), A),
    "repeat_interleave dim": (lambda T, a: a.repeat_interleave(3, dim=1), A),
    "repeat_interleave tensor": (
        lambda T, a: a.repeat_interleave(T.tensor([1, 0, 2]).to(a.device), dim=0),
        A,
    ),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name, device):
    f, *arrays = CASES[name]
    ours = outputs_and_gradients(tg, device, f, arrays)
    theirs = outputs_and_gradients(torch, "cpu", f, arrays)
    for got, expected in zip(ours[0], theirs[0]):
        assert got.shape == expected.shape and np.allclose(got, expected), (name, got, expected)
    assert len(ours[1]) == len(theirs[1])
    for got, expected in zip(ours[1], theirs[1]):
        assert np.allclose(got, expected), (name, "gradient", got, expected)


def test_einsum_errors_and_integers():
    a, b = tg.ones(2, 3, dtype=tg.int64), tg.ones(3, 2, dtype=tg.int64)
    assert tg.einsum("ij,jk->ik", a, b).tolist() == [[3, 3], [3, 3]]
    with pytest.raises(ValueError, match="fewer operands"):
        tg.einsum("ij,jk->ik", tg.ones(2, 3))
    with pytest.raises(RuntimeError, match="number of subscripts"):
        tg.einsum("ijk,jk->ik", tg.ones(2, 3), tg.ones(3, 2))
    with pytest.raises(RuntimeError, match="output subscript z does not appear"):
        tg.einsum("ij,jk->iz", tg.ones(2, 3), tg.ones(3, 2))
    with pytest.raises(RuntimeError, match="subscript j"):
        tg.einsum("ij,jk->ik", tg.ones(2, 3), tg.ones(4, 2))


def test_diagonal_is_a_view_and_roll_a_copy():
    x = tg.zeros(3, 3)
    x.diagonal().fill_(1.0)
    assert x.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    rolled = x.roll(1, 0)
    rolled.fill_(5.0)
    assert x.sum().item() == 3.0
    with pytest.raises(RuntimeError, match="cannot be identical"):
        x.diagonal(0, 1, 1)
