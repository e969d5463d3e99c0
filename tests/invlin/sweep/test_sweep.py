"""Sweeps: configs, deterministic rows, ERROR rows, the store, interrupt and resume."""

import json
import warnings

import numpy as np
import pytest

import invlin.sweep.cell as cell_module
from invlin.execution import LocalExecutor
from invlin.sweep import deterministic_part, load_config, read_jsonl, run

SMALL = {
    "name": "small",
    "base": {"prior": "logistic", "prior_scale": [0.5, 0.35], "loss": "divergence",
             "steps": 40, "batch_size": 64, "n_test": 40, "lipschitz": 0.6},
    "variants": [{"model": "diagonal_net"}, {"model": "iresnet", "width": 4}],
    "grid": {"delta": [0.2, 0.4], "seed": [0, 1]},
}


def test_config_cells_cross_variants_and_grid_in_order():
    config = load_config(SMALL)
    assert len(config) == 8
    settings = [c.settings for c in config.cells]
    assert [(s["model"], s["delta"], s["seed"]) for s in settings[:4]] == [
        ("diagonal_net", 0.2, 0), ("diagonal_net", 0.2, 1), ("diagonal_net", 0.4, 0),
        ("diagonal_net", 0.4, 1)]
    assert settings[4]["model"] == "iresnet" and settings[4]["width"] == 4
    assert settings[0]["steps"] == 40 and settings[0]["blocks"] == 2  # base, then defaults
    assert len(set(config.cells)) == 8  # cells are hashable and distinct


def test_config_from_toml_text_equals_the_dict():
    text = """
name = "small"
[base]
prior = "logistic"
prior_scale = [0.5, 0.35]
loss = "divergence"
steps = 40
batch_size = 64
n_test = 40
lipschitz = 0.6
[[variants]]
model = "diagonal_net"
[[variants]]
model = "iresnet"
width = 4
[grid]
delta = [0.2, 0.4]
seed = [0, 1]
"""
    assert load_config(text).cells == load_config(SMALL).cells


@pytest.mark.parametrize(("change", "message"), [
    ({"grid": {"dleta": [0.1]}}, r"unknown setting\(s\) \['dleta'\] in grid"),
    ({"grid": {"delta": []}}, "grid.delta must be a non-empty list"),
    ({"grid": {"delta": [0.1, -0.2]}}, "delta must be a number > 0"),
    ({"base": {"model": "transformer"}}, "model must be one of"),
    ({"base": {"prior_scale": [1.0]}}, "prior_scale must be a list of 2 numbers"),
    ({"base": {"model": "iresnet"}}, "lipschitz must be a number in"),
    ({"base": {"n_test": 1}}, "n_test must be 0"),
    ({"base": {"optimizer": "sgd"}}, "optimizer must be one of"),
    ({"base": {"optimizer": "newton"}}, "optimizer 'newton' needs population"),
    ({"extra": 1}, "unknown top-level key"),
])
def test_bad_configs_are_rejected_naming_the_setting(change, message):
    with pytest.raises(ValueError, match=message):
        load_config({"name": "bad", **change})


def test_rows_are_a_function_of_the_settings_only():
    config = load_config(SMALL)
    serial = run(config, progress=False)
    assert serial.n_errors == 0
    parallel = run(config, executor=LocalExecutor(2), progress=False)
    assert deterministic_part(parallel.rows) == deterministic_part(serial.rows)
    reverse = run({**SMALL, "variants": SMALL["variants"][::-1]}, progress=False)
    assert deterministic_part(reverse.rows[4:] + reverse.rows[:4]) == deterministic_part(
        serial.rows)
    # negative control: another training seed changes the rows, so the comparisons can fail
    other = run({**SMALL, "grid": {"delta": [0.2, 0.4], "seed": [2, 1]}}, progress=False)
    assert deterministic_part(other.rows) != deterministic_part(serial.rows)


def test_row_distances_match_an_independent_evaluation():
    """The row's distances are those of the trained inverse on the documented test set."""
    from invlin.estimators import map_estimate, posterior_mean
    from invlin.training import train

    config = load_config({**SMALL, "variants": [{"model": "diagonal_net"}],
                          "grid": {"delta": [0.4], "seed": [3]}})
    row = run(config, progress=False).rows[0]
    s = config.cells[0].settings
    problem = cell_module.build_problem(s)
    model = cell_module.build_model(s, problem)
    train(model, problem, "divergence", steps=40, batch_size=64, learning_rate=0.01, seed=3,
          progress=False)
    test = problem.sample(40, np.random.default_rng(cell_module.held_out_seed(s)))
    estimate = model.inverse(test.z, tol=1e-10)
    to_pm = np.sqrt(np.mean(np.sum((estimate - posterior_mean(problem, test.y)) ** 2, 1)))
    to_map = np.sqrt(np.mean(np.sum((estimate - map_estimate(problem, test.y)) ** 2, 1)))
    # same arithmetic in the same order (same kernels): equal up to the summation order of
    # NumPy's mean (a few ulp)
    assert row["to_pm"] == pytest.approx(to_pm, rel=1e-12)
    assert row["to_map"] == pytest.approx(to_map, rel=1e-12)
    assert row["ratio"] == pytest.approx(to_map / to_pm, rel=1e-12)
    # negative control: the untrained model is measurably elsewhere
    untrained = cell_module.build_model(s, problem).inverse(test.z, tol=1e-10)
    far = np.sqrt(np.mean(np.sum((untrained - posterior_mean(problem, test.y)) ** 2, 1)))
    assert abs(far - row["to_pm"]) > 1e-3 * row["to_pm"]


def test_a_failing_cell_is_an_error_row_and_the_others_complete(tmp_path):
    # L = 1.5 passes the config check (a number > 0) but IResNet requires L < 1: it raises
    config = load_config({**SMALL, "variants": [{"model": "iresnet"}],
                          "grid": {"lipschitz": [0.6, 1.5], "seed": [0]}})
    result = run(config, out=tmp_path, progress=False)
    assert [r["status"] for r in result.rows] == ["OK", "ERROR"]
    assert "Traceback" in result.rows[1]["error"] and "lipschitz" in result.rows[1]["error"]
    assert np.isnan(result.rows[1]["to_pm"]) and np.isfinite(result.rows[0]["to_pm"])
    table = read_jsonl(tmp_path / "table" / "table.jsonl")
    assert [r["status"] for r in table] == ["OK", "ERROR"]


class _Interrupt(LocalExecutor):
    """Serial executor whose run is interrupted (Ctrl-C) after ``after`` finished cells."""

    def __init__(self, after):
        super().__init__(1)
        self.after = after

    def map(self, func, items, *, on_result=None):
        def interrupting(index, result):
            on_result(index, result)
            if index + 1 == self.after:
                raise KeyboardInterrupt

        return super().map(func, items, on_result=interrupting)


@pytest.fixture
def counted(monkeypatch):
    """Count the executions of run_cell (serial executor: in this process)."""
    calls = []
    real = cell_module.run_cell

    def counting(cell):
        calls.append(cell)
        return real(cell)

    monkeypatch.setattr(cell_module, "run_cell", counting)
    return calls


def test_interrupted_sweep_resumes_without_recomputing(tmp_path, counted):
    config = load_config(SMALL)
    undisturbed = run(config, out=tmp_path / "undisturbed", progress=False)
    assert len(counted) == 8
    counted.clear()
    with pytest.raises(KeyboardInterrupt):
        run(config, out=tmp_path / "resumed", executor=_Interrupt(after=3), progress=False)
    assert len(counted) == 3
    assert not (tmp_path / "resumed" / "table").exists()  # no table that looks complete
    assert len(list((tmp_path / "resumed" / "cells").glob("*.json"))) == 3
    counted.clear()
    resumed = run(config, out=tmp_path / "resumed", progress=False)
    assert len(counted) == 5 and (resumed.n_loaded, resumed.n_computed) == (3, 5)
    assert set(counted) == set(config.cells[3:])
    assert deterministic_part(resumed.rows) == deterministic_part(undisturbed.rows)
    tables = [deterministic_part(read_jsonl(tmp_path / d / "table" / "table.jsonl"))
              for d in ("undisturbed", "resumed")]
    assert tables[0] == tables[1]
    counted.clear()
    again = run(config, out=tmp_path / "resumed", progress=False)
    assert counted == [] and again.n_loaded == 8
    # negative control: without a store every cell runs again
    run(config, progress=False)
    assert len(counted) == 8


def test_store_is_keyed_by_the_code_version(tmp_path, monkeypatch, counted):
    config = load_config({**SMALL, "grid": {"delta": [0.2], "seed": [0]}})
    run(config, out=tmp_path, progress=False, figures=False)
    assert len(counted) == 2
    from invlin.sweep import store

    monkeypatch.setattr(store, "code_version", lambda: "edited")
    run(config, out=tmp_path, progress=False, figures=False)
    assert len(counted) == 4  # a code change recomputes: the stored rows are not reused


def test_table_files_and_dataframe(tmp_path):
    result = run(SMALL, out=tmp_path, progress=False)
    directory = tmp_path / "table"
    assert sorted(p.name for p in directory.iterdir()) == [
        "sweep_distances.png", "table.csv", "table.jsonl"]
    lines = (directory / "table.csv").read_text().splitlines()
    assert len(lines) == 9 and lines[0].startswith("singular_values,delta,prior,")
    first = json.loads((directory / "table.jsonl").read_text().splitlines()[0])
    assert first["to_map"] == result.rows[0]["to_map"]
    pandas = pytest.importorskip("pandas", reason='needs the optional extra "pandas": pip install -e ".[pandas]"')
    frame = result.dataframe()
    assert isinstance(frame, pandas.DataFrame) and frame.shape[0] == 8
    assert frame["to_map"].tolist() == [r["to_map"] for r in result.rows]


# A damaged store: each way a cell file can be unusable is repaired (moved aside with a
# warning naming it, the cell recomputed), and the table comes out complete.
TWO_CELLS = {**SMALL, "variants": [{"model": "diagonal_net"}],
             "grid": {"delta": [0.2], "seed": [0, 1]}}


def _truncate(path, other):
    text = path.read_text()
    path.write_text(text[: len(text) // 2])


def _empty(path, other):
    path.write_text("")


def _other_cells_row(path, other):
    path.write_text(other.read_text())  # valid JSON, but the row of the other cell


@pytest.mark.parametrize("damage", [_truncate, _empty, _other_cells_row],
                         ids=["truncated", "empty", "settings-not-its-key"])
def test_a_damaged_cell_file_is_moved_aside_and_recomputed(tmp_path, counted, damage):
    from invlin.sweep.store import DamagedCellWarning

    config = load_config(TWO_CELLS)
    first = run(config, out=tmp_path, progress=False, figures=False)
    files = sorted((tmp_path / "cells").glob("*.json"))
    assert len(files) == 2 and len(counted) == 2
    damaged = next(p for p in files if p.stem == first.rows[0]["cell"])
    other = next(p for p in files if p != damaged)
    damage(damaged, other)
    counted.clear()
    with pytest.warns(DamagedCellWarning, match=str(damaged)):
        again = run(config, out=tmp_path, progress=False, figures=False)
    assert counted == [config.cells[0]]  # only the damaged cell runs again
    assert (again.n_loaded, again.n_computed) == (1, 1)
    assert [p.name for p in (tmp_path / "cells" / "damaged").iterdir()] == [damaged.name]
    assert deterministic_part(again.rows) == deterministic_part(first.rows)
    assert len(read_jsonl(tmp_path / "table" / "table.jsonl")) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # repaired: a third run loads both quietly
        assert run(config, out=tmp_path, progress=False, figures=False).n_loaded == 2
