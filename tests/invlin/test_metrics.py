"""The error measures and record helpers the studies report with."""

import json

import numpy as np
import pytest

from invlin._metrics import loglog_slope, rms_difference, rms_error, rms_ratio
from invlin.studies._record import add_check, add_table, jsonable, new_record


def test_rms_error_of_known_differences():
    estimate = np.array([[3.0, 4.0], [0.0, 0.0]])
    rms, se = rms_error(estimate, np.zeros((2, 2)))
    # squared norms 25 and 0: mean 12.5; se(mean) = std([25, 0], ddof=1)/sqrt(2) = 12.5
    assert rms == pytest.approx(np.sqrt(12.5), rel=1e-15)  # exact arithmetic up to rounding
    assert se == pytest.approx(12.5 / (2 * np.sqrt(12.5)), rel=1e-15)


def test_rms_error_standard_error_covers_the_sampling_spread():
    # RMS of N(0, 1) samples in 1-D: the true value is 1; over 200 repetitions of N = 400 the
    # observed spread of the estimate must match the reported standard error to within 15%
    # (the relative standard error of a standard deviation estimated from 200 values is
    # 1/sqrt(2*199) = 5%, so 15% is 3 of them).
    rng = np.random.default_rng(0)
    values, errors = [], []
    for _ in range(200):
        draws = rng.standard_normal((400, 1))
        rms, se = rms_error(draws, np.zeros_like(draws))
        values.append(rms)
        errors.append(se)
    assert np.std(values, ddof=1) == pytest.approx(np.mean(errors), rel=0.15)


def test_rms_ratio_below_one_when_nearer_the_target():
    rng = np.random.default_rng(1)
    target = rng.standard_normal((500, 2))
    other = target + 1.0
    estimate = target + 0.1 * rng.standard_normal((500, 2))
    ratio, se = rms_ratio(estimate, target, other, rng)
    assert ratio < 0.2  # 0.14 expected: RMS 0.14 to the target against ~1.4 to the other
    assert 0 < se < 0.02


def test_rms_difference_of_known_distances():
    # estimate = target exactly: D = RMS(estimate - other) and only the "other" term varies;
    # squared distances to other 25 and 0, so D = sqrt(12.5) and the influence values are
    # a_i / (2 sqrt(12.5)) = (25, 0) / (2 sqrt(12.5)), whose std/sqrt(2) is 12.5 / (2 sqrt(12.5))
    target = np.zeros((2, 2))
    other = np.array([[3.0, 4.0], [0.0, 0.0]])
    difference, se = rms_difference(target, target, other)
    assert difference == pytest.approx(np.sqrt(12.5), rel=1e-15)  # exact up to rounding
    assert se == pytest.approx(12.5 / (2 * np.sqrt(12.5)), rel=1e-15)
    # swapping target and other flips the sign and keeps the standard error
    flipped, flipped_se = rms_difference(target, other, target)
    assert flipped == -difference and flipped_se == se


def test_rms_difference_standard_error_covers_the_sampling_spread():
    # A "learned inverse" a third of the way from the target to the other estimate (plus a small
    # error of its own), as a network between PM and MAP would be: its two distances share the
    # per-point offset and are strongly correlated. Over 200 repetitions of N = 400 points the
    # spread of D must match the delta-method standard error to within 15% (3 relative standard
    # errors of a standard deviation estimated from 200 values, 1/sqrt(2*199) = 5% each).
    rng = np.random.default_rng(2)
    values, errors, unpaired = [], [], []
    for _ in range(200):
        target = rng.standard_normal((400, 2))
        offset = 0.3 * rng.standard_normal((400, 2))
        other = target + offset
        estimate = target + offset / 3.0 + 0.03 * rng.standard_normal((400, 2))
        difference, se = rms_difference(estimate, target, other)
        values.append(difference)
        errors.append(se)
        unpaired.append(np.hypot(rms_error(estimate, target)[1], rms_error(estimate, other)[1]))
    spread = np.std(values, ddof=1)
    assert spread == pytest.approx(np.mean(errors), rel=0.15)
    # negative control: ignoring the pairing (adding the two distances' variances as if they
    # were independent) misses the observed spread by more than the 15% allowed above
    assert np.mean(unpaired) > 1.15 * spread


def test_loglog_slope_of_a_power_law():
    x = np.geomspace(0.01, 1, 7)
    assert loglog_slope(x, 3.0 * x**4) == pytest.approx(4.0, rel=1e-12)  # exact up to rounding


def test_checks_never_pass_on_non_finite_errors():
    record = new_record("demo", "Demo", "", {"a": np.float64(1.0)}, 0)
    assert not add_check(record, "divergence-z-map", "q", float("nan"), 1.0, "r")
    assert not add_check(record, "divergence-z-map", "q", 2.0, 1.0, "r")
    assert add_check(record, "divergence-z-map", "q", 0.5, 1.0, "r")
    assert [check["passed"] for check in record["checks"]] == [False, False, True]
    json.dumps(record)  # NaN stored as a string, so strict JSON accepts the record
    assert record["checks"][0]["error"] == "nan"


def test_table_rows_must_match_columns():
    record = new_record("demo", "Demo", "", {}, 0)
    with pytest.raises(ValueError, match="does not match columns"):
        add_table(record, "t", ["a", "b"], [[1]])


def test_jsonable_converts_numpy_types():
    out = jsonable({"x": np.arange(3), "y": np.float64(0.5), "z": (np.int64(2), np.bool_(True))})
    assert out == {"x": [0, 1, 2], "y": 0.5, "z": [2, True]}
