"""A real dask.distributed LocalCluster (2 worker processes) gives the local executor's results,
also when one worker process is killed during the sweep (skipped without the dask extra)."""

import os
import signal

import pytest

pytest.importorskip("distributed", reason='needs the optional extra "dask": pip install -e ".[dask]"')

from invlin.execution import DaskExecutor, LocalExecutor  # noqa: E402
from invlin.sweep import deterministic_part, load_config, run  # noqa: E402

SWEEP = {
    "name": "dask-test",
    "base": {"prior": "logistic", "prior_scale": [0.5, 0.35], "loss": "divergence",
             "steps": 80, "batch_size": 64, "n_test": 40, "lipschitz": 0.6},
    "variants": [{"model": "diagonal_net"}, {"model": "iresnet", "width": 4}],
    "grid": {"delta": [0.2, 0.4], "seed": [0, 1, 2]},
}


@pytest.fixture(scope="module")
def cluster():
    with DaskExecutor("local:2") as executor:
        yield executor


@pytest.fixture(scope="module")
def local_rows():
    return deterministic_part(run(load_config(SWEEP), executor=LocalExecutor(1),
                                  progress=False).rows)


def _worker_pids(client) -> dict:
    return client.run(os.getpid)


def test_local_cluster_sweep_equals_local_executor(cluster, local_rows, tmp_path):
    cluster.client.wait_for_workers(2, timeout=120)  # a worker killed by an earlier test rejoins
    assert len(_worker_pids(cluster.client)) == 2
    result = run(load_config(SWEEP), executor=cluster, out=tmp_path, progress=False)
    assert result.n_errors == 0
    assert deterministic_part(result.rows) == local_rows
    # negative control: other seeds give other rows, so the comparison can fail
    other = run(load_config({**SWEEP, "grid": {"delta": [0.2, 0.4], "seed": [5, 1, 2]}}),
                executor=cluster, progress=False)
    assert deterministic_part(other.rows) != local_rows


class _KillOneWorker:
    """Wraps a DaskExecutor: after the first finished cell, SIGKILL a worker process that is
    running a cell at that moment."""

    def __init__(self, executor):
        self.executor = executor
        self.killed = None

    def map(self, func, items, *, on_result=None):
        client = self.executor.client

        def kill_once(index, result):
            on_result(index, result)
            if self.killed is None:
                busy = [w for w, keys in client.processing().items() if keys]
                pids = _worker_pids(client)
                self.killed = pids[busy[0]]
                os.kill(self.killed, signal.SIGKILL)

        return self.executor.map(func, items, on_result=kill_once)


def test_killed_worker_loses_nothing(cluster, local_rows):
    before = set(_worker_pids(cluster.client).values())
    killer = _KillOneWorker(cluster)
    result = run(load_config(SWEEP), executor=killer, progress=False)
    assert killer.killed in before
    assert result.n_errors == 0
    assert deterministic_part(result.rows) == local_rows
    after = set(_worker_pids(cluster.client).values())
    assert killer.killed not in after  # the process really died (the nanny starts a new one)
    cluster.client.wait_for_workers(2, timeout=120)  # the cluster as the other tests found it


def test_verify_on_the_cluster_equals_local(cluster):
    from invlin.verify import verify

    ids = ["gaussian-pm-equals-map"]  # one cheap claim: the workers load the claim registry
    local = verify(ids, quick=True, seed=3)
    remote = verify(ids, quick=True, seed=3, executor=cluster)
    assert [r.status for r in remote] == [r.status for r in local]
    assert [[e.error for e in r.evidence] for r in remote] == [
        [e.error for e in r.evidence] for r in local]


def test_bad_local_address():
    with pytest.raises(ValueError, match="worker count N >= 1"):
        DaskExecutor("local:zero")
