"""The divergence reference: closed form, its isotonic projection, and the MAP.

Tolerances: the closed form is evaluated to rounding (ROUNDING = 1e-12 covers a few eps of
terms below 1e3); the MAP is found to MAP_TOL = 1e-10 (see test_bayes); block equations are
checked with scipy.integrate.quad (its own error estimate is below 1e-12 on these smooth
integrands), so 1e-9 is a margin of 1e3 over both and still fails for a level off by 1e-6.
"""

import numpy as np
import pytest
from scipy.integrate import quad

import theory
from invlin.prediction import evaluate
from invlin.priors import Gaussian, GaussianMixture, Gumbel, LogisticProduct
from invlin.references import exact_map, function_space_optimum
from invlin.references._grid import support, uniform_grid
from invlin.references.divergence import ROUNDING
from invlin.references.isotonic import IsotonicProjection
from theory import symbols as S

MAP_TOL = 1e-10
BLOCK_TOL = 1e-9
LOG_CONCAVE = {
    "logistic": LogisticProduct([0.7], loc=[0.2]),
    "gumbel": Gumbel(0.3, 0.8),
    # Asymmetric mixture, weakly separated: phi*' > 0 at delta = 0.5, a = 1.
    "asymmetric-mixture": GaussianMixture([0.3, 0.7], [[-1.0], [1.5]], [[[0.5]], [[0.8]]]),
}
DATA = np.linspace(-2.0, 3.0, 11)


@pytest.mark.parametrize("form", ["y", "z", "z-weighted"])
@pytest.mark.parametrize("weight", [None, 0.37])
def test_gaussian_prior_gives_theorys_gain(form, weight):
    a, delta, s = 1.7, 0.6, 1.3
    ref = function_space_optimum(Gaussian([0.0], [[s**2]]), a, delta, "divergence", form, weight)
    c = 2 * delta**2 if weight is None else weight
    gain = evaluate(theory.optimal_gain("divergence", form, weight=S.c), a=a, s=s, c=c)
    t = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(ref.forward(t), gain * t, rtol=0, atol=ROUNDING)
    np.testing.assert_allclose(ref.inverse(gain * t), t, rtol=0, atol=ref.inverse_accuracy + 1e-14)


def test_gaussian_gain_check_fails_for_a_wrong_form():
    # Negative control: the y-form reference does not have the z-form gain (a != 1).
    a, delta, s = 1.7, 0.6, 1.3
    ref = function_space_optimum(Gaussian([0.0], [[s**2]]), a, delta, "divergence", "y")
    gain = evaluate(theory.optimal_gain("divergence", "z"), a=a, s=s, delta=delta)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(ref.forward(np.ones(1)), gain, rtol=0, atol=ROUNDING)


@pytest.mark.parametrize("name", sorted(LOG_CONCAVE))
def test_no_pooling_where_the_closed_form_increases(name):
    prior = LOG_CONCAVE[name]
    ref = function_space_optimum(prior, 1.0, 0.5, "divergence", "z")
    assert ref.diagnostics["blocks"] == []
    grid = ref.diagnostics["grid"]
    # Pool-adjacent-violators returns the data unchanged when it is already increasing.
    np.testing.assert_array_equal(ref.diagnostics["grid_projection"], ref.forward(grid))


@pytest.mark.parametrize("name", sorted(LOG_CONCAVE))
def test_z_form_inverse_is_the_map(name):
    prior = LOG_CONCAVE[name]
    a, delta = 1.3, 0.5
    ref = function_space_optimum(prior, a, delta, "divergence", "z")
    z = a * DATA
    expected = exact_map(prior, a, delta, z, "z")
    tolerance = ref.inverse_accuracy + MAP_TOL
    np.testing.assert_allclose(ref.inverse(z), expected, rtol=0, atol=tolerance)


def test_y_form_inverse_is_not_the_map():
    # Negative control (claim divergence-y-not-map): for a != 1 the y-form inverse misses the MAP
    # by far more than the tolerance of the previous test.
    prior = LOG_CONCAVE["gumbel"]
    a, delta = 2.0, 0.5
    ref = function_space_optimum(prior, a, delta, "divergence", "y")
    distance = np.max(np.abs(ref.inverse(DATA) - exact_map(prior, a, delta, DATA, "y")))
    assert distance > 1e-3


BIMODAL = {
    "symmetric": GaussianMixture.symmetric_bimodal([2.0], 0.5),
    "asymmetric": GaussianMixture([0.35, 0.65], [[-2.0], [1.5]], [[[0.3]], [[0.4]]]),
}


def block_residuals(prior, ref):
    """Per block: (p-weighted mean of phi* on it - level, phi*(l) - level, phi*(r) - level)."""
    closed = ref.diagnostics["closed_form"]

    def phi_star(t):
        return float(closed(np.array([t]))[0])

    def density(t):
        return float(np.exp(prior.logpdf(np.array([[t]]))[0]))

    rows = []
    for block in ref.diagnostics["blocks"]:
        left, right, level = block["left"], block["right"], block["level"]
        mass = quad(density, left, right, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
        moment = quad(lambda t: phi_star(t) * density(t), left, right, epsabs=1e-14,
                      epsrel=1e-13, limit=200)[0]
        rows.append((moment / mass - level, phi_star(left) - level, phi_star(right) - level))
    return np.array(rows)


@pytest.mark.parametrize("name", sorted(BIMODAL))
def test_bimodal_high_noise_pools_and_solves_the_block_equations(name):
    prior = BIMODAL[name]
    ref = function_space_optimum(prior, 1.0, 0.8, "divergence", "z")
    assert len(ref.diagnostics["blocks"]) == 1
    residuals = block_residuals(prior, ref)
    np.testing.assert_allclose(residuals, 0.0, rtol=0, atol=BLOCK_TOL)
    assert ref.forward_accuracy <= 1e-10
    if name == "symmetric":
        # phi* is odd for a symmetric prior: the block is symmetric with level 0.
        block = ref.diagnostics["blocks"][0]
        assert abs(block["level"]) < BLOCK_TOL
        assert abs(block["left"] + block["right"]) < BLOCK_TOL


def test_block_equations_fail_for_a_shifted_level():
    # Negative control: the same residual check rejects a level off by 1e-6.
    prior = BIMODAL["asymmetric"]
    ref = function_space_optimum(prior, 1.0, 0.8, "divergence", "z")
    ref.diagnostics["blocks"][0]["level"] += 1e-6
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(block_residuals(prior, ref), 0.0, rtol=0, atol=BLOCK_TOL)


def test_grid_projection_converges_to_the_refined_projection():
    # Pool-adjacent-violators on a grid misplaces the block ends by up to one cell, an O(h)
    # error in the map there (phi*' h): 4x finer grids must shrink the largest error by at
    # least 2 (first order, with a factor-2 margin).
    prior = BIMODAL["asymmetric"]
    ref = function_space_optimum(prior, 1.0, 0.8, "divergence", "z")
    lo, hi = support(prior)
    errors = []
    for cells in (1000, 4000, 16000):
        grid = uniform_grid(prior, lo, hi, cells)
        projection = IsotonicProjection(ref.diagnostics["closed_form"], grid, prior)
        errors.append(np.max(np.abs(projection.grid_projection - ref.forward(grid.x))))
    assert errors[1] < errors[0] / 2
    assert errors[2] < errors[1] / 2
    assert errors[2] < 1e-2


def test_projection_minimises_the_weighted_distance():
    # Competitors: the non-decreasing maps g_v = phi* outside [l(v), r(v)] and v inside (l, r
    # the first and last crossings of level v). The distance int (g_v - phi*)^2 p is smallest
    # at the computed level: shifting v by +-1e-3 raises it by ~mass * 1e-6, far above the
    # trapezoidal error (< 1e-10 with 2e5 nodes on this smooth integrand).
    prior = BIMODAL["asymmetric"]
    ref = function_space_optimum(prior, 1.0, 0.8, "divergence", "z")
    block = ref.diagnostics["blocks"][0]
    t = np.linspace(block["left"] - 1.0, block["right"] + 1.0, 200_001)
    p = np.exp(prior.logpdf(t[:, None]))
    phi = ref.diagnostics["closed_form"](t)

    def distance(level):
        left = int(np.argmax(phi >= level))
        right = t.size - 1 - int(np.argmax(phi[::-1] <= level))
        competitor = phi.copy()
        competitor[left : right + 1] = level
        assert np.all(np.diff(competitor) >= 0)
        return np.trapezoid((competitor - phi) ** 2 * p, t)

    best = distance(block["level"])
    assert best < distance(block["level"] + 1e-3)
    assert best < distance(block["level"] - 1e-3)
