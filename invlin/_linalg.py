"""Validated linear-algebra inputs shared by the priors and the problem class."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array

# An orthonormal matrix or unit vector computed in floating point (QR, SVD, normalisation)
# deviates from exact orthonormality by a few n * eps ~ 1e-15; 1e-10 accepts those and rejects
# anything that is not meant to be orthonormal.
ORTHONORMAL_TOL = 1e-10


def as_unit_vector(value, name: str, dim: int) -> np.ndarray:
    """Return ``value`` as a float64 vector of length ``dim`` with unit Euclidean norm."""
    v = as_float_array(value, name, ndim=1)
    if v.shape[0] != dim:
        raise ValueError(f"{name} must have length {dim}, got {v.shape[0]}")
    norm = np.linalg.norm(v)
    if abs(norm - 1.0) > ORTHONORMAL_TOL:
        raise ValueError(f"{name} must be a unit vector (|{name}| = 1), got norm {norm:.17g}")
    return v


def as_orthonormal_basis(value, name: str, dim: int) -> np.ndarray:
    """Return ``value`` as a ``(dim, dim)`` matrix with orthonormal columns."""
    basis = as_float_array(value, name, ndim=2)
    if basis.shape != (dim, dim):
        raise ValueError(f"{name} must have shape ({dim}, {dim}), got {basis.shape}")
    defect = np.max(np.abs(basis.T @ basis - np.eye(dim)))
    if defect > ORTHONORMAL_TOL:
        raise ValueError(
            f"{name} must be orthonormal ({name}^T {name} = I), max deviation {defect:.3e}"
        )
    return basis


def as_spd_matrix(value, name: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a symmetric positive definite ``(dim, dim)`` matrix and its lower Cholesky factor.

    Symmetry is required up to rounding: ``|S - S^T| <= 1e-12 |S|_max`` (a covariance assembled
    in floating point, e.g. ``B @ B.T``, is symmetric to a few eps); positive definiteness is
    decided by the Cholesky factorisation.
    """
    matrix = as_float_array(value, name, ndim=2)
    if matrix.shape != (dim, dim):
        raise ValueError(f"{name} must have shape ({dim}, {dim}), got {matrix.shape}")
    scale = np.max(np.abs(matrix))
    if np.max(np.abs(matrix - matrix.T)) > 1e-12 * scale:
        raise ValueError(f"{name} must be symmetric positive definite (it is not symmetric)")
    matrix = 0.5 * (matrix + matrix.T)
    try:
        cholesky = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{name} must be symmetric positive definite (Cholesky factorisation failed)"
        ) from None
    return matrix, cholesky
