"""Set A, A6: SGD vs RMSProp on Fashion-MNIST at several batch sizes, by epoch.

Every run trains the sheet's network (conv 5×5, 32 filters, 'valid', ReLU,
dense to 10) for a fixed number of epochs and records train-sample and
validation metrics and the training time (wall and CPU) of every epoch. All
runs of one seed share the initial weights and the split.

The summary also measures the time to accuracy: the cumulative training CPU
seconds at which the seed-mean validation accuracy first reaches each of
`Config.time_levels`, and each seed's own first-reach time.

Writes under `<root>/a6/`: `<optimizer>_b<batch>_<scaling>_seed<S>.json` per
run (runs already written are skipped), `summary_<scaling>.json`, and the
figures `curves_<scaling>.png`, `speed_<scaling>.png` and
`time_to_accuracy_<scaling>.png`.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from tfcnn import cli
from tfcnn.answers.set_a import load_fashion_split, write_run
from tfcnn.models import build_shallow
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure
from tfcnn.results import save_figure, set_seed, write_result
from tfcnn.results.bounded import read_json
from tfcnn.results.summary import (
    final_metrics,
    first_reaching,
    format_mean_std,
    mean_std,
)
from tfcnn.training.devices import use_strategy
from tfcnn.training.fit import train_epochs
from tfcnn.training.timing import (
    cumulative_epoch_seconds,
    epoch_timing,
    steady_epoch_seconds,
)

RESULT_ID = "a6"
LABELS = {"sgd": "SGD", "rmsprop": "RMSProp"}
SCALINGS = ("none", "sqrt", "linear")


@dataclasses.dataclass
class Config:
    """The settings of the A6 sweep.

    Args:
        optimizers: the optimisers compared. Defaults to ("sgd", "rmsprop").
        base_learning_rates: each optimiser's rate at `base_batch_size`
            (Keras' defaults).
        base_batch_size: the batch size of those rates. Defaults to 32.
        batch_sizes: the batch sizes, trained in this order.
            Defaults to (32, 1000, 10000).
        lr_scaling: how the rate follows the batch size: "none", "sqrt" or
            "linear" (see `learning_rate`). Defaults to "none".
        epochs: epochs per run. Defaults to 10.
        seeds: defaults to (0, 1, 2).
        split_seed: seed of the validation split. Defaults to 0.
        val_fraction: share of the training set held out. Defaults to 0.1.
        train_eval_size: training images measured every epoch. Defaults to 10,000.
        threads: CPU threads of the backend. Defaults to 1.
        distribute: "none" or "mirrored". Defaults to "none".
        train_size: train on a balanced sample of this many images. Defaults
            to None (the whole training part).
        time_levels: the validation accuracies whose time to reach is
            measured. Defaults to 80 %, 85 %, 88 % and 89 %, chosen from the
            runs' validation curves: 80 % is reached by most settings, 89 %
            by one, and no seed-mean curve reaches 90 %.
    """

    optimizers: tuple = ("sgd", "rmsprop")
    base_learning_rates: dict = dataclasses.field(
        default_factory=lambda: {"sgd": 0.01, "rmsprop": 0.001}
    )
    base_batch_size: int = 32
    batch_sizes: tuple = (32, 1000, 10_000)
    lr_scaling: str = "none"
    epochs: int = 10
    seeds: tuple = (0, 1, 2)
    split_seed: int = 0
    val_fraction: float = 0.1
    train_eval_size: int = 10_000
    threads: int = 1
    distribute: str = "none"
    train_size: int | None = None
    time_levels: tuple = (0.80, 0.85, 0.88, 0.89)

    def quick(self) -> Config:
        """The smoke run: one seed, 2 epochs at batch 32 and 1,000, 2,000 images."""
        return dataclasses.replace(
            self,
            seeds=self.seeds[:1],
            epochs=2,
            batch_sizes=(32, 1000),
            train_size=2000,
        )


def learning_rate(config: Config, optimizer: str, batch_size: int) -> float:
    """The base rate, scaled by B/B0 ('linear'), sqrt(B/B0) ('sqrt') or not ('none').

    Args:
        config: the sweep (base rates, base batch size B0, `lr_scaling`).
        optimizer: "sgd" or "rmsprop".
        batch_size: the batch size B.

    Raises:
        ValueError: `config.lr_scaling` is none of `SCALINGS`.
    """
    if config.lr_scaling not in SCALINGS:
        raise ValueError(
            f"lr_scaling must be one of {SCALINGS}, got {config.lr_scaling!r}."
        )
    ratio = batch_size / config.base_batch_size
    factor = {"none": 1.0, "linear": ratio, "sqrt": ratio**0.5}[config.lr_scaling]
    return config.base_learning_rates[optimizer] * factor


def sweep_run_name(optimizer: str, batch_size: int, scaling: str, seed: int) -> str:
    """`<optimizer>_b<batch>_<scaling>_seed<S>`, the file name of one run."""
    return f"{optimizer}_b{batch_size}_{scaling}_seed{seed}"


def activation_megabytes(batch_size: int, side: int = 24, filters: int = 32) -> float:
    """float32 conv output and ReLU output kept for the backward pass: 2·B·n²·F·4 bytes."""
    return 2 * batch_size * side * side * filters * 4 / 2**20


def run_sweep(config: Config, split, root: Path) -> None:
    """Trains every (seed, batch size, optimiser) not yet written under `root`.

    Args:
        config: the sweep.
        split: the data (a `tfcnn.data.splits.Split`).
        root: the results folder.
    """
    for seed in config.seeds:
        for batch in config.batch_sizes:
            for optimizer in config.optimizers:
                name = sweep_run_name(optimizer, batch, config.lr_scaling, seed)
                if (Path(root) / RESULT_ID / f"{name}.json").exists():
                    print(f"--- {name}: already written, skipped", flush=True)
                    continue
                lr = learning_rate(config, optimizer, batch)
                print(f"--- {name}: learning rate {lr:.4g}", flush=True)
                set_seed(seed)
                run = train_epochs(
                    build_shallow(filters=32, kernel_size=5, padding="valid"),
                    split,
                    epochs=config.epochs,
                    batch_size=batch,
                    optimizer=optimizer,
                    learning_rate=lr,
                    train_eval_size=config.train_eval_size,
                    seed=config.split_seed,
                )
                run.update(
                    optimizer=optimizer,
                    batch_size=batch,
                    learning_rate=lr,
                    n_train=len(split.x_train),
                )
                write_run(RESULT_ID, name, run, config, seed, root)


def read_sweep(config: Config, root: Path) -> tuple[dict, dict]:
    """`(runs, seeds)`: the runs written for each (optimiser, batch), and their seeds.

    A sweep cut short leaves some seeds missing: those written are used, and
    `seeds` says which.

    Args:
        config: the sweep.
        root: the results folder.

    Raises:
        FileNotFoundError: an (optimiser, batch) has no run at all.
    """
    runs, seeds = {}, {}
    for optimizer in config.optimizers:
        for batch in config.batch_sizes:
            found = {}
            for seed in config.seeds:
                name = sweep_run_name(optimizer, batch, config.lr_scaling, seed)
                path = Path(root) / RESULT_ID / f"{name}.json"
                if path.exists():
                    found[seed] = read_json(path)
            if not found:
                raise FileNotFoundError(
                    f"no run of {optimizer} at batch {batch} under {root}: "
                    "run the sweep first."
                )
            runs[optimizer, batch] = list(found.values())
            seeds[f"{optimizer}_b{batch}"] = list(found)
    return runs, seeds


def summarise_sweep(config: Config, root: Path) -> dict:
    """Writes `summary_<scaling>.json` (final metrics, epoch times) and returns the runs.

    Times are steady epochs (2..E) of training alone. CPU time is the fair
    measure on a shared machine (wall time also counts waiting for the CPU);
    `cpu_by_batch` pools both optimisers, whose own update is a tiny share
    of an epoch's work.

    Args:
        config: the sweep.
        root: the results folder, holding the runs.

    Returns:
        The runs of each (optimiser, batch), as `read_sweep` gives them.
    """
    runs, seeds = read_sweep(config, root)
    metrics = ("train_accuracy", "train_loss", "val_accuracy", "val_loss")
    values, rows = {}, []
    for (optimizer, batch), group in runs.items():
        first, n_train = group[0], group[0]["n_train"]
        entry = {
            "learning_rate": first["learning_rate"],
            "updates_per_epoch": first["updates_per_epoch"],
            "updates_in_run": first["updates_per_epoch"] * len(first["history"]),
            **epoch_timing(group, n_train),
            "activation_megabytes": activation_megabytes(batch),
            **final_metrics([r["history"] for r in group], metrics),
        }
        values[f"{optimizer}_b{batch}"] = entry
        rows.append(
            [
                LABELS[optimizer],
                f"{batch:,}",
                ", ".join(map(str, seeds[f"{optimizer}_b{batch}"])),
                f"{entry['learning_rate']:.4g}",
                f"{entry['updates_per_epoch']:,}",
                format_mean_std(entry["train_accuracy"], ".2%"),
                format_mean_std(entry["val_accuracy"], ".2%"),
                format_mean_std(entry["train_loss"], ".3f"),
                format_mean_std(entry["val_loss"], ".3f"),
                format_mean_std(entry["epoch_cpu_seconds"], ".1f"),
            ]
        )
    summary = {
        "runs": values,
        "seeds": seeds,
        "threads": threads_of_runs(runs),
        "n_train": runs[config.optimizers[0], config.batch_sizes[0]][0]["n_train"],
        "cpu_by_batch": {
            str(b): pooled_timing([r for o in config.optimizers for r in runs[o, b]])
            for b in config.batch_sizes
        },
        "table": {
            "columns": [
                "optimiser",
                "batch",
                "seeds",
                "learning rate",
                "updates / epoch",
                "train acc.",
                "val. acc.",
                "train loss",
                "val. loss",
                "CPU s / epoch",
            ],
            "rows": rows,
        },
        "time_to_accuracy": time_to_accuracy(runs, config.time_levels),
    }
    write_result(
        RESULT_ID, f"summary_{config.lr_scaling}", summary, config=config, root=root
    )
    return runs


def pooled_timing(pooled: list[dict]) -> dict:
    """Epoch times of runs at one batch size, per epoch and per update.

    Args:
        pooled: `train_epochs` runs of one batch size (any optimiser).

    Returns:
        `epoch_timing`'s figures, `cpu_milliseconds_per_update` (None
        without CPU time) and `runs_with_cpu_time`.
    """
    timing = epoch_timing(pooled, pooled[0]["n_train"])
    updates = pooled[0]["updates_per_epoch"]
    per_epoch = timing["epoch_cpu_seconds"]
    per_update = None
    if per_epoch:
        per_update = {
            **per_epoch,
            "mean": 1e3 * per_epoch["mean"] / updates,
            "std": 1e3 * per_epoch["std"] / updates,
        }
    return {
        **timing,
        "cpu_milliseconds_per_update": per_update,
        "runs_with_cpu_time": sum(bool(r.get("epoch_cpu_seconds")) for r in pooled),
    }


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


def threads_of_runs(runs: dict) -> int | str:
    """The `threads` setting the runs were trained with (their `meta.config`).

    Args:
        runs: (optimizer, batch) -> list of runs read back from JSON.

    Returns:
        The one value all runs share (0: all cores), or the values found,
        comma-separated, when they differ ("unknown" for a run without it).
    """
    found = {
        (run.get("meta") or {}).get("config", {}).get("threads", "unknown")
        for group in runs.values()
        for run in group
    }
    if len(found) == 1:
        return found.pop()
    return ", ".join(str(v) for v in sorted(found, key=str))


def level_key(level: float) -> str:
    """A level's key in the summary, usable in a page's dotted path: 0.885 -> "88_5"."""
    return f"{100 * level:g}".replace(".", "_")


def setting_label(optimizer: str, batch: int) -> str:
    """ "RMSProp, batch 1,000"."""
    return f"{LABELS[optimizer]}, batch {batch:,}"


def mean_time_curve(group: list[dict]) -> list[dict]:
    """The seed-mean validation accuracy and cumulative training time after each epoch.

    Accuracy is averaged over every run; time over the runs that recorded
    it (CPU: `cpu_seconds`, a `mean_std` or None when no run did; wall:
    `wall_seconds`).

    Args:
        group: the runs of one setting (one per seed), with equal epochs.

    Returns:
        One record per epoch: `epoch`, `val_accuracy`, `cpu_seconds`,
        `wall_seconds`.
    """
    epochs = min(len(run["history"]) for run in group)
    clocks = {}
    for clock in ("cpu", "wall"):
        times = [cumulative_epoch_seconds(run, clock) for run in group]
        clocks[clock] = [t for t in times if t is not None]
    curve = []
    for e in range(epochs):
        cpu, wall = ([t[e] for t in clocks[c]] for c in ("cpu", "wall"))
        curve.append(
            {
                "epoch": group[0]["history"][e]["epoch"],
                "val_accuracy": float(
                    np.mean([run["history"][e]["val_accuracy"] for run in group])
                ),
                "cpu_seconds": mean_std(cpu) if cpu else None,
                "wall_seconds": mean_std(wall) if wall else None,
            }
        )
    return curve


def seed_first_reach(run: dict, level: float) -> dict | None:
    """When one run's validation accuracy first reaches `level`, or None if never.

    Args:
        run: a `train_epochs` run.
        level: the validation accuracy.

    Returns:
        `epoch` and the cumulative training `cpu_seconds` and `wall_seconds`
        at its end (None when the run did not record that clock).
    """
    history = run["history"]
    hit = first_reaching(history, "val_accuracy", level)
    if hit is None:
        return None
    index = next(i for i, row in enumerate(history) if row is hit)
    times = {c: cumulative_epoch_seconds(run, c) for c in ("cpu", "wall")}
    return {
        "epoch": hit["epoch"],
        "cpu_seconds": times["cpu"][index] if times["cpu"] else None,
        "wall_seconds": times["wall"][index] if times["wall"] else None,
    }


def level_entry(group: list[dict], seeds: list, curve: list[dict], level: float):
    """The time of one setting to one validation level (see `time_to_accuracy`)."""
    hit = first_reaching(curve, "val_accuracy", level)
    per_seed = {str(s): seed_first_reach(run, level) for s, run in zip(seeds, group)}
    reached = [r for r in per_seed.values() if r is not None]
    every = len(reached) == len(group)
    seed_cpu = [r["cpu_seconds"] for r in reached if r["cpu_seconds"] is not None]
    return {
        "reached": hit is not None,
        "epoch": hit["epoch"] if hit else None,
        "val_accuracy": hit["val_accuracy"] if hit else None,
        "cpu_seconds": hit["cpu_seconds"] if hit else None,
        "updates": hit["epoch"] * group[0]["updates_per_epoch"] if hit else None,
        "seeds": per_seed,
        "seeds_reaching": len(reached),
        "seed_cpu_seconds": mean_std(seed_cpu) if every and seed_cpu else None,
    }


def time_cell(entry: dict) -> str:
    """A seed-mean curve's time to a level: "14 s (epoch 1)", or "not reached"."""
    if not entry["reached"]:
        return "not reached"
    if entry["cpu_seconds"] is None:
        return f"not measured (epoch {entry['epoch']})"
    return f"{entry['cpu_seconds']['mean']:.0f} s (epoch {entry['epoch']})"


def seeds_cell(entry: dict, n_seeds: int) -> str:
    """Each seed's epoch to a level ("–": never) and, if all reach it, mean ± std seconds.

    The spread is over the seeds that recorded CPU time (`format_mean_std`
    shows n when it is less than 3).
    """
    epochs = ", ".join(
        "–" if r is None else str(r["epoch"]) for r in entry["seeds"].values()
    )
    if entry["seeds_reaching"] == 0:
        return "not reached"
    if entry["seeds_reaching"] < n_seeds:
        return f"epochs {epochs}: {entry['seeds_reaching']} of {n_seeds} seeds"
    seconds = format_mean_std(entry["seed_cpu_seconds"], ".1f")
    return f"epochs {epochs}: {seconds}"


def time_to_accuracy(runs: dict, levels) -> dict:
    """The training CPU time each setting takes to reach each validation level.

    A setting's time to a level is the cumulative training CPU time (epoch 1,
    which also traces the graph, included; evaluation excluded) at the end of
    the first epoch whose seed-mean validation accuracy is at least the
    level: the mean over the seeds that recorded CPU time of their times at
    that epoch. Per seed, the same for the seed's own curve; their mean ± std
    when every seed reaches the level. Times are only known at the end of an
    epoch. Only validation accuracy is used.

    Args:
        runs: (optimizer, batch) -> list of `train_epochs` runs, one per seed,
            as `read_sweep` gives them (seeds in the order of `seeds`).
        levels: the validation accuracies.

    Returns:
        `levels`, `curves` (setting -> `mean_time_curve`), `settings` (setting
        -> level key -> `level_entry`), `updates_per_cpu_second` (setting ->
        updates per steady CPU second of training, or None), `fastest` (level
        key -> the setting
        whose seed-mean curve reaches it in the least CPU time, with its
        label, time, epoch, updates and the `next` fastest, or None), and
        the page's tables
        `table` (seed-mean curves), `seeds_table` (each seed) and
        `fastest_table`.
    """
    curves, settings, rates, rows, seed_rows = {}, {}, {}, [], []
    for (optimizer, batch), group in runs.items():
        name = f"{optimizer}_b{batch}"
        seeds = [run.get("meta", {}).get("seed", i) for i, run in enumerate(group)]
        curves[name] = mean_time_curve(group)
        settings[name] = {
            level_key(level): level_entry(group, seeds, curves[name], level)
            for level in levels
        }
        epoch_cpu = epoch_timing(group, group[0]["n_train"])["epoch_cpu_seconds"]
        rates[name] = (
            group[0]["updates_per_epoch"] / epoch_cpu["mean"] if epoch_cpu else None
        )
        entries = [settings[name][level_key(level)] for level in levels]
        rows.append(
            [
                LABELS[optimizer],
                f"{batch:,}",
                "not measured" if rates[name] is None else f"{rates[name]:.1f}",
                *map(time_cell, entries),
            ]
        )
        seed_rows.append(
            [
                LABELS[optimizer],
                f"{batch:,}",
                *(seeds_cell(entry, len(group)) for entry in entries),
            ]
        )
    fastest, fastest_rows = {}, []
    for level in levels:
        key = level_key(level)
        timed = [
            (by_level[key]["cpu_seconds"]["mean"], name)
            for name, by_level in settings.items()
            if by_level[key]["cpu_seconds"] is not None
        ]
        if not timed:
            fastest[key] = None
            fastest_rows.append([f"{level:.0%}", "no setting", "", "", "", ""])
            continue
        timed.sort()
        seconds, name = timed[0]
        optimizer, batch = name.rsplit("_b", 1)
        entry = settings[name][key]
        fastest[key] = {
            "setting": name,
            "label": setting_label(optimizer, int(batch)),
            "cpu_seconds": seconds,
            "epoch": entry["epoch"],
            "updates": entry["updates"],
            "next": None,
        }
        if len(timed) > 1:
            next_seconds, next_name = timed[1]
            next_optimizer, next_batch = next_name.rsplit("_b", 1)
            fastest[key]["next"] = {
                "setting": next_name,
                "label": setting_label(next_optimizer, int(next_batch)),
                "cpu_seconds": next_seconds,
            }
        runner_up = fastest[key]["next"]
        fastest_rows.append(
            [
                f"{level:.0%}",
                fastest[key]["label"],
                f"{seconds:.0f}",
                entry["epoch"],
                f"{entry['updates']:,}",
                (
                    f"{runner_up['label']}: {runner_up['cpu_seconds']:.0f} s"
                    if runner_up
                    else "none"
                ),
            ]
        )
    level_columns = [f"{level:.0%} val." for level in levels]
    return {
        "levels": list(levels),
        "curves": curves,
        "settings": settings,
        "updates_per_cpu_second": rates,
        "fastest": fastest,
        "table": {
            "columns": ["optimiser", "batch", "updates / CPU s", *level_columns],
            "rows": rows,
        },
        "seeds_table": {
            "columns": [
                "optimiser",
                "batch",
                *(f"{c}: epoch of each seed, CPU s" for c in level_columns),
            ],
            "rows": seed_rows,
        },
        "fastest_table": {
            "columns": [
                "val. accuracy",
                "first reached by",
                "CPU s",
                "epoch",
                "updates",
                "next fastest",
            ],
            "rows": fastest_rows,
        },
    }


def plot_time_to_accuracy(curves: dict, optimizers, batch_sizes, levels):
    """Seed-mean validation accuracy against cumulative training CPU seconds (log x).

    One line per optimiser (line style) and batch size (colour), a marker at
    the end of each epoch; the levels of `time_to_accuracy` as dotted lines.
    The left panel shows the whole run, the right one the levels.

    Args:
        curves: setting ("<optimizer>_b<batch>") -> `mean_time_curve`;
            settings without CPU time are left out.
        optimizers: the optimisers, one line style each.
        batch_sizes: the batch sizes, one colour each.
        levels: the validation accuracies to mark.

    Returns:
        The matplotlib figure.
    """
    fig, axes = new_figure(ncols=2, width=4.6, height=3.6)
    top = max(row["val_accuracy"] for curve in curves.values() for row in curve)
    for ax in axes:
        for level in levels:
            ax.axhline(level, color="0.6", linestyle=":", linewidth=0.8)
        for style, optimizer in zip(("-", "--", ":", "-."), optimizers):
            for color, batch in enumerate(batch_sizes):
                curve = curves[f"{optimizer}_b{batch}"]
                if curve[0]["cpu_seconds"] is None:
                    continue
                timed = [
                    {**row, "cpu_seconds": row["cpu_seconds"]["mean"]} for row in curve
                ]
                plot_curves(
                    ax,
                    {setting_label(optimizer, batch): [timed]},
                    keys=("val_accuracy",),
                    x="cpu_seconds",
                    ylabel="validation accuracy (mean of the seeds)",
                    first_color=color,
                    label_keys=False,
                    styles=(style,),
                    marker=".",
                )
        ax.set_xscale("log")
        ax.set_xlabel("cumulative training CPU seconds")
    axes[1].set_ylim(min(levels) - 0.03, top + 0.01)
    axes[1].get_legend().remove()
    axes[0].set_title("whole run")
    axes[1].set_title("near the levels")
    fig.tight_layout()
    return fig


def run_optimizers(config: Config, root: Path, summarise_only: bool = False) -> None:
    """Runs the sweep (unless `summarise_only`), then writes its summary and figures.

    Args:
        config: the sweep.
        root: the results folder.
        summarise_only: only summarise the runs already written.
            Defaults to False.
    """
    if not summarise_only:
        use_strategy(config.distribute)
        split = load_fashion_split(
            config.val_fraction, config.split_seed, config.train_size
        )
        run_sweep(config, split, root)
    runs = summarise_sweep(config, root)
    figures = {"curves": plot_sweep_curves, "speed": plot_speed}
    for name, plot in figures.items():
        fig = plot(runs, config.optimizers, config.batch_sizes, LABELS)
        save_figure(fig, RESULT_ID, f"{name}_{config.lr_scaling}", root=root)
    fig = plot_time_to_accuracy(
        time_to_accuracy(runs, config.time_levels)["curves"],
        config.optimizers,
        config.batch_sizes,
        config.time_levels,
    )
    save_figure(fig, RESULT_ID, f"time_to_accuracy_{config.lr_scaling}", root=root)


def main(args: argparse.Namespace) -> None:
    """Runs A6 from the options of `scripts/train_fashion_optimizers.py`."""
    config = Config(
        seeds=cli.seeds_of(args),
        batch_sizes=tuple(args.batch_sizes),
        epochs=args.epochs,
        lr_scaling=args.lr_scaling,
        threads=args.threads,
        distribute=args.distribute,
    )
    if args.quick:
        config = config.quick()
    root = cli.results_root(args)
    run_optimizers(config, root, args.summarise_only)
    print(f"wrote {root / RESULT_ID}", flush=True)
