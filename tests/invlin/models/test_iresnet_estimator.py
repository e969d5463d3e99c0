"""The stochastic log-det / divergence estimator: unbiasedness and variance, in standard errors."""

import importlib.util
import pathlib

import numpy as np
import pytest

from invlin.models.iresnet import IResNet
from invlin.models.logdet_estimator import estimate_divergence, estimate_logdet

_spec = importlib.util.spec_from_file_location(
    "iresnet_cases", pathlib.Path(__file__).with_name("_iresnet_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


def _network(dim=6):
    model = IResNet(dim, 3, 12, lipschitz=0.8, rng=21)
    model.set_parameters(model.get_parameters() * 10)  # the constraint becomes active
    model.project()
    return model


@pytest.mark.parametrize("probe", ["rademacher", "gaussian"])
def test_logdet_estimate_is_unbiased_for_the_truncated_series(probe):
    model = _network()
    x = np.random.default_rng(22).standard_normal((30, 6))
    est = estimate_logdet(model, x, np.random.default_rng(23), order=6, n_probes=400, probe=probe)
    exact = cases.truncated_series(model, x, 6)
    z = (est.value - exact) / est.standard_error
    # 400 iid probes per point: z is close to standard normal; |z| > 4.5 has probability
    # ~7e-6 per point, so ~2e-4 for all 30 points together
    assert np.max(np.abs(z)) < 4.5
    # the pooled mean over the 30 independent points, within 4 of its standard errors
    pooled = np.sum(est.value - exact) / np.sqrt(np.sum(est.variance))
    assert abs(pooled) < 4.0


def test_logdet_truncation_bound_holds():
    model = _network()
    x = np.random.default_rng(24).standard_normal((30, 6))
    exact = model.logdet(x)
    for order in (1, 3, 8, 20):
        series = cases.truncated_series(model, x, order)
        bound = estimate_logdet(model, x[:1], np.random.default_rng(0), order=order,
                                n_probes=2).truncation_bound
        assert np.max(np.abs(series - exact)) <= bound
    # and the series converges to the exact value (rounding of O(1) numbers remains)
    np.testing.assert_allclose(cases.truncated_series(model, x, 200), exact, atol=1e-12)


def test_reported_variance_matches_the_spread_of_repeated_estimates():
    model = _network()
    x = np.random.default_rng(25).standard_normal((1, 6))
    rng = np.random.default_rng(26)
    runs = [estimate_logdet(model, x, rng, order=4, n_probes=8) for _ in range(300)]
    values = np.array([r.value[0] for r in runs])
    reported = np.mean([r.variance[0] for r in runs])
    ratio = values.var(ddof=1) / reported
    # the sample variance of 300 values has relative standard deviation about
    # sqrt(2/299) ~ 0.08 (more with heavy tails); 0.6 .. 1.4 is about 4-5 of them
    assert 0.6 < ratio < 1.4


def test_divergence_estimate_is_unbiased():
    model = _network()
    x = np.random.default_rng(27).standard_normal((30, 6))
    est = estimate_divergence(model, x, np.random.default_rng(28), n_probes=400)
    z = (est.value - model.divergence(x)) / est.standard_error
    # as for the log-det: |z| < 4.5 at every point, failure probability ~2e-4
    assert np.max(np.abs(z)) < 4.5
    assert est.order is None and est.truncation_bound is None


def test_estimates_are_reproducible_and_validated():
    model = _network()
    x = np.random.default_rng(29).standard_normal((5, 6))
    a = estimate_logdet(model, x, np.random.default_rng(1))
    b = estimate_logdet(model, x, np.random.default_rng(1))
    np.testing.assert_array_equal(a.value, b.value)
    with pytest.raises(TypeError, match="rng"):
        estimate_logdet(model, x, 1)
    with pytest.raises(ValueError, match="n_probes"):
        estimate_logdet(model, x, np.random.default_rng(1), n_probes=1)
    with pytest.raises(ValueError, match="probe"):
        estimate_divergence(model, x, np.random.default_rng(1), probe="uniform")
    with pytest.raises(TypeError, match="IResNet"):
        estimate_divergence(object(), x, np.random.default_rng(1))
