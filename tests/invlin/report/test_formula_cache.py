"""The on-disk cache of rendered formulas (invlin.report.latex.cached_png)."""

import pytest

from invlin.report import latex

FORMULA = r"k = \frac{a + \sqrt{a^2 + 2c/s^2}}{2}"
UNPARSEABLE = r"\begin{aligned} x &= 1 \end{aligned}"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INVLIN_CACHE_DIR", str(tmp_path))
    return tmp_path / "formulas"


def _refuse_rendering(monkeypatch):
    def render(*args, **kwargs):
        raise AssertionError("rendered although the formula is cached")

    monkeypatch.setattr(latex, "render_png", render)


def test_a_cached_formula_is_read_not_rendered(cache_dir, monkeypatch):
    first = latex.cached_png(FORMULA)
    assert first == latex.render_png(FORMULA)
    assert len(list(cache_dir.glob("*.png"))) == 1
    assert not list(cache_dir.glob("*.tmp"))  # written atomically, nothing left behind
    _refuse_rendering(monkeypatch)
    assert latex.cached_png(FORMULA) == first


def test_an_unparseable_formula_is_remembered_as_such(cache_dir, monkeypatch):
    assert latex.cached_png(UNPARSEABLE) is None
    _refuse_rendering(monkeypatch)
    assert latex.cached_png(UNPARSEABLE) is None


@pytest.mark.parametrize("damage", [lambda png: png[: len(png) // 2], lambda png: b"garbage"])
def test_a_damaged_entry_is_rendered_again_and_replaced(cache_dir, damage):
    good = latex.cached_png(FORMULA)
    (entry,) = cache_dir.glob("*.png")
    entry.write_bytes(damage(good))
    assert latex.cached_png(FORMULA) == good
    assert entry.read_bytes() == good


def test_the_key_depends_on_the_formula_and_the_font_size(cache_dir):
    latex.cached_png(FORMULA)
    latex.cached_png(FORMULA, fontsize=20)
    latex.cached_png(r"\delta^2")
    assert len(list(cache_dir.glob("*.png"))) == 3
