"""``invlin sweep`` / ``evaluate`` and the report's output directory: exit codes and files."""

import json
import pathlib

import pytest

from invlin import cli

CONFIG = """
name = "cli"
[base]
prior = "logistic"
prior_scale = [0.5, 0.35]
model = "diagonal_net"
lipschitz = 0.6
steps = 30
batch_size = 32
n_test = 20
[grid]
delta = [0.3]
seed = [0, 1]
"""


def test_sweep_runs_then_resumes(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 0
    assert "2 cells (2 computed, 0 loaded" in capsys.readouterr().out
    assert (out / "table" / "table.csv").is_file()
    assert cli.main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 0
    assert "2 cells (0 computed, 2 loaded" in capsys.readouterr().out


def test_sweep_resumes_from_a_truncated_cell_file(tmp_path, capsys):
    from invlin.sweep.store import DamagedCellWarning

    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 0
    cell = sorted((out / "cells").glob("*.json"))[0]
    cell.write_text(cell.read_text()[:46])  # a partial copy
    with pytest.warns(DamagedCellWarning, match=str(cell)):
        assert cli.main(["sweep", str(config), "--out", str(out), "--jobs", "1"]) == 0
    assert "2 cells (1 computed, 1 loaded" in capsys.readouterr().out
    assert len((out / "table" / "table.csv").read_text().splitlines()) == 3


def test_sweep_with_an_error_cell_exits_1(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG.replace('model = "diagonal_net"', 'model = "iresnet"')
                      .replace("lipschitz = 0.6", "lipschitz = 1.5"))
    assert cli.main(["sweep", str(config), "--out", str(tmp_path / "o"), "--jobs", "1"]) == 1
    assert "ERROR cell" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "message"), [
    (CONFIG.replace("delta = [0.3]", "delta = [-0.3]"), "delta must be a number > 0"),
    ("not toml at all", "invalid TOML"),
])
def test_bad_sweep_config_exits_2(tmp_path, capsys, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    assert cli.main(["sweep", str(config), "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err


def test_sweep_unwritable_out_exits_2(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    assert cli.main(["sweep", str(config), "--out", "/proc/x"]) == 2
    assert "/proc/x" in capsys.readouterr().err


def test_report_to_unwritable_directory_is_a_usage_error(capsys):
    assert cli.main(["report", "--out", "/proc/x", "--quick", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the output directory '/proc/x'" in err and "Traceback" not in err


def test_bad_dask_address_is_a_usage_error(capsys):
    pytest.importorskip("distributed", reason='needs the optional extra "dask": pip install -e ".[dask]"')
    assert cli.main(["check", "--quick", "--claim", "approximation-gain",
                     "--dask", "local:0"]) == 2
    assert "worker count N >= 1" in capsys.readouterr().err


def _write_inverse_module(tmp_path) -> pathlib.Path:
    path = tmp_path / "my_inverse.py"
    path.write_text("import numpy as np\n"
                    "from invlin.named_problems import named_problem\n"
                    "from invlin.estimators import map_estimate\n"
                    "A = named_problem('log-concave', 0.3).A\n"
                    "def tikhonov(z):\n"
                    "    return np.linalg.solve(A.T @ A + 0.09 * np.eye(2), z.T).T\n"
                    "def map_from_z(z):\n"
                    "    return map_estimate(named_problem('log-concave', 0.3),\n"
                    "                        np.linalg.solve(A.T, z.T).T)\n")
    return path


def test_evaluate_a_user_callable(tmp_path, capsys):
    path = _write_inverse_module(tmp_path)
    out = tmp_path / "e.json"
    assert cli.main(["evaluate", f"{path}:map_from_z", "--problem", "log-concave", "--delta",
                     "0.3", "--n", "200", "--json", str(out)]) == 0
    numbers = json.loads(out.read_text())
    # the exact MAP (y recovered from z = A^T y by a solve: rounding ~1e-15) is at distance ~0
    # from the MAP and at the PM-MAP distance from the PM
    assert numbers["to_map"] < 1e-8
    assert numbers["to_pm"] == pytest.approx(numbers["pm_to_map"], rel=1e-6)
    assert "RMS distance to MAP" in capsys.readouterr().out
    # negative control: a Tikhonov inverse is not the MAP
    assert cli.main(["evaluate", f"{path}:tikhonov", "--problem", "log-concave", "--delta",
                     "0.3", "--n", "200", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["to_map"] > 1e-3


@pytest.mark.parametrize("spec", ["nomodule", "no_such_module_xyz:f", "/nonexistent.py:f"])
def test_evaluate_bad_callable_exits_2(spec, capsys):
    assert cli.main(["evaluate", spec, "--problem", "gaussian", "--delta", "0.3"]) == 2
    assert "invlin evaluate: error" in capsys.readouterr().err


def test_evaluate_unknown_problem_exits_2(tmp_path, capsys):
    path = _write_inverse_module(tmp_path)
    assert cli.main(["evaluate", f"{path}:tikhonov", "--problem", "nope", "--delta", "0.3"]) == 2
    assert "unknown problem 'nope'" in capsys.readouterr().err
