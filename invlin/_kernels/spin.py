"""Waiting for a signal without sleeping: a bounded spin on a counter, outside the GIL.

The work-sharing team (:mod:`invlin._kernels.team`) hands out work through queues, whose blocking
``get`` puts the waiting thread to sleep. On a virtual machine a thread that has slept for a
while wakes 40-50 microseconds after it is signalled (the idle virtual CPU has halted; measured
on the project's 2-core machine), against about 8 microseconds for one that blocked a moment
before and about 3 for one that spins: the 40-50 are a tenth of the canonical training step's
kernel. So a thread that expects work soon
first spins for a bounded time, :data:`SPIN_SECONDS`, on a signal counter that the poster
increments after it has queued the work, and only then blocks on the queue.

:func:`spin_until_changed` runs a Numba kernel that releases the GIL: the poster and the team's
other threads keep running Python while one spins. It reads the counter with an atomic acquire
load, so the compiler cannot hoist the read out of the loop. The counter is only a hint: the
queues carry the work, so a missed or early signal costs time, never correctness.

Waiting for the GIL also puts a thread to sleep. So a thread leaves its spin only when the GIL
is likely free: a helper waits a little longer after a post (``settle``, while the poster
enters its own kernel), and a helper that finishes signals the waiting caller from inside its
next spin (``signal``), when it no longer holds the GIL.

With ``NUMBA_DISABLE_JIT=1`` the spin cannot run outside the GIL; it then returns at once and
the threads block on their queues as before.
"""

from __future__ import annotations

import time

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from invlin._kernels.jit import kernel

#: How long a thread that expects work spins before it sleeps: longer than the Python work
#: between two kernels of a training step (about 0.2 ms for the canonical step), far shorter
#: than a scheduler time slice, so that a spinning thread on a loaded machine costs others
#: little.
SPIN_SECONDS = 3e-4


@intrinsic
def _load_acquire(typingctx, counter):
    """counter[0] by an atomic load with acquire ordering (never hoisted out of a loop)."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.load_atomic(array.data, "acquire", 8)

    return types.int64(counter), codegen


@intrinsic
def _add_release(typingctx, counter, value):
    """counter[0] += value by an atomic read-modify-write with release ordering."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", array.data, args[1], "release")

    return types.int64(counter, types.int64), codegen


@kernel
def _spin(signal, counter, seen, spins, settle):
    """Add 1 to signal[0]; spin until counter[0] != seen (then ``settle`` more turns) or for
    ``spins`` turns."""
    _add_release(signal, 1)
    for _ in range(spins):
        if _load_acquire(counter) != seen:
            for _ in range(settle):
                _load_acquire(counter)
            return True
    return False


_spins_per_second: float | None = None
#: The signal array of calls that signal nothing.
_NO_SIGNAL = np.zeros(1, np.int64)


def _spins(seconds: float) -> int:
    """Turns of :func:`_spin`'s loop that take at least about ``seconds``: timed once per
    process, the fastest of several short runs (a run the scheduler interrupted is slower)."""
    global _spins_per_second
    if _spins_per_second is None:
        probe = np.zeros(1, np.int64)
        _spin(_NO_SIGNAL, probe, 0, 1, 0)  # compile or load
        count = 20_000
        fastest = np.inf
        for _ in range(7):
            start = time.perf_counter()
            _spin(_NO_SIGNAL, probe, 0, count, 0)
            fastest = min(fastest, time.perf_counter() - start)
        _spins_per_second = count / max(fastest, 1e-9)
    return max(1, int(seconds * _spins_per_second))


def spin_until_changed(counter: np.ndarray, seen: int, *, seconds: float = SPIN_SECONDS,
                       settle: float = 0.0, signal: np.ndarray | None = None) -> bool:
    """Spin, outside the GIL, until ``counter[0] != seen`` or about ``seconds`` have passed.

    Parameters
    ----------
    counter : ndarray of int64, shape (1,)
        The signal counter (changed by another thread).
    seen : int
        Its value read before the caller last looked for work.
    seconds : float, optional
        The time-out.
    settle : float, optional
        Seconds to go on spinning after the change: time for the thread that signalled to
        release the GIL, which this thread takes on return. Waiting for a held GIL puts a
        thread to sleep, and waking it again costs the latency this module avoids.
    signal : ndarray of int64, shape (1,), optional
        Incremented (atomically, outside the GIL) before the spin: tells a thread spinning on
        it that this one holds no GIL and is idle.

    Returns
    -------
    bool
        True if the counter changed, False on time-out or, without compiled kernels, at once
        (after incrementing ``signal``).
    """
    signal = _NO_SIGNAL if signal is None else signal
    if numba.config.DISABLE_JIT:
        signal[0] += 1
        return False
    return bool(_spin(signal, counter, seen, _spins(seconds), _spins(settle)))
