"""invlin: checking when invertible networks are Bayesian point estimators.

The numeric half of the project (NumPy, SciPy, Numba). Its symbolic counterpart is the
:mod:`theory` package; :mod:`invlin.verify` joins the two.
"""

__version__ = "0.1.0"

from invlin import priors
from invlin.estimators import map_estimate, posterior_mean, tweedie_residual
from invlin.evaluation import Evaluation, evaluate
from invlin.gradient_check import central_difference_gradient, taylor_test
from invlin.losses import Loss, population_value_and_grad
from invlin.models import DiagonalLinear, DiagonalNet, IResNet, Linear, MonotoneSpline
from invlin.problem import LinearInverseProblem, Samples
from invlin.training import TrainResult, fit_population_1d, train

__all__ = [
    "DiagonalLinear",
    "DiagonalNet",
    "Evaluation",
    "IResNet",
    "Linear",
    "LinearInverseProblem",
    "Loss",
    "MonotoneSpline",
    "Samples",
    "TrainResult",
    "central_difference_gradient",
    "evaluate",
    "fit_population_1d",
    "map_estimate",
    "population_value_and_grad",
    "posterior_mean",
    "priors",
    "taylor_test",
    "train",
    "tweedie_residual",
]
