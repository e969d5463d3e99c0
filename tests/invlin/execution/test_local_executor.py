"""The local executor returns results in item order, reports each as it finishes, and stops
cleanly when interrupted."""

import os

import pytest

from invlin.execution import LocalExecutor, make_executor


def _square_and_pid(x):
    return x * x, os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_in_item_order_and_each_reported_once(jobs):
    seen = []
    results = LocalExecutor(jobs).map(_square_and_pid, range(7),
                                      on_result=lambda i, r: seen.append((i, r[0])))
    assert [r[0] for r in results] == [x * x for x in range(7)]
    assert sorted(seen) == [(i, i * i) for i in range(7)]
    pids = {r[1] for r in results}
    in_process = jobs == 1 or not LocalExecutor.can_fork()
    assert (pids == {os.getpid()}) if in_process else (os.getpid() not in pids)


def _thread_counts(_):
    import threading

    import numba
    from threadpoolctl import threadpool_info

    from invlin._kernels.team import team_size

    # the team's size as a task on another thread of the worker sees it (Dask's executor
    # threads): Numba's own count is per thread, the team's cap per process
    seen = []
    thread = threading.Thread(target=lambda: seen.append(team_size()))
    thread.start()
    thread.join()
    return numba.get_num_threads(), sorted({i["num_threads"] for i in threadpool_info()
                                            if i["user_api"] == "blas"}), seen[0]


def test_workers_share_the_cores():
    """Each of N workers gets NUMBA_NUM_THREADS // N Numba threads and as many BLAS threads
    (not one BLAS thread per core each, which oversubscribes the machine)."""
    import numba

    if not LocalExecutor.can_fork():
        pytest.skip("Numba's thread pool already runs in this process: no workers are forked")
    expected = max(1, numba.config.NUMBA_NUM_THREADS // 2)
    for numba_threads, blas_threads, team in LocalExecutor(2).map(_thread_counts, range(4)):
        assert numba_threads == expected
        assert blas_threads in ([expected], [])  # [] when no BLAS library is loaded
        assert team == expected


def test_a_task_exception_propagates():
    with pytest.raises(ZeroDivisionError):
        LocalExecutor(2).map(lambda x: 1 / x, [1, 0, 2])


def test_options_choose_the_executor():
    assert isinstance(make_executor(jobs=3), LocalExecutor)
    assert make_executor(jobs=3).workers == 3
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        LocalExecutor(0)


def _parallel_forward(seed):
    import numpy as np

    from invlin.models import IResNet
    from invlin.models.iresnet import PARALLEL_MIN_WORK

    n = PARALLEL_MIN_WORK // (2 * 64) + 1  # enough work for the parallel (threaded) driver
    return IResNet(2, 2, 64, lipschitz=0.5, rng=seed).forward(np.ones((n, 2)))


def test_forked_workers_after_the_warm_up_run_parallel_kernels():
    # the parent warms only serial kernels: a started OpenMP pool would break the forked children
    results = LocalExecutor(2).map(_parallel_forward, [0, 1, 0])
    assert len(results) == 3
    assert results[0].shape[1] == 2 and (results[0] == results[2]).all()
    assert not (results[0] == results[1]).all()  # negative control: another seed differs


def test_after_the_thread_pool_started_tasks_run_serially_with_a_warning():
    import numba

    numba.get_num_threads()  # starts Numba's thread pool in this process
    if LocalExecutor.can_fork():
        pytest.skip("the TBB threading layer survives fork")
    with pytest.warns(RuntimeWarning, match="running the tasks serially"):
        results = LocalExecutor(2).map(_square_and_pid, range(3))
    assert results == [(x * x, os.getpid()) for x in range(3)]
