"""Mixed precision (tinygrad_edu.amp): which dtype each op runs in under autocast, the numbers
of a training step, and GradScaler's scaling, skipping and state, all against PyTorch."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 8)).astype(np.float32)
W = RNG.standard_normal((5, 8)).astype(np.float32)
IMAGE = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
KERNEL = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)

OPS = {  # name: f(library, x, w) under autocast
    "linear": lambda L, x, w: L.nn.functional.linear(x, w),
    "matmul @": lambda L, x, w: x @ w.t(),
    "mm": lambda L, x, w: L.mm(x, w.t()),
    "bmm": lambda L, x, w: L.bmm(x.unsqueeze(0), w.t().unsqueeze(0)),
    "conv2d": lambda L, x, w: L.nn.functional.conv2d(L.tensor(IMAGE), L.tensor(KERNEL)),
    "softmax of half": lambda L, x, w: L.softmax(x.half(), -1),
    "log_softmax": lambda L, x, w: L.log_softmax(x, -1),
    "layer_norm of half": lambda L, x, w: L.nn.functional.layer_norm(x.half(), (8,)),
    "mse_loss of half": lambda L, x, w: L.nn.functional.mse_loss(x.half(), x.half()),
    "l1_loss of half": lambda L, x, w: L.nn.functional.l1_loss(x.half(), x.half()),
    "cross_entropy of half": lambda L, x, w: L.nn.functional.cross_entropy(
        x.half(), L.tensor([0, 1, 2, 3, 4, 5])),
    "bce_with_logits of half": lambda L, x, w: L.nn.functional.binary_cross_entropy_with_logits(
        x.half(), x.sigmoid().half()),
    "sdpa": lambda L, x, w: L.nn.functional.scaled_dot_product_attention(
        x.view(1, 6, 8), x.view(1, 6, 8), x.view(1, 6, 8)),
    "add of half and float": lambda L, x, w: x.half() + x,
    "relu of a half product": lambda L, x, w: (x @ w.t()).relu(),
    "float64 stays": lambda L, x, w: x.double() @ w.double().t(),
}


@pytest.mark.parametrize("name", list(OPS))
def test_op_dtypes_under_cpu_autocast_match_pytorch(name):
    results = []
    for library in (tg, torch):
        x, w = library.tensor(X), library.tensor(W)
        with library.autocast("cpu", dtype=library.float16):
            results.append(str(OPS[name](library, x, w).dtype).split(".")[-1])
    assert results[0] == results[1]


def test_training_step_under_autocast_matches_pytorch_and_grads_stay_float32():
    losses, grads = [], []
    for library in (tg, torch):
        weight = library.tensor(W, requires_grad=True)
        with library.autocast("cpu", dtype=library.float16):
            logits = library.nn.functional.linear(library.tensor(X), weight)
            loss = library.nn.functional.cross_entropy(logits, library.tensor([0, 1, 2, 3, 4, 0]))
        loss.backward()
        assert str(loss.dtype).endswith("float32") and str(weight.grad.dtype).endswith("float32")
        losses.append(loss.item())
        grads.append(weight.grad.numpy())
    assert losses[0] == pytest.approx(losses[1], rel=1e-3)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-2, atol=1e-3)


def test_nesting_decorator_and_state_queries():
    assert not tg.is_autocast_enabled("cpu")
    with tg.autocast("cpu", dtype=tg.float16):
        assert tg.is_autocast_enabled("cpu") and not tg.is_autocast_enabled()
        assert tg.get_autocast_dtype("cpu") is tg.float16
        with tg.autocast("cpu", enabled=False):
            assert not tg.is_autocast_enabled("cpu")
            assert (tg.tensor(X) @ tg.tensor(W).t()).dtype is tg.float32
        assert tg.is_autocast_enabled("cpu")
    assert not tg.is_autocast_enabled("cpu")

    @tg.autocast("cpu", dtype=tg.float16)
    def product(x, w):
        return x @ w.t()
    assert product(tg.tensor(X), tg.tensor(W)).dtype is tg.float16
    assert (tg.tensor(X) @ tg.tensor(W).t()).dtype is tg.float32


def test_unsupported_dtype_warns_and_disables_as_pytorch():
    with pytest.warns(UserWarning, match="target dtype is not supported. Disabling autocast"):
        block = tg.autocast("cpu", dtype=tg.float64)
    with block:
        assert not tg.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="no bfloat16"):  # PyTorch's CPU default
        block = tg.autocast("cpu")
    with block:
        assert not tg.is_autocast_enabled("cpu")
        assert (tg.tensor(X) @ tg.tensor(W).t()).dtype is tg.float32
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        tg.autocast(1)


def scaler_run(library, scaler_class, grads, **options):
    """Each step: set the gradients by hand (one with an inf), then step and update."""
    parameter = library.nn.Parameter(library.ones(3))
    optimizer = library.optim.SGD([parameter], lr=0.5)
    scaler = scaler_class("cpu", **options)
    record = []
    for grad in grads:
        optimizer.zero_grad()
        (scaler.scale(parameter * library.tensor(grad, dtype=library.float32))).sum().backward()
        scaler.step(optimizer)
        scaler.update()
        record.append((scaler.get_scale(), parameter.detach().numpy().copy()))
    return record, scaler.state_dict()


def test_grad_scaler_skips_overflowed_steps_backs_off_and_grows_as_pytorch():
    grads = [[1.0, 2.0, 3.0], [np.inf, 1.0, 1.0], [0.5, 0.5, 0.5], [1.0, 0.0, -1.0],
             [np.nan, 0.0, 0.0], [2.0, 2.0, 2.0]]
    ours, ours_state = scaler_run(tg, tg.amp.GradScaler, grads, init_scale=8.0,
                                  growth_interval=2)
    theirs, theirs_state = scaler_run(torch, torch.amp.GradScaler, grads, init_scale=8.0,
                                      growth_interval=2)
    for (our_scale, our_values), (their_scale, their_values) in zip(ours, theirs):
        assert our_scale == their_scale
        np.testing.assert_allclose(our_values, their_values, rtol=1e-6)
    assert {k: float(v) for k, v in ours_state.items()} == \
        {k: float(v) for k, v in theirs_state.items()}


def test_grad_scaler_unscale_errors_and_disabled_passthrough():
    parameter = tg.nn.Parameter(tg.ones(2))
    optimizer = tg.optim.SGD([parameter], lr=0.1)
    scaler = tg.amp.GradScaler("cpu")
    scaler.scale((parameter * 2).sum()).backward()
    assert parameter.grad.tolist() == [131072.0, 131072.0]
    scaler.unscale_(optimizer)  # e.g. before clip_grad_norm_
    assert parameter.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(optimizer)
    scaler.update()
    with pytest.raises(AssertionError, match="_scale is None"):
        tg.amp.GradScaler("cpu").update()
    off = tg.amp.GradScaler("cpu", enabled=False)
    loss = (parameter * 2).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}


def test_cuda_grad_scaler_without_a_gpu_warns_and_disables_as_pytorch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = tg.cuda.amp.GradScaler()
    messages = [str(w.message) for w in caught]
    assert any("deprecated" in m for m in messages)
    if not tg.cuda.is_available():
        assert any("CUDA is not available.  Disabling." in m for m in messages)
        assert not scaler.is_enabled()
    from tinygrad_edu.cuda.amp import GradScaler  # importable as a module too
    assert GradScaler is tg.cuda.amp.GradScaler
