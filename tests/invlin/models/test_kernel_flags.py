"""The fast-math policy of the Numba kernels (docs/engine.md).

Kernels may use the flags ``{"reassoc", "contract"}`` only, set in ``invlin._kernels.jit``;
where they do, non-finite values still propagate (no ``nnan``/``ninf``), the reassociated sums
stay within their rounding bound, and results do not depend on the number of threads.
"""

import math
import subprocess
import sys

import numba
import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

from invlin._kernels import jit as _jit
from invlin._kernels import spin as _spin
from invlin.models import (_diagonal_numba, _iresnet_numba, _iresnet_stochastic_numba,
                           _linear_numba, _spectral_numba, _spline_numba)
from invlin.priors import _mixture_numba
from invlin.training import _adam_numba
from invlin.models import _iresnet_drivers as drivers
from invlin.models import _iresnet_numba as kernels
from invlin.models.iresnet import IResNet

EPS = np.finfo(np.float64).eps
JIT_DISABLED = numba.config.DISABLE_JIT
_MODULES = (_iresnet_numba, _iresnet_stochastic_numba, _diagonal_numba, _linear_numba,
            _spectral_numba, _spline_numba, _adam_numba, _mixture_numba, _spin)
_FLAG_KERNELS = ("_dot", "_sum_row", "_dot_rows", "_objective_chunks", "_expm1_taylor")


def _dispatchers(module):
    return {name: value for name, value in vars(module).items()
            if isinstance(value, CPUDispatcher)}


def _policy_violation(dispatcher) -> str | None:
    """Why a compiled kernel breaks the policy, or None: cached, numpy error model, the GIL
    released (the team runs kernels on several threads), and fast-math either off or exactly
    the flag set FASTMATH."""
    options = dispatcher.targetoptions
    fastmath = options.get("fastmath", False)
    if type(dispatcher._cache).__name__ == "NullCache":
        return "not cached"
    if options.get("error_model") != "numpy":
        return "error_model is not 'numpy'"
    if options.get("nogil") is not True:
        return "holds the GIL"
    if fastmath is True or (fastmath and set(fastmath) != set(_jit.FASTMATH)):
        return f"fastmath={fastmath!r}"
    return None


@pytest.mark.skipif(JIT_DISABLED, reason="no dispatchers with NUMBA_DISABLE_JIT=1")
def test_every_kernel_follows_the_flag_policy():
    assert _jit.FASTMATH == frozenset({"reassoc", "contract"})
    seen_flags = set()
    for module in _MODULES:
        for name, dispatcher in _dispatchers(module).items():
            assert _policy_violation(dispatcher) is None, (module.__name__, name)
            if dispatcher.targetoptions.get("fastmath"):
                seen_flags.add(name)
    # the kernels this file tests for NaN propagation are exactly those with the flags
    assert seen_flags == set(_FLAG_KERNELS)


@pytest.mark.skipif(JIT_DISABLED, reason="no dispatchers with NUMBA_DISABLE_JIT=1")
@pytest.mark.parametrize("options", [dict(fastmath=True), dict(fastmath={"reassoc", "nnan"}),
                                     dict(fastmath={"reassoc", "contract", "afn"}),
                                     dict(error_model="python"), dict(cache=False),
                                     dict(nogil=False)])
def test_flag_policy_check_rejects_forbidden_options(options):
    # negative control: the check above fails for every forbidden option
    options = dict(dict(cache=True, error_model="numpy", nogil=True), **options)
    dispatcher = numba.njit(**options)(lambda v: v)
    assert _policy_violation(dispatcher) is not None


# -- rounding bound of the reassociated sums ------------------------------------------------------
def _within_sum_bound(computed, terms) -> bool:
    """|computed - sum(terms)| <= len(terms) eps sum|terms| (+ the exact sum's own rounding).

    A sum of m products evaluated in any order, with or without fused multiply-adds, has
    absolute error at most (m - 1) u sum_i |u_i v_i| + m u sum_i |u_i v_i| <= m eps sum |.|
    (u = eps / 2 the unit roundoff); math.fsum gives the correctly rounded exact sum.
    """
    exact = math.fsum(terms)
    return abs(computed - exact) <= len(terms) * EPS * math.fsum(abs(t) for t in terms) + \
        EPS * abs(exact)


def test_reassociated_sums_stay_within_their_rounding_bound():
    rng = np.random.default_rng(0)
    for m in (1, 7, 64, 513):
        u = rng.standard_normal(m) * 10.0 ** rng.integers(-8, 8, m)
        v = rng.standard_normal(m)
        # cancellation: append the negated sum, so that the exact result is tiny
        u = np.append(u, -math.fsum(u * v))
        v = np.append(v, 1.0)
        U, V = u.reshape(1, -1).copy(), v.reshape(1, -1).copy()
        S = u.shape[0]
        assert _within_sum_bound(kernels._dot(u, v), list(u * v))
        assert _within_sum_bound(kernels._dot_rows(U, 0, V, 0, S), list(u * v))
        assert _within_sum_bound(kernels._sum_row(U, 0, S), list(u))


def test_reassociated_expm1_polynomial_propagates_nan_and_inf():
    assert math.isnan(kernels._expm1_taylor(np.nan))
    assert math.isinf(kernels._expm1_taylor(np.inf))


def test_rounding_bound_check_detects_a_wrong_sum():
    # negative control: a sum that leaves out one term is outside the bound
    rng = np.random.default_rng(1)
    u, v = rng.standard_normal(64), rng.standard_normal(64)
    assert not _within_sum_bound(kernels._dot(u[:-1], v[:-1]), list(u * v))


# -- non-finite values propagate ------------------------------------------------------------------
def _model_and_batch(activation="tanh", n_samples=300):
    model = IResNet(2, 3, 16, activation=activation, rng=5)
    rng = np.random.default_rng(6)
    return model, rng.standard_normal((n_samples, 2)), rng.standard_normal((n_samples, 2))


def _assert_nonfinite_reaches(per_sample, slots, bad_samples):
    """The bad samples' values and every gradient slot sum are non-finite; the rest is finite."""
    per_sample = np.asarray(per_sample)
    bad = np.zeros(per_sample.shape[0], dtype=bool)
    bad[list(bad_samples)] = True
    assert not np.any(np.isfinite(per_sample[bad]))
    assert np.all(np.isfinite(per_sample[~bad]))
    for slot in slots:
        assert not np.all(np.isfinite(slot.sum(axis=0)))


def test_nonfinite_check_fails_when_a_nan_is_dropped():
    # negative control: results with the NaN suppressed (as nnan/ninf could) fail the check
    data = np.ones(10)
    data[3] = np.nan
    slot = np.ones((2, 4))
    slot[1, 2] = np.nan
    with pytest.raises(AssertionError):
        _assert_nonfinite_reaches(np.nan_to_num(data), [slot], [3])
    with pytest.raises(AssertionError):
        _assert_nonfinite_reaches(data, [np.nan_to_num(slot)], [3])


@pytest.mark.parametrize("driver", ["serial", "parallel"])
@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
@pytest.mark.parametrize("mode", [kernels.REG_NONE, kernels.REG_LOGDET, kernels.REG_DIVERGENCE])
@pytest.mark.parametrize("use_metric", [False, True])
def test_objective_kernel_propagates_nan_and_inf(driver, activation, mode, use_metric):
    model, x, t = _model_and_batch(activation)
    objective = getattr(drivers, f"objective_{driver}")
    w = (*model._kernel_weights(), model._act())
    M = np.array([[2.0, 0.5], [0.5, 1.0]])
    x[7, 0] = np.nan   # in the first tile
    t[250, 1] = np.inf  # in another chunk: the data term is inf, its adjoint inf
    data, reg, *slots = objective(*w, mode, 0.3, x, t, M, use_metric)
    _assert_nonfinite_reaches(data, slots, [7, 250])
    if mode != kernels.REG_NONE:
        assert np.isnan(reg[7]) and np.isfinite(reg[250])


@pytest.mark.parametrize("driver", ["serial", "parallel"])
def test_adjoint_gradient_kernel_propagates_nan(driver):
    model, x, xbar = _model_and_batch()
    xbar[100, 1] = np.nan
    slots = getattr(drivers, f"adjoint_gradient_{driver}")(*model._kernel_weights(), model._act(),
                                                            x, xbar)
    for slot in slots[:3]:  # b2's adjoint sums xbar itself, W1, b1, W2 through the network
        assert not np.all(np.isfinite(slot.sum(axis=0)))


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
@pytest.mark.parametrize("which", range(4))
def test_nan_in_a_weight_reaches_every_sample(which, activation):
    # W1T, b1 reach the samples through the activation (tanh(NaN) must be NaN), W2, b2 directly
    model, x, t = _model_and_batch(activation)
    weights = model._kernel_weights()
    weights[which].reshape(-1)[3] = np.nan
    data, _, *slots = drivers.objective_serial(*weights, model._act(), kernels.REG_DIVERGENCE,
                                               0.3, x, t, np.zeros((2, 2)), False)
    _assert_nonfinite_reaches(data, slots, range(x.shape[0]))


@pytest.mark.parametrize("name", ["forward", "jacobian", "inverse", "hutchinson"])
def test_per_sample_kernels_with_reassociated_dot_products_propagate_nan(name):
    model, x, _ = _model_and_batch(n_samples=20)
    x[4, 1] = np.nan
    w = (*model._kernel_weights(), model._act())
    if name == "forward":
        out = drivers.forward_serial(*w, x)
    elif name == "jacobian":
        out = drivers.jacobian_serial(*w, x, kernels.REG_DIVERGENCE)[0]
    elif name == "inverse":
        out = drivers.inverse_serial(*w, x, 1e-12, 50, True)[0]
    else:
        probes = np.ones((20, 2, 2))
        out = drivers.hutchinson_serial(*w, x, probes, 3, kernels.REG_LOGDET)
    out = out.reshape(20, -1)
    assert not np.any(np.isfinite(out[4]))
    assert np.all(np.isfinite(np.delete(out, 4, axis=0)))


# -- thread count ----------------------------------------------------------------------------------
@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
def test_parallel_kernels_with_flags_do_not_depend_on_the_thread_count():
    # 17 * 128 samples: 17 chunks, so that each thread of the team runs several
    model, x, t = _model_and_batch(n_samples=17 * 128)
    w = (*model._kernel_weights(), model._act())
    M = np.array([[2.0, 0.5], [0.5, 1.0]])
    runs = []
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            out = []
            for mode in (kernels.REG_NONE, kernels.REG_LOGDET, kernels.REG_DIVERGENCE):
                out.extend(drivers.objective_parallel(*w, mode, 0.3, x, t, M, True))
            out.extend(drivers.adjoint_gradient_parallel(*w, x, t))
            runs.append(out)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)  # bitwise: the chunking is fixed


_PARALLEL_PATHS = """
import numpy as np
from numba.np.ufunc import parallel
from invlin.execution import LocalExecutor
from invlin.models import DiagonalNet, IResNet, Linear
x = np.random.default_rng(0).standard_normal((4096, 2))
for model in (IResNet(2, 4, 64, rng=0), DiagonalNet(2, n_units=4), Linear(2)):
    model._objective(x, x, None, "divergence", 0.1)  # above every parallel threshold
    model.inverse(model.forward(x))
print(parallel._is_initialized, LocalExecutor.can_fork())
"""


def test_parallel_paths_never_start_numbas_thread_pool():
    # the team runs the kernels on Python threads: a process that trained a model on large
    # batches can still fork LocalExecutor's workers (Numba's pool would forbid it)
    out = subprocess.run([sys.executable, "-c", _PARALLEL_PATHS], check=True, capture_output=True,
                         text=True, timeout=300).stdout.split()
    assert out[-2:] == ["False", "True"]


@pytest.mark.parametrize("n", [2, 3])  # the closed-form 2 x 2 branch and the elimination
def test_objective_log_det_is_nan_where_a_block_jacobian_has_det_le_0(n):
    """One block with J = I + W2 act'(h) W1 = diag(1 - 3 act'(h), 1, ...): at x = 0 (h = 0,
    tanh' = 1) det J = -2, so the regulariser is NaN there, and finite at a point where it is
    positive (x_0 = 2: h = 2, 1 - 3 tanh'(2) = 0.79)."""
    W1T = np.zeros((1, n, 1))
    W1T[0, 0, 0] = 1.0
    W2 = np.zeros((1, n, 1))
    W2[0, 0, 0] = -3.0
    x = np.zeros((2, n))
    x[1, 0] = 2.0
    kernels = _iresnet_numba
    _, reg, *_ = drivers.objective_serial(W1T, np.zeros((1, 1)), W2, np.zeros((1, n)),
                                          kernels.TANH, kernels.REG_LOGDET, 1.0, x,
                                          np.zeros((2, n)), np.zeros((n, n)), False)
    assert np.isnan(reg[0])
    # log(1 - 3 (1 - tanh(2)^2)), to the rounding of the tanh (a few ulp) and the log
    assert reg[1] == pytest.approx(np.log(1.0 - 3.0 * (1.0 - np.tanh(2.0) ** 2)), rel=1e-13)
