"""train(): history, stopping rule, errors, reproducibility and thread-count independence."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from invlin.errors import NotInvertibleError, TrainingDivergedError
from invlin.models import DiagonalLinear, DiagonalNet, IResNet, Linear
from invlin.priors import Gaussian, LogisticProduct
from invlin.problem import LinearInverseProblem
from invlin.training import Adam, TrainResult, train
from invlin.training.train import _projected_gradient_norm


def gaussian_problem(n=2):
    return LinearInverseProblem.diagonal(np.linspace(1.5, 0.5, n), 0.3, Gaussian(np.zeros(n), np.eye(n)))


def test_result_record_and_history():
    problem = gaussian_problem()
    model = DiagonalLinear(2)
    result = train(model, problem, "divergence", steps=50, batch_size=32, seed=3)
    assert isinstance(result, TrainResult)
    assert result.model is model and result.steps == 50 and result.seed == 3
    assert result.loss.shape == (50,) and result.gradient_norm.shape == (50,)
    assert not result.converged and result.final_gradient_norm == result.gradient_norm[-1]
    assert result.wall_time > 0
    # Training decreases the loss: last 10 steps well below the first.
    assert result.loss[-10:].mean() < result.loss[0]


MODELS = {"diagonal linear": lambda: DiagonalLinear(2, lipschitz=0.9),
          "diagonal net": lambda: DiagonalNet(2, n_units=2, lipschitz=0.9),
          "linear": lambda: Linear(2, lipschitz=0.9),
          "iresnet": lambda: IResNet(2, 2, 4, lipschitz=0.8, rng=0)}


@pytest.mark.parametrize("name", MODELS)
def test_projected_gradient_norm_leaves_the_model_as_it_was(name):
    # the stopping measure is |theta - P(theta - grad)|; the optimisers continue from the model's
    # parameters, so it must not leave the model at P(theta - grad)
    model = MODELS[name]()
    theta = model.get_parameters()
    grad = 10.0 * np.random.default_rng(1).standard_normal(theta.shape)
    norm = _projected_gradient_norm(model, theta, grad)
    np.testing.assert_array_equal(model.get_parameters(), theta)
    # the value, with P(theta - grad) from set, project, get on a fresh model (same arithmetic)
    fresh = MODELS[name]()
    fresh.set_parameters(theta - grad)
    fresh.project()
    assert norm == np.linalg.norm(theta - fresh.get_parameters())
    assert norm < np.linalg.norm(grad)  # not vacuous: a constraint was active


def test_stopping_rule_on_the_gradient_norm():
    problem = gaussian_problem()
    result = train(DiagonalLinear(2), problem, "approximation", population=True, steps=5000, tol=1e-8,
                   seed=0)
    assert result.converged and result.steps < 5000
    assert result.gradient_norm[-1] <= 1e-8 < result.gradient_norm[-2]


def test_same_seed_same_parameters_and_different_seed_differs():
    problem = gaussian_problem()
    runs = [train(DiagonalNet(2, n_units=2), problem, "logdet", steps=30, batch_size=16, seed=s)
            for s in (5, 5, 6)]
    first, again, other = (r.model.get_parameters() for r in runs)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_step_leaving_the_invertible_set_raises():
    problem = gaussian_problem()
    # A gain starts at 1, its target is sigma^2 = 0.25: one Adam step of size 2 crosses zero.
    with pytest.raises(NotInvertibleError, match="step 0"):
        train(DiagonalLinear(2), problem, "approximation", steps=5, learning_rate=2.0,
              population=True, seed=0)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NUMBA_DISABLE_JIT
def test_non_finite_loss_raises_training_diverged():
    problem = gaussian_problem()
    # Steps of 1e300 keep the net monotone (project) but overflow its outputs.
    with pytest.raises(TrainingDivergedError, match="non-finite"):
        train(DiagonalNet(2), problem, "approximation", steps=5, learning_rate=1e300, seed=0)


def test_bad_arguments_are_rejected():
    problem = gaussian_problem()
    with pytest.raises(ValueError, match="loss"):
        train(Linear(2), problem, "likelihood", seed=0)
    with pytest.raises(ValueError, match="model.dim"):
        train(Linear(3), problem, "approximation", seed=0)
    with pytest.raises(TypeError, match="steps"):
        train(Linear(2), problem, "approximation", steps=1.5, seed=0)
    with pytest.raises(TypeError, match="seed"):
        train(Linear(2), problem, "approximation", seed=None)
    with pytest.raises(TypeError, match="seed"):
        train(Linear(2), problem, "approximation")
    with pytest.raises(ValueError, match="learning_rate"):
        train(Linear(2), problem, "approximation", learning_rate=-1.0, seed=0)
    # Population training: closed form for affine models on a Gaussian prior, quadrature for
    # diagonal models (docs/population-training.md); anything else has no exact loss.
    logistic = LinearInverseProblem.diagonal([1.0, 0.5], 0.3, LogisticProduct([1.0, 1.0]))
    with pytest.raises(TypeError, match="Gaussian"):
        train(Linear(2), logistic, "approximation", population=True, seed=0)
    with pytest.raises(TypeError, match="affine"):
        train(IResNet(2, 1, 4, rng=np.random.default_rng(0)), problem, "approximation",
              population=True, seed=0)
    with pytest.raises(ValueError, match="population"):
        train(DiagonalNet(2), problem, "approximation", optimizer="lbfgs", seed=0)
    with pytest.raises(TypeError, match="box"):
        train(Linear(2), problem, "approximation", population=True, optimizer="newton", seed=0)


def test_adam_first_step_moves_by_the_learning_rate():
    # Bias correction makes the first step exactly lr * sign(g) (up to eps).
    step = Adam(0.1).step(np.array([1.0, -2.0]), np.array([3.0, -0.5]))
    np.testing.assert_allclose(step, [0.9, -1.9], rtol=1e-8)
    with pytest.raises(ValueError, match="beta1"):
        Adam(0.1, beta1=1.0)


SCRIPT = textwrap.dedent("""
    import numpy as np
    from invlin.models import DiagonalNet, Linear
    from invlin.priors import LogisticProduct
    from invlin.problem import LinearInverseProblem
    from invlin.training import train
    problem = LinearInverseProblem.diagonal([1.0, 0.8, 0.6, 0.4], 0.3, LogisticProduct([1.0] * 4))
    # Batches large enough that the parallel kernel builds are used.
    net = train(DiagonalNet(4, n_units=8), problem, "logdet", steps=5, batch_size=4096, seed=7).model
    lin = train(Linear(4), problem, "reconstruction", steps=5, batch_size=8192, seed=7).model
    print(np.concatenate([net.get_parameters(), lin.get_parameters()]).tobytes().hex())
""")


def test_results_do_not_depend_on_the_thread_count():
    outputs = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                             text=True, check=True)
        outputs.append(run.stdout.strip())
    assert outputs[0] == outputs[1] and len(outputs[0]) > 0


def test_lipschitz_diagonal_net_stays_an_invertible_iresnet_form():
    # sigma^2 = 2.25 and 0.25 lie outside [0.7, 1.3]: training pushes the slopes onto the bounds.
    problem = LinearInverseProblem.diagonal([1.5, 0.5], 0.4, LogisticProduct([0.5, 1.0]))
    model = DiagonalNet(2, n_units=3, lipschitz=0.3)
    train(model, problem, "divergence", steps=300, batch_size=256, learning_rate=0.05, seed=2)
    # project() rescales to the bound: equal to 0.3 up to the rounding of that product (1e-15)
    assert model.lipschitz() <= 0.3 + 1e-15 and model.is_invertible()
    x = problem.prior.sample(500, np.random.default_rng(3))
    slopes = np.linalg.eigvalsh(model.jacobian(x))
    # eigenvalues of V diag(f') V^T are the slopes, to rounding of the product (1e-14)
    assert slopes.min() >= 0.7 - 1e-14 and slopes.max() <= 1.3 + 1e-14
    info = model.inverse(model.forward(x), tol=1e-10, return_info=True)
    assert info.converged.all() and info.residual.max() <= 1e-10


def test_adam_is_the_textbook_update_bit_for_bit():
    """Adam's Numba loop against the numpy expressions of its Notes over 20 steps. Bitwise:
    both do the same correctly rounded IEEE operations (multiplies, adds, divisions, sqrt) in
    the same order on each element, with no fast-math flags (no contraction, no reordering),
    which holds on every CPU."""
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(257)
    grads = rng.standard_normal((20, 257))
    optimiser = Adam(1e-3, beta1=0.8, beta2=0.99, eps=1e-7)
    fast = theta.copy()
    m, v, reference = np.zeros(257), np.zeros(257), theta.copy()
    for t, grad in enumerate(grads, start=1):
        fast = optimiser.step(fast, grad)
        m = 0.8 * m + (1.0 - 0.8) * grad
        v = 0.99 * v + (1.0 - 0.99) * grad * grad
        reference = reference - 1e-3 * (m / (1.0 - 0.8**t)) / (np.sqrt(v / (1.0 - 0.99**t)) + 1e-7)
    np.testing.assert_array_equal(fast, reference)
