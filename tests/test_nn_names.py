"""nn names added late: nn.utils.prune, nn.utils.fusion, the optimizer step hooks, and a few
layers and functions; each against PyTorch (skipped without it)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn.utils import fusion, prune

torch = pytest.importorskip("torch")
TP = pytest.importorskip("torch.nn.utils.prune")
TF = pytest.importorskip("torch.nn.utils.fusion")


def _pair_linear(seed: int = 0, n_in: int = 6, n_out: int = 4) -> tuple:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n_out, n_in)).astype(np.float32)
    b = rng.standard_normal(n_out).astype(np.float32)
    ours, theirs = nn.Linear(n_in, n_out), torch.nn.Linear(n_in, n_out)
    ours.weight.data = tg.tensor(w)
    ours.bias.data = tg.tensor(b)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.copy_(torch.tensor(b))
    return ours, theirs


def _pair_conv(seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    ours, theirs = nn.Conv2d(3, 5, 3), torch.nn.Conv2d(3, 5, 3)
    ours.weight.data = tg.tensor(w)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
    return ours, theirs


# ------------------------------------------------------------------ prune

@pytest.mark.parametrize("amount", [0.3, 5, 0, 1.0])
def test_l1_unstructured_mask_matches_torch(amount):
    ours, theirs = _pair_linear()
    prune.l1_unstructured(ours, "weight", amount)
    TP.l1_unstructured(theirs, "weight", amount)
    np.testing.assert_array_equal(ours.weight_mask.numpy(), theirs.weight_mask.numpy())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_orig",
                                                                    "weight_mask"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x = np.random.default_rng(1).standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("n,dim,amount", [(2, 0, 2), (1, 1, 0.5), (float("inf"), 0, 1),
                                          (3, -1, 1)])
def test_ln_structured_and_successive_pruning_match_torch(n, dim, amount):
    ours, theirs = _pair_conv()
    prune.ln_structured(ours, "weight", amount, n, dim)
    TP.ln_structured(theirs, "weight", amount, n, dim)
    np.testing.assert_array_equal(ours.weight_mask.numpy(), theirs.weight_mask.numpy())
    # a second pruning works on what is left: the masks combine (PruningContainer)
    prune.l1_unstructured(ours, "weight", 7)
    TP.l1_unstructured(theirs, "weight", 7)
    np.testing.assert_array_equal(ours.weight_mask.numpy(), theirs.weight_mask.numpy())
    hooks = [h for h in ours._forward_pre_hooks.values()
             if isinstance(h, prune.BasePruningMethod)]
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer)
    assert [type(m).__name__ for m in hooks[0]] == ["LnStructured", "L1Unstructured"]


def test_global_unstructured_matches_torch():
    (a, ta), (b, tb) = _pair_linear(0), _pair_linear(3, 4, 3)
    prune.l1_unstructured(a, "weight", 3)
    TP.l1_unstructured(ta, "weight", 3)
    prune.global_unstructured([(a, "weight"), (b, "weight"), (b, "bias")],
                              prune.L1Unstructured, amount=0.4)
    TP.global_unstructured([(ta, "weight"), (tb, "weight"), (tb, "bias")],
                           TP.L1Unstructured, amount=0.4)
    for ours, theirs in [(a, ta), (b, tb)]:
        np.testing.assert_array_equal(ours.weight_mask.numpy(), theirs.weight_mask.numpy())
    np.testing.assert_array_equal(b.bias_mask.numpy(), tb.bias_mask.numpy())
    assert list(b.state_dict()) == list(tb.state_dict())


def test_pruned_gradient_and_remove():
    ours, theirs = _pair_linear()
    prune.l1_unstructured(ours, "weight", 0.5)
    TP.l1_unstructured(theirs, "weight", 0.5)
    x = np.ones((2, 6), np.float32)
    ours(tg.tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(ours.weight_orig.grad.numpy(),
                               theirs.weight_orig.grad.numpy(), atol=1e-6)
    assert prune.is_pruned(nn.Sequential(ours)) and not prune.is_pruned(nn.Linear(2, 2))
    orig = ours.weight_orig
    prune.remove(ours, "weight")
    TP.remove(theirs, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert ours.weight is orig and isinstance(ours.weight, nn.Parameter)
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert not prune.is_pruned(ours)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(ours, "weight")


def test_random_methods_custom_mask_identity_and_errors():
    tg.manual_seed(0)
    layer = nn.Linear(50, 40)
    prune.random_unstructured(layer, "weight", 0.25)
    assert int((layer.weight_mask.numpy() == 0).sum()) == 500
    assert int((layer.weight.detach().numpy() == 0).sum()) >= 500
    conv = nn.Conv2d(2, 8, 3)
    prune.random_structured(conv, "weight", 3, dim=0)
    per_channel = conv.weight_mask.numpy().reshape(8, -1)
    assert sorted(per_channel.min(1) == per_channel.max(1)) == [True] * 8
    assert int((per_channel[:, 0] == 0).sum()) == 3
    # two random prunings draw different entries
    a, b = nn.Linear(30, 30), nn.Linear(30, 30)
    prune.random_unstructured(a, "weight", 100)
    prune.random_unstructured(b, "weight", 100)
    assert not np.array_equal(a.weight_mask.numpy(), b.weight_mask.numpy())
    small = nn.Linear(2, 2)
    prune.custom_from_mask(small, "weight", tg.tensor([[1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_array_equal(small.weight_mask.numpy(), [[1, 0], [0, 1]])
    prune.identity(small, "bias")
    np.testing.assert_array_equal(small.bias_mask.numpy(), [1, 1])
    with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", 5)
    with pytest.raises(ValueError, match="float in the range"):
        prune.L1Unstructured(1.5)
    with pytest.raises(TypeError, match="Invalid type for amount"):
        prune.L1Unstructured("half")
    with pytest.raises(ValueError, match="Structured pruning can only be applied"):
        prune.ln_structured(nn.Linear(2, 2), "bias", 1, 2, 0)


# ------------------------------------------------------------------ fusion

def _copy_bn(ours, theirs, rng):
    n = ours.num_features
    values = {"running_mean": rng.standard_normal(n), "running_var": rng.random(n) + 0.5,
              "weight": rng.standard_normal(n), "bias": rng.standard_normal(n)}
    for name, value in values.items():
        getattr(ours, name).data = tg.tensor(value.astype(np.float32))
        with torch.no_grad():
            getattr(theirs, name).copy_(torch.tensor(value.astype(np.float32)))


def test_fuse_conv_bn_eval_matches_torch():
    rng = np.random.default_rng(0)
    conv, tconv = _pair_conv()
    bn, tbn = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    _copy_bn(bn, tbn, rng)
    for m in (conv, tconv, bn, tbn):
        m.eval()
    fused = fusion.fuse_conv_bn_eval(conv, bn)
    tfused = TF.fuse_conv_bn_eval(tconv, tbn)
    np.testing.assert_allclose(fused.weight.detach().numpy(), tfused.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused.bias.detach().numpy(), tfused.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(fused(tg.tensor(x)).detach().numpy(),
                               bn(conv(tg.tensor(x))).detach().numpy(), atol=1e-4)
    assert fused is not conv and isinstance(fused.weight, nn.Parameter)
    conv.train()
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        fusion.fuse_conv_bn_eval(conv, bn)


def test_fuse_linear_bn_matches_torch():
    rng = np.random.default_rng(1)
    lin, tlin = _pair_linear()
    bn, tbn = nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    _copy_bn(bn, tbn, rng)
    for m in (lin, tlin, bn, tbn):
        m.eval()
    fused = fusion.fuse_linear_bn_eval(lin, bn)
    tfused = TF.fuse_linear_bn_eval(tlin, tbn)
    np.testing.assert_allclose(fused.weight.detach().numpy(), tfused.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused.bias.detach().numpy(), tfused.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    w, b = fusion.fuse_conv_bn_weights(lin.weight, None, bn.running_mean, bn.running_var,
                                       1e-5, None, None, transpose=False)
    tw, tb = TF.fuse_conv_bn_weights(
        tlin.weight, None, tbn.running_mean, tbn.running_var, 1e-5, None, None)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ optimizer step hooks

def test_step_hooks_order_args_and_remove():
    calls = []
    p = nn.Parameter(tg.ones(2))
    opt = optim.Adam([p], lr=0.1)
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt, len(a))))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o is opt, len(a))))
    glob_pre = optim.optimizer.register_optimizer_step_pre_hook(
        lambda o, a, k: calls.append(("global pre", o is opt)))
    glob_post = optim.optimizer.register_optimizer_step_post_hook(
        lambda o, a, k: calls.append(("global post", o is opt)))
    try:
        p.grad = tg.ones(2)
        opt.step()
    finally:
        glob_pre.remove()
        glob_post.remove()
    assert calls == [("global pre", True), ("pre", True, 1), ("post", True, 1),
                     ("global post", True)]
    pre.remove()
    calls.clear()
    opt.step()
    assert calls == [("post", True, 1)]


def test_step_pre_hook_may_replace_arguments_and_errors():
    p = nn.Parameter(tg.ones(1))
    opt = optim.SGD([p], lr=1.0)
    seen = []
    opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: seen.append(1) or 7.0}))
    p.grad = tg.ones(1)
    assert opt.step() == 7.0 and seen == [1]
    bad = optim.SGD([p], lr=1.0)
    bad.register_step_pre_hook(lambda o, a, k: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        bad.step()


def test_step_hooks_on_custom_optimizer_run_once():
    class Halve(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = nn.Parameter(tg.ones(1))
    opt = Halve([p], lr=0.5)
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(1))
    p.grad = tg.ones(1)
    opt.step()
    assert calls == [1]
    np.testing.assert_allclose(p.detach().numpy(), [0.5])


# ------------------------------------------------------------------ layers and functions

F, TF_ = nn.functional, torch.nn.functional


def _both(shape, seed=0, positive=False):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    x = np.abs(x) + 0.1 if positive else x
    return (tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True))


def _check(ours, theirs, inputs, atol=1e-5):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-5)
    grad = np.random.default_rng(9).standard_normal(tuple(theirs.shape)).astype(np.float32)
    ours.backward(tg.tensor(grad))
    theirs.backward(torch.tensor(grad))
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, rtol=1e-4)


@pytest.mark.parametrize("p", [2.0, 3.0, 1.0])
def test_lp_pool_matches_torch(p):
    a, b = _both((2, 3, 7, 6), positive=True)
    _check(F.lp_pool2d(a, p, (2, 3), stride=2), TF_.lp_pool2d(b, p, (2, 3), stride=2), [(a, b)])
    a, b = _both((2, 3, 9), positive=True)
    _check(nn.LPPool1d(p, 3)(a), torch.nn.LPPool1d(p, 3)(b), [(a, b)])
    assert repr(nn.LPPool2d(p, 2)) == repr(torch.nn.LPPool2d(p, 2))


@pytest.mark.parametrize("dims,kernel,stride", [(1, 2, None), (2, 2, None), (2, 3, 2)])
def test_max_unpool_matches_torch(dims, kernel, stride):
    shape = (2, 3, 8) if dims == 1 else (2, 3, 7, 8)
    a, b = _both(shape)
    pool = F.max_pool1d if dims == 1 else F.max_pool2d
    tpool = TF_.max_pool1d if dims == 1 else TF_.max_pool2d
    out, idx = pool(a, kernel, stride, return_indices=True)
    tout, tidx = tpool(b, kernel, stride, return_indices=True)
    unpool = (nn.MaxUnpool1d if dims == 1 else nn.MaxUnpool2d)(kernel, stride)
    tunpool = (torch.nn.MaxUnpool1d if dims == 1 else torch.nn.MaxUnpool2d)(kernel, stride)
    assert repr(unpool) == repr(tunpool)
    _check(unpool(out, idx, output_size=shape), tunpool(tout, tidx, output_size=shape), [(a, b)])
    if stride is None:       # the default output size: (in - 1) * stride - 2 * pad + kernel
        default = (F.max_unpool1d if dims == 1 else F.max_unpool2d)(out, idx, kernel)
        tdefault = (TF_.max_unpool1d if dims == 1 else TF_.max_unpool2d)(tout, tidx, kernel)
        np.testing.assert_array_equal(default.detach().numpy(), tdefault.detach().numpy())


@pytest.mark.parametrize("name,args", [("CircularPad1d", ((1, 2),)), ("CircularPad2d", (1,)),
                                       ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 0.5)),
                                       ("ZeroPad1d", (2,)), ("ZeroPad3d", (1,))])
def test_padding_layers_match_torch(name, args):
    shape = {"1d": (2, 3, 5), "2d": (2, 3, 4, 5), "3d": (1, 2, 3, 4, 5)}[name[-2:]]
    a, b = _both(shape)
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    _check(ours(a), theirs(b), [(a, b)])


def test_alpha_dropout_keeps_selu_statistics():
    tg.manual_seed(0)
    x = tg.randn(400_000)
    for drop, p in [(F.alpha_dropout, 0.2), (F.alpha_dropout, 0.5)]:
        out = drop(x, p, training=True).numpy()
        assert abs(out.mean()) < 0.01 and abs(out.var() - 1.0) < 0.02
        dropped_value = -1.7580993408473766 * ((1 - p) * (1 + p * 1.7580993408473766 ** 2)) \
            ** -0.5 + 1.7580993408473766 * p * ((1 - p) * (1 + p * 1.7580993408473766 ** 2)) \
            ** -0.5
        share = np.isclose(out, dropped_value, atol=1e-5).mean()
        assert abs(share - p) < 0.01
    feats = tg.randn(2000, 50, 4)
    out = F.feature_alpha_dropout(feats, 0.3, training=True).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.var() - 1.0) < 0.03
    per_channel = np.ptp(out, axis=2)
    dropped = per_channel < 1e-6                             # a dropped channel is constant
    assert abs(dropped.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.5).numpy(), x.numpy())  # eval default
    layer = nn.AlphaDropout(0.5)
    layer.eval()
    assert layer(x) is x
    assert repr(nn.FeatureAlphaDropout(0.2)) == repr(torch.nn.FeatureAlphaDropout(0.2))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.alpha_dropout(x, 1.5, training=True)


def test_dropout3d_drops_whole_maps():
    tg.manual_seed(1)
    x = tg.ones(200, 30, 2, 2, 2)
    out = nn.Dropout3d(0.4)(x).numpy().reshape(200, 30, -1)
    assert (np.ptp(out, axis=2) == 0).all()
    assert abs((out[:, :, 0] == 0).mean() - 0.4) < 0.02
    np.testing.assert_allclose(out.max(), 1 / 0.6, rtol=1e-6)
    unbatched = F.dropout3d(tg.ones(300, 2, 2, 2), 0.5).numpy().reshape(300, -1)
    assert (np.ptp(unbatched, axis=1) == 0).all()
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(tg.ones(2, 3, 4), 0.5)


@pytest.mark.parametrize("name", ["LazyConv1d", "LazyConv2d"])
def test_lazy_conv_becomes_conv(name):
    dims = 1 if name == "LazyConv1d" else 2
    layer = getattr(nn, name)(6, 3, padding=1, bias=True)
    assert repr(layer) == repr(getattr(torch.nn, name)(6, 3, padding=1))
    assert layer.has_uninitialized_params()
    x = tg.randn(2, 4, *([5] * dims))
    y = layer(x)
    plain = nn.Conv1d if dims == 1 else nn.Conv2d
    assert type(layer) is plain and layer.in_channels == 4
    assert tuple(layer.weight.shape) == (6, 4) + (3,) * dims and tuple(y.shape)[:2] == (2, 6)
    bound = 1 / np.sqrt(4 * 3 ** dims)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    fresh = getattr(nn, name)(6, 3, padding=1)
    fresh.load_state_dict(layer.state_dict())
    assert fresh.in_channels == 4
    np.testing.assert_array_equal(fresh(x).detach().numpy(), y.detach().numpy())
    unbatched = getattr(nn, name)(2, 1)
    assert tuple(unbatched(tg.randn(3, *([4] * dims))).shape) == (2,) + (4,) * dims


def test_init_sparse_and_dirac():
    tg.manual_seed(0)
    w = nn.init.sparse_(tg.empty(20, 7), 0.25, std=0.5)
    np.testing.assert_array_equal((w.numpy() == 0).sum(0), [5] * 7)
    assert 0.3 < w.numpy()[w.numpy() != 0].std() < 0.7
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        nn.init.sparse_(tg.empty(2, 2, 2), 0.1)
    for shape, groups in [((5, 3, 3, 3), 1), ((6, 3, 3), 2), ((4, 2, 1, 3, 3), 2)]:
        ours, theirs = tg.empty(*shape), torch.empty(*shape)
        nn.init.dirac_(ours, groups)
        torch.nn.init.dirac_(theirs, groups)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        nn.init.dirac_(tg.empty(2, 2))


def test_pdist_matches_torch():
    for p in (2.0, 1.0, 3.0):
        a, b = _both((6, 4))
        _check(F.pdist(a, p), TF_.pdist(b, p), [(a, b)])
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        F.pdist(tg.ones(2, 2, 2))


@pytest.mark.parametrize("swap,reduction", [(False, "mean"), (True, "sum"), (True, "none")])
def test_triplet_margin_with_distance_loss_matches_torch(swap, reduction):
    (a, ta), (p, tp), (n, tn) = _both((5, 3), 0), _both((5, 3), 1), _both((5, 3), 2)
    ours = F.triplet_margin_with_distance_loss(a, p, n, swap=swap, reduction=reduction,
                                               margin=0.7)
    theirs = TF_.triplet_margin_with_distance_loss(ta, tp, tn, swap=swap, reduction=reduction,
                                                   margin=0.7)
    _check(ours, theirs, [(a, ta), (p, tp), (n, tn)])
    l1 = nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: (x - y).abs().sum(-1))
    tl1 = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: (x - y).abs().sum(-1))
    np.testing.assert_allclose(l1(a, p, n).item(), tl1(ta, tp, tn).item(), rtol=1e-5)
    assert repr(nn.TripletMarginWithDistanceLoss()) == repr(
        torch.nn.TripletMarginWithDistanceLoss())
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)


def test_deprecated_upsample_and_inplace_activations():
    a, b = _both((1, 2, 3, 4))
    for name, kwargs in [("upsample", {"scale_factor": 2, "mode": "nearest"}),
                         ("upsample_nearest", {"scale_factor": 2}),
                         ("upsample_bilinear", {"size": (5, 7)})]:
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            ours = getattr(F, name)(a, **kwargs)
        with pytest.warns(UserWarning):
            theirs = getattr(TF_, name)(b, **kwargs)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-5)
    assert repr(nn.UpsamplingBilinear2d(scale_factor=2)) == repr(
        torch.nn.UpsamplingBilinear2d(scale_factor=2))
    for name, args in [("hardtanh_", (-0.5, 0.5)), ("elu_", (0.7,)), ("leaky_relu_", (0.2,)),
                       ("selu_", ())]:
        x = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
        ours, theirs = tg.tensor(x), torch.tensor(x)
        assert getattr(F, name)(ours, *args) is ours
        getattr(TF_, name)(theirs, *args)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_stack_dataset():
    from tinygrad_edu.utils.data import DataLoader, StackDataset
    images, labels = tg.arange(12).reshape(6, 2), list(range(10, 16))
    stacked = StackDataset(images, labels)
    assert len(stacked) == 6 and stacked[2][1] == 12
    np.testing.assert_array_equal(stacked[2][0].numpy(), [4, 5])
    named = StackDataset(x=images, y=labels)
    assert set(named[0]) == {"x", "y"} and named[5]["y"] == 15
    batch = next(iter(DataLoader(named, batch_size=4)))
    np.testing.assert_array_equal(batch["y"].numpy(), [10, 11, 12, 13])
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(images, [1, 2])
    with pytest.raises(ValueError, match="but both types are given"):
        StackDataset(images, y=labels)
