"""The logistic product prior against scipy.stats.logistic, stability and marginals."""

import numpy as np
import pytest
from scipy import stats

from invlin.priors import LogisticProduct

THETA = 0.4
BASIS = np.array([[np.cos(THETA), -np.sin(THETA)], [np.sin(THETA), np.cos(THETA)]])


def test_logpdf_matches_scipy():
    scales = np.array([0.5, 2.0])
    loc = np.array([1.0, -0.5])
    prior = LogisticProduct(scales, BASIS, loc)
    x = np.random.default_rng(0).standard_normal((30, 2)) * 4
    t = (x - loc) @ BASIS
    expected = stats.logistic(0, scales[0]).logpdf(t[:, 0]) + stats.logistic(0, scales[1]).logpdf(t[:, 1])
    # Independent implementations of the same density: agreement to rounding (1e-12).
    np.testing.assert_allclose(prior.logpdf(x), expected, rtol=1e-12)
    assert prior.is_log_concave is True


def test_large_arguments_are_stable():
    prior = LogisticProduct([1.0])
    t = np.array([[-1e4], [-800.0], [800.0], [1e4]])
    # log l(t) = -|t| - 2 log1p(e^-|t|) -> -|t| exactly in floating point for |t| >= 800.
    np.testing.assert_array_equal(prior.logpdf(t), -np.abs(t[:, 0]))
    np.testing.assert_array_equal(prior.score(t)[:, 0], -np.sign(t[:, 0]))
    assert np.all(prior.hessian(t) <= 0) and np.all(np.isfinite(prior.hessian(t)))


def test_hessian_is_negative_definite():
    prior = LogisticProduct([0.5, 2.0], BASIS, [0.3, 0.2])
    x = np.random.default_rng(1).standard_normal((40, 2)) * 3
    assert np.all(np.linalg.eigvalsh(prior.hessian(x)) < 0)


def test_marginal_along_a_basis_vector():
    prior = LogisticProduct([0.5, 2.0], BASIS, [1.0, -0.5])
    marginal = prior.marginal(-BASIS[:, 1])
    t = np.linspace(-8, 8, 17)
    expected = stats.logistic(np.array([1.0, -0.5]) @ -BASIS[:, 1], 2.0).logpdf(t)
    np.testing.assert_allclose(marginal.logpdf(t[:, None]), expected, rtol=1e-12)


def test_marginal_along_other_directions_is_not_available():
    prior = LogisticProduct([0.5, 2.0], BASIS)
    with pytest.raises(NotImplementedError, match="basis vector"):
        prior.marginal(np.array([1.0, 0.0]))
