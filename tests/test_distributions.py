"""tinygrad_edu.distributions against torch.distributions.

Deterministic quantities (log_prob, entropy, cdf, icdf, mean, mode, variance, KL) are
compared value for value; samples come from another random stream, so they are checked
by shape, support and the mean and variance of many draws.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.distributions as D
from tinygrad_edu.distributions.kl import kl_divergence, register_kl

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(0)
LOC = RNG.normal(size=(2, 3))
SCALE = RNG.uniform(0.5, 2.0, size=(2, 3))
PROBS = RNG.uniform(0.05, 0.95, size=(2, 3))
WEIGHTS = RNG.uniform(0.1, 1.0, size=(2, 4))
COV_FACTOR = RNG.normal(size=(3, 3))
COVARIANCE = COV_FACTOR @ COV_FACTOR.T + np.eye(3)


def both(name: str, *args, **kwargs):
    """The same distribution in tinygrad_edu and torch, from float64 NumPy parameters."""
    def convert(lib, value):
        return lib.tensor(value) if isinstance(value, np.ndarray) else value

    ours = getattr(D, name)(*[convert(tg, a) for a in args],
                            **{k: convert(tg, v) for k, v in kwargs.items()})
    theirs = getattr(TD, name)(*[convert(torch, a) for a in args],
                               **{k: convert(torch, v) for k, v in kwargs.items()})
    return ours, theirs


def close(ours, theirs, atol: float = 1e-10, what: str = "", rtol: float = 1e-9) -> None:
    ours_np = np.asarray(ours.detach().numpy(), dtype=np.float64)
    theirs_np = theirs.detach().numpy().astype(np.float64)
    assert ours_np.shape == theirs_np.shape, f"{what}: shape {ours_np.shape} vs {theirs_np.shape}"
    np.testing.assert_allclose(ours_np, theirs_np, atol=atol, rtol=rtol, err_msg=what)


CASES = {
    "Normal": (("Normal", LOC, SCALE), lambda: RNG.normal(size=(5, 2, 3))),
    "Laplace": (("Laplace", LOC, SCALE), lambda: RNG.normal(size=(5, 2, 3))),
    "Exponential": (("Exponential", SCALE), lambda: RNG.exponential(size=(5, 2, 3))),
    "Uniform": (("Uniform", LOC, LOC + SCALE), lambda: LOC + SCALE * RNG.uniform(size=(5, 2, 3))),
    "Bernoulli": (("Bernoulli", PROBS), lambda: (RNG.uniform(size=(5, 2, 3)) > 0.5) * 1.0),
    "Categorical": (("Categorical", WEIGHTS), lambda: RNG.integers(0, 4, size=(5, 2))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_entropy_and_moments_match_pytorch(name):
    args, values = CASES[name]
    ours, theirs = both(*args)
    value = values()
    close(ours.log_prob(tg.tensor(value)), theirs.log_prob(torch.tensor(value)), what="log_prob")
    close(ours.entropy(), theirs.entropy(), what="entropy")
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    for moment in ["mean", "mode", "variance", "stddev"]:
        close(getattr(ours, moment), getattr(theirs, moment), what=moment)


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Exponential", "Uniform"])
def test_cdf_and_icdf_match_pytorch(name):
    args, values = CASES[name]
    ours, theirs = both(*args)
    value = values()
    close(ours.cdf(tg.tensor(value)), theirs.cdf(torch.tensor(value)), what="cdf")
    u = RNG.uniform(0.001, 0.999, size=(5, 2, 3))
    close(ours.icdf(tg.tensor(u)), theirs.icdf(torch.tensor(u)), atol=1e-9, what="icdf")


def test_normal_icdf_extremes_and_gradient():
    u = tg.tensor([0.0, 1e-8, 0.5, 1 - 1e-7, 1.0], dtype=tg.float64, requires_grad=True)
    reference = torch.tensor(u.tolist(), dtype=torch.float64, requires_grad=True)
    ours, theirs = D.Normal(0.0, 1.0).icdf(u), TD.Normal(0.0, 1.0).icdf(reference)
    close(ours, theirs, atol=1e-9, what="icdf at the ends")
    ours[1:4].sum().backward()
    theirs[1:4].sum().backward()
    close(u.grad[1:4], reference.grad[1:4], rtol=1e-6, what="d icdf / du")


def test_multivariate_normal_matches_pytorch():
    loc = RNG.normal(size=(2, 3))
    value = RNG.normal(size=(4, 2, 3))
    tril = np.linalg.cholesky(COVARIANCE)
    for keyword, matrix in [("covariance_matrix", COVARIANCE), ("scale_tril", tril),
                            ("precision_matrix", np.linalg.inv(COVARIANCE))]:
        ours, theirs = both("MultivariateNormal", loc, **{keyword: matrix})
        close(ours.log_prob(tg.tensor(value)), theirs.log_prob(torch.tensor(value)),
              atol=1e-9, what=f"{keyword}: log_prob")
        close(ours.entropy(), theirs.entropy(), atol=1e-9, what=f"{keyword}: entropy")
        for name in ["mean", "mode", "variance", "scale_tril", "covariance_matrix",
                     "precision_matrix"]:
            close(getattr(ours, name), getattr(theirs, name), atol=1e-9, what=name)
        assert tuple(ours.batch_shape) == (2,) and tuple(ours.event_shape) == (3,)


def test_one_hot_categorical_matches_pytorch():
    ours, theirs = both("OneHotCategorical", WEIGHTS)
    value = np.eye(4)[RNG.integers(0, 4, size=(5, 2))]
    close(ours.log_prob(tg.tensor(value)), theirs.log_prob(torch.tensor(value)), what="log_prob")
    close(ours.entropy(), theirs.entropy())
    for moment in ["mean", "mode", "variance"]:
        close(getattr(ours, moment), getattr(theirs, moment), what=moment)
    sample = ours.sample((6,))
    assert tuple(sample.shape) == (6, 2, 4)
    assert sample.sum(-1).tolist() == [[1.0, 1.0]] * 6


def test_logits_parameterisations_match_pytorch():
    logits = RNG.normal(size=(2, 3))
    value = (RNG.uniform(size=(2, 3)) > 0.5) * 1.0
    ours, theirs = both("Bernoulli", logits=logits)
    close(ours.log_prob(tg.tensor(value)), theirs.log_prob(torch.tensor(value)))
    close(ours.probs, theirs.probs)
    close(ours.entropy(), theirs.entropy())
    ours, theirs = both("Categorical", logits=logits)
    close(ours.logits, theirs.logits, what="normalised logits")
    close(ours.probs, theirs.probs)
    index = RNG.integers(0, 3, size=(4, 2))
    close(ours.log_prob(tg.tensor(index)), theirs.log_prob(torch.tensor(index)))
    ours, theirs = both("Categorical", probs=WEIGHTS)  # unnormalised probs are normalised
    close(ours.probs, theirs.probs)
    close(ours.logits, theirs.logits)


def test_independent_reinterprets_batch_dims():
    ours, theirs = both("Normal", LOC, SCALE)
    ours, theirs = D.Independent(ours, 1), TD.Independent(theirs, 1)
    assert tuple(ours.batch_shape) == (2,) and tuple(ours.event_shape) == (3,)
    value = RNG.normal(size=(5, 2, 3))
    close(ours.log_prob(tg.tensor(value)), theirs.log_prob(torch.tensor(value)))
    close(ours.entropy(), theirs.entropy())
    assert tuple(ours.rsample((4,)).shape) == (4, 2, 3) and ours.has_rsample
    assert repr(ours).startswith("Independent(Normal(loc: ")
    with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= "):
        D.Independent(D.Normal(tg.zeros(3), 1.0), 2)


KL_PAIRS = [
    (("Normal", LOC, SCALE), ("Normal", LOC[::-1].copy(), SCALE[::-1].copy())),
    (("Bernoulli", PROBS), ("Bernoulli", PROBS[::-1].copy())),
    (("Categorical", WEIGHTS), ("Categorical", WEIGHTS[::-1].copy())),
    (("OneHotCategorical", WEIGHTS), ("OneHotCategorical", WEIGHTS[::-1].copy())),
    (("Exponential", SCALE), ("Exponential", SCALE[::-1].copy())),
    (("Laplace", LOC, SCALE), ("Laplace", LOC[::-1].copy(), SCALE[::-1].copy())),
    (("Uniform", LOC, LOC + 1), ("Uniform", LOC - 0.5, LOC + SCALE + 0.5)),
    (("MultivariateNormal", LOC), ("MultivariateNormal", LOC[::-1].copy())),
]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=[p[0][0] for p in KL_PAIRS])
def test_kl_divergence_matches_pytorch(pair):
    (name_p, *args_p), (name_q, *args_q) = pair
    extra_p = {"covariance_matrix": COVARIANCE} if name_p == "MultivariateNormal" else {}
    extra_q = {"scale_tril": np.eye(3) * 1.5} if name_q == "MultivariateNormal" else {}
    ours_p, theirs_p = both(name_p, *args_p, **extra_p)
    ours_q, theirs_q = both(name_q, *args_q, **extra_q)
    close(kl_divergence(ours_p, ours_q), TD.kl_divergence(theirs_p, theirs_q), atol=1e-9)
    close(D.kl_divergence(ours_p, ours_p), TD.kl_divergence(theirs_p, theirs_p), atol=1e-9)


def test_kl_edge_cases_and_independent():
    p, q = D.Bernoulli(tg.tensor([0.0, 1.0, 0.5])), D.Bernoulli(tg.tensor([0.5, 0.5, 1.0]))
    tp = TD.Bernoulli(torch.tensor([0.0, 1.0, 0.5]))
    tq = TD.Bernoulli(torch.tensor([0.5, 0.5, 1.0]))
    close(kl_divergence(p, q), TD.kl_divergence(tp, tq), what="Bernoulli with 0 and 1")
    p, q = D.Categorical(tg.tensor([0.0, 0.5, 0.5])), D.Categorical(tg.tensor([0.5, 0.0, 0.5]))
    tp = TD.Categorical(torch.tensor([0.0, 0.5, 0.5]))
    tq = TD.Categorical(torch.tensor([0.5, 0.0, 0.5]))
    close(kl_divergence(p, q), TD.kl_divergence(tp, tq), what="Categorical with zeros")
    close(kl_divergence(q, p), TD.kl_divergence(tq, tp), what="KL = inf")
    ours_p, theirs_p = both("Normal", LOC, SCALE)
    ours_q, theirs_q = both("Normal", 0.0, 1.0)
    ours = kl_divergence(D.Independent(ours_p, 2), D.Independent(D.Normal(tg.zeros(2, 3), 1.0), 2))
    theirs = TD.kl_divergence(TD.Independent(theirs_p, 2),
                              TD.Independent(TD.Normal(torch.zeros(2, 3), 1.0), 2))
    close(ours, theirs, atol=1e-6)
    close(kl_divergence(ours_p, ours_q), TD.kl_divergence(theirs_p, theirs_q),
          what="KL against a broadcast scalar Normal")
    with pytest.raises(TypeError, match="reinterpreted_batch_ndims"):
        kl_divergence(D.Independent(ours_p, 1), D.Independent(ours_p, 2))
    with pytest.raises(TypeError, match="No KL"):
        kl_divergence(D.Categorical(tg.ones(3)), ours_q)


def test_register_kl_dispatches_to_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    base = kl_divergence(MyNormal(0.0, 2.0), D.Normal(1.0, 1.0))  # inherits Normal-Normal
    expected = TD.kl_divergence(TD.Normal(0.0, 2.0), TD.Normal(1.0, 1.0))
    assert abs(base.item() - expected.item()) < 1e-6

    @register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return tg.tensor(-1.0)

    assert kl_divergence(MyNormal(0.0, 2.0), D.Normal(1.0, 1.0)).item() == -1.0
    assert kl_divergence(D.Normal(0.0, 2.0), D.Normal(1.0, 1.0)).item() != -1.0
    with pytest.raises(TypeError):
        register_kl(int, D.Normal)


SAMPLERS = {
    # name: (parameters, true mean, true variance, support check)
    "Normal": ((tg.tensor([0.0, 3.0]), tg.tensor([1.0, 0.5])), [0.0, 3.0], [1.0, 0.25], None),
    "Laplace": ((tg.tensor([0.0, -2.0]), tg.tensor([1.0, 0.5])), [0.0, -2.0], [2.0, 0.5], None),
    "Exponential": ((tg.tensor([1.0, 4.0]),), [1.0, 0.25], [1.0, 1 / 16], lambda x: x >= 0),
    "Uniform": ((tg.tensor([0.0, -1.0]), tg.tensor([1.0, 3.0])), [0.5, 1.0], [1 / 12, 16 / 12],
                None),
    "Bernoulli": ((tg.tensor([0.2, 0.9]),), [0.2, 0.9], [0.16, 0.09],
                  lambda x: (x == 0) | (x == 1)),
    "MultivariateNormal": ((tg.tensor([1.0, -1.0]), tg.tensor([[2.0, 0.6], [0.6, 1.0]])),
                           [1.0, -1.0], [2.0, 1.0], None),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_samples_have_the_right_shape_moments_and_support(name):
    tg.manual_seed(0)
    params, mean, variance, in_support = SAMPLERS[name]
    dist = getattr(D, name)(*params)
    draws = dist.sample((20000,))
    assert tuple(draws.shape) == (20000, 2) and draws.grad_fn is None
    values = draws.numpy()
    assert np.abs(values.mean(0) - mean).max() < 0.05, f"sample mean {values.mean(0)}"
    assert np.abs(values.var(0) / np.array(variance) - 1).max() < 0.06, f"var {values.var(0)}"
    assert bool(dist.support.check(draws).all())
    if in_support is not None:
        assert bool(in_support(draws).all())
    if name == "Uniform":
        assert values.min() >= -1.0 and values[:, 0].max() < 1.0
    assert tuple(dist.sample().shape) == (2,)
    assert tuple(dist.sample((3, 4)).shape) == (3, 4, 2)


def test_categorical_sample_frequencies_and_shapes():
    tg.manual_seed(1)
    dist = D.Categorical(tg.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]]))
    draws = dist.sample((20000,))
    assert tuple(draws.shape) == (20000, 2) and draws.dtype == tg.int64
    counts = [np.bincount(draws.numpy()[:, i], minlength=3) / 20000 for i in range(2)]
    np.testing.assert_allclose(counts[0], [0.1, 0.2, 0.7], atol=0.015)
    np.testing.assert_allclose(counts[1], [0.5, 0.5, 0.0], atol=0.015)
    assert tuple(dist.sample((2, 5)).shape) == (2, 5, 2)
    assert tuple(D.Categorical(tg.ones(4)).sample().shape) == ()


def test_parameters_broadcast_like_pytorch():
    ours = D.Normal(tg.zeros(3, 1), tg.ones(4))
    theirs = TD.Normal(torch.zeros(3, 1), torch.ones(4))
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) == (3, 4)
    assert tuple(ours.rsample((2,)).shape) == (2, 3, 4)
    assert tuple(D.Normal(0.0, 1.0).batch_shape) == ()
    assert D.Normal(0.0, 1.0).sample((5,)).dtype == tg.float32
    assert D.Normal(tg.zeros(2, dtype=tg.float64), 1.0).sample().dtype == tg.float64
    value = tg.zeros(5, 1, 1)  # broadcasts against batch (3, 4)
    assert tuple(ours.log_prob(value).shape) == tuple(theirs.log_prob(torch.zeros(5, 1, 1)).shape)
    categorical = D.Categorical(tg.tensor(WEIGHTS))
    index = RNG.integers(0, 4, size=(5, 1))  # broadcasts against batch (2,)
    close(categorical.log_prob(tg.tensor(index)),
          TD.Categorical(torch.tensor(WEIGHTS)).log_prob(torch.tensor(index)))
    mvn = D.MultivariateNormal(tg.zeros(4, 1, 2), scale_tril=tg.eye(2).expand(3, 2, 2))
    assert tuple(mvn.batch_shape) == (4, 3) and tuple(mvn.sample((5,)).shape) == (5, 4, 3, 2)


def test_rsample_is_reparameterised():
    tg.manual_seed(0)
    loc = tg.tensor([0.5, -1.0], requires_grad=True)
    scale = tg.tensor([2.0, 0.5], requires_grad=True)
    x = D.Normal(loc, scale).rsample((3,))
    x.sum().backward()
    assert loc.grad.tolist() == [3.0, 3.0]  # d(loc + scale * eps)/d loc = 1 per draw
    eps = (x.detach() - loc.detach()) / scale.detach()
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-5)
    for name in ["Uniform", "Exponential", "Laplace", "MultivariateNormal"]:
        params = [p.detach().clone().requires_grad_(True) for p in SAMPLERS[name][0]]
        getattr(D, name)(*params).rsample((4,)).sum().backward()
        assert all(p.grad is not None for p in params), name
    assert not D.Bernoulli(tg.tensor(0.5)).has_rsample
    assert not D.Normal(loc, scale).sample((2,)).requires_grad  # sample() keeps no graph


def test_log_prob_gradient_matches_pytorch():
    loc = tg.tensor(LOC, requires_grad=True)
    scale = tg.tensor(SCALE, requires_grad=True)
    t_loc = torch.tensor(LOC, requires_grad=True)
    t_scale = torch.tensor(SCALE, requires_grad=True)
    value = RNG.normal(size=(2, 3))
    (D.Normal(loc, scale).log_prob(tg.tensor(value)).sum()
     + D.Normal(loc, scale).entropy().sum()).backward()
    (TD.Normal(t_loc, t_scale).log_prob(torch.tensor(value)).sum()
     + TD.Normal(t_loc, t_scale).entropy().sum()).backward()
    close(loc.grad, t_loc.grad)
    close(scale.grad, t_scale.grad)


def _message(error: Exception) -> str:
    return str(error).replace("torch.Size", "tinygrad_edu.Size")


@pytest.mark.parametrize("make", [
    lambda lib, d: d.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])),
    lambda lib, d: d.Uniform(1.0, 0.0),
    lambda lib, d: d.Bernoulli(lib.tensor([0.5, 1.5])),
    lambda lib, d: d.Categorical(lib.tensor([[0.5, -0.5]])),
    lambda lib, d: d.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 1.0],
                                                                            [0.0, 1.0]])),
    lambda lib, d: d.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda lib, d: d.Exponential(lib.tensor([1.0, 2.0])).log_prob(lib.tensor([-1.0, 1.0])),
    lambda lib, d: d.Categorical(lib.tensor([0.2, 0.8])).log_prob(lib.tensor(3)),
    lambda lib, d: d.Bernoulli(lib.tensor([0.2, 0.8])).log_prob(lib.tensor([0.5, 1.0])),
    lambda lib, d: d.Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda lib, d: d.Normal(0.0, 1.0).log_prob(1.0),
    lambda lib, d: d.MultivariateNormal(lib.zeros(2), lib.eye(2)).log_prob(lib.zeros(3)),
    lambda lib, d: d.Bernoulli(0.3, logits=0.2),
    lambda lib, d: d.MultivariateNormal(lib.zeros(2)),
])
def test_validation_errors_match_pytorch(make):
    with pytest.raises(ValueError) as theirs:
        make(torch, TD)
    with pytest.raises(ValueError) as ours:
        make(tg, D)
    assert str(ours.value) == _message(theirs.value)


def test_validation_can_be_switched_off():
    D.Normal(tg.tensor([0.0]), tg.tensor([-1.0]), validate_args=False)  # no error
    unchecked = D.Exponential(2.0, validate_args=False).log_prob(tg.tensor(-1.0))
    expected = TD.Exponential(2.0, validate_args=False).log_prob(torch.tensor(-1.0))
    assert abs(unchecked.item() - expected.item()) < 1e-6  # the formula, outside the support
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(tg.tensor([0.0]), tg.tensor([-1.0]))
        D.Normal(0.0, 1.0).log_prob(tg.tensor(math.nan))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(tg.tensor([0.0]), tg.tensor([-1.0]))
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(3)


def test_reprs_supports_and_enumerate_support_match_pytorch():
    for ours, theirs in [both("Normal", 0.0, 1.0), both("Categorical", WEIGHTS),
                         both("Bernoulli", PROBS), both("Uniform", 0.0, 1.0)]:
        assert repr(ours) == _message_repr(theirs), (repr(ours), repr(theirs))
        assert repr(ours.support) == repr(theirs.support)
    for ours, theirs in [both("Bernoulli", PROBS), both("Categorical", WEIGHTS),
                         both("OneHotCategorical", WEIGHTS)]:
        close(ours.enumerate_support().to(tg.float64), theirs.enumerate_support().double())
        close(ours.enumerate_support(expand=False).to(tg.float64),
              theirs.enumerate_support(expand=False).double())
    ours, theirs = both("MultivariateNormal", np.zeros(2), covariance_matrix=np.eye(2))
    assert repr(ours) == _message_repr(theirs) and repr(ours.support) == repr(theirs.support)
    assert repr(D.Exponential(1.0).support) == repr(TD.Exponential(1.0).support)


def _message_repr(dist) -> str:
    return repr(dist).replace("torch.Size", "tinygrad_edu.Size")
