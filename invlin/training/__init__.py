"""Training: projected Adam on minibatches or on the exact expected loss."""

from invlin.training.adam import Adam
from invlin.training.train import TrainResult, train

__all__ = ["Adam", "TrainResult", "train"]
