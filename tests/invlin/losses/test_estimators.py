"""Hutchinson estimators in the training losses: the API, and the gradient ladder (central
differences, Taylor remainder) of the stochastic losses at fixed probes."""

import importlib.util
import pathlib

import numpy as np
import pytest

from invlin import train
from invlin.gradient_check import central_difference_gradient, taylor_test
from invlin.losses import Hutchinson, Loss
from invlin.models import Linear

_spec = importlib.util.spec_from_file_location(
    "iresnet_cases",
    pathlib.Path(__file__).parents[1] / "models" / "_iresnet_cases.py")
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

ESTIMATORS = [
    ("divergence", Hutchinson(probes=2)),
    ("divergence", Hutchinson(probes=1, distribution="gaussian")),
    ("logdet", Hutchinson(probes=2, terms=3)),
    ("logdet", Hutchinson(probes=2, terms=2, roulette=0.4)),
]


def _fixed_probe_loss(model, loss, samples, problem, probe_seed):
    """f(theta), grad(theta) of the stochastic loss with the same probes at every call."""
    theta0 = model.get_parameters()

    def evaluate(theta):
        model.set_parameters(theta)
        try:
            return loss.value_and_grad(model, samples, problem,
                                       np.random.default_rng(probe_seed))
        finally:
            model.set_parameters(theta0)

    return (lambda th: evaluate(th)[0]), (lambda th: evaluate(th)[1]), theta0.copy()


@pytest.mark.parametrize("form", ["z", "z-weighted"])
@pytest.mark.parametrize(("name", "estimator"), ESTIMATORS)
def test_stochastic_gradient_matches_central_differences(name, estimator, form):
    problem = cases.bimodal_problem()
    samples = problem.sample(6, np.random.default_rng(11))
    model = cases.small_iresnet("softplus")
    loss = Loss(name, form=form, weight=0.7, estimator=estimator)
    f, grad, theta = _fixed_probe_loss(model, loss, samples, problem, probe_seed=4)
    exact = grad(theta)
    approx = central_difference_gradient(f, theta, h=1e-6)
    # central differences with h = 1e-6 on an O(1) objective: truncation h^2 |f'''| / 6 ~ 1e-12
    # plus rounding eps |f| / h ~ 2e-10 per entry; 1e-8 leaves a factor 50.
    scale = max(1.0, np.max(np.abs(exact)))
    np.testing.assert_allclose(exact, approx, rtol=0, atol=1e-8 * scale)
    # negative control: the gradient at OTHER probes is not the derivative of this estimate
    _, other_grad, _ = _fixed_probe_loss(model, loss, samples, problem, probe_seed=5)
    assert np.max(np.abs(other_grad(theta) - approx)) > 1e-8 * scale * 100


@pytest.mark.parametrize(("name", "estimator"), ESTIMATORS)
def test_stochastic_taylor_remainder_orders(name, estimator):
    problem = cases.bimodal_problem()
    samples = problem.sample(6, np.random.default_rng(12))
    model = cases.small_iresnet("tanh", seed=5)
    loss = Loss(name, form="z", weight=0.7, estimator=estimator)
    f, grad, theta = _fixed_probe_loss(model, loss, samples, problem, probe_seed=6)
    result = taylor_test(f, grad, theta, rng=np.random.default_rng(13),
                         steps=0.1 * 2.0 ** -np.arange(0, 10))
    # first-order remainder O(h), second-order O(h^2) exactly when the gradient is right
    # (0.15 allows curvature changes over the step range, as for the exact losses)
    assert abs(result.first_order_rate - 1.0) < 0.15, result
    assert abs(result.second_order_rate - 2.0) < 0.15, result
    # negative control: the gradient at other probes leaves an O(h) second remainder
    _, other_grad, _ = _fixed_probe_loss(model, loss, samples, problem, probe_seed=7)
    wrong = taylor_test(f, other_grad(theta), theta, rng=np.random.default_rng(13),
                        steps=0.1 * 2.0 ** -np.arange(0, 10))
    assert wrong.second_order_rate < 1.2, wrong


def test_many_probes_approach_the_exact_loss():
    # with 4000 probes per point the stochastic divergence loss is the exact one within 5
    # standard errors of the mean estimate (sd of v^T D phi v over Rademacher probes, measured
    # below from the draws themselves)
    problem = cases.bimodal_problem()
    samples = problem.sample(8, np.random.default_rng(1))
    model = cases.small_iresnet()
    exact = Loss("divergence", weight=0.7).value_and_grad(model, samples, problem)[0]
    estimator = Hutchinson(probes=4000)
    probes, coefs = estimator.draw(np.random.default_rng(2), 8, 2, "divergence")
    est, _ = model._stochastic_regulariser(samples.x, "divergence", probes, coefs)
    se = 0.7 * est.std(ddof=1) / np.sqrt(est.size)
    value = Loss("divergence", weight=0.7, estimator=estimator).value_and_grad(
        model, samples, problem, np.random.default_rng(2))[0]
    assert abs(value - exact) < 5 * se
    # negative control: dropping the regulariser's weight is detected at the same tolerance
    value_wrong = Loss("divergence", weight=0.6, estimator=estimator).value_and_grad(
        model, samples, problem, np.random.default_rng(2))[0]
    assert abs(value_wrong - exact) > 5 * se


def test_training_with_a_stochastic_estimator_is_deterministic_per_seed():
    problem = cases.bimodal_problem()
    runs = []
    for _ in range(2):
        model = cases.small_iresnet()
        result = train(model, problem, "logdet", steps=5, batch_size=16, seed=3,
                       estimator=Hutchinson(terms=3, roulette=0.5), progress=False)
        runs.append(result.model.get_parameters())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_invalid_estimators_raise():
    with pytest.raises(ValueError, match="probes"):
        Hutchinson(probes=0)
    with pytest.raises(ValueError, match="terms"):
        Hutchinson(terms=0)
    with pytest.raises(ValueError, match="roulette"):
        Hutchinson(roulette=1.0)
    with pytest.raises(TypeError, match="roulette"):
        Hutchinson(roulette="half")
    with pytest.raises(ValueError, match="distribution"):
        Hutchinson(distribution="uniform")
    with pytest.raises(ValueError, match="estimator"):
        Loss("logdet", estimator="approximate")
    with pytest.raises(TypeError, match="estimator"):
        Loss("logdet", estimator=3)
    with pytest.raises(ValueError, match="stochastic estimator applies only"):
        Loss("reconstruction", estimator=Hutchinson())


def test_stochastic_estimator_needs_a_generator_and_an_iresnet():
    problem = cases.bimodal_problem()
    samples = problem.sample(4, np.random.default_rng(0))
    loss = Loss("divergence", estimator=Hutchinson())
    with pytest.raises(TypeError, match="rng"):
        loss.value_and_grad(cases.small_iresnet(), samples, problem)
    with pytest.raises(TypeError, match="IResNet"):
        loss.value_and_grad(Linear(2), samples, problem, np.random.default_rng(0))
    with pytest.raises(ValueError, match="population"):
        train(cases.small_iresnet(), problem, "divergence", steps=2, seed=0, population=True,
              estimator=Hutchinson())
