"""Figures of set C: the deep and linear networks' curves, the search winners'."""

from __future__ import annotations

from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure


def plot_deep(runs: dict):
    """Train and test accuracy of the deep network (C1.2).

    Args:
        runs: label -> list of histories, as for `plot_curves`.
    """
    fig, ax = new_figure(width=7, height=4)
    plot_curves(ax, runs, keys=("train_accuracy", "test_accuracy"), ylim=(0.9, 1.001))
    ax.set_title("Deep network on MNIST: accuracy every 500 iterations")
    return fig


def plot_deep_and_linear(runs: dict):
    """Accuracy and (log-scale) loss of the deep and linear networks side by side (C2).

    Args:
        runs: label -> list of histories, as for `plot_curves`.
    """
    fig, axes = new_figure(ncols=2, width=6, height=4)
    plot_curves(
        axes[0], runs, keys=("train_accuracy", "test_accuracy"), ylim=(0.85, 1.001)
    )
    axes[0].set_title("accuracy")
    plot_curves(axes[1], runs, keys=("train_loss", "test_loss"), ylabel="cross-entropy")
    axes[1].set_yscale("log")
    axes[1].set_title("loss")
    return fig


def plot_winner(runs: dict, target: float):
    """Loss and accuracy of a search winner, with the target accuracy marked (C3).

    Args:
        runs: label -> list of histories (the winner's seeds).
        target: the validation accuracy the search asked for.
    """
    fig, axes = new_figure(ncols=2, width=5.5, height=3.6)
    plot_curves(axes[0], runs, keys=("train_loss", "val_loss"), ylabel="cross-entropy")
    axes[0].set_title("training loss")
    plot_curves(
        axes[1],
        runs,
        keys=("train_accuracy", "val_accuracy", "test_accuracy"),
        ylim=(0.8, 1.0),
    )
    axes[1].axhline(target, color="grey", lw=0.8)
    axes[1].set_title("accuracy")
    return fig


def plot_convergence(runs: dict, target: float):
    """Validation accuracy of the two winners, with the target accuracy marked (C3.3).

    Args:
        runs: label -> list of histories, one group per winner.
        target: the validation accuracy the search asked for.
    """
    fig, ax = new_figure(width=7, height=4)
    plot_curves(ax, runs, keys=("val_accuracy",), ylim=(0.85, 1.0))
    ax.axhline(target, color="grey", lw=0.8)
    ax.set_title("validation accuracy of the two smallest networks")
    return fig
