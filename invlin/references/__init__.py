"""Exact function-space references for 1-D problems y = a x + delta eta, independent of training.

For each training loss, the minimiser over all increasing maps (:func:`function_space_optimum`),
with a stated absolute error bound, and the exact 1-D Bayesian point estimators
(:func:`exact_posterior_mean`, :func:`exact_map`). For a diagonal problem with a product prior
apply them per component, with the component's marginal prior and singular value.
"""

from invlin.references.bayes import exact_map, exact_posterior_mean
from invlin.references.function_space import function_space_optimum
from invlin.references.optimum import FunctionSpaceOptimum

__all__ = ["FunctionSpaceOptimum", "exact_map", "exact_posterior_mean", "function_space_optimum"]
