"""Probability distributions (PyTorch's `torch.distributions`).

    dist = Normal(mu, sigma)                  # a batch of Gaussians
    z = dist.rsample()                        # differentiable: mu + sigma * eps
    loss = -dist.log_prob(x).sum()            # likelihood, for VAEs and Bayesian models
    kl = kl_divergence(dist, Normal(0., 1.))  # closed form, one value per distribution
    Categorical(logits=scores).sample()       # a policy's action; log_prob for REINFORCE

Built from Tensor ops, so gradients flow through log_prob, entropy, kl and rsample.
Samples come from tinygrad_edu's generator, so they differ from PyTorch's for one seed.
Not here yet: Beta, Gamma, Dirichlet, Poisson, ... (their log_prob needs lgamma, which now
exists as a composite, tinygrad_edu.lgamma; their samplers are not written); `expand`;
transforms.
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
