"""Normal (Gaussian) distribution N(loc, scale^2), with the reparameterisation trick."""

from __future__ import annotations

import math

from tinygrad_edu import creation
from tinygrad_edu.composite import where
from tinygrad_edu.distributions.distribution import LOG_SQRT_2PI, LocationScale, ShapeLike
from tinygrad_edu.tensor import Tensor


class Normal(LocationScale):
    r"""N(loc, scale²): density exp(-(x - loc)² / (2 scale²)) / (scale sqrt(2π)).

        log_prob(x) = -(x - loc)² / (2 scale²) - log scale - log sqrt(2π)
        entropy     = 1/2 + log sqrt(2π) + log scale
        cdf(x)      = (1 + erf((x - loc) / (scale sqrt 2))) / 2

    rsample is the reparameterisation trick: x = loc + scale * eps with eps ~ N(0, 1) drawn
    by tinygrad_edu.randn, so x is a differentiable function of loc and scale and a loss of
    samples (a VAE's reconstruction term) sends gradients back to both.
    """

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = creation.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        variance = self.scale.pow(2)
        return -((value - self.loc) ** 2) / (2 * variance) - self.scale.log() - LOG_SQRT_2PI

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value: Tensor) -> Tensor:
        """loc + scale sqrt(2) erfinv(2 value - 1): the quantile function."""
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + LOG_SQRT_2PI + self.scale.log()


def erfinv(y: Tensor) -> Tensor:
    """The inverse error function, built from Tensor ops (there is no erfinv kernel).

    Giles' polynomial in w = -log(1 - y²) gives ~7 correct digits; two Newton steps on
    erf(x) = y (x ← x - (erf x - y) / (2/sqrt(π) exp(-x²))) bring it to float64 precision
    for 1 - |y| > 1e-6; nearer to ±1 erf(x) rounds towards ±1 and the relative error grows
    (1e-9 at 1 - |y| = 1e-9, 1e-5 at 1e-12). PyTorch: a dedicated erfinv kernel.
    erfinv(±1) = ±inf. Gradients flow through the ops (d/dy = 1 / erf'(x)).
    """
    w = -((1 - y) * (1 + y)).log()
    central = w - 2.5
    p = 2.81022636e-08
    for coefficient in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                        -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        p = coefficient + p * central
    tail = w.clamp(min=5).sqrt() - 3  # used where w >= 5 only; min=5: no inf gradient
    q = -0.000200214257
    for coefficient in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                        -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
        q = coefficient + q * tail
    x = where(w < 5, p, q) * y
    finite = y.abs() < 1
    x = where(finite, x, 0 * x)  # the Newton steps must not meet inf or nan
    for _ in range(2):
        x = x - (x.erf() - y) / (1.1283791670955126 * (-x * x).exp())
    return where(finite, x, y.sign() * math.inf)
