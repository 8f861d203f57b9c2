"""Probability distributions (PyTorch's `torch.distributions`).

    dist = Normal(mu, sigma)                  # a batch of Gaussians
    z = dist.rsample()                        # differentiable: mu + sigma * eps
    loss = -dist.log_prob(x).sum()            # likelihood, for VAEs and Bayesian models
    kl = kl_divergence(dist, Normal(0., 1.))  # closed form, one value per distribution
    Categorical(logits=scores).sample()       # a policy's action; log_prob for REINFORCE

Built from Tensor ops, so gradients flow through log_prob, entropy, kl and rsample.
Samples come from tinygrad_edu's generator, so they differ from PyTorch's for one seed.
Not here: Beta, Gamma, Dirichlet, Poisson, ... (they need lgamma/digamma, which have no
kernel in tinygrad_edu); `expand`; transforms.
"""

from tinygrad_edu.distributions import constraints, kl
from tinygrad_edu.distributions.bernoulli import Bernoulli
from tinygrad_edu.distributions.categorical import Categorical, OneHotCategorical
from tinygrad_edu.distributions.distribution import Distribution
from tinygrad_edu.distributions.exponential import Exponential
from tinygrad_edu.distributions.independent import Independent
from tinygrad_edu.distributions.kl import kl_divergence, register_kl
from tinygrad_edu.distributions.laplace import Laplace
from tinygrad_edu.distributions.multivariate_normal import MultivariateNormal
from tinygrad_edu.distributions.normal import Normal
from tinygrad_edu.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Independent", "Laplace",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform", "constraints",
           "kl_divergence", "kl", "register_kl"]
