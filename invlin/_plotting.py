"""Figure helpers shared by the studies and the report's claim figures (matplotlib, Agg
backend, PNG output): one style for every figure of a report.

The style: 100 dpi (a 4-inch panel is 400 px, shown at its natural size in report.html),
legends outside the data (:func:`place_legends`), titles wrapped to their panel
(:func:`wrap_titles`), PNGs reduced to a 256-colour palette and written at zlib level 6
(:func:`finish`).
"""

from __future__ import annotations

import io
import os
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402  (Pillow: a dependency of matplotlib)

plt.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
    }
)


def subplots(nrows: int = 1, ncols: int = 1, *, size=(4.0, 3.4), **kwargs):
    """``plt.subplots`` with a per-panel size and a squeezed-to-2-D axes array."""
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False, **kwargs
    )
    return fig, axes


#: Characters of a title line per inch of panel width (9-10 pt text).
_CHARS_PER_INCH = 13


def place_legends(fig) -> None:
    """Move every legend of ``fig`` outside its panel's data: to the right of the panel in a
    one-column figure, below the panel's x axis otherwise (so that panels keep their width).

    A legend below a panel hangs from the panel's bottom edge; :func:`anchor_legends` sets its
    gap to clear the x axis's tick labels and label.
    """
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        handles, labels = ax.get_legend_handles_labels()
        if not handles:
            continue
        fontsize = legend.get_texts()[0].get_fontsize() if legend.get_texts() else None
        if _columns(fig) == 1:
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                      borderaxespad=0.0, fontsize=fontsize)
        else:
            ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                      borderaxespad=0.0, fontsize=fontsize, ncol=2)


#: Gap between a panel's x-axis label and a legend hung below it, in points.
_LEGEND_GAP = 4.0


def anchor_legends(fig) -> None:
    """Set the gap between each legend placed below its panel and the panel's bottom edge to
    the depth of the panel's x-axis tick labels and label, plus :data:`_LEGEND_GAP`.

    The gap is held in points (the legend's ``borderaxespad``, in units of its font size), and
    the depth depends only on the fonts, not on the panel's size: the anchor holds for any
    layout, so the figure is laid out once (a one-column figure's legends sit to the right).
    """
    if _columns(fig) == 1:
        return
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        below = ax.xaxis.get_tightbbox(renderer)
        depth = 0.0 if below is None else max(ax.bbox.y0 - below.y0, 0.0)
        gap = depth * 72.0 / fig.dpi + _LEGEND_GAP
        legend.borderaxespad = gap / legend.get_texts()[0].get_fontsize()


def widen_for_legends(fig) -> None:
    """Widen a one-column figure by its widest legend on the right, so that moving the legend
    out of the data does not narrow the panel."""
    if _columns(fig) != 1:
        return
    renderer = fig.canvas.get_renderer()
    widths = [ax.get_legend().get_window_extent(renderer).width / fig.dpi
              for ax in fig.axes if ax.get_legend() is not None]
    if widths:
        fig.set_figwidth(fig.get_figwidth() + max(widths) + 0.15)


def _columns(fig) -> int:
    return max((ax.get_subplotspec().get_gridspec().ncols for ax in fig.axes
                if ax.get_subplotspec() is not None), default=1)


def wrap_titles(fig) -> None:
    """Wrap every panel title (and the figure's suptitle) to the width it has."""
    width = fig.get_figwidth()
    columns = _columns(fig)
    for ax in fig.axes:
        title = ax.get_title()
        if title:
            ax.set_title(_wrap(title, width / columns * _CHARS_PER_INCH))
    if fig._suptitle is not None and fig._suptitle.get_text():
        fig._suptitle.set_text(_wrap(fig._suptitle.get_text(), width * _CHARS_PER_INCH * 1.1))


def _wrap(text: str, chars: float) -> str:
    """Wrap ``text`` at spaces, never inside mathtext (``$...$``)."""
    lines = []
    for line in text.split("\n"):
        parts = line.split("$")
        # odd parts are mathtext: protect their spaces from the wrapper
        protected = "$".join(p.replace(" ", "\0") if i % 2 else p for i, p in enumerate(parts))
        pieces = textwrap.wrap(protected, max(int(chars), 20), break_long_words=False,
                               break_on_hyphens=False)
        lines += [piece.replace("\0", " ") for piece in pieces] or [""]
    return "\n".join(lines)


def finish(fig, path) -> None:
    """Apply the report style (legends outside, wrapped titles), lay the figure out, write it
    to ``path`` as an optimised PNG with nothing cut off, and close it."""
    place_legends(fig)
    widen_for_legends(fig)
    wrap_titles(fig)
    anchor_legends(fig)
    fig.tight_layout()
    # the tight box measured on the laid-out figure: savefig(bbox_inches="tight") would draw
    # the figure once more to measure it
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(0.08)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches=bbox)
    plt.close(fig)
    # 256 colours, no dithering: plots are flat colours and anti-aliased lines; about a third
    # of the size of the RGBA file, with no difference visible at 100 dpi
    image = Image.open(buffer).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT,
                                                        dither=Image.Dither.NONE)
    # zlib level 6 without Pillow's optimize: 8x faster to write (13 against 100 ms for a toy2d
    # grid figure), 4.5% larger (118 against 113 kB)
    image.save(path, format="PNG", compress_level=6)


def save(fig, out_dir, file: str) -> str:
    """Write ``fig`` to ``out_dir/file`` (PNG, :func:`finish`), close it and return ``file``."""
    finish(fig, os.path.join(os.fspath(out_dir), file))
    return file


def grid_lines(lower, upper, n_lines: int = 15, n_points: int = 101) -> list[np.ndarray]:
    """The lines of a regular 2-D grid on ``[lower, upper]^2``, each as an (n_points, 2) array."""
    ticks = np.linspace(lower, upper, n_lines)
    along = np.linspace(lower, upper, n_points)
    lines = []
    for value in ticks:
        lines.append(np.column_stack([np.full_like(along, value), along]))
        lines.append(np.column_stack([along, np.full_like(along, value)]))
    return lines


def deformed_grid(ax, transform, lines, *, color="C0", label=None, linewidth=0.7) -> None:
    """Draw the image under ``transform`` of grid ``lines`` (a list of (P, 2) polylines).

    All lines are mapped in one call of ``transform`` on the stacked points and drawn as one
    polyline broken by NaN rows (one artist instead of one per line: the drawing and layout
    cost of a 2 x 4 panel grid figure fell from seconds to a fraction of a second).
    """
    points = np.concatenate(lines, axis=0)
    image = np.asarray(transform(points), dtype=float)
    pieces = []
    start = 0
    for line in lines:
        pieces.append(image[start:start + line.shape[0]])
        pieces.append(np.full((1, 2), np.nan))
        start += line.shape[0]
    path = np.concatenate(pieces[:-1], axis=0)
    ax.plot(path[:, 0], path[:, 1], color=color, linewidth=linewidth, label=label)
    ax.set_aspect("equal", adjustable="datalim")
