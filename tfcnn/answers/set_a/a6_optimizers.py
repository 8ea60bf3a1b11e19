"""Set A, A6: SGD vs RMSProp on Fashion-MNIST at several batch sizes, by epoch.

Every run trains the sheet's network (conv 5×5, 32 filters, 'valid', ReLU,
dense to 10) for a fixed number of epochs and records train-sample and
validation metrics and the training time (wall and CPU) of every epoch. All
runs of one seed share the initial weights and the split.

Writes under `<root>/a6/`: `<optimizer>_b<batch>_<scaling>_seed<S>.json` per
run (runs already written are skipped), `summary_<scaling>.json`, and the
figures `curves_<scaling>.png` and `speed_<scaling>.png`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from tfcnn import cli
from tfcnn.answers.set_a import load_fashion_split, write_run
from tfcnn.models import build_shallow
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure
from tfcnn.results import save_figure, set_seed, write_result
from tfcnn.results.summary import final_metrics, format_mean_std
from tfcnn.training.devices import use_strategy
from tfcnn.training.fit import train_epochs
from tfcnn.training.timing import epoch_timing, steady_epoch_seconds

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
                    found[seed] = json.loads(path.read_text())
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
