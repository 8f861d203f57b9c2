"""KL divergence KL(p || q) = E_p[log p(x) - log q(x)], with a registry of closed forms.

    @register_kl(Normal, Normal)
    def _kl_normal_normal(p, q): ...

`kl_divergence(p, q)` looks up the most specific registered pair for (type(p), type(q))
along both classes' method resolution orders, so a subclass of Normal uses the Normal rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tinygrad_edu.composite import where
from tinygrad_edu.distributions.bernoulli import Bernoulli
from tinygrad_edu.distributions.categorical import Categorical, OneHotCategorical
from tinygrad_edu.distributions.cauchy import EULER_GAMMA, Cauchy, Gumbel
from tinygrad_edu.distributions.dirichlet import Beta, Dirichlet
from tinygrad_edu.distributions.discrete import Binomial, Geometric, Poisson
from tinygrad_edu.distributions.distribution import Distribution, sum_rightmost
from tinygrad_edu.distributions.exponential import Exponential
from tinygrad_edu.distributions.gamma import Gamma
from tinygrad_edu.distributions.independent import Independent
from tinygrad_edu.distributions.laplace import Laplace
from tinygrad_edu.distributions.lognormal import HalfNormal, LogNormal
from tinygrad_edu.distributions.multivariate_normal import MultivariateNormal, solve_lower
from tinygrad_edu.distributions.normal import Normal
from tinygrad_edu.distributions.uniform import Uniform
from tinygrad_edu.nn.functional import softplus
from tinygrad_edu.tensor import Tensor

KLFunction = Callable[[Any, Any], Tensor]
_KL_REGISTRY: dict[tuple[type, type], KLFunction] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[KLFunction], KLFunction]:
    """Decorator: register `function(p, q)` as KL(p || q) for p of type_p, q of type_q."""
    if not isinstance(type_p, type) or not issubclass(type_p, Distribution):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not isinstance(type_q, type) or not issubclass(type_q, Distribution):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(function: KLFunction) -> KLFunction:
        _KL_REGISTRY[type_p, type_q] = function
        return function

    return decorator


def _lookup(type_p: type, type_q: type) -> KLFunction | None:
    """The registered rule whose pair is nearest (type_p, type_q) in their MROs."""
    best, best_rank = None, None
    for (super_p, super_q), function in _KL_REGISTRY.items():
        if issubclass(type_p, super_p) and issubclass(type_q, super_q):
            rank = (type_p.__mro__.index(super_p), type_q.__mro__.index(super_q))
            if best_rank is None or rank < best_rank:
                best, best_rank = function, rank
    return best


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), one value per distribution of the (broadcast) batch."""
    function = _lookup(type(p), type(q))
    if function is None:
        # PyTorch raises NotImplementedError here; TypeError, as everywhere in this library
        raise TypeError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q "
                        f"type {type(q).__name__}")
    return function(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    """(r + ((μp - μq) / σq)² - 1 - log r) / 2 with r = (σp / σq)²."""
    ratio = (p.scale / q.scale).pow(2)
    shift = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (ratio + shift - 1 - ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    """p log(p/q) + (1-p) log((1-p)/(1-q)), through logits: log p = -softplus(-logit),
    log(1 - p) = -softplus(logit). A term with p's weight 0 is 0; with q's mass 0, inf."""
    ones = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    ones = where(p.probs == 0, 0.0, where(q.probs == 0, math.inf, ones))
    zeros = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    zeros = where(p.probs == 1, 0.0, where(q.probs == 1, math.inf, zeros))
    return ones + zeros


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    """sum_k p_k (log p_k - log q_k); terms with p_k = 0 are 0, with q_k = 0 (p_k > 0) inf."""
    terms = p.probs * (p.logits - q.logits)
    terms = where(q.probs == 0, math.inf, terms)
    terms = where(p.probs == 0, 0.0, terms)
    return terms.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    """The base KLs, summed over the reinterpreted dims (independent parts add up)."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise TypeError("KL between Independent distributions with different "
                        "reinterpreted_batch_ndims is not defined (PyTorch: "
                        "NotImplementedError)")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    """log(λp / λq) + λq / λp - 1."""
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    """log(bq / bp) + |μp - μq| / bq + (bp / bq) exp(-|μp - μq| / bp) - 1."""
    ratio = p.scale / q.scale
    distance = (p.loc - q.loc).abs()
    return -ratio.log() + distance / q.scale + ratio * (-distance / p.scale).exp() - 1


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    """log((hq - lq) / (hp - lp)) when [lp, hp) lies inside [lq, hq), else inf."""
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return where(outside, math.inf, result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    """(tr(Σq⁻¹ Σp) + |Lq⁻¹ (μq - μp)|² - n) / 2 + log det Lq - log det Lp, where
    tr(Σq⁻¹ Σp) = |Lq⁻¹ Lp|²_F (solve Lq against each column of Lp)."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different "
                         "event shapes cannot be computed")
    n = p.event_shape[0]
    lower_p, lower_q = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    # columns of Lp as rows: solve Lq z = Lp[:, j] for each j, batched on dim -2
    columns = solve_lower(lower_q.unsqueeze(-3), lower_p.mT)
    trace = columns.pow(2).sum(-1).sum(-1)
    mahalanobis = solve_lower(lower_q, q.loc - p.loc).pow(2).sum(-1)
    half_log_dets = q._half_log_det() - p._half_log_det()
    return half_log_dets + 0.5 * (trace + mahalanobis - n)


# ---------------------------------------------------------------------------- the lgamma families


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    """aq log(bp / bq) + lgamma(aq) - lgamma(ap) + (ap - aq) digamma(ap) + (bq - bp) ap / bp."""
    ap, bp, aq, bq = p.concentration, p.rate, q.concentration, q.rate
    return (aq * (bp / bq).log() + aq.lgamma() - ap.lgamma() + (ap - aq) * ap.digamma()
            + (bq - bp) * (ap / bp))


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p: Exponential, q: Gamma) -> Tensor:
    """lgamma(a) + a log(λ / b) + (a - 1) γ_E + b / λ - 1, using E[log x] = -γ_E - log λ."""
    a, b, rate = q.concentration, q.rate, p.rate
    return a.lgamma() + a * (rate / b).log() + (a - 1) * EULER_GAMMA + b / rate - 1


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    """log B(β) - log B(α) + sum_k (α_k - β_k) (digamma(α_k) - digamma(α_0)), p = Dir(α)."""
    alpha, beta = p.concentration, q.concentration
    total = alpha.sum(-1)
    log_betas = (total.lgamma() - beta.sum(-1).lgamma()
                 - (alpha.lgamma() - beta.lgamma()).sum(-1))
    return log_betas + ((alpha - beta) * (alpha.digamma() - total.digamma().unsqueeze(-1))).sum(-1)


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    """The two-class Dirichlet's KL."""
    return _kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    """λp log(λp / λq) - (λp - λq)."""
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Tensor:
    """n (p (logit p - logit q) + log(1 - p) - log(1 - q)); inf where np > nq."""
    if bool((p.total_count < q.total_count).any()):
        # PyTorch raises NotImplementedError; TypeError, as everywhere in this library
        raise TypeError("KL between Binomials where q.total_count > p.total_count is not "
                        "implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p()
                          - (-q.probs).log1p())
    return where(p.total_count > q.total_count, math.inf, kl)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    """-H(p) - E_p[k] log(1 - q) - log q, with E_p[k] = 1/p - 1."""
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    """|x| is a one-to-one map of [0, inf), so it is the KL of the underlying N(0, σ²)."""
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p: LogNormal, q: LogNormal) -> Tensor:
    """exp is one-to-one: KL is unchanged by it, so it is the base Normals' KL."""
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    """log(βq / βp) + (μp - μq) / βq + γ_E (r - 1) + exp((μq - μp) / βq) Gamma(1 + r) - 1,
    r = βp / βq."""
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return (-ratio.log() + shift + EULER_GAMMA * (ratio - 1)
            + (-shift + (1 + ratio).lgamma()).exp() - 1)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    """log(((γp + γq)² + (x0p - x0q)²) / (4 γp γq)) (Chyzak and Nielsen, 2019)."""
    numerator = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return (numerator / (4 * p.scale * q.scale)).log()
