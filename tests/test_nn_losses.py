"""Loss functions and modules: against PyTorch (forward and input gradient, every reduction),
by gradcheck in float64, stability for large logits, and PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
from tinygrad_edu.autograd import gradcheck

RNG = np.random.default_rng(1)
REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def compare_loss(torch, name: str, input: np.ndarray, target: np.ndarray, atol: float = 1e-10,
                 module_args: dict | None = None, tensor_args: dict | None = None) -> None:
    """nn.<name>(**module_args, **tensor_args) on float64 copies: the loss and d loss/d input
    (for 'none', of a random weighting of the elements) equal PyTorch's."""
    module_args = module_args or {}
    tensor_args = tensor_args or {}
    ours_in = tg.tensor(input, requires_grad=True)
    theirs_in = torch.tensor(input, requires_grad=True)
    ours_loss = getattr(nn, name)(**module_args, **{k: tg.tensor(v)
                                                    for k, v in tensor_args.items()})
    theirs_loss = getattr(torch.nn, name)(**module_args, **{k: torch.tensor(v)
                                                            for k, v in tensor_args.items()})
    assert repr(ours_loss) == repr(theirs_loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ours_loss(ours_in, tg.tensor(target))
        theirs = theirs_loss(theirs_in, torch.tensor(target))
    assert tuple(ours.shape) == tuple(theirs.shape), (name, ours.shape, theirs.shape)
    error = np.abs(ours.detach().numpy() - theirs.detach().numpy()).max()
    assert error <= atol, f"{name} {module_args}: loss differs by {error:.3g}"
    seed = randn(*theirs.shape)
    (ours * tg.tensor(seed)).sum().backward()
    (theirs * torch.tensor(seed)).sum().backward()
    error = np.abs(ours_in.grad.numpy() - theirs_in.grad.numpy()).max()
    assert error <= atol, f"{name} {module_args}: input gradient differs by {error:.3g}"


def check_gradients(function, *arrays: np.ndarray) -> None:
    inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: function(*xs), inputs, atol=1e-6)


# ---------------------------------------------------------------------------- regression


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, options", [("MSELoss", {}), ("L1Loss", {}),
                                           ("SmoothL1Loss", {}), ("SmoothL1Loss", {"beta": 0.5}),
                                           ("SmoothL1Loss", {"beta": 0.0}), ("HuberLoss", {}),
                                           ("HuberLoss", {"delta": 0.3})])
def test_regression_losses_match_pytorch(torch, name, options, reduction):
    x, y = randn(4, 3), randn(4, 3)
    x[0, 0] = y[0, 0]  # a zero difference: the kink of |d|
    compare_loss(torch, name, x, y, module_args=dict(options, reduction=reduction))


def test_regression_loss_weights_and_broadcast_warning(torch):
    x, y, w = randn(4, 3), randn(4, 3), np.abs(randn(4, 3))
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        for reduction in REDUCTIONS:
            ours = getattr(F, name)(tg.tensor(x), tg.tensor(y), reduction=reduction,
                                    weight=tg.tensor(w))
            theirs = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y),
                                                        reduction=reduction,
                                                        weight=torch.tensor(w))
            assert np.allclose(ours.numpy(), theirs.numpy(), atol=1e-12), (name, reduction)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(tg.zeros(2, 1), tg.zeros(2, 3))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(tg.zeros(2), tg.zeros(2), reduction="foo")
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        legacy = nn.MSELoss(size_average=False)
    assert legacy.reduction == "sum"


# ---------------------------------------------------------------------------- cross entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"ignore_index": 2}, {"label_smoothing": 0.2},
                                     {"label_smoothing": 0.1, "ignore_index": 0}])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_class_indices(torch, reduction, options, weighted):
    logits = randn(6, 4) * 3
    target = np.array([0, 2, 3, 2, 1, 0])
    tensors = {"weight": np.array([0.2, 1.0, 2.5, 0.7])} if weighted else {}
    compare_loss(torch, "CrossEntropyLoss", logits, target,
                 module_args=dict(options, reduction=reduction), tensor_args=tensors)
    # (N, C, d1, d2) input with (N, d1, d2) targets
    compare_loss(torch, "CrossEntropyLoss", randn(2, 4, 3, 2), RNG.integers(0, 4, (2, 3, 2)),
                 module_args=dict(options, reduction=reduction), tensor_args=tensors)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.3}])
def test_cross_entropy_with_probabilities(torch, reduction, options):
    probabilities = np.abs(randn(5, 3))
    probabilities /= probabilities.sum(1, keepdims=True)
    for tensors in ({}, {"weight": np.array([0.5, 1.0, 2.0])}):
        compare_loss(torch, "CrossEntropyLoss", randn(5, 3), probabilities,
                     module_args=dict(options, reduction=reduction), tensor_args=tensors)


def test_cross_entropy_unbatched_and_float32(torch):
    compare_loss(torch, "CrossEntropyLoss", randn(5), np.array(3))
    logits = (randn(8, 10) * 4).astype(np.float32)
    target = RNG.integers(0, 10, 8)
    ours = F.cross_entropy(tg.tensor(logits), tg.tensor(target))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target))
    assert ours.dtype is tg.float32 and abs(ours.item() - theirs.item()) < 1e-5


def test_cross_entropy_is_stable_for_large_logits(torch):
    logits = np.array([[1000.0, -1000.0, 0.0], [-5000.0, 5000.0, 4999.0]], dtype=np.float32)
    target = np.array([1, 2])
    x = tg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor(target))
    loss.backward()
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target))
    assert np.isfinite(loss.item()) and abs(loss.item() - expected.item()) < 1e-3
    assert np.isfinite(x.grad.numpy()).all()
    x = tg.tensor([[100.0, -100.0]], requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(x, tg.tensor([[0.0, 1.0]]))
    bce.backward()
    assert abs(bce.item() - 100.0) < 1e-4 and np.isfinite(x.grad.numpy()).all()


def test_nll_loss_matches_pytorch(torch):
    log_probabilities = np.log(np.abs(randn(6, 4)) + 0.1)
    target = np.array([0, 3, 1, 1, 2, -100])
    for reduction in REDUCTIONS:
        compare_loss(torch, "NLLLoss", log_probabilities, target,
                     module_args={"reduction": reduction},
                     tensor_args={"weight": np.array([1.0, 0.5, 2.0, 0.1])})
        compare_loss(torch, "NLLLoss", log_probabilities, target,
                     module_args={"reduction": reduction})


def test_classification_errors():
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        F.nll_loss(tg.zeros(2, 3), tg.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(2\) to match target "
                                         r"batch_size \(3\)"):
        F.nll_loss(tg.zeros(2, 3), tg.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        F.cross_entropy(tg.zeros(2, 3), tg.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="Expected target size"):
        F.nll_loss(tg.zeros(2, 3, 4), tg.zeros(2, 3).long())
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(tg.zeros(2, 3), tg.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="Target size .* must be the same as input size"):
        F.binary_cross_entropy_with_logits(tg.zeros(2), tg.zeros(3))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0]))
    all_ignored = F.cross_entropy(tg.zeros(2, 3), tg.tensor([-100, -100]))
    assert np.isnan(all_ignored.item())  # 0 / 0, as in PyTorch


def test_cross_entropy_gradcheck():
    target = tg.tensor([1, 0, 2])
    weight = tg.tensor([0.3, 1.0, 2.0], dtype=tg.float64)
    check_gradients(lambda x: F.cross_entropy(x, target, weight=weight, label_smoothing=0.2,
                                              ignore_index=0), randn(3, 3))
    probabilities = np.full((2, 3), 1 / 3)
    check_gradients(lambda x: F.cross_entropy(x, tg.tensor(probabilities)), randn(2, 3))


# ---------------------------------------------------------------------------- binary


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_pytorch(torch, reduction):
    probabilities = 1 / (1 + np.exp(-randn(4, 3)))
    target = RNG.integers(0, 2, (4, 3)).astype(np.float64)
    compare_loss(torch, "BCELoss", probabilities, target, module_args={"reduction": reduction})
    compare_loss(torch, "BCELoss", probabilities, target, module_args={"reduction": reduction},
                 tensor_args={"weight": np.abs(randn(4, 3))})


def test_bce_clamps_log_at_minus_100(torch):
    x = np.array([0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(tg.tensor(x), tg.tensor(y), reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(y),
                                                      reduction="none")
    assert np.allclose(ours.numpy(), theirs.numpy()) and ours.numpy()[0] == 100.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("x, y", [([0.0, 1.0], [1.0, 0.0]), ([0.0, 1.0], [0.0, 1.0]),
                                  ([1e-20, 0.5], [1.0, 0.3]),
                                  ([1e-7, 1 - 1e-7, 1e-13], [0.5, 0.5, 0.0])])
def test_bce_gradient_at_and_near_0_and_1_matches_pytorch(torch, dtype, x, y):
    """PyTorch's d/dx is (x - y) / max(x (1 - x), 1e-12): -1e12 at x = 0, y = 1 (not 0),
    about -1e12 at x = 1e-20 (not -1e20). d/dy matches except where a log is clamped."""
    ours_x = tg.tensor(x, dtype=getattr(tg, dtype), requires_grad=True)
    ours_y = tg.tensor(y, dtype=getattr(tg, dtype), requires_grad=True)
    theirs_x = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    theirs_y = torch.tensor(y, dtype=getattr(torch, dtype), requires_grad=True)
    ours = F.binary_cross_entropy(ours_x, ours_y, reduction="sum")
    theirs = torch.nn.functional.binary_cross_entropy(theirs_x, theirs_y, reduction="sum")
    ours.backward()
    theirs.backward()
    assert ours.dtype == ours_x.grad.dtype == getattr(tg, dtype)
    assert ours.item() == theirs.item(), f"loss {ours.item()} != {theirs.item()}"
    assert np.array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy()), \
        f"d/dx {ours_x.grad.tolist()} != PyTorch's {theirs_x.grad.tolist()}"
    finite = np.isfinite(theirs_y.grad.numpy())  # PyTorch: +-inf where a log is clamped
    assert np.allclose(ours_y.grad.numpy()[finite], theirs_y.grad.numpy()[finite],
                       rtol=1e-6, atol=0), f"d/dy {ours_y.grad.tolist()}"
    assert np.array_equal(np.abs(ours_y.grad.numpy()[~finite]), [100.0] * (~finite).sum())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_pytorch(torch, reduction):
    logits = randn(4, 3) * 5
    logits[0, 0] = 0.0  # the kink of |x| and max(-x, 0)
    target = RNG.random((4, 3))
    compare_loss(torch, "BCEWithLogitsLoss", logits, target,
                 module_args={"reduction": reduction})
    compare_loss(torch, "BCEWithLogitsLoss", logits, target,
                 module_args={"reduction": reduction},
                 tensor_args={"pos_weight": np.array([0.5, 2.0, 3.0]),
                              "weight": np.abs(randn(4, 3))})


def test_binary_losses_gradcheck():
    target = tg.tensor(RNG.random((2, 3)))
    check_gradients(lambda x: F.binary_cross_entropy_with_logits(
        x, target, pos_weight=tg.tensor([1.0, 2.0, 0.5], dtype=tg.float64)), randn(2, 3))
    check_gradients(lambda x: F.binary_cross_entropy(x, target),
                    RNG.uniform(0.1, 0.9, (2, 3)))


# ---------------------------------------------------------------------------- KL divergence


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_pytorch(torch, reduction, log_target):
    log_q = np.log(np.abs(randn(4, 3)) + 0.05)
    p = np.abs(randn(4, 3))
    p[0, 0] = 0.0  # 0 * log 0 = 0
    target = np.log(p + 0.01) if log_target else p
    compare_loss(torch, "KLDivLoss", log_q, target,
                 module_args={"reduction": reduction, "log_target": log_target})


def test_kl_div_mean_warns_and_gradcheck():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(tg.zeros(2, 2), tg.ones(2, 2))
    target = tg.tensor(np.abs(randn(2, 3)))
    check_gradients(lambda x: F.kl_div(x, target, reduction="batchmean"), randn(2, 3))


def test_losses_move_with_the_module():
    loss = nn.CrossEntropyLoss(weight=tg.ones(3))
    assert [name for name, _ in loss.named_buffers()] == ["weight"]
    loss.double()
    assert loss.weight.dtype is tg.float64
    assert repr(nn.BCEWithLogitsLoss(pos_weight=tg.ones(2))) == "BCEWithLogitsLoss()"


def test_cross_entropy_with_probabilities_refuses_ignore_index(torch):
    logits, probabilities = randn(3, 4), np.full((3, 4), 0.25)
    for lib in (tg, torch):
        with pytest.raises(RuntimeError,
                           match="^ignore_index is not supported for floating point target$"):
            lib.nn.functional.cross_entropy(lib.tensor(logits), lib.tensor(probabilities),
                                            ignore_index=1)
        with pytest.raises(RuntimeError, match="ignore_index is not supported"):
            lib.nn.CrossEntropyLoss(ignore_index=0)(lib.tensor(logits), lib.tensor(probabilities))
    for ignore_index in (-100, -1):  # a negative one (the default) is allowed
        ours = F.cross_entropy(tg.tensor(logits), tg.tensor(probabilities),
                               ignore_index=ignore_index)
        expected = torch.nn.functional.cross_entropy(torch.tensor(logits),
                                                     torch.tensor(probabilities),
                                                     ignore_index=ignore_index)
        assert abs(ours.item() - expected.item()) < 1e-12, f"ignore_index={ignore_index}"


# ---------------------------------------------------------------------------- fused cross entropy
# functions.CrossEntropy: 2-d logits, int64 class indices, no class weights (one node, one kernel
# each way); everything else takes the composite, tested above.


FUSED_OPTIONS = [{}, {"ignore_index": 2}, {"label_smoothing": 0.2},
                 {"label_smoothing": 0.1, "ignore_index": 0}]


def _fused(logits, target, device: str = "cpu", **options) -> tuple:
    """(loss, grad of logits, the node) of the fused cross entropy; the grad is that of
    sum(loss * seed) for a fixed seed, so 'none' weights its rows differently."""
    x = tg.tensor(logits, device=device, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor(target, device=device), **options)
    assert isinstance(loss.grad_fn, tg.functions.CrossEntropy), loss.grad_fn
    seed = np.linspace(0.5, 1.5, int(np.prod(loss.shape))).reshape(loss.shape)
    (loss * tg.tensor(seed, dtype=loss.dtype, device=device)).sum().backward()
    return loss.detach().cpu().numpy(), x.grad.cpu().numpy(), loss.grad_fn


def _torch_cross_entropy(torch, logits, target, **options) -> tuple:
    x = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(x, torch.tensor(target), **options)
    seed = np.linspace(0.5, 1.5, int(np.prod(loss.shape))).reshape(tuple(loss.shape))
    (loss * torch.tensor(seed, dtype=loss.dtype)).sum().backward()
    return loss.detach().numpy(), x.grad.numpy(), loss.grad_fn


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", FUSED_OPTIONS)
def test_fused_cross_entropy_matches_pytorch(torch, dtype, reduction, options):
    logits = (randn(7, 5) * 3).astype(dtype)
    target = np.array([0, 2, 4, 2, 1, 0, 3])
    ours = _fused(logits, target, reduction=reduction, **options)
    theirs = _torch_cross_entropy(torch, logits, target, reduction=reduction, **options)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert ours[0].dtype == dtype and ours[0].shape == theirs[0].shape
    for what, a, b in (("loss", ours[0], theirs[0]), ("grad", ours[1], theirs[1])):
        error = np.abs(a - b).max()
        assert error <= tolerance * max(1.0, np.abs(b).max()), f"{what} differs by {error:.3g}"
    assert ours[2].name() == theirs[2].name()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_cross_entropy_with_every_target_ignored(torch, reduction):
    logits, target = randn(3, 4), np.array([-100, -100, -100])
    ours = _fused(logits, target, reduction=reduction, label_smoothing=0.1)
    theirs = _torch_cross_entropy(torch, logits, target, reduction=reduction,
                                  label_smoothing=0.1)
    np.testing.assert_array_equal(ours[0], theirs[0])  # mean: nan (0 / 0), as PyTorch
    np.testing.assert_array_equal(ours[1], theirs[1])  # no gradient at all
    assert np.isnan(ours[0]).all() == (reduction == "mean")


def test_fused_cross_entropy_large_logits_and_strided_views(torch):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0],
                       [1000.0, 1000.0, -1000.0]], dtype=np.float32)
    target = np.array([1, 2, 0])
    for reduction in REDUCTIONS:
        ours = _fused(logits, target, reduction=reduction, label_smoothing=0.1)
        theirs = _torch_cross_entropy(torch, logits, target, reduction=reduction,
                                      label_smoothing=0.1)
        assert np.isfinite(ours[0]).all() and np.isfinite(ours[1]).all()
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
        np.testing.assert_allclose(ours[1], theirs[1], atol=1e-6)
    # a transposed, stepped, offset view of the logits and a stepped view of the targets
    base = tg.tensor(randn(6, 9), requires_grad=True)
    labels = tg.tensor([3, 0, 1, 9, 2, 9, 0, 9])
    x, y = base.t()[1::2], labels[::2]  # (4, 6), strides (2, 9); (4,), stride 2
    loss = F.cross_entropy(x, y, ignore_index=9)
    loss.backward()
    theirs_base = torch.tensor(base.detach().numpy(), requires_grad=True)
    expected = torch.nn.functional.cross_entropy(theirs_base.t()[1::2],
                                                 torch.tensor(labels.numpy())[::2],
                                                 ignore_index=9)
    expected.backward()
    assert abs(loss.item() - expected.item()) < 1e-12
    np.testing.assert_allclose(base.grad.numpy(), theirs_base.grad.numpy(), atol=1e-12)


def test_fused_cross_entropy_gradcheck():
    target = tg.tensor([1, 0, 2, 1])
    for reduction in REDUCTIONS:
        for options in FUSED_OPTIONS:
            check_gradients(lambda x, r=reduction, o=options: F.cross_entropy(
                x, target, reduction=r, **o), randn(4, 3))


def test_fused_cross_entropy_refuses_a_target_out_of_range(torch):
    for bad in (5, -1):
        for lib in (tg, torch):
            with pytest.raises(IndexError, match=f"Target {bad} is out of bounds."):
                lib.nn.functional.cross_entropy(lib.zeros(2, 3), lib.tensor([0, bad]))


def test_fused_cross_entropy_only_where_it_applies():
    x = tg.tensor(randn(3, 4), requires_grad=True)
    target = tg.tensor([0, 1, 2])
    assert isinstance(F.cross_entropy(x, target).grad_fn, tg.functions.CrossEntropy)
    weighted = F.cross_entropy(x, target, weight=tg.ones(4, dtype=tg.float64))
    unbatched = F.cross_entropy(x[0], target[0])
    spatial = F.cross_entropy(x[None].transpose(1, 2), target[None])
    for loss in (weighted, unbatched, spatial):
        assert not isinstance(loss.grad_fn, tg.functions.CrossEntropy), loss.grad_fn


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_cross_entropy_on_every_device_equals_the_cpu(device, reduction):
    logits = (randn(37, 6) * 4).astype(np.float32)
    target = RNG.integers(0, 6, 37)
    target[[3, 20]] = 4
    for options in ({}, {"ignore_index": 4, "label_smoothing": 0.3}):
        ours = _fused(logits, target, device, reduction=reduction, **options)
        cpu = _fused(logits, target, "cpu", reduction=reduction, **options)
        np.testing.assert_allclose(ours[0], cpu[0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(ours[1], cpu[1], rtol=1e-6, atol=1e-7)
    with pytest.raises(IndexError, match="Target 6 is out of bounds."):
        F.cross_entropy(tg.zeros(2, 6, device=device), tg.tensor([6, 1], device=device))
    every_ignored = F.cross_entropy(tg.zeros(2, 6, device=device),
                                    tg.tensor([-100, -100], device=device))
    assert np.isnan(every_ignored.item())


def test_weighted_nll_with_every_target_ignored(torch):
    """Class weights, every target ignore_index: the mean is nan (0 / 0) and the gradient is
    zero, as PyTorch (a plain division sent 0 / 0 = nan back)."""
    results = []
    for module in (tg, torch):
        x = module.ones(2, 3, requires_grad=True)
        loss = module.nn.functional.cross_entropy(x, module.tensor([-100, -100]),
                                                  weight=module.tensor([1.0, 2.0, 3.0]))
        loss.backward()
        results.append((np.isnan(loss.item()), x.grad.tolist()))
    assert results[0] == results[1] == (True, [[0.0] * 3] * 2)


def test_losses_refuse_mismatched_dtypes_and_bad_targets(torch):
    cases = {
        "bce, int64 target": lambda T: T.nn.functional.binary_cross_entropy(
            T.full((2,), 0.5), T.tensor([1, 0])),
        "bce, float64 target": lambda T: T.nn.functional.binary_cross_entropy(
            T.full((2,), 0.5), T.tensor([1.0, 0.0], dtype=T.float64)),
        "bce, target above 1": lambda T: T.nn.functional.binary_cross_entropy(
            T.full((2,), 0.5), T.tensor([2.0, 0.0])),
        "bce with logits, int64 target": lambda T: T.nn.BCEWithLogitsLoss()(
            T.full((2,), 0.5), T.tensor([1, 0])),
        "cross entropy, float64 class weights": lambda T: T.nn.CrossEntropyLoss(
            weight=T.tensor([1.0, 2.0, 3.0], dtype=T.float64))(T.ones(2, 3), T.tensor([1, 1])),
        "nll, float64 class weights": lambda T: T.nn.functional.nll_loss(
            T.ones(2, 3), T.tensor([1, 1]), weight=T.tensor([1.0, 2.0, 3.0], dtype=T.float64)),
    }
    for name, call in cases.items():
        with pytest.raises(RuntimeError) as theirs:
            call(torch)
        with pytest.raises(RuntimeError) as ours:
            call(tg)
        expected = str(theirs.value).replace("torch.", "")
        assert str(ours.value) == expected, f"{name}: {ours.value} vs PyTorch's {expected}"
