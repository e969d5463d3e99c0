"""The work-sharing team that runs kernel chunks on several threads."""

import os
import threading

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
