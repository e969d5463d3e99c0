"""Run the symbolic and numeric checks of claims and decide each claim's status."""

from __future__ import annotations

import hashlib
import time
import traceback
from functools import partial

import numpy as np

from invlin._validation import positive_int
from invlin.execution.local import LocalExecutor
from invlin.progress import ProgressBar
from invlin.verify import derivations
from invlin.verify.evidence import CheckOutcome, ClaimRecord, NumericEvidence, _jsonable
from invlin.verify.registry import REGISTRY, SkipCheck

def _hash(text: str) -> int:
    """A stable 64-bit integer from a string (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def claim_seed(seed: int, claim_id: str) -> int:
    """The seed of one claim, derived deterministically from the run seed and the claim id."""
    return int(np.random.SeedSequence([seed, _hash(claim_id)]).generate_state(1, np.uint64)[0])


def check_rng(seed: int, claim_id: str, check_name: str) -> np.random.Generator:
    """The generator handed to one check: a function of (seed, claim id, check name) only."""
    return np.random.default_rng(np.random.SeedSequence([seed, _hash(claim_id), _hash(check_name)]))


def load_claims() -> list:
    """The project's claims, ``theory.claims.all()``, in registry order."""
    from theory import claims  # imported lazily: sympy is slow to import

    return list(claims.all())


def select_claims(claims: list, claim_ids) -> list:
    """The claims with the given ids, in the order given; unknown ids raise ``ValueError``."""
    if claim_ids is None:
        return list(claims)
    by_id = {c.id: c for c in claims}
    unknown = [i for i in claim_ids if i not in by_id]
    if unknown:
        raise ValueError(
            f"unknown claim id(s) {unknown}; known ids: {', '.join(sorted(by_id)) or '(none)'}"
        )
    seen: dict = {}
    for i in claim_ids:
        seen.setdefault(i, by_id[i])
    return list(seen.values())


def verify(claim_ids=None, *, quick: bool = False, seed: int = 0, jobs: int = 1,
           claims=None, registry=None, progress: bool | None = False,
           executor=None, cache: bool | None = None) -> list[ClaimRecord]:
    """Check claims symbolically and numerically.

    Parameters
    ----------
    claim_ids : list of str or None
        Claims to check (default: all). Unknown ids raise ``ValueError``.
    quick : bool
        Run only the checks registered with ``quick=True``, with their smaller settings.
    seed : int
        Seed of all randomness. Each check's generator is derived from (seed, claim id, check
        name), so results do not depend on ``jobs``, the executor or on which claims are
        selected.
    jobs : int
        Number of local worker processes (claims are distributed over them); used when no
        ``executor`` is given.
    claims : list or None
        Claim objects (default ``theory.claims.all()``); tests pass fakes.
    registry : CheckRegistry or None
        Numeric checks (default: the project's, filled by :mod:`invlin.verify.checks`).
    progress : bool or None
        Show a progress bar on stderr (None: only on a terminal).
    executor : invlin.execution.Executor or None
        Runs one task per claim (default ``LocalExecutor(jobs)``). With the project's claims
        and registry a task carries only (claim id, seed, quick) and the worker loads the
        claim itself, so any executor works; custom ``claims``/``registry`` (test fakes) are
        shipped with the task, which forked local workers inherit.
    cache : bool or None
        Load the project's claims' symbolic results from the derivation cache, and store the
        ones derived (:mod:`invlin.verify.derivations`; default: on unless
        ``INVLIN_DERIVATION_CACHE=off``). Each record says whether its result was
        ``"derived"`` or ``"loaded"``. Custom ``claims`` never use the cache.

    Returns
    -------
    list of ClaimRecord
        One record per claim, in the order of ``claims`` (or of ``claim_ids``).

    Notes
    -----
    Status of a claim: ERROR if the symbolic check or any numeric check raised (the traceback is
    kept); otherwise FAIL if the symbolic status differs from the claim's expected status or any
    numeric error exceeds its tolerance; otherwise SKIP if a numeric check could not run or none
    is registered; otherwise PASS. A refuted claim is PASS only when the symbols refute it AND
    the numeric checks measure the gap the symbols predict.
    """
    jobs = positive_int(jobs, "jobs")
    func, items = claim_tasks(claim_ids, quick=quick, seed=seed, claims=claims,
                              registry=registry, cache=cache)
    if executor is None:
        executor = LocalExecutor(jobs)
    with ProgressBar(len(items), "checking claims", enabled=progress) as bar:
        def report(index, record):
            bar.update(postfix=f"{record.id}: {record.status}")

        return executor.map(func, items, on_result=report)


def claim_tasks(claim_ids=None, *, quick: bool = False, seed: int = 0, claims=None,
                registry=None, cache: bool | None = None) -> tuple:
    """The tasks :func:`verify` hands its executor: ``func(item)`` for each item gives one
    claim's ClaimRecord, in the order of the selected claims (parameters as in
    :func:`verify`). ``invlin report`` runs them in one pool with the studies."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    default_claims = claims is None and registry is None
    if claims is None:
        claims = load_claims()
    if cache is None:
        cache = derivations.enabled()
    if default_claims and cache:
        # here, so that forked local workers inherit the restored results
        derivations.restore_all(claims, derivations.DerivationCache())
    if registry is None:
        import invlin.verify.checks  # noqa: F401  (registers the project's checks)

        registry = REGISTRY
    selected = select_claims(claims, claim_ids)
    if default_claims:
        return _run_project_claim, [(claim.id, int(seed), bool(quick), bool(cache))
                                    for claim in selected]
    return (partial(_run_claim, {"claims": selected, "registry": registry,
                                 "quick": bool(quick), "seed": int(seed), "cache": None}),
            list(range(len(selected))))


def _run_project_claim(task: tuple) -> ClaimRecord:
    """One claim of the project's registry by id (the task a remote worker receives)."""
    claim_id, seed, quick, use_cache = task
    claims = load_claims()
    cache = None
    if use_cache:
        # before the checks are imported: some take predictions of other claims at import
        cache = derivations.DerivationCache()
        derivations.restore_all(claims, cache)
    import invlin.verify.checks  # noqa: F401  (registers the project's checks)

    return _run_claim({"claims": select_claims(claims, [claim_id]), "registry": REGISTRY,
                       "quick": quick, "seed": seed, "cache": cache}, 0)


def _run_claim(work: dict, index: int) -> ClaimRecord:
    """One claim's symbolic and numeric checks, with one BLAS thread.

    The checks' dense algebra is small (Cholesky factorisations of 20-200 unknowns, thousands
    of them), for which BLAS threads only spin: ``invlin check --quick --jobs 1`` on 2 quiet
    cores took 26-28 s wall and 35-38 s CPU with OpenBLAS's default threads, 25 s and 24 s with
    one; under load, 38.6 s against 23.1 s. Worker processes already have one BLAS thread per
    share of the cores (:func:`invlin.execution._threads.share_cores`); this covers the
    in-process path. The limit is lifted when the claim is done.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _run_claim_checks(work, index)


def _run_claim_checks(work: dict, index: int) -> ClaimRecord:
    claim = work["claims"][index]
    seed, quick = work["seed"], work["quick"]
    start = time.perf_counter()
    record = ClaimRecord(id=claim.id, seed=claim_seed(seed, claim.id))
    cache = None
    try:
        record.title = str(getattr(claim, "title", ""))
        record.statement = str(getattr(claim, "statement", ""))
        record.latex = str(getattr(claim, "latex", ""))
        record.assumptions = [str(a) for a in getattr(claim, "assumptions", ()) or ()]
        record.expected_status = str(claim.expected_status)
        cache = work["cache"] if derivations.cacheable(claim) else None
        record.symbolic_source = derivations.LOADED if cache and claim.restored else (
            derivations.DERIVED)
        verdict = getattr(claim, "verdict", None)
        record.verdict = None if verdict is None else dict(verdict.to_dict())
        _symbolic(claim, record)
    except Exception:  # noqa: BLE001 - any failure of a claim is reported, never hidden
        record.symbolic_error = traceback.format_exc()
    for check in work["registry"].checks_for(claim.id):
        if quick and not check.quick:
            continue
        record.checks.append(_numeric(check, seed, quick))
    if cache and not claim.restored and not record.symbolic_error:
        cache.store_or_warn(claim)
    record.status, record.reason = decide(record, registered=bool(
        work["registry"].checks_for(claim.id)), quick=quick)
    record.seconds = time.perf_counter() - start
    return record


def _symbolic(claim, record: ClaimRecord) -> None:
    result = claim.check()
    record.symbolic_status = str(result.status)
    if hasattr(result, "to_dict"):
        evidence = dict(result.to_dict())
    else:
        evidence = {"evidence": getattr(result, "evidence", None)}
    evidence.pop("status", None)
    record.symbolic_evidence = _jsonable(evidence)


def _numeric(check, seed: int, quick: bool) -> CheckOutcome:
    outcome = CheckOutcome(name=check.name)
    start = time.perf_counter()
    missing = check.missing()
    if missing:
        outcome.skipped = f"requires {', '.join(missing)}, which is not installed"
        return outcome
    try:
        result = check.func(check_rng(seed, check.claim, check.name), quick)
        evidence = list(result) if isinstance(result, (list, tuple)) else [result]
        for item in evidence:
            if not isinstance(item, NumericEvidence):
                raise TypeError(
                    f"numeric check {check.name} returned {type(item).__name__}, "
                    f"expected NumericEvidence"
                )
        if not evidence:
            raise ValueError(f"numeric check {check.name} returned no evidence")
        outcome.evidence = evidence
    except SkipCheck as skip:
        outcome.skipped = str(skip) or "skipped"
    except Exception:  # noqa: BLE001 - reported as ERROR with the traceback
        outcome.error = traceback.format_exc()
    outcome.seconds = time.perf_counter() - start
    return outcome


def decide(record: ClaimRecord, *, registered: bool, quick: bool) -> tuple[str, str]:
    """The status of a claim and the reason, from its symbolic and numeric outcomes."""
    errors = []
    if record.symbolic_error:
        errors.append("symbolic check raised: " + _last_line(record.symbolic_error))
    errors += [f"{c.name} raised: {_last_line(c.error)}" for c in record.checks if c.error]
    if errors:
        return "ERROR", "; ".join(errors)
    failures = []
    if record.symbolic_status != record.expected_status:
        failures.append(
            f"symbolic status {record.symbolic_status!r}, expected {record.expected_status!r}"
        )
    failures += [
        f"{e.quantity}: error {e.error:.3g} > tolerance {e.tolerance:.3g} ({e.tolerance_reason})"
        for e in record.evidence if not e.passed
    ]
    if failures:
        return "FAIL", "; ".join(failures)
    skipped = [f"{c.name}: {c.skipped}" for c in record.checks if c.skipped]
    if skipped:
        return "SKIP", "; ".join(skipped)
    if not record.checks:
        if not registered:
            return "SKIP", "no numeric check is registered for this claim"
        return "SKIP", "no quick numeric check; run without --quick" if quick else "no check ran"
    return "PASS", "symbolic status as expected; every numeric error within tolerance"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else text
