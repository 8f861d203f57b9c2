"""Bilinear, LazyLinear, ChannelShuffle, gumbel_softmax; the 3-d layers built from the 2-d
kernels (conv3d, max/avg/adaptive pooling, batch and instance norm); affine_grid and
grid_sample: values, gradients, reprs and state_dict keys against PyTorch (float64)."""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def close(ours, theirs, what: str, atol: float = 1e-10) -> None:
    a = ours.detach().numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    error = float(np.abs(a - b).max()) if a.size else 0.0
    assert error <= atol * max(1.0, float(np.abs(b).max()) if b.size else 1.0), \
        f"{what}: max abs error {error:.3g}"


def both(*arrays: np.ndarray) -> tuple[list, list]:
    """The arrays as float64 leaves that require grad, ours and PyTorch's."""
    ours = [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


def compare(ours_fn, theirs_fn, *arrays: np.ndarray, what: str, atol: float = 1e-10) -> None:
    """Outputs, then gradients of sum(out * w) with a random w, of every input."""
    ours, theirs = both(*arrays)
    out_ours, out_theirs = ours_fn(*ours), theirs_fn(*theirs)
    close(out_ours, out_theirs, what + " forward", atol)
    w = randn(*out_theirs.shape)
    (out_ours * tg.tensor(w)).sum().backward()
    (out_theirs * torch.tensor(w)).sum().backward()
    for index, (a, b) in enumerate(zip(ours, theirs)):
        assert (a.grad is None) == (b.grad is None), f"{what}: grad {index} presence"
        if b.grad is not None:
            close(a.grad, b.grad, f"{what} grad of input {index}", atol)


# ---------------------------------------------------------------------------- item 1


def test_bilinear_matches_pytorch_values_and_grads():
    x1, x2, w, b = randn(2, 3, 4), randn(2, 3, 5), randn(6, 4, 5), randn(6)
    compare(F.bilinear, torch.nn.functional.bilinear, x1, x2, w, b, what="bilinear")
    compare(lambda a, c, d: F.bilinear(a, c, d), lambda a, c, d: torch.nn.functional.bilinear(
        a, c, d), randn(7, 2), randn(7, 3), randn(1, 2, 3), what="bilinear no bias")


def test_bilinear_module_repr_state_and_errors():
    layer = nn.Bilinear(4, 5, 3)
    reference = torch.nn.Bilinear(4, 5, 3)
    assert repr(layer) == repr(reference)
    assert list(layer.state_dict()) == list(reference.state_dict())
    assert layer.weight.shape == reference.weight.shape
    bound = 1 / 2
    assert float(layer.weight.abs().max()) <= bound
    assert repr(nn.Bilinear(2, 2, 1, bias=False)) == repr(torch.nn.Bilinear(2, 2, 1, bias=False))
    with pytest.raises(RuntimeError, match="input2 size does not match"):
        F.bilinear(tg.randn(2, 3), tg.randn(2, 4), tg.randn(5, 3, 3))


def test_lazy_linear_before_and_after_the_first_call():
    layer, reference = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(layer) == repr(reference)
    assert list(layer.state_dict()) == list(reference.state_dict()) == ["weight", "bias"]
    params = list(layer.parameters())
    assert len(params) == 2 and all(type(p).__name__ == "UninitializedParameter" for p in params)
    assert repr(layer.weight) == repr(reference.weight) == "<UninitializedParameter>"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        _ = layer.weight.shape
    fresh = copy.deepcopy(layer)
    x = randn(2, 7, 5).astype(np.float32)
    out = layer(tg.tensor(x))
    reference(torch.tensor(x))
    assert repr(layer) == repr(reference) == "Linear(in_features=5, out_features=3, bias=True)"
    assert type(layer) is nn.Linear and type(layer.weight) is nn.Parameter
    assert params[0] is layer.weight  # the same object: an optimizer built early still works
    assert tuple(layer.weight.shape) == (3, 5) and tuple(out.shape) == (2, 7, 3)
    assert float(layer.weight.abs().max()) <= 1 / np.sqrt(5)
    out.sum().backward()
    assert layer.weight.grad is not None and tuple(layer.bias.grad.shape) == (3,)
    # a state_dict loaded into a fresh lazy layer gives it the checkpoint's shapes
    fresh.load_state_dict(layer.state_dict())
    assert np.array_equal(fresh.weight.detach().numpy(), layer.weight.detach().numpy())
    np.testing.assert_allclose(fresh(tg.tensor(x)).detach().numpy(), out.detach().numpy())
    no_bias = nn.LazyLinear(2, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight"]


def test_channel_shuffle_matches_pytorch():
    x = randn(2, 6, 3, 2)
    compare(lambda t: F.channel_shuffle(t, 3),
            lambda t: torch.nn.functional.channel_shuffle(t, 3), x, what="channel_shuffle")
    layer, reference = nn.ChannelShuffle(2), torch.nn.ChannelShuffle(2)
    assert repr(layer) == repr(reference)
    close(layer(tg.tensor(x)), reference(torch.tensor(x)), "ChannelShuffle")
    with pytest.raises(RuntimeError, match="Got 5 channels and 2 groups"):
        F.channel_shuffle(tg.randn(1, 5, 2), 2)


def test_gumbel_softmax_samples_follow_the_softmax():
    tg.manual_seed(0)
    logits = tg.tensor([[1.0, 0.0, -1.0, 2.0]]).expand(4000, 4)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    values = hard.numpy()
    assert set(np.unique(values)) <= {0.0, 1.0} and np.all(values.sum(-1) == 1)
    frequency = values.mean(0)
    expected = torch.softmax(torch.tensor([1.0, 0.0, -1.0, 2.0]), 0).numpy()
    # 4000 draws: the standard error of each frequency is below 0.008
    assert np.abs(frequency - expected).max() < 0.03, (frequency, expected)
    soft = F.gumbel_softmax(logits, tau=2.0)
    assert np.allclose(soft.numpy().sum(-1), 1.0) and (soft.numpy() > 0).all()


def test_gumbel_softmax_hard_is_straight_through_and_seeded():
    x = randn(3, 5)
    w = tg.tensor(randn(3, 5))
    results = []
    for hard in (True, False):
        logits = tg.tensor(x, requires_grad=True)
        tg.manual_seed(7)
        out = F.gumbel_softmax(logits, tau=0.7, hard=hard, dim=1)
        (out * w).sum().backward()
        results.append((out.detach().numpy(), logits.grad.numpy()))
    (hard_out, hard_grad), (soft_out, soft_grad) = results
    # same seed, same noise: the one-hot sits at the argmax of the soft sample ...
    assert np.array_equal(hard_out.argmax(1), soft_out.argmax(1))
    assert np.array_equal(hard_out, np.eye(5)[soft_out.argmax(1)])
    # ... and the hard sample's gradient is the soft sample's (straight-through)
    np.testing.assert_allclose(hard_grad, soft_grad, rtol=1e-12, atol=1e-12)
    assert np.abs(soft_grad).max() > 0


# ---------------------------------------------------------------------------- item 3: 3-d

TF = torch.nn.functional


@pytest.mark.parametrize("groups,options", [
    (1, {}),
    (2, {"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (2, 1, 1)}),
    (2, {"padding": "same", "dilation": (1, 2, 1)}),
    (3, {"stride": 2, "padding": 1}),
])
def test_conv3d_matches_pytorch(groups, options):
    x = randn(2, 6, 5, 4, 5)
    w, b = randn(3 * groups, 6 // groups, 3, 2, 3), randn(3 * groups)
    compare(lambda a, c, d: F.conv3d(a, c, d, groups=groups, **options),
            lambda a, c, d: TF.conv3d(a, c, d, groups=groups, **options), x, w, b,
            what=f"conv3d {options}", atol=1e-9)


def test_conv3d_module_unbatched_and_errors():
    layer, reference = nn.Conv3d(2, 4, (2, 3, 1), stride=(1, 2, 1), bias=False), \
        torch.nn.Conv3d(2, 4, (2, 3, 1), stride=(1, 2, 1), bias=False).double()
    assert repr(layer) == repr(reference)
    assert list(layer.state_dict()) == list(reference.state_dict())
    layer.double()
    layer.weight.data = tg.tensor(reference.weight.detach().numpy())
    x = randn(2, 3, 5, 2)  # unbatched (C, D, H, W)
    close(layer(tg.tensor(x)), reference(torch.tensor(x)), "Conv3d unbatched")
    with pytest.raises(RuntimeError, match="expected input.*to have 2 channels"):
        layer(tg.randn(1, 3, 3, 5, 2, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        layer(tg.randn(1, 2, 1, 5, 2, dtype=tg.float64))


@pytest.mark.parametrize("options", [
    {"kernel_size": 2},
    {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 1, 1), "ceil_mode": True},
    {"kernel_size": 2, "stride": 1, "dilation": (2, 1, 2)},
])
def test_max_pool3d_matches_pytorch(options):
    x = randn(2, 3, 5, 6, 7)
    compare(lambda a: F.max_pool3d(a, **options), lambda a: TF.max_pool3d(a, **options), x,
            what=f"max_pool3d {options}")
    layer, reference = nn.MaxPool3d(**options), torch.nn.MaxPool3d(**options)
    assert repr(layer) == repr(reference)
    close(layer(tg.tensor(x[0])), reference(torch.tensor(x[0])), "MaxPool3d unbatched")


@pytest.mark.parametrize("options", [
    {"kernel_size": 2},
    {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 1, 1), "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
     "count_include_pad": False},
    {"kernel_size": (2, 3, 2), "divisor_override": 5},
])
def test_avg_pool3d_matches_pytorch(options):
    x = randn(2, 3, 5, 6, 7)
    compare(lambda a: F.avg_pool3d(a, **options), lambda a: TF.avg_pool3d(a, **options), x,
            what=f"avg_pool3d {options}")
    layer, reference = nn.AvgPool3d(**options), torch.nn.AvgPool3d(**options)
    assert repr(layer) == repr(reference)


@pytest.mark.parametrize("size", [(2, 3, 4), 1, (None, 2, 5), 3])
def test_adaptive_avg_pool3d_matches_pytorch(size):
    x = randn(2, 3, 5, 4, 7)
    compare(lambda a: F.adaptive_avg_pool3d(a, size),
            lambda a: TF.adaptive_avg_pool3d(a, size), x, what=f"adaptive_avg_pool3d {size}")
    assert repr(nn.AdaptiveAvgPool3d(size)) == repr(torch.nn.AdaptiveAvgPool3d(size))


@pytest.mark.parametrize("kind", ["batch", "instance"])
def test_batch_and_instance_norm3d_match_pytorch(kind):
    if kind == "batch":
        ours, theirs = nn.BatchNorm3d(3, momentum=0.3), torch.nn.BatchNorm3d(3, momentum=0.3)
    else:
        ours = nn.InstanceNorm3d(3, affine=True, track_running_stats=True)
        theirs = torch.nn.InstanceNorm3d(3, affine=True, track_running_stats=True)
    ours.double(), theirs.double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(randn(3))), theirs.bias.copy_(torch.tensor(randn(3)))
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = randn(2, 3, 3, 4, 2)
    compare(lambda a: ours(a), lambda a: theirs(a), x, what=f"{kind} norm 3d training")
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad, f"{kind} norm 3d parameter grad")
    for key, value in theirs.state_dict().items():
        close(ours.state_dict()[key], value, f"{kind} norm 3d {key}")
    ours.eval(), theirs.eval()
    compare(lambda a: ours(a), lambda a: theirs(a), x, what=f"{kind} norm 3d eval")
    with pytest.raises(ValueError, match="expected 5D input|expected 4D or 5D input"):
        ours(tg.randn(2, 3, 4, dtype=tg.float64))


# ---------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3)])
def test_affine_grid_matches_pytorch(size, align_corners):
    theta = randn(2, 2, 3)
    with pytest.warns(UserWarning) if align_corners and 1 in size[2:] \
            else contextlib.nullcontext():
        compare(lambda t: F.affine_grid(t, size, align_corners=align_corners),
                lambda t: TF.affine_grid(t, size, align_corners=align_corners), theta,
                what=f"affine_grid {size} {align_corners}")


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_matches_pytorch(mode, padding_mode, align_corners):
    x = randn(2, 3, 4, 5)
    # inside, just outside and far outside (several reflections) the input
    grid = RNG.uniform(-3.2, 3.2, (2, 3, 7, 2))
    grid[:, 0] = RNG.uniform(-1, 1, (2, 7, 2))
    options = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    ours, theirs = both(x, grid)
    out_ours = F.grid_sample(*ours, **options)
    out_theirs = TF.grid_sample(*theirs, **options)
    close(out_ours, out_theirs, f"grid_sample {options}")
    w = randn(*out_theirs.shape)
    (out_ours * tg.tensor(w)).sum().backward()
    (out_theirs * torch.tensor(w)).sum().backward()
    close(ours[0].grad, theirs[0].grad, f"grid_sample {options}: input grad")
    if mode == "bilinear":
        close(ours[1].grad, theirs[1].grad, f"grid_sample {options}: grid grad")
        assert np.abs(theirs[1].grad.numpy()).max() > 0
    else:  # documented: no dependence on the grid, so no gradient (PyTorch: zeros)
        assert ours[1].grad is None and not theirs[1].grad.numpy().any()


def test_spatial_transformer_end_to_end_and_errors():
    x, theta = randn(1, 2, 5, 6), randn(1, 2, 3) * 0.5 + np.array([[1, 0, 0], [0, 1, 0]])
    compare(lambda a, t: F.grid_sample(a, F.affine_grid(t, (1, 2, 4, 3))),
            lambda a, t: TF.grid_sample(a, TF.affine_grid(t, (1, 2, 4, 3), align_corners=False),
                                        align_corners=False),
            x, theta, what="grid_sample(affine_grid)")
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(tg.randn(1, 1, 2, 2), tg.randn(1, 2, 2, 2), padding_mode="wrap")
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(tg.randn(1, 3, 3), (1, 1, 2, 2))


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
def test_conv3d_padding_modes_and_lazy_dtype(padding_mode):
    reference = torch.nn.Conv3d(2, 3, (3, 2, 3), padding=1, padding_mode=padding_mode).double()
    layer = nn.Conv3d(2, 3, (3, 2, 3), padding=1, padding_mode=padding_mode).double()
    assert repr(layer) == repr(reference)
    layer.load_state_dict({k: tg.tensor(v.detach().numpy())
                           for k, v in reference.state_dict().items()})
    x = randn(1, 2, 4, 4, 5)
    compare(lambda a: layer(a), lambda a: reference(a), x, what=f"Conv3d {padding_mode}")
    lazy = nn.LazyLinear(2).double()  # the placeholder keeps the dtype it is given
    lazy(tg.randn(3, 4, dtype=tg.float64))
    assert lazy.weight.dtype == tg.float64 and tuple(lazy.weight.shape) == (2, 4)
