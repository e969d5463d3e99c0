"""The work-sharing team that runs kernel chunks on several threads."""

import itertools
import os
import threading
import time

import numba
import numpy as np
import pytest

from invlin._kernels import spin as _spin
from invlin._kernels import team as _team


def _record(count):
    calls, threads = [], []

    def body(ci):
        calls.append(ci)
        threads.append(threading.get_ident())

    _team.run_chunks(body, count)
    return calls, threads


@pytest.mark.parametrize("count", [0, 1, 2, 17])
def test_every_chunk_runs_exactly_once(count):
    calls, _ = _record(count)
    assert sorted(calls) == list(range(count))


def _helper_takes_a_chunk() -> bool:
    """Whether another thread runs chunk 1 while the caller waits in chunk 0 (up to 60 s)."""
    other = threading.Event()
    caller = threading.get_ident()
    seen = []

    def body(ci):
        if ci == 0:
            seen.append(other.wait(timeout=60))
        elif threading.get_ident() != caller:
            other.set()

    _team.run_chunks(body, 2)
    return seen == [True]


@pytest.mark.skipif(_team.team_size() < 2, reason="needs 2 Numba threads")
def test_a_helper_thread_takes_chunks():
    assert _helper_takes_a_chunk()


def test_a_chunks_exception_reaches_the_caller_after_all_chunks():
    done = []

    def body(ci):
        if ci == 3:
            raise ValueError("chunk 3")
        done.append(ci)

    with pytest.raises(ValueError, match="chunk 3"):
        _team.run_chunks(body, 8)
    assert sorted(done) == [0, 1, 2, 4, 5, 6, 7]


def test_one_thread_runs_everything_on_the_caller():
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        assert _team.team_size() == 1
        _, threads = _record(9)
    finally:
        numba.set_num_threads(before)
    assert set(threads) == {threading.get_ident()}


@pytest.mark.skipif(not hasattr(os, "fork") or _team.team_size() < 2,
                    reason="needs fork and 2 Numba threads")
def test_a_forked_child_starts_its_own_helpers():
    _record(4)  # helpers started in the parent; a forked child has none of its threads
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, b"y" if _helper_takes_a_chunk() else b"n")
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"y" and status == 0


def test_limit_team_caps_the_team_on_every_thread(monkeypatch):
    monkeypatch.setattr(_team, "_size_limit", None)
    _team.limit_team(1)
    seen = []
    thread = threading.Thread(target=lambda: seen.append((_team.team_size(), _record(5)[1])))
    thread.start()
    thread.join()
    size, threads = seen[0]
    assert size == 1 and len(set(threads)) == 1  # all chunks on the thread that asked


@pytest.mark.skipif(_team.team_size() < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("idle", [0.0, 20 * _team.SETTLE_SECONDS, 0.05])
def test_helpers_take_chunks_after_any_idle_time(idle):
    """Posted work reaches a helper that still spins (no idle time), one in the middle of its
    spin, and one that has gone to sleep on its queue (0.05 s, beyond SPIN_SECONDS)."""
    _record(4)
    time.sleep(idle)
    assert _helper_takes_a_chunk()


# -- bodies that claim their chunks themselves (run_claimed) ----------------------------------------
#: Turns of the wait in chunk 0 below: seconds, far longer than a helper takes to start.
_WAIT_TURNS = 10**10


@numba.njit(nogil=True)
def _claiming_body(claims, count, owner, hits, caller, wait_in_chunk0, fail_chunk):
    """Claim chunks until none is left: owner[ci] = caller, hits[ci] += 1. With
    ``wait_in_chunk0``, chunk 0 waits until another call has claimed chunk 1; chunk
    ``fail_chunk`` raises."""
    finished = 0
    while True:
        ci = _team.claim(claims)
        if ci >= count:
            break
        if ci == fail_chunk:
            raise ValueError("a failing chunk")
        if ci == 0 and wait_in_chunk0:
            for _ in range(_WAIT_TURNS):
                if _spin._load_acquire(claims) >= 2:
                    break
        owner[ci] = caller
        hits[ci] += 1
        finished += 1
    return finished


def _run_claimed(count, *, wait_in_chunk0=False, fail_chunk=-1, parallel=True, out=None):
    """owner, hits of every chunk after running the claiming body (into ``out`` if given);
    each call of the body gets its own caller number."""
    owner, hits = out if out is not None else (np.full(count, -1), np.zeros(count, np.int64))
    callers = itertools.count()

    def body(claims):
        return _claiming_body(claims, count, owner, hits, next(callers), wait_in_chunk0,
                              fail_chunk)

    _team.over_claimed(parallel, body, count)
    return owner, hits


@pytest.mark.parametrize("count", [0, 1, 2, 17, 100])
@pytest.mark.parametrize("parallel", [True, False])
def test_claimed_chunks_each_run_exactly_once(count, parallel):
    owner, hits = _run_claimed(count, parallel=parallel)
    assert np.all(hits == 1) and np.all(owner >= 0)


@pytest.mark.skipif(_team.team_size() < 2 or numba.config.DISABLE_JIT,
                    reason="needs 2 Numba threads and compiled bodies")
def test_a_helper_claims_chunks():
    # chunk 0 waits until another call has claimed chunk 1: a helper runs at the same time
    owner, hits = _run_claimed(4, wait_in_chunk0=True)
    assert np.all(hits == 1)
    assert owner[1] != owner[0]


def test_a_claimed_chunks_exception_reaches_the_caller_after_the_other_chunks():
    owner, hits = np.full(40, -1), np.zeros(40, np.int64)
    with pytest.raises(ValueError, match="a failing chunk"):
        _run_claimed(40, fail_chunk=3, out=(owner, hits))
    # raised once every call had returned: the chunks claimed before chunk 3 are done (the
    # calls that claimed them do not fail); chunk 3 is not; the others at most once
    assert np.all(hits[:3] == 1) and hits[3] == 0 and np.all(hits <= 1)


def test_claimed_chunks_run_on_the_caller_alone_without_compiled_kernels(monkeypatch):
    # the claiming body is compiled first, with the JIT on: compiling it while DISABLE_JIT is
    # set (on a fresh machine, when this test runs before the others) fails inside Numba
    _run_claimed(1, parallel=False)
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    owner, hits = _run_claimed(9)
    assert np.all(hits == 1) and len(set(owner)) == 1


def _dealt_once(count) -> bool:
    calls, _ = _record(count)
    return sorted(calls) == list(range(count))


def _claimed_once(count) -> bool:
    _, hits = _run_claimed(count)
    return bool(np.all(hits == 1))


@pytest.mark.parametrize("runs_every_chunk_once", [_dealt_once, _claimed_once])
def test_concurrent_callers_each_get_every_chunk_once(runs_every_chunk_once):
    """Several Python threads share the helpers (jobs queue up in their inboxes)."""
    failures = []

    def caller(seed):
        for count in range(1, 30):
            if not runs_every_chunk_once(count + seed % 3):
                failures.append((seed, count))

    threads = [threading.Thread(target=caller, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
