"""Training losses: approximation, reconstruction, log-det and divergence, in y/z/z-weighted form."""

from invlin.losses.estimators import EXACT, Hutchinson
from invlin.losses.loss import FORMS, LOSSES, Loss
from invlin.losses.population import population_value_and_grad
from invlin.losses.quadrature import PopulationQuadrature, QuadratureError, prior_support

__all__ = ["EXACT", "FORMS", "Hutchinson", "LOSSES", "Loss", "population_value_and_grad",
           "PopulationQuadrature", "QuadratureError", "prior_support"]
