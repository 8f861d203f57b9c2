"""The lgamma families and a few common distributions against torch.distributions.

Gamma, Chi2, Beta, Dirichlet, Poisson, Binomial, Geometric, LogNormal, StudentT, HalfNormal,
Cauchy, Gumbel: log_prob, cdf, entropy and moments value for value on broadcast parameters
and at the edges of the supports; gradients of log_prob; KL; validation messages. Samples
come from another random stream, so they are checked by shape, support and moments; the
implicit reparameterisation gradient of Gamma by finite differences of PyTorch's gammainc.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg
import tinygrad_edu.distributions as D
from tinygrad_edu.distributions.incomplete_gamma import gamma_p_and_grad, standard_gamma_grad

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(0)
ALPHA = RNG.uniform(0.3, 3.0, size=(2, 3))
BETA = RNG.uniform(0.3, 3.0, size=(3,))  # broadcasts against ALPHA
LOC = RNG.normal(size=(2, 3))
PROBS = RNG.uniform(0.05, 0.95, size=(2, 3))


def convert(lib, value):
    return lib.tensor(value) if isinstance(value, np.ndarray) else value


def both(name: str, *args, **kwargs):
    """The same distribution in tinygrad_edu and torch, from float64 NumPy parameters."""
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


def _message(text: str) -> str:
    return text.replace("torch.", "tinygrad_edu.")  # torch.Size, torch.float64


CASES = {
    # name: (parameters, values to score, methods PyTorch has beyond log_prob and moments)
    "Gamma": ((ALPHA, BETA), lambda: RNG.gamma(2.0, size=(4, 2, 3)), ["cdf", "entropy"]),
    "Chi2": ((ALPHA,), lambda: RNG.gamma(2.0, size=(4, 2, 3)), ["cdf", "entropy"]),
    "Beta": ((ALPHA, BETA), lambda: RNG.uniform(size=(4, 2, 3)), ["entropy"]),
    "Dirichlet": ((ALPHA,), lambda: RNG.dirichlet([1.0, 2.0, 0.5], size=(4, 2)), ["entropy"]),
    "Poisson": ((ALPHA,), lambda: RNG.poisson(2.0, size=(4, 2, 3)) * 1.0, []),
    "Binomial": ((5, PROBS), lambda: RNG.integers(0, 6, size=(4, 2, 3)) * 1.0, ["entropy"]),
    "Geometric": ((PROBS,), lambda: RNG.integers(0, 6, size=(4, 2, 3)) * 1.0, ["entropy"]),
    "LogNormal": ((LOC, ALPHA), lambda: RNG.uniform(0.05, 4.0, size=(4, 2, 3)),
                  ["cdf", "icdf", "entropy"]),
    "StudentT": ((ALPHA * 2, LOC, BETA), lambda: 3 * RNG.normal(size=(4, 2, 3)), ["entropy"]),
    "HalfNormal": ((ALPHA,), lambda: RNG.uniform(0.0, 4.0, size=(4, 2, 3)),
                   ["cdf", "icdf", "entropy"]),
    "Cauchy": ((LOC, ALPHA), lambda: 5 * RNG.normal(size=(4, 2, 3)), ["cdf", "icdf", "entropy"]),
    "Gumbel": ((LOC, ALPHA), lambda: 2 * RNG.normal(size=(4, 2, 3)), ["cdf", "icdf", "entropy"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_pytorch(name):
    args, values, methods = CASES[name]
    ours, theirs = both(name, *args)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape), "batch_shape"
    assert tuple(ours.event_shape) == tuple(theirs.event_shape), "event_shape"
    assert repr(ours) == _message(repr(theirs))
    assert repr(ours.support) == _message(repr(theirs.support))
    assert ours.has_rsample == theirs.has_rsample
    value = values()
    close(ours.log_prob(tg.tensor(value)), theirs.log_prob(torch.tensor(value)), what="log_prob")
    for moment in ["mean", "mode", "variance", "stddev"]:
        close(getattr(ours, moment), getattr(theirs, moment), what=moment)
    if "entropy" in methods:
        close(ours.entropy(), theirs.entropy(), what="entropy")
    else:  # PyTorch has none: ours raises the library's TypeError for it
        with pytest.raises(TypeError, match="does not implement entropy"):
            ours.entropy()
    if "cdf" in methods:
        close(ours.cdf(tg.tensor(value)), theirs.cdf(torch.tensor(value)), what="cdf")
    if "icdf" in methods:
        u = RNG.uniform(0.001, 0.999, size=(4, 2, 3))
        close(ours.icdf(tg.tensor(u)), theirs.icdf(torch.tensor(u)), atol=1e-9, rtol=1e-8,
              what="icdf")


def _edge(name, args, value, methods=("log_prob",), **kwargs):
    ours, theirs = both(name, *[np.asarray(a, dtype=np.float64) for a in args], **kwargs)
    for method in methods:
        close(getattr(ours, method)(tg.tensor(np.asarray(value, dtype=np.float64))),
              getattr(theirs, method)(torch.tensor(np.asarray(value, dtype=np.float64))),
              what=f"{name}.{method} at {value}")


def test_support_boundaries_match_pytorch():
    # Gamma at 0: a < 1 -> inf, a = 1 -> log b, a > 1 -> -inf; cdf(0) = 0, cdf(inf) = 1
    _edge("Gamma", ([0.5, 1.0, 2.0], [2.0, 2.0, 2.0]), [0.0, 0.0, 0.0], ("log_prob", "cdf"))
    _edge("Gamma", ([0.5, 30.0, 200.0], [1.0, 1.0, 1.0]), [math.inf, 25.0, 230.0], ("cdf",))
    # Beta at 0 and 1 (xlogy: a concentration of exactly 1 gives a finite density there)
    _edge("Beta", ([1.0, 0.5, 2.0, 1.0], [1.0, 2.0, 0.5, 3.0]), [0.0, 1.0, 0.0, 1.0])
    _edge("Dirichlet", ([[1.0, 2.0, 3.0], [0.5, 1.0, 2.0]],), [[0.0, 0.4, 0.6], [0.0, 1.0, 0.0]])
    _edge("Poisson", ([0.0, 0.0, 3.0],), [0.0, 2.0, 0.0])
    _edge("Binomial", (5.0, [0.0, 1.0, 0.0, 1.0]), [0.0, 5.0, 5.0, 0.0])
    _edge("Binomial", ([0.0, 3.0],), [0.0, 3.0], logits=np.array([2.0, -40.0]))
    _edge("Geometric", ([1.0, 1.0, 0.5],), [0.0, 3.0, 0.0])
    _edge("HalfNormal", ([1.0, 2.0],), [0.0, 0.0], ("log_prob", "cdf"))
    _edge("LogNormal", ([0.0, 1.0], [1.0, 0.5]), [1e-300, 1e300], ("log_prob", "cdf"))
    _edge("StudentT", ([0.5, 1e6], [0.0, 1.0], [1.0, 2.0]), [1e10, 1.0])
    _edge("Cauchy", ([0.0], [1.0]), [-math.inf, math.inf], ("cdf",))


def test_moments_where_they_do_not_exist_match_pytorch():
    ours, theirs = both("StudentT", np.array([0.5, 1.0, 1.5, 2.0, 2.5]), 1.0, 2.0)
    for moment in ["mean", "variance", "mode"]:
        close(getattr(ours, moment), getattr(theirs, moment), what=f"StudentT.{moment}")
    concentration = np.array([[0.5, 0.3, 0.9], [2.0, 3.0, 0.5], [0.2, 0.8, 0.1], [1.0, 1.0, 3.0]])
    ours, theirs = both("Dirichlet", concentration)
    close(ours.mode, theirs.mode, what="Dirichlet.mode (all below 1 -> the first vertex)")
    ours, theirs = both("Beta", np.array([0.5, 2.0, 1.0]), np.array([0.5, 0.5, 3.0]))
    close(ours.mode, theirs.mode, what="Beta.mode")
    ours, theirs = both("Gamma", np.array([0.5, 1.0, 3.0]), 2.0)
    close(ours.mode, theirs.mode, what="Gamma.mode clamps at 0")
    ours, theirs = both("Binomial", np.array([3.0, 4.0, 10.0]), np.array([1.0, 0.5, 0.0]))
    close(ours.mode, theirs.mode, what="Binomial.mode clamps at total_count")
    ours, theirs = both("Poisson", np.array([0.0, 2.0, 2.5]))
    close(ours.mode, theirs.mode, what="Poisson.mode")


GRADIENT_CASES = [
    ("Gamma", (ALPHA, BETA), lambda: RNG.gamma(2.0, size=(2, 3))),
    ("Chi2", (ALPHA,), lambda: RNG.gamma(2.0, size=(2, 3))),
    ("Beta", (ALPHA, BETA), lambda: RNG.uniform(0.05, 0.95, size=(2, 3))),
    ("Dirichlet", (ALPHA,), lambda: RNG.dirichlet([1.0, 2.0, 0.5], size=(2,))),
    ("Poisson", (ALPHA,), lambda: RNG.poisson(2.0, size=(2, 3)) * 1.0),
    ("Geometric", (PROBS,), lambda: RNG.integers(0, 6, size=(2, 3)) * 1.0),
    ("LogNormal", (LOC, ALPHA), lambda: RNG.uniform(0.05, 4.0, size=(2, 3))),
    ("StudentT", (ALPHA * 2, LOC, BETA), lambda: RNG.normal(size=(2, 3))),
    ("HalfNormal", (ALPHA,), lambda: RNG.uniform(0.0, 4.0, size=(2, 3))),
    ("Cauchy", (LOC, ALPHA), lambda: RNG.normal(size=(2, 3))),
    ("Gumbel", (LOC, ALPHA), lambda: RNG.normal(size=(2, 3))),
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=[case[0] for case in GRADIENT_CASES])
def test_log_prob_and_entropy_gradients_match_pytorch(case):
    name, args, values = case
    ours_params = [tg.tensor(a, requires_grad=True) for a in args]
    theirs_params = [torch.tensor(a, requires_grad=True) for a in args]
    ours = getattr(D, name)(*ours_params)
    theirs = getattr(TD, name)(*theirs_params)
    value = values()
    ours_loss = ours.log_prob(tg.tensor(value)).sum()
    theirs_loss = theirs.log_prob(torch.tensor(value)).sum()
    if name not in ("Poisson",):
        ours_loss = ours_loss + ours.entropy().sum()
        theirs_loss = theirs_loss + theirs.entropy().sum()
    ours_loss.backward()
    theirs_loss.backward()
    for i, (mine, reference) in enumerate(zip(ours_params, theirs_params)):
        close(mine.grad, reference.grad, atol=1e-9, rtol=1e-7, what=f"{name}: grad of arg {i}")


def test_binomial_gradients_match_pytorch():
    for keyword in ["probs", "logits"]:
        param = PROBS if keyword == "probs" else LOC
        ours_param = tg.tensor(param, requires_grad=True)
        theirs_param = torch.tensor(param, requires_grad=True)
        value = RNG.integers(0, 8, size=(2, 3)) * 1.0
        ours = D.Binomial(7, **{keyword: ours_param})
        theirs = TD.Binomial(7, **{keyword: theirs_param})
        (ours.log_prob(tg.tensor(value)).sum() + ours.entropy().sum()).backward()
        (theirs.log_prob(torch.tensor(value)).sum() + theirs.entropy().sum()).backward()
        close(ours_param.grad, theirs_param.grad, atol=1e-9, what=keyword)


def test_gamma_cdf_gradients():
    a, rate = np.array([0.4, 1.0, 2.5, 30.0]), np.array([1.0, 2.0, 0.5, 1.0])
    value = np.array([0.3, 1.2, 4.0, 28.0])
    ours = [tg.tensor(x, requires_grad=True) for x in (a, rate, value)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (rate, value)]
    D.Gamma(ours[0], ours[1]).cdf(ours[2]).sum().backward()
    TD.Gamma(torch.tensor(a), theirs[0]).cdf(theirs[1]).sum().backward()
    close(ours[1].grad, theirs[0].grad, what="d cdf / d rate")
    close(ours[2].grad, theirs[1].grad, what="d cdf / d value")
    # PyTorch's igamma has no gradient in a: compare with central differences of gammainc
    step = torch.tensor(1e-6 * a)
    upper = torch.special.gammainc(torch.tensor(a) + step, torch.tensor(rate * value))
    lower = torch.special.gammainc(torch.tensor(a) - step, torch.tensor(rate * value))
    np.testing.assert_allclose(ours[0].grad.numpy(), ((upper - lower) / (2 * step)).numpy(),
                               rtol=1e-6, err_msg="d cdf / d concentration")


def test_incomplete_gamma_and_implicit_gradient_are_accurate():
    a = np.array([0.01, 0.3, 1.0, 2.5, 10.0, 100.0, 1000.0, 0.5, 50.0, 0.7])
    x = np.array([1e-5, 0.2, 1.0, 3.0, 8.0, 110.0, 950.0, 10.0, 80.0, 0.0])
    value, derivative = gamma_p_and_grad(a, x)
    expected = torch.special.gammainc(torch.tensor(a), torch.tensor(x)).numpy()
    np.testing.assert_allclose(value, expected, atol=1e-13, err_msg="P(a, x)")
    mpmath = pytest.importorskip("mpmath")  # a dependency of torch (through sympy)
    mpmath.mp.dps = 30
    exact = [float(mpmath.diff(lambda s, x=x: mpmath.gammainc(s, 0, x, regularized=True),
                               mpmath.mpf(alpha))) for alpha, x in zip(a[:-1], x[:-1])]
    np.testing.assert_allclose(derivative[:-1], exact, rtol=1e-9, err_msg="dP/da")
    assert derivative[-1] == 0.0
    # dx/da at a fixed quantile; PyTorch's approximation agrees to ~1e-4 (ours is finer)
    slope = standard_gamma_grad(a, x)
    reference = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    np.testing.assert_allclose(slope[:-1], reference[:-1], rtol=5e-4)
    assert slope[-1] == 0.0


def test_rsample_gradients_are_implicit_and_unbiased():
    tg.manual_seed(0)
    a = tg.tensor([0.5, 2.0, 5.0], dtype=tg.float64, requires_grad=True)
    rate = tg.tensor([1.0, 2.0, 0.5], dtype=tg.float64, requires_grad=True)
    draws = D.Gamma(a, rate).rsample((4000,))
    draws.sum().backward()
    # each draw's gradient is dz/da / rate at its own quantile
    expected = standard_gamma_grad(a.detach().numpy(), (draws * rate).detach().numpy())
    np.testing.assert_allclose(a.grad.numpy(), (expected / rate.detach().numpy()).sum(0),
                               rtol=1e-9)
    # E[z] = a / rate, so the mean gradient is 1 / rate in a and -a / rate² in rate
    np.testing.assert_allclose(a.grad.numpy() / 4000, [1.0, 0.5, 2.0], rtol=0.05)
    np.testing.assert_allclose(rate.grad.numpy() / 4000, [-0.5, -0.5, -20.0], rtol=0.05)
    # Beta: E[x] = c1 / (c1 + c0), d/dc1 = c0 / (c1 + c0)²
    c1 = tg.tensor([0.7, 3.0], dtype=tg.float64, requires_grad=True)
    c0 = tg.tensor([2.0, 1.5], dtype=tg.float64, requires_grad=True)
    D.Beta(c1, c0).rsample((6000,)).sum().backward()
    np.testing.assert_allclose(c1.grad.numpy() / 6000, [2.0 / 2.7**2, 1.5 / 4.5**2], rtol=0.06)
    np.testing.assert_allclose(c0.grad.numpy() / 6000, [-0.7 / 2.7**2, -3.0 / 4.5**2], rtol=0.06)
    # StudentT (via Chi2): E[x²] = ν / (ν - 2) for loc 0, scale 1, so d/dν = -2 / (ν - 2)²
    df = tg.tensor([8.0, 12.0], dtype=tg.float64, requires_grad=True)
    loc = tg.tensor([0.0, 0.0], dtype=tg.float64, requires_grad=True)
    D.StudentT(df, loc, 1.0).rsample((20000,)).pow(2).mean(0).sum().backward()
    np.testing.assert_allclose(df.grad.numpy(), [-2 / 36, -2 / 100], rtol=0.05)
    assert np.abs(loc.grad.numpy()).max() < 0.05  # d E[x²] / d loc = 2 loc = 0
    assert not D.Gamma(a, rate).sample((2,)).requires_grad


SAMPLERS = {
    # name: (parameters, true mean, true variance)
    "Gamma": ((tg.tensor([0.5, 4.0]), tg.tensor([1.0, 2.0])), [0.5, 2.0], [0.5, 1.0]),
    "Chi2": ((tg.tensor([1.0, 6.0]),), [1.0, 6.0], [2.0, 12.0]),
    "Beta": ((tg.tensor([0.5, 3.0]), tg.tensor([0.5, 1.0])), [0.5, 0.75],
             [0.125, 3.0 / 80]),
    "Poisson": ((tg.tensor([0.7, 12.0]),), [0.7, 12.0], [0.7, 12.0]),
    "Binomial": ((tg.tensor([10.0, 3.0]), tg.tensor([0.3, 0.9])), [3.0, 2.7], [2.1, 0.27]),
    "Geometric": ((tg.tensor([0.3, 0.8]),), [7 / 3, 0.25], [70 / 9, 0.3125]),
    "LogNormal": ((tg.tensor([0.0, 1.0]), tg.tensor([0.5, 0.25])),
                  [math.exp(0.125), math.exp(1 + 0.03125)],
                  [math.expm1(0.25) * math.exp(0.25), math.expm1(0.0625) * math.exp(2.0625)]),
    "StudentT": ((tg.tensor([5.0, 8.0]), tg.tensor([1.0, -2.0]), tg.tensor([1.0, 0.5])),
                 [1.0, -2.0], [5 / 3, 0.25 * 8 / 6]),
    "HalfNormal": ((tg.tensor([1.0, 3.0]),), [math.sqrt(2 / math.pi), 3 * math.sqrt(2 / math.pi)],
                   [1 - 2 / math.pi, 9 * (1 - 2 / math.pi)]),
    "Gumbel": ((tg.tensor([0.0, 2.0]), tg.tensor([1.0, 0.5])), [0.5772157, 2.2886078],
               [math.pi**2 / 6, math.pi**2 / 24]),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_samples_have_the_right_shape_moments_and_support(name):
    tg.manual_seed(0)
    params, mean, variance = SAMPLERS[name]
    dist = getattr(D, name)(*params)
    draws = dist.sample((40000,))
    assert tuple(draws.shape) == (40000, 2) and draws.dtype == tg.float32
    assert draws.grad_fn is None
    values = draws.numpy().astype(np.float64)
    spread = np.sqrt(np.array(variance) / 40000)
    assert (np.abs(values.mean(0) - mean) < 6 * spread + 1e-3).all(), f"mean {values.mean(0)}"
    assert np.abs(values.var(0) / np.array(variance) - 1).max() < 0.08, f"var {values.var(0)}"
    assert bool(dist.support.check(draws).all()), "a draw outside the support"
    assert tuple(dist.sample().shape) == (2,)
    assert tuple(dist.sample((3, 4)).shape) == (3, 4, 2)
    if dist.has_rsample:
        assert tuple(dist.rsample((5,)).shape) == (5, 2)


def test_dirichlet_and_cauchy_samples():
    tg.manual_seed(1)
    concentration = tg.tensor([[1.0, 2.0, 3.0], [0.3, 0.3, 0.4]])
    draws = D.Dirichlet(concentration).sample((20000,))
    assert tuple(draws.shape) == (20000, 2, 3)
    np.testing.assert_allclose(draws.numpy().sum(-1), 1.0, atol=1e-5)
    mean = concentration.numpy() / concentration.numpy().sum(-1, keepdims=True)
    np.testing.assert_allclose(draws.numpy().mean(0), mean, atol=0.01)
    assert bool(D.Dirichlet(concentration).support.check(draws).all())
    cauchy = D.Cauchy(tg.tensor([0.0, 5.0]), tg.tensor([1.0, 2.0])).sample((20000,)).numpy()
    np.testing.assert_allclose(np.median(cauchy, 0), [0.0, 5.0], atol=0.05)
    quartiles = np.quantile(cauchy, [0.25, 0.75], axis=0)
    np.testing.assert_allclose(quartiles[1] - quartiles[0], [2.0, 4.0], rtol=0.05)
    tiny = D.Gamma(tg.tensor([0.01]), tg.tensor([1.0])).sample((2000,))
    assert bool((tiny > 0).all()), "draws clamp to finfo.tiny, never reach 0"


def test_binomial_entropy_support_and_inhomogeneous_count():
    ours, theirs = both("Binomial", np.array([4.0, 4.0]), np.array([0.2, 0.7]))
    close(ours.enumerate_support(), theirs.enumerate_support())
    close(ours.enumerate_support(expand=False), theirs.enumerate_support(expand=False))
    ours = D.Binomial(tg.tensor([2.0, 3.0]), tg.tensor([0.5, 0.5]))
    with pytest.raises(TypeError, match="Inhomogeneous total count not supported by `entropy`"):
        ours.entropy()
    with pytest.raises(TypeError, match="Inhomogeneous total count"):
        ours.enumerate_support()


@pytest.mark.parametrize("name", ["RelaxedBernoulli", "RelaxedOneHotCategorical"])
def test_relaxed_distributions_match_pytorch(name):
    tg.manual_seed(2)
    if name == "RelaxedBernoulli":
        weights, value = PROBS, RNG.uniform(size=(5, 2, 3))
        log_weights = np.log(PROBS / (1 - PROBS))
    else:
        weights = RNG.uniform(0.1, 1.0, size=(2, 4))
        value = RNG.dirichlet([1.0, 2.0, 1.0, 0.5], size=(5, 2))
        log_weights = np.log(weights)
    for temperature in [0.3, 2.0]:
        for keyword, param in [("probs", weights), ("logits", log_weights)]:
            ours, theirs = both(name, np.array(temperature), **{keyword: param})
            assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
            assert tuple(ours.event_shape) == tuple(theirs.event_shape)
            assert repr(ours) == repr(theirs) and repr(ours.support) == repr(theirs.support)
            close(ours.log_prob(tg.tensor(value)), theirs.log_prob(torch.tensor(value)),
                  atol=1e-9, what=f"{name}({temperature}, {keyword}).log_prob")
    logits = tg.tensor(log_weights, requires_grad=True)
    dist = getattr(D, name)(tg.tensor(0.1), logits=logits)
    draws = dist.rsample((4000,))
    assert tuple(draws.shape) == (4000,) + weights.shape  # Bernoulli: batch; else batch, K
    assert bool(dist.support.check(draws.detach()).all())
    draws[..., 0].sum().backward()
    assert logits.grad is not None and bool(logits.grad.isfinite().all())
    # at a low temperature draws are nearly discrete, with Bernoulli / Categorical frequencies
    probs = weights if name == "RelaxedBernoulli" else weights / weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(draws.detach().numpy().mean(0), probs, atol=0.04)


@pytest.mark.parametrize("device", DEVICES)
def test_host_samplers_return_to_the_parameters_device(device):
    tg.manual_seed(3)
    a = tg.tensor([0.5, 2.0], device=device, requires_grad=True)
    draws = D.Gamma(a, 2.0).rsample((3,))
    draws.sum().backward()
    assert draws.device == a.device and a.grad.device == a.device
    probs = tg.tensor([0.3, 0.6], device=device)
    for dist in [D.Poisson(probs * 5), D.Binomial(4, probs), D.Geometric(probs),
                 D.Beta(probs, 1.0), D.Dirichlet(probs), D.StudentT(a.detach())]:
        assert dist.sample((2,)).device == a.device, type(dist).__name__
    assert D.Gamma(a.detach(), 1.0).cdf(probs).device == a.device


KL_PAIRS = [
    (("Gamma", ALPHA, BETA), ("Gamma", ALPHA[::-1].copy(), 1.5)),
    (("Beta", ALPHA, BETA), ("Beta", BETA, ALPHA)),
    (("Dirichlet", ALPHA), ("Dirichlet", ALPHA[::-1].copy())),
    (("Poisson", ALPHA), ("Poisson", ALPHA[::-1].copy())),
    (("Exponential", BETA), ("Gamma", ALPHA, BETA)),
    (("Chi2", ALPHA), ("Gamma", BETA, 0.7)),
    (("Binomial", np.array([5.0, 6.0]), np.array([0.3, 0.6])),
     ("Binomial", np.array([5.0, 5.0]), np.array([0.5, 0.1]))),
    (("Geometric", PROBS), ("Geometric", PROBS[::-1].copy())),
    (("HalfNormal", ALPHA), ("HalfNormal", BETA)),
    (("LogNormal", LOC, ALPHA), ("LogNormal", LOC[::-1].copy(), BETA)),
    (("Gumbel", LOC, ALPHA), ("Gumbel", LOC[::-1].copy(), BETA)),
    (("Cauchy", LOC, ALPHA), ("Cauchy", LOC[::-1].copy(), BETA)),
]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=[f"{p[0][0]}-{p[1][0]}" for p in KL_PAIRS])
def test_kl_divergence_matches_pytorch(pair):
    (name_p, *args_p), (name_q, *args_q) = pair
    ours_p, theirs_p = both(name_p, *args_p)
    ours_q, theirs_q = both(name_q, *args_q)
    close(D.kl_divergence(ours_p, ours_q), TD.kl_divergence(theirs_p, theirs_q), atol=1e-9)
    if name_p == name_q:
        close(D.kl_divergence(ours_p, ours_p), TD.kl_divergence(theirs_p, theirs_p), atol=1e-9)


def test_kl_gradients_and_binomial_count_rule():
    a = tg.tensor(ALPHA, requires_grad=True)
    reference = torch.tensor(ALPHA, requires_grad=True)
    D.kl_divergence(D.Gamma(a, 2.0), D.Gamma(1.5, a)).sum().backward()
    TD.kl_divergence(TD.Gamma(reference, 2.0), TD.Gamma(1.5, reference)).sum().backward()
    close(a.grad, reference.grad, atol=1e-9, what="d KL(Gamma || Gamma)")
    with pytest.raises(TypeError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(3, tg.tensor([0.5])), D.Binomial(4, tg.tensor([0.5])))


@pytest.mark.parametrize("make", [
    lambda lib, d: d.Gamma(lib.tensor([1.0, -1.0]), lib.tensor([1.0, 1.0])),
    lambda lib, d: d.Gamma(lib.tensor([1.0]), lib.tensor([0.0])),
    lambda lib, d: d.Gamma(2.0, 1.0).log_prob(lib.tensor([-1.0])),
    lambda lib, d: d.Chi2(lib.tensor([-1.0])),
    lambda lib, d: d.Beta(lib.tensor([-1.0]), lib.tensor([1.0])),
    lambda lib, d: d.Beta(1.0, -1.0),
    lambda lib, d: d.Beta(2.0, 2.0).log_prob(lib.tensor(1.5)),
    lambda lib, d: d.Dirichlet(lib.tensor(1.0)),
    lambda lib, d: d.Dirichlet(lib.tensor([1.0, 0.0])),
    lambda lib, d: d.Dirichlet(lib.tensor([1.0, 2.0])).log_prob(lib.tensor([0.5, 0.6])),
    lambda lib, d: d.Poisson(lib.tensor([-1.0])),
    lambda lib, d: d.Poisson(2.0).log_prob(lib.tensor(1.5)),
    lambda lib, d: d.Binomial(lib.tensor([2.5]), lib.tensor([0.5])),
    lambda lib, d: d.Binomial(lib.tensor([3.0, 3.0]), lib.tensor([0.5, 0.2])).log_prob(
        lib.tensor([4.0, 1.0])),
    lambda lib, d: d.Binomial(3, lib.tensor([1.5])),
    lambda lib, d: d.Binomial(3),
    lambda lib, d: d.Geometric(lib.tensor([1.5])),
    lambda lib, d: d.Geometric(lib.tensor([0.5, 0.0])),
    lambda lib, d: d.Geometric(0.5).log_prob(lib.tensor(-1.0)),
    lambda lib, d: d.LogNormal(0.0, -1.0),
    lambda lib, d: d.LogNormal(0.0, 1.0).log_prob(lib.tensor(-1.0)),
    lambda lib, d: d.HalfNormal(lib.tensor([1.0, -2.0])),
    lambda lib, d: d.HalfNormal(1.0).log_prob(lib.tensor(-1.0)),
    lambda lib, d: d.StudentT(-1.0),
    lambda lib, d: d.StudentT(2.0, 0.0, lib.tensor([-1.0])),
    lambda lib, d: d.Cauchy(0.0, lib.tensor([0.0])),
    lambda lib, d: d.Gumbel(lib.tensor([math.nan]), 1.0),
    lambda lib, d: d.RelaxedBernoulli(lib.tensor(0.5), probs=lib.tensor([1.5])),
    lambda lib, d: d.RelaxedBernoulli(lib.tensor(0.5), lib.tensor([0.5])).log_prob(
        lib.tensor([1.5])),
    lambda lib, d: d.RelaxedOneHotCategorical(lib.tensor(0.5), lib.tensor([-1.0, 2.0])),
    lambda lib, d: d.RelaxedOneHotCategorical(lib.tensor(0.5), lib.tensor([0.5, 0.5])).log_prob(
        lib.tensor([0.2, 0.2])),
])
def test_validation_errors_match_pytorch(make):
    with pytest.raises(ValueError) as theirs:
        make(torch, TD)
    with pytest.raises(ValueError) as ours:
        make(tg, D)
    assert str(ours.value) == _message(str(theirs.value))


def test_validation_can_be_switched_off_and_chi2_exposes_df():
    unchecked = D.Gamma(2.0, 1.0, validate_args=False).log_prob(tg.tensor(-1.0))
    expected = TD.Gamma(2.0, 1.0, validate_args=False).log_prob(torch.tensor(-1.0))
    assert math.isnan(unchecked.item()) == math.isnan(expected.item())
    D.Poisson(tg.tensor([-1.0]), validate_args=False)
    D.Beta(-1.0, 1.0, validate_args=False)
    chi2 = D.Chi2(tg.tensor([3.0, 4.0]))
    assert chi2.df.tolist() == [3.0, 4.0] and chi2.rate.tolist() == [0.5, 0.5]
    assert tuple(D.Chi2(3.0).batch_shape) == () and tuple(D.Beta(2.0, 3.0).batch_shape) == ()
    assert D.Beta(2.0, 3.0).sample((4,)).dtype == tg.float32
