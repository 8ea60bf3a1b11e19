"""Set A (A6): SGD vs RMSProp on Fashion-MNIST at several batch sizes, by epoch.

Every run trains the sheet's network (conv 5×5, 32 filters, 'valid', ReLU,
dense to 10) for a fixed number of epochs and records train-sample and
validation metrics and the training time (wall and CPU) of every epoch. All
runs of one seed share the initial weights and the split.

The sweep's settings come from the calling script's `Config` (attributes
`optimizers`, `base_learning_rates`, `base_batch_size`, `batch_sizes`,
`lr_scaling`, `epochs`, `seeds`, `split_seed`, `train_eval_size`).
"""

from __future__ import annotations

import json
from pathlib import Path

from tfcnn.models import build_shallow
from tfcnn.results import set_seed, write_result
from tfcnn.results.summary import final_metrics, format_mean_std
from tfcnn.training.fit import train_epochs
from tfcnn.training.timing import epoch_timing

RESULT_ID = "a6"
LABELS = {"sgd": "SGD", "rmsprop": "RMSProp"}
SCALINGS = ("none", "sqrt", "linear")


def learning_rate(config, optimizer: str, batch_size: int) -> float:
    """The base rate, scaled by (B/B0) ('linear'), sqrt(B/B0) ('sqrt') or not ('none')."""
    if config.lr_scaling not in SCALINGS:
        raise ValueError(
            f"lr_scaling must be one of {SCALINGS}, got {config.lr_scaling!r}."
        )
    ratio = batch_size / config.base_batch_size
    factor = {"none": 1.0, "linear": ratio, "sqrt": ratio**0.5}[config.lr_scaling]
    return config.base_learning_rates[optimizer] * factor


def run_name(optimizer: str, batch_size: int, scaling: str, seed: int) -> str:
    return f"{optimizer}_b{batch_size}_{scaling}_seed{seed}"


def activation_megabytes(batch_size: int, side: int = 24, filters: int = 32) -> float:
    """float32 conv output and ReLU output kept for the backward pass: 2·B·n²·F·4 bytes."""
    return 2 * batch_size * side * side * filters * 4 / 2**20


def run_sweep(config, split, root: Path) -> None:
    """Trains every (seed, batch size, optimiser) not yet written under `root`."""
    for seed in config.seeds:
        for batch in config.batch_sizes:
            for optimizer in config.optimizers:
                name = run_name(optimizer, batch, config.lr_scaling, seed)
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
                write_result(
                    RESULT_ID,
                    name,
                    run,
                    config=config,
                    seed=seed,
                    wall_seconds=run["wall_seconds"],
                    root=root,
                )


def read_sweep(config, root: Path) -> tuple[dict, dict]:
    """`(runs, seeds)`: the runs written for each (optimiser, batch), and their seeds.

    A sweep cut short leaves some seeds missing: those written are used, and
    `seeds` says which.
    """
    runs, seeds = {}, {}
    for optimizer in config.optimizers:
        for batch in config.batch_sizes:
            found = {}
            for seed in config.seeds:
                name = run_name(optimizer, batch, config.lr_scaling, seed)
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


def summarise(config, root: Path) -> dict:
    """Writes `summary_<scaling>.json` (final metrics, epoch times) and returns the runs.

    Times are steady epochs (2..E) of training alone. CPU time is the fair
    measure on a shared machine (wall time also counts waiting for the CPU);
    `cpu_by_batch` pools both optimisers, whose own update is a tiny share
    of an epoch's work.

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
    cpu_by_batch = {}
    for batch in config.batch_sizes:
        pooled = [r for o in config.optimizers for r in runs[o, batch]]
        timing = epoch_timing(pooled, pooled[0]["n_train"])
        updates = pooled[0]["updates_per_epoch"]
        per_update = timing["epoch_cpu_seconds"]
        cpu_by_batch[str(batch)] = {
            **timing,
            "cpu_milliseconds_per_update": (
                {
                    **per_update,
                    "mean": 1e3 * per_update["mean"] / updates,
                    "std": 1e3 * per_update["std"] / updates,
                }
                if per_update
                else None
            ),
            "runs_with_cpu_time": sum(bool(r.get("epoch_cpu_seconds")) for r in pooled),
        }
    summary = {
        "runs": values,
        "seeds": seeds,
        "n_train": runs[config.optimizers[0], config.batch_sizes[0]][0]["n_train"],
        "cpu_by_batch": cpu_by_batch,
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
