"""Closed-form affine optima against numeric minimisation of the matrix expected losses."""

from functools import lru_cache

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize

from theory import linear
from theory import symbols as S

N = 2
KS = sp.symbols(f"K0:{N * N}", real=True)
BS = sp.symbols(f"b0:{N}", real=True)
DELTA = 0.7
WEIGHT = sp.Rational(3, 5)


def _instance(seed):
    rng = np.random.default_rng(seed)
    # well-conditioned, non-symmetric A with det A > 0 (the y-form log-det needs it)
    U, _ = np.linalg.qr(rng.normal(size=(N, N)))
    V, _ = np.linalg.qr(rng.normal(size=(N, N)))
    A = U @ np.diag(rng.uniform(0.7, 2.0, size=N)) @ V.T
    if np.linalg.det(A) < 0:
        A[:, 0] *= -1
    Q, _ = np.linalg.qr(rng.normal(size=(N, N)))
    Sigma = Q @ np.diag(rng.uniform(0.3, 1.5, size=N)) @ Q.T
    Sigma = 0.5 * (Sigma + Sigma.T)
    mu = rng.normal(size=N)
    return A, Sigma, mu


CASES = [(loss, form) for loss in ("approximation", "divergence", "reconstruction", "logdet")
         for form in ("y", "z", "z-weighted") if not (loss == "reconstruction" and form == "z-weighted")]


@lru_cache(maxsize=None)
def _objective(loss, form, seed):
    A, Sigma, mu = _instance(seed)
    weight = WEIGHT if loss in ("logdet", "divergence") else None
    K = sp.Matrix(N, N, KS)
    b = sp.Matrix(BS)
    value = linear.expected_loss(loss, form, K, b, A.tolist(), Sigma.tolist(), mu.tolist(), weight)
    value = value.subs(S.delta, DELTA)
    variables = list(KS) + list(BS)
    grad = [sp.diff(value, v) for v in variables]
    f = sp.lambdify([variables], value, "numpy", cse=True)
    g = sp.lambdify([variables], grad, "numpy", cse=True)

    def h(theta, step=1e-5):
        """Hessian by central differences of the exact gradient (error O(step^2) ~ 1e-10)."""
        cols = []
        for i in range(theta.size):
            e = np.zeros_like(theta)
            e[i] = step
            cols.append((np.asarray(g(theta + e), float) - np.asarray(g(theta - e), float)) / (2 * step))
        return np.array(cols)

    K_opt, b_opt = linear.optimal_operator(loss, form, A.tolist(), Sigma.tolist(), mu.tolist(), weight)
    theta = np.array([complex(v) for v in list(K_opt.subs(S.delta, DELTA).evalf())
                      + list(b_opt.subs(S.delta, DELTA).evalf())])
    assert np.abs(theta.imag).max() < 1e-12  # float diagonalisation: imaginary rounding only
    return f, g, h, theta.real, A


@pytest.mark.parametrize("loss,form", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_closed_form_operator_is_the_numeric_minimiser(loss, form, seed):
    f, g, h, theta_star, A = _objective(loss, form, seed)
    T = A if form == "y" else A.T @ A
    start = np.concatenate([T.ravel(), np.zeros(N)])  # det T > 0: inside the log-det domain

    def fun(th):
        # the losses are defined for invertible K with det K > 0 (log-det, model invertibility)
        if np.linalg.det(th[: N * N].reshape(N, N)) <= 0:
            return np.inf
        return float(f(th))

    jac = lambda th: np.asarray(g(th), dtype=float)
    result = minimize(fun, start, jac=jac, method="BFGS", options={"gtol": 1e-11, "maxiter": 10_000})
    theta = result.x
    hessian = np.asarray(h(theta), dtype=float)
    strong = np.linalg.eigvalsh(0.5 * (hessian + hessian.T))[0]
    assert strong > 0
    # |theta - theta*| <= |grad(theta)| / lambda_min (strong convexity near the optimum; doubled
    # for the variation of the Hessian between theta and theta*), plus rounding of theta*.
    bound = 2 * np.linalg.norm(jac(theta)) / strong + 1e-10 * np.linalg.norm(theta_star)
    assert np.linalg.norm(theta - theta_star) <= bound, (theta, theta_star, bound)
    assert np.linalg.norm(jac(theta_star)) < 1e-9 * (1 + np.abs(hessian).max() * np.linalg.norm(theta_star))
    assert fun(theta_star) <= fun(theta) + 1e-12 * abs(fun(theta))


@pytest.mark.parametrize("form", ["y", "z", "z-weighted"])
def test_logdet_residual_vanishes_only_at_the_closed_form(form):
    A, Sigma, mu = _instance(3)
    K, b = linear.optimal_operator("logdet", form, A.tolist(), Sigma.tolist(), mu.tolist(), WEIGHT)
    R_K, R_b = linear.logdet_residual(K, b, form, A.tolist(), Sigma.tolist(), mu.tolist(), WEIGHT)
    values = np.array([complex(v) for v in list(R_K.subs(S.delta, DELTA).evalf()) + list(R_b.evalf())])
    assert np.abs(values).max() < 1e-12  # float64 rounding of O(1) entries
    K_off = K + sp.Matrix([[0.01, 0], [0, 0]])
    R_off, _ = linear.logdet_residual(K_off, b, form, A.tolist(), Sigma.tolist(), mu.tolist(), WEIGHT)
    assert np.abs(np.array(R_off.evalf(), dtype=complex)).max() > 1e-4


def test_divergence_operator_matches_the_stated_formula():
    A, Sigma, mu = _instance(4)
    K, b = linear.optimal_operator("divergence", "z", A.tolist(), Sigma.tolist(), mu.tolist())
    K = np.array(K.subs(S.delta, DELTA).evalf(), dtype=float)
    b = np.array(b.subs(S.delta, DELTA).evalf(), dtype=float).ravel()
    P = np.linalg.inv(Sigma)
    np.testing.assert_allclose(K, A.T @ A + DELTA**2 * P, rtol=1e-13)  # float64 rounding
    np.testing.assert_allclose(b, -DELTA**2 * P @ mu, rtol=1e-12, atol=1e-14)


def test_pm_operator_matches_numpy_conditioning():
    A, Sigma, mu = _instance(5)
    W, w = linear.pm_operator(A.tolist(), Sigma.tolist(), mu.tolist())
    W = np.array(W.subs(S.delta, DELTA).evalf(), dtype=float)
    w = np.array(w.subs(S.delta, DELTA).evalf(), dtype=float).ravel()
    gain = Sigma @ A.T @ np.linalg.inv(A @ Sigma @ A.T + DELTA**2 * np.eye(N))
    np.testing.assert_allclose(W, gain, rtol=1e-12)
    np.testing.assert_allclose(w, mu - gain @ A @ mu, rtol=1e-12, atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="Sigma must have shape"):
        linear.optimal_operator("divergence", "z", [[1, 0], [0, 1]], [[1]])
    with pytest.raises(ValueError, match="square A"):
        linear.optimal_operator("divergence", "y", [[1, 0, 0], [0, 1, 0]], np.eye(3).tolist())
    with pytest.raises(ValueError, match="Sigma must be symmetric"):
        linear.optimal_operator("divergence", "z", [[1, 0], [0, 1]], [[1, 0.5], [0, 1]])
    with pytest.raises(ValueError, match="undefined"):
        linear.optimal_operator("reconstruction", "z-weighted", [[1, 0], [0, 1]], [[1, 0], [0, 1]])


@pytest.mark.parametrize("form", ["y", "z", "z-weighted"])
def test_logdet_certificate_is_spd_at_the_minimiser(form):
    A, Sigma, mu = _instance(6)
    K, _ = linear.optimal_operator("logdet", form, A.tolist(), Sigma.tolist(), mu.tolist(), WEIGHT)
    cert = np.array(linear.logdet_certificate(K, form, A.tolist(), Sigma.tolist()).evalf(), dtype=complex)
    assert np.abs(cert.imag).max() < 1e-12
    cert = cert.real
    np.testing.assert_allclose(cert, cert.T, atol=1e-12 * np.abs(cert).max())  # rounding
    assert np.linalg.eigvalsh(0.5 * (cert + cert.T)).min() > 0


def test_logdet_saddle_solution_fails_the_certificate():
    c = 0.5
    r = (1 - np.sqrt(1 + 2 * c)) / 2  # negative root of 2 r (r - 1) = c
    K = (r * np.eye(N)).tolist()
    R_K, _ = linear.logdet_residual(K, [0.0] * N, "y", np.eye(N).tolist(), np.eye(N).tolist(), None, c)
    assert np.abs(np.array(R_K.evalf(), dtype=float)).max() < 1e-15  # a solution of the equation
    cert = np.array(linear.logdet_certificate(K, "y", np.eye(N).tolist(), np.eye(N).tolist()).evalf(),
                    dtype=float)
    assert np.linalg.eigvalsh(cert).max() < 0
