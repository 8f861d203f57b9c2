"""Probability distributions (PyTorch's `torch.distributions`).

    dist = Normal(mu, sigma)                  # a batch of Gaussians
    z = dist.rsample()                        # differentiable: mu + sigma * eps
    loss = -dist.log_prob(x).sum()            # likelihood, for VAEs and Bayesian models
    kl = kl_divergence(dist, Normal(0., 1.))  # closed form, one value per distribution
    Categorical(logits=scores).sample()       # a policy's action; log_prob for REINFORCE

Built from Tensor ops, so gradients flow through log_prob, entropy, kl and rsample.
Samples come from tinygrad_edu's generator, so they differ from PyTorch's for one seed.
Gamma, Beta and Dirichlet draw on the host (NumPy's gamma sampler) and carry implicit
reparameterisation gradients (incomplete_gamma.py); Poisson and Binomial draw on the host.
Not here yet: `expand`; transforms and TransformedDistribution (LogNormal, HalfNormal and
the Relaxed pair write their change of variables out); ContinuousBernoulli, Pareto,
Weibull, VonMises, NegativeBinomial, Multinomial, Wishart, ...
"""

from tinygrad_edu.distributions import constraints, kl
from tinygrad_edu.distributions.bernoulli import Bernoulli
from tinygrad_edu.distributions.categorical import Categorical, OneHotCategorical
from tinygrad_edu.distributions.cauchy import Cauchy, Gumbel
from tinygrad_edu.distributions.dirichlet import Beta, Dirichlet
from tinygrad_edu.distributions.discrete import Binomial, Geometric, Poisson
from tinygrad_edu.distributions.distribution import Distribution
from tinygrad_edu.distributions.exponential import Exponential
from tinygrad_edu.distributions.gamma import Chi2, Gamma
from tinygrad_edu.distributions.independent import Independent
from tinygrad_edu.distributions.kl import kl_divergence, register_kl
from tinygrad_edu.distributions.laplace import Laplace
from tinygrad_edu.distributions.lognormal import HalfNormal, LogNormal
from tinygrad_edu.distributions.multivariate_normal import MultivariateNormal
from tinygrad_edu.distributions.normal import Normal
from tinygrad_edu.distributions.relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from tinygrad_edu.distributions.studentT import StudentT
from tinygrad_edu.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet",
           "Distribution", "Exponential", "Gamma", "Geometric", "Gumbel", "HalfNormal",
           "Independent", "Laplace", "LogNormal", "MultivariateNormal", "Normal",
           "OneHotCategorical", "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical",
           "StudentT", "Uniform", "constraints",
           "kl_divergence", "kl", "register_kl"]
