"""A work-sharing team: the chunks of a kernel on the calling thread and helper threads.

``run_chunks(body, count)`` calls ``body(ci)`` once for every chunk ``ci < count``. The calling
thread and :func:`team_size` ``- 1`` helper threads each take the next chunk not yet taken,
until none is left; the call returns when every chunk is done. ``run_ranges(body, stop, unit)``
deals the range ``[0, stop)`` out in pieces of whole units (blocks of rows, of components, of
sample chunks) and calls ``body(start, end)`` on each; ``over_range`` chooses between that and
one call on the whole range. The bodies are Numba kernels compiled with ``nogil=True``, so the
threads run them at the same time.

Why not Numba's ``prange``: a parallel region splits its iterations among all threads in
advance and waits for each of them. On a shared machine a thread that waits for a core holds
up the whole region for a scheduler time slice, milliseconds against the canonical step's
0.6 ms (docs/engine.md, "Threading"). Here the calling thread never waits for a helper that has
not started: it takes the chunks the helper has not claimed, and at worst waits for the one chunk
a helper is running.

Idle helpers spin for a while (:data:`invlin._kernels.spin.SPIN_SECONDS`, outside the GIL) before
they sleep on their queues, and so does the calling thread while it waits for a helper's last
chunk: on the project's virtual machine a sleeping thread wakes 40-50 microseconds after it is
signalled, a spinning one in a few (:mod:`invlin._kernels.spin`). In a training loop the helpers
therefore keep their core busy between the kernels of consecutive steps.

The bodies of the training objectives take their chunks themselves: ``run_claimed(body,
count)`` calls ``body(claims)`` on the calling thread and on the helpers, and each call takes
chunk after chunk with :func:`claim` (an atomic increment of ``claims[0]``, in compiled code)
until none is left, and returns how many it finished. No Python runs between a thread's chunks:
the threads never wait for the GIL there, and a helper that starts late leaves every chunk it
has not claimed to the others, one chunk at a time.

Results do not depend on which thread runs a chunk, nor on the number of threads, nor on how
units are grouped into pieces: every unit writes only its own outputs (its rows, its components,
its gradient slot) with the same arithmetic.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading

import numba
import numpy as np
from numba.extending import overload

from invlin._kernels.spin import _add_release, spin_until_changed

#: Pieces per thread of :func:`run_ranges`: a few, so that a helper that starts late, or a
#: thread that loses its core for a while, leaves pieces for the others to take.
PIECES_PER_THREAD = 4

_helpers: list[queue.SimpleQueue] = []
_lock = threading.Lock()
#: Incremented after work is queued for helpers: idle helpers spin on it before they sleep
#: (:mod:`invlin._kernels.spin`).
_posted = np.zeros(1, np.int64)
#: The process-wide cap of :func:`limit_team` (None: no cap).
_size_limit: int | None = None


#: How long a helper that saw a post spins on before it takes the GIL: longer than the poster
#: holds the GIL between posting and entering its own kernel (about 4 microseconds).
SETTLE_SECONDS = 1e-5


def _serve(inbox: queue.SimpleQueue) -> None:
    done = None  # the finished-signal of the last job, not yet given
    while True:
        seen = int(_posted[0])  # read before the queue: a post after the check changes it
        try:
            job = inbox.get(block=False)
        except queue.Empty:
            # idle: signal the last job's caller from outside the GIL, then spin, then sleep
            changed = spin_until_changed(_posted, seen, settle=SETTLE_SECONDS, signal=done)
            done = None
            if changed:
                continue
            job = inbox.get()
        if done is not None:
            done[0] += 1
        done = job()


def _forget_helpers() -> None:
    """In a forked child the helper threads do not exist: start new ones when needed."""
    global _lock
    _helpers.clear()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_helpers)


def _recruit(count: int) -> list[queue.SimpleQueue]:
    """The inboxes of ``count`` helper threads, starting the missing ones."""
    with _lock:
        while len(_helpers) < count:
            inbox = queue.SimpleQueue()
            threading.Thread(target=_serve, args=(inbox,), name="invlin-team", daemon=True).start()
            _helpers.append(inbox)
        return _helpers[:count]


def limit_team(size: int) -> None:
    """Cap the team at ``size`` threads in this process, whichever thread calls the kernels.

    :func:`invlin.execution._threads.share_cores` calls it in worker processes. Numba's own
    count (``numba.set_num_threads``) is per thread: the threads a Dask worker runs its tasks
    on would not see it and would each use a team of ``NUMBA_NUM_THREADS``.
    """
    global _size_limit
    _size_limit = max(1, int(size))


def team_size() -> int:
    """Threads of the team, the calling one included: Numba's thread count, capped by
    :func:`limit_team`.

    Numba's count is ``numba.get_num_threads()`` (which ``numba.set_num_threads`` sets) once
    Numba's thread pool runs, and ``NUMBA_NUM_THREADS`` before: asking Numba for the count
    would start its pool, after which :class:`invlin.execution.LocalExecutor` can no longer
    fork workers.
    """
    from numba.np.ufunc import parallel

    size = (numba.get_num_threads() if parallel._is_initialized
            else numba.config.NUMBA_NUM_THREADS)
    return size if _size_limit is None else min(size, _size_limit)


def _post(work, helpers: list[queue.SimpleQueue]) -> None:
    """Queue ``work`` in the inboxes of ``helpers`` and tell the idle ones (the post counter)."""
    for inbox in helpers:
        inbox.put(work)
    if helpers:
        _posted[0] += 1


def _next_result(finished: queue.SimpleQueue, signal: np.ndarray):
    """The next result a helper queued on ``finished``: taken at once if there, else after a
    spin on ``signal`` (which a helper increments once it has queued its last result and
    released the GIL), else by blocking on the queue."""
    seen = int(signal[0])
    try:
        return finished.get(block=False)
    except queue.Empty:
        spin_until_changed(signal, seen)
        return finished.get()


def run_chunks(body, count: int) -> None:
    """Call ``body(ci)`` for ``ci`` in ``range(count)``, each exactly once, on the team.

    The team is the calling thread and ``team_size() - 1`` helpers (fewer for fewer chunks). An
    exception raised by a body is raised here once every claimed chunk is done.
    """
    helpers = _recruit(max(0, min(team_size(), count) - 1))
    claim_next = itertools.count().__next__  # atomic under the GIL
    finished = queue.SimpleQueue()
    # a hint for the calling thread's wait below: a helper increments it once it has no more
    # chunks of this call (after it queued their results)
    signal = np.zeros(1, np.int64)

    def work():
        while (ci := claim_next()) < count:
            try:
                body(ci)
            except BaseException as error:  # handed to the calling thread
                finished.put(error)
            else:
                finished.put(None)
        return signal

    _post(work, helpers)
    errors = []
    own = 0
    while (ci := claim_next()) < count:
        try:
            body(ci)
        except BaseException as error:
            errors.append(error)
        own += 1
    for _ in range(count - own):
        error = _next_result(finished, signal)
        if error is not None:
            errors.append(error)
    if errors:
        raise errors[0]


def claim(claims) -> int:
    """The index of the next unclaimed chunk, ``claims[0]``, which is incremented.

    In compiled kernels an atomic fetch-and-add, so that every index goes to exactly one
    thread. Without compiled kernels (NUMBA_DISABLE_JIT) a plain increment, and
    :func:`run_claimed` runs the body on the calling thread alone. Numba's on-disk cache does
    not see edits of this function (or of its overload) from the kernels of other modules that
    call it: after changing it, delete the ``__pycache__`` directories of ``invlin/models``.
    """
    index = int(claims[0])
    claims[0] += 1
    return index


overload(claim)(lambda claims: lambda claims: _add_release(claims, 1))


def run_claimed(body, count: int) -> None:
    """Run ``body(claims)`` on the calling thread and on helpers until ``count`` chunks are done.

    ``body`` is a compiled kernel (``nogil``) that takes chunk indices with :func:`claim` from
    the shared counter ``claims`` until one is ``>= count`` and returns how many chunks it
    finished. The calling thread runs it too, then waits for the helpers' counts until they
    add up to ``count``: it never waits for a helper that has not started, since the chunks
    such a helper would have taken are taken by the others. An exception raised by a body
    (which leaves its chunk unfinished) is raised here once every helper has returned.
    """
    claims = np.zeros(1, np.int64)
    if numba.config.DISABLE_JIT:  # claim is not atomic in Python: one thread takes them all
        body(claims)
        return
    helpers = _recruit(max(0, min(team_size(), count) - 1))
    finished = queue.SimpleQueue()
    signal = np.zeros(1, np.int64)  # as in run_chunks

    def work():
        try:
            finished.put(body(claims))
        except BaseException as error:  # handed to the calling thread
            finished.put(error)
        return signal

    _post(work, helpers)
    errors = []
    try:
        done = body(claims)
    except BaseException as error:
        errors.append(error)
        done = 0
    reported = 0
    while done < count and reported < len(helpers):
        result = _next_result(finished, signal)
        reported += 1
        if isinstance(result, BaseException):
            errors.append(result)
        else:
            done += result
    if errors:
        raise errors[0]


def over_claimed(parallel: bool, body, count: int) -> None:
    """``body(claims)`` on the calling thread alone, or (``parallel``) :func:`run_claimed`:
    the two paths of a claiming body, which give the same result when every chunk writes only
    its own outputs."""
    if parallel:
        run_claimed(body, count)
    else:
        body(np.zeros(1, np.int64))


def run_ranges(body, stop: int, unit: int = 1) -> None:
    """Call ``body(start, end)`` on consecutive pieces covering ``[0, stop)``, on the team.

    Every piece but the last is a whole number of ``unit``; there are at most
    ``PIECES_PER_THREAD * team_size()`` pieces, and a single one (``body(0, stop)``, on the
    calling thread) for a team of one or a range of one unit.
    """
    units = -(-stop // unit)
    size = team_size()
    if size == 1 or units <= 1:
        body(0, stop)
        return
    pieces = min(units, PIECES_PER_THREAD * size)

    def piece(p):
        body(min(stop, p * units // pieces * unit), min(stop, (p + 1) * units // pieces * unit))

    run_chunks(piece, pieces)


def over_range(parallel: bool, body, stop: int, unit: int = 1) -> None:
    """``body(0, stop)`` on the calling thread, or (``parallel``) :func:`run_ranges`: the two
    paths of every kernel, which give the same result when ``body`` treats each unit on its
    own."""
    if parallel:
        run_ranges(body, stop, unit)
    else:
        body(0, stop)
