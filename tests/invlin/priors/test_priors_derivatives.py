"""Scores and Hessians of every prior against central differences of its own log-density.

The central-difference error with step h = 1e-5 is h^2 |f'''| / 6 + eps |f| / h ~ 1e-10 for the
unit-scale densities used here; the tolerance 1e-6 (relative to 1 + |derivative|) leaves four
orders of margin for the larger third derivatives of the narrow components.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invlin.priors import Gaussian, GaussianMixture, LogisticProduct

H = 1e-5
EPS = np.finfo(np.float64).eps
FD_RTOL = 1e-6


def central_difference(f, x):
    """Jacobian of f: (N, n) -> (N, ...) at x by central differences, shape (N, ..., n)."""
    columns = []
    for e in np.eye(x.shape[1]):
        columns.append((f(x + H * e) - f(x - H * e)) / (2 * H))
    return np.stack(columns, axis=-1)


def random_orthonormal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def random_spd(rng, n):
    b = rng.standard_normal((n, n))
    return b @ b.T / n + 0.2 * np.eye(n)


def make_prior(kind, n, rng):
    if kind == "gaussian":
        return Gaussian(rng.standard_normal(n), random_spd(rng, n))
    if kind == "mixture":
        k = 3
        w = rng.dirichlet(np.ones(k))
        w[-1] = 1.0 - w[:-1].sum()
        return GaussianMixture(
            w, 2 * rng.standard_normal((k, n)), np.stack([random_spd(rng, n) for _ in range(k)])
        )
    return LogisticProduct(rng.uniform(0.3, 2.0, n), random_orthonormal(rng, n), rng.standard_normal(n))


@given(
    kind=st.sampled_from(["gaussian", "mixture", "logistic"]),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_score_and_hessian_match_central_differences(kind, n, seed):
    rng = np.random.default_rng(seed)
    prior = make_prior(kind, n, rng)
    x = prior.sample(5, rng)
    score = prior.score(x)
    np.testing.assert_allclose(
        central_difference(prior.logpdf, x), score, rtol=0, atol=FD_RTOL * (1 + np.abs(score).max())
    )
    hess = prior.hessian(x)
    np.testing.assert_allclose(
        central_difference(prior.score, x), hess, rtol=0, atol=FD_RTOL * (1 + np.abs(hess).max())
    )
    # Hessians of log-densities are symmetric (exactly, by construction of the formulas).
    np.testing.assert_allclose(hess, np.swapaxes(hess, 1, 2), rtol=0, atol=1e-14 * (1 + np.abs(hess).max()))


@pytest.mark.parametrize("kind", ["gaussian", "mixture", "logistic"])
def test_single_point_returns_unbatched_results(kind):
    rng = np.random.default_rng(1)
    prior = make_prior(kind, 3, rng)
    x = prior.sample(4, rng)
    assert prior.logpdf(x[0]).shape == ()
    assert prior.score(x[0]).shape == (3,)
    assert prior.hessian(x[0]).shape == (3, 3)
    # A single point goes through the batched code as a batch of one, but NumPy's einsum and
    # matmul hand the reductions to BLAS, whose kernel (FMA or not, blocking, summation order)
    # depends on the shapes and the CPU: the two results agree to rounding, not bitwise.
    # Rounding bound: two evaluations of a sum of products in different orders differ by at
    # most 2 m eps sum|terms| (first order), m the number of terms on the longest path.
    m = 2 * (x.shape[1] + 3) + 4  # nested sums over n coordinates and K <= 3 components
    hessian_terms, logpdf_terms = terms_magnitude(prior, x[:1])
    np.testing.assert_array_less(np.abs(prior.hessian(x[0]) - prior.hessian(x)[0]),
                                 2 * m * EPS * hessian_terms[0])
    np.testing.assert_array_less(np.abs(prior.logpdf(x[0]) - prior.logpdf(x)[0]),
                                 2 * m * EPS * logpdf_terms[0])


def terms_magnitude(prior, x):
    """sum |terms| of each Hessian entry and of the log-density: the formulas evaluated with
    every term made positive.

    Gaussian: H = -P, log p = -d^T P d / 2 + const (d = x - mu). Mixture: H = sum_k r_k (s_k
    s_k^T - P_k) - s s^T with s_k = -P_k d_k, s = sum_k r_k s_k, and log p = logsumexp of the
    components' quadratic forms. Logistic product: H = V diag(h(t)) V^T, t = V^T d / scales,
    log p = sum_j (-|t_j| - 2 log1p(e^-|t_j|)) + const; a rounding error dt moves h by at most
    |h| |dt| (|h'| <= |h|).
    """
    if isinstance(prior, LogisticProduct):
        basis = np.abs(prior.basis)
        t = np.abs(x - prior.loc) @ basis / prior.scales
        h = np.abs((prior.hessian(x) @ prior.basis * prior.basis).sum(axis=1)) * (1 + t)
        return (np.einsum("ij,nj,kj->nik", basis, h, basis),
                1 + np.abs(prior.logpdf(x)) + 3 * t.sum(axis=1))
    if isinstance(prior, Gaussian):
        means, covs, r = prior.mean[None], prior.covariance[None], np.ones((len(x), 1))
    else:
        means, covs, r = prior.means, prior.covs, prior.responsibilities(x)
    precisions = np.abs(np.linalg.inv(covs))
    d = np.abs(x[:, None, :] - means[None])
    abs_scores = np.einsum("kij,nkj->nki", precisions, d)
    s = np.einsum("nk,nki->ni", r, abs_scores)
    hessian = (np.einsum("nk,nki,nkj->nij", r, abs_scores, abs_scores)
               + np.einsum("nk,kij->nij", r, precisions) + s[:, :, None] * s[:, None, :])
    quadratic = np.einsum("nki,nki->nk", d, abs_scores).max(axis=1)
    return hessian, 1 + np.abs(prior.logpdf(x)) + quadratic


@pytest.mark.parametrize("kind", ["gaussian", "mixture", "logistic"])
def test_sample_moments_agree_with_mean_and_covariance(kind):
    rng = np.random.default_rng(2)
    prior = make_prior(kind, 2, rng)
    n_samples = 200_000
    x = prior.sample(n_samples, rng)
    cov = prior.covariance
    # The sample mean has standard error sqrt(diag(cov) / N); 5 standard errors.
    np.testing.assert_array_less(np.abs(x.mean(axis=0) - prior.mean), 5 * np.sqrt(np.diag(cov) / n_samples))
    # Sample covariance entries: standard error <= sqrt(E[(x_i x_j)^2] / N) estimated from the
    # sample itself; 5 standard errors.
    centred = x - prior.mean
    products = centred[:, :, None] * centred[:, None, :]
    stderr = products.std(axis=0) / np.sqrt(n_samples)
    np.testing.assert_array_less(np.abs(products.mean(axis=0) - cov), 5 * stderr)


def test_sampling_is_reproducible_from_the_generator():
    prior = GaussianMixture.symmetric_bimodal([1.0, 0.5], 0.3)
    a = prior.sample(10, np.random.default_rng(7))
    b = prior.sample(10, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
