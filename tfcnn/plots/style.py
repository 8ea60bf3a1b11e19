"""The one matplotlib style of the site: opaque white figures that read in light and dark."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.frameon": False,
    "figure.dpi": 110,
    "axes.prop_cycle": matplotlib.cycler(
        color=[
            "#3366cc",
            "#dc3912",
            "#109618",
            "#ff9900",
            "#990099",
            "#0099c6",
            "#dd4477",
        ]
    ),
}


def use_style() -> None:
    """Applies the site's style to matplotlib."""
    plt.rcParams.update(STYLE)


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 5.0, height: float = 3.4):
    """A figure with `nrows x ncols` axes in the site's style."""
    use_style()
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False
    )
    return fig, axes.ravel() if nrows * ncols > 1 else axes[0, 0]
