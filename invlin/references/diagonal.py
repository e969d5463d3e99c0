"""Per-component references for diagonal models: one 1-D optimum per singular component."""

from __future__ import annotations

from invlin.problem import LinearInverseProblem
from invlin.references.function_space import function_space_optimum


def diagonal_optima(problem, loss, form="z", weight=None) -> list:
    """The optimum of a diagonal nonlinear model, component by component.

    Parameters
    ----------
    problem : LinearInverseProblem
        Injective; square for the y-form.
    loss, form, weight
        As for :func:`~invlin.references.function_space.function_space_optimum`.

    Returns
    -------
    list of FunctionSpaceOptimum
        Entry j is the optimum f_j for the singular value sigma_j and the marginal prior of
        <x, v_j> (``problem.prior.marginal(v_j)``). The model is
        phi(x) = sum_j f_j(<x, v_j>) v_j; its inverse maps data coordinates <z, v_j> (z-forms) or
        <y, u_j> (y-form) through ``inverse``.

    Raises
    ------
    invlin.errors.NotInjectiveError
        If A is not injective.
    ValueError
        If A is not square in the y-form.
    NotImplementedError
        If the prior has no closed-form marginal along some v_j (e.g. a LogisticProduct along
        a direction that is not one of its basis vectors, which can happen for repeated
        singular values, where the singular basis is not unique).

    Notes
    -----
    For phi = sum_j f_j(<x, v_j>) v_j every loss separates over the components, and component j
    involves only the law of (<x, v_j>, its data coordinate): the marginal prior p_j, singular
    value sigma_j and noise N(0, delta^2) (claims ``diagonal-marginal-divergence`` and
    ``diagonal-marginal-reconstruction``). For a non-product prior the per-component optimum is
    therefore the marginal one (e.g. the marginal posterior mean E[x_j | z_j], not the full
    posterior mean).
    """
    if not isinstance(problem, LinearInverseProblem):
        raise TypeError(
            f"problem must be an invlin LinearInverseProblem, got {type(problem).__name__}"
        )
    problem.require_injective()
    if form == "y" and problem.m != problem.dim:
        raise ValueError(f"form 'y' needs a square A, got shape {problem.A.shape}")
    basis = problem.right_singular_vectors
    return [
        function_space_optimum(
            problem.prior.marginal(basis[:, j]), float(sigma), problem.delta, loss, form, weight
        )
        for j, sigma in enumerate(problem.singular_values)
    ]
