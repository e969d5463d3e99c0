"""Exact function-space references for 1-D problems y = a x + delta eta, independent of training.

For each training loss, the minimiser over all increasing maps (:func:`function_space_optimum`),
with a stated absolute error bound, and the exact 1-D Bayesian point estimators
(:func:`exact_posterior_mean`, :func:`exact_map`). For diagonal models,
:func:`diagonal_optima` gives one reference per singular component (marginal prior, singular
value).
"""

from invlin.references.bayes import exact_map, exact_posterior_mean
from invlin.references.diagonal import diagonal_optima
from invlin.references.function_space import function_space_optimum
from invlin.references.optimum import FunctionSpaceOptimum

__all__ = [
    "FunctionSpaceOptimum",
    "diagonal_optima",
    "exact_map",
    "exact_posterior_mean",
    "function_space_optimum",
]
