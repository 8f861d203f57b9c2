"""nn layers and functional ops: forward and backward against PyTorch (same weights copied
in, skipped without PyTorch) and by gradcheck in float64; the conv/pool kernels of every
CPU backend against each other."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import cuda_imports

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
from kernels.cpu import CPUBackend
from kernels.reference import ReferenceBackend
from kernels.strided import Strided, contiguous_strides
from tinygrad_edu.autograd import gradcheck

RNG = np.random.default_rng(0)
# PyTorch warns that it copies the input for padding='same' with an even kernel: not ours
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def close(ours: tg.Tensor, theirs, atol: float = 1e-6, what: str = "") -> None:
    a = ours.detach().numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    error = float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) if a.size else 0.0
    assert error <= atol, f"{what}: max abs error {error:.3g} > {atol:g}"


def flat_outputs(value) -> list:
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in flat_outputs(item)]
    return [value]


def compare_module(torch, ours, theirs, *inputs: np.ndarray, atol: float = 1e-6) -> None:
    """Copy theirs' state into ours, run both in float64 on the same inputs, compare the
    outputs, then backward the same random output gradient and compare every gradient."""
    theirs = theirs.double()
    ours.double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    floats = [a.dtype.kind == "f" for a in inputs]
    ours_in = [tg.tensor(a, requires_grad=f) for a, f in zip(inputs, floats)]
    theirs_in = [torch.tensor(a, requires_grad=f) for a, f in zip(inputs, floats)]
    ours_out, theirs_out = flat_outputs(ours(*ours_in)), flat_outputs(theirs(*theirs_in))
    for k, (a, b) in enumerate(zip(ours_out, theirs_out)):
        close(a, b, atol, f"{type(ours).__name__} output {k}")
    total_ours, total_theirs = 0, 0
    for a, b in zip(ours_out, theirs_out):
        if b.requires_grad:
            seed = randn(*b.shape)
            total_ours = total_ours + (a * tg.tensor(seed)).sum()
            total_theirs = total_theirs + (b * torch.tensor(seed)).sum()
    total_ours.backward()
    total_theirs.backward()
    for k, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if b.grad is not None:
            close(a.grad, b.grad, atol, f"{type(ours).__name__} input {k} grad")
    theirs_params = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        expected = theirs_params[name].grad
        if expected is None:
            assert parameter.grad is None or not parameter.grad.numpy().any(), name
        else:
            close(parameter.grad, expected, atol, f"{type(ours).__name__}.{name} grad")


def check_gradients(function, *arrays: np.ndarray) -> None:
    """gradcheck in float64 of a random projection of function's output (one scalar, so one
    backward pass), with respect to every array argument."""
    inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
    probe = function(*inputs)
    weights = tg.tensor(randn(*probe.shape))
    assert gradcheck(lambda *xs: (function(*xs) * weights).sum(), inputs, atol=1e-6)


# ---------------------------------------------------------------------------- linear & shape


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_pytorch(torch, bias):
    compare_module(torch, nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias),
                   randn(5, 4))
    compare_module(torch, nn.Linear(4, 3), torch.nn.Linear(4, 3), randn(2, 5, 4))


def test_flatten_unflatten_identity(torch):
    x = randn(2, 3, 4, 5)
    compare_module(torch, nn.Flatten(), torch.nn.Flatten(), x)
    compare_module(torch, nn.Flatten(0, 2), torch.nn.Flatten(0, 2), x)
    compare_module(torch, nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1)), x)
    compare_module(torch, nn.Identity(54, unused=1), torch.nn.Identity(54, unused=1), x)


def test_linear_gradcheck():
    check_gradients(lambda x, w, b: F.linear(x, w, b), randn(3, 4), randn(2, 4), randn(2))


def test_linear_with_a_bias_that_only_broadcasts(torch):
    """F.linear(x, w, b) with b of shape (1,), 0-d or (N, out): PyTorch broadcasts it (the
    fused kernel would read past a 1-element bias)."""
    x, w = randn(2, 3), randn(4, 3)
    for b in (np.array([10.0]), np.array(2.5), randn(2, 4)):
        ours = F.linear(tg.tensor(x), tg.tensor(w), tg.tensor(b))
        theirs = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
        close(ours, theirs, 1e-12, f"bias of shape {b.shape}")
    check_gradients(lambda x, w, b: F.linear(x, w, b), x, w, np.array([10.0]))
    with pytest.raises(TypeError, match="must be Tensor, not numpy.ndarray"):
        F.linear(x.astype(np.float32), tg.tensor(w))


def test_fused_linear_relu_gradcheck_and_pytorch(torch):
    """nn.Sequential's fused Linear + ReLU: gradcheck (no pre-activation near 0, where relu
    has no derivative), and a Sequential with it against PyTorch's."""
    from tinygrad_edu.nn.functional.layers import linear_relu
    rng = np.random.default_rng(8)
    x, weight, bias = (rng.standard_normal(shape) for shape in ((6, 4), (5, 4), (5,)))
    pre = x @ weight.T + bias
    assert (pre < 0).any() and (pre > 0).any() and np.abs(pre).min() > 1e-3
    check_gradients(lambda x, w, b: linear_relu(x, w, b), x, weight, bias)
    check_gradients(lambda x, w: linear_relu(x, w), x, weight)
    compare_module(torch, nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)),
                   torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(),
                                       torch.nn.Linear(5, 3)), randn(7, 4))


# ---------------------------------------------------------------------------- convolution

CONV2D_CASES = [
    dict(in_channels=1, out_channels=2, kernel_size=3),
    dict(in_channels=3, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2)),
    dict(in_channels=2, out_channels=4, kernel_size=3, dilation=2, padding=1, bias=False),
    dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, stride=2),
    dict(in_channels=3, out_channels=3, kernel_size=3, groups=3, padding=1),
    dict(in_channels=2, out_channels=3, kernel_size=4, padding="same"),
    dict(in_channels=2, out_channels=3, kernel_size=(3, 4), padding="same", dilation=(2, 1)),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding="valid"),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding=2, padding_mode="reflect"),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding=1, padding_mode="replicate"),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding=(1, 2), padding_mode="circular"),
]


@pytest.mark.parametrize("options", CONV2D_CASES)
def test_conv2d_matches_pytorch(torch, options):
    x = randn(2, options["in_channels"], 7, 9)
    compare_module(torch, nn.Conv2d(**options), torch.nn.Conv2d(**options), x)


def test_conv2d_unbatched_and_float32(torch):
    ours, theirs = nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = randn(2, 5, 6).astype(np.float32)
    close(ours(tg.tensor(x)), theirs(torch.tensor(x)), 1e-5, "unbatched float32")
    # a non-contiguous input (a transposed view) is read correctly, and so is its gradient
    x = randn(3, 2, 6, 5)
    ours_x, theirs_x = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.double()(ours_x.transpose(2, 3)).sum().backward()
    theirs.double()(theirs_x.transpose(2, 3)).sum().backward()
    close(ours_x.grad, theirs_x.grad, 1e-10, "transposed input grad")


@pytest.mark.parametrize("options", [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=4, out_channels=2, kernel_size=2, stride=3, padding=2, groups=2),
    dict(in_channels=2, out_channels=2, kernel_size=4, padding="same", dilation=2),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding=1, padding_mode="circular"),
])
def test_conv1d_matches_pytorch(torch, options):
    compare_module(torch, nn.Conv1d(**options), torch.nn.Conv1d(**options),
                   randn(2, options["in_channels"], 11))


def test_conv2d_gradcheck():
    check_gradients(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                             groups=2),
                    randn(2, 4, 5, 6), randn(4, 2, 3, 2), randn(4))


def test_conv1d_gradcheck():
    check_gradients(lambda x, w: F.conv1d(x, w, padding="same"), randn(1, 2, 5),
                    randn(3, 2, 4))


def test_nn_primitives_are_pinned_and_named_as_pytorch():
    from tinygrad_edu.autograd import Function
    from tinygrad_edu.nn import functions_nn
    assert functions_nn.NN_PRIMITIVES == ("Convolution", "ConvolutionTranspose",
                                          "MaxPool2DWithIndices")
    for name in functions_nn.NN_PRIMITIVES:
        assert issubclass(getattr(functions_nn, name), Function)
    x = tg.randn(1, 1, 4, 4, requires_grad=True)
    assert F.conv2d(x, tg.randn(1, 1, 3, 3)).grad_fn.name() == "ConvolutionBackward0"
    assert F.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    with tg.no_grad():
        assert F.conv2d(x, tg.randn(1, 1, 3, 3)).grad_fn is None


def test_conv_errors():
    x = tg.zeros(1, 3, 4, 4)
    with pytest.raises(RuntimeError, match="to have 1 channels, but got 3 channels"):
        F.conv2d(x, tg.zeros(2, 1, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(x, tg.zeros(2, 3, 5, 5))
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv2d(x, tg.zeros(2, 3, 3, 3), padding="same", stride=2)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D"):
        F.conv2d(tg.zeros(3, 4), tg.zeros(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="expected scalar type"):
        F.conv2d(x.double(), tg.zeros(2, 3, 3, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(3, 4, 3, padding="full")


def test_conv_module_defaults_and_repr(torch):
    conv = nn.Conv2d(1, 6, 5)
    assert repr(conv) == repr(torch.nn.Conv2d(1, 6, 5)) == \
        "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    options = dict(kernel_size=3, stride=2, padding=1, dilation=2, groups=2, bias=False,
                   padding_mode="reflect")
    assert repr(nn.Conv2d(4, 6, **options)) == repr(torch.nn.Conv2d(4, 6, **options))
    assert repr(nn.Conv1d(2, 3, 3, padding="same")) == \
        repr(torch.nn.Conv1d(2, 3, 3, padding="same"))
    bound = 1 / np.sqrt(1 * 5 * 5)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("strategy", ["im2col", "direct"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_kernels_agree_with_reference(strategy, dtype):
    """Every CPU conv strategy against the NumPy reference backend, forward and backward."""
    cpu, reference = CPUBackend(), ReferenceBackend()
    cpu.conv_kernel = strategy
    tolerance = 1e-4 if dtype == np.float32 else 1e-10

    def strided(a: np.ndarray) -> Strided:
        a = np.ascontiguousarray(a, dtype=dtype)
        return Strided(a.reshape(-1), a.shape, contiguous_strides(a.shape), 0)

    for n, c, h, w, o, groups, kernel, stride, padding, dilation, out in [
            (2, 4, 7, 9, 6, 2, (3, 2), (2, 1), (1, 2), (1, 2), (4, 9)),
            (1, 3, 5, 5, 2, 1, (5, 5), (1, 1), (0, 0), (1, 1), (1, 1)),
            (3, 2, 6, 4, 2, 2, (2, 2), (3, 2), (1, 0), (2, 1), (2, 2)),
            (11, 4, 5, 6, 4, 2, (3, 3), (1, 1), (1, 1), (1, 1), (5, 6))]:  # > PARTS samples
        x, weight = strided(randn(n, c, h, w)), strided(randn(o, c // groups, *kernel))
        grad, bias = strided(randn(n, o, *out)), strided(randn(o))
        geometry = (stride, padding, dilation, groups)
        for method, args in [("conv2d", (x, weight, bias, *geometry, out)),
                             ("conv2d", (x, weight, None, *geometry, out)),
                             ("conv2d_grad_input", (grad, weight, (n, c, h, w), *geometry)),
                             ("conv2d_grad_weight", (x, grad, weight.shape, *geometry)),
                             ("conv2d_grad_bias", (grad,))]:
            ours, expected = getattr(cpu, method)(*args), getattr(reference, method)(*args)
            assert np.abs(ours - expected).max() <= tolerance, (method, strategy)
        values, positions = cpu.max_pool2d(x, kernel, stride, (0, 0), dilation, out)
        ref_values, ref_positions = reference.max_pool2d(x, kernel, stride, (0, 0), dilation,
                                                         out)
        assert np.array_equal(values, ref_values) and np.array_equal(positions, ref_positions)


# ---------------------------------------------------------------------------- pooling

POOL2D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
]


@pytest.mark.parametrize("options", POOL2D_CASES)
def test_max_pool2d_matches_pytorch(torch, options):
    compare_module(torch, nn.MaxPool2d(**options), torch.nn.MaxPool2d(**options),
                   randn(2, 3, 7, 8))
    values = randn(1, 2, 5, 5)
    ours, ours_idx = F.max_pool2d(tg.tensor(values), return_indices=True, **options)
    theirs, theirs_idx = torch.nn.functional.max_pool2d(torch.tensor(values),
                                                        return_indices=True, **options)
    close(ours, theirs, 0, "max values")
    assert np.array_equal(ours_idx.numpy(), theirs_idx.numpy())


@pytest.mark.parametrize("options", [dict(kernel_size=3), dict(kernel_size=2, stride=1,
                                                                padding=1, dilation=2),
                                     dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_max_pool1d_matches_pytorch(torch, options):
    compare_module(torch, nn.MaxPool1d(**options), torch.nn.MaxPool1d(**options),
                   randn(2, 3, 9))
    ours, indices = F.max_pool1d(tg.arange(9.0).view(1, 9), return_indices=True, **options)
    theirs, their_indices = torch.nn.functional.max_pool1d(torch.arange(9.0).view(1, 9),
                                                           return_indices=True, **options)
    close(ours, theirs, 0, "max_pool1d unbatched")
    assert np.array_equal(indices.numpy(), their_indices.numpy())


@pytest.mark.parametrize("options", POOL2D_CASES[:2] + POOL2D_CASES[3:] + [
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d_matches_pytorch(torch, options):
    compare_module(torch, nn.AvgPool2d(**options), torch.nn.AvgPool2d(**options),
                   randn(2, 3, 7, 8))


def test_avg_pool1d_matches_pytorch(torch):
    for options in [dict(kernel_size=3), dict(kernel_size=3, stride=2, padding=1,
                                              ceil_mode=True, count_include_pad=False)]:
        compare_module(torch, nn.AvgPool1d(**options), torch.nn.AvgPool1d(**options),
                       randn(2, 3, 10))


@pytest.mark.parametrize("size", [1, (3, 2), (5, None), (4, 7)])
def test_adaptive_avg_pool2d_matches_pytorch(torch, size):
    compare_module(torch, nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size),
                   randn(2, 3, 5, 7))
    compare_module(torch, nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3),
                   randn(2, 3, 7))


def test_pool_gradcheck():
    x = randn(1, 2, 5, 6)
    check_gradients(lambda t: F.max_pool2d(t, 3, stride=2, padding=1, ceil_mode=True), x)
    check_gradients(lambda t: F.avg_pool2d(t, 3, stride=2, padding=1,
                                           count_include_pad=False), x)
    check_gradients(lambda t: F.adaptive_avg_pool2d(t, (2, 4)), x)


def test_pool_reprs_and_errors(torch):
    for ours, theirs in [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
                         (nn.MaxPool2d(3, 2, 1, ceil_mode=True),
                          torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                         (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
                         (nn.AvgPool1d(3), torch.nn.AvgPool1d(3)),
                         (nn.MaxPool1d(3), torch.nn.MaxPool1d(3)),
                         (nn.AdaptiveAvgPool2d((1, 1)), torch.nn.AdaptiveAvgPool2d((1, 1)))]:
        assert repr(ours) == repr(theirs)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(tg.zeros(1, 1, 1, 1), 2)


# ---------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("options", [dict(), dict(momentum=None), dict(affine=False),
                                     dict(track_running_stats=False), dict(momentum=0.3)])
def test_batchnorm_train_and_eval_match_pytorch(torch, options):
    for ours, theirs, shape in [(nn.BatchNorm1d(3, **options),
                                 torch.nn.BatchNorm1d(3, **options), (4, 3)),
                                (nn.BatchNorm1d(3, **options),
                                 torch.nn.BatchNorm1d(3, **options), (4, 3, 5)),
                                (nn.BatchNorm2d(3, **options),
                                 torch.nn.BatchNorm2d(3, **options), (2, 3, 4, 5))]:
        for _ in range(3):  # running stats move in training
            compare_module(torch, ours, theirs, randn(*shape) * 2 + 1)
        for name, buffer in theirs.named_buffers():
            close(dict(ours.named_buffers())[name], buffer, 1e-10, f"buffer {name}")
        ours.eval()
        theirs.eval()
        compare_module(torch, ours, theirs, randn(*shape))


def test_batchnorm_errors_and_repr(torch):
    assert repr(nn.BatchNorm2d(6)) == repr(torch.nn.BatchNorm2d(6))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(4)(tg.zeros(1, 4))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(4)(tg.zeros(2, 4))
    bn = nn.BatchNorm1d(2)
    assert bn.num_batches_tracked.dtype is tg.int64
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var",
                                                         "num_batches_tracked"]


def test_layer_and_group_norm_match_pytorch(torch):
    compare_module(torch, nn.LayerNorm(5), torch.nn.LayerNorm(5), randn(3, 5))
    compare_module(torch, nn.LayerNorm((4, 5), elementwise_affine=False),
                   torch.nn.LayerNorm((4, 5), elementwise_affine=False), randn(2, 3, 4, 5))
    compare_module(torch, nn.LayerNorm(5, bias=False), torch.nn.LayerNorm(5, bias=False),
                   randn(3, 5))
    compare_module(torch, nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4), randn(3, 4, 5))
    assert repr(nn.LayerNorm(10)) == repr(torch.nn.LayerNorm(10))
    assert repr(nn.GroupNorm(2, 4)) == repr(torch.nn.GroupNorm(2, 4))


def test_norm_gradcheck():
    check_gradients(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                    randn(4, 3, 2), randn(3), randn(3))
    check_gradients(lambda x, w, b: F.layer_norm(x, (4,), w, b), randn(3, 4), randn(4),
                    randn(4))
    check_gradients(lambda x: F.normalize(x, dim=1), randn(3, 4))


def test_normalize_matches_pytorch(torch):
    x = randn(3, 4)
    x[1] = 0
    for p, dim in [(2, 1), (1, 0), (3, 1)]:
        close(F.normalize(tg.tensor(x), p, dim), torch.nn.functional.normalize(
            torch.tensor(x), p, dim), 1e-12, f"normalize p={p}")


# ---------------------------------------------------------------------------- dropout


def test_dropout_train_and_eval():
    tg.manual_seed(0)
    layer = nn.Dropout(0.25)
    assert repr(layer) == "Dropout(p=0.25, inplace=False)"
    x = tg.ones(200, 100)
    y = layer(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02, kept.mean()
    assert np.allclose(y[kept], 1 / 0.75)
    layer.eval()
    assert layer(x) is x
    assert not nn.Dropout(1.0)(x).numpy().any()
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)
    w = tg.ones(3, 4, requires_grad=True)
    out = F.dropout(w, 0.5)
    out.sum().backward()
    assert np.array_equal(w.grad.numpy(), out.detach().numpy())  # grad = mask / (1 - p)


def test_dropout2d_zeroes_whole_channels():
    y = nn.Dropout2d(0.5)(tg.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert 0 < (per_channel[..., 0] == 0).mean() < 1


def test_dropout2d_on_other_ranks_follows_pytorch():
    """3-d input is (N, C, L), one coin per (n, c), with PyTorch's warning; 2-d is per
    element, with its deprecation warning; 1-d is refused."""
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        y = F.dropout2d(tg.ones(16, 8, 5), 0.5).numpy()
    assert np.all(y.min(-1) == y.max(-1)) and 0 < (y[..., 0] == 0).mean() < 1
    with pytest.warns(UserWarning, match="2-D input to dropout2d, which is deprecated"):
        y = F.dropout2d(tg.ones(64, 64), 0.5).numpy()
    assert 0.4 < (y == 0).mean() < 0.6 and set(np.unique(y)) <= {0.0, 2.0}
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.dropout2d(tg.ones(3), 0.5)


# ---------------------------------------------------------------------------- embedding


def test_embedding_matches_pytorch(torch):
    index = np.array([[0, 2, 4], [4, 3, 0]])
    compare_module(torch, nn.Embedding(5, 3), torch.nn.Embedding(5, 3), index)
    ours, theirs = nn.Embedding(5, 3, padding_idx=0), torch.nn.Embedding(5, 3, padding_idx=0)
    assert not ours.weight[0].detach().numpy().any()
    compare_module(torch, ours, theirs, index)
    assert not ours.weight.grad[0].numpy().any()
    assert repr(ours) == repr(theirs) == "Embedding(5, 3, padding_idx=0)"
    compare_module(torch, nn.Embedding(5, 3, max_norm=1.0),
                   torch.nn.Embedding(5, 3, max_norm=1.0), index)
    compare_module(torch, nn.Embedding(5, 3, scale_grad_by_freq=True),
                   torch.nn.Embedding(5, 3, scale_grad_by_freq=True), index)
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(3, 2)(tg.tensor([3]))
    frozen = nn.Embedding.from_pretrained(tg.ones(4, 2))
    assert not frozen.weight.requires_grad and frozen(tg.tensor([1])).shape == (1, 2)


# ---------------------------------------------------------------------------- recurrent


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("options", [dict(), dict(num_layers=2, batch_first=True),
                                     dict(bidirectional=True, bias=False),
                                     dict(num_layers=2, bidirectional=True)])
def test_recurrent_layers_match_pytorch(torch, kind, options):
    ours = getattr(nn, kind)(3, 4, **options)
    theirs = getattr(torch.nn, kind)(3, 4, **options)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    compare_module(torch, ours, theirs, randn(2, 5, 3), atol=1e-10)
    compare_module(torch, ours, theirs, randn(5, 3), atol=1e-10)  # unbatched


def test_recurrent_with_initial_state_and_options(torch):
    directions, layers = 2, 2
    h0, c0 = randn(layers * directions, 3, 4), randn(layers * directions, 3, 4)

    def run(module_ours, module_theirs, state_ours, state_theirs) -> None:
        module_theirs = module_theirs.double()
        module_ours.double().load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                                              module_theirs.state_dict().items()})
        x = randn(5, 3, 2)
        ours = flat_outputs(module_ours(tg.tensor(x), state_ours))
        theirs = flat_outputs(module_theirs(torch.tensor(x), state_theirs))
        for a, b in zip(ours, theirs):
            close(a, b, 1e-10, type(module_ours).__name__)

    options = dict(num_layers=layers, bidirectional=True)
    run(nn.LSTM(2, 4, **options), torch.nn.LSTM(2, 4, **options),
        (tg.tensor(h0), tg.tensor(c0)), (torch.tensor(h0), torch.tensor(c0)))
    run(nn.GRU(2, 4, **options), torch.nn.GRU(2, 4, **options), tg.tensor(h0),
        torch.tensor(h0))
    run(nn.RNN(2, 4, nonlinearity="relu", **options),
        torch.nn.RNN(2, 4, nonlinearity="relu", **options), tg.tensor(h0), torch.tensor(h0))
    proj_h0 = randn(1, 3, 2)
    run(nn.LSTM(2, 4, proj_size=2), torch.nn.LSTM(2, 4, proj_size=2),
        (tg.tensor(proj_h0), tg.tensor(c0[:1])), (torch.tensor(proj_h0), torch.tensor(c0[:1])))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        nn.GRU(2, 4)(tg.zeros(5, 3, 2), tg.zeros(1, 3, 5))


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_recurrent_cells_match_pytorch(torch, kind):
    ours, theirs = getattr(nn, kind)(3, 4), getattr(torch.nn, kind)(3, 4)
    assert repr(ours) == repr(theirs)
    compare_module(torch, ours, theirs, randn(2, 3), atol=1e-10)
    compare_module(torch, ours, theirs, randn(3), atol=1e-10)


def test_lstm_gradcheck():
    tg.manual_seed(0)
    lstm = nn.LSTM(2, 2).double()
    for parameter in lstm.parameters():
        parameter.requires_grad_(False)
    check_gradients(lambda x: lstm(x)[0], randn(3, 1, 2))


# ---------------------------------------------------------------------------- activations

ACTIVATIONS = [("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {"negative_slope": 0.2}),
               ("ELU", {"alpha": 0.7}), ("SELU", {}), ("GELU", {}),
               ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Mish", {}), ("Sigmoid", {}),
               ("Tanh", {}), ("Softplus", {"beta": 2.0}), ("LogSigmoid", {}),
               ("Hardtanh", {"min_val": -0.5}), ("Softmax", {"dim": 1}),
               ("LogSoftmax", {"dim": 1}), ("Softmin", {"dim": 0})]


@pytest.mark.parametrize("name, options", ACTIVATIONS)
def test_activations_match_pytorch(torch, name, options):
    ours, theirs = getattr(nn, name)(**options), getattr(torch.nn, name)(**options)
    assert repr(ours) == repr(theirs)
    x = randn(4, 6) * 3
    x[0, :3] = [-80.0, 80.0, 0.0]  # far tails must stay finite
    compare_module(torch, ours, theirs, x, atol=1e-12)


ERF_INPUT = np.array([0.0, 1e-30, -1e-30, 0.3, -0.7, 0.46875, 1.5, -2.5, 4.0, -6.0, 30.0,
                      -80.0, 1e30, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-15), ("float32", 1e-6)])
def test_erf_matches_pytorch(torch, dtype, atol):
    """erf(x) and d/dx erf x = 2/sqrt(pi) exp(-x^2), tails and nan included"""
    ours_x = tg.tensor(ERF_INPUT, dtype=getattr(tg, dtype), requires_grad=True)
    theirs_x = torch.tensor(ERF_INPUT, dtype=getattr(torch, dtype), requires_grad=True)
    ours, theirs = ours_x.erf(), torch.erf(theirs_x)
    assert ours.dtype is getattr(tg, dtype), f"erf of {dtype} gives {ours.dtype}"
    assert ours.grad_fn.name() == theirs.grad_fn.name(), f"grad_fn {ours.grad_fn.name()}"
    seed = randn(len(ERF_INPUT))
    (ours * tg.tensor(seed, dtype=ours.dtype)).sum().backward()
    (theirs * torch.tensor(seed, dtype=theirs.dtype)).sum().backward()
    for what, a, b in (("erf", ours, theirs), ("tinygrad_edu.erf", tg.erf(ours_x), theirs),
                       ("erf gradient", ours_x.grad, theirs_x.grad)):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{what} {dtype}: nan differs"
        close(np.nan_to_num(a), np.nan_to_num(b), atol, f"{what} {dtype}")


def test_erf_gradcheck():
    check_gradients(lambda x: x.erf(), randn(3, 4) * 2)
    check_gradients(lambda x: x.t().erf(), randn(4, 3))  # a non-contiguous view
    assert tg.tensor([[0, 1], [-2, 3]]).erf().dtype is tg.float32, "int erf gives float32"


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_imports(), reason="kernels.cuda does not import")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_and_exact_gelu_on_cuda_equal_the_cpu(dtype):
    """Values and gradients of erf and GELU on cuda (the CUDA simulator without a GPU)."""
    array = np.concatenate([ERF_INPUT[:-4], randn(8)]).reshape(4, 5)
    results = {}
    for where in ("cpu", "cuda"):
        x = tg.tensor(array, dtype=getattr(tg, dtype), requires_grad=True, device=where)
        erf, gelu = x.t().erf(), F.gelu(x)
        (erf.sum() + (gelu * 0.5).sum()).backward()
        results[where] = [t.detach().cpu().numpy() for t in (erf, gelu, x.grad)]
    for what, on_cpu, on_cuda in zip(("erf", "gelu", "gradient"), results["cpu"],
                                     results["cuda"]):
        close(on_cuda, on_cpu, 1e-6 if dtype == "float32" else 1e-15,
              f"{what} {dtype}: cuda vs cpu")


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-12), ("float32", 1e-6)])
def test_exact_gelu_matches_pytorch_everywhere(torch, dtype, atol):
    """GELU(x) = x Phi(x) and its gradient Phi(x) + x phi(x), Phi(x) = (1 + erf(x/sqrt 2))/2,
    around the seams of erf's piecewise fits (|x| / sqrt 2 = 0.46875 and 4) and out to the
    tails where Phi is 0 or 1."""
    seams = np.array([0.46875, 4.0]) * np.sqrt(2.0)
    x = np.concatenate([np.linspace(-30.0, 30.0, 6001), seams, -seams, seams + 1e-9,
                        -seams - 1e-9, [0.0, 1e-30, -1e-30, 80.0, -80.0, 1e30, -1e30]])
    ours_x = tg.tensor(x, dtype=getattr(tg, dtype), requires_grad=True)
    theirs_x = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ours, theirs = F.gelu(ours_x), torch.nn.functional.gelu(theirs_x)
    ours.sum().backward()
    theirs.sum().backward()
    scale = np.maximum(1.0, np.abs(x))  # compare relative to |x| where |x| > 1
    close(ours.detach().numpy() / scale, theirs.detach().numpy() / scale, atol, f"gelu {dtype}")
    close(ours_x.grad, theirs_x.grad, atol, f"gelu gradient {dtype}")


@pytest.mark.parametrize("name, options", ACTIVATIONS[1:])
def test_activations_gradcheck(name, options):
    x = randn(3, 4)
    x[np.abs(x) < 0.05] = 0.3  # keep away from kinks
    check_gradients(getattr(nn, name)(**options), x)


def test_inplace_activations():
    x = tg.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    leaf = tg.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        nn.ReLU(inplace=True)(leaf)
    y = leaf * 1
    nn.LeakyReLU(0.5, inplace=True)(y).sum().backward()
    assert leaf.grad.tolist() == [0.5, 1.0]


# ---------------------------------------------------------------------------- other functional


def test_one_hot(torch):
    labels = tg.tensor([0, 3, 1])
    assert F.one_hot(labels).tolist() == torch.nn.functional.one_hot(
        torch.tensor([0, 3, 1])).tolist()
    assert F.one_hot(labels, 5).shape == (3, 5) and F.one_hot(labels).dtype is tg.int64
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(labels, 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(tg.tensor([1.0]))


@pytest.mark.parametrize("mode, padding", [("constant", (1, 2)), ("constant", (2, -1, 1, 0)),
                                           ("reflect", (2, 1, 1, 2)), ("replicate", (3, 1, 2, 0)),
                                           ("circular", (2, 1, 0, 3))])
def test_pad_matches_pytorch(torch, mode, padding):
    x = randn(2, 3, 4, 5)
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    value = 0.5 if mode == "constant" else None
    out_ours = F.pad(ours, padding, mode=mode, value=value)
    out_theirs = torch.nn.functional.pad(theirs, padding, mode=mode, value=value)
    close(out_ours, out_theirs, 0, f"pad {mode}")
    seed = randn(*out_theirs.shape)
    (out_ours * tg.tensor(seed)).sum().backward()
    (out_theirs * torch.tensor(seed)).sum().backward()
    close(ours.grad, theirs.grad, 1e-12, f"pad {mode} grad")


@pytest.mark.parametrize("mode, shape, options", [
    ("nearest", (1, 2, 3, 5), dict(size=(4, 7))),
    ("nearest", (1, 2, 5), dict(scale_factor=2.5)),
    ("nearest-exact", (1, 2, 3, 5), dict(size=(7, 2))),
    ("bilinear", (2, 1, 3, 4), dict(size=(5, 7))),
    ("bilinear", (2, 1, 3, 4), dict(size=(5, 7), align_corners=True)),
    ("bilinear", (1, 2, 4, 4), dict(scale_factor=0.5)),
    ("bilinear", (1, 1, 3, 3), dict(scale_factor=1.7)),
    ("linear", (1, 2, 6), dict(size=4)),
    ("area", (1, 2, 6, 7), dict(size=(3, 2))),
    # a scale that leaves an axis its size (3 * 1.3 -> 3): PyTorch copies that axis
    ("nearest", (1, 1, 2, 3), dict(scale_factor=1.3)),
    ("bilinear", (1, 1, 2, 3), dict(scale_factor=1.3)),
    ("bilinear", (1, 1, 2, 3), dict(scale_factor=(2.0, 1.2), align_corners=True)),
    ("nearest-exact", (1, 1, 2, 3), dict(scale_factor=1.3)),  # this one does resample
])
def test_interpolate_matches_pytorch(torch, mode, shape, options):
    x = randn(*shape)
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out_ours = F.interpolate(ours, mode=mode, **options)
    out_theirs = torch.nn.functional.interpolate(theirs, mode=mode, **options)
    close(out_ours, out_theirs, 1e-12, f"interpolate {mode}")
    seed = randn(*out_theirs.shape)
    (out_ours * tg.tensor(seed)).sum().backward()
    (out_theirs * torch.tensor(seed)).sum().backward()
    close(ours.grad, theirs.grad, 1e-12, f"interpolate {mode} grad")


def test_interpolate_and_pad_gradcheck():
    check_gradients(lambda t: F.interpolate(t, size=(4, 5), mode="bilinear"), randn(1, 1, 3, 3))
    check_gradients(lambda t: F.pad(t, (2, 1, 1, 1), mode="reflect"), randn(1, 1, 3, 3))
    check_gradients(lambda t: F.pad(t, (1, 2), value=3.0), randn(2, 3))


def test_interpolate_errors():
    x = tg.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2.0)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=4, align_corners=True)
    with pytest.raises(ValueError, match=r"Only 3D, 4D and 5D input Tensors supported \(got 2D\)"):
        F.interpolate(tg.zeros(2, 3), scale_factor=2.0)
    with pytest.raises(RuntimeError, match="sizes should be greater than 0.*output .H: 0, W: 3"):
        F.interpolate(x, size=(0, 3))


@pytest.mark.gpu
def test_conv_pool_network_on_cuda_matches_cpu():
    """Conv2d (stride, padding, bias), MaxPool2d (ceil_mode), AvgPool2d and Linear on the CUDA
    backend (the simulator without a GPU) agree with the CPU, forward and backward."""
    tg.manual_seed(0)

    def make() -> nn.Module:
        return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, stride=(1, 2)), nn.ReLU(),
                             nn.MaxPool2d(2, ceil_mode=True), nn.AvgPool2d(1), nn.Flatten(),
                             nn.Linear(12, 2))

    on_cpu, on_gpu = make(), make()
    on_gpu.load_state_dict(on_cpu.state_dict())
    on_gpu.to("cuda")
    x = tg.randn(2, 2, 4, 6)
    expected, result = on_cpu(x), on_gpu(x.cuda())
    close(result.cpu(), expected.detach().numpy(), 1e-5, "cuda forward")
    expected.sum().backward()
    result.sum().backward()
    for (name, p), q in zip(on_cpu.named_parameters(), on_gpu.parameters()):
        close(q.grad.cpu(), p.grad.numpy(), 1e-5, f"cuda grad of {name}")
