"""The work-sharing team that runs kernel chunks on several threads."""

import os
import threading
import time

import numba
import pytest

from invlin.models import _team


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


def test_concurrent_callers_each_get_every_chunk_once():
    """Several Python threads share the helpers (jobs queue up in their inboxes)."""
    failures = []

    def caller(seed):
        for count in range(1, 40):
            calls, _ = _record(count + seed % 3)
            if sorted(calls) != list(range(count + seed % 3)):
                failures.append((seed, count))

    threads = [threading.Thread(target=caller, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
