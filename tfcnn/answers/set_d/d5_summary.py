"""Set D, D5: final accuracies at the sheet's and the tuned η, time per epoch, and
the training and test curves of every (optimiser, batch size).

Writes d5/summary, d5/curves_error.png, d5/curves_loss.png, d5/time_per_epoch.png.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from tfcnn.answers.set_d.d3_d5_study import (
    Study,
    error_records,
    setting_key,
    sheet_learning_rate,
    summary_cell,
)
from tfcnn.plots import new_figure, plot_curves, plot_mean_std
from tfcnn.results import save_figure
from tfcnn.results.summary import mean_std

# The curve figures: file name, series, y label, y limits.
CURVES = (
    (
        "curves_error",
        ("train_error", "test_error"),
        "error rate (1 − accuracy)",
        (0, 1),
    ),
    ("curves_loss", ("train_loss", "test_loss"), "cross-entropy", (0, 2.6)),
)
SUMMARY_COLUMNS = [
    "optimiser",
    "batch",
    "steps/epoch",
    "test acc. (η=0.001)",
    "train acc. (η=0.001)",
    "tuned η",
    "test acc. (tuned η)",
    "train acc. (tuned η)",
    "CPU s/epoch",
]


def d5_summary(study: Study) -> dict:
    """Reads (or trains) the sheet and tuned grids, then writes the D5 summary and figures."""
    cfg, tuning = study.cfg, study.tuning()
    grids = {rates: study.grid(rates) for rates in ("sheet", "tuned")}
    rows, seconds, groups, finals, train_finals = [], {}, {}, {}, {}
    for setting in grids["sheet"]:
        sheet, tuned = grids["sheet"][setting], grids["tuned"][setting]
        key, lr = setting_key(*setting), tuning["chosen"][setting_key(*setting)]
        groups[setting] = {
            f"η={sheet_learning_rate(setting[0]):g} (sheet)": sheet,
            f"η={lr:g} (tuned)": tuned,
        }
        seconds[setting] = [
            float(np.median(h["epoch_cpu_seconds"])) for h in sheet + tuned
        ]
        final = {
            r: {
                m: [h["final"][m] for h in hs]
                for m in ("test_accuracy", "train_accuracy")
            }
            for r, hs in (("sheet", sheet), ("tuned", tuned))
        }
        finals[key] = {r: mean_std(v["test_accuracy"]) for r, v in final.items()}
        train_finals[key] = {r: mean_std(v["train_accuracy"]) for r, v in final.items()}
        rows.append(
            [
                *setting,
                sheet[0]["steps_per_epoch"],
                summary_cell(final["sheet"]["test_accuracy"]),
                summary_cell(final["sheet"]["train_accuracy"]),
                f"{lr:g}",
                summary_cell(final["tuned"]["test_accuracy"]),
                summary_cell(final["tuned"]["train_accuracy"]),
                summary_cell(seconds[setting], percent=False, digits=2),
            ]
        )
    best = tuning["best"]
    best_key = setting_key(best["optimizer"], best["batch_size"])
    best_test, best_train = finals[best_key]["tuned"], train_finals[best_key]["tuned"]
    result = {
        "table": {"columns": SUMMARY_COLUMNS, "rows": rows},
        "final_test_accuracy": finals,
        "final_train_accuracy": train_finals,
        "best": {
            **best,
            "test_accuracy": best_test,
            "train_accuracy": best_train,
            "target": cfg.target_accuracy,
            "target_met": best_test["mean"] >= cfg.target_accuracy,
        },
        "seconds_per_epoch": {setting_key(*s): mean_std(v) for s, v in seconds.items()},
    }
    study.write("d5", "summary", result)
    for name, keys, label, ylim in CURVES:
        fig = curves_figure(groups, cfg.optimizers, cfg.batch_sizes, keys, label, ylim)
        save_figure(fig, "d5", name, study.root)
    fig = time_figure(seconds, cfg.optimizers, cfg.batch_sizes)
    save_figure(fig, "d5", "time_per_epoch", study.root)
    return result


def curves_figure(groups: dict, optimizers, batch_sizes, keys, ylabel: str, ylim=None):
    """A grid of training curves: one row per optimizer, one column per batch size.

    Args:
        groups: (optimizer, batch size) -> {label: [history per seed]}.
        optimizers: the rows.
        batch_sizes: the columns.
        keys: the series to draw, e.g. ("train_error", "test_error").
        ylabel: the y-axis label.
        ylim: y limits shared by all panels. Defaults to None (automatic).
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
        optimizers: the lines.
        batch_sizes: the x positions.
    """
    fig, ax = new_figure(width=5.0, height=3.4)
    for optimizer in optimizers:
        stats = [mean_std(seconds[(optimizer, b)]) for b in batch_sizes]
        plot_mean_std(ax, batch_sizes, stats, label=optimizer)
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xticks(list(batch_sizes), [str(b) for b in batch_sizes])
    ax.set_xlabel("mini-batch size")
    ax.set_ylabel("CPU seconds per epoch (1,000 images)")
    ax.legend()
    fig.tight_layout()
    return fig
