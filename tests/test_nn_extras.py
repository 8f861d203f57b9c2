"""ParameterList/Dict, attention (F.scaled_dot_product_attention, nn.MultiheadAttention),
Upsample and the padding layers, PReLU/Hardswish/Hardsigmoid, CosineSimilarity and
PairwiseDistance, nn.utils.rnn.pad_sequence and full backward hooks: outputs, gradients,
repr, state_dict keys and errors against PyTorch (skipped without it), in float64."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
from tinygrad_edu.nn.utils.rnn import pad_sequence

RNG = np.random.default_rng(7)


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def close(ours, theirs, atol: float, what: str) -> None:
    a = ours.detach().numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs PyTorch {b.dtype}"
    if a.dtype == bool or a.dtype.kind in "iu":
        assert (a == b).all(), what
        return
    assert (np.isnan(a) == np.isnan(b)).all(), f"{what}: nan in different places"
    good = ~np.isnan(a)
    error = float(np.abs(a[good] - b[good]).max()) if good.any() else 0.0
    assert error <= atol, f"{what}: max abs error {error:.3g} > {atol:g}"


def flat(value) -> list:
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in flat(item)]
    return [value]


def sync(torch, ours, theirs) -> None:
    """theirs and ours in float64, ours with theirs' weights."""
    theirs.double()
    ours.double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def check(torch, ours_fn, theirs_fn, *arrays: np.ndarray, ours=None, theirs=None,
          atol: float = 1e-10) -> list:
    """Run ours_fn and theirs_fn on the same arrays (float ones require grad), compare every
    output, backward one random projection of all of them, compare the gradients of the
    inputs and (modules given) of every parameter. Returns our outputs."""
    if ours is not None:
        sync(torch, ours, theirs)
    ours_in = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ours_out, theirs_out = flat(ours_fn(*ours_in)), flat(theirs_fn(*theirs_in))
    assert len(ours_out) == len(theirs_out)
    total_ours, total_theirs = 0, 0
    for k, (a, b) in enumerate(zip(ours_out, theirs_out)):
        if b is None:
            assert a is None, f"output {k}: PyTorch gives None"
            continue
        close(a, b, atol, f"output {k}")
        if b.requires_grad:
            assert a.requires_grad, f"output {k} does not require grad"
            seed = np.where(np.isnan(b.detach().numpy()), 0.0, randn(*b.shape))
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
            close(a.grad, b.grad, atol, f"input {k} grad")
    if ours is not None:
        theirs_params = dict(theirs.named_parameters())
        assert [n for n, _ in ours.named_parameters()] == list(theirs_params)
        for name, parameter in ours.named_parameters():
            expected = theirs_params[name].grad
            if expected is None:
                assert parameter.grad is None or not parameter.grad.numpy().any(), name
            else:
                close(parameter.grad, expected, atol, f"{name} grad")
    return ours_out


def torch_repr(module) -> str:
    return repr(module).replace("tinygrad_edu.", "torch.")


# ---------------------------------------------------------------------------- ParameterList


def test_parameter_list_registers_like_pytorch(torch):
    shapes = [(2, 3), (4,), (1, 1, 2)]
    ours = nn.ParameterList(nn.Parameter(tg.zeros(*s)) for s in shapes)
    theirs = torch.nn.ParameterList(torch.nn.Parameter(torch.zeros(*s)) for s in shapes)
    ours.append(tg.ones(5))  # a plain tensor becomes a Parameter
    theirs.append(torch.ones(5))
    ours.extend([tg.ones(1, dtype=tg.float64), "text"])
    theirs.extend([torch.ones(1, dtype=torch.float64), "text"])
    assert isinstance(ours[3], nn.Parameter) and ours[3].requires_grad
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "2", "3", "4"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert torch_repr(ours) == repr(theirs)
    assert len(ours) == 6 and ours[-1] == "text" and ours[-2] is ours[4]
    assert isinstance(ours[1:3], nn.ParameterList) and list(ours[1:3]) == [ours[1], ours[2]]
    ours[0] = tg.full((2,), 3.0)
    assert isinstance(ours[0], nn.Parameter) and ours.state_dict()["0"].tolist() == [3.0, 3.0]
    assert torch_repr(nn.ParameterList([nn.Parameter(tg.zeros(2))])) == repr(
        torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2))]))


def test_parameter_list_inside_a_model_trains(torch):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList([nn.Parameter(tg.ones(3)) for _ in range(2)])

        def forward(self, x):
            return sum((x * w).sum() for w in self.weights)

    model = Model()
    assert list(model.state_dict()) == ["weights.0", "weights.1"]
    model(tg.tensor([1.0, 2.0, 3.0])).backward()
    assert model.weights[1].grad.tolist() == [1.0, 2.0, 3.0]
    assert "(weights): ParameterList(" in repr(model)


def test_parameter_list_errors(torch):
    ours, theirs = nn.ParameterList([tg.zeros(1)]), torch.nn.ParameterList([torch.zeros(1)])
    for index in (1, -2):
        with pytest.raises(IndexError) as expected:
            theirs[index]
        with pytest.raises(IndexError, match=f"^{re.escape(str(expected.value))}$"):
            ours[index]
    with pytest.raises(TypeError, match="should be called with an iterable, but got Tensor"):
        ours.extend(tg.zeros(2))
    with pytest.raises(TypeError, match="should be called with an iterable, but got int"):
        ours.extend(3)
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        ours(tg.zeros(1))


# ---------------------------------------------------------------------------- ParameterDict


def test_parameter_dict_like_pytorch(torch):
    values = {"b": (2, 3), "a": (4,), "c": (1,)}
    ours = nn.ParameterDict({k: tg.zeros(*s) for k, s in values.items()})
    theirs = torch.nn.ParameterDict({k: torch.zeros(*s) for k, s in values.items()})
    assert list(ours.keys()) == list(theirs.keys()) == ["a", "b", "c"]  # a dict: sorted
    ours.update([("z", tg.ones(2, dtype=tg.float64)), ("y", 5)])  # pairs: in order
    theirs.update([("z", torch.ones(2, dtype=torch.float64)), ("y", 5)])
    assert list(ours) == list(theirs) == ["a", "b", "c", "z", "y"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert torch_repr(ours) == repr(theirs)
    assert all(isinstance(v, nn.Parameter) for k, v in ours.items() if k != "y")
    assert "a" in ours and "q" not in ours and ours.get("q", 1) == 1 and len(ours) == 5
    assert ours.pop("b").shape == (2, 3) and "b" not in ours and "b" not in ours.state_dict()
    assert ours.popitem()[0] == theirs.popitem()[0] == "y"
    ours.setdefault("n", tg.zeros(1))
    assert isinstance(ours["n"], nn.Parameter)
    merged = ours | nn.ParameterDict({"extra": tg.zeros(1)})
    assert list(merged) == list(ours) + ["extra"]
    ours.clear()
    assert len(ours) == 0 and list(ours.parameters()) == []


def test_parameter_dict_errors(torch):
    ours, theirs = nn.ParameterDict(), torch.nn.ParameterDict()
    for function in (lambda d: d[1], lambda d: d.update(3), lambda d: d.update([(1, 2, 3)]),
                     lambda d: d({})):
        with pytest.raises(Exception) as expected:
            function(theirs)
        with pytest.raises(type(expected.value),
                           match=f"^{re.escape(str(expected.value))}$"):
            function(ours)


# ---------------------------------------------------------------------------- attention


def sdpa_pair(torch, **options):
    def ours(*xs):
        return F.scaled_dot_product_attention(*xs, **options)

    def theirs(*xs):
        return torch.nn.functional.scaled_dot_product_attention(*xs, **options)

    return ours, theirs


@pytest.mark.parametrize("shapes", [((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7)),
                                    ((1, 1, 1, 4), (1, 1, 3, 4), (1, 1, 3, 2)),
                                    ((5, 4), (6, 4), (6, 3)),
                                    ((2, 1, 5, 4), (3, 6, 4), (3, 6, 2))])
def test_sdpa_matches_pytorch(torch, shapes):
    arrays = [randn(*s) for s in shapes]
    check(torch, *sdpa_pair(torch), *arrays)
    check(torch, *sdpa_pair(torch, scale=0.3), *arrays)
    check(torch, *sdpa_pair(torch, is_causal=True), *arrays)


def test_sdpa_masks(torch):
    q, k, v = randn(2, 2, 4, 3), randn(2, 2, 5, 3), randn(2, 2, 5, 3)
    keep = RNG.random((4, 5)) > 0.4
    keep[1] = False  # a query that may attend to nothing: zeros, no nan
    keep[2] = True
    for mask in (keep, keep[None, None].repeat(2, 0)):
        out = check(torch, lambda *xs, m=mask: F.scaled_dot_product_attention(*xs, tg.tensor(m)),
                    lambda *xs, m=mask: torch.nn.functional.scaled_dot_product_attention(
                        *xs, torch.tensor(m)), q, k, v)
        assert not out[0][:, :, 1].detach().numpy().any()
    additive = randn(2, 1, 4, 5)
    additive[0, 0, 3] = -np.inf  # fully masked row of a float mask
    additive[1, 0, 0, :2] = -np.inf
    check(torch, lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m),
          lambda q, k, v, m: torch.nn.functional.scaled_dot_product_attention(q, k, v, m),
          q, k, v, additive)


def test_sdpa_non_contiguous_and_gqa(torch):
    q, k, v = randn(2, 5, 4, 3), randn(2, 6, 2, 3), randn(2, 6, 2, 3)  # (N, L, H, E)

    def run(sdpa, *xs):
        return sdpa(*(x.transpose(1, 2) for x in xs), enable_gqa=True)

    check(torch, lambda *xs: run(F.scaled_dot_product_attention, *xs),
          lambda *xs: run(torch.nn.functional.scaled_dot_product_attention, *xs), q, k, v)
    check(torch, *sdpa_pair(torch, enable_gqa=True, is_causal=True),
          randn(1, 6, 3, 4), randn(1, 3, 3, 4), randn(1, 1, 3, 4))


def test_sdpa_dropout():
    q, k, v = (tg.tensor(randn(2, 8, 16)) for _ in range(3))
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy().any()
    tg.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, tg.ones(2, 8, 16, dtype=tg.float64),
                                             dropout_p=0.5)
    # the output rows are sums of kept weights / 0.5: each 1/0.5 times a random share of 1
    assert dropped.shape == (2, 8, 16) and not np.allclose(dropped.numpy(), 1.0)
    assert abs(float(dropped.mean()) - 1.0) < 0.25


def test_sdpa_errors(torch):
    q, k, v = randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 4)
    cases = [((q, k, v), dict(attn_mask=np.ones((3, 5), bool), is_causal=True)),
             ((q, k, v), dict(attn_mask=np.zeros((3, 5), np.int64))),
             ((q, k.astype(np.float32), v), {}),
             ((randn(1, 6, 3, 4), randn(1, 4, 5, 4), randn(1, 4, 5, 4)), dict(enable_gqa=True))]
    for arrays, options in cases:
        def call(library, function, arrays=arrays, options=options):
            converted = {k: library.tensor(o) if isinstance(o, np.ndarray) else o
                         for k, o in options.items()}
            return function(*(library.tensor(a) for a in arrays), **converted)

        with pytest.raises(RuntimeError) as expected:
            call(torch, torch.nn.functional.scaled_dot_product_attention)
        with pytest.raises(RuntimeError, match=f"^{re.escape(str(expected.value))}$"):
            call(tg, F.scaled_dot_product_attention)


# ---------------------------------------------------------------------------- multi-head


def mha_pair(torch, *args, **kwargs):
    return nn.MultiheadAttention(*args, **kwargs), torch.nn.MultiheadAttention(*args, **kwargs)


def tensors(library, options: dict) -> dict:
    return {k: library.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}


def check_mha(torch, ours, theirs, query, key, value, atol=1e-10, **options):
    theirs.train()  # no fast path (training mode); dropout 0 in these tests
    return check(torch, lambda q, k, v: ours(q, k, v, **tensors(tg, options)),
                 lambda q, k, v: theirs(q, k, v, **tensors(torch, options)),
                 query, key, value, ours=ours, theirs=theirs, atol=atol)


@pytest.mark.parametrize("config", [dict(), dict(batch_first=True), dict(bias=False),
                                    dict(kdim=3, vdim=5), dict(add_bias_kv=True),
                                    dict(add_zero_attn=True)])
def test_mha_matches_pytorch(torch, config):
    ours, theirs = mha_pair(torch, 6, 2, **config)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    kdim, vdim = config.get("kdim", 6), config.get("vdim", 6)
    first = config.get("batch_first", False)

    def shape(n, length, e):
        return (n, length, e) if first else (length, n, e)

    query, key, value = randn(*shape(3, 4, 6)), randn(*shape(3, 5, kdim)), \
        randn(*shape(3, 5, vdim))
    check_mha(torch, ours, theirs, query, key, value)
    check_mha(torch, ours, theirs, query, key, value, need_weights=False)
    check_mha(torch, ours, theirs, query, key, value, average_attn_weights=False)


def test_mha_self_attention_batch_one_and_unbatched(torch):
    ours, theirs = mha_pair(torch, 4, 4)
    x = randn(1, 3, 4)
    check(torch, lambda x: ours(x, x, x), lambda x: theirs(x, x, x), x, ours=ours,
          theirs=theirs)
    x = randn(3, 4)
    check_mha(torch, ours, theirs, x, x, x, key_padding_mask=np.array([False, True, False]))
    check_mha(torch, ours, theirs, x, randn(5, 4), randn(5, 4), need_weights=False,
              attn_mask=randn(4, 3, 5))


def test_mha_masks(torch):
    ours, theirs = mha_pair(torch, 6, 3)
    query, memory = randn(4, 2, 6), randn(5, 2, 6)
    blocked = RNG.random((4, 5)) > 0.6
    blocked[:, 0] = False
    padding = np.array([[False, False, True, False, True], [False] * 5])
    causal = np.triu(np.ones((4, 4), bool), 1)
    for need_weights in (True, False):
        check_mha(torch, ours, theirs, query, memory, memory, attn_mask=blocked,
                  need_weights=need_weights)
        check_mha(torch, ours, theirs, query, memory, memory, attn_mask=randn(6, 4, 5),
                  key_padding_mask=padding, need_weights=need_weights)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                             "attn_mask is deprecated"):
            check_mha(torch, ours, theirs, query, memory, memory, key_padding_mask=padding,
                      attn_mask=np.where(blocked, -np.inf, 0.0), need_weights=need_weights)
        check_mha(torch, ours, theirs, query, query, query, attn_mask=causal, is_causal=True,
                  need_weights=need_weights)


def test_mha_non_contiguous_input(torch):
    ours, theirs = mha_pair(torch, 4, 2, batch_first=True)
    x = randn(5, 2, 4)  # (L, N, E) given to a batch_first module as a transposed view
    check(torch, lambda x: ours(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1)),
          lambda x: theirs(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1)), x,
          ours=ours, theirs=theirs)


def test_mha_init_and_dropout():
    tg.manual_seed(0)
    module = nn.MultiheadAttention(32, 4, dropout=0.5)
    bound = math.sqrt(6 / (32 + 96))  # xavier_uniform_ on (3 E, E)
    weight = module.in_proj_weight.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert not module.in_proj_bias.detach().numpy().any()
    assert not module.out_proj.bias.detach().numpy().any()
    assert np.abs(module.out_proj.weight.detach().numpy()).max() <= 1 / math.sqrt(32)
    assert module.bias_k is None and module.q_proj_weight is None
    separate = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert separate.in_proj_weight is None and separate.k_proj_weight.shape == (4, 3)
    assert separate.bias_k.shape == (1, 1, 4)
    x = tg.randn(3, 2, 32)
    module.eval()
    first = module(x, x, x)[0].detach().numpy()
    assert np.array_equal(first, module(x, x, x)[0].detach().numpy())  # eval: no dropout
    module.train()
    assert not np.allclose(module(x, x, x)[0].detach().numpy(), first)


def test_mha_errors(torch):
    for args in ((5, 2), (0, 1), (4, -1)):
        with pytest.raises((AssertionError, ValueError)) as expected:
            torch.nn.MultiheadAttention(*args)
        with pytest.raises(type(expected.value), match=f"^{re.escape(str(expected.value))}$"):
            nn.MultiheadAttention(*args)
    ours, theirs = mha_pair(torch, 4, 2)
    sync(torch, ours, theirs)
    q = randn(3, 2, 4)
    for options in (dict(attn_mask=np.zeros((3, 4))), dict(attn_mask=np.zeros((2, 3, 3))),
                    dict(key_padding_mask=np.zeros((2, 3), np.int64)),
                    dict(is_causal=True), dict(attn_mask=np.zeros((1, 1, 3, 3)))):
        with pytest.raises((AssertionError, RuntimeError)) as expected:
            theirs(*(torch.tensor(q),) * 3, **tensors(torch, options))
        message = str(expected.value).replace("torch.Size", "tinygrad_edu.Size")
        with pytest.raises(type(expected.value), match=f"^{re.escape(message)}$"):
            ours(*(tg.tensor(q),) * 3, **tensors(tg, options))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        ours(tg.tensor(q), tg.tensor(q[0]), tg.tensor(q))


# ---------------------------------------------------------------------------- shape layers


@pytest.mark.parametrize("name, args, shape", [
    ("Upsample", dict(scale_factor=2), (1, 2, 3, 5)),
    ("Upsample", dict(size=(4, 7), mode="bilinear", align_corners=True), (2, 1, 3, 5)),
    ("Upsample", dict(scale_factor=(1.5, 2.0), mode="bilinear"), (1, 1, 3, 3)),
    ("Upsample", dict(size=5, mode="linear"), (1, 2, 3)),
    ("ZeroPad2d", dict(padding=2), (1, 2, 3, 3)),
    ("ZeroPad2d", dict(padding=(1, 0, -1, 2)), (2, 1, 3, 4)),
    ("ConstantPad1d", dict(padding=2, value=3.5), (2, 3, 4)),
    ("ConstantPad2d", dict(padding=(0, 1, 2, 0), value=-1), (3, 2, 2)),
    ("ReflectionPad1d", dict(padding=(2, 1)), (1, 2, 4)),
    ("ReflectionPad2d", dict(padding=1), (1, 1, 3, 3)),
    ("ReflectionPad2d", dict(padding=(2, 0, 1, 2)), (2, 4, 5)),
    ("ReplicationPad1d", dict(padding=3), (2, 1, 2)),
    ("ReplicationPad2d", dict(padding=(1, 2, 0, 3)), (1, 2, 2, 3)),
])
def test_shape_layers_match_pytorch(torch, name, args, shape):
    ours, theirs = getattr(nn, name)(**args), getattr(torch.nn, name)(**args)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == []
    check(torch, ours, theirs, randn(*shape))
    # non-contiguous input: the last two dims swapped
    check(torch, lambda x: ours(x.transpose(-1, -2)), lambda x: theirs(x.transpose(-1, -2)),
          randn(*shape[:-2], shape[-1], shape[-2]))


def test_shape_layer_errors(torch):
    for name, args, shape in (("ReflectionPad1d", dict(padding=3), (1, 2, 3)),
                              ("ReflectionPad2d", dict(padding=(0, 0, 2, 0)), (1, 2, 3)),
                              ("ConstantPad2d", dict(padding=1, value=0), (3,))):
        with pytest.raises((RuntimeError, ValueError)) as expected:
            getattr(torch.nn, name)(**args)(torch.zeros(*shape))
        with pytest.raises(type(expected.value),
                           match=f"^{re.escape(str(expected.value))}$"):
            getattr(nn, name)(**args)(tg.zeros(*shape))


# ---------------------------------------------------------------------------- activations


def test_prelu_matches_pytorch(torch):
    for num, shape in ((1, (4, 3)), (3, (2, 3, 4, 5)), (3, (1, 3)), (1, (5,)), (4, (2, 4, 3))):
        ours, theirs = nn.PReLU(num, init=0.1), torch.nn.PReLU(num, init=0.1)
        assert repr(ours) == repr(theirs) and list(ours.state_dict()) == ["weight"]
        assert ours.weight.tolist() == [np.float32(0.1)] * num
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(randn(num)))
        x = randn(*shape)
        x.flat[0] = 0.0  # the kink: PyTorch's gradient there is the slope's
        check(torch, ours, theirs, x, ours=ours, theirs=theirs)
    ours, theirs = nn.PReLU(4), torch.nn.PReLU(4)
    sync(torch, ours, theirs)
    check(torch, lambda x: ours(x.transpose(1, 2)), lambda x: theirs(x.transpose(1, 2)),
          randn(2, 3, 4), ours=ours, theirs=theirs)
    assert F.prelu(tg.tensor([-2.0, 3.0]), tg.tensor([0.5])).tolist() == [-1.0, 3.0]


def test_prelu_errors(torch):
    for x, w in (((2, 4), (3,)), ((3,), (3,)), ((2, 4), (1, 1))):
        with pytest.raises(RuntimeError) as expected:
            torch.nn.functional.prelu(torch.zeros(*x), torch.zeros(*w))
        with pytest.raises(RuntimeError, match=f"^{re.escape(str(expected.value))}$"):
            F.prelu(tg.zeros(*x), tg.zeros(*w))


@pytest.mark.parametrize("name", ["Hardswish", "Hardsigmoid"])
def test_hard_activations_match_pytorch(torch, name):
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    assert repr(ours) == repr(theirs)
    x = np.concatenate([np.array([-3.0, 3.0, -4.0, 4.0, 0.0, -2.999, 2.5]), randn(9) * 3])
    # PyTorch's hardsigmoid gradient is 1/6 rounded to float32 (see F.hardsigmoid)
    atol = 1e-8 if name == "Hardsigmoid" else 1e-10
    check(torch, ours, theirs, x.reshape(4, 4), atol=atol)
    check(torch, lambda x: ours(x.t()), lambda x: theirs(x.t()), x.reshape(4, 4), atol=atol)
    ours_inplace = getattr(nn, name)(inplace=True)
    values = tg.tensor(x)
    result = ours_inplace(values)
    assert result is values
    close(values, getattr(torch.nn.functional, name.lower())(torch.tensor(x)), 1e-12, name)
    check(torch, lambda x: ours_inplace(x * 1.0), lambda x: getattr(torch.nn, name)(True)(x * 1.0),
          x, atol=atol)


@pytest.mark.parametrize("dim, shapes", [(1, ((4, 3), (4, 3))), (0, ((5, 2), (5, 1))),
                                         (-1, ((2, 1, 3), (4, 3))), (0, ((3,), (3,)))])
def test_cosine_similarity_matches_pytorch(torch, dim, shapes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    a.flat[:3] *= 1e-10  # norms under eps: clamped (the value only, as PyTorch)
    ours, theirs = nn.CosineSimilarity(dim), torch.nn.CosineSimilarity(dim)
    assert repr(ours) == repr(theirs)
    check(torch, ours, theirs, a, b, atol=1e-6)
    check(torch, lambda x, y: F.cosine_similarity(x, y, dim, eps=0.1),
          lambda x, y: torch.nn.functional.cosine_similarity(x, y, dim, eps=0.1), a, b,
          atol=1e-8)


def test_cosine_similarity_of_a_zero_vector_is_zero_with_finite_gradient(torch):
    a, b = np.zeros((2, 3)), randn(2, 3)
    out = check(torch, F.cosine_similarity, torch.nn.functional.cosine_similarity, a, b,
                atol=1e-6)  # gradients of size 1 / eps = 1e8 there
    assert out[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("p, keepdim", [(2.0, False), (1.0, True), (3.0, False),
                                        (math.inf, False)])
def test_pairwise_distance_matches_pytorch(torch, p, keepdim):
    ours = nn.PairwiseDistance(p, keepdim=keepdim)
    theirs = torch.nn.PairwiseDistance(p, keepdim=keepdim)
    assert repr(ours) == repr(theirs)
    a, b = randn(5, 4), randn(5, 4)
    b[0] = a[0]  # distance eps only: still a finite gradient
    check(torch, ours, theirs, a, b)
    check(torch, ours, theirs, randn(1, 3), randn(3))
    check(torch, lambda x, y: ours(x.t(), y.t()), lambda x, y: theirs(x.t(), y.t()),
          randn(3, 2), randn(3, 2))


# ---------------------------------------------------------------------------- pad_sequence


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_pytorch(torch, batch_first, side):
    from torch.nn.utils.rnn import pad_sequence as theirs_pad
    for lengths, tail in (((3, 1, 4), (2,)), ((2,), ()), ((1, 1), (2, 3))):
        arrays = [randn(n, *tail) for n in lengths]
        check(torch, lambda *xs: pad_sequence(xs, batch_first, -2.5, side),
              lambda *xs: theirs_pad(xs, batch_first, -2.5, side), *arrays)
    ints = [np.arange(n) for n in (2, 3)]
    close(pad_sequence([tg.tensor(a) for a in ints], True, -1.5, side),
          theirs_pad([torch.tensor(a) for a in ints], True, -1.5, side), 0, "int64")
    assert nn.utils.rnn.pad_sequence is pad_sequence


def test_pad_sequence_errors(torch):
    from torch.nn.utils.rnn import pad_sequence as theirs_pad
    for sequences, options in (([], {}), ([np.ones((2, 3)), np.ones((3, 2))], {}),
                               ([np.ones(2)], dict(padding_side="middle"))):
        with pytest.raises(RuntimeError) as expected:
            theirs_pad([torch.tensor(s) for s in sequences], **options)
        with pytest.raises(RuntimeError, match=f"^{re.escape(str(expected.value))}$"):
            pad_sequence([tg.tensor(s) for s in sequences], **options)


# ---------------------------------------------------------------------------- backward hooks


class TwoInputs:
    """A module computing (x * w + y, x.sum()) from two inputs and a flag, in either library."""

    @staticmethod
    def build(library):
        class Module(library.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = library.nn.Parameter(library.tensor([1.0, -2.0, 3.0]))

            def forward(self, x, flag, y):
                return x * self.w + y * 2, (x * x).sum()

        return Module()


def record_hooks(library, module, replace=None):
    seen = []

    def hook(mod, grad_input, grad_output):
        seen.append(("hook", mod is module, [None if g is None else g.tolist()
                                             for g in grad_input],
                     [None if g is None else g.tolist() for g in grad_output]))
        return replace(grad_input) if replace else None

    def pre_hook(mod, grad_output):
        seen.append(("pre", [None if g is None else g.tolist() for g in grad_output]))

    handles = [module.register_full_backward_hook(hook),
               module.register_full_backward_pre_hook(pre_hook)]
    return seen, handles


@pytest.mark.parametrize("y_grad", [True, False])
def test_full_backward_hook_matches_pytorch(torch, y_grad):
    runs = {}
    for library in (tg, torch):
        module = TwoInputs.build(library)
        seen, handles = record_hooks(library, module)
        x = library.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = library.tensor([0.5, 0.5, 0.5], requires_grad=y_grad)
        out, total = module(x, "flag", y)
        assert out.grad_fn.name() == "BackwardHookFunctionBackward"
        ((out * library.tensor([1.0, 2.0, 3.0])).sum() + total).backward()
        grads = (x.grad.tolist(), y.grad.tolist() if y_grad else None, module.w.grad.tolist())
        for handle in handles:
            handle.remove()
        module(x, "flag", y)[0].sum().backward()  # removed: no more calls
        runs[library.__name__] = (seen, grads)
    assert runs["tinygrad_edu"] == runs["torch"]
    assert len(runs["torch"][0]) == 2


def test_full_backward_hook_replaces_grad_input(torch):
    results = []
    for library in (tg, torch):
        module = library.nn.Linear(3, 2)
        with library.no_grad():
            module.weight.copy_(library.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        record_hooks(library, module, replace=lambda gi: (gi[0] * 10,))
        x = library.tensor([[1.0, 1.0, 1.0]], requires_grad=True)
        module(x).sum().backward()
        results.append(x.grad.tolist())
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                               "expected 1"):
            bad = library.nn.Linear(3, 2)
            bad.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
            bad(x).sum().backward()
    assert results[0] == results[1] == [[50.0, 70.0, 90.0]]


def test_full_backward_hook_with_inputs_that_need_no_grad(torch):
    runs = []
    for library in (tg, torch):
        module = library.nn.Linear(2, 1)
        seen, _ = record_hooks(library, module)
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are "
                                             "computed with respect to module outputs"):
            module(library.ones(1, 2)).sum().backward()
        runs.append([entry[:3] if entry[0] == "hook" else entry[0] for entry in seen])
        module.register_full_backward_hook(lambda m, gi, go, lib=library: (lib.ones(1, 2),))
        with pytest.raises(RuntimeError, match="where no input requires gradient should "
                                               "always return None"), \
                pytest.warns(UserWarning, match="Full backward hook is firing"):
            module(library.ones(1, 2)).sum().backward()
    assert runs[0] == runs[1] == ["pre", ("hook", True, [None])]
    with tg.no_grad():  # no graph: nothing to hook, the plain output
        assert nn.Linear(2, 1)(tg.ones(1, 2)).grad_fn is None
