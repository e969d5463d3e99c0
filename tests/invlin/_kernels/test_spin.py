"""The bounded spin that lets the team's threads wait for work without sleeping."""

import threading

import numba
import numpy as np
import pytest

from invlin._kernels import spin as _spin

#: Without compiled kernels the spin returns at once (tested last); these need it compiled.
needs_jit = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="the spin needs compiled kernels")


@needs_jit
def test_a_change_by_another_thread_ends_the_spin():
    counter = np.zeros(1, np.int64)
    changer = threading.Timer(0.01, lambda: counter.__setitem__(0, 1))
    changer.start()
    # a minute: far beyond the 10 ms the other thread waits, so only the change ends the spin
    changed = _spin.spin_until_changed(counter, 0, seconds=60.0)
    changer.join()
    assert changed


@needs_jit
def test_an_unchanged_counter_times_out():
    counter = np.full(1, 7, np.int64)
    assert not _spin.spin_until_changed(counter, 7, seconds=1e-3)


@needs_jit
def test_a_counter_already_changed_returns_at_once():
    counter = np.full(1, 8, np.int64)
    assert _spin.spin_until_changed(counter, 7, seconds=60.0)


@pytest.mark.parametrize("seen", [0, 1])  # times out, or sees the change
def test_the_signal_is_incremented_once(seen):
    counter = np.zeros(1, np.int64)
    signal = np.full(1, 41, np.int64)
    _spin.spin_until_changed(counter, seen, seconds=1e-3, signal=signal)
    assert signal[0] == 42


@needs_jit
def test_other_threads_run_python_while_one_spins():
    """The spin releases the GIL: a Python thread finishes its work meanwhile."""
    counter = np.zeros(1, np.int64)
    done = []

    def python_work():
        done.append(sum(range(10_000)))
        counter[0] = 1

    worker = threading.Thread(target=python_work)
    worker.start()
    changed = _spin.spin_until_changed(counter, 0, seconds=60.0)
    worker.join()
    assert changed and done == [sum(range(10_000))]


def test_without_compiled_kernels_it_returns_at_once(monkeypatch):
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    counter = np.zeros(1, np.int64)
    signal = np.zeros(1, np.int64)
    assert not _spin.spin_until_changed(counter, 0, seconds=60.0, signal=signal)
    assert signal[0] == 1
