"""invlin.evaluate against references computed independently, with negative controls."""

import numpy as np
import pytest

import invlin
from invlin.estimators import map_estimate, posterior_mean
from invlin.named_problems import named_problem


@pytest.fixture(scope="module")
def problem():
    return named_problem("log-concave", 0.5)


def _pm_from_z(problem):
    solve = np.linalg.inv(problem.A.T)
    return lambda z: posterior_mean(problem, z @ solve.T)


def test_the_exact_pm_is_at_distance_zero_from_the_pm(problem):
    found = invlin.evaluate(_pm_from_z(problem), problem, n=300, seed=4)
    # y recovered from z by a solve (condition number ~1.7): rounding ~1e-15 in y, and the PM
    # quadrature is smooth in y
    assert found.to_pm < 1e-9
    assert found.to_map == pytest.approx(found.pm_to_map, rel=1e-6)
    assert found.ratio > 1e6  # RMS to MAP / RMS to PM with the latter at rounding level
    # independent computation of the truth distance and its standard error
    samples = problem.sample(300, np.random.default_rng(4))
    e = np.sum((posterior_mean(problem, samples.y) - samples.x) ** 2, axis=1)
    rms = np.sqrt(e.mean())
    assert found.to_truth == pytest.approx(rms, rel=1e-9)
    assert found.to_truth_se == pytest.approx(e.std(ddof=1) / np.sqrt(300) / (2 * rms), rel=1e-9)


def test_y_form_and_forward_error(problem):
    found = invlin.evaluate(lambda y: map_estimate(problem, y), problem, n=200, seed=1,
                            form="y", forward=lambda x: x @ problem.A.T)
    assert found.to_map == 0.0 and found.form == "y"
    assert found.ratio < 1 - 10 * found.ratio_se
    # forward error of the MAP: |A x_MAP - y| is the residual of the data fit, of order delta
    assert 0.1 < found.forward_error < 1.0
    # negative control: a forward map that is the exact left inverse of the reconstruction
    identity = invlin.evaluate(lambda y: y @ np.linalg.inv(problem.A).T, problem, n=200, seed=1,
                               form="y", forward=lambda x: x @ problem.A.T)
    assert identity.forward_error < 1e-12


def test_bad_inputs_are_named(problem):
    with pytest.raises(TypeError, match="inverse must be callable"):
        invlin.evaluate(3, problem, n=10, seed=0)
    with pytest.raises(ValueError, match=r"inverse must map data of shape \(10, 2\)"):
        invlin.evaluate(lambda z: z[:, :1], problem, n=10, seed=0)
    with pytest.raises(ValueError, match="inverse returned non-finite"):
        invlin.evaluate(lambda z: z * np.nan, problem, n=10, seed=0)
    with pytest.raises(ValueError, match="n must be >= 2"):
        invlin.evaluate(lambda z: z, problem, n=1, seed=0)
    with pytest.raises(ValueError, match="unknown form"):
        invlin.evaluate(lambda z: z, problem, n=10, seed=0, form="x")
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        invlin.evaluate(lambda z: z, problem, n=10, seed=-1)
