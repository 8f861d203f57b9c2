"""nn.TransformerEncoderLayer / DecoderLayer / Encoder / Decoder / Transformer against
PyTorch (skipped without it): weights copied through state_dict, outputs and gradients in
training mode with dropout 0, outputs in evaluation mode (where PyTorch takes its fused fast
paths and, for the encoder with a padding mask, nested tensors), masks, repr, state_dict
keys and errors. float64 tightly, float32 at 5e-5 (gradients through two attention layers
add rounding; 1e-5 failed once in ~30 runs on PyTorch's random weights: these are now seeded
too)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn

RNG = np.random.default_rng(5)
D_MODEL, HEADS, FEEDFORWARD = 8, 2, 12
ATOL = {"float64": 1e-10, "float32": 5e-5}
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),  # as PyTorch warns
              pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")]


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def close(ours, theirs, atol: float, what: str) -> None:
    a = ours.detach().numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs PyTorch {b.dtype}"
    error = float(np.abs(a - b).max()) if a.size else 0.0
    assert error <= atol, f"{what}: max abs error {error:.3g} > {atol:g}"


def build(lib, kind: str, dtype: str = "float64", **options):
    """The same module from either library (no dropout), in `dtype`."""
    nn_ = lib.nn
    options = {"dropout": 0.0, **options}
    if kind == "encoder_layer":
        module = nn_.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
    elif kind == "decoder_layer":
        module = nn_.TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
    elif kind == "encoder":
        nested = options.pop("enable_nested_tensor", False)
        layer = nn_.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
        module = nn_.TransformerEncoder(layer, 2, nn_.LayerNorm(D_MODEL),
                                        enable_nested_tensor=nested)
    elif kind == "decoder":
        layer = nn_.TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, **options)
        module = nn_.TransformerDecoder(layer, 2, nn_.LayerNorm(D_MODEL))
    else:
        module = nn_.Transformer(D_MODEL, HEADS, 2, 1, FEEDFORWARD, **options)
    return module.double() if dtype == "float64" else module


def pair(torch, kind: str, dtype: str = "float64", **options):
    """(ours, theirs) with PyTorch's weights (and non-trivial LayerNorm weights) in ours."""
    torch.manual_seed(7)  # the same PyTorch weights every run (the inputs come from RNG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's enable_nested_tensor notice
        theirs = build(torch, kind, dtype, **options)
        ours = build(tg, kind, dtype, **options)
    with torch.no_grad():
        for name, parameter in theirs.named_parameters():
            if "norm" in name:
                parameter.uniform_(0.5, 1.5) if name.endswith("weight") \
                    else parameter.uniform_(-0.5, 0.5)
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in state.items()})
    return ours, theirs


def run(torch, ours, theirs, arrays: list, dtype: str = "float64", grads: bool = True,
        **masks) -> None:
    """Both modules on the same inputs (and masks: NumPy arrays, given to both); compare
    the outputs and, with grads, the gradients of the inputs and of every parameter."""
    ours_in = [tg.tensor(a, dtype=getattr(tg, dtype), requires_grad=grads) for a in arrays]
    theirs_in = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=grads)
                 for a in arrays]
    ours_masks = {k: v if v is None or isinstance(v, bool) else tg.tensor(v)
                  for k, v in masks.items()}
    theirs_masks = {k: v if v is None or isinstance(v, bool) else torch.tensor(v)
                    for k, v in masks.items()}
    if dtype == "float32":  # float masks in the inputs' dtype
        for table, lib in ((ours_masks, tg), (theirs_masks, torch)):
            for key, value in table.items():
                if hasattr(value, "dtype") and value.dtype == lib.float64:
                    table[key] = value.float()
    a = ours(*ours_in, **ours_masks)
    b = theirs(*theirs_in, **theirs_masks)
    close(a, b, ATOL[dtype], "output")
    if not grads:
        return
    seed = randn(*b.shape)
    (a * tg.tensor(seed, dtype=a.dtype)).sum().backward()
    (b * torch.tensor(seed, dtype=b.dtype)).sum().backward()
    for k, (x, y) in enumerate(zip(ours_in, theirs_in)):
        close(x.grad, y.grad, ATOL[dtype], f"input {k} grad")
    theirs_params = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        close(parameter.grad, theirs_params[name].grad, ATOL[dtype], f"{name} grad")


def causal(size: int) -> np.ndarray:
    return np.triu(np.full((size, size), -np.inf), 1)


def padding(batch: int, length: int) -> np.ndarray:
    """(batch, length) bool, True = padded: the last sample loses its last two positions."""
    mask = np.zeros((batch, length), dtype=bool)
    mask[-1, length - 2:] = True
    return mask


def torch_repr(module) -> str:
    return repr(module).replace("tinygrad_edu.", "torch.")


# ---------------------------------------------------------------------------- layers


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_trains_like_pytorch(torch, batch_first, norm_first):
    ours, theirs = pair(torch, "encoder_layer", batch_first=batch_first, norm_first=norm_first,
                        activation="gelu", layer_norm_eps=1e-3)
    assert torch_repr(ours) == repr(theirs)
    shape = (3, 5, D_MODEL) if batch_first else (5, 3, D_MODEL)
    run(torch, ours, theirs, [randn(*shape)], src_mask=causal(5),
        src_key_padding_mask=padding(3, 5))
    run(torch, ours, theirs, [randn(*shape)], src_mask=causal(5), is_causal=True)
    run(torch, ours, theirs, [randn(5, D_MODEL)])  # unbatched
    bool_mask = RNG.random((5, 5)) < 0.3
    np.fill_diagonal(bool_mask, False)
    run(torch, ours, theirs, [randn(*shape)], src_mask=bool_mask)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_encoder_layer_evaluation_matches_the_fast_path(torch, dtype):
    ours, theirs = pair(torch, "encoder_layer", dtype, batch_first=True)
    ours.eval()
    theirs.eval()
    with torch.no_grad(), tg.no_grad():  # PyTorch: the fused _transformer_encoder_layer_fwd
        run(torch, ours, theirs, [randn(2, 5, D_MODEL)], dtype, grads=False,
            src_key_padding_mask=padding(2, 5))
        run(torch, ours, theirs, [randn(1, 1, D_MODEL)], dtype, grads=False)


def test_layers_without_bias_and_with_other_activations(torch):
    ours, theirs = pair(torch, "encoder_layer", bias=False)
    assert not any("bias" in name for name in ours.state_dict())
    run(torch, ours, theirs, [randn(4, 1, D_MODEL)])
    for ours_act, theirs_act in ((tg.tanh, torch.tanh), (nn.GELU(), torch.nn.GELU())):
        ours, theirs = pair(torch, "decoder_layer", batch_first=True)
        ours.activation, theirs.activation = ours_act, theirs_act
        assert torch_repr(ours) == repr(theirs)
        run(torch, ours, theirs, [randn(2, 3, D_MODEL), randn(2, 4, D_MODEL)])
    layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, activation=nn.ReLU())
    assert layer.activation_relu_or_gelu == 1 and "(activation): ReLU()" in repr(layer)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_trains_like_pytorch(torch, norm_first):
    ours, theirs = pair(torch, "decoder_layer", norm_first=norm_first, activation="relu")
    assert torch_repr(ours) == repr(theirs)
    memory_mask = RNG.random((4, 6)) < 0.3
    memory_mask[:, 0] = False  # every query sees at least one key
    run(torch, ours, theirs, [randn(4, 3, D_MODEL), randn(6, 3, D_MODEL)],
        tgt_mask=causal(4), memory_mask=memory_mask, tgt_key_padding_mask=padding(3, 4),
        memory_key_padding_mask=padding(3, 6))
    run(torch, ours, theirs, [randn(4, 3, D_MODEL), randn(6, 3, D_MODEL)],
        tgt_mask=causal(4), tgt_is_causal=True)
    run(torch, ours, theirs, [randn(1, D_MODEL), randn(2, D_MODEL)])  # unbatched, length 1
    tgt, memory = randn(3, 4, D_MODEL), randn(3, 6, D_MODEL)  # (N, T, E): transposed views
    a = ours(tg.tensor(tgt).transpose(0, 1), tg.tensor(memory).transpose(0, 1))
    b = theirs(torch.tensor(tgt).transpose(0, 1), torch.tensor(memory).transpose(0, 1))
    close(a, b, ATOL["float64"], "non-contiguous output")


# ---------------------------------------------------------------------------- stacks


def test_encoder_and_decoder_stacks(torch):
    ours, theirs = pair(torch, "encoder", batch_first=True)
    assert torch_repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_children()] == ["layers", "norm"]
    run(torch, ours, theirs, [randn(2, 5, D_MODEL)], mask=causal(5))  # is_causal detected
    run(torch, ours, theirs, [randn(2, 5, D_MODEL)], src_key_padding_mask=padding(2, 5))
    from torch.nn.modules.transformer import _detect_is_causal_mask as theirs_detect

    from tinygrad_edu.nn.modules.transformer import _detect_is_causal_mask as ours_detect

    for mask, flag, size in ((causal(4), None, None), (causal(4), None, 3), (causal(4), False, 4),
                             (np.zeros((4, 4)), None, None), (None, True, 4), (None, None, 4)):
        theirs_mask = None if mask is None else torch.tensor(mask)
        ours_mask = None if mask is None else tg.tensor(mask)
        assert ours_detect(ours_mask, flag, size) == theirs_detect(theirs_mask, flag, size)
    ours, theirs = pair(torch, "decoder")
    assert list(ours.state_dict())[0] == "layers.0.self_attn.in_proj_weight"
    run(torch, ours, theirs, [randn(3, 2, D_MODEL), randn(5, 2, D_MODEL)], tgt_mask=causal(3),
        memory_key_padding_mask=padding(2, 5))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_encoder_nested_tensor_path_zeroes_padding(torch, dtype):
    """PyTorch, in evaluation without gradients, runs a padded batch as nested tensors:
    the padded positions come out as 0 (then the final norm). Ours does the same."""
    ours, theirs = pair(torch, "encoder", dtype, batch_first=True, enable_nested_tensor=True)
    assert theirs.use_nested_tensor and ours.use_nested_tensor
    ours.eval()
    theirs.eval()
    x, mask = randn(3, 5, D_MODEL), padding(3, 5)
    with torch.no_grad(), tg.no_grad():
        run(torch, ours, theirs, [x], dtype, grads=False, src_key_padding_mask=mask)
        with_path = ours(tg.tensor(x, dtype=getattr(tg, dtype)),
                         src_key_padding_mask=tg.tensor(mask)).numpy()
    without = ours(tg.tensor(x, dtype=getattr(tg, dtype)),
                   src_key_padding_mask=tg.tensor(mask)).detach().numpy()  # gradients on
    assert np.abs(with_path[-1, -2:] - without[-1, -2:]).max() > 1e-3  # the path differs
    assert np.allclose(with_path[:, :3], without[:, :3], atol=1e-5)  # only at the padding
    run(torch, ours, theirs, [x], dtype, src_key_padding_mask=mask)  # gradients: no path


# ---------------------------------------------------------------------------- Transformer


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_pytorch(torch, dtype, batch_first):
    ours, theirs = pair(torch, "transformer", dtype, batch_first=batch_first, norm_first=True)
    assert torch_repr(ours) == repr(theirs)
    src, tgt = (randn(2, 5, D_MODEL), randn(2, 3, D_MODEL)) if batch_first else \
        (randn(5, 2, D_MODEL), randn(3, 2, D_MODEL))
    mask = ours.generate_square_subsequent_mask(3).numpy().astype(np.float64)
    run(torch, ours, theirs, [src, tgt], dtype, tgt_mask=mask,
        src_key_padding_mask=padding(2, 5), memory_key_padding_mask=padding(2, 5))
    ours.eval()
    theirs.eval()
    with torch.no_grad(), tg.no_grad():
        run(torch, ours, theirs, [src, tgt], dtype, grads=False, tgt_mask=mask)


def test_transformer_init_mask_and_errors(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD, dropout=0.1)
    assert model.encoder.layers[0].dropout.p == 0.1 and model.d_model == D_MODEL
    weight = model.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (D_MODEL + FEEDFORWARD))  # xavier uniform on every matrix
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.5 * bound
    assert model.encoder.layers[0].linear1.bias.detach().numpy().any()  # biases: Linear's
    ours = nn.Transformer.generate_square_subsequent_mask(4, dtype=tg.float64)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    assert np.array_equal(ours.numpy(), theirs.numpy())
    for make, args in ((lambda m: m.TransformerEncoderLayer(D_MODEL, 3), ()),
                       (lambda m: m.TransformerEncoderLayer(D_MODEL, 2, activation="tanh"), ()),
                       (lambda m: m.Transformer(D_MODEL, 2, 1, 1, 4), ("batch",)),
                       (lambda m: m.Transformer(D_MODEL, 2, 1, 1, 4), ("feature",))):
        def call(lib, make=make, args=args):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = make(lib.nn)
            if args == ("batch",):
                module(lib.zeros(5, 2, D_MODEL), lib.zeros(3, 1, D_MODEL))
            elif args == ("feature",):
                module(lib.zeros(5, 2, D_MODEL), lib.zeros(3, 2, 4))

        with pytest.raises(Exception) as expected:
            call(torch)
        with pytest.raises(type(expected.value), match=f"^{re.escape(str(expected.value))}$"):
            call(tg)


def test_encoder_warns_as_pytorch_about_nested_tensors(torch):
    for options in ({}, {"batch_first": True, "norm_first": True}, {"batch_first": True}):
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(4, 1, **options), 1)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 1, **options), 1)
        expected = [str(w.message) for w in theirs if "nested" in str(w.message)]
        assert [str(w.message) for w in ours if "nested" in str(w.message)] == expected
