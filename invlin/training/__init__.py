"""Training: projected Adam on minibatches or on the exact expected loss; L-BFGS-B on the latter."""

from invlin.training.adam import Adam
from invlin.training.train import TrainResult, train
from invlin.training.population_1d import PopulationFit, fit_population_1d

__all__ = ["Adam", "PopulationFit", "TrainResult", "fit_population_1d", "train"]
