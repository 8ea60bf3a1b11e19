"""Figures in one consistent style."""

from tfcnn.plots.curves import plot_curves, plot_mean_std
from tfcnn.plots.style import new_figure, use_style

__all__ = ["new_figure", "plot_curves", "plot_mean_std", "use_style"]
