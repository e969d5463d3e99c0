"""IResNet: parameters, spectral normalisation, forward map, exact Jacobian quantities, inverse."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invlin.errors import InversionError
from invlin.inversion import InversionResult
from invlin.models import _iresnet_drivers as drivers
from invlin.models import _iresnet_numba as kernels
from invlin.models.base import InvertibleModel
from invlin.models.iresnet import IResNet

EPS = np.finfo(np.float64).eps


def _softclip_reference(h, beta=kernels.SOFTCLIP_SHARPNESS):
    """The soft clip's definition (a difference of softplus terms), with NumPy."""
    return (np.logaddexp(0.0, beta * (h + 1)) - np.logaddexp(0.0, beta * (h - 1))) / beta - 1


def _reference_forward(model, x):
    """phi written directly from the documented flat layout with NumPy."""
    B, m, n = model.blocks, model.width, model.dim
    theta = model.get_parameters()
    W1 = theta[: B * m * n].reshape(B, m, n)
    b1 = theta[B * m * n: B * m * n + B * m].reshape(B, m)
    W2 = theta[B * m * n + B * m: 2 * B * m * n + B * m].reshape(B, n, m)
    b2 = theta[2 * B * m * n + B * m:].reshape(B, n)
    act = {"tanh": np.tanh, "softplus": lambda h: np.logaddexp(0.0, h),
           "softclip": _softclip_reference}[model.activation]
    for k in range(B):
        x = x + act(x @ W1[k].T + b1[k]) @ W2[k].T + b2[k]
    return x


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
def test_forward_follows_the_documented_layout(activation):
    model = IResNet(3, 3, 7, activation=activation, rng=0)
    assert model.n_parameters == 3 * (2 * 7 * 3 + 7 + 3)
    x = np.random.default_rng(1).standard_normal((9, 3)) * 2
    # a handful of O(1) operations per entry: agreement to 1e-13 (about 500 ulp)
    np.testing.assert_allclose(model.forward(x), _reference_forward(model, x), atol=1e-13)
    np.testing.assert_allclose(model.forward(x[0]), _reference_forward(model, x[:1])[0],
                               atol=1e-13)


def test_tanh_kernel_is_accurate():
    # the kernel evaluates tanh through its own expm1 (Cody-Waite reduction and a Taylor
    # polynomial); its absolute error must stay at a few ulp of 1
    h = np.concatenate([np.linspace(-30, 30, 200001), [0.0, 1e-300, -1e-17, 1e-8, 700.0, -800.0],
                        np.geomspace(1e-300, 25.0, 20001), -np.geomspace(1e-300, 25.0, 20001)])
    a, d1, d2 = (np.empty_like(h) for _ in range(3))
    kernels._activate(h, kernels.TANH, a, d1, d2)
    t = np.tanh(h)
    assert np.max(np.abs(a - t)) <= 4 * EPS
    assert np.max(np.abs(d1 - (1 - t**2))) <= 8 * EPS
    assert np.max(np.abs(d2 - (-2 * t * (1 - t**2)))) <= 16 * EPS
    # and its relative error too, down to the smallest arguments (no cancellation in expm1):
    # measured at most 2.2 eps against numpy.tanh (itself correct to about 1 ulp); 4 eps bounds
    # both errors together
    assert np.max(np.abs(a - t) / np.abs(np.where(t == 0.0, 1.0, t))) <= 4 * EPS
    assert np.all(a[h == 0.0] == 0.0)
    assert np.all(np.sign(a) == np.sign(h))


def test_softplus_kernel_derivatives():
    h = np.linspace(-40, 40, 4001)
    a, d1, d2 = (np.empty_like(h) for _ in range(3))
    kernels._activate(h, kernels.SOFTPLUS, a, d1, d2)
    sig = 1 / (1 + np.exp(-h))
    # closed forms evaluated with NumPy: relative agreement to a few ulp
    np.testing.assert_allclose(a, np.logaddexp(0.0, h), rtol=4 * EPS, atol=1e-300)
    np.testing.assert_allclose(d1, sig, rtol=8 * EPS, atol=1e-300)
    np.testing.assert_allclose(d2, sig * (1 - sig), rtol=1e-14, atol=1e-300)


def _softclip_kernel(h):
    a, d1, d2 = (np.empty_like(h) for _ in range(3))
    kernels._activate(h, kernels.SOFTCLIP, a, d1, d2)
    return a, d1, d2


def test_softclip_kernel_values_and_derivatives():
    beta = kernels.SOFTCLIP_SHARPNESS
    h = np.linspace(-6, 6, 12001)
    a, d1, d2 = _softclip_kernel(h)
    # the definition (softplus terms of size up to 56 whose difference is divided by beta = 8):
    # a few ulp of those terms, 1e-14 absolute
    np.testing.assert_allclose(a, _softclip_reference(h), rtol=0, atol=1e-14)
    # sigma' = sig(beta (h + 1)) - sig(beta (h - 1)) and sigma'' = beta (sig' - sig') with the
    # logistic sig(t) = (1 + tanh(t / 2)) / 2 by NumPy: O(1) and O(beta) terms, a few ulp of them
    sig = lambda t: 0.5 * (1 + np.tanh(t / 2))  # noqa: E731
    dsig = lambda t: beta * sig(t) * (1 - sig(t))  # noqa: E731
    np.testing.assert_allclose(d1, sig(beta * (h + 1)) - sig(beta * (h - 1)), rtol=0,
                               atol=4 * EPS)
    np.testing.assert_allclose(d2, dsig(beta * (h + 1)) - dsig(beta * (h - 1)), rtol=0,
                               atol=8 * beta * EPS)
    # central differences of the kernel itself (step 1e-6: truncation h^2 |f'''| / 6 below
    # 1e-12 beta^2, rounding eps / 1e-6 ~ 2e-10; 1e-8 bounds both)
    step = 1e-6
    hs = np.linspace(-3, 3, 601)
    plus, minus, centre = _softclip_kernel(hs + step), _softclip_kernel(hs - step), \
        _softclip_kernel(hs)
    np.testing.assert_allclose((plus[0] - minus[0]) / (2 * step), centre[1], rtol=0, atol=1e-8)
    np.testing.assert_allclose((plus[1] - minus[1]) / (2 * step), centre[2], rtol=0, atol=1e-8)
    # odd; relatively accurate near 0, where sigma(h) = tanh(beta / 2) h + O(h^3); 1-Lipschitz,
    # its largest slope tanh(beta / 2) at 0
    positive = np.geomspace(1e-3, 6.0, 1001)
    np.testing.assert_array_equal(_softclip_kernel(-positive)[0], -_softclip_kernel(positive)[0])
    tiny = np.array([1e-300, 1e-17, 1e-8])
    np.testing.assert_allclose(_softclip_kernel(tiny)[0], np.tanh(beta / 2) * tiny, rtol=1e-15)
    assert d1.max() == pytest.approx(np.tanh(beta / 2), rel=4 * EPS)
    assert np.all(d1 > 0) and np.all(d1 <= 1)
    # far out, no overflow and no NaN: the limits +-1, 0, 0
    # (at |h| = 50, sigma' = 2 sinh(beta) e^(-50 beta) (1 + O(e^(-42 beta))), without underflow)
    out = _softclip_kernel(np.array([50.0, -50.0]))
    np.testing.assert_allclose(out[1], -np.expm1(-2 * beta) * np.exp(-49 * beta), rtol=1e-14)
    np.testing.assert_allclose(out[2], [-beta, beta] * out[1], rtol=1e-14)
    far = np.array([800.0, -1e300, 1e300, np.inf, -np.inf])
    af, df, ddf = _softclip_kernel(far)
    np.testing.assert_array_equal(af, np.sign(far))
    np.testing.assert_array_equal(df, 0.0)
    np.testing.assert_array_equal(ddf, 0.0)
    assert all(np.isnan(out[0]) for out in _softclip_kernel(np.array([np.nan])))
    # what it is for: on |h| <= 1/2 its slope stays above 1 - e^(-beta / 2) (so a unit holds its
    # block's slope on an interval); negative control: tanh's drops to 0.79 there
    inner = np.abs(h) <= 0.5
    assert d1[inner].min() >= 1 - np.exp(-beta / 2)
    assert not (1 - np.tanh(0.5) ** 2) >= 1 - np.exp(-beta / 2)


def test_parameters_round_trip_and_validation():
    model = IResNet(2, 2, 3, rng=0)
    theta = model.get_parameters()
    theta[0] += 1.0
    assert model.get_parameters()[0] != theta[0]  # a copy
    model.set_parameters(theta)
    np.testing.assert_array_equal(model.get_parameters(), theta)
    with pytest.raises(ValueError, match="length"):
        model.set_parameters(theta[:-1])
    with pytest.raises(ValueError, match="finite"):
        model.set_parameters(np.full_like(theta, np.nan))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(dim=0, blocks=1, width=2), ValueError, "dim"),
        (dict(dim=2, blocks=0, width=2), ValueError, "blocks"),
        (dict(dim=2, blocks=1, width=2.5), TypeError, "width"),
        (dict(dim=2, blocks=1, width=2, lipschitz=1.0), ValueError, "lipschitz"),
        (dict(dim=2, blocks=1, width=2, lipschitz=-0.1), ValueError, "lipschitz"),
        (dict(dim=2, blocks=1, width=2, activation="relu"), ValueError, "activation"),
    ],
)
def test_constructor_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        IResNet(**kwargs, rng=0)


def test_constructor_requires_explicit_randomness():
    with pytest.raises(TypeError, match="rng"):
        IResNet(2, 1, 2, rng=None)
    a = IResNet(2, 2, 3, rng=np.random.default_rng(4)).get_parameters()
    b = IResNet(2, 2, 3, rng=4).get_parameters()
    np.testing.assert_array_equal(a, b)


@given(scale=st.floats(0.01, 100.0), lip=st.floats(0.05, 0.99), seed=st.integers(0, 2**16))
def test_project_certifies_the_bound(scale, lip, seed):
    model = IResNet(2, 3, 5, lipschitz=lip, rng=seed)
    model.set_parameters(model.get_parameters() * scale)
    model.project()
    assert model.lipschitz() <= lip
    # the certificate is a true bound: compare with the spectral norms from scratch
    theta = model.get_parameters()
    W1 = theta[: 3 * 5 * 2].reshape(3, 5, 2)
    W2 = theta[3 * 5 * 2 + 15: 3 * 5 * 2 + 15 + 30].reshape(3, 2, 5)
    exact = max(np.linalg.norm(a, 2) * np.linalg.norm(b, 2) for a, b in zip(W1, W2))
    assert exact <= model.lipschitz()
    if scale > 10:  # the constraint was active: the bound sits on the boundary
        assert model.lipschitz() == pytest.approx(lip, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_projection_of_a_vector_is_project_bit_for_bit_and_leaves_the_model(seed):
    # IResNet._projection (on a copy) against the generic set, project, get of the base class
    model = IResNet(3, 4, 8, lipschitz=0.7, rng=seed)
    theta = model.get_parameters()
    point = theta.copy()
    W1, _, W2, _ = model._views(point)  # views of point: blocks 1 and 3 pushed past the bound
    factors = np.array([0.5, 3.0, 1.0, 4.0])[:, None, None]
    W1 *= factors
    W2 *= factors
    fast = model._projection(point)
    np.testing.assert_array_equal(model.get_parameters(), theta)
    generic = InvertibleModel._projection(model, point)
    np.testing.assert_array_equal(model.get_parameters(), theta)
    np.testing.assert_array_equal(fast, generic)
    # not vacuous: the scaled-up blocks were rescaled, the scaled-down one was not
    assert not np.array_equal(fast, point)
    np.testing.assert_array_equal(fast[:24], point[:24])  # W1 of block 0 (8 x 3)


def test_lipschitz_bounds_the_residual_branch():
    # empirical Lip(g_k) over random pairs never exceeds the certified bound
    model = IResNet(2, 1, 16, lipschitz=0.7, rng=2)
    model.set_parameters(model.get_parameters() * 5)
    model.project()
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2000, 2)), rng.standard_normal((2000, 2))
    gx, gy = model.forward(x) - x, model.forward(y) - y
    ratio = np.linalg.norm(gx - gy, axis=1) / np.linalg.norm(x - y, axis=1)
    assert ratio.max() <= model.lipschitz()


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
def test_jacobian_matches_finite_differences(activation):
    model = IResNet(3, 3, 6, activation=activation, rng=7)
    x = np.random.default_rng(8).standard_normal((5, 3))
    h = 1e-6
    fd = np.stack([(model.forward(x + h * e) - model.forward(x - h * e)) / (2 * h)
                   for e in np.eye(3)], axis=2)
    # central differences: truncation h^2 |phi'''| / 6 ~ 1e-12, rounding eps |phi| / h ~ 1e-10
    np.testing.assert_allclose(model.jacobian(x), fd, atol=1e-8)


def test_logdet_and_divergence_of_the_full_jacobian():
    model = IResNet(3, 4, 6, lipschitz=0.95, rng=9)
    x = np.random.default_rng(10).standard_normal((7, 3))
    J = model.jacobian(x)
    sign, logabs = np.linalg.slogdet(J)
    assert np.all(sign > 0)
    # sum of block log-dets vs LAPACK log-det of the product: rounding of O(1) numbers
    np.testing.assert_allclose(model.logdet(x), logabs, atol=1e-13)
    np.testing.assert_allclose(model.divergence(x), np.trace(J, axis1=1, axis2=2), atol=1e-13)
    assert model.logdet(x[0]) == pytest.approx(logabs[0], abs=1e-13)


def test_divergence_is_the_trace_of_the_product_not_the_sum_of_block_traces():
    model = IResNet(2, 3, 8, lipschitz=0.9, rng=11)
    model.set_parameters(model.get_parameters() * 10)
    model.project()
    x = np.random.default_rng(12).standard_normal((4, 2))
    # rebuild the blocks as one-block networks from the documented layout
    theta = model.get_parameters()
    W1 = theta[:48].reshape(3, 8, 2)
    b1 = theta[48:72].reshape(3, 8)
    W2 = theta[72:120].reshape(3, 2, 8)
    b2 = theta[120:].reshape(3, 2)
    product = np.broadcast_to(np.eye(2), (4, 2, 2)).copy()
    block_traces = np.zeros(4)
    xs = x.copy()
    for k in range(3):
        single = IResNet(2, 1, 8, rng=0)
        single.set_parameters(np.concatenate([W1[k].ravel(), b1[k], W2[k].ravel(), b2[k]]))
        Jk = single.jacobian(xs)
        product = Jk @ product
        block_traces += np.trace(Jk, axis1=1, axis2=2)
        xs = single.forward(xs)
    # tr of the chain-rule product, to rounding of O(1) numbers
    np.testing.assert_allclose(model.divergence(x), np.trace(product, axis1=1, axis2=2),
                               atol=1e-13)
    # the sum of block traces is a different quantity (it misses the cross terms and counts
    # the identity B times): it is off by about (B - 1) n = 4
    assert np.min(np.abs(model.divergence(x) - block_traces)) > 1.0


@pytest.mark.parametrize("newton", [True, False])
def test_inverse_round_trip(newton):
    model = IResNet(2, 4, 16, lipschitz=0.9, rng=13)
    model.set_parameters(model.get_parameters() * 10)
    model.project()
    x = np.random.default_rng(14).standard_normal((50, 2)) * 3
    result = model.inverse(model.forward(x), newton=newton, return_info=True)
    assert isinstance(result, InversionResult)
    assert np.all(result.converged)
    assert result.residual.max() <= 1e-12
    # phi^{-1} is Lipschitz with constant (1 - L)^{-B} = 1e4: residual 1e-12 -> error <= 1e-8
    np.testing.assert_allclose(result.x, x, atol=1e-8)
    np.testing.assert_allclose(model.inverse(model.forward(x[3])), x[3], atol=1e-8)


def test_newton_needs_fewer_iterations():
    model = IResNet(2, 2, 16, lipschitz=0.95, rng=15)
    model.set_parameters(model.get_parameters() * 10)
    model.project()
    u = np.random.default_rng(16).standard_normal((20, 2))
    plain = model.inverse(u, newton=False, return_info=True)
    polished = model.inverse(u, newton=True, return_info=True)
    assert polished.iterations < plain.iterations
    assert polished.residual.max() <= 1e-12


def _safeguarded_newton_1d(t, tol):
    """Iterations of the block inverse of phi(y) = y - 0.99 tanh(y) (the kernel's scheme,
    written out independently): Newton steps from y = t, a step without progress replaced by a
    fixed-point step."""
    y, it = t, 0
    e = y - 0.99 * np.tanh(y) - t
    while abs(e) > tol:
        step = e / (1.0 - 0.99 / np.cosh(y) ** 2)
        y, it = y - step, it + 1
        new = y - 0.99 * np.tanh(y) - t
        if abs(new) >= abs(e):
            y = y + step - e
            new = y - 0.99 * np.tanh(y) - t
        e = new
    return it, y


def test_a_newton_step_without_progress_falls_back_to_a_fixed_point_step():
    # One 1-D block g(y) = -0.99 tanh(y): phi(y) = y - 0.99 tanh y has slope 0.01 at 0, so a
    # Newton step from near 0 overshoots (from y = 0.05 it raises the residual). The kernel must
    # take the fixed-point step instead: the same iterations as the scheme written out above
    # (12 at t = 0.05, where plain Newton takes 8; 6 against 5 at t = +-0.5), and converge.
    W1T, b1 = np.ones((1, 1, 1)), np.zeros((1, 1))
    W2, b2 = np.full((1, 1, 1), -0.99), np.zeros((1, 1))
    targets = [0.5, -0.5, 0.05, 3.0]
    tol = 1e-13
    x, iterations, ok = drivers.inverse_serial(W1T, b1, W2, b2, kernels.TANH,
                                               np.array(targets)[:, None], tol, 1000, True)
    assert ok.all()
    expected = [_safeguarded_newton_1d(t, tol) for t in targets]
    assert list(iterations) == [it for it, _ in expected]
    # the same root to rounding: |phi'| >= 0.01, a residual of 1e-13 moves y by <= 1e-11
    np.testing.assert_allclose(x[:, 0], [y for _, y in expected], atol=1e-11)


def test_inverse_reports_non_convergence():
    model = IResNet(2, 2, 16, lipschitz=0.95, rng=15)
    model.set_parameters(model.get_parameters() * 10)
    model.project()
    u = np.random.default_rng(16).standard_normal((20, 2)) * 3
    result = model.inverse(u, max_iter=2, newton=False, return_info=True)
    assert not np.all(result.converged)
    with pytest.raises(InversionError, match="did not converge"):
        model.inverse(u, max_iter=2, newton=False)
    with pytest.raises(ValueError, match="tol"):
        model.inverse(u, tol=0.0)
    with pytest.raises(ValueError, match="u must have shape"):
        model.inverse(np.zeros((3, 3)))


def test_flat_gradient_adds_the_chunk_slots_in_order_into_the_flat_layout():
    """Bit for bit the slots added one after another (the same IEEE additions in the same order,
    no fast-math flags) and laid out as get_parameters lays out W1, b1, W2, b2."""
    model = IResNet(3, 4, 7, rng=0)
    rng = np.random.default_rng(1)
    slots = (rng.standard_normal((5, 4, 3, 7)), rng.standard_normal((5, 4, 7)),
             rng.standard_normal((5, 4, 3, 7)), rng.standard_normal((5, 4, 3)))

    def added(stack):
        total = stack[0].copy()
        for slot in stack[1:]:
            total += slot
        return total

    expected = np.concatenate([added(slots[0]).transpose(0, 2, 1).ravel(), added(slots[1]).ravel(),
                               added(slots[2]).ravel(), added(slots[3]).ravel()])
    np.testing.assert_array_equal(model._flat_gradient(*slots), expected)
