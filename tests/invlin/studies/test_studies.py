"""Smoke tests of the studies (quick settings) and opt-in full runs (``--run-slow``).

The quick settings train tiny networks for a few steps, so only the record's structure is
asserted for the network studies; the population-trained studies (noise and Lipschitz sweeps)
are precise even when quick, so their checks must pass.
"""

import json
import os
import subprocess
import sys

import pytest

from invlin.studies import ALL, load

ARCHITECTURE_CLAIMS = {
    "approximation-gain", "reconstruction-gain-is-pm", "logdet-y-gain",
    "logdet-y-first-order-pm", "logdet-y-no-constant-weight", "logdet-z-unweighted",
    "logdet-z-weighted-first-order", "logdet-euler-lagrange", "logdet-inverse-pm-second-order",
    "divergence-stein-identity", "divergence-z-map", "divergence-invertibility",
    "divergence-y-not-map", "diagonal-marginal-divergence", "diagonal-marginal-reconstruction",
    "lipschitz-clipping", "lipschitz-approximation-filter", "iresnet-logdet-series",
    "tweedie-linear", "gaussian-pm-equals-map", "linear-divergence-operator",
    "linear-reconstruction-operator", "linear-logdet-operator",
    "laplace-posterior-mean", "laplace-divergence-inverse-map", "laplace-logdet-euler-lagrange",
}
PRECISE_WHEN_QUICK = {"noise_sweep", "lipschitz_sweep"}
FULL_RUN_CHECKS_ONLY = {"toy2d", "iresnet_high_dim", "deconvolution", "sparse_deconvolution"}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def assert_valid_record(record, name, out_dir, seed, *, checks_expected=True):
    assert set(record) >= {"name", "title", "description", "settings", "seed", "tables",
                           "figures", "checks"}
    assert record["name"] == name and record["seed"] == seed
    assert record["title"] and record["description"] and record["settings"]
    json.loads(json.dumps(record, allow_nan=False))  # strict JSON
    assert record["tables"] and record["figures"]
    assert bool(record["checks"]) == checks_expected
    for table in record["tables"]:
        assert table["title"] and table["rows"]
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    for figure in record["figures"]:
        path = os.path.join(out_dir, figure["file"])
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
        assert figure["caption"]
    for check in record["checks"]:
        assert check["claim"] in ARCHITECTURE_CLAIMS
        assert check["quantity"] and check["reason"]
        assert isinstance(check["passed"], bool)
        finite = isinstance(check["error"], float) and isinstance(check["tolerance"], float)
        assert check["passed"] == (finite and check["error"] <= check["tolerance"])


def test_all_lists_importable_studies():
    assert len(set(ALL)) == len(ALL) and {"deconvolution", "iresnet_high_dim"} <= set(ALL)
    for name in ALL:
        assert callable(load(name).run)
    with pytest.raises(ValueError, match="unknown study"):
        load("no_such_study")


@pytest.mark.parametrize("name", ALL)
def test_quick_run_writes_a_valid_record(name, tmp_path):
    record = load(name).run(tmp_path, seed=3, quick=True, progress=False)
    # toy2d's quick networks cannot resolve PM from MAP: its checks are made in full runs only
    assert_valid_record(record, name, tmp_path, 3, checks_expected=name not in FULL_RUN_CHECKS_ONLY)
    if name == "toy2d":
        # every case gets its discriminating items (shown in a table), none counted when quick
        items = record["discrimination"]
        assert len(items) == len(load(name).CASES) * len(load(name).PREDICTIONS)
        assert all(item["not_applicable"] for item in items)
    if name in PRECISE_WHEN_QUICK:
        failed = [check for check in record["checks"] if not check["passed"]]
        assert not failed, failed


def test_experiment_script_writes_json(tmp_path):
    script = os.path.join(REPO, "experiments", "lipschitz_sweep.py")
    result = subprocess.run([sys.executable, script, "--quick", "--out", str(tmp_path),
                             "--seed", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "lipschitz_sweep.json", encoding="utf-8") as handle:
        record = json.load(handle)
    assert_valid_record(record, "lipschitz_sweep", tmp_path, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_full_run(name, tmp_path):
    # the checks of these studies come from their long-training setting (full=True)
    options = ({"full": True} if name in ("deconvolution", "iresnet_high_dim",
                                         "sparse_deconvolution") else {})
    record = load(name).run(tmp_path, seed=0, progress=False, **options)
    assert_valid_record(record, name, tmp_path, 0)
    failed = [check for check in record["checks"] if not check["passed"]]
    assert not failed, failed


def test_same_seed_same_record(tmp_path):
    # sample-based training, test sets and bootstrap all derive from the seed
    study = load("diagonal_marginal")
    first = study.run(tmp_path / "a", seed=5, quick=True, progress=False)
    second = study.run(tmp_path / "b", seed=5, quick=True, progress=False)
    for record in (first, second):
        for run in record["training"]:
            run.pop("seconds")
    assert first == second
