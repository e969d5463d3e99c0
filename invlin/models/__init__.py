"""Invertible models: Linear, DiagonalLinear, DiagonalNet, IResNet."""

from invlin.models.base import InvertibleModel
from invlin.models.diagonal_linear import DiagonalLinear
from invlin.models.diagonal_net import DiagonalNet
from invlin.models.iresnet import IResNet
from invlin.models.linear import Linear

__all__ = ["InvertibleModel", "Linear", "DiagonalLinear", "DiagonalNet", "IResNet"]
