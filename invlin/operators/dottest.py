"""Self-check of an orthonormal basis: adjointness and orthogonality (dot test)."""

from __future__ import annotations

import numpy as np

from invlin._validation import positive_int, require_generator


def dottest(basis, rng: np.random.Generator, *, n_samples: int = 4) -> dict:
    """Relative defects of the adjoint identity and of orthonormality on random vectors.

    Parameters
    ----------
    basis : OrthonormalBasis
    rng : numpy.random.Generator
    n_samples : int, optional
        Random pairs (x, t) with independent standard normal entries.

    Returns
    -------
    dict
        ``adjoint``: max_i |<V^T x_i, t_i> - <x_i, V t_i>| / (|x_i| |t_i|);
        ``inverse``: max_i |V V^T x_i - x_i| / |x_i|;
        ``isometry``: max_i ||V^T x_i| - |x_i|| / |x_i|.

    Notes
    -----
    For an exact orthonormal basis all three are zero; computed in floating point they are a
    few eps times a factor that grows like log n for a fast transform (O(n log n) operations,
    each rounding relatively), so a defect above ~1e-12 at moderate n flags a wrong basis.
    """
    rng = require_generator(rng)
    n_samples = positive_int(n_samples, "n_samples")
    x = rng.standard_normal((n_samples, basis.dim))
    t = rng.standard_normal((n_samples, basis.dim))
    norm_x = np.linalg.norm(x, axis=1)
    coefficients = basis.forward(x)
    adjoint = np.abs(np.sum(coefficients * t, axis=1) - np.sum(x * basis.adjoint(t), axis=1))
    return {
        "adjoint": float(np.max(adjoint / (norm_x * np.linalg.norm(t, axis=1)))),
        "inverse": float(np.max(np.linalg.norm(basis.adjoint(coefficients) - x, axis=1) / norm_x)),
        "isometry": float(np.max(np.abs(np.linalg.norm(coefficients, axis=1) - norm_x) / norm_x)),
    }
