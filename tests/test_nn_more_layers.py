"""InstanceNorm, RMSNorm, LocalResponseNorm; GLU, CELU, Softsign, Tanhshrink, Threshold,
Hardshrink, Softshrink, Softmax2d, RReLU; the margin, ranking and likelihood losses:
outputs and gradients (of inputs and parameters), repr, state_dict keys, running stats and
errors against PyTorch (skipped without it), in float64 tightly and float32 loosely, on odd
shapes (size-1 dims, batch 1) and non-contiguous inputs."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F

RNG = np.random.default_rng(11)
TIGHT = {"float64": 1e-10, "float32": 2e-5}


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def close(ours, theirs, atol: float, what: str) -> None:
    a = ours.detach().numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs PyTorch {b.dtype}"
    assert (np.isnan(a) == np.isnan(b)).all(), f"{what}: nan in different places"
    good = ~np.isnan(a)
    error = float(np.abs(a[good] - b[good]).max()) if good.any() else 0.0
    scale = max(1.0, float(np.abs(b[good]).max())) if good.any() else 1.0
    assert error <= atol * scale, f"{what}: max abs error {error:.3g} > {atol * scale:g}"


def leaf(lib, a: np.ndarray, dtype: str, transposed: bool, grad: bool = True):
    """(leaf, input): the input a transposed view of the leaf when `transposed`."""
    floating = a.dtype.kind == "f"
    kind = getattr(lib, dtype) if floating else None
    floating = floating and grad
    if transposed and a.ndim >= 2:
        base = lib.tensor(a.swapaxes(-1, -2).copy(), dtype=kind, requires_grad=floating)
        return base, base.transpose(-1, -2)
    base = lib.tensor(a, dtype=kind, requires_grad=floating)
    return base, base


def check(torch, ours_fn, theirs_fn, *arrays: np.ndarray, dtype: str = "float64",
          transposed: bool = False, ours=None, theirs=None, atol: float | None = None,
          fixed: tuple = ()):
    """ours_fn and theirs_fn on the same arrays (float ones require grad, in `dtype`); compare
    the outputs, then the gradients of a random projection of them (of the inputs and of
    the modules' parameters, ours given PyTorch's weights). The arrays numbered in `fixed`
    do not require grad (targets). Returns our output."""
    atol = TIGHT[dtype] if atol is None else atol
    if ours is not None:
        cast = "double" if dtype == "float64" else "float"
        getattr(theirs, cast)()
        getattr(ours, cast)()
        ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                              for k, v in theirs.state_dict().items()})
    ours_pairs = [leaf(tg, a, dtype, transposed, k not in fixed) for k, a in enumerate(arrays)]
    theirs_pairs = [leaf(torch, a, dtype, transposed, k not in fixed)
                    for k, a in enumerate(arrays)]
    a = ours_fn(*(x for _, x in ours_pairs))
    b = theirs_fn(*(x for _, x in theirs_pairs))
    close(a, b, atol, "output")
    if b.requires_grad:
        seed = randn(*b.shape)
        (a * tg.tensor(seed, dtype=a.dtype)).sum().backward()
        (b * torch.tensor(seed, dtype=b.dtype)).sum().backward()
        for k, ((x, _), (y, _)) in enumerate(zip(ours_pairs, theirs_pairs)):
            if y.grad is not None:
                close(x.grad, y.grad, atol, f"input {k} grad")
        if ours is not None:
            theirs_params = dict(theirs.named_parameters())
            assert [n for n, _ in ours.named_parameters()] == list(theirs_params)
            for name, parameter in ours.named_parameters():
                close(parameter.grad, theirs_params[name].grad, atol, f"{name} grad")
    return a


def torch_repr(module) -> str:
    return repr(module).replace("tinygrad_edu.", "torch.")


def same_error(theirs_call, ours_call) -> None:
    """ours_call raises what theirs_call raises: the same type and message."""
    with pytest.raises(Exception) as expected:
        theirs_call()
    kind = type(expected.value)
    message = str(expected.value).split("\n")[0].replace("torch.Size", "tinygrad_edu.Size")
    with pytest.raises(kind, match=f"^{re.escape(message)}"):
        ours_call()


DTYPES = ["float64", "float32"]


# ---------------------------------------------------------------------------- norms


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True)])
def test_instance_norm_modules(torch, dtype, affine, track):
    cases = [(nn.InstanceNorm1d, torch.nn.InstanceNorm1d, (2, 3, 5)),
             (nn.InstanceNorm1d, torch.nn.InstanceNorm1d, (3, 4)),  # unbatched (C, L)
             (nn.InstanceNorm2d, torch.nn.InstanceNorm2d, (1, 3, 2, 3))]
    for ours_cls, theirs_cls, shape in cases:
        channels = shape[-2] if len(shape) in (2, 3) and ours_cls is nn.InstanceNorm1d \
            else shape[-3]
        ours = ours_cls(channels, affine=affine, track_running_stats=track, momentum=0.3)
        theirs = theirs_cls(channels, affine=affine, track_running_stats=track, momentum=0.3)
        assert torch_repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        if affine:  # not the init values, so that the gradients of weight and bias show
            with torch.no_grad():
                theirs.weight.uniform_(0.5, 1.5)
                theirs.bias.uniform_(-1, 1)
        x = randn(*shape) * 3 + 1
        check(torch, ours, theirs, x, dtype=dtype, transposed=True, ours=ours, theirs=theirs)
        for name, value in theirs.state_dict().items():  # running stats moved alike
            close(ours.state_dict()[name], value, TIGHT[dtype], name)
        ours.eval()
        theirs.eval()
        check(torch, ours, theirs, randn(*shape), dtype=dtype)


def test_instance_norm_functional_and_errors(torch):
    x, mean, var = randn(2, 3, 4), randn(3), np.abs(randn(3)) + 0.5
    for use_input_stats in (True, False):
        ours_stats = [tg.tensor(mean), tg.tensor(var)]
        theirs_stats = [torch.tensor(mean), torch.tensor(var)]
        check(torch, lambda t, o=ours_stats, u=use_input_stats: F.instance_norm(
                  t, *o, use_input_stats=u, momentum=0.2),
              lambda t, o=theirs_stats, u=use_input_stats: torch.nn.functional.instance_norm(
                  t, *o, use_input_stats=u, momentum=0.2), x)
        for a, b in zip(ours_stats, theirs_stats):
            close(a, b, 1e-12, "running stat")
    tf = torch.nn.functional
    same_error(lambda: tf.instance_norm(torch.ones(2, 3, 1)),
               lambda: F.instance_norm(tg.ones(2, 3, 1)))
    same_error(lambda: tf.instance_norm(torch.ones(2, 3, 2), use_input_stats=False),
               lambda: F.instance_norm(tg.ones(2, 3, 2), use_input_stats=False))
    same_error(lambda: torch.nn.InstanceNorm2d(3)(torch.ones(3, 2)),
               lambda: nn.InstanceNorm2d(3)(tg.ones(3, 2)))
    same_error(lambda: torch.nn.InstanceNorm1d(3, affine=True)(torch.ones(2, 5, 4)),
               lambda: nn.InstanceNorm1d(3, affine=True)(tg.ones(2, 5, 4)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(tg.ones(2, 5, 4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_rms_norm(torch, dtype):
    for shape, normalized, eps, affine in [((2, 3, 4), (4,), None, True),
                                           ((1, 3, 1), (3, 1), 1e-3, True),
                                           ((5,), 5, None, False)]:
        ours = nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
        theirs = torch.nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
        assert torch_repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        if affine:
            with torch.no_grad():
                theirs.weight.uniform_(0.5, 1.5)
        x = randn(*shape) * 0.1  # small values: eps (finfo's when None) matters
        check(torch, ours, theirs, x, dtype=dtype, transposed=True, ours=ours, theirs=theirs)
    tf = torch.nn.functional
    same_error(lambda: tf.rms_norm(torch.ones(4, 3), (2, 3)),
               lambda: F.rms_norm(tg.ones(4, 3), (2, 3)))
    same_error(lambda: tf.rms_norm(torch.ones(4, 3), (3,), torch.ones(2)),
               lambda: F.rms_norm(tg.ones(4, 3), (3,), tg.ones(2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_local_response_norm(torch, dtype):
    for shape, size in [((2, 5, 3), 3), ((1, 4, 2, 3), 2), ((2, 1, 3, 1, 2), 4), ((1, 3, 1), 1)]:
        ours, theirs = nn.LocalResponseNorm(size, 0.3, 0.7, 1.5), \
            torch.nn.LocalResponseNorm(size, 0.3, 0.7, 1.5)
        assert torch_repr(ours) == repr(theirs)
        check(torch, ours, theirs, randn(*shape) * 2, dtype=dtype, transposed=True)
    same_error(lambda: torch.nn.functional.local_response_norm(torch.ones(4, 3), 2),
               lambda: F.local_response_norm(tg.ones(4, 3), 2))


# ---------------------------------------------------------------------------- activations


def activation_pairs(torch):
    """(ours, PyTorch's) modules; each applied to the same inputs below."""
    tn = torch.nn
    return [(nn.GLU(), tn.GLU()), (nn.GLU(1), tn.GLU(1)), (nn.CELU(), tn.CELU()),
            (nn.CELU(0.5), tn.CELU(0.5)), (nn.Softsign(), tn.Softsign()),
            (nn.Tanhshrink(), tn.Tanhshrink()), (nn.Threshold(0.1, 20), tn.Threshold(0.1, 20)),
            (nn.Hardshrink(), tn.Hardshrink()), (nn.Hardshrink(0.3), tn.Hardshrink(0.3)),
            (nn.Softshrink(), tn.Softshrink()), (nn.Softshrink(0.3), tn.Softshrink(0.3)),
            (nn.Softmax2d(), tn.Softmax2d()), (nn.RReLU(), tn.RReLU()),
            (nn.RReLU(0.1, 0.3, inplace=True), tn.RReLU(0.1, 0.3, inplace=True)),
            (nn.LogSigmoid(), tn.LogSigmoid()), (nn.CELU(2.0, True), tn.CELU(2.0, True)),
            (nn.Threshold(0.5, -1.0, True), tn.Threshold(0.5, -1.0, True))]


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_match_pytorch(torch, dtype):
    x = randn(2, 4, 3, 2) * 2
    x[0, 0, 0] = [0.5, -0.5]  # on the shrink kinks: gradient 0 there, as PyTorch
    x[0, 0, 1] = [0.1, 0.0]  # on threshold's and at 0
    for ours, theirs in activation_pairs(torch):
        assert torch_repr(ours) == repr(theirs), repr(theirs)
        ours.eval()
        theirs.eval()
        inplace = getattr(theirs, "inplace", False)
        ours_fn = (lambda t, m=ours: m(t * 1)) if inplace else ours
        theirs_fn = (lambda t, m=theirs: m(t * 1)) if inplace else theirs
        out = check(torch, ours_fn, theirs_fn, x, dtype=dtype, transposed=True)
        name = type(theirs_fn(torch.tensor(x, requires_grad=True)).grad_fn).__name__
        if not inplace:
            assert out.grad_fn.name() == name, f"{theirs}: {out.grad_fn.name()} vs {name}"


def test_activation_errors(torch):
    tf = torch.nn.functional
    same_error(lambda: tf.glu(torch.ones(3, 5)), lambda: F.glu(tg.ones(3, 5)))
    same_error(lambda: tf.glu(torch.tensor(1.0)), lambda: F.glu(tg.tensor(1.0)))
    same_error(lambda: tf.celu(torch.ones(3), 0.0), lambda: F.celu(tg.ones(3), 0.0))
    same_error(lambda: tf.softshrink(torch.ones(3), -1.0), lambda: F.softshrink(tg.ones(3), -1.0))
    same_error(lambda: tf.softshrink(torch.ones(3).double(), -0.5),
               lambda: F.softshrink(tg.ones(3).double(), -0.5))
    same_error(lambda: torch.nn.Softmax2d()(torch.ones(3, 4)),
               lambda: nn.Softmax2d()(tg.ones(3, 4)))
    same_error(lambda: tf.rrelu(torch.ones(3), 0.5, 0.1, training=True),
               lambda: F.rrelu(tg.ones(3), 0.5, 0.1, training=True))


def test_rrelu_training_draws_slopes_in_range(torch):
    tg.manual_seed(0)
    x = tg.tensor(-np.ones((200,)) * 2, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = y.detach().numpy() / -2
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), slopes)  # the gradient is the slope drawn
    positive = F.rrelu(tg.tensor([1.0, 2.0]), training=True)
    assert positive.tolist() == [1.0, 2.0]
    tg.manual_seed(0)
    again = F.rrelu(tg.tensor(-np.ones((200,)) * 2), 0.1, 0.3, training=True)
    assert np.array_equal(again.numpy(), y.detach().numpy())  # the seed fixes the slopes
    module = nn.RReLU(0.1, 0.3)
    module.train()
    assert module(tg.tensor(-np.ones(50))).numpy().std() > 0.01  # random in training
    module.eval()
    assert np.allclose(module(tg.tensor(-np.ones(5))).numpy(), -0.2)  # (lower+upper)/2


# ---------------------------------------------------------------------------- losses


REDUCTIONS = ["none", "mean", "sum"]


def sign_target(*shape: int) -> np.ndarray:
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0)


def loss_cases(torch):
    """(name, ours(reduction), theirs(reduction), arrays): modules built per reduction."""
    tn = torch.nn
    labels = np.array([2, 0, 3])
    multilabel = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [2, 2, -1, -1]])
    positive_target = RNG.poisson(2.0, (3, 4)).astype(float)
    return [
        ("margin_ranking", lambda r: nn.MarginRankingLoss(0.3, reduction=r),
         lambda r: tn.MarginRankingLoss(0.3, reduction=r), (randn(5), randn(5), sign_target(5))),
        ("hinge_embedding", lambda r: nn.HingeEmbeddingLoss(0.7, reduction=r),
         lambda r: tn.HingeEmbeddingLoss(0.7, reduction=r), (randn(3, 4), sign_target(3, 4))),
        ("cosine_embedding", lambda r: nn.CosineEmbeddingLoss(0.2, reduction=r),
         lambda r: tn.CosineEmbeddingLoss(0.2, reduction=r),
         (randn(4, 3), randn(4, 3), sign_target(4))),
        ("cosine_embedding_1d", lambda r: nn.CosineEmbeddingLoss(reduction=r),
         lambda r: tn.CosineEmbeddingLoss(reduction=r),
         (randn(3), randn(3), np.array(-1.0))),
        ("triplet", lambda r: nn.TripletMarginLoss(reduction=r),
         lambda r: tn.TripletMarginLoss(reduction=r), (randn(4, 3), randn(4, 3), randn(4, 3))),
        ("triplet_swap_p1", lambda r: nn.TripletMarginLoss(2.0, p=1, swap=True, reduction=r),
         lambda r: tn.TripletMarginLoss(2.0, p=1, swap=True, reduction=r),
         (randn(1, 5), randn(1, 5), randn(1, 5))),
        ("poisson_log", lambda r: nn.PoissonNLLLoss(reduction=r),
         lambda r: tn.PoissonNLLLoss(reduction=r), (randn(3, 4), positive_target)),
        ("poisson_full", lambda r: nn.PoissonNLLLoss(False, True, reduction=r),
         lambda r: tn.PoissonNLLLoss(False, True, reduction=r),
         (np.abs(randn(3, 4)) + 0.1, positive_target)),
        ("gaussian", lambda r: nn.GaussianNLLLoss(reduction=r),
         lambda r: tn.GaussianNLLLoss(reduction=r),
         (randn(3, 4), randn(3, 4), np.abs(randn(3, 4)) + 0.1)),
        ("gaussian_per_sample_clamped", lambda r: nn.GaussianNLLLoss(full=True, eps=0.5,
                                                                     reduction=r),
         lambda r: tn.GaussianNLLLoss(full=True, eps=0.5, reduction=r),
         (randn(3, 4), randn(3, 4), np.abs(randn(3))), ),
        ("gaussian_one_dim", lambda r: nn.GaussianNLLLoss(reduction=r),
         lambda r: tn.GaussianNLLLoss(reduction=r),
         (randn(2, 3, 2), randn(2, 3, 2), np.abs(randn(2, 1, 2)) + 0.1)),
        ("soft_margin", lambda r: nn.SoftMarginLoss(reduction=r),
         lambda r: tn.SoftMarginLoss(reduction=r), (randn(3, 4) * 3, sign_target(3, 4))),
        ("multilabel_soft_margin", lambda r: nn.MultiLabelSoftMarginLoss(reduction=r),
         lambda r: tn.MultiLabelSoftMarginLoss(reduction=r),
         (randn(3, 4), (RNG.random((3, 4)) < 0.5).astype(float))),
        ("multi_margin", lambda r: nn.MultiMarginLoss(reduction=r),
         lambda r: tn.MultiMarginLoss(reduction=r), (randn(3, 4), labels)),
        ("multi_margin_p2", lambda r: nn.MultiMarginLoss(2, 0.5, reduction=r),
         lambda r: tn.MultiMarginLoss(2, 0.5, reduction=r), (randn(3, 4), labels)),
        ("multi_margin_1d", lambda r: nn.MultiMarginLoss(reduction=r),
         lambda r: tn.MultiMarginLoss(reduction=r), (randn(4), np.array(1))),
        ("multilabel_margin", lambda r: nn.MultiLabelMarginLoss(reduction=r),
         lambda r: tn.MultiLabelMarginLoss(reduction=r), (randn(3, 4), multilabel)),
        ("multilabel_margin_1d", lambda r: nn.MultiLabelMarginLoss(reduction=r),
         lambda r: tn.MultiLabelMarginLoss(reduction=r),
         (randn(4), np.array([2, 0, -1, 3]))),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_losses_match_pytorch(torch, dtype):
    for name, ours_cls, theirs_cls, arrays in loss_cases(torch):
        for reduction in REDUCTIONS:
            ours, theirs = ours_cls(reduction), theirs_cls(reduction)
            assert torch_repr(ours) == repr(theirs), name
            # targets fixed; but the Gaussian's var and all three triplets get gradients
            fixed = () if name.startswith("triplet") else (1,) if name.startswith("gauss") \
                else (len(arrays) - 1,)
            try:
                check(torch, ours, theirs, *arrays, dtype=dtype, fixed=fixed)
            except AssertionError as error:
                raise AssertionError(f"{name}, reduction={reduction}: {error}") from None


@pytest.mark.parametrize("dtype", DTYPES)
def test_weighted_losses_and_odd_shapes(torch, dtype):
    weight = np.abs(randn(4)) + 0.5
    ours_weight, theirs_weight = tg.tensor(weight, dtype=getattr(tg, dtype)), \
        torch.tensor(weight, dtype=getattr(torch, dtype))
    for reduction in REDUCTIONS:
        check(torch, nn.MultiMarginLoss(weight=ours_weight, reduction=reduction),
              torch.nn.MultiMarginLoss(weight=theirs_weight, reduction=reduction),
              randn(2, 4), np.array([3, 1]), dtype=dtype)
        check(torch, nn.MultiLabelSoftMarginLoss(ours_weight, reduction=reduction),
              torch.nn.MultiLabelSoftMarginLoss(theirs_weight, reduction=reduction),
              randn(2, 4), (RNG.random((2, 4)) < 0.5).astype(float), dtype=dtype,
              transposed=True)
    tf = torch.nn.functional
    check(torch, lambda a, b: F.soft_margin_loss(a, b),
          lambda a, b: tf.soft_margin_loss(a, b), randn(4, 1), sign_target(4, 1),
          dtype=dtype, transposed=True, fixed=(1,))
    check(torch, lambda a, b: F.hinge_embedding_loss(a, b, reduction="none"),
          lambda a, b: tf.hinge_embedding_loss(a, b, reduction="none"),
          randn(3, 2), np.array([[1.0, 0.0], [-1.0, 2.0], [1.0, -1.0]]), dtype=dtype,
          transposed=True)  # targets neither 1 nor -1 get both terms, as PyTorch
    check(torch, lambda a, b, c: F.triplet_margin_loss(a, b, c, eps=0.0),
          lambda a, b, c: tf.triplet_margin_loss(a, b, c, eps=0.0), randn(3), randn(3),
          randn(3), dtype=dtype)
    check(torch, lambda a, b: F.gaussian_nll_loss(a, b, 0.5),
          lambda a, b: tf.gaussian_nll_loss(a, b, 0.5), randn(2, 2), randn(2, 2), dtype=dtype)
    assert F.soft_margin_loss(tg.tensor([-1000.0]), tg.tensor([1.0])).item() == 1000.0


def test_loss_errors(torch):
    tf, t = torch.nn.functional, torch.tensor
    x2, i1 = randn(2, 4), np.array([1, 5])
    cases = [
        (lambda m: m.multi_margin_loss, (x2, i1), {}),
        (lambda m: m.multi_margin_loss, (x2, np.array([1, 2, 3])), {}),
        (lambda m: m.multi_margin_loss, (x2, np.array([1.0, 2.0])), {}),
        (lambda m: m.multi_margin_loss, (x2, np.array([0, 1])), {"p": 3}),
        (lambda m: m.multilabel_margin_loss, (x2, np.array([[1, -1, 9, 0], [3, -1, 0, 0]])), {}),
        (lambda m: m.multilabel_margin_loss, (x2, np.array([1, -1, 0])), {}),
        (lambda m: m.cosine_embedding_loss, (x2, randn(4), np.array([1.0, 1.0])), {}),
        (lambda m: m.cosine_embedding_loss, (x2, x2, np.ones((1, 2))), {}),
        (lambda m: m.margin_ranking_loss, (x2, randn(4), np.array([1.0, 1.0])), {}),
        (lambda m: m.triplet_margin_loss, (x2, randn(4), x2), {}),
        (lambda m: m.triplet_margin_loss, (x2, x2, x2), {"margin": -1.0}),
        (lambda m: m.gaussian_nll_loss, (x2, x2, np.ones((2, 3))), {}),
        (lambda m: m.gaussian_nll_loss, (x2, x2, -np.ones(2)), {}),
        (lambda m: m.gaussian_nll_loss, (x2, x2, np.ones(2)), {"reduction": "bad"}),
        (lambda m: m.poisson_nll_loss, (x2, x2), {"reduction": "bad"}),
        (lambda m: m.soft_margin_loss, (x2, x2), {"reduction": "bad"}),
        (lambda m: m.multilabel_soft_margin_loss, (x2, x2), {"reduction": "bad"}),
    ]
    for pick, arrays, options in cases:
        same_error(lambda p=pick, a=arrays, o=options: p(tf)(*(t(v) for v in a), **o),
                   lambda p=pick, a=arrays, o=options: p(F)(*(tg.tensor(v) for v in a), **o))
    same_error(lambda: torch.nn.TripletMarginLoss(margin=0),
               lambda: nn.TripletMarginLoss(margin=0))
    same_error(lambda: torch.nn.MultiMarginLoss(p=3), lambda: nn.MultiMarginLoss(p=3))
    same_error(lambda: torch.nn.MultiMarginLoss(weight=torch.ones(2, 2)),
               lambda: nn.MultiMarginLoss(weight=tg.ones(2, 2)))
    assert list(nn.MultiMarginLoss(weight=tg.ones(3)).state_dict()) == ["weight"]
