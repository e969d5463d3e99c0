"""The scalar-Gaussian test problem and theory's predicted gains (shared by the training tests)."""

import numpy as np

import theory
from invlin.priors import Gaussian
from invlin.problem import LinearInverseProblem
from theory.symbols import L, a, c, delta, s

LOSS_FORMS = [(name, form) for name in theory.LOSSES for form in theory.FORMS
              if (name, form) != ("reconstruction", "z-weighted")]
SINGULAR_VALUES = np.array([1.5, 1.0, 0.5])
PRIOR_STD = np.array([1.0, 0.7, 1.5])
DELTA = 0.3


def diagonal_problem(seed=0):
    """A = Q diag(sigma) Q^T, prior N(0, Q diag(s^2) Q^T): decoupled scalar problems along Q."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    prior = Gaussian(np.zeros(3), (q * PRIOR_STD**2) @ q.T)
    return LinearInverseProblem.diagonal(SINGULAR_VALUES, DELTA, prior, basis=q)


def component_std(problem):
    """s_j = sqrt(v_j^T Sigma v_j) in the problem's own order of singular vectors."""
    v = problem.right_singular_vectors
    return np.sqrt(np.einsum("aj,ab,bj->j", v, problem.prior.covariance, v))


def predicted_gains(problem, name, form, weight=None, lipschitz=None):
    """theory.optimal_gain evaluated per component (never a hand-coded formula)."""
    expr = theory.optimal_gain(name, form, weight=None if weight is None else c,
                               lipschitz=None if lipschitz is None else L)
    symbols = [a, s, delta] + ([c] if weight is not None else []) + ([L] if lipschitz is not None else [])
    values = [problem.singular_values, component_std(problem), problem.delta]
    values += ([weight] if weight is not None else []) + ([lipschitz] if lipschitz is not None else [])
    return np.broadcast_to(theory.numeric(expr, *symbols)(*values), (problem.dim,)).astype(float)
