"""Invertible models: Linear, DiagonalLinear, DiagonalNet, MonotoneSpline, IResNet."""

from invlin.models.base import InvertibleModel
from invlin.models.diagonal_linear import DiagonalLinear
from invlin.models.diagonal_net import DiagonalNet
from invlin.models.iresnet import IResNet
from invlin.models.linear import Linear
from invlin.models.monotone_spline import MonotoneSpline
from invlin.models.logdet_estimator import StochasticEstimate, estimate_divergence, estimate_logdet

__all__ = [
    "InvertibleModel", "Linear", "DiagonalLinear", "DiagonalNet", "IResNet", "MonotoneSpline",
    "StochasticEstimate", "estimate_divergence", "estimate_logdet",
]
