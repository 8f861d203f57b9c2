"""Training utilities, against PyTorch: utils.checkpoint, autograd.functional (vjp,
jacobian), func.functional_call, nn.utils.weight_norm and nn.utils.parametrize."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
from tinygrad_edu.utils.checkpoint import checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")


def close(ours, theirs, atol: float = 1e-5) -> None:
    a = ours.detach().numpy()
    b = theirs.detach().numpy()
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    assert np.allclose(a, b, atol=atol), f"max abs error {np.abs(a - b).max():.3g}"


def copy_weights(ours: nn.Module, theirs) -> None:
    """Give our module PyTorch's parameter values (same names)."""
    state = {k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


def mlp(dropout: float = 0.0) -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(dropout), nn.Linear(8, 3))


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Dropout(0.0),
                               torch.nn.Linear(8, 3))


def saved_activations(tensor: tg.Tensor) -> int:
    """Distinct memories saved by the nodes reachable from tensor.grad_fn, parameters left
    out (they live anyway): the activations that backward keeps alive."""
    seen, stack, memories = set(), [tensor.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for saved in getattr(node, "_saved", None) or ():
            if saved is not None and not isinstance(saved, nn.Parameter):
                memories.add(id(saved._storage))
        stack.extend(child for child, _ in getattr(node, "next_functions", ()))
    return len(memories)


# ---------------------------------------------------------------------------- checkpoint


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_gradients_match_pytorch(reentrant: bool) -> None:
    torch.manual_seed(0)
    theirs = torch_mlp()
    ours = mlp()
    copy_weights(ours, theirs)
    x_np = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    x_t = torch.tensor(x_np, requires_grad=True)
    theirs(x_t).pow(2).sum().backward()
    x = tg.tensor(x_np, requires_grad=True)
    loss = checkpoint(ours, x, use_reentrant=reentrant).pow(2).sum()
    assert all(p.grad is None for p in ours.parameters())
    loss.backward()
    close(x.grad, x_t.grad)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert p.grad is not None, f"{name} got no gradient"
        close(p.grad, q.grad)


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_dropout_same_mask_thanks_to_rng_state(reentrant: bool) -> None:
    model = mlp(dropout=0.5)
    x = tg.randn(16, 4, requires_grad=True)

    def run(checkpointed: bool, preserve: bool = True) -> list:
        x.grad = None
        model.zero_grad()
        tg.manual_seed(7)
        out = checkpoint(model, x, use_reentrant=reentrant, preserve_rng_state=preserve) \
            if checkpointed else model(x)
        loss = out.pow(2).sum()
        loss.backward()
        return [loss.item(), x.grad.numpy().copy()] + [p.grad.numpy().copy()
                                                        for p in model.parameters()]

    plain = run(False)
    again = run(True)
    assert plain[0] == again[0]
    for a, b in zip(plain[1:], again[1:]):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # without the RNG state the recompute draws another mask: the gradients differ
    other = run(True, preserve=False)
    assert other[0] == plain[0]  # the forward itself is the same
    assert not np.allclose(other[1], plain[1])


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_sequential_matches_plain(reentrant: bool) -> None:
    model = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.ReLU()) for _ in range(4)])
    x = tg.randn(3, 4, requires_grad=True)
    model(x).sum().backward()
    expected = [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]
    x.grad = None
    model.zero_grad()
    out = checkpoint_sequential(model, 2, x, use_reentrant=reentrant)
    out.sum().backward()
    got = [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(model, 5, x, use_reentrant=reentrant)


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_keeps_fewer_saved_tensors(reentrant: bool) -> None:
    blocks = [nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Sigmoid())
              for _ in range(3)]
    x = tg.randn(4, 8, requires_grad=True)
    plain = x
    for block in blocks:
        plain = block(plain)
    kept = x
    for block in blocks:
        kept = checkpoint(block, kept, use_reentrant=reentrant)
    # plain: x and each block's tanh and sigmoid outputs (a Linear saves its input, which is
    # one of those); checkpointed: each block's input only (x and two block outputs)
    assert saved_activations(kept) <= 3 < 7 <= saved_activations(plain), \
        (saved_activations(kept), saved_activations(plain))
    np.testing.assert_allclose(kept.detach().numpy(), plain.detach().numpy(), atol=1e-6)


def test_checkpoint_warns_like_pytorch_when_use_reentrant_is_not_passed() -> None:
    for module, ours in ((torch.utils.checkpoint, tg.utils.checkpoint),):
        for name, args in (("checkpoint", (lambda a: a * 2,)),
                           ("checkpoint_sequential", ([lambda a: a * 2], 1))):
            with warnings.catch_warnings(record=True) as theirs_w:
                warnings.simplefilter("always")
                getattr(module, name)(*args, torch.ones(2, requires_grad=True))
            with warnings.catch_warnings(record=True) as ours_w:
                warnings.simplefilter("always")
                getattr(ours, name)(*args, tg.ones(2, requires_grad=True))
            assert [str(w.message) for w in ours_w] == [str(w.message) for w in theirs_w]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # passing it: no warning
        checkpoint(lambda a: a * 2, tg.ones(2, requires_grad=True), use_reentrant=False)


def test_checkpoint_reentrant_pitfalls_as_in_pytorch() -> None:
    layer = nn.Linear(3, 2)
    x = tg.randn(2, 3)  # does not require grad
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(layer, x, use_reentrant=True)
    assert not out.requires_grad  # the parameters get no gradient: PyTorch's pitfall
    out = checkpoint(layer, x, use_reentrant=False)  # the recommended variant has no such trap
    out.sum().backward()
    assert layer.weight.grad is not None and layer.bias.grad is not None
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda a, scale=1: a * scale, x, scale=2, use_reentrant=True)


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_non_tensor_arguments_and_outputs(reentrant: bool) -> None:
    x = tg.randn(3, requires_grad=True)
    y = tg.randn(3)  # no grad wanted

    def f(a, factor, b):
        return a * b * factor, "note"

    out, note = checkpoint(f, x, 3.0, y, use_reentrant=reentrant)
    assert note == "note"
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3.0 * y.numpy(), atol=1e-6)
    assert y.grad is None


def test_checkpoint_non_reentrant_kwargs_autograd_grad_and_no_grad() -> None:
    layer = nn.Linear(3, 2)
    x = tg.randn(4, 3, requires_grad=True)

    def f(a, *, shift):
        return layer(a) + shift

    loss = checkpoint(f, x, shift=1.0, use_reentrant=False).pow(2).sum()
    gx, gw = tg.autograd.grad(loss, [x, layer.weight])
    expected = tg.autograd.grad(f(x, shift=1.0).pow(2).sum(), [x, layer.weight])
    close(gx, expected[0])
    close(gw, expected[1])
    assert layer.weight.grad is None  # autograd.grad leaves .grad alone
    with tg.no_grad():
        for reentrant in (True, False):
            assert not checkpoint(layer, x, use_reentrant=reentrant).requires_grad


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_second_backward_raises(reentrant: bool) -> None:
    x = tg.randn(3, requires_grad=True)
    loss = checkpoint(lambda a: (a.exp() * a).sum(), x, use_reentrant=reentrant)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()



@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_graph_has_no_reference_cycles(reentrant: bool) -> None:
    import gc
    import weakref

    block = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    x = tg.randn(2, 3, requires_grad=True)
    gc.disable()
    try:
        out = checkpoint(block, x, use_reentrant=reentrant)
        node = weakref.ref(out.grad_fn)
        del out
        assert node() is None, "the graph was kept alive by a reference cycle"
    finally:
        gc.enable()


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_in_place_change_of_an_input_is_caught(reentrant: bool) -> None:
    leaf = tg.randn(3, requires_grad=True)
    x = leaf * 1
    loss = checkpoint(lambda a: (a * a).sum(), x, use_reentrant=reentrant)
    with tg.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_checkpoint_non_reentrant_refuses_a_different_recompute() -> None:
    calls = []

    def moody(a):
        calls.append(1)
        return a.exp() if len(calls) == 1 else a.sin().exp()

    loss = checkpoint(moody, tg.randn(3, requires_grad=True), use_reentrant=False).sum()
    with pytest.raises(RuntimeError, match="recomputed forward made a different graph"):
        loss.backward()


# ---------------------------------------------------------------------------- autograd.functional


def pair(shape: tuple, seed: int) -> tuple:
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return tg.tensor(data), torch.tensor(data)


def test_functional_imports_as_in_pytorch() -> None:
    from tinygrad_edu.autograd.functional import jacobian, vjp

    assert tg.autograd.functional.jacobian is jacobian
    assert tg.autograd.functional.vjp is vjp


def test_jacobian_tensor_in_tensor_out_matches_pytorch() -> None:
    x, x_t = pair((3, 2), 0)
    ours = tg.autograd.functional.jacobian(lambda a: (a * a).sum(1).exp(), x)
    theirs = torch.autograd.functional.jacobian(lambda a: (a * a).sum(1).exp(), x_t)
    close(ours, theirs)
    assert not ours.requires_grad


def test_jacobian_tuple_structure_matches_pytorch() -> None:
    (a, a_t), (b, b_t) = pair((3,), 1), pair((2, 3), 2)

    def f(lib):
        return lambda u, v: ((u * v).sum(0), v.tanh(), u.sum())

    ours = tg.autograd.functional.jacobian(f(tg), (a, b))
    theirs = torch.autograd.functional.jacobian(f(torch), (a_t, b_t))
    assert len(ours) == 3 and all(len(row) == 2 for row in ours)
    for row, row_t in zip(ours, theirs):
        for block, block_t in zip(row, row_t):
            close(block, block_t)
    one_input = tg.autograd.functional.jacobian(lambda u: (u * 2, u.sum()), a)
    assert isinstance(one_input, tuple) and one_input[0].shape == (3, 3)
    one_output = tg.autograd.functional.jacobian(lambda u, v: (u * v).sum(), (a, b))
    assert isinstance(one_output, tuple) and one_output[1].shape == (2, 3)


def test_jacobian_unused_input_zeros_or_strict_error() -> None:
    a, _ = pair((2,), 3)
    b, _ = pair((3,), 4)
    block = tg.autograd.functional.jacobian(lambda u, v: u * 2, (a, b))[1]
    assert block.shape == (2, 3) and not block.numpy().any()
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1"):
        tg.autograd.functional.jacobian(lambda u, v: u * 2, (a, b), strict=True)


def test_vjp_matches_pytorch() -> None:
    (x, x_t), (v, v_t) = pair((2, 3), 5), pair((2,), 6)
    out, grad = tg.autograd.functional.vjp(lambda a: a.sin().sum(1), x, v)
    out_t, grad_t = torch.autograd.functional.vjp(lambda a: a.sin().sum(1), x_t, v_t)
    close(out, out_t)
    close(grad, grad_t)
    with pytest.raises(RuntimeError, match="The vector v can only be None"):
        tg.autograd.functional.vjp(lambda a: a * 2, x)
    _, (g1, g2) = tg.autograd.functional.vjp(lambda a, b: (a * b).sum(), (x, x * 0 + 2))
    close(g1, x * 0 + 2)
    close(g2, x)
    assert x.grad is None


def test_functional_create_graph_keeps_a_graph_and_second_derivatives_work() -> None:
    x, _ = pair((3,), 7)
    jac = tg.autograd.functional.jacobian(lambda a: a * a * a, x, create_graph=True)
    assert jac.requires_grad  # 3 a^2 on the diagonal, differentiable again
    _, vjp = tg.autograd.functional.vjp(lambda a: a * a, x, x, create_graph=True)
    assert vjp.requires_grad
    hessian = tg.autograd.functional.hessian(lambda a: (a * a * a).sum(), x)
    np.testing.assert_allclose(hessian.numpy(), np.diag(6 * x.numpy()), rtol=1e-6)


# ---------------------------------------------------------------------------- functional_call


def test_functional_call_matches_pytorch_and_gradients_reach_the_given_tensors() -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Linear(3, 2)
    ours = nn.Linear(3, 2)
    copy_weights(ours, theirs)
    w, w_t = pair((2, 3), 8)
    w.requires_grad_(True)
    w_t.requires_grad_(True)
    x, x_t = pair((4, 3), 9)
    out = tg.func.functional_call(ours, {"weight": w}, (x,))
    out_t = torch.func.functional_call(theirs, {"weight": w_t}, (x_t,))
    close(out, out_t)
    out.sum().backward()
    out_t.sum().backward()
    close(w.grad, w_t.grad)
    assert ours.weight.grad is None and ours.bias.grad is not None
    assert isinstance(ours.weight, nn.Parameter)  # the module's own weight is back
    assert nn.utils.stateless.functional_call is tg.func.functional_call


def test_functional_call_restores_on_error_and_checks_keys_like_pytorch() -> None:
    class Boom(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            raise ValueError("boom")

    model = Boom()
    original = model.fc.weight
    with pytest.raises(ValueError, match="boom"):
        tg.func.functional_call(model, {"fc.weight": tg.zeros(2, 2)}, tg.ones(1, 2))
    assert model.fc.weight is original
    for strict_keys in ({"weight": tg.zeros(2, 2), "bogus": tg.zeros(1)},
                        {"weight": tg.zeros(2, 2)}):
        with pytest.raises(RuntimeError) as ours:
            tg.func.functional_call(nn.Linear(2, 2), strict_keys, tg.ones(1, 2), strict=True)
        with pytest.raises(RuntimeError) as theirs:
            torch.func.functional_call(torch.nn.Linear(2, 2),
                                       {k: torch.zeros(v.shape) for k, v in strict_keys.items()},
                                       torch.ones(1, 2), strict=True)
        assert str(ours.value) == str(theirs.value)
    normed = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="is a parametrized tensor"):  # else silently ignored
        tg.func.functional_call(normed, {"weight": tg.zeros(2, 2)}, tg.ones(1, 2))
    out = tg.func.functional_call(normed, {"parametrizations.weight.original0": tg.zeros(2, 1)},
                                  tg.ones(1, 2))
    close(out, normed.bias.detach().reshape(1, 2))  # g = 0: the weight is zero
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        tg.func.functional_call(nn.Linear(2, 2), ({"weight": tg.zeros(2, 2)},
                                                  {"weight": tg.ones(2, 2)}), tg.ones(1, 2))


def test_functional_call_tied_weights_and_buffers() -> None:
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    model[1].weight = model[0].weight  # tied
    eye = tg.eye(2)
    x = tg.tensor([[1.0, 2.0]])
    close(tg.func.functional_call(model, {"0.weight": eye}, x), torch.tensor([[1.0, 2.0]]))
    untied = tg.func.functional_call(model, {"0.weight": eye}, x, tie_weights=False)
    close(untied, x @ model[1].weight.t())
    norm = nn.BatchNorm1d(2).eval()
    out = tg.func.functional_call(norm, {"running_mean": tg.tensor([1.0, 2.0])}, x)
    close(out, torch.zeros(1, 2), atol=1e-4)
    assert not norm.running_mean.numpy().any()


# ---------------------------------------------------------------------------- weight norm


def linear_pair(shape: tuple = (3, 4)) -> tuple:
    torch.manual_seed(1)
    theirs = torch.nn.Linear(shape[1], shape[0])
    ours = nn.Linear(shape[1], shape[0])
    copy_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_legacy_values_gradients_and_state_dict(dim) -> None:
    ours, theirs = linear_pair()
    with pytest.warns(FutureWarning, match="deprecated in favor of"):
        nn.utils.weight_norm(ours, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g",
                                                                    "weight_v"]
    close(ours.weight_g, theirs.weight_g)
    assert not isinstance(ours.weight, nn.Parameter)
    x, x_t = pair((5, 4), 10)
    close(ours(x), theirs(x_t))
    ours(x).pow(2).sum().backward()
    theirs(x_t).pow(2).sum().backward()
    close(ours.weight_g.grad, theirs.weight_g.grad, atol=1e-4)
    close(ours.weight_v.grad, theirs.weight_v.grad, atol=1e-4)
    with torch.no_grad():  # the hook recomputes the weight from g before each forward
        theirs.weight_g.mul_(2)
    with tg.no_grad():
        ours.weight_g.mul_(2)
    close(ours(x), theirs(x_t))


def test_weight_norm_legacy_errors_and_removal() -> None:
    ours, theirs = linear_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(ours)
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the "
                                               "same parameter weight"):
            nn.utils.weight_norm(ours)
    before = ours.weight.detach().numpy().copy()
    nn.utils.remove_weight_norm(ours)
    assert list(ours.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, nn.Parameter)
    np.testing.assert_allclose(ours.weight.detach().numpy(), before, atol=1e-6)
    assert not ours._forward_pre_hooks
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        nn.utils.remove_weight_norm(ours)


def test_parametrizations_weight_norm_matches_pytorch() -> None:
    ours, theirs = linear_pair()
    nn.utils.parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert repr(ours) == repr(theirs)
    original0 = ours.parametrizations.weight.original0
    close(original0, theirs.parametrizations.weight.original0)
    x, x_t = pair((5, 4), 11)
    close(ours(x), theirs(x_t))
    ours(x).tanh().sum().backward()
    theirs(x_t).tanh().sum().backward()
    close(original0.grad, theirs.parametrizations.weight.original0.grad, atol=1e-4)
    close(ours.parametrizations.weight.original1.grad,
          theirs.parametrizations.weight.original1.grad, atol=1e-4)


# ---------------------------------------------------------------------------- parametrize


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).t()


class TorchSymmetric(torch.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).t()


class Scale(nn.Module):
    def forward(self, x):
        return x * 2

    def right_inverse(self, x):
        return x / 2


def test_register_parametrization_matches_pytorch() -> None:
    ours, theirs = linear_pair((3, 3))
    weight = ours.weight
    nn.utils.parametrize.register_parametrization(ours, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchSymmetric())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original"]
    assert ours.parametrizations.weight.original is weight  # no right_inverse: same tensor
    close(ours.weight, theirs.weight)
    np.testing.assert_allclose(ours.weight.detach().numpy(), ours.weight.detach().numpy().T)
    x, x_t = pair((2, 3), 12)
    ours(x).pow(2).sum().backward()
    theirs(x_t).pow(2).sum().backward()
    close(weight.grad, theirs.parametrizations.weight.original.grad, atol=1e-4)
    assert nn.utils.parametrize.is_parametrized(ours)
    assert nn.utils.parametrize.is_parametrized(ours, "weight")
    assert not nn.utils.parametrize.is_parametrized(ours, "bias")
    with pytest.raises(RuntimeError, match="parametrization Symmetric does not implement "
                                           "right_inverse"):
        ours.weight = tg.zeros(3, 3)
    nn.utils.parametrize.remove_parametrizations(ours, "weight")
    assert type(ours) is nn.Linear and list(ours.state_dict()) == ["bias", "weight"]
    assert ours.weight is weight and isinstance(weight, nn.Parameter)
    left = weight.detach().numpy()  # leave_parametrized: the symmetric value
    np.testing.assert_allclose(left, left.T)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        nn.utils.parametrize.remove_parametrizations(ours, "weight")


def test_parametrization_right_inverse_chain_cached_and_shape_check() -> None:
    layer = nn.Linear(2, 2)
    start = layer.weight.detach().numpy().copy()
    nn.utils.parametrize.register_parametrization(layer, "weight", Scale())
    # right_inverse at registration: the weight keeps its value, the original is half of it
    np.testing.assert_allclose(layer.weight.detach().numpy(), start, atol=1e-6)
    np.testing.assert_allclose(layer.parametrizations.weight.original.detach().numpy(), start / 2)
    layer.weight = tg.ones(2, 2)  # through right_inverse
    np.testing.assert_allclose(layer.parametrizations.weight.original.detach().numpy(), 0.5)
    nn.utils.parametrize.register_parametrization(layer, "weight", Scale())  # chained
    np.testing.assert_allclose(layer.weight.detach().numpy(), 2.0)
    assert layer.weight is not layer.weight
    with nn.utils.parametrize.cached():
        assert layer.weight is layer.weight
    assert layer.weight is not layer.weight

    class Shrink(nn.Module):
        def forward(self, x):
            return x[0]

    other = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="may not change the shape"):
        nn.utils.parametrize.register_parametrization(other, "weight", Shrink())
    assert type(other) is nn.Linear and isinstance(other.weight, nn.Parameter)
    nn.utils.parametrize.register_parametrization(other, "weight", Shrink(), unsafe=True)
    assert other.weight.shape == (2,)


@pytest.mark.parametrize("layer", ["linear", "conv_transpose"])
def test_parametrizations_spectral_norm_matches_pytorch(layer: str) -> None:
    torch.manual_seed(2)
    if layer == "linear":
        theirs, ours = torch.nn.Linear(4, 5), nn.Linear(4, 5)
        x, x_t = pair((3, 4), 13)
    else:
        theirs, ours = torch.nn.ConvTranspose1d(2, 3, 3), nn.ConvTranspose1d(2, 3, 3)
        x, x_t = pair((1, 2, 5), 13)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    nn.utils.parametrizations.spectral_norm(ours)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_weights(ours, theirs)  # the same u and v to start the power iteration from
    for _ in range(2):  # training mode: each forward runs one power-iteration step
        close(ours(x), theirs(x_t), atol=1e-4)
    close(ours.parametrizations.weight[0]._u, theirs.parametrizations.weight[0]._u, atol=1e-4)
    ours(x).pow(2).sum().backward()
    theirs(x_t).pow(2).sum().backward()
    close(ours.parametrizations.weight.original.grad,
          theirs.parametrizations.weight.original.grad, atol=1e-3)
    ours.eval()
    theirs.eval()
    sigma = np.linalg.svd(ours.weight.detach().numpy().reshape(
        ours.weight.shape[0], -1) if layer == "linear" else ours.weight.detach().numpy()
        .transpose(1, 0, 2).reshape(3, -1))[1][0]
    assert abs(sigma - 1) < 0.05, sigma
