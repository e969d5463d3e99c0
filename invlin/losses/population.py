"""Exact expected losses (and gradients) of affine models under a Gaussian prior."""

from __future__ import annotations

import numpy as np

from invlin.losses.loss import Loss
from invlin.models.linear import affine_regulariser

__all__ = ["AffinePopulation", "population_value_and_grad"]


def _moments(problem, form):
    """B, C with t = B x + C eta (t = y: B = A, C = I; t = z: B = A^T A, C = A^T)."""
    a = np.asarray(problem.A, dtype=np.float64)
    if form == "y":
        return a, np.eye(a.shape[0])
    return a.T @ a, a.T


def population_value_and_grad(model, problem, loss) -> tuple[float, np.ndarray]:
    r"""Exact expected loss and its gradient for an affine model under a Gaussian prior.

    Parameters
    ----------
    model : Linear or DiagonalLinear
        Any model exposing the affine hooks ``_affine()`` (K, b) and ``_affine_gradient``.
    problem : LinearInverseProblem
        With a Gaussian prior ``N(mu, Sigma)``: one that declares a single Gaussian component
        (``prior.gaussian_components()``, e.g. :class:`~invlin.priors.Gaussian`).
    loss : Loss or str
        A :class:`Loss` (or a loss name, then in z-form with the default weight).

    Returns
    -------
    value : float
    grad : ndarray, shape (model.n_parameters,)

    Raises
    ------
    TypeError
        If the model is not affine or the prior is not Gaussian (no closed form then).

    Notes
    -----
    Write the data as :math:`t = B x + C \eta` (:math:`B = A, C = I` for y;
    :math:`B = A^T A, C = A^T` for z), :math:`x \sim N(\mu, \Sigma)`,
    :math:`\eta \sim N(0, \delta^2 I)`.

    Data term: :math:`r = K x + b - t = (K - B) x + b - C\eta` has mean
    :math:`m = (K - B)\mu + b` and covariance :math:`S = (K-B)\Sigma(K-B)^T + \delta^2 C C^T`, so
    :math:`E|r|_M^2 = m^T M m + \operatorname{tr}(M S)` with gradients
    :math:`2 M [(K - B)(\Sigma + \mu\mu^T) + b\mu^T]` (K) and :math:`2 M m` (b). The regulariser
    is constant in x for an affine map (``-c log det K`` or ``-c tr K``).

    Reconstruction: with :math:`P = K^{-1}`, :math:`e = P(t - b) - x` has mean
    :math:`m_e = (PB - I)\mu - Pb` and covariance
    :math:`(PB - I)\Sigma(PB - I)^T + \delta^2 P C C^T P^T`;
    :math:`\partial E|e|^2/\partial P = 2(m_e (B\mu - b)^T + P\,\mathrm{Cov}(t) - \Sigma B^T)`,
    :math:`\partial/\partial b = -2 P^T m_e`, and
    :math:`\partial/\partial K = -P^T (\partial/\partial P) P^T`.
    """
    return AffinePopulation(model, problem, loss).value_and_grad()


class AffinePopulation:
    """The exact expected loss of :func:`population_value_and_grad` for one (model, problem,
    loss): the inputs are checked and the prior's moments and the data's covariance computed
    once, for the many evaluations of a training run (:func:`invlin.training.train` with
    ``population=True``).

    Parameters
    ----------
    model : Linear or DiagonalLinear
        Evaluated at its parameters at each call of :meth:`value_and_grad`.
    problem : LinearInverseProblem
        With a single-component Gaussian prior.
    loss : Loss or str

    Raises
    ------
    TypeError
        If the model is not affine or the prior is not Gaussian.
    """

    def __init__(self, model, problem, loss):
        if isinstance(loss, str):
            loss = Loss(loss)
        if not (hasattr(model, "_affine") and hasattr(model, "_affine_gradient")):
            raise TypeError(
                f"population losses are closed-form only for affine models (Linear, "
                f"DiagonalLinear); got {type(model).__name__}"
            )
        components = problem.prior.gaussian_components()
        if components is None or components.weights.shape[0] != 1:
            raise TypeError(
                f"population losses need a Gaussian prior (closed-form moments); got "
                f"{type(problem.prior).__name__}"
            )
        loss.check_compatible(model, problem)
        self.model, self.problem, self.loss = model, problem, loss
        self._mu = np.asarray(components.means[0], dtype=np.float64)
        self._sigma = np.asarray(components.covs[0], dtype=np.float64)
        self._delta2 = float(problem.delta) ** 2
        self._b_op, self._c_op = _moments(problem, loss.form)
        self._second_moment = self._sigma + np.outer(self._mu, self._mu)
        self._weight = (loss.resolved_weight(problem) if loss.regulariser is not None
                        else None)
        self._metric = loss.metric(problem)

    def value_and_grad(self) -> tuple[float, np.ndarray]:
        """(value, gradient) at the model's current parameters."""
        model = self.model
        loss = self.loss
        mu, sigma, delta2 = self._mu, self._sigma, self._delta2
        b_op, c_op = self._b_op, self._c_op
        matrix, bias = model._affine()
        identity = np.eye(model.dim)
        second_moment = self._second_moment

        if loss.name == "reconstruction":
            p = np.linalg.inv(matrix)
            pb = p @ b_op - identity
            mean_e = pb @ mu - p @ bias
            cov_e = pb @ sigma @ pb.T + delta2 * p @ c_op @ c_op.T @ p.T
            value = float(mean_e @ mean_e + np.trace(cov_e))
            cov_t = b_op @ sigma @ b_op.T + delta2 * c_op @ c_op.T
            grad_p = 2.0 * (np.outer(mean_e, b_op @ mu - bias) + p @ cov_t - sigma @ b_op.T)
            grad_matrix = -p.T @ grad_p @ p.T
            grad_bias = -2.0 * p.T @ mean_e
            return value, model._affine_gradient(grad_matrix, grad_bias)

        metric = self._metric
        metric = identity if metric is None else np.asarray(metric, dtype=np.float64)
        diff = matrix - b_op
        mean_r = diff @ mu + bias
        cov_r = diff @ sigma @ diff.T + delta2 * c_op @ c_op.T
        value = float(mean_r @ metric @ mean_r + np.trace(metric @ cov_r))
        grad_matrix = 2.0 * metric @ (diff @ second_moment + np.outer(bias, mu))
        grad_bias = 2.0 * metric @ mean_r
        if loss.regulariser is not None:
            c = self._weight
            reg_value, reg_grad = affine_regulariser(matrix, loss.regulariser)
            value -= c * reg_value
            grad_matrix = grad_matrix - c * reg_grad
        return value, model._affine_gradient(grad_matrix, grad_bias)

    def hessian(self) -> np.ndarray:
        r"""Hessian of the expected loss at the model's current parameters, by central
        differences of the exact gradient (:meth:`value_and_grad`).

        Returns
        -------
        ndarray, shape (model.n_parameters, model.n_parameters)
            Symmetrised. The model is left at its parameters.

        Notes
        -----
        Column i is :math:`(\nabla L(\theta + h_i e_i) - \nabla L(\theta - h_i e_i)) / (2 h_i)`
        with :math:`h_i = 10^{-4} \max(1, |\theta_i|)`: truncation error
        :math:`O(h^2 |\nabla^4 L|)` plus rounding :math:`O(\epsilon |\nabla L| / h)`, about
        1e-8 relative for these smooth losses (every point of a central difference lies in the
        loss's domain while :math:`h_i` is below the distance to the domain's boundary, here
        gains > 0). That is ample for Newton's method (:func:`invlin.training.newton`), whose
        iterates then contract the gradient by about 1e-8 per step; the stopping rule uses the
        exact gradient, so the Hessian's error never enters a result.
        """
        model = self.model
        theta = model.get_parameters()
        steps = 1e-4 * np.maximum(1.0, np.abs(theta))
        columns = []
        try:
            for i, h in enumerate(steps):
                shifted = theta.copy()
                shifted[i] = theta[i] + h
                model.set_parameters(shifted)
                plus = self.value_and_grad()[1]
                shifted[i] = theta[i] - h
                model.set_parameters(shifted)
                minus = self.value_and_grad()[1]
                columns.append((plus - minus) / (2.0 * h))
        finally:
            model.set_parameters(theta)
        hess = np.array(columns)
        return 0.5 * (hess + hess.T)
