"""Invertible models: Linear, DiagonalLinear, DiagonalNet, IResNet."""

from invlin.models.base import InvertibleModel

__all__ = ["InvertibleModel"]
