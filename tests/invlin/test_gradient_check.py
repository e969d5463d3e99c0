"""Tests of the public gradient checks on functions with known gradients."""

import numpy as np
import pytest

from invlin.gradient_check import central_difference_gradient, taylor_test


def rosenbrock(theta):
    return float(np.sum(100.0 * (theta[1:] - theta[:-1] ** 2) ** 2 + (1.0 - theta[:-1]) ** 2))


def rosenbrock_grad(theta):
    g = np.zeros_like(theta)
    g[:-1] = -400.0 * theta[:-1] * (theta[1:] - theta[:-1] ** 2) - 2.0 * (1.0 - theta[:-1])
    g[1:] += 200.0 * (theta[1:] - theta[:-1] ** 2)
    return g


THETA = np.array([0.3, -0.7, 1.1, 0.5])


def test_central_differences_match_the_analytic_gradient():
    approx = central_difference_gradient(rosenbrock, THETA)
    # truncation h^2 f'''/6 ~ 1e-12 * 2400 and rounding eps*|f|/h ~ 1e-8: 1e-6 absolute is safe.
    np.testing.assert_allclose(approx, rosenbrock_grad(THETA), rtol=0, atol=1e-6)


def test_taylor_test_accepts_the_right_gradient():
    result = taylor_test(rosenbrock, rosenbrock_grad, THETA, rng=np.random.default_rng(1))
    assert result.passed()
    # Rates of a smooth function: 1 and 2 up to the curvature of the log-log line (quartic f).
    assert abs(result.first_order_rate - 1.0) < 0.15
    assert abs(result.second_order_rate - 2.0) < 0.15


def test_taylor_test_rejects_a_wrong_gradient():
    def wrong(theta):
        g = rosenbrock_grad(theta)
        g[0] *= 1.01  # a 1% error in one component
        return g

    result = taylor_test(rosenbrock, wrong, THETA, direction=np.ones(4) / 2.0)
    assert not result.passed()
    assert result.second_order_rate < 1.5


def test_taylor_test_on_a_linear_function_passes_at_the_rounding_floor():
    w = np.array([1.0, -2.0, 3.0, 0.5])
    result = taylor_test(lambda th: float(w @ th), w, THETA, rng=np.random.default_rng(2))
    assert np.all(result.second_order <= result.noise_floor)
    assert result.passed()


def test_taylor_test_requires_explicit_randomness_and_valid_steps():
    with pytest.raises(ValueError, match="rng"):
        taylor_test(rosenbrock, rosenbrock_grad, THETA)
    with pytest.raises(ValueError, match="steps"):
        taylor_test(rosenbrock, rosenbrock_grad, THETA, direction=np.ones(4), steps=[1e-2, 1e-1])
    with pytest.raises(ValueError, match="direction"):
        taylor_test(rosenbrock, rosenbrock_grad, THETA, direction=np.ones(3))
    with pytest.raises(ValueError, match="grad"):
        taylor_test(rosenbrock, np.ones(3), THETA, direction=np.ones(4))
