"""Set A, questions A3 and A4: one conv layer at stride 1 vs stride 2 on Fashion-MNIST.

Each model is conv 5x5 with 32 filters ('valid' padding, stride 1 or 2) + ReLU +
a dense layer to 10 logits, trained with Adam (1e-3) at batch 64 for up to 10
epochs. Train (a fixed 10,000-image sample) and validation accuracy and loss
are recorded after every epoch, with the weights. The number of epochs is then
chosen per model as the one with the best seed-mean validation accuracy; only
at that epoch is the test set evaluated (and the full training set).

Runs on either Keras backend (`KERAS_BACKEND=torch` too): every file carries the
backend's name. Writes `docs/results/a3/<backend>_stride<S>_seed<K>.json` (runs
already written are skipped), `summary_<backend>.json`, the parameter counts
`params.json`, and figures (training curves, sample successes and failures,
confusion matrices); when both backends have a summary, `backends.json`.

    python scripts/train_fashion_strides.py                       # TensorFlow, seeds 0 1 2
    KERAS_BACKEND=torch python scripts/train_fashion_strides.py --seeds 0
    python scripts/train_fashion_strides.py --quick               # smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import keras
import numpy as np

from tfcnn import build_shallow, set_seed
from tfcnn.analysis import parameter_table, total_parameters
from tfcnn.analysis.conv import output_size, same_padding
from tfcnn.epochs import (
    accuracy_and_loss,
    best_epoch,
    format_mean_std,
    limit_threads,
    mean_std,
    predict_probabilities,
    steady_epoch_seconds,
    train_epochs,
)
from tfcnn.experiments import load_split
from tfcnn.plots import new_figure, plot_curves
from tfcnn.plots.samples import (
    confusion_matrix,
    per_class_recall,
    pick_examples,
    plot_confusion,
    plot_examples,
)
from tfcnn.results import results_dir as default_results_dir
from tfcnn.results import save_figure, write_result

RESULT_ID = "a3"
PLURAL = {"success": "successes", "failure": "failures"}


@dataclasses.dataclass
class Config:
    strides: tuple = (1, 2)
    padding: str = "valid"
    filters: int = 32
    kernel_size: int = 5
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 64
    max_epochs: int = 10
    seeds: tuple = (0, 1, 2)
    split_seed: int = 0
    val_fraction: float = 0.1
    train_eval_size: int = 10_000
    examples_shown: int = 18
    threads: int = 1
    backend: str = dataclasses.field(default_factory=keras.backend.backend)
    checkpoints: str = "runs/checkpoints/a3"
    quick: bool = False


def build(config: Config, stride: int, padding: str | None = None) -> keras.Model:
    return build_shallow(
        filters=config.filters,
        kernel_size=config.kernel_size,
        strides=stride,
        padding=padding or config.padding,
        name=f"stride{stride}",
    )


def checkpoint_dir(config: Config, stride: int, seed: int) -> Path:
    return Path(config.checkpoints) / config.backend / f"stride{stride}_seed{seed}"


def parameter_counts(config: Config, root: Path) -> None:
    """Counts by formula, checked against Keras, for both paddings and both strides."""
    counts = {}
    for padding in ("valid", "same"):
        for stride in config.strides:
            model = build(config, stride, padding)
            side = (
                output_size(28, config.kernel_size, 0, stride)
                if padding == "valid"
                else -(-28 // stride)
            )
            by_formula, by_keras = total_parameters(model), int(model.count_params())
            if by_formula != by_keras:
                raise AssertionError(
                    f"{padding} stride {stride}: formula {by_formula} != Keras {by_keras}"
                )
            counts[f"{padding}_stride{stride}"] = {
                "table": parameter_table(model),
                "total": by_formula,
                "count_params": by_keras,
                "side": side,
                "flat": side * side * config.filters,
                "same_padding": same_padding(28, config.kernel_size, stride),
                # Multiply-adds of one forward pass: each output of the conv layer
                # is a k·k·C_in dot product; each logit a flat-length one.
                "conv_macs": side * side * config.kernel_size**2 * config.filters,
                "dense_macs": side * side * config.filters * 10,
                "macs": side * side * config.filters * (config.kernel_size**2 + 10),
            }
    write_result(RESULT_ID, "params", counts, config=config, root=root)


def evaluate_chosen(config, split, stride, seed, epoch) -> dict:
    """Metrics of the weights after `epoch` on the full train, validation and test sets."""
    model = build(config, stride)
    model.load_weights(
        checkpoint_dir(config, stride, seed) / f"epoch{epoch}.weights.h5"
    )
    result = {}
    for name, x, y in (
        ("train", split.x_train, split.y_train),
        ("val", split.x_val, split.y_val),
        ("test", split.x_test, split.y_test),
    ):
        probabilities = predict_probabilities(model, x)
        result[name] = accuracy_and_loss(probabilities, y)
    matrix = confusion_matrix(
        split.y_test, probabilities.argmax(axis=1), len(split.class_names)
    )
    result["confusion"] = matrix
    result["test_probabilities"] = probabilities
    return result


def summarise(config: Config, split, root: Path) -> None:
    backend, names = config.backend, split.class_names
    runs = {
        s: [_read(root, f"{backend}_stride{s}_seed{k}") for k in config.seeds]
        for s in config.strides
    }
    summary, rows, recall_rows, confusions = (
        {"backend": backend, "seeds": list(config.seeds)},
        [],
        [],
        {},
    )
    for stride, seed_runs in runs.items():
        epoch = best_epoch([r["history"] for r in seed_runs])
        chosen = [
            evaluate_chosen(config, split, stride, k, epoch) for k in config.seeds
        ]
        wall = [steady_epoch_seconds(r, "wall") for r in seed_runs]
        cpu = [
            t
            for t in (steady_epoch_seconds(r, "cpu") for r in seed_runs)
            if t is not None
        ]
        recalls = np.array([per_class_recall(c["confusion"]) for c in chosen])
        entry = {
            "chosen_epoch": epoch,
            "params": seed_runs[0]["params"],
            "epoch_seconds": mean_std(wall),
            "epoch_cpu_seconds": mean_std(cpu) if cpu else None,
            "cpu_microseconds_per_example": mean_std(
                [1e6 * t / len(split.x_train) for t in cpu]
            )
            if cpu
            else None,
            "per_class_recall": {
                n: mean_std(recalls[:, i]) for i, n in enumerate(names)
            },
        }
        for part in ("train", "val", "test"):
            for metric in ("accuracy", "loss"):
                entry[f"{part}_{metric}"] = mean_std([c[part][metric] for c in chosen])
        summary[f"stride{stride}"] = entry
        rows.append(
            [
                f"{stride}",
                f"{entry['params']:,}",
                f"{epoch}",
                format_mean_std(entry["train_accuracy"], ".2%"),
                format_mean_std(entry["val_accuracy"], ".2%"),
                format_mean_std(entry["test_accuracy"], ".2%"),
                format_mean_std(entry["test_loss"], ".3f"),
                format_mean_std(entry["epoch_seconds"], ".0f"),
                format_mean_std(entry.get("epoch_cpu_seconds"), ".1f"),
            ]
        )
        confusions[stride] = np.sum([c["confusion"] for c in chosen], axis=0)
        first = chosen[0]  # grids from the first seed
        predicted = first["test_probabilities"].argmax(axis=1)
        for kind in ("success", "failure"):
            shown = pick_examples(
                split.y_test,
                predicted,
                kind,
                config.examples_shown,
                seed=config.seeds[0],
            )
            fig = plot_examples(
                split.x_test,
                split.y_test,
                first["test_probabilities"],
                shown,
                names,
                f"stride {stride}: random test {PLURAL[kind]} (seed {config.seeds[0]})",
            )
            save_figure(fig, RESULT_ID, f"{kind}_stride{stride}_{backend}", root=root)
    for name in names:
        cells = [
            summary[f"stride{s}"]["per_class_recall"][name] for s in config.strides
        ]
        recall_rows.append(
            [
                name,
                *(format_mean_std(c, ".1%") for c in cells),
                f"{100 * (cells[-1]['mean'] - cells[0]['mean']):+.1f}",
            ]
        )
    summary["table"] = {
        "columns": [
            "stride",
            "parameters",
            "epochs (chosen on val.)",
            "train acc.",
            "val. acc.",
            "test acc.",
            "test loss",
            "wall s / epoch",
            "CPU s / epoch",
        ],
        "rows": rows,
    }
    summary["recall_table"] = {
        "columns": [
            "class",
            *(f"recall, stride {s}" for s in config.strides),
            "change (points)",
        ],
        "rows": recall_rows,
    }
    summary["confusion"] = {f"stride{s}": m for s, m in confusions.items()}
    write_result(RESULT_ID, f"summary_{backend}", summary, config=config, root=root)
    plot_training(config, runs, summary, root)
    fig, axes = new_figure(ncols=len(config.strides), width=5.4, height=4.8)
    for ax, stride in zip(axes, config.strides):
        plot_confusion(
            ax, confusions[stride], names, f"stride {stride}: % of each true class"
        )
    fig.suptitle(
        f"test set, summed over {len(config.seeds)} seed(s), Keras {backend} backend",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, RESULT_ID, f"confusion_{backend}", root=root)
    compare_backends(root)


def plot_training(config: Config, runs: dict, summary: dict, root: Path) -> None:
    fig, axes = new_figure(ncols=2, width=5.0, height=3.6)
    group = {f"stride {s}": [r["history"] for r in runs[s]] for s in config.strides}
    for ax, metric in zip(axes, ("accuracy", "loss")):
        plot_curves(
            ax,
            group,
            keys=(f"train_{metric}", f"val_{metric}"),
            x="epoch",
            ylabel="cross-entropy" if metric == "loss" else metric,
        )
        for i, stride in enumerate(config.strides):
            ax.axvline(
                summary[f"stride{stride}"]["chosen_epoch"],
                color=f"C{i}",
                lw=0.8,
                alpha=0.6,
            )
    fig.suptitle(
        f"Keras {config.backend} backend; vertical lines: epoch chosen on validation",
        fontsize=9,
    )
    save_figure(fig, RESULT_ID, f"curves_{config.backend}", root=root)


def compare_backends(root: Path) -> None:
    """When both backends have a summary, one table with both."""
    paths = {b: root / RESULT_ID / f"summary_{b}.json" for b in ("tensorflow", "torch")}
    if not all(p.exists() for p in paths.values()):
        return
    rows = []
    for backend, path in paths.items():
        summary = json.loads(path.read_text())
        for key in sorted(k for k in summary if k.startswith("stride")):
            entry = summary[key]
            rows.append(
                [
                    backend,
                    key.removeprefix("stride"),
                    f"{len(summary['seeds'])}",
                    f"{entry['params']:,}",
                    f"{entry['chosen_epoch']}",
                    format_mean_std(entry["val_accuracy"], ".2%"),
                    format_mean_std(entry["test_accuracy"], ".2%"),
                    format_mean_std(entry.get("epoch_cpu_seconds"), ".1f"),
                ]
            )
    table = {
        "columns": [
            "backend",
            "stride",
            "seeds",
            "parameters",
            "epochs",
            "val. acc.",
            "test acc.",
            "CPU s / epoch",
        ],
        "rows": rows,
    }
    write_result(
        RESULT_ID,
        "backends",
        {"table": table, "epochs_table": epoch_by_epoch(root)},
        root=root,
    )


def epoch_by_epoch(root: Path, seed: int = 0) -> dict:
    """Validation metrics of both backends' runs of one seed, at the epochs both ran."""
    rows = []
    for stride in (1, 2):
        runs = {
            b: _read(root, f"{b}_stride{stride}_seed{seed}")
            for b in ("tensorflow", "torch")
        }
        epochs = min(len(run["history"]) for run in runs.values())
        for e in range(epochs):
            tf_row, torch_row = (runs[b]["history"][e] for b in ("tensorflow", "torch"))
            rows.append(
                [
                    f"{stride}",
                    f"{e + 1}",
                    f"{tf_row['val_accuracy']:.2%}",
                    f"{torch_row['val_accuracy']:.2%}",
                    f"{tf_row['val_loss']:.3f}",
                    f"{torch_row['val_loss']:.3f}",
                ]
            )
    columns = [
        "stride",
        "epoch",
        "val. acc., TensorFlow",
        "val. acc., PyTorch",
        "val. loss, TensorFlow",
        "val. loss, PyTorch",
    ]
    return {"columns": columns, "rows": rows, "seed": seed}


def _read(root: Path, name: str) -> dict:
    return json.loads((root / RESULT_ID / f"{name}.json").read_text())


def parse_args(argv=None) -> tuple[Config, Path]:
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
        "--max-epochs",
        type=int,
        default=10,
        help="epochs trained per run (default: 10)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads of the backend (default: 1)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 epochs, 1 seed, written under runs/quick (never the site's results)",
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
        seeds=seeds, max_epochs=args.max_epochs, threads=args.threads, quick=args.quick
    )
    root = args.results_dir
    if args.quick:
        config = dataclasses.replace(
            config,
            max_epochs=2,
            seeds=seeds[:1],
            checkpoints="runs/quick/checkpoints/a3",
        )
        root = root or Path("runs/quick")
    return config, Path(root or default_results_dir())


def main(argv=None) -> None:
    config, root = parse_args(argv)
    limit_threads(config.threads)
    parameter_counts(config, root)
    split = load_split("fashion_mnist", config.val_fraction, config.split_seed)
    for seed in config.seeds:
        for stride in config.strides:
            name = f"{config.backend}_stride{stride}_seed{seed}"
            last = (
                checkpoint_dir(config, stride, seed)
                / f"epoch{config.max_epochs}.weights.h5"
            )
            if (root / RESULT_ID / f"{name}.json").exists() and last.exists():
                print(f"--- {name}: already written, skipped", flush=True)
                continue
            print(f"--- {name}", flush=True)
            set_seed(seed)
            run = train_epochs(
                build(config, stride),
                split,
                epochs=config.max_epochs,
                batch_size=config.batch_size,
                optimizer=config.optimizer,
                learning_rate=config.learning_rate,
                train_eval_size=config.train_eval_size,
                seed=config.split_seed,
                checkpoint_dir=checkpoint_dir(config, stride, seed),
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
    summarise(config, split, root)
    print(f"wrote {root / RESULT_ID}", flush=True)


if __name__ == "__main__":
    main()
