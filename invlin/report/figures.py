"""PNG figures of the numeric evidence (drawn from FigureSpec data; matplotlib Agg backend)."""

from __future__ import annotations

import re
from pathlib import Path

_STYLES = {
    "line": {"linestyle": "-", "marker": None},
    "marker": {"linestyle": "none", "marker": "o", "markersize": 5},
    "dashed": {"linestyle": "--", "marker": None},
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def slug(text: str) -> str:
    """A file-name-safe version of ``text``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "figure"


def draw(spec, path) -> Path:
    """Draw a :class:`~invlin.verify.evidence.FigureSpec` (or its dict) to a PNG file."""
    spec = spec.to_dict() if hasattr(spec, "to_dict") else spec
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.0), dpi=110)
    try:
        for series in spec["series"]:
            ax.plot(series["x"], series["y"], label=series["label"], **_STYLES[series["style"]])
        if spec["loglog"]:
            ax.set_xscale("log")
        if spec["loglog"] or spec.get("logy"):
            ax.set_yscale("log")
        ax.set_title(spec["title"], fontsize=10)
        ax.set_xlabel(spec["xlabel"])
        ax.set_ylabel(spec["ylabel"])
        ax.grid(True, which="both", alpha=0.3)
        if len(spec["series"]) > 1:
            ax.legend(fontsize=8)
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
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
