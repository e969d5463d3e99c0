"""The studies' numeric evaluation of the theory's expressions."""

import numpy as np
import pytest

from invlin.priors import GaussianMixture
from invlin.prediction import divergence_optimum, evaluate
from theory import symbols
from theory.scalar import optimal_gain


def test_evaluate_broadcasts_and_matches_the_closed_form():
    a = np.array([0.5, 1.0, 2.0])
    delta = np.array([[0.1], [0.3]])
    gain = evaluate(optimal_gain("divergence", form="z"), a=a, s=0.8, delta=delta)
    # theory.md §3: divergence z-form gain a^2 + delta^2 / s^2
    assert gain.shape == (2, 3)
    np.testing.assert_allclose(gain, a**2 + delta**2 / 0.8**2, rtol=1e-14)  # rounding only


def test_evaluate_clipped_gain():
    bounds = np.array([0.1, 0.5, 0.9])
    gain = evaluate(optimal_gain("approximation", form="z", lipschitz=symbols.L), a=1.3, s=1.0,
                    delta=0.2, L=bounds)
    np.testing.assert_allclose(gain, np.clip(1.69, 1 - bounds, 1 + bounds), rtol=1e-14)


def test_divergence_optimum_is_normal_operator_minus_scaled_score():
    rng = np.random.default_rng(0)
    angle = 0.7
    V = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    sigma = np.array([1.4, 0.6])
    prior = GaussianMixture([0.3, 0.7], np.array([[1.0, 0.0], [-0.5, 0.5]]),
                            np.array([0.2 * np.eye(2), [[0.3, 0.1], [0.1, 0.2]]]))
    x = rng.standard_normal((50, 2))
    score = prior.score(x)
    normal = V @ np.diag(sigma**2) @ V.T
    expected = x @ normal.T - 0.3**2 * score  # theory.md §3, divergence z-form minimiser
    got = divergence_optimum(sigma, V, 0.3, x, score)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)  # rounding only


def test_evaluate_rejects_unknown_symbols():
    with pytest.raises(ValueError, match="unknown \\['not_a_symbol'\\]"):
        evaluate(symbols.a, a=1.0, not_a_symbol=1.0)
