"""Figures and table cells for the set D page, from `experiment.run` histories."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from tfcnn.plots import new_figure, plot_curves
from tfcnn.scratch.train import history_records


def error_records(history: dict) -> list[dict]:
    """Per-epoch records plus "<set>_error" = 1 - accuracy (misclassification rate)."""
    records = history_records(history)
    for record in records:
        for key in [k for k in record if k.endswith("_accuracy")]:
            record[key.replace("_accuracy", "_error")] = 1.0 - record[key]
    return records


def summary_cell(values, percent: bool = True, digits: int = 1) -> str:
    """ "mean ± std" of some numbers as text (percent by default), for a table cell."""
    values = np.asarray(list(values), dtype=float)
    scale, unit = (100.0, " %") if percent else (1.0, "")
    std = values.std(ddof=1) if values.size > 1 else 0.0
    return f"{scale * values.mean():.{digits}f} ± {scale * std:.{digits}f}{unit}"


def curves_figure(groups: dict, optimizers, batch_sizes, keys, ylabel: str, ylim=None):
    """A grid of training curves: one row per optimizer, one column per batch size.

    Args:
        groups: (optimizer, batch size) -> {label: [history per seed]}.
        optimizers: the rows.
        batch_sizes: the columns.
        keys: the series to draw, e.g. ("train_error", "test_error").
        ylabel: the y-axis label.
        ylim: optional y limits shared by all panels.
    """
    fig, axes = new_figure(
        ncols=len(batch_sizes), nrows=len(optimizers), width=3.6, height=2.8
    )
    axes = np.asarray(axes).reshape(len(optimizers), len(batch_sizes))
    for row, optimizer in enumerate(optimizers):
        for col, batch_size in enumerate(batch_sizes):
            ax = axes[row, col]
            runs = {
                label: [error_records(h) for h in histories]
                for label, histories in groups[(optimizer, batch_size)].items()
            }
            plot_curves(
                ax,
                runs,
                keys=keys,
                x="epoch",
                ylabel=ylabel if col == 0 else "",
                ylim=ylim,
            )
            ax.set_title(f"{optimizer}, batch {batch_size}", fontsize=10)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=6)
            if row < len(optimizers) - 1:
                ax.set_xlabel("")
    fig.tight_layout()
    return fig


def time_figure(seconds: dict, optimizers, batch_sizes):
    """Seconds per epoch against batch size, a line per optimizer (mean ± std of runs).

    Args:
        seconds: (optimizer, batch size) -> the median epoch time of every run.
    """
    fig, ax = new_figure(width=5.0, height=3.4)
    for optimizer in optimizers:
        values = [np.asarray(seconds[(optimizer, b)]) for b in batch_sizes]
        means = [v.mean() for v in values]
        stds = [v.std(ddof=1) if v.size > 1 else 0.0 for v in values]
        ax.errorbar(
            batch_sizes, means, yerr=stds, marker="o", capsize=3, label=optimizer
        )
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xticks(list(batch_sizes), [str(b) for b in batch_sizes])
    ax.set_xlabel("mini-batch size")
    ax.set_ylabel("CPU seconds per epoch (1,000 images)")
    ax.legend()
    fig.tight_layout()
    return fig


def tuning_figure(
    scores: dict, chosen: dict, sheet_rates: dict, optimizers, batch_sizes
):
    """Validation accuracy against η: a panel per optimizer, a line per batch size.

    Args:
        scores: (optimizer, batch size) -> {rate: [final validation accuracy per seed]}.
        chosen: (optimizer, batch size) -> the chosen rate (circled).
        sheet_rates: optimizer -> the sheet's rate (dotted vertical line).
    """
    fig, axes = new_figure(ncols=len(optimizers), width=4.0, height=3.2)
    for ax, optimizer in zip(np.atleast_1d(axes), optimizers, strict=True):
        for index, batch_size in enumerate(batch_sizes):
            by_rate = scores[(optimizer, batch_size)]
            rates = sorted(by_rate)
            means = [np.mean(by_rate[r]) for r in rates]
            ax.plot(
                rates, means, marker=".", color=f"C{index}", label=f"batch {batch_size}"
            )
            best = chosen[(optimizer, batch_size)]
            ax.plot(
                [best],
                [np.mean(by_rate[best])],
                "o",
                mfc="none",
                ms=10,
                color=f"C{index}",
            )
        ax.axvline(
            sheet_rates[optimizer], color="grey", linestyle=":", label="sheet's η"
        )
        ax.set_xscale("log")
        ax.set_ylim(0, 1)
        ax.set_xlabel("learning rate η")
        ax.set_ylabel("validation accuracy after the last epoch")
        ax.set_title(optimizer)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
