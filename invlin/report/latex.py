"""Render LaTeX to PNG with matplotlib's mathtext, for an HTML report viewed offline.

No CDN (MathJax/KaTeX) is used: the report must render without internet. mathtext covers the
usual inline mathematics (fractions, roots, sub/superscripts, Greek, operators); a formula it
cannot parse (e.g. ``aligned`` environments) is shown as its LaTeX source instead, so nothing is
lost.

Rendered formulas are kept on disk in ``<invlin cache>/formulas`` (the directory of the
derivation cache, :func:`invlin.verify.derivations.cache_root`), one file per formula, named by
a SHA-256 of the cleaned LaTeX, the font size and the matplotlib and Pillow versions: a warm
report renders none of its ~140 formulas again (rendering them took ~5 s of the report's
serial tail). A file that is not a complete PNG is rendered again and replaced.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import re
from pathlib import Path

from invlin._atomic import atomic_write_bytes


def _clean(latex: str) -> str:
    text = latex.strip()
    if text.startswith("$$") and text.endswith("$$"):
        text = text[2:-2]
    elif text.startswith("$") and text.endswith("$"):
        text = text[1:-1]
    # mathtext has no \left/\right sizing, \operatorname, \tfrac/\dfrac, \frac12 shorthand,
    # \! \; \: spacing, \displaystyle, \iff, \le, \ge or \ne.
    text = re.sub(r"\\(left|right)(?=[()\[\]|.\\{}])", "", text)
    text = text.replace(r"\displaystyle", "").replace(r"\operatorname", r"\mathrm")
    text = re.sub(r"\\[td]frac", r"\\frac", text)
    text = re.sub(r"\\frac(\w)(\w)", r"\\frac{\1}{\2}", text)  # \frac12 -> \frac{1}{2}
    text = re.sub(r"\\frac(\w)(?=\{)", r"\\frac{\1}", text)  # \frac1{k} -> \frac{1}{k}
    text = text.replace(r"\!", "").replace(r"\;", r"\ ").replace(r"\:", r"\ ")
    # symbols mathtext knows under another name
    text = re.sub(r"\\iff(?![a-zA-Z])", r"\\Leftrightarrow", text)
    text = re.sub(r"\\(le|ge|ne)(?![a-zA-Z])", r"\\\1q", text)
    return " ".join(text.split())


def render_png(latex: str, *, fontsize: int = 13) -> bytes | None:
    """PNG bytes of ``latex`` rendered by mathtext, or None if mathtext cannot parse it."""
    if not latex or not latex.strip():
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import mathtext

    text = f"${_clean(latex)}$"
    buffer = io.BytesIO()
    try:
        mathtext.math_to_image(text, buffer, dpi=130, format="png",
                               prop=matplotlib.font_manager.FontProperties(size=fontsize))
    except (ValueError, RuntimeError):
        return None
    # mathtext draws black on transparent: grey + alpha (LA) holds it exactly at half the size
    from PIL import Image

    small = io.BytesIO()
    Image.open(io.BytesIO(buffer.getvalue())).convert("LA").save(small, format="PNG",
                                                                 optimize=True)
    return small.getvalue()


_PNG_START = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
#: Content of the file that records "mathtext cannot parse this formula".
_UNPARSEABLE = b""


def cached_png(latex: str, *, fontsize: int = 13) -> bytes | None:
    """:func:`render_png`, through the on-disk formula cache (see the module docstring)."""
    if not latex or not latex.strip():
        return None
    import matplotlib
    import PIL

    from invlin.verify.derivations import cache_root

    key = hashlib.sha256("\0".join([matplotlib.__version__, PIL.__version__, str(fontsize),
                                     _clean(latex)]).encode()).hexdigest()[:32]
    path = cache_root() / "formulas" / f"{key}.png"
    try:
        stored = path.read_bytes()
    except OSError:
        stored = None
    if stored == _UNPARSEABLE:
        return None
    if stored is not None and stored.startswith(_PNG_START) and stored.endswith(_PNG_END):
        return stored
    png = render_png(latex, fontsize=fontsize)
    _write_atomic(path, _UNPARSEABLE if png is None else png)
    return png


def _write_atomic(path: Path, data: bytes) -> None:
    """:func:`invlin._atomic.atomic_write_bytes` (concurrent reports never read a partial
    file); an unwritable cache is skipped silently (the formula is rendered again next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except OSError:
        return


@functools.lru_cache(maxsize=None)
def render_data_uri(latex: str) -> str | None:
    """``data:image/png;base64,...`` of the rendered formula, or None (see :func:`render_png`).

    Memoised: a report shows many formulas more than once (142 distinct of 249), and mathtext's
    parser costs ~20 ms a formula; on disk too (:func:`cached_png`).
    """
    png = cached_png(latex)
    if png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
