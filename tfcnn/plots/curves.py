"""Training curves: the mean over seeds with the range as a band."""

from __future__ import annotations

import numpy as np


def stack_histories(histories: list[list[dict]], key: str, x: str = "iteration"):
    """`(xs, values[seed, point])` for `key` from records of equal length."""
    xs = np.array([row[x] for row in histories[0]], dtype=float)
    values = np.array(
        [[row[key] for row in history] for history in histories], dtype=float
    )
    return xs, values


def plot_curves(
    ax,
    runs: dict,
    keys=("train_accuracy", "test_accuracy"),
    x="iteration",
    ylabel="accuracy",
    ylim=None,
    first_color: int = 0,
    label_keys: bool = True,
    styles=("-", "--", ":", "-."),
    **line_kwargs,
) -> None:
    """Plots the seed-mean of each `key` for each labelled group of runs.

    Args:
        ax: the matplotlib axes.
        runs: label -> list of histories (one per seed; a history is the
            list of records of an `IterationLogger`).
        keys: the record keys to plot. Defaults to train and test accuracy.
        x: the record key on the x axis. Defaults to "iteration".
        ylabel: the y-axis label. Defaults to "accuracy".
        ylim: optional y limits.
        first_color: the matplotlib colour cycle index ("C<n>") of the first
            group; the next groups take the following ones. Defaults to 0.
        label_keys: label each line "<group>: <key>, <n> seeds"; False labels
            it with the group alone (for a single key). Defaults to True.
        styles: the line style of each key, in order. Defaults to solid,
            dashed, dotted, dash-dot.
        **line_kwargs: more arguments of every line (`ax.plot`), e.g. `marker`.
    """
    for color_index, (label, histories) in enumerate(runs.items()):
        color = f"C{first_color + color_index}"
        for key, style in zip(keys, styles):
            xs, values = stack_histories(histories, key, x)
            name = key.replace("_", " ")
            seeds = f", {len(histories)} seeds" if len(histories) > 1 else ""
            ax.plot(
                xs,
                values.mean(axis=0),
                style,
                color=color,
                label=f"{label}: {name}{seeds}" if label_keys else label,
                **line_kwargs,
            )
            if len(histories) > 1:
                ax.fill_between(
                    xs, values.min(axis=0), values.max(axis=0), color=color, alpha=0.15
                )
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8)


def plot_mean_std(ax, xs, summaries, **style) -> None:
    """Means of `mean_std` summaries at `xs`, with their spread as error bars.

    Args:
        ax: the matplotlib axes.
        xs: the x positions.
        summaries: dicts with `mean` and `std`, one per position.
        **style: matplotlib options, e.g. `label`, `color`.
    """
    ax.errorbar(
        xs,
        [s["mean"] for s in summaries],
        yerr=[s["std"] for s in summaries],
        marker="o",
        capsize=3,
        **style,
    )
