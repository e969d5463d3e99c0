"""Loss objects: validation, normalisation, and the exact Gaussian expectations."""

import numpy as np
import pytest

from invlin.losses import FORMS, LOSSES, Loss, population_value_and_grad
from invlin.models import DiagonalLinear, Linear
from invlin.priors import Gaussian
from invlin.problem import LinearInverseProblem

CASES = [(name, form) for name in LOSSES for form in FORMS
         if (name, form) != ("reconstruction", "z-weighted")]


def general_problem(m=3, seed=0):
    """A non-symmetric A and a correlated, non-zero-mean Gaussian prior."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, 3)) + 1.5 * np.eye(m, 3)
    b = rng.standard_normal((3, 3))
    prior = Gaussian(rng.standard_normal(3), 0.3 * b @ b.T + 0.5 * np.eye(3))
    return LinearInverseProblem(a, 0.4, prior), rng


def test_validation_names_the_parameter():
    with pytest.raises(ValueError, match="loss"):
        Loss("kl")
    with pytest.raises(ValueError, match="form"):
        Loss("logdet", form="x")
    with pytest.raises(ValueError, match="z-weighted"):
        Loss("reconstruction", form="z-weighted")
    with pytest.raises(ValueError, match="weight"):
        Loss("approximation", weight=1.0)
    with pytest.raises(ValueError, match="weight"):
        Loss("logdet", weight=-1.0)
    tall, _ = general_problem(m=4)
    with pytest.raises(ValueError, match="square"):
        Loss("approximation", form="y").value_and_grad(Linear(3), tall.sample(2, np.random.default_rng(0)), tall)


def test_default_weight_is_twice_the_noise_variance():
    problem, _ = general_problem()
    assert Loss("logdet").resolved_weight(problem) == 2.0 * 0.4**2
    assert Loss("divergence", weight=0.7).resolved_weight(problem) == 0.7
    assert Loss("approximation").resolved_weight(problem) == 0.0


@pytest.mark.parametrize("name,form", CASES)
def test_loss_is_the_mean_over_samples(name, form):
    problem, rng = general_problem()
    model = Linear(3)
    model.set_parameters(model.get_parameters() + 0.2 * rng.standard_normal(model.n_parameters))
    samples = problem.sample(10, rng)
    loss = Loss(name, form)
    total, _ = loss.value_and_grad(model, samples, problem)
    singles = [loss.value_and_grad(model, type(samples)(*(arr[i : i + 1] for arr in samples)), problem)[0]
               for i in range(10)]
    # Mean of per-sample values (regulariser included): only summation order differs.
    assert total == pytest.approx(np.mean(singles), rel=1e-13)


@pytest.mark.parametrize("name,form", CASES)
def test_population_loss_is_the_expectation_of_the_sample_loss(name, form):
    problem, rng = general_problem()
    model = Linear(3)
    model.set_parameters(model.get_parameters() + 0.2 * rng.standard_normal(model.n_parameters))
    loss = Loss(name, form)
    value, grad = population_value_and_grad(model, problem, loss)
    n_batches, batch = 40, 5000
    values, grads = [], []
    for _ in range(n_batches):
        v, g = loss.value_and_grad(model, problem.sample(batch, rng), problem)
        values.append(v)
        grads.append(g)
    values, grads = np.array(values), np.array(grads)
    # Monte Carlo over 2e5 samples: 5 standard errors of the batch means (4e-7 false alarms).
    se = values.std(ddof=1) / np.sqrt(n_batches)
    assert abs(values.mean() - value) <= 5.0 * se
    grad_se = grads.std(axis=0, ddof=1) / np.sqrt(n_batches)
    assert np.all(np.abs(grads.mean(axis=0) - grad) <= 5.0 * grad_se)


def test_population_needs_an_affine_model_and_a_gaussian_prior():
    problem, _ = general_problem()
    with pytest.raises(TypeError, match="affine"):
        population_value_and_grad(object(), problem, Loss("logdet"))
    model = DiagonalLinear(problem.right_singular_vectors, bias=True)
    value, grad = population_value_and_grad(model, problem, "divergence")
    assert np.isfinite(value) and grad.shape == (6,)
