"""The Newton fits of the sample checks: their curvature matrix and their minimiser."""

import numpy as np
import pytest

from invlin.losses import Loss
from invlin.models import MonotoneSpline
from invlin.verify.checks import _sample_fit, diagonal
from invlin.verify.checks._sample_fit import (fit_spline_empirical, rqmc_samples,
                                              spline_sample_hessian)


def _setting(n=2**10, seed=0):
    problem = diagonal._problem()
    samples = rqmc_samples(problem, n, np.random.default_rng(seed))
    knots = np.quantile(samples.x, np.linspace(0.01, 0.99, 7), axis=0).T
    model = MonotoneSpline(knots, problem.right_singular_vectors)
    model.set_parameters(model.get_parameters()
                         + 0.1 * np.random.default_rng(1).random(model.n_parameters))
    return problem, samples, model


def _gradient_differences(model, loss, samples, problem, step):
    """Central differences of the loss's own gradient, one column per parameter."""
    theta = model.get_parameters()
    columns = []
    for k in range(theta.size):
        grads = []
        for sign in (1.0, -1.0):
            shifted = theta.copy()
            shifted[k] += sign * step
            model.set_parameters(shifted)
            grads.append(loss.value_and_grad(model, samples, problem)[1])
        columns.append((grads[0] - grads[1]) / (2 * step))
    model.set_parameters(theta)
    return np.column_stack(columns)


@pytest.mark.parametrize("name", ["approximation", "divergence", "logdet"])
def test_curvature_is_the_exact_hessian(name):
    """Approximation and divergence losses are quadratic in the spline's parameters (central
    differences are exact up to rounding, ~eps |g| / step = 1e-12); the log-det loss's third
    derivative leaves an O(step^2) = 1e-8 truncation error (its scale: the curvature ~1)."""
    problem, samples, model = _setting()
    loss = Loss(name, form="z")
    finite = _gradient_differences(model, loss, samples, problem, step=1e-4)
    hessian = spline_sample_hessian(model, loss, samples, problem)
    np.testing.assert_allclose(hessian, finite, rtol=0, atol=1e-7 * np.max(np.abs(finite)))


def test_reconstruction_curvature_is_gauss_newton():
    """Gauss-Newton omits the residual-weighted second derivative of the inverse, small where
    the inverse is near the conditional mean: at the empirical minimiser the two agree to 10%
    of the largest entry (measured 0.4%; a factor error in the Gauss-Newton matrix, e.g. a lost
    2 or a missing 1/f', is off by 50% or more)."""
    problem, samples, model = _setting(n=2**12)
    loss = Loss("reconstruction", form="z")
    converged, _ = fit_spline_empirical(model, loss, samples, problem)
    assert converged
    finite = _gradient_differences(model, loss, samples, problem, step=1e-5)
    np.testing.assert_allclose(spline_sample_hessian(model, loss, samples, problem), finite,
                               rtol=0, atol=0.1 * np.max(np.abs(finite)))


@pytest.mark.parametrize("name", ["divergence", "reconstruction"])
def test_newton_reaches_a_stationary_point_no_other_start_beats(name):
    """The Newton fit converges (projected gradient <= NEWTON_TOL) and no perturbed point has a
    lower loss: the perturbations (1e-3 in every parameter, 20 random directions) change a
    convex-near-the-minimum loss by ~1e-6 x curvature, far above the rounding of the loss
    (~1e-15)."""
    problem, samples, model = _setting(n=2**12)
    loss = Loss(name, form="z")
    converged, norm = fit_spline_empirical(model, loss, samples, problem)
    assert converged and norm <= _sample_fit.NEWTON_TOL
    theta = model.get_parameters()
    best = loss.value_and_grad(model, samples, problem)[0]
    lower, upper = model.parameter_bounds()
    rng = np.random.default_rng(2)
    for _ in range(20):
        model.set_parameters(np.clip(theta + 1e-3 * rng.standard_normal(theta.size), lower, upper))
        assert loss.value_and_grad(model, samples, problem)[0] >= best


def test_the_marginal_check_fails_when_the_fit_does_not_converge(monkeypatch):
    """Negative control: one Newton step does not converge the reconstruction fit, and the
    check reports FAIL (a non-converged fit is never compared)."""
    from invlin.verify import verify

    monkeypatch.setattr(_sample_fit, "NEWTON_STEPS", 1)
    (record,) = verify(["diagonal-marginal-reconstruction"], quick=True)
    assert record.status == "FAIL"
    assert all(not np.isfinite(item.error) for item in record.evidence
               if "diagonal spline" in item.quantity)
