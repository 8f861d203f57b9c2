"""nn.EmbeddingBag / F.embedding_bag against PyTorch: every mode, offsets and 2-D input,
include_last_offset, padding_idx, per_sample_weights, empty bags, gradients, errors."""

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

torch = pytest.importorskip("torch")

WEIGHT = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)


def run(library, functional, indices, offsets, **options):
    weight = library.tensor(WEIGHT, requires_grad=True)
    index = library.tensor(np.asarray(indices, dtype=np.int64))
    offset = None if offsets is None else library.tensor(np.asarray(offsets, dtype=np.int64))
    if "per_sample_weights" in options:
        options["per_sample_weights"] = library.tensor(
            np.asarray(options["per_sample_weights"], dtype=np.float32))
    out = functional.embedding_bag(index, weight, offset, **options)
    (out * library.tensor(np.arange(1.0, out.numel() + 1, dtype=np.float32)
                          .reshape(tuple(out.shape)))).sum().backward()
    return out.detach().numpy(), weight.grad.numpy()


CASES = [
    ([4, 1, 2, 3, 3], [0, 2], {}),
    ([4, 1, 2, 3, 3], [0, 2, 2], {"mode": "sum"}),  # an empty last bag
    ([4, 1, 2, 3, 3], [0, 0, 3], {"mode": "max"}),  # an empty first bag
    ([4, 1, 2, 3, 3, 6], [0, 2, 6], {"mode": "sum", "include_last_offset": True}),
    ([4, 1, 2, 3, 3], [0, 2], {"mode": "sum", "per_sample_weights": [1, -2, 0.5, 3, 1]}),
    ([4, 0, 0, 3, 0], [0, 2, 3], {"mode": "mean", "padding_idx": 0}),  # a bag of padding only
    ([4, 0, 5, 3, 0], [0, 3], {"mode": "max", "padding_idx": 0}),
    ([[1, 2, 2], [6, 5, 0]], None, {"mode": "mean"}),
    ([[1, 2, 2], [6, 5, 0]], None, {"mode": "max"}),
    ([[1, 2, 2], [6, 5, 0]], None, {"mode": "sum", "per_sample_weights": [[1, 2, 3], [4, 5, 6]]}),
]


@pytest.mark.parametrize("indices, offsets, options", CASES)
def test_embedding_bag_matches_pytorch(indices, offsets, options):
    ours = run(tg, F, indices, offsets, **dict(options))
    theirs = run(torch, torch.nn.functional, indices, offsets, **dict(options))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-6)


def test_module_matches_pytorch_and_zeroes_padding_row():
    ours = tg.nn.EmbeddingBag(7, 3, mode="sum", padding_idx=2)
    theirs = torch.nn.EmbeddingBag(7, 3, mode="sum", padding_idx=2)
    assert repr(ours) == repr(theirs)
    assert np.all(ours.weight.detach().numpy()[2] == 0)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
    index, offsets = [1, 2, 6, 6], [0, 1]
    np.testing.assert_allclose(
        ours(tg.tensor(index), tg.tensor(offsets)).detach().numpy(),
        theirs(torch.tensor(index), torch.tensor(offsets)).detach().numpy(), rtol=1e-6)
    frozen = tg.nn.EmbeddingBag.from_pretrained(tg.tensor(WEIGHT))
    assert not frozen.weight.requires_grad and frozen.mode == "mean"


@pytest.mark.parametrize("call, error, words", [
    (lambda w: F.embedding_bag(tg.tensor([[1, 2]]), w, tg.tensor([0])), ValueError,
     "if input is 2D, then offsets has to be None"),
    (lambda w: F.embedding_bag(tg.tensor([1, 2]), w), ValueError, "offsets has to be a 1D"),
    (lambda w: F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([1])), RuntimeError,
     "offsets\\[0\\] has to be 0"),
    (lambda w: F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([0]), mode="x"), ValueError,
     "mode has to be one of sum, mean or max"),
    (lambda w: F.embedding_bag(tg.tensor([1, 2]), w, tg.tensor([0]),
                               per_sample_weights=tg.ones(2)), ValueError,
     "only supported for mode='sum'"),
    (lambda w: F.embedding_bag(tg.tensor([1, 9]), w, tg.tensor([0])), IndexError,
     "index out of range"),
])
def test_errors_name_the_problem(call, error, words):
    with pytest.raises(error, match=words):
        call(tg.tensor(WEIGHT))
