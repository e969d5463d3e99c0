"""Reports are written atomically: an interrupted ``write_report`` leaves no half-written
report, and an earlier complete report stays intact."""

import importlib.util
import pathlib
import sys
import types

import pytest

from invlin._atomic import OutputDirectoryError, atomic_directory
from invlin.report import write_report

_spec = importlib.util.spec_from_file_location(
    "verify_fakes", pathlib.Path(__file__).parents[1] / "verify" / "fakes.py")
fakes = sys.modules.setdefault("verify_fakes", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(fakes)


def _interrupted_study():
    def run(out_dir, *, seed, quick):
        (pathlib.Path(out_dir) / "partial.png").write_bytes(b"half")
        raise KeyboardInterrupt  # Ctrl-C while the studies run

    return types.SimpleNamespace(__name__="invlin.studies.interrupted", run=run)


def _write(out, studies):
    claims, registry = fakes.make_registry()
    return write_report(out, quick=True, seed=0, jobs=1, command="invlin report", claims=claims,
                        registry=registry, studies=studies, progress=False)


def test_interrupted_report_leaves_nothing(tmp_path):
    out = tmp_path / "report"
    with pytest.raises(KeyboardInterrupt):
        _write(out, [_interrupted_study()])
    assert list(tmp_path.iterdir()) == []  # neither the report nor its temporary directory


def test_interrupted_report_keeps_the_previous_one(tmp_path):
    out = tmp_path / "report"
    _write(out, [])
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert pathlib.Path("results.json") in before
    with pytest.raises(KeyboardInterrupt):
        _write(out, [_interrupted_study()])
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    # negative control: a completed rewrite does replace the report
    _write(out, [])
    assert (out / "results.json").read_bytes() != before[pathlib.Path("results.json")]


def test_unwritable_parent_is_a_clear_error():
    with pytest.raises(OutputDirectoryError, match="cannot write the output directory '/proc/x'"):
        with atomic_directory("/proc/x"):
            pass
