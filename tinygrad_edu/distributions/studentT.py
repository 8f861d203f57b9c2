"""Student's t: a Normal whose variance is itself uncertain (heavier tails for small df)."""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.composite import where
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.distribution import Distribution, ShapeLike, broadcast_all
from tinygrad_edu.distributions.gamma import Chi2
from tinygrad_edu.tensor import Tensor


class StudentT(Distribution):
    r"""StudentT(df ν, loc μ = 0, scale σ = 1): density
    Gamma((ν+1)/2) / (Gamma(ν/2) sqrt(ν π) σ) (1 + y²/ν)^(-(ν+1)/2),  y = (x - μ) / σ.

        log_prob(x) = -(ν+1)/2 log1p(y²/ν) - log σ - log(ν π)/2 - lgamma(ν/2) + lgamma((ν+1)/2)
        entropy     = log σ + (ν+1)/2 (digamma((ν+1)/2) - digamma(ν/2)) + log(ν)/2
                      + log B(ν/2, 1/2)
        mean = μ (ν > 1, else nan);  mode = μ
        variance = σ² ν / (ν - 2) (ν > 2), inf (1 < ν <= 2), nan (ν <= 1)

    rsample: μ + σ x / sqrt(z / ν) with x ~ N(0, 1) and z ~ Chi2(ν); z's implicit gradient
    (Gamma's) carries d/dν, so all three parameters get gradients.
    PyTorch: its inner Chi2 ignores validate_args (so StudentT(-1., validate_args=False)
    still raises there); here the Chi2 follows the StudentT's validate_args.
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        # checks df first: PyTorch's message names Chi2
        self._chi2 = Chi2(self.df, validate_args=validate_args)
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df
        finite = self.scale.pow(2) * df / where(df > 2, df - 2, 1.0)
        return where(df > 2, finite, where(df > 1, math.inf, math.nan))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        x = creation.randn(shape, dtype=self.df.dtype, device=self.df.device)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * x * (z / self.df).rsqrt()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        df = self.df
        y = (value - self.loc) / self.scale
        normaliser = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
                      + (0.5 * df).lgamma() - (0.5 * (df + 1.0)).lgamma())
        return -0.5 * (df + 1.0) * (y.pow(2) / df).log1p() - normaliser

    def entropy(self) -> Tensor:
        df = self.df
        log_beta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log()
                + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma() - (0.5 * df).digamma())
                + 0.5 * df.log() + log_beta)
