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
from tinygrad_edu.distributions.distribution import Distribution, sum_rightmost
from tinygrad_edu.distributions.exponential import Exponential
from tinygrad_edu.distributions.independent import Independent
from tinygrad_edu.distributions.laplace import Laplace
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
