"""PNG figures of the numeric evidence (drawn from FigureSpec data; matplotlib Agg backend).

The style is the studies' (:mod:`invlin._plotting`): legends outside the data, titles
wrapped to the panel, 100 dpi, optimised PNG. Marker series that may lie on top of each other
(e.g. two learned inverses both at the same reference) are told apart by shape, size and fill:
the first is drawn largest and hollow, each later one smaller, so every one stays visible.
"""

from __future__ import annotations

import re
from pathlib import Path

_LINES = {"line": "-", "dashed": "--"}
#: Marker shapes for the marker series of one figure, in order.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def slug(text: str) -> str:
    """A file-name-safe version of ``text``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "figure"


def draw(spec, path) -> Path:
    """Draw a :class:`~invlin.verify.evidence.FigureSpec` (or its dict) to a PNG file."""
    from invlin._plotting import finish, plt

    spec = spec.to_dict() if hasattr(spec, "to_dict") else spec
    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    try:
        markers = [s for s in spec["series"] if s["style"] == "marker"]
        for series in spec["series"]:
            if series["style"] == "marker":
                rank = markers.index(series)
                ax.plot(series["x"], series["y"], label=series["label"], linestyle="none",
                        marker=_MARKERS[rank % len(_MARKERS)],
                        markersize=max(9.0 - 1.2 * rank, 3.5),
                        markerfacecolor="none" if rank % 2 == 0 else None,
                        markeredgewidth=1.3, zorder=3 + rank)
            else:
                ax.plot(series["x"], series["y"], label=series["label"],
                        linestyle=_LINES[series["style"]], linewidth=1.5, zorder=2)
        if spec["loglog"]:
            ax.set_xscale("log")
        if spec["loglog"] or spec.get("logy"):
            ax.set_yscale("log")
        ax.set_title(spec["title"])
        ax.set_xlabel(spec["xlabel"])
        ax.set_ylabel(spec["ylabel"])
        ax.grid(True, which="both", alpha=0.3)
        if len(spec["series"]) > 1:
            ax.legend()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        finish(fig, path)
    finally:
        plt.close(fig)
    return path


def draw_all(records, directory) -> dict:
    """Draw every figure of every claim record into ``directory``.

    Returns
    -------
    dict
        Claim id -> list of ``{"file": <path relative to the report directory>, "caption"}``.
    """
    directory = Path(directory)
    out: dict = {}
    for record in records:
        for number, evidence in enumerate(record.evidence):
            if evidence.figure is None:
                continue
            name = f"{record.id}-{number}-{slug(evidence.figure.kind)}.png"
            draw(evidence.figure, directory / name)
            caption = (f"{evidence.figure.title} ({evidence.quantity}: error {evidence.error:.3g}, "
                       f"tolerance {evidence.tolerance:.3g})")
            out.setdefault(record.id, []).append(
                {"file": f"{directory.name}/{name}", "caption": caption})
    return out
