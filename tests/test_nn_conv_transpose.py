"""Transposed convolution (F.conv_transpose1d/2d, nn.ConvTranspose1d/2d: the
ConvolutionTranspose primitive), adaptive max pooling, unfold/fold and pixel (un)shuffle:
outputs, gradients, parameters, repr and errors against PyTorch (skipped without it), in
float64 and float32, on odd shapes (size-1 dims, stride > 1 with output_padding, groups,
dilation, non-contiguous inputs)."""

from __future__ import annotations

import math
import re
from functools import partial

import numpy as np
import pytest
from helpers import cuda_imports

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.nn import functions_nn

RNG = np.random.default_rng(11)
ATOL = {"float64": 1e-10, "float32": 2e-5}


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def close(ours, theirs, atol: float, what: str) -> None:
    a = ours.detach().cpu().numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs PyTorch {b.dtype}"
    if a.dtype.kind in "biu":
        assert (a == b).all(), f"{what}: {(a != b).sum()} elements differ"
        return
    assert (np.isnan(a) == np.isnan(b)).all(), f"{what}: nan in different places"
    good = ~np.isnan(a)
    error = float(np.abs(a[good] - b[good]).max()) if good.any() else 0.0
    assert error <= atol, f"{what}: max abs error {error:.3g} > {atol:g}"


def flat(value) -> list:
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in flat(item)]
    return [value]


def check(torch, ours_fn, theirs_fn, *arrays: np.ndarray, dtype: str = "float64") -> list:
    """Run both functions on the same arrays (float ones in `dtype`, requiring grad), compare
    every output, backward one random projection of the float outputs, compare the input
    gradients. Returns our outputs."""
    atol = ATOL[dtype]
    cast = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    ours_in = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in cast]
    theirs_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in cast]
    ours_out, theirs_out = flat(ours_fn(*ours_in)), flat(theirs_fn(*theirs_in))
    assert len(ours_out) == len(theirs_out)
    total_ours, total_theirs = 0, 0
    for k, (a, b) in enumerate(zip(ours_out, theirs_out)):
        close(a, b, atol, f"output {k}")
        if b.requires_grad:
            assert a.requires_grad, f"output {k} does not require grad"
            seed = np.where(np.isnan(b.detach().numpy()), 0.0, randn(*b.shape)).astype(dtype)
            total_ours = total_ours + (a * tg.tensor(seed)).sum()
            total_theirs = total_theirs + (b * torch.tensor(seed)).sum()
    if isinstance(total_theirs, int):
        return ours_out
    total_ours.backward()
    total_theirs.backward()
    for k, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if b.grad is None:
            assert a.grad is None or not a.grad.numpy().any(), f"input {k} grad"
        else:
            close(a.grad, b.grad, atol * 10, f"input {k} grad")
    return ours_out


def same_error(call_ours, call_theirs, match: str) -> None:
    """Ours raises PyTorch's exception type (or a subclass) with a message matching `match`."""
    with pytest.raises(Exception) as theirs:
        call_theirs()
    with pytest.raises(type(theirs.value), match=match):
        call_ours()


def torch_repr(module) -> str:
    return repr(module).replace("tinygrad_edu.", "torch.")


# ---------------------------------------------------------------------------- conv_transpose2d

# (N, C_in, H, W), C_out, groups, kernel, stride, padding, output_padding, dilation, bias
CASES_2D = [
    ((2, 3, 4, 5), 2, 1, (3, 3), 1, 0, 0, 1, True),
    ((2, 4, 3, 5), 6, 2, (3, 2), (2, 3), (1, 0), (1, 2), 1, True),  # output_padding < stride
    ((1, 6, 4, 3), 3, 3, (2, 3), 2, 1, 1, (2, 3), False),  # groups, dilation
    ((1, 1, 1, 1), 1, 1, (1, 1), 1, 0, 0, 1, True),  # every size 1
    ((2, 2, 3, 1), 4, 2, (1, 2), (3, 1), (0, 1), (2, 0), (1, 3), True),
    ((1, 2, 2, 2), 2, 1, (2, 2), 1, 0, (2, 1), 3, True),  # output_padding < dilation only
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES_2D)
def test_conv_transpose2d_matches_pytorch(torch, case, dtype):
    shape, c_out, groups, kernel, stride, padding, output_padding, dilation, bias = case
    arrays = [randn(*shape), randn(shape[1], c_out // groups, *kernel)]
    if bias:
        arrays.append(randn(c_out))
    options = dict(stride=stride, padding=padding, output_padding=output_padding,
                   groups=groups, dilation=dilation)
    (out,) = check(torch, lambda *a: F.conv_transpose2d(*a, **options),
                   lambda *a: torch.nn.functional.conv_transpose2d(*a, **options), *arrays,
                   dtype=dtype)
    assert out.grad_fn.name() == "ConvolutionBackward0"


def test_conv_transpose2d_positional_arguments_and_unbatched_input(torch):
    """PyTorch's argument order (groups before dilation), and a 3-d (C, H, W) input."""
    x, w, b = randn(4, 3, 2), randn(4, 1, 2, 3), randn(2)
    check(torch, lambda *a: F.conv_transpose2d(*a, 2, 1, 1, 2, 2),
          lambda *a: torch.nn.functional.conv_transpose2d(*a, 2, 1, 1, 2, 2), x, w, b)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv_transpose2d_of_non_contiguous_tensors(torch, dtype):
    """x a transposed view, weight a slice with a step: the same numbers as PyTorch."""
    x, w, b = randn(2, 4, 5, 3), randn(4, 6, 3, 2), randn(3)

    def run(f, x, w, b):
        return f(x.transpose(2, 3), w[:, ::2], b, stride=2, padding=1, output_padding=1)

    check(torch, lambda *a: run(F.conv_transpose2d, *a),
          lambda *a: run(torch.nn.functional.conv_transpose2d, *a), x, w, b, dtype=dtype)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for the same stride, padding, groups
    and dilation: the transposed convolution is conv2d's transpose, as its name says."""
    x, w = tg.tensor(randn(2, 4, 8, 6)), tg.tensor(randn(6, 2, 3, 2))
    options = dict(stride=(2, 1), padding=(1, 1), dilation=(1, 2), groups=2)
    forward = F.conv2d(x, w, **options)
    y = tg.tensor(randn(*forward.shape))
    back = F.conv_transpose2d(y, w, output_padding=(1, 0), **options)
    assert back.shape == x.shape, f"{back.shape} vs {x.shape}"
    left, right = (forward * y).sum().item(), (x * back).sum().item()
    assert math.isclose(left, right, rel_tol=1e-12), f"{left} vs {right}"


def test_conv_transpose_primitive_gradcheck():
    """ConvolutionTranspose's backward (conv2d, conv2d_grad_weight, conv2d_grad_bias) against
    numerical gradients, in float64."""
    arrays = [randn(2, 4, 3, 2), randn(4, 1, 2, 3), randn(2)]
    inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
    weights = tg.tensor(randn(2, 2, 8, 5))  # the output's shape

    def f(x, w, b):
        out = F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(0, 1), output_padding=1,
                                 groups=2, dilation=(2, 1))
        return (out * weights).sum()

    assert gradcheck(f, inputs, atol=1e-6)


def test_conv_transpose_is_pinned_among_the_nn_primitives():
    assert "ConvolutionTranspose" in functions_nn.NN_PRIMITIVES
    x = tg.randn(1, 2, 3, 3, requires_grad=True)
    with tg.no_grad():
        assert F.conv_transpose2d(x, tg.randn(2, 1, 2, 2)).grad_fn is None
    out = F.conv_transpose2d(x.detach(), tg.randn(2, 1, 2, 2))
    assert not out.requires_grad and out.grad_fn is None


# ---------------------------------------------------------------------------- conv_transpose1d


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, c_out, groups, kernel, stride, padding, output_padding, "
                         "dilation, bias", [
                             ((2, 3, 5), 4, 1, 3, 2, 1, 1, 1, True),
                             ((1, 4, 1), 2, 2, 2, 3, 0, 2, 2, False),
                             ((3, 1, 4), 1, 1, 1, 1, 0, 0, 1, True),
                         ])
def test_conv_transpose1d_matches_pytorch(torch, dtype, shape, c_out, groups, kernel, stride,
                                          padding, output_padding, dilation, bias):
    arrays = [randn(*shape), randn(shape[1], c_out // groups, kernel)]
    if bias:
        arrays.append(randn(c_out))
    options = dict(stride=stride, padding=padding, output_padding=output_padding,
                   groups=groups, dilation=dilation)
    check(torch, lambda *a: F.conv_transpose1d(*a, **options),
          lambda *a: torch.nn.functional.conv_transpose1d(*a, **options), *arrays,
          dtype=dtype)
    check(torch, lambda x, *a: F.conv_transpose1d(x[0], *a, **options),  # unbatched
          lambda x, *a: torch.nn.functional.conv_transpose1d(x[0], *a, **options), *arrays)


def test_conv_transpose_errors_are_pytorchs(torch):
    tf = torch.nn.functional

    def both(args: tuple, options: dict, match: str, dims: int = 2) -> None:
        ours = getattr(F, f"conv_transpose{dims}d")
        theirs = getattr(tf, f"conv_transpose{dims}d")
        same_error(lambda: ours(*[tg.tensor(a) for a in args], **options),
                   lambda: theirs(*[torch.tensor(a) for a in args], **options), match)

    x, w = np.zeros((1, 4, 5, 5), np.float32), np.zeros((4, 2, 3, 3), np.float32)
    both((x[0, 0], w), {}, r"Expected 3D \(unbatched\) or 4D \(batched\) input")
    both((x, w[:3]), {}, "expected input.* to have 3 channels, but got 4 channels")
    both((x, w), {"groups": 3}, "expected weight to be divisible by 3 at dimension 0")
    both((x, w), {"output_padding": 1}, "output padding must be smaller than either stride")
    both((x, w), {"stride": 2, "output_padding": 2}, "output padding must be smaller")
    both((x, w), {"padding": 4}, "Calculated output size per channel: .-1 x -1.. Output size "
         "is too small")
    both((x, w, np.zeros(3, np.float32)), {}, "expected bias to be 1-dimensional with 2 "
         "elements")
    both((x, w), {"padding": -1}, "negative padding is not supported")
    both((x, w), {"stride": 0}, "non-positive stride is not supported")
    both((x, w), {"dilation": 0}, "dilation should be greater than zero")
    both((x, w), {"groups": 0}, "non-positive groups is not supported")
    both((x, w), {"stride": (1, 2, 3)}, "expected stride to be a single integer value or a "
         "list of 2 values")
    both((x, w.astype(np.float64)), {}, "expected scalar type Double but found Float")
    both((x, w), {"padding": "same"}, "argument 'padding' must be tuple of ints")
    with pytest.raises(RuntimeError, match="conv_transpose1d: expected a 3-d weight"):
        F.conv_transpose1d(tg.zeros(2, 4, 5), tg.zeros(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.conv_transpose2d(tg.zeros(1, 4, 5, 5), tg.zeros(4, 2, 3, 3, device="cuda"))


# ---------------------------------------------------------------------------- ConvTranspose1d/2d


def sync(ours, theirs) -> None:
    """Both in float64, ours with theirs' parameters."""
    theirs.double()
    ours.double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("args, kwargs", [
    ((4, 6, (2, 3)), dict(stride=2, output_padding=1, groups=2, dilation=2, bias=False)),
    ((3, 2, 3), dict(padding=1)),
    ((1, 1, 1), {}),
])
def test_conv_transpose2d_module_matches_pytorch(torch, args, kwargs):
    ours, theirs = nn.ConvTranspose2d(*args, **kwargs), torch.nn.ConvTranspose2d(*args, **kwargs)
    assert torch_repr(ours) == repr(theirs)
    theirs_params = dict(theirs.named_parameters())
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs_params.items()]
    assert (ours.transposed, ours.output_padding) == (theirs.transposed, theirs.output_padding)
    sync(ours, theirs)
    x = randn(2, args[0], 3, 4)
    ours_x, theirs_x = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_out, theirs_out = ours(ours_x), theirs(theirs_x)
    close(ours_out, theirs_out, 1e-10, "forward")
    seed = randn(*theirs_out.shape)
    (ours_out * tg.tensor(seed)).sum().backward()
    (theirs_out * torch.tensor(seed)).sum().backward()
    close(ours_x.grad, theirs_x.grad, 1e-10, "input grad")
    for name, parameter in ours.named_parameters():
        close(parameter.grad, theirs_params[name].grad, 1e-10, f"{name} grad")


def test_conv_transpose_init_is_kaiming_uniform_of_the_transposed_weight():
    """weight (in, out / groups, *k) and bias ~ U(-b, b), b = 1 / sqrt(fan_in), fan_in =
    out / groups * prod(k) (weight.size(1) * receptive field, as PyTorch's _ConvNd)."""
    tg.manual_seed(0)
    layer = nn.ConvTranspose2d(8, 12, (3, 2), groups=4)
    assert tuple(layer.weight.shape) == (8, 3, 3, 2) and tuple(layer.bias.shape) == (12,)
    bound = 1 / math.sqrt(3 * 3 * 2)  # kaiming_uniform_(a=sqrt(5)) gives this same bound
    for name, tensor in (("weight", layer.weight), ("bias", layer.bias)):
        values = np.abs(tensor.detach().numpy())
        assert values.max() <= bound, f"{name}: {values.max()} > {bound}"
        assert values.max() > 0.8 * bound, f"{name} does not fill U(-{bound}, {bound})"
    layer_1d = nn.ConvTranspose1d(2, 5, 4, dtype=tg.float64)
    assert tuple(layer_1d.weight.shape) == (2, 5, 4) and layer_1d.weight.dtype is tg.float64
    assert np.abs(layer_1d.weight.detach().numpy()).max() <= 1 / math.sqrt(20)


def test_conv_transpose1d_module_and_output_size(torch):
    ours, theirs = nn.ConvTranspose1d(3, 4, 3, stride=3), torch.nn.ConvTranspose1d(3, 4, 3,
                                                                                  stride=3)
    assert torch_repr(ours) == repr(theirs) == "ConvTranspose1d(3, 4, kernel_size=(3,), " \
        "stride=(3,))"
    sync(ours, theirs)
    x = randn(2, 3, 4)
    for size in (None, [12], (14,), [2, 4, 13]):
        close(ours(tg.tensor(x), output_size=size), theirs(torch.tensor(x), output_size=size),
              1e-10, f"output_size={size}")
    close(ours(tg.tensor(x[0]), output_size=[4, 13]),
          theirs(torch.tensor(x[0]), output_size=[4, 13]), 1e-10, "unbatched")


def test_conv_transpose_module_errors(torch):
    same_error(lambda: nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
               lambda: torch.nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
               'Only "zeros" padding mode is supported for ConvTranspose2d')
    same_error(lambda: nn.ConvTranspose2d(4, 6, 3, groups=4),
               lambda: torch.nn.ConvTranspose2d(4, 6, 3, groups=4),
               "out_channels must be divisible by groups")
    ours, theirs = nn.ConvTranspose2d(4, 6, 3, stride=2), torch.nn.ConvTranspose2d(4, 6, 3,
                                                                                  stride=2)
    x = np.zeros((1, 4, 5, 5), np.float32)
    for size, match in (((3,), "output_size must have 2 or 4 elements .got 1."),
                        ((20, 20), r"valid sizes range from \[11, 11\] to \[12, 12\]")):
        same_error(partial(ours, tg.tensor(x), output_size=size),
                   partial(theirs, torch.tensor(x), output_size=size), match)
    wide = nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=3)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        wide(tg.tensor(x))
    with pytest.raises(TypeError, match="padding must be an int or a tuple of ints"):
        nn.ConvTranspose2d(4, 6, 3, padding="same")


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_imports(), reason="kernels.cuda does not import")
def test_conv_transpose2d_on_cuda_equals_the_cpu():
    """Forward and all three gradients on the CUDA backend (the simulator without a GPU)."""
    arrays = [randn(1, 2, 2, 3), randn(2, 1, 2, 2), randn(2)]
    results = {}
    for where in ("cpu", "cuda"):
        x, w, b = (tg.tensor(a, requires_grad=True, device=where) for a in arrays)
        out = F.conv_transpose2d(x, w, b, stride=2, padding=(0, 1), output_padding=1,
                                 groups=2)
        (out * out).sum().backward()
        results[where] = [t.detach().cpu().numpy() for t in (out, x.grad, w.grad, b.grad)]
    for what, on_cpu, on_cuda in zip(("out", "x grad", "w grad", "b grad"), results["cpu"],
                                     results["cuda"]):
        close(on_cuda, on_cpu, 1e-12, f"{what}: cuda vs cpu")


# ---------------------------------------------------------------------------- adaptive max pool


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, output_size", [
    ((2, 3, 7, 5), (3, 2)),
    ((1, 1, 1, 1), 1),
    ((2, 2, 3, 4), (5, 7)),  # more windows than rows: windows overlap
    ((1, 2, 5, 6), (2, None)),  # None keeps that size
    ((3, 4, 6), 4),  # unbatched (C, H, W)
])
def test_adaptive_max_pool2d_matches_pytorch(torch, shape, output_size, dtype):
    check(torch, lambda x: F.adaptive_max_pool2d(x, output_size, return_indices=True),
          lambda x: torch.nn.functional.adaptive_max_pool2d(x, output_size, True),
          randn(*shape), dtype=dtype)
    (out,) = check(torch, lambda x: F.adaptive_max_pool2d(x.transpose(-2, -1), output_size),
                   lambda x: torch.nn.functional.adaptive_max_pool2d(x.transpose(-2, -1),
                                                                     output_size),
                   randn(*shape), dtype=dtype)
    assert out.grad_fn.name() == "AdaptiveMaxPool2DBackward0"


@pytest.mark.parametrize("shape, output_size", [((2, 3, 7), 3), ((1, 1, 1), 1), ((3, 5), 8)])
def test_adaptive_max_pool1d_matches_pytorch(torch, shape, output_size):
    check(torch, lambda x: F.adaptive_max_pool1d(x, output_size, return_indices=True),
          lambda x: torch.nn.functional.adaptive_max_pool1d(x, output_size, True),
          randn(*shape))


def test_adaptive_max_pool_ties_pick_the_first_maximum_like_pytorch(torch):
    """Equal values in a window: index and gradient go to the first (row-major), as in
    PyTorch; overlapping windows that pick the same element add their gradients."""
    x = RNG.integers(0, 2, (2, 2, 5, 7)).astype(np.float64)
    check(torch, lambda x: F.adaptive_max_pool2d(x, (3, 4), return_indices=True),
          lambda x: torch.nn.functional.adaptive_max_pool2d(x, (3, 4), True), x)
    check(torch, lambda x: F.adaptive_max_pool1d(x, 2, return_indices=True),
          lambda x: torch.nn.functional.adaptive_max_pool1d(x, 2, True),
          np.array([[[3.0, 3.0, 3.0, 1.0, 3.0]]]))


def test_adaptive_max_pool_nan_wins_but_its_index_is_the_first_nan(torch):
    """A window holding nan gives nan; our index is its first nan, PyTorch's its last (the
    documented difference)."""
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 2.0]]])
    values, indices = F.adaptive_max_pool1d(tg.tensor(x), 1, return_indices=True)
    theirs = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x), 1, True)
    assert np.isnan(values.item()) and np.isnan(theirs[0].item())
    assert (indices.item(), theirs[1].item()) == (1, 3)


def test_adaptive_max_pool_modules_and_errors(torch):
    for args in ((3,), ((2, None),), (3, True)):
        ours, theirs = nn.AdaptiveMaxPool2d(*args), torch.nn.AdaptiveMaxPool2d(*args)
        assert torch_repr(ours) == repr(theirs)
    assert torch_repr(nn.AdaptiveMaxPool1d(3, True)) == repr(torch.nn.AdaptiveMaxPool1d(3, True))
    x = randn(2, 3, 5, 4)
    values, indices = nn.AdaptiveMaxPool2d(2, return_indices=True)(tg.tensor(x))
    expected = torch.nn.AdaptiveMaxPool2d(2, return_indices=True)(torch.tensor(x))
    close(values, expected[0], 0, "values")
    close(indices, expected[1], 0, "indices")
    close(nn.AdaptiveMaxPool1d(2)(tg.tensor(x[0])), torch.nn.AdaptiveMaxPool1d(2)(
        torch.tensor(x[0])), 0, "1d module")
    tf = torch.nn.functional
    for shape, size, match, dims in [
        ((2, 3), 2, r"adaptive_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[2, 3\]", 2),
        ((1, 2, 0, 4), 2, "Expected input to have non-zero size for non-batch dimensions", 2),
        ((1, 2, 3), (2, 2), "output_size must have 1 element", 1),
        ((1, 2, 3, 3), (2, 2, 2), "output_size must have 2 element", 2),
        ((1, 2, 3, 3), (2.5, 2), "argument 'output_size' must be", 2),
        ((1, 2, 3), None, "argument 'output_size' must be", 1),
    ]:
        ours, theirs = getattr(F, f"adaptive_max_pool{dims}d"), getattr(
            tf, f"adaptive_max_pool{dims}d")
        same_error(partial(ours, tg.zeros(*shape), size),
                   partial(theirs, torch.zeros(*shape), size), match)
    same_error(lambda: F.adaptive_max_pool2d(tg.zeros(1, 2, 3, 4, dtype=tg.int64), 2),
               lambda: tf.adaptive_max_pool2d(torch.zeros(1, 2, 3, 4).long(), 2),
               "\"adaptive_max_pool2d\" not implemented for 'Long'")


# ---------------------------------------------------------------------------- unfold and fold

# input shape, kernel_size, dilation, padding, stride
BLOCKS = [
    ((2, 3, 5, 6), (2, 3), (2, 1), (1, 2), (2, 1)),
    ((1, 1, 1, 1), 1, 1, 0, 1),
    ((2, 2, 4, 3), 3, 1, 1, 2),
    ((3, 4, 4), (1, 2), 1, 0, (1, 3)),  # unbatched (C, H, W)
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, kernel, dilation, padding, stride", BLOCKS)
def test_unfold_and_fold_match_pytorch(torch, shape, kernel, dilation, padding, stride, dtype):
    options = dict(kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    tf = torch.nn.functional
    (columns,) = check(torch, lambda x: F.unfold(x, **options), lambda x: tf.unfold(x, **options),
                       randn(*shape), dtype=dtype)
    assert columns.grad_fn.name() == "Im2ColBackward0"
    size = shape[-2:]
    (out,) = check(torch, lambda c: F.fold(c, size, **options),
                   lambda c: tf.fold(c, size, **options), randn(*columns.shape), dtype=dtype)
    assert out.grad_fn.name() == "Col2ImBackward0" and out.is_contiguous()


def test_unfold_of_a_non_contiguous_input_and_fold_is_its_adjoint(torch):
    tf = torch.nn.functional
    check(torch, lambda x: F.unfold(x.permute(0, 3, 1, 2), (2, 2), stride=2),
          lambda x: tf.unfold(x.permute(0, 3, 1, 2), (2, 2), stride=2), randn(2, 4, 5, 3))
    x, options = tg.tensor(randn(2, 3, 6, 5)), dict(kernel_size=(3, 2), dilation=(1, 2),
                                                    padding=1, stride=(2, 1))
    columns = F.unfold(x, **options)
    y = tg.tensor(randn(*columns.shape))
    left, right = (columns * y).sum().item(), (x * F.fold(y, (6, 5), **options)).sum().item()
    assert math.isclose(left, right, rel_tol=1e-12), f"<unfold x, y> {left} vs <x, fold y> {right}"


def test_unfold_then_matmul_is_conv2d():
    x, w = tg.tensor(randn(2, 3, 5, 4)), tg.tensor(randn(4, 3, 2, 3))
    columns = F.unfold(x, (2, 3), padding=1, stride=(2, 1))  # (2, 18, L)
    product = (w.view(4, -1) @ columns).view(2, 4, 3, 4)
    expected = F.conv2d(x, w, padding=1, stride=(2, 1))
    close(product, expected.numpy(), 1e-12, "unfold @ weight vs conv2d")


def test_unfold_fold_modules_and_errors(torch):
    for ours, theirs in [(nn.Unfold(2, dilation=(1, 2), padding=1, stride=2),
                          torch.nn.Unfold(2, dilation=(1, 2), padding=1, stride=2)),
                         (nn.Unfold((2, 3)), torch.nn.Unfold((2, 3))),
                         (nn.Fold((4, 5), 2, dilation=(1, 2), padding=1, stride=2),
                          torch.nn.Fold((4, 5), 2, dilation=(1, 2), padding=1, stride=2)),
                         (nn.Fold(3, 2), torch.nn.Fold(3, 2))]:
        assert torch_repr(ours) == repr(theirs)
    x = randn(1, 2, 4, 5)
    close(nn.Unfold(2, padding=1)(tg.tensor(x)), torch.nn.Unfold(2, padding=1)(torch.tensor(x)),
          0, "Unfold module")
    c = randn(2, 8, 12)
    close(nn.Fold((4, 5), 2)(tg.tensor(c)), torch.nn.Fold((4, 5), 2)(torch.tensor(c)), 1e-12,
          "Fold module")
    tf = torch.nn.functional
    for shape, args, kwargs, match in [
        ((1, 1, 3, 4, 5), (2,), {}, "Expected 3D or 4D .batch mode. tensor"),
        ((1, 3, 0, 5), (1,), {}, "Expected 3D or 4D .batch mode. tensor"),
        ((1, 3, 4, 5), (6,), {}, "calculated shape of the array of sliding blocks as"),
        ((1, 3, 4, 5), (2,), {"stride": 0}, "stride should be greater than zero"),
        ((1, 3, 4, 5), (2,), {"padding": -1}, "padding should be non-negative"),
        ((1, 3, 4, 5), (2,), {"dilation": 0}, "dilation should be greater than zero"),
        ((1, 3, 4, 5), ((2, 2, 2),), {}, "It is expected kernel_size equals to 2, but got size 3"),
    ]:
        same_error(partial(F.unfold, tg.zeros(*shape), *args, **kwargs),
                   partial(tf.unfold, torch.zeros(*shape), *args, **kwargs), match)
    for shape, args, match in [
        ((2, 12, 11), ((4, 5), 2), "calculated number of sliding blocks 3 . 4 = 12 .* "
         r"input.size\(2\)=11"),
        ((2, 13, 12), ((4, 5), 2), "divisible by the product of kernel_size"),
        ((2, 12, 12), ((4, 5, 3), 2), "It is expected output_size equals to 2"),
        ((2, 12, 12, 1), ((4, 5), 2), "Expected 2D or 3D .batch mode. tensor"),
        ((2, 12, 12), ((1, 1), 2), "sliding blocks 0 . 0 = 0"),
    ]:
        same_error(partial(F.fold, tg.zeros(*shape), *args),
                   partial(tf.fold, torch.zeros(*shape), *args), match)
    same_error(lambda: F.unfold(tg.zeros(1, 2, 3, 3, dtype=tg.int64), 2),
               lambda: tf.unfold(torch.zeros(1, 2, 3, 3).long(), 2), "not implemented for 'Long'")


# ---------------------------------------------------------------------------- pixel shuffle


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, factor", [((2, 8, 3, 2), 2), ((2, 1, 9, 1, 3), 3),
                                           ((4, 1, 1), 1), ((1, 4, 2, 2), 2)])
def test_pixel_shuffle_and_unshuffle_match_pytorch(torch, shape, factor, dtype):
    tf = torch.nn.functional
    (out,) = check(torch, lambda x: F.pixel_shuffle(x, factor),
                   lambda x: tf.pixel_shuffle(x, factor), randn(*shape), dtype=dtype)
    assert out.grad_fn.name() == "PixelShuffleBackward0"
    (back,) = check(torch, lambda x: F.pixel_unshuffle(x, factor),
                    lambda x: tf.pixel_unshuffle(x, factor), randn(*out.shape), dtype=dtype)
    assert back.grad_fn.name() == "PixelUnshuffleBackward0"
    x = tg.tensor(randn(*shape))
    close(F.pixel_unshuffle(F.pixel_shuffle(x, factor), factor), x.numpy(), 0, "round trip")


def test_pixel_shuffle_of_an_empty_batch(torch):
    """Forward only: PyTorch 2.13's PixelShuffleBackward0 fails on an empty batch."""
    x = np.zeros((0, 4, 2, 2))
    close(F.pixel_shuffle(tg.tensor(x), 2), torch.nn.functional.pixel_shuffle(
        torch.tensor(x), 2), 0, "empty batch")


def test_pixel_shuffle_of_non_contiguous_and_integer_input(torch):
    tf = torch.nn.functional
    check(torch, lambda x: F.pixel_shuffle(x.transpose(-1, -2), 2),
          lambda x: tf.pixel_shuffle(x.transpose(-1, -2), 2), randn(1, 4, 3, 2))
    check(torch, lambda x: F.pixel_unshuffle(x[:, ::2], 2),
          lambda x: tf.pixel_unshuffle(x[:, ::2], 2), randn(1, 4, 2, 4))
    ints = np.arange(32).reshape(2, 4, 2, 2)
    close(F.pixel_shuffle(tg.tensor(ints), 2), tf.pixel_shuffle(torch.tensor(ints), 2), 0,
          "int64")


def test_pixel_shuffle_modules_and_errors(torch):
    assert torch_repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))
    assert torch_repr(nn.PixelUnshuffle(2)) == repr(torch.nn.PixelUnshuffle(2))
    x = randn(1, 4, 2, 3)
    close(nn.PixelShuffle(2)(tg.tensor(x)), torch.nn.PixelShuffle(2)(torch.tensor(x)), 0,
          "PixelShuffle")
    close(nn.PixelUnshuffle(2)(tg.tensor(x[:, :, :, :2])),
          torch.nn.PixelUnshuffle(2)(torch.tensor(x[:, :, :, :2])), 0, "PixelUnshuffle")
    tf = torch.nn.functional
    for name, shape, factor, match in [
        ("pixel_shuffle", (2, 3, 3), 2, re.escape("input.size(-3)=2 is not divisible by 4")),
        ("pixel_shuffle", (3, 3), 2, "expects input to have at least 3 dimensions"),
        ("pixel_shuffle", (2, 8, 3, 3), 0, "expects a positive upscale_factor, but got 0"),
        ("pixel_shuffle", (2, 8, 3, 3), 2.0, "must be int, not float"),
        ("pixel_unshuffle", (2, 2, 3, 4), 2, re.escape("height to be divisible by "
                                                      "downscale_factor, but input.size(-2)=3")),
        ("pixel_unshuffle", (2, 2, 4, 3), 2, "width to be divisible by downscale_factor"),
        ("pixel_unshuffle", (2, 2, 4, 4), -1, "expects a positive downscale_factor"),
    ]:
        same_error(partial(getattr(F, name), tg.zeros(*shape), factor),
                   partial(getattr(tf, name), torch.zeros(*shape), factor), match)


def test_empty_batches_and_empty_outputs_have_pytorchs_shapes(torch):
    tf = torch.nn.functional
    for ours, theirs in [
        (F.conv_transpose2d(tg.zeros(0, 4, 5, 5), tg.zeros(4, 2, 3, 3)),
         tf.conv_transpose2d(torch.zeros(0, 4, 5, 5), torch.zeros(4, 2, 3, 3))),
        (F.adaptive_max_pool2d(tg.zeros(0, 2, 3, 4), 2), tf.adaptive_max_pool2d(
            torch.zeros(0, 2, 3, 4), 2)),
        (F.adaptive_max_pool2d(tg.zeros(1, 2, 3, 4), (0, 2)), tf.adaptive_max_pool2d(
            torch.zeros(1, 2, 3, 4), (0, 2))),
        (F.unfold(tg.zeros(0, 3, 4, 5), 2), tf.unfold(torch.zeros(0, 3, 4, 5), 2)),
        (F.fold(tg.zeros(0, 12, 12), (4, 5), 2), tf.fold(torch.zeros(0, 12, 12), (4, 5), 2)),
    ]:
        close(ours, theirs, 0, f"shape {tuple(theirs.shape)}")
