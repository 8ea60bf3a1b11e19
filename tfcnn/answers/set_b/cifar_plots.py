"""Figures of the CIFAR-10 runs (set B, B2.4 and B2.5): curves and the confusion matrix."""

from __future__ import annotations

import numpy as np

from tfcnn.plots.curves import plot_curves
from tfcnn.plots.samples import plot_confusion
from tfcnn.plots.style import new_figure


def plot_cifar_runs(variant: str, runs: list[dict], class_names):
    """The training curves over seeds and the test confusion matrix summed over seeds.

    A run cut short has fewer epochs; the curves show the epochs all runs have.

    Args:
        variant: the runs' name, for the legend (e.g. "standard").
        runs: the per-seed results of `tfcnn.answers.set_b.cifar.train_one`
            (`history` and `confusion_matrix`).
        class_names: a name per class.

    Returns:
        `(curves, confusion)`, two matplotlib figures.
    """
    curves, (ax_acc, ax_loss) = new_figure(ncols=2, width=4.8, height=3.4)
    shortest = min(len(run["history"]) for run in runs)
    histories = {variant: [run["history"][:shortest] for run in runs]}
    plot_curves(ax_acc, histories, keys=("train_accuracy", "val_accuracy"), x="epoch")
    plot_curves(
        ax_loss,
        histories,
        keys=("train_loss", "val_loss"),
        x="epoch",
        ylabel="label-smoothed cross-entropy",
    )
    confusion, ax = new_figure(width=6.2, height=5.4)
    plot_confusion(
        ax,
        np.sum([run["confusion_matrix"] for run in runs], axis=0),
        class_names,
        title="test confusion matrix (% of each true class)",
    )
    return curves, confusion
