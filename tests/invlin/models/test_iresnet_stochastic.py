"""Stochastic regularisers of the IResNet in training: the estimate at fixed probes against a
dense NumPy reference, and unbiasedness of the value AND of its gradient, in standard errors,
with negative controls (a biased variant must fail the same test)."""

import importlib.util
import pathlib

import numpy as np
import pytest
from scipy import stats

from invlin.losses import Hutchinson
from invlin.models import _iresnet_stochastic_numba as kernels
from invlin.models.iresnet import IResNet

_spec = importlib.util.spec_from_file_location(
    "iresnet_cases", pathlib.Path(__file__).with_name("_iresnet_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

# Unbiasedness: GROUPS independent calls, each averaging PROBES probes per point; the group means
# are i.i.d., so (mean of groups - exact) / (their standard error) is Student-t with GROUPS - 1
# degrees of freedom (the group means of 400 probes are close to normal). With `count` quantities
# compared at once, the threshold is the two-sided t quantile at ALPHA / count (Bonferroni): the
# probability that an unbiased estimator fails a test is at most ALPHA.
GROUPS = 100
PROBES = 400
ALPHA = 1e-6


def _network(dim, seed=21):
    """A network whose block Jacobians J_g have norms 0.3 to 0.6 at the test points, so that
    the powers beyond the first matter (saturated activations would make J_g nearly zero)."""
    model = IResNet(dim, 2, 6, lipschitz=0.8, rng=seed)
    theta = model.get_parameters()
    W1, b1, W2, _ = model._views(theta)
    W1 *= 10.0  # the Lipschitz constraint becomes active after the projection
    W2 *= 10.0
    b1 *= 0.2  # pre-activations near zero: act' near 1
    model.set_parameters(theta)  # (not in place: the model caches its blocks' bounds)
    model.project()
    return model


def _points(dim, n_points=3):
    return 0.3 * np.random.default_rng(dim).standard_normal((n_points, dim))


def _exact(model, x, regulariser):
    """R(x_i) and the gradient of mean_i R(x_i) from the exact-Jacobian engine hook.

    The objective with weight c = 1 is data - mean R; subtracting the unregularised objective
    (same kernel, same data term) leaves -mean R and its gradient.
    """
    target = np.zeros_like(x)
    _, g_data = model._objective(x, target, None, None, 0.0)
    _, g_reg = model._objective(x, target, None, regulariser, 1.0)
    values = model.divergence(x) if regulariser == "divergence" else model.logdet(x)
    return values, g_data - g_reg


def _group_means(model, x, regulariser, draw, seed=0):
    rng = np.random.default_rng(seed)
    values, grads = [], []
    for _ in range(GROUPS):
        probes, coefs = draw(rng)
        est, grad = model._stochastic_regulariser(x, regulariser, probes, coefs)
        values.append(est.mean(axis=1))
        grads.append(grad)
    return np.array(values), np.array(grads)


def _max_t(samples, exact):
    """max over components of |mean - exact| / standard error.

    Components whose samples do not vary (the regulariser does not depend on the last block's
    b2) must equal the exact value to rounding: 1e-12 relative to the largest entry, far above
    the ~1e-15 rounding of sums of O(10) terms.
    """
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    noisy = se > 0
    scale = max(1.0, np.max(np.abs(exact)))
    assert np.all(np.abs(mean[~noisy] - exact[~noisy]) <= 1e-12 * scale)
    return float(np.max(np.abs(mean[noisy] - exact[noisy]) / se[noisy]))


def _threshold(count):
    return float(stats.t.isf(ALPHA / (2 * count), df=GROUPS - 1))


def _hutchinson_draw(estimator, n_points, dim, regulariser, probe_scale=1.0):
    def draw(rng):
        probes, coefs = estimator.draw(rng, n_points, dim, regulariser)
        return probe_scale * probes, coefs
    return draw


def _unbiasedness(model, x, regulariser, draw):
    """(max t of the values, its threshold, max t of the gradient, its threshold)."""
    exact_values, exact_grad = _exact(model, x, regulariser)
    values, grads = _group_means(model, x, regulariser, draw)
    return (_max_t(values, exact_values), _threshold(x.shape[0]),
            _max_t(grads, exact_grad), _threshold(exact_grad.size))


UNBIASED = [
    ("divergence", Hutchinson(probes=PROBES, distribution="rademacher")),
    ("divergence", Hutchinson(probes=PROBES, distribution="gaussian")),
    # roulette after 2 exact terms; p = 0.3 < 1 - L^2 = 0.36 keeps the variance finite
    ("logdet", Hutchinson(probes=PROBES, terms=2, roulette=0.3)),
]


@pytest.mark.parametrize("dim", [2, 5, 8])
@pytest.mark.parametrize(("regulariser", "estimator"), UNBIASED)
def test_estimate_and_gradient_are_unbiased(dim, regulariser, estimator):
    model, x = _network(dim), _points(dim)
    draw = _hutchinson_draw(estimator, x.shape[0], dim, regulariser)
    t_value, k_value, t_grad, k_grad = _unbiasedness(model, x, regulariser, draw)
    assert t_value < k_value, (t_value, k_value)
    assert t_grad < k_grad, (t_grad, k_grad)


@pytest.mark.parametrize("dim", [2, 5, 8])
def test_probes_with_the_wrong_variance_fail(dim):
    # negative control: probes scaled by 1.1 (E[v v^T] = 1.21 I) bias the divergence by 21 %
    model, x = _network(dim), _points(dim)
    draw = _hutchinson_draw(Hutchinson(probes=PROBES), x.shape[0], dim, "divergence",
                            probe_scale=1.1)
    t_value, k_value, t_grad, k_grad = _unbiasedness(model, x, "divergence", draw)
    assert t_value > k_value, (t_value, k_value)
    assert t_grad > k_grad, (t_grad, k_grad)


@pytest.mark.parametrize("dim", [2, 5, 8])
def test_truncation_at_order_one_fails(dim):
    # negative control: log det approximated by the first term sum_k tr J_gk alone
    model, x = _network(dim), _points(dim)
    draw = _hutchinson_draw(Hutchinson(probes=PROBES, terms=1), x.shape[0], dim, "logdet")
    t_value, k_value, t_grad, k_grad = _unbiasedness(model, x, "logdet", draw)
    assert t_value > k_value, (t_value, k_value)
    assert t_grad > k_grad, (t_grad, k_grad)


@pytest.mark.parametrize("dim", [2, 8])
def test_fixed_truncation_is_unbiased_for_its_series_and_within_its_bound(dim):
    model, x = _network(dim), _points(dim)
    estimator = Hutchinson(probes=PROBES, terms=4)
    values, _ = _group_means(model, x, "logdet",
                             _hutchinson_draw(estimator, x.shape[0], dim, "logdet"))
    series = cases.truncated_series(model, x, 4)
    assert _max_t(values, series) < _threshold(x.shape[0])
    # the stated bias bound holds for the exact series (deterministic: dense Jacobians)
    bound = estimator.truncation_bound(model, "logdet")
    # (a worst-case bound, |tr J^j| <= n L^j: loose here, where |J_g| is 0.3 to 0.6 < L)
    assert np.all(np.abs(series - model.logdet(x)) <= bound)


def _dense_estimate(model, x, regulariser, probes, coefs):
    """The per-probe estimates from dense Jacobians (NumPy), the reference of the kernel."""
    if regulariser == "divergence":
        return np.einsum("spi,sij,spj->sp", probes, model.jacobian(x), probes)
    est = np.zeros(probes.shape[:2])
    for block in cases.split_blocks(model):
        Jg = block.jacobian(x) - np.eye(model.dim)
        w = probes.copy()
        for j in range(coefs.shape[2]):
            w = np.einsum("sij,spj->spi", Jg, w)
            est += coefs[:, :, j] * np.einsum("spi,spi->sp", probes, w)
        x = block.forward(x)
    return est


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
@pytest.mark.parametrize(("regulariser", "estimator"), [
    ("divergence", Hutchinson(probes=3, distribution="gaussian")),
    ("logdet", Hutchinson(probes=3, terms=2, roulette=0.5)),
])
def test_kernel_matches_the_dense_reference(activation, regulariser, estimator):
    model = IResNet(4, 3, 5, lipschitz=0.9, activation=activation, rng=2)
    x = _points(4, n_points=7)
    probes, coefs = estimator.draw(np.random.default_rng(3), 7, 4, regulariser)
    est, _ = model._stochastic_regulariser(x, regulariser, probes, coefs)
    # the same sums in another order (BLAS vs loops), O(10) terms of size O(1): 1e-12 absolute
    np.testing.assert_allclose(est, _dense_estimate(model, x, regulariser, probes, coefs),
                               rtol=0, atol=1e-12)
    # negative control: the same comparison with the probes' roles swapped between points fails
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(est, _dense_estimate(model, x, regulariser, probes[::-1],
                                                        coefs[::-1]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("regulariser", ["divergence", "logdet"])
def test_serial_and_parallel_drivers_agree_bitwise(regulariser):
    # both drivers visit the same chunks with the same arithmetic and sum slots in order
    model = IResNet(3, 2, 4, rng=4)
    x = _points(3, n_points=100)
    probes, coefs = Hutchinson(probes=2, terms=3).draw(np.random.default_rng(5), 100, 3,
                                                       regulariser)
    args = (*model._kernel_weights(), model._act(),
            kernels.DIVERGENCE if regulariser == "divergence" else kernels.LOGDET, x, probes,
            coefs)
    serial = kernels.regulariser_serial(*args)
    parallel = kernels.regulariser_parallel(*args)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
