"""Cross-check with PyTorch autograd (float64): loss values and gradients of the hand-written engine.

The torch side is written independently from the documented parameter layouts: the maps from
their formulas, Jacobians by autograd (not by the slope formulas), log det by slogdet, divergence
by the trace, the reconstruction through torch.linalg.solve (affine models) or, for DiagonalNet,
through one Newton step from a bisection root with a detached slope (the implicit-function
derivative produced by autograd).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason='needs the optional extra "torch": pip install torch==2.13.0 (CPU build)')

from invlin.losses import Loss  # noqa: E402
from invlin.models import DiagonalLinear, DiagonalNet, Linear  # noqa: E402
from invlin.priors import Gaussian  # noqa: E402
from invlin.problem import LinearInverseProblem  # noqa: E402

CASES = [(name, form) for name in ("approximation", "reconstruction", "logdet", "divergence")
         for form in ("y", "z", "z-weighted") if (name, form) != ("reconstruction", "z-weighted")]


def make_problem():
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    prior = Gaussian(0.2 * rng.standard_normal(3), (q * [0.6, 1.0, 1.4]) @ q.T)
    return LinearInverseProblem.diagonal([1.7, 1.1, 0.6], 0.35, prior, basis=q), rng


def torch_map(model, theta):
    """phi as a torch function of one point, from the flat parameter tensor theta."""
    n = model.dim
    if isinstance(model, Linear):
        matrix = theta[: n * n].reshape(n, n)
        if model.lipschitz_bound is not None:
            matrix = matrix + torch.eye(n, dtype=torch.float64)
        return lambda x: matrix @ x + theta[n * n :]
    basis = torch.tensor(model.basis)
    if isinstance(model, DiagonalLinear):
        offset = theta[n:] if model.has_bias else torch.zeros(n, dtype=torch.float64)
        return lambda x: basis @ (theta[:n] * (basis.T @ x) + offset)
    r = model.n_units
    table = theta.reshape(n, 2 + 3 * r)
    return lambda x: basis @ scalar(table, basis.T @ x)


def scalar(table, t):
    """f_j(t_j) = alpha t + beta + sum_r w tanh(gamma t + b), per component."""
    r = (table.shape[1] - 2) // 3
    alpha, beta = table[:, 0], table[:, 1]
    w, gamma, b = table[:, 2 : 2 + r], table[:, 2 + r : 2 + 2 * r], table[:, 2 + 2 * r :]
    return alpha * t + beta + torch.sum(w * torch.tanh(gamma * t[:, None] + b), dim=1)


def torch_inverse(model, theta, u):
    n = model.dim
    if isinstance(model, Linear):
        phi = torch_map(model, theta)
        matrix = torch.stack([phi(e) - phi(torch.zeros(n, dtype=torch.float64)) for e in torch.eye(n, dtype=torch.float64)], dim=1)
        return torch.linalg.solve(matrix, (u - phi(torch.zeros(n, dtype=torch.float64))).T).T
    basis = torch.tensor(model.basis)
    coords = u @ basis
    if isinstance(model, DiagonalLinear):
        offset = theta[n:] if model.has_bias else 0.0
        return ((coords - offset) / theta[:n]) @ basis.T
    table = theta.reshape(n, -1)
    with torch.no_grad():
        lo, hi = torch.full_like(coords, -1e3), torch.full_like(coords, 1e3)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            below = torch.stack([scalar(table, m) for m in mid]) < coords
            lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
        root = 0.5 * (lo + hi)
    root_var = root.clone().requires_grad_(True)
    values = torch.stack([scalar(table, m) for m in root_var])
    slope = torch.autograd.grad(values.sum(), root_var, retain_graph=False)[0].detach()
    values = torch.stack([scalar(table, m) for m in root])
    return (root - (values - coords) / slope) @ basis.T


def torch_loss(model, loss, samples, problem, theta):
    x = torch.tensor(samples.x)
    target = torch.tensor(samples.y if loss.form == "y" else samples.z)
    if loss.name == "reconstruction":
        return torch.mean(torch.sum((torch_inverse(model, theta, target) - x) ** 2, dim=1))
    phi = torch_map(model, theta)
    metric = torch.tensor(problem.normal_operator_inverse() if loss.form == "z-weighted" else np.eye(3))
    total = 0.0
    c = loss.resolved_weight(problem)
    for i in range(x.shape[0]):
        r = phi(x[i]) - target[i]
        total = total + r @ metric @ r
        if loss.regulariser is not None:
            jac = torch.autograd.functional.jacobian(phi, x[i], create_graph=True)
            reg = torch.linalg.slogdet(jac)[1] if loss.name == "logdet" else torch.trace(jac)
            total = total - c * reg
    return total / x.shape[0]


def models(problem, rng):
    basis = problem.right_singular_vectors
    out = [Linear(3), Linear(3, lipschitz=0.8), DiagonalLinear(basis, bias=True),
           DiagonalNet(basis, n_units=2), DiagonalNet(basis, n_units=2, lipschitz=0.9)]
    for model in out:
        model.set_parameters(model.get_parameters() + 0.1 * np.abs(rng.standard_normal(model.n_parameters)))
        model.project()
    return out


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize("name,form", CASES)
def test_values_and_gradients_match_torch_autograd(index, name, form):
    problem, rng = make_problem()
    model = models(problem, rng)[index]
    samples = problem.sample(8, rng)
    loss = Loss(name, form)
    value, grad = loss.value_and_grad(model, samples, problem)
    theta = torch.tensor(model.get_parameters(), requires_grad=True)
    reference = torch_loss(model, loss, samples, problem, theta)
    reference.backward()
    # Same mathematics, different arithmetic (autograd Jacobians, slogdet, bisection to 1e-13):
    # agreement to ~1e-10 relative is rounding; any formula slip shows at order 1.
    assert value == pytest.approx(reference.item(), rel=1e-10)
    np.testing.assert_allclose(grad, theta.grad.numpy(), rtol=1e-8, atol=1e-9 * np.max(np.abs(grad)))
