"""The derivation cache: loaded results equal derived ones, damaged entries are rebuilt, and an
edit of theory/ is never answered from the cache."""

import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from invlin.verify import derivations, verify
from invlin.verify.derivations import DerivationCache, DerivationCacheWarning
from theory import claims

ROOT = Path(__file__).resolve().parents[3]
#: A claim whose symbolic check and quick numeric check are fast.
CLAIM = "tweedie-linear"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """The cache on, in a temporary directory (the suite runs with it off)."""
    monkeypatch.setenv(derivations.SWITCH_VARIABLE, "on")
    monkeypatch.setenv(derivations.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    return tmp_path / "cache" / "derivations" / derivations.source_key()


def _fresh_process_state():
    """What a new process sees: claims not yet derived (the registry is rebuilt)."""
    claims._registry.cache_clear()


def _without_timings(record):
    document = record.to_dict()
    document.pop("seconds")
    document.pop("symbolic_source")
    for check in document["checks"]:
        check.pop("seconds")
    return document


def test_a_warm_run_loads_what_a_cold_run_derived(cache_dir):
    (cold,) = verify([CLAIM], quick=True)
    assert cold.symbolic_source == "derived" and cold.status == "PASS"
    assert (cache_dir / f"{CLAIM}.pickle").is_file()
    _fresh_process_state()
    (warm,) = verify([CLAIM], quick=True)
    assert warm.symbolic_source == "loaded"
    assert _without_timings(warm) == _without_timings(cold)
    _fresh_process_state()
    (fresh,) = verify([CLAIM], quick=True, cache=False)  # --no-cache
    assert fresh.symbolic_source == "derived"
    assert _without_timings(fresh) == _without_timings(cold)


def test_the_cache_off_stores_nothing(cache_dir, monkeypatch):
    monkeypatch.setenv(derivations.SWITCH_VARIABLE, "off")
    (record,) = verify([CLAIM], quick=True)
    assert record.symbolic_source == "derived" and not cache_dir.exists()


@pytest.mark.parametrize("content", [b"", b"\x80\x05garbage", pickle.dumps({"result": 1})],
                         ids=["empty", "not-a-pickle", "not-an-entry"])
def test_a_damaged_entry_is_rebuilt_with_a_warning(cache_dir, content):
    verify([CLAIM], quick=True)
    entry = cache_dir / f"{CLAIM}.pickle"
    entry.write_bytes(content)
    _fresh_process_state()
    with pytest.warns(DerivationCacheWarning, match=str(entry)):
        (record,) = verify([CLAIM], quick=True)
    assert record.symbolic_source == "derived" and record.status == "PASS"
    _fresh_process_state()
    (again,) = verify([CLAIM], quick=True)  # rebuilt: loads again
    assert again.symbolic_source == "loaded"


def test_an_entry_of_another_claim_is_not_used(cache_dir):
    verify([CLAIM, "iresnet-logdet-series"], quick=True)
    shutil.copy(cache_dir / "iresnet-logdet-series.pickle", cache_dir / f"{CLAIM}.pickle")
    _fresh_process_state()
    with pytest.warns(DerivationCacheWarning, match="not the result of claim"):
        (record,) = verify([CLAIM], quick=True)
    assert record.symbolic_source == "derived" and record.status == "PASS"


def test_writes_are_atomic_and_leave_no_temporary_files(cache_dir):
    cache = DerivationCache()
    claim = claims.get(CLAIM)
    for _ in range(3):
        cache.store(claim)
    assert sorted(p.name for p in cache_dir.iterdir()) == [f"{CLAIM}.pickle"]


def test_only_the_newest_source_keys_are_kept(tmp_path):
    claim = claims.get(CLAIM)
    for n in range(derivations.KEEP + 2):
        DerivationCache(tmp_path, key=f"key{n}").store(claim)
        os.utime(tmp_path / f"key{n}", (n, n))  # key n used at time n
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert len(kept) == derivations.KEEP and f"key{derivations.KEEP + 1}" in kept


def test_the_cache_lives_outside_the_source_tree(monkeypatch, tmp_path):
    monkeypatch.delenv(derivations.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert derivations.cache_root() == tmp_path / "xdg" / "invlin"
    assert ROOT not in derivations.cache_root().parents
    monkeypatch.setenv(derivations.CACHE_DIR_VARIABLE, str(tmp_path / "mine"))
    assert derivations.cache_root() == tmp_path / "mine"


def _status_in(tree, cache, code):
    """Run ``code`` in a fresh interpreter on the copied ``tree`` with the cache at ``cache``."""
    env = dict(os.environ, PYTHONPATH=str(tree), INVLIN_CACHE_DIR=str(cache),
               INVLIN_DERIVATION_CACHE="on")
    script = textwrap.dedent("""
        from invlin.verify.derivations import DerivationCache
        from theory import claims
        claim, cache = claims.get("logdet-y-gain"), DerivationCache()
    """) + textwrap.dedent(code)
    run = subprocess.run([sys.executable, "-c", script], cwd=tree, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


def test_an_edit_of_theory_is_caught_with_a_warm_cache(tmp_path):
    """The mutation run's situation: the cache is warm with the unmutated source's results,
    then a formula is broken. The edited source must be derived, and its result must show."""
    tree = tmp_path / "tree"
    for package in ("theory", "invlin"):
        shutil.copytree(ROOT / package, tree / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    cache = tmp_path / "cache"
    assert _status_in(tree, cache, "cache.store(claim); print(claim.check().status)") == [
        "proved"]
    load = "print(cache.load(claim), claim.check().status)"
    # control: unedited, the entry is found and used
    assert _status_in(tree, cache, load) == ["True", "proved"]
    scalar = tree / "theory" / "scalar.py"
    text = scalar.read_text()
    assert text.count("value -= c * sp.log(k)") == 1
    scalar.write_text(text.replace("value -= c * sp.log(k)", "value -= c * sp.log(k) / 2"))
    assert _status_in(tree, cache, load) == ["False", "refuted"]


def test_a_cached_derivation_call_returns_what_the_function_does(cache_dir):
    import theory.linear

    args = ([[1.0, 0.5], [0.0, 2.0]], [[1.0, 0.0], [0.0, 0.25]], [0.5, -1.0])
    computed = theory.linear.pm_operator(*args)
    first = derivations.derived(theory.linear.pm_operator, *args)
    assert len(list((cache_dir / "calls").iterdir())) == 1
    again = derivations.derived(theory.linear.pm_operator, *args)  # read from disk
    assert first == computed and again == computed
    other = derivations.derived(theory.linear.map_operator, *args)  # another entry
    assert len(list((cache_dir / "calls").iterdir())) == 2 and other == (
        theory.linear.map_operator(*args))
    (entry,) = [p for p in (cache_dir / "calls").iterdir() if p.stat().st_size
                and derivations.DerivationCache()._read(p, lambda e: None)["call"].startswith(
                    "theory.linear.pm_operator")]
    entry.write_bytes(b"")
    with pytest.warns(DerivationCacheWarning, match=str(entry)):
        assert derivations.derived(theory.linear.pm_operator, *args) == computed


def test_a_lambda_has_no_stable_name_and_is_refused(cache_dir):
    with pytest.raises(ValueError, match="module-level functions only"):
        derivations.derived(lambda x: x, 1)
