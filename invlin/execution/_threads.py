"""Thread counts of a worker process that shares the machine with other workers."""

from __future__ import annotations

#: Kept alive for the worker's lifetime: threadpoolctl restores the original limits only when
#: the limiter is exited or asked to.
_BLAS_LIMIT: list = []


def share_cores(numba_threads: int) -> None:
    """Give this worker ``numba_threads`` Numba threads (and threads of invlin's work-sharing
    team, from every thread of the worker) and as many BLAS threads.

    Without the BLAS limit every worker keeps OpenBLAS's default of one thread per core, and
    small dense factorisations (Cholesky of a few hundred unknowns, called thousands of times in
    the checks) slow down many-fold when the workers' BLAS threads spin against each other
    (measured: ``invlin check`` with 2 workers on 2 cores, 57 s with the default, 26 s with one
    BLAS thread per worker). numpy and scipy each bundle their own OpenBLAS; threadpoolctl
    reaches both. Results do not depend on these counts beyond BLAS rounding (see
    docs/architecture.md, "Reproducibility").
    """
    import numba
    from threadpoolctl import threadpool_limits

    from invlin._kernels.team import limit_team

    numba_threads = max(1, min(int(numba_threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(numba_threads)
    limit_team(numba_threads)  # numba's count is per thread; the team's cap is per process
    _BLAS_LIMIT.clear()
    _BLAS_LIMIT.append(threadpool_limits(limits=numba_threads, user_api="blas"))
