"""The report's figure style: legends hung below their panels clear the x axis."""

import numpy as np
import pytest

from invlin import _plotting


@pytest.mark.parametrize("size", [(3.2, 3.2), (5.0, 2.0)])
def test_legends_below_panels_clear_the_x_axis_after_one_layout(size):
    fig, axes = _plotting.subplots(1, 2, size=size)
    for ax in axes[0]:
        ax.plot(np.arange(5), np.arange(5) ** 2, label="$x^2$")
        ax.plot(np.arange(5), np.arange(5), label="x")
        ax.set_xlabel("$x_1$ (a label)")
        ax.legend()
    _plotting.place_legends(fig)
    _plotting.anchor_legends(fig)
    fig.tight_layout()  # after the anchors: the gap is in points, so the layout keeps it
    renderer = fig.canvas.get_renderer()
    for ax in axes[0]:
        legend_top = ax.get_legend().get_window_extent(renderer).y1
        axis_bottom = ax.xaxis.get_tightbbox(renderer).y0
        gap_points = (axis_bottom - legend_top) * 72.0 / fig.dpi
        # _LEGEND_GAP points below the axis label, up to a pixel of rounding (0.72 pt at 100 dpi)
        assert gap_points == pytest.approx(_plotting._LEGEND_GAP, abs=0.75)
    _plotting.plt.close(fig)
