"""Set A, question A6: SGD vs RMSProp on Fashion-MNIST at batch 32, 1,000 and 10,000.

The model is one 5x5 conv layer with 32 filters ('valid'), a ReLU and a dense
layer to 10 logits, trained with cross-entropy for 10 epochs. For every
optimiser, batch size and seed, accuracy and loss on a fixed 10,000-image
sample of the training set and on the validation set are recorded after every
epoch, with the training time of every epoch (evaluation excluded). All runs
of one seed share the initial weights and the train/validation split.

Each run is written as `docs/results/a6/<optimizer>_b<batch>_<scaling>_seed<S>.json`
(runs already written are skipped, so an interrupted sweep resumes); then
`summary_<scaling>.json` and the figures are made from all of them.

    python scripts/train_fashion_optimizers.py                      # the sweep
    python scripts/train_fashion_optimizers.py --lr-scaling sqrt    # scaled variant
    python scripts/train_fashion_optimizers.py --quick              # smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from tfcnn import build_shallow, set_seed
from tfcnn.epochs import (
    format_mean_std,
    limit_threads,
    mean_std,
    steady_epoch_seconds,
    train_epochs,
)
from tfcnn.experiments import load_split
from tfcnn.plots import new_figure, plot_curves
from tfcnn.results import results_dir as default_results_dir
from tfcnn.results import save_figure, write_result

RESULT_ID = "a6"
LABELS = {"sgd": "SGD", "rmsprop": "RMSProp"}


@dataclasses.dataclass
class Config:
    optimizers: tuple = ("sgd", "rmsprop")
    # Keras' defaults, kept fixed over batch sizes unless lr_scaling says otherwise.
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
    quick: bool = False


def learning_rate(config: Config, optimizer: str, batch_size: int) -> float:
    """The base rate, scaled by (B/32) ('linear'), sqrt(B/32) ('sqrt') or not ('none')."""
    ratio = batch_size / config.base_batch_size
    factor = {"none": 1.0, "linear": ratio, "sqrt": ratio**0.5}[config.lr_scaling]
    return config.base_learning_rates[optimizer] * factor


def run_name(optimizer, batch_size, scaling, seed) -> str:
    return f"{optimizer}_b{batch_size}_{scaling}_seed{seed}"


def train_one(config, split, optimizer, batch_size, seed, root) -> None:
    set_seed(seed)
    model = build_shallow(filters=32, kernel_size=5, strides=1, padding="valid")
    lr = learning_rate(config, optimizer, batch_size)
    print(f"--- {optimizer} batch {batch_size} lr {lr:.4g} seed {seed}", flush=True)
    run = train_epochs(
        model,
        split,
        epochs=config.epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        learning_rate=lr,
        train_eval_size=config.train_eval_size,
        seed=config.split_seed,
    )
    run.update(
        optimizer=optimizer,
        batch_size=batch_size,
        learning_rate=lr,
        n_train=len(split.x_train),
    )
    write_result(
        RESULT_ID,
        run_name(optimizer, batch_size, config.lr_scaling, seed),
        run,
        config=config,
        seed=seed,
        wall_seconds=run["wall_seconds"],
        root=root,
    )


def activation_megabytes(batch_size: int) -> float:
    """float32 conv output and ReLU output kept for the backward pass: 2·B·24·24·32·4 bytes."""
    return 2 * batch_size * 24 * 24 * 32 * 4 / 2**20


def cpu_by_batch(config: Config, runs: dict) -> dict:
    """CPU seconds per epoch and per example at each batch size, over both optimisers.

    The optimiser's own update is a tiny share of an epoch's work, so runs of
    both optimisers measure the same thing; every run that recorded CPU time
    counts.
    """
    result = {}
    for batch in config.batch_sizes:
        seconds = [
            t
            for optimizer in config.optimizers
            for t in (steady_epoch_seconds(r, "cpu") for r in runs[optimizer, batch])
            if t is not None
        ]
        n_train = runs[config.optimizers[0], batch][0]["n_train"]
        result[str(batch)] = {
            "epoch_cpu_seconds": mean_std(seconds) if seconds else None,
            "cpu_microseconds_per_example": (
                mean_std([1e6 * t / n_train for t in seconds]) if seconds else None
            ),
            "cpu_microseconds_per_update": (
                mean_std([1e6 * t / n_train * batch for t in seconds])
                if seconds
                else None
            ),
        }
    return result


def summarise(config: Config, root: Path) -> None:
    runs, seeds_found = {}, {}
    for optimizer in config.optimizers:
        for batch in config.batch_sizes:
            paths = {
                s: root
                / RESULT_ID
                / f"{run_name(optimizer, batch, config.lr_scaling, s)}.json"
                for s in config.seeds
            }
            # A sweep cut short leaves some seeds missing: use those written, say how many.
            runs[optimizer, batch] = [
                json.loads(p.read_text()) for p in paths.values() if p.exists()
            ]
            seeds_found[f"{optimizer}_b{batch}"] = [
                s for s, p in paths.items() if p.exists()
            ]
            if not runs[optimizer, batch]:
                raise FileNotFoundError(
                    f"no run of {optimizer} at batch {batch}: run the sweep first."
                )
    rows, values = [], {}
    for (optimizer, batch), seed_runs in runs.items():
        final = [r["history"][-1] for r in seed_runs]
        wall = [steady_epoch_seconds(r, "wall") for r in seed_runs]
        cpu = [
            t
            for t in (steady_epoch_seconds(r, "cpu") for r in seed_runs)
            if t is not None
        ]
        n_train = seed_runs[0]["n_train"]
        entry = {
            "learning_rate": seed_runs[0]["learning_rate"],
            "updates_per_epoch": seed_runs[0]["updates_per_epoch"],
            "updates_in_run": seed_runs[0]["updates_per_epoch"]
            * len(seed_runs[0]["history"]),
            "epoch_seconds": mean_std(wall),
            "epoch_cpu_seconds": mean_std(cpu) if cpu else None,
            "cpu_microseconds_per_example": mean_std([1e6 * t / n_train for t in cpu])
            if cpu
            else None,
            "activation_megabytes": activation_megabytes(batch),
        }
        for key in ("train_accuracy", "train_loss", "val_accuracy", "val_loss"):
            entry[key] = mean_std([row[key] for row in final if row[key] is not None])
        values[f"{optimizer}_b{batch}"] = entry
        rows.append(
            [
                LABELS[optimizer],
                f"{batch:,}",
                ", ".join(map(str, seeds_found[f"{optimizer}_b{batch}"])),
                f"{entry['learning_rate']:.4g}",
                f"{entry['updates_per_epoch']:,}",
                format_mean_std(entry["train_accuracy"], ".2%"),
                format_mean_std(entry["val_accuracy"], ".2%"),
                format_mean_std(entry["train_loss"], ".3f"),
                format_mean_std(entry["val_loss"], ".3f"),
                format_mean_std(entry["epoch_seconds"], ".0f"),
                format_mean_std(entry["epoch_cpu_seconds"], ".1f"),
                format_mean_std(entry["cpu_microseconds_per_example"], ".0f"),
            ]
        )
    table = {
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
            "wall s / epoch",
            "CPU s / epoch",
            "CPU µs / example",
        ],
        "rows": rows,
    }
    write_result(
        RESULT_ID,
        f"summary_{config.lr_scaling}",
        {
            "runs": values,
            "table": table,
            "n_train": n_train,
            "seeds": seeds_found,
            "cpu_by_batch": cpu_by_batch(config, runs),
        },
        config=config,
        root=root,
    )
    plot_sweep(config, runs, root)


def plot_sweep(config: Config, runs: dict, root: Path) -> None:
    batches = config.batch_sizes
    fig, axes = new_figure(ncols=len(batches), nrows=2, width=4.6, height=3.3)
    for column, batch in enumerate(batches):
        group = {
            LABELS[o]: [r["history"] for r in runs[o, batch]] for o in config.optimizers
        }
        for row, (metric, ylabel) in enumerate(
            (("accuracy", "accuracy"), ("loss", "cross-entropy"))
        ):
            ax = axes[row * len(batches) + column]
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
    # One y scale per row, so that the batch sizes compare at a glance.
    for row in range(2):
        row_axes = axes[row * len(batches) : (row + 1) * len(batches)]
        limits = [ax.get_ylim() for ax in row_axes]
        for ax in row_axes:
            ax.set_ylim(min(lo for lo, _ in limits), max(hi for _, hi in limits))
    fig.tight_layout()
    save_figure(fig, RESULT_ID, f"curves_{config.lr_scaling}", root=root)

    fig, axes = new_figure(ncols=2, width=4.6, height=3.3)
    for offset, optimizer in enumerate(config.optimizers):
        steady = [
            [
                t
                for t in (steady_epoch_seconds(r, "cpu") for r in runs[optimizer, b])
                if t is not None
            ]
            for b in batches
        ]
        means = [np.mean(s) if s else np.nan for s in steady]
        spreads = [np.std(s, ddof=1) if len(s) > 1 else 0.0 for s in steady]
        positions = np.arange(len(batches)) + (offset - 0.5) * 0.38
        axes[0].bar(
            positions, means, 0.36, yerr=spreads, capsize=3, label=LABELS[optimizer]
        )
        for position, mean in zip(positions, means, strict=True):
            if np.isnan(mean):  # runs written before CPU time was recorded
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
        updates = [runs[optimizer, b][0]["updates_per_epoch"] for b in batches]
        axes[1].bar(positions, updates, 0.36, label=LABELS[optimizer])
    for ax, ylabel in zip(
        axes, ("CPU seconds of training per epoch", "updates per epoch")
    ):
        ax.set_xticks(np.arange(len(batches)), [f"{b:,}" for b in batches])
        ax.set_xlabel("batch size")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    axes[1].set_yscale("log")
    axes[0].set_xlim(-0.7, len(batches) - 0.3)
    save_figure(fig, RESULT_ID, f"speed_{config.lr_scaling}", root=root)


def parse_args(argv=None) -> tuple[Config, Path, bool]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds of the weights and the shuffling (default: 0 1 2)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="one seed (overrides --seeds)"
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="epochs per run (default: 10)"
    )
    parser.add_argument(
        "--batch-sizes",
        type=int,
        nargs="+",
        default=[32, 1000, 10_000],
        help="batch sizes, trained in this order (default: 32 1000 10000)",
    )
    parser.add_argument(
        "--lr-scaling",
        choices=["none", "sqrt", "linear"],
        default="none",
        help="scale each optimiser's batch-32 learning rate by sqrt(B/32) or B/32 "
        "(default: none, the same rate at every batch size)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads of the backend (default: 1)"
    )
    parser.add_argument(
        "--summarise-only",
        action="store_true",
        help="only rebuild the summary and figures from runs already written",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 epochs on 1 seed at batch 32 and 1,000, written under runs/quick",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        help="where to write (default: docs/results, or runs/quick with --quick)",
    )
    args = parser.parse_args(argv)
    seeds = (args.seed,) if args.seed is not None else tuple(args.seeds)
    config = Config(
        seeds=seeds,
        batch_sizes=tuple(args.batch_sizes),
        epochs=args.epochs,
        lr_scaling=args.lr_scaling,
        threads=args.threads,
        quick=args.quick,
    )
    root = args.results_dir
    if args.quick:
        config = dataclasses.replace(
            config, epochs=2, seeds=seeds[:1], batch_sizes=(32, 1000)
        )
        root = root or Path("runs/quick")
    return config, Path(root or default_results_dir()), args.summarise_only


def main(argv=None) -> None:
    config, root, summarise_only = parse_args(argv)
    limit_threads(config.threads)
    if not summarise_only:
        split = load_split("fashion_mnist", config.val_fraction, config.split_seed)
        for seed in config.seeds:
            for batch in config.batch_sizes:
                for optimizer in config.optimizers:
                    name = run_name(optimizer, batch, config.lr_scaling, seed)
                    if (root / RESULT_ID / f"{name}.json").exists():
                        print(f"--- {name}: already written, skipped", flush=True)
                        continue
                    train_one(config, split, optimizer, batch, seed, root)
    summarise(config, root)
    print(f"wrote {root / RESULT_ID}", flush=True)


if __name__ == "__main__":
    main()
