"""The Gaussian-mixture prior against scipy.stats, and its marginals."""

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from invlin.priors import GaussianMixture

WEIGHTS = np.array([0.2, 0.5, 0.3])
MEANS = np.array([[0.0, 1.0], [2.0, -1.0], [-1.5, 0.5]])
COVS = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.4, 0.0], [0.0, 0.4]], [[2.0, -0.5], [-0.5, 1.0]]])


def scipy_logpdf(x):
    terms = [np.log(w) + stats.multivariate_normal(m, c).logpdf(x) for w, m, c in zip(WEIGHTS, MEANS, COVS)]
    return logsumexp(np.stack(terms), axis=0)


def test_logpdf_matches_scipy():
    prior = GaussianMixture(WEIGHTS, MEANS, COVS)
    x = np.random.default_rng(0).standard_normal((50, 2)) * 3
    # Same formula, independent implementations: agreement to rounding (1e-12 relative).
    np.testing.assert_allclose(prior.logpdf(x), scipy_logpdf(x), rtol=1e-12)


def test_far_tail_is_finite():
    # Far from every mean each component underflows alone; log-sum-exp keeps the result finite.
    prior = GaussianMixture(WEIGHTS, MEANS, COVS)
    x = np.array([[80.0, -60.0]])
    assert np.all(np.isfinite(prior.logpdf(x)))
    assert np.all(np.isfinite(prior.score(x)))
    assert np.all(np.isfinite(prior.hessian(x)))


def test_zero_weight_component_is_ignored():
    with_zero = GaussianMixture([0.0, 1.0], MEANS[:2], COVS[:2])
    single = GaussianMixture([1.0], MEANS[1:2], COVS[1:2])
    x = np.random.default_rng(1).standard_normal((10, 2))
    np.testing.assert_allclose(with_zero.logpdf(x), single.logpdf(x), rtol=1e-14)
    np.testing.assert_allclose(with_zero.score(x), single.score(x), rtol=1e-14)
    np.testing.assert_array_equal(with_zero.mode_candidates(), MEANS[1:2])


def test_marginal_matches_scipy_1d_mixture():
    prior = GaussianMixture(WEIGHTS, MEANS, COVS)
    v = np.array([1.0, -2.0]) / np.sqrt(5.0)
    marginal = prior.marginal(v)
    t = np.linspace(-6, 6, 25)
    expected = logsumexp(
        np.stack([np.log(w) + stats.norm(m @ v, np.sqrt(v @ c @ v)).logpdf(t) for w, m, c in zip(WEIGHTS, MEANS, COVS)]),
        axis=0,
    )
    np.testing.assert_allclose(marginal.logpdf(t[:, None]), expected, rtol=1e-12)


def test_symmetric_bimodal():
    prior = GaussianMixture.symmetric_bimodal([2.0, 0.0], 0.5)
    np.testing.assert_array_equal(prior.means, [[2.0, 0.0], [-2.0, 0.0]])
    np.testing.assert_array_equal(prior.weights, [0.5, 0.5])
    np.testing.assert_array_equal(prior.covs[1], 0.25 * np.eye(2))
    # Symmetric: p(x) = p(-x), so the mean is zero and log p is not concave between the modes.
    x = np.array([[0.7, -0.3]])
    np.testing.assert_allclose(prior.logpdf(x), prior.logpdf(-x), rtol=1e-15)
    assert np.max(np.linalg.eigvalsh(prior.hessian(np.zeros((1, 2))))) > 0
    assert prior.is_log_concave is None


def test_sample_draws_the_components_as_generator_choice_does():
    """The labels come from the same uniforms, compared with the same cumulative weights, as
    ``rng.choice(K, p=weights)``: one draw stream, whichever way sample() picks components."""
    prior = GaussianMixture([0.2, 0.3, 0.5], [[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]],
                            [0.1 * np.eye(2)] * 3)
    drawn = prior.sample(2000, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    labels = rng.choice(3, size=2000, p=[0.2, 0.3, 0.5])
    noise = rng.standard_normal((2000, 2))
    expected = prior.means[labels] + noise @ (np.sqrt(0.1) * np.eye(2))
    # same labels and normals; the Cholesky product may round differently (one product of a
    # normal with sqrt(0.1), <= 1 ulp of |x| ~ 4 -> 1e-15)
    np.testing.assert_allclose(drawn, expected, rtol=0, atol=1e-14)


def test_sample_maps_the_normals_through_the_drawn_components_factor():
    # 5-D, full covariances, a component of weight zero (never drawn)
    rng = np.random.default_rng(8)
    factors = rng.standard_normal((3, 5, 5))
    covs = factors @ factors.transpose(0, 2, 1) + 0.1 * np.eye(5)
    prior = GaussianMixture([0.3, 0.0, 0.7], rng.standard_normal((3, 5)), covs)
    drawn = prior.sample(400, np.random.default_rng(9))
    draws = np.random.default_rng(9)
    labels = np.searchsorted(np.cumsum([0.3, 0.0, 0.7]), draws.random(400), side="right")
    noise = draws.standard_normal((400, 5))
    assert set(labels) == {0, 2}
    chols = np.linalg.cholesky(covs)[labels]
    terms = chols * noise[:, None, :]
    expected = prior.means[labels] + terms.sum(axis=2)
    # two evaluation orders of a sum of 5 products plus the mean: each within
    # 6 u (sum |terms| + |mean|) of the exact value (u = eps / 2), so they differ by at most
    # 6 eps (sum |terms| + |mean|)
    bound = 6 * np.finfo(float).eps * (np.abs(terms).sum(axis=2) + np.abs(prior.means[labels]))
    assert np.all(np.abs(drawn - expected) <= bound)
