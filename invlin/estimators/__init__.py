"""Exact Bayesian point estimators: posterior mean, MAP estimate, Tweedie residual."""

from invlin.estimators.componentwise import componentwise_map, componentwise_posterior_mean
from invlin.estimators.map_estimate import MAPInfo, map_estimate
from invlin.estimators.objective import map_gradient, map_hessian, map_objective
from invlin.estimators.posterior_mean import posterior_mean
from invlin.estimators.tweedie import data_score, tweedie_residual

__all__ = [
    "MAPInfo",
    "componentwise_map",
    "componentwise_posterior_mean",
    "data_score",
    "map_estimate",
    "map_gradient",
    "map_hessian",
    "map_objective",
    "posterior_mean",
    "tweedie_residual",
]
