"""The documented 2-D toy setting shared by the studies: operator and priors.

The paper's exact operator, noise levels and mixture parameters are not known
(``theory.md`` §4), so these are chosen and documented here:

- operator ``A = V diag(sigma) V^T`` with ``sigma = (1.2, 0.7)`` and ``V`` the rotation by 30
  degrees (symmetric positive definite, distinct singular values, singular basis not aligned
  with the coordinate axes nor with the bimodal prior's modes);
- bimodal prior: equal-weight Gaussian mixture with means ``±(1, 0)`` and covariances ``0.2 I``
  (the modes are separated along ``e_1``, which is not a singular direction);
- log-concave prior: a product of logistic densities with scales ``(0.5, 0.35)`` in the
  singular basis ``V`` (smooth, non-Gaussian, PM != MAP; being a product in the basis that
  diagonalises the symmetric ``A`` keeps the exact PM a per-component 1-D quadrature, which
  makes thousands of reference evaluations cheap).

For the bimodal prior, ``-Hess log p`` at the midpoint of the modes has the eigenvalue
``1/0.2 - 1/0.2^2 = -20`` along ``e_1``, so ``A^T A - delta^2 Hess log p`` stops being positive
definite near ``delta ~ 0.2``: ``delta = 0.1`` (low noise) keeps the divergence optimum
invertible, ``delta = 0.5`` (high noise) does not.
"""

from __future__ import annotations

import numpy as np

from invlin.priors import GaussianMixture, LogisticProduct
from invlin.problem import LinearInverseProblem

SINGULAR_VALUES = (1.2, 0.7)
BASIS_ANGLE_DEG = 30.0
MIXTURE_MEANS = ((1.0, 0.0), (-1.0, 0.0))
MIXTURE_VARIANCE = 0.2
LOGISTIC_SCALES = (0.5, 0.35)
NOISE_LEVELS = {"low": 0.1, "high": 0.5}


def rotation(degrees: float) -> np.ndarray:
    """The 2x2 rotation matrix by ``degrees`` (columns are an orthonormal basis)."""
    angle = np.deg2rad(degrees)
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def operator() -> np.ndarray:
    """``A = V diag(sigma) V^T`` (see the module docstring)."""
    V = rotation(BASIS_ANGLE_DEG)
    return V @ np.diag(SINGULAR_VALUES) @ V.T


def bimodal_prior() -> GaussianMixture:
    """The equal-weight two-component Gaussian mixture of the toy problem."""
    cov = MIXTURE_VARIANCE * np.eye(2)
    return GaussianMixture([0.5, 0.5], np.array(MIXTURE_MEANS), np.array([cov, cov]))


def logconcave_prior() -> LogisticProduct:
    """The product-of-logistics prior in a rotated basis."""
    return LogisticProduct(np.array(LOGISTIC_SCALES), basis=rotation(BASIS_ANGLE_DEG))


PRIORS = {"bimodal": bimodal_prior, "log-concave": logconcave_prior}


def problem(prior_name: str, noise: str) -> LinearInverseProblem:
    """The toy problem with prior ``prior_name`` and noise level ``noise`` ("low"/"high")."""
    return problem_at(prior_name, NOISE_LEVELS[noise])


def problem_at(prior_name: str, delta: float) -> LinearInverseProblem:
    """The toy problem with prior ``prior_name`` and noise standard deviation ``delta``."""
    return LinearInverseProblem(operator(), delta, PRIORS[prior_name]())


def settings() -> dict:
    """The toy setting as a JSON-serialisable dict (for the study records)."""
    return {
        "operator": operator(),
        "operator_construction": "A = R(30 deg) diag(1.2, 0.7) R(30 deg)^T, R = rotation",
        "singular_values": SINGULAR_VALUES,
        "noise_levels": NOISE_LEVELS,
        "priors": {
            "bimodal": {
                "type": "GaussianMixture",
                "weights": [0.5, 0.5],
                "means": MIXTURE_MEANS,
                "covariances": f"{MIXTURE_VARIANCE} * I",
            },
            "log-concave": {
                "type": "LogisticProduct",
                "scales": LOGISTIC_SCALES,
                "basis": f"R({BASIS_ANGLE_DEG} deg) (singular basis)",
            },
        },
    }
