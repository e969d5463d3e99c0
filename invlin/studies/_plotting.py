"""Figure helpers shared by the studies (matplotlib, Agg backend, PNG output)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

plt.rcParams.update(
    {
        "figure.dpi": 110,
        "savefig.dpi": 130,
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


def save(fig, out_dir, file: str) -> str:
    """Write ``fig`` to ``out_dir/file`` (PNG), close it and return ``file``."""
    fig.tight_layout()
    fig.savefig(os.path.join(os.fspath(out_dir), file))
    plt.close(fig)
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

    All lines are mapped in one call of ``transform`` on the stacked points.
    """
    points = np.concatenate(lines, axis=0)
    image = np.asarray(transform(points))
    start = 0
    for index, line in enumerate(lines):
        part = image[start:start + line.shape[0]]
        start += line.shape[0]
        ax.plot(part[:, 0], part[:, 1], color=color, linewidth=linewidth,
                label=label if index == 0 else None)
    ax.set_aspect("equal", adjustable="datalim")
