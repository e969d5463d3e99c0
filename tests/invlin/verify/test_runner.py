"""The verification layer decides statuses honestly and reproducibly (fake claims and checks)."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

from invlin.verify import NumericEvidence, verify
from invlin.verify.registry import CheckRegistry
from invlin.verify.runner import check_rng, claim_seed

_spec = importlib.util.spec_from_file_location(
    "verify_fakes", pathlib.Path(__file__).with_name("fakes.py"))
fakes = sys.modules.setdefault("verify_fakes", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(fakes)


@pytest.fixture(scope="module")
def fake():
    return fakes.make_registry()


def _run(fake, claim_ids=None, **kwargs):
    claims, registry = fake
    return verify(claim_ids, claims=claims, registry=registry, **kwargs)


def test_every_status_is_decided_as_designed(fake):
    records = _run(fake, quick=True, seed=3)
    assert {r.id: r.status for r in records} == fakes.EXPECTED_STATUS


def test_wrong_prediction_fails_with_its_numbers(fake):
    record = {r.id: r for r in _run(fake, quick=True, seed=3)}["wrong-prediction"]
    (evidence,) = record.evidence
    # the measured mean is ~1, the prediction 1.5: the error is ~0.5, far above 4 SE ~ 0.09
    assert evidence.error > 0.4 and not evidence.passed
    assert "error" in record.reason and "tolerance" in record.reason


def test_exception_is_error_with_traceback_never_pass(fake):
    records = {r.id: r for r in _run(fake, quick=True, seed=3)}
    raised = records["raises"]
    assert raised.status == "ERROR"
    assert "ZeroDivisionError" in raised.checks[0].error
    assert "Traceback" in raised.checks[0].error
    assert "RuntimeError" in records["symbolic-raises"].symbolic_error


def test_skip_reasons_are_stated(fake):
    records = {r.id: r for r in _run(fake, quick=True, seed=3)}
    assert "GPU" in records["skipped"].reason
    assert "invlin_no_such_module" in records["needs-module"].reason
    assert "no numeric check" in records["unchecked"].reason


def test_jobs_two_equals_jobs_one(fake):
    one = [r.to_dict() for r in _run(fake, quick=True, seed=11, jobs=1)]
    two = [r.to_dict() for r in _run(fake, quick=True, seed=11, jobs=2)]
    for record in one + two:  # wall times differ between runs; everything else must not
        record.pop("seconds")
        for check in record["checks"]:
            check.pop("seconds")
            if check["error"]:  # tracebacks name the calling frame, which differs
                check["error"] = check["error"].strip().splitlines()[-1]
    assert one == two


def test_results_depend_on_seed_and_claim_not_on_selection(fake):
    full = {r.id: r.evidence[0].error for r in _run(fake, quick=True, seed=5) if r.evidence}
    alone = _run(fake, ["good"], quick=True, seed=5)[0].evidence[0].error
    other_seed = _run(fake, ["good"], quick=True, seed=6)[0].evidence[0].error
    assert alone == full["good"]
    assert other_seed != alone


def test_unknown_claim_id_raises(fake):
    with pytest.raises(ValueError, match="unknown claim id"):
        _run(fake, ["no-such-claim"], quick=True)


def test_quick_only_runs_quick_checks():
    claims = [fakes.FakeClaim("slow-only")]
    registry = CheckRegistry()

    @registry.register("slow-only", quick=False)
    def slow(rng, quick):
        return NumericEvidence("zero", 0.0, 0.0, "exact")

    assert verify(claims=claims, registry=registry, quick=True)[0].status == "SKIP"
    assert verify(claims=claims, registry=registry, quick=False)[0].status == "PASS"


def test_non_evidence_return_is_error():
    claims = [fakes.FakeClaim("bad-return")]
    registry = CheckRegistry()

    @registry.register("bad-return")
    def bad(rng, quick):
        return 0.0

    record = verify(claims=claims, registry=registry)[0]
    assert record.status == "ERROR" and "NumericEvidence" in record.reason


def test_nan_error_never_passes():
    evidence = NumericEvidence("nan", float("nan"), 1.0, "any")
    assert not evidence.passed


def test_tolerance_needs_a_reason():
    with pytest.raises(ValueError, match="tolerance_reason"):
        NumericEvidence("x", 0.0, 1.0, "")


def test_seeds_are_deterministic_and_distinct():
    assert claim_seed(0, "a") == claim_seed(0, "a") != claim_seed(0, "b")
    assert check_rng(1, "a", "f").random() == check_rng(1, "a", "f").random()
    assert check_rng(1, "a", "f").random() != check_rng(1, "a", "g").random()


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_seed(fake, bad):
    with pytest.raises(ValueError, match="seed"):
        _run(fake, seed=bad)


def test_bad_jobs(fake):
    with pytest.raises(ValueError, match="jobs"):
        _run(fake, jobs=0)


def test_registering_twice_is_refused():
    registry = CheckRegistry()

    def f(rng, quick):
        return NumericEvidence("zero", 0.0, 0.0, "exact")

    registry.register("x")(f)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("x")(f)
    assert np.isfinite(len(registry.checks_for("x")))


def test_checks_run_with_one_blas_thread_and_the_limit_is_lifted():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    claims = [fakes.FakeClaim("blas")]
    registry = CheckRegistry()
    seen = []

    @registry.register("blas")
    def record_threads(rng, quick):
        seen.append(blas_threads())
        return NumericEvidence("zero", 0.0, 0.0, "exact")

    # two BLAS threads, as on a 2-core machine, whatever this one has
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        if not before:
            pytest.skip("no BLAS library that threadpoolctl can see")
        record = verify(claims=claims, registry=registry, jobs=1)[0]
        after = blas_threads()
        # control: the same check without the runner's limit sees the 2 threads
        record_threads(None, True)
    assert record.status == "PASS"
    assert seen[0] and all(count == 1 for count in seen[0])
    assert seen[1] and all(count == 2 for count in seen[1])
    assert after == before
