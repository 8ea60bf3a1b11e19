"""Figures of an optimiser × batch-size sweep trained by epoch (set A, A6)."""

from __future__ import annotations

import numpy as np

from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure
from tfcnn.training.timing import steady_epoch_seconds


def plot_sweep_curves(runs: dict, optimizers, batch_sizes, labels: dict):
    """Accuracy (top row) and loss (bottom row, log scale) by epoch, a column per batch.

    Args:
        runs: (optimizer, batch) -> list of `train_epochs` runs (one per seed).
        optimizers: the optimisers, in legend order.
        batch_sizes: the batch sizes, one column each.
        labels: optimizer -> its name in the legend.

    Returns:
        The matplotlib figure; each row shares one y range across batch sizes.
    """
    ncols = len(batch_sizes)
    fig, axes = new_figure(ncols=ncols, nrows=2, width=4.6, height=3.3)
    for column, batch in enumerate(batch_sizes):
        group = {labels[o]: [r["history"] for r in runs[o, batch]] for o in optimizers}
        for row, (metric, ylabel) in enumerate(
            (("accuracy", "accuracy"), ("loss", "cross-entropy"))
        ):
            ax = axes[row * ncols + column]
            plot_curves(
                ax,
                group,
                keys=(f"train_{metric}", f"val_{metric}"),
                x="epoch",
                ylabel=ylabel,
            )
            ax.set_title(f"batch {batch:,}")
            if metric == "loss":
                ax.set_yscale("log")
    for row in range(2):
        row_axes = axes[row * ncols : (row + 1) * ncols]
        limits = [ax.get_ylim() for ax in row_axes]
        for ax in row_axes:
            ax.set_ylim(min(lo for lo, _ in limits), max(hi for _, hi in limits))
    fig.tight_layout()
    return fig


def plot_speed(runs: dict, optimizers, batch_sizes, labels: dict):
    """CPU seconds of training per epoch (mean ± std over runs) and updates per epoch.

    Runs without CPU time (written before it was recorded) are left out; a
    group with none is marked "not measured".

    Args:
        runs: (optimizer, batch) -> list of `train_epochs` runs.
        optimizers: the optimisers, one bar colour each.
        batch_sizes: the batch sizes on the x axis.
        labels: optimizer -> its name in the legend.

    Returns:
        The matplotlib figure.
    """
    fig, axes = new_figure(ncols=2, width=4.6, height=3.3)
    width = 0.76 / len(optimizers)
    for offset, optimizer in enumerate(optimizers):
        steady = [
            [
                t
                for t in (steady_epoch_seconds(r, "cpu") for r in runs[optimizer, b])
                if t is not None
            ]
            for b in batch_sizes
        ]
        means = [np.mean(s) if s else np.nan for s in steady]
        spreads = [np.std(s, ddof=1) if len(s) > 1 else 0.0 for s in steady]
        positions = (
            np.arange(len(batch_sizes)) + (offset - (len(optimizers) - 1) / 2) * width
        )
        axes[0].bar(
            positions,
            means,
            width * 0.95,
            yerr=spreads,
            capsize=3,
            label=labels[optimizer],
        )
        for position, mean in zip(positions, means, strict=True):
            if np.isnan(mean):
                axes[0].text(
                    position,
                    0.2,
                    "not measured",
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color=f"C{offset}",
                )
        updates = [runs[optimizer, b][0]["updates_per_epoch"] for b in batch_sizes]
        axes[1].bar(positions, updates, width * 0.95, label=labels[optimizer])
    for ax, ylabel in zip(
        axes, ("CPU seconds of training per epoch", "updates per epoch")
    ):
        ax.set_xticks(np.arange(len(batch_sizes)), [f"{b:,}" for b in batch_sizes])
        ax.set_xlabel("batch size")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    axes[1].set_yscale("log")
    axes[0].set_xlim(-0.7, len(batch_sizes) - 0.3)
    return fig
