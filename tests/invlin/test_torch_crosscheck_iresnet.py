"""IResNet objectives against PyTorch float64 autograd on the same parameters (skipped without torch).

PyTorch (``invlin.adapters.torch.TorchIResNet``, loaded from the documented flat parameter
layout) builds phi, differentiates the Jacobian terms
with ``torch.autograd.grad(create_graph=True)`` (double backward) and the reconstruction loss by
unrolling the fixed-point inversion (200 iterations per block at contraction rate <= 0.8, so the
unrolled map equals phi^{-1} and its derivative the implicit-function-theorem gradient to far
below rounding).
"""

import numpy as np
import pytest

from invlin.losses import FORMS, LOSSES, Loss
from invlin.models.iresnet import IResNet
from invlin.priors import GaussianMixture
from invlin.problem import LinearInverseProblem

torch = pytest.importorskip("torch", reason='needs the optional extra "torch": pip install torch==2.13.0 (CPU build)')
from invlin.adapters.torch import TorchIResNet  # noqa: E402

LOSS_FORMS = [(name, form) for name in LOSSES for form in FORMS
              if not (name == "reconstruction" and form == "z-weighted")]


def _problem():
    prior = GaussianMixture([0.5, 0.5], [[1.5, 1.5], [-1.5, -1.5]],
                            [0.04 * np.eye(2), 0.04 * np.eye(2)])
    return LinearInverseProblem(np.array([[1.2, 0.3], [-0.2, 0.6]]), 0.3, prior)


def _torch_objective(model, loss, samples, problem):
    module = TorchIResNet.from_invlin(model)
    x = torch.tensor(samples.x)
    t = torch.tensor(samples.y if loss.form == "y" else samples.z)
    if loss.name == "reconstruction":
        y = t
        for k in reversed(range(model.blocks)):
            z = y
            for _ in range(200):
                z = y - module.residual(k, z)
            y = z
        value = ((y - x) ** 2).sum(1).mean()
    else:
        xr = x.clone().requires_grad_(True)
        out = module(xr)
        r = out - t
        M = loss.metric(problem)
        data = (r * r).sum(1) if M is None else ((r @ torch.tensor(M)) * r).sum(1)
        value = data.mean()
        if loss.regulariser is not None:
            R = module.logdet(xr) if loss.regulariser == "logdet" else module.divergence(xr)
            value = value - loss.resolved_weight(problem) * R.mean()
    value.backward()
    return float(value.detach()), module.flat_gradient()


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
@pytest.mark.parametrize(("name", "form"), LOSS_FORMS)
def test_objective_matches_torch_autograd(name, form, activation):
    problem = _problem()
    samples = problem.sample(16, np.random.default_rng(31))
    model = IResNet(2, 3, 8, lipschitz=0.8, activation=activation, rng=32)
    model.set_parameters(model.get_parameters() * 3)  # activate the constraint
    model.project()
    loss = Loss(name, form=form, weight=0.7 if name in ("logdet", "divergence") else None)
    value, grad = loss.value_and_grad(model, samples, problem)
    t_value, t_grad = _torch_objective(model, loss, samples, problem)
    # the same float64 arithmetic in a different order: values and gradients agree to about
    # 1e-13 relative (1e-12 leaves room for the conditioning of the inverse / log-det)
    assert value == pytest.approx(t_value, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad, t_grad, rtol=0, atol=1e-12 * max(1.0, np.abs(t_grad).max()))
