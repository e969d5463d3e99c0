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
    assert (pids == {os.getpid()}) if jobs == 1 else (os.getpid() not in pids)


def test_a_task_exception_propagates():
    with pytest.raises(ZeroDivisionError):
        LocalExecutor(2).map(lambda x: 1 / x, [1, 0, 2])


def test_options_choose_the_executor():
    assert isinstance(make_executor(jobs=3), LocalExecutor)
    assert make_executor(jobs=3).workers == 3
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        LocalExecutor(0)
