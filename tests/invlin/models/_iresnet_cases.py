"""Shared fixtures of the IResNet tests: the bimodal toy problem and small networks."""

import numpy as np

from invlin.models.iresnet import IResNet
from invlin.priors import GaussianMixture
from invlin.problem import LinearInverseProblem


def bimodal_problem(delta=0.3):
    """The 2-D bimodal toy problem: modes +-(1.5, 1.5), isotropic variance 0.2^2, and a 2x2
    operator with distinct singular values (about 1.27 and 0.50)."""
    prior = GaussianMixture(
        weights=[0.5, 0.5],
        means=[[1.5, 1.5], [-1.5, -1.5]],
        covs=[0.04 * np.eye(2), 0.04 * np.eye(2)],
    )
    A = np.array([[1.2, 0.3], [-0.2, 0.6]])
    return LinearInverseProblem(A, delta, prior)


def small_iresnet(activation="tanh", seed=3, blocks=2, width=4, lipschitz=0.8):
    """A small 2-D network: cheap enough for central differences and NUMBA_DISABLE_JIT=1."""
    return IResNet(2, blocks, width, lipschitz=lipschitz, activation=activation, rng=seed)


def split_blocks(model):
    """The blocks of ``model`` as one-block IResNets, rebuilt from the documented flat layout."""
    B, m, n = model.blocks, model.width, model.dim
    theta = model.get_parameters()
    sizes = np.cumsum([0, B * m * n, B * m, B * n * m, B * n])
    W1 = theta[sizes[0]:sizes[1]].reshape(B, m, n)
    b1 = theta[sizes[1]:sizes[2]].reshape(B, m)
    W2 = theta[sizes[2]:sizes[3]].reshape(B, n, m)
    b2 = theta[sizes[3]:sizes[4]].reshape(B, n)
    blocks = []
    for k in range(B):
        single = IResNet(n, 1, m, lipschitz=model.lipschitz_bound, activation=model.activation,
                         rng=0)
        single.set_parameters(np.concatenate([W1[k].ravel(), b1[k], W2[k].ravel(), b2[k]]))
        blocks.append(single)
    return blocks


def truncated_series(model, x, order):
    """sum_k sum_{j<=order} (-1)^{j+1} tr(J_gk^j)/j from dense block Jacobians (NumPy)."""
    total = np.zeros(x.shape[0])
    for block in split_blocks(model):
        Jg = block.jacobian(x) - np.eye(model.dim)
        power = np.broadcast_to(np.eye(model.dim), Jg.shape).copy()
        for j in range(1, order + 1):
            power = power @ Jg
            total += (-1) ** (j + 1) * np.trace(power, axis1=1, axis2=2) / j
        x = block.forward(x)
    return total
