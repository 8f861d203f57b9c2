"""nn.init: gains, fans, and the statistics of each initialisation; layer defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
from tinygrad_edu.nn import init


def values(tensor: tg.Tensor) -> np.ndarray:
    return tensor.detach().numpy().reshape(-1)


def test_calculate_gain_matches_pytorch(torch):
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                        ("leaky_relu", math.sqrt(5)), ("selu", None)]:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(tg.empty(6, 3, 5, 5)) == (75, 150)
    assert init._calculate_fan_in_and_fan_out(tg.empty(4, 7)) == (7, 4)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(tg.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(tg.empty(3, 3), mode="fan_avg")


def test_uniform_and_normal_statistics():
    tg.manual_seed(0)
    x = values(init.uniform_(tg.empty(200, 100), -2.0, 3.0))
    assert x.min() >= -2.0 and x.max() < 3.0 and abs(x.mean() - 0.5) < 0.05
    x = values(init.normal_(tg.empty(200, 100), 1.0, 2.0))
    assert abs(x.mean() - 1.0) < 0.05 and abs(x.std() - 2.0) < 0.05
    x = values(init.trunc_normal_(tg.empty(200, 100), std=1.0, a=-1.0, b=1.5))
    assert x.min() >= -1.0 and x.max() <= 1.5 and x.std() < 1.0


def test_constant_ones_zeros_eye():
    assert np.all(values(init.constant_(tg.empty(3, 2), 0.25)) == 0.25)
    assert np.all(values(init.ones_(tg.empty(4))) == 1)
    assert not values(init.zeros_(tg.empty(4))).any()
    assert init.eye_(tg.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
def test_xavier_and_kaiming_statistics(shape):
    tg.manual_seed(1)
    receptive = int(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    cases = [
        (init.xavier_uniform_, {"gain": 2.0}, 2.0 * math.sqrt(2 / (fan_in + fan_out)), True),
        (init.xavier_normal_, {}, math.sqrt(2 / (fan_in + fan_out)), False),
        (init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(2 / fan_in), True),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"},
         math.sqrt(2 / fan_out), False),
        (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(3 * fan_in), True),
    ]
    for function, options, std, uniform in cases:
        x = values(function(tg.empty(*shape), **options))
        assert abs(x.std() / std - 1) < 0.05, (function.__name__, x.std(), std)
        assert abs(x.mean()) < 0.1 * std
        if uniform:
            bound = math.sqrt(3) * std
            assert x.max() <= bound and x.min() >= -bound and x.max() > 0.95 * bound


def test_orthogonal():
    q = init.orthogonal_(tg.empty(3, 5), gain=2.0).numpy()
    assert np.allclose(q @ q.T, 4 * np.eye(3), atol=1e-5)


def test_init_records_no_graph_and_works_on_parameters():
    weight = nn.Parameter(tg.empty(4, 4))
    for function in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
                     init.zeros_, init.trunc_normal_, init.orthogonal_):
        assert function(weight) is weight
        assert weight.grad_fn is None and weight.requires_grad and weight.is_leaf
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(tg.empty(0, 3))


def test_generator_makes_init_repeatable():
    first = values(init.normal_(tg.empty(5), generator=tg.Generator().manual_seed(3)))
    second = values(init.normal_(tg.empty(5), generator=tg.Generator().manual_seed(3)))
    assert np.array_equal(first, second)


def test_layer_default_initialisations():
    """PyTorch's defaults: Linear/Conv U(+-1/sqrt(fan_in)) for weight and bias, Embedding
    N(0, 1), norms ones and zeros, recurrent U(+-1/sqrt(hidden))."""
    tg.manual_seed(2)
    linear = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = values(linear.weight)
    assert w.max() <= bound and w.min() >= -bound and abs(w.std() / (bound / math.sqrt(3)) - 1) \
        < 0.02
    assert np.abs(values(linear.bias)).max() <= bound
    conv = nn.Conv2d(8, 16, 3, groups=2)
    bound = 1 / math.sqrt(4 * 9)
    assert np.abs(values(conv.weight)).max() <= bound and values(conv.weight).max() > 0.9 * bound
    assert abs(values(nn.Embedding(300, 100).weight).std() - 1) < 0.02
    bn = nn.BatchNorm2d(5)
    assert np.all(values(bn.weight) == 1) and not values(bn.bias).any()
    assert np.all(values(bn.running_var) == 1) and bn.num_batches_tracked.item() == 0
    lstm = nn.LSTM(10, 25)
    assert all(np.abs(values(p)).max() <= 1 / 5 for p in lstm.parameters())
    layer_norm = nn.LayerNorm(4)
    assert np.all(values(layer_norm.weight) == 1) and not values(layer_norm.bias).any()
