"""invlin: checking when invertible networks are Bayesian point estimators.

The numeric half of the project (NumPy, SciPy, Numba). Its symbolic counterpart is the
:mod:`theory` package; :mod:`invlin.verify` joins the two.
"""

__version__ = "0.1.0"

from invlin import priors
from invlin.estimators import map_estimate, posterior_mean, tweedie_residual
from invlin.problem import LinearInverseProblem, Samples

__all__ = [
    "LinearInverseProblem",
    "Samples",
    "map_estimate",
    "posterior_mean",
    "priors",
    "tweedie_residual",
]
