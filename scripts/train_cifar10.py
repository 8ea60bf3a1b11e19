"""Set B, questions B2.4 and B2.5: a fast CIFAR-10 network on two CPU cores.

Trains the airbench-style network of `tfcnn.models.cifar` (standard 3x3 convs,
or with `--separable` depthwise separable ones) on 45,000 training images with
flips and 2-pixel translations, keeping 5,000 as the validation split (the only
data any choice looks at), for a fixed number of epochs with a triangular
learning-rate schedule. The test set is evaluated once, at the end, with and
without flip test-time augmentation. A time budget stops a run that is too slow
and marks it as cut short.

Writes, per seed, `docs/results/<id>/<variant>_seed<S>.json` (history,
per-epoch times, accuracies, per-class accuracy, confusion matrix) and, over
all seeds, `<variant>_summary.json`, `<variant>_curves.png` and
`<variant>_confusion.png`, where <id> is b2-4 (standard) or b2-5 (separable)
and <variant> is "standard" or "separable", with "_float32" under
`--precision float32`.

    python scripts/train_cifar10.py --seeds 0 1 2               # B2.4
    python scripts/train_cifar10.py --separable --seeds 0 1 2   # B2.5
    python scripts/train_cifar10.py --quick                     # smoke run, runs/quick
    python scripts/train_cifar10.py --seeds 0 1 2 --resume      # after a kill

With --resume, seeds whose result file holds the same configuration are read
back, and the seed that was killed continues from its last epoch's checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import keras
import numpy as np
from sklearn.metrics import confusion_matrix

from tfcnn import set_seed
from tfcnn.bench.peak import cpu_flags
from tfcnn.checkpoints import TrainingBackup
from tfcnn.cli import (
    add_resume_arguments,
    non_negative_int,
    positive_float,
    positive_int,
    training_backup,
    writable_dir,
)
from tfcnn.data import stratified_subset, train_val_split
from tfcnn.data.augment import evaluation_dataset, measure_throughput, training_dataset
from tfcnn.data.folders import cached_dataset
from tfcnn.distribute import add_distribute_argument, use_strategy
from tfcnn.models.cifar import (
    build_cifar_net,
    compile_cifar,
    normalise,
    predict_logits,
    whitening_kernel,
)
from tfcnn.plots import new_figure, plot_curves
from tfcnn.results import read_result, save_figure, write_result


@dataclasses.dataclass
class Config:
    separable: bool = False
    widths: tuple[int, ...] = (48, 192, 192)
    epochs: int = 8
    batch_size: int = 512
    learning_rate_per_1024: float = 1.5
    momentum: float = 0.85
    weight_decay: float = 0.009
    label_smoothing: float = 0.2
    flip: bool = True
    translate: int = 2
    whitening: bool = True
    whitening_images: int = 5000
    batchnorm_momentum: float = 0.6
    flip_tta: bool = True
    val_fraction: float = 0.1
    precision: str = "mixed_bfloat16"
    time_budget_minutes: float = 20.0
    seeds: tuple[int, ...] = (0,)
    train_per_class: int | None = None
    val_per_class: int | None = None
    distribute: str = "none"
    quick: bool = False

    @property
    def variant(self) -> str:
        """The name of the run: standard or separable, with _float32 in float32."""
        name = "separable" if self.separable else "standard"
        return (
            name if self.precision == "mixed_bfloat16" else f"{name}_{self.precision}"
        )

    @property
    def result_id(self) -> str:
        return "b2-5" if self.separable else "b2-4"


class EpochProgress(keras.callbacks.Callback):
    """Prints one line per epoch, records wall and CPU time, and enforces a time budget.

    Args:
        epochs: planned epochs (for the ETA).
        budget_seconds: training stops after this much wall time (checked
            after every batch) and `cut_short` becomes True.
    """

    def __init__(self, epochs: int, budget_seconds: float):
        super().__init__()
        self.epochs, self.budget_seconds = epochs, budget_seconds
        self.history: list[dict] = []
        self.cut_short = False

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def get_state(self) -> dict:
        """What a resumed run needs (saved with each checkpoint)."""
        return {"history": self.history, "cut_short": self.cut_short,
                "elapsed_seconds": time.perf_counter() - self.started}  # fmt: skip

    def set_state(self, state: dict) -> None:
        self.history, self.cut_short = state["history"], state["cut_short"]
        self.started = time.perf_counter() - state["elapsed_seconds"]

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_wall, self.epoch_cpu = time.perf_counter(), time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.started > self.budget_seconds:
            self.cut_short = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        row = {
            "epoch": epoch + 1,
            "train_loss": float(logs["loss"]), "train_accuracy": float(logs["accuracy"]),
            "val_loss": float(logs["val_loss"]), "val_accuracy": float(logs["val_accuracy"]),
            "epoch_seconds": time.perf_counter() - self.epoch_wall,
            "epoch_cpu_seconds": time.process_time() - self.epoch_cpu,
            "elapsed_seconds": time.perf_counter() - self.started,
        }  # fmt: skip
        self.history.append(row)
        eta = row["elapsed_seconds"] / (epoch + 1) * (self.epochs - epoch - 1)
        print(f"epoch {epoch + 1:>3}/{self.epochs}  train loss {row['train_loss']:.3f} "
              f"acc {row['train_accuracy']:.3f}  val acc {row['val_accuracy']:.4f}  "
              f"{row['epoch_seconds']:.0f} s (cpu {row['epoch_cpu_seconds']:.0f} s)  "
              f"elapsed {row['elapsed_seconds'] / 60:.1f} min  eta {eta / 60:.1f} min", flush=True)  # fmt: skip


def architecture_table(model: keras.Model) -> dict:
    """Every layer with its output shape and Keras' own parameter count."""
    rows = [[layer.name, type(layer).__name__, "×".join(str(d) for d in layer.output.shape[1:]),
             layer.count_params()] for layer in model.layers]  # fmt: skip
    rows.append(["**total**", "", "", model.count_params()])
    return {"columns": ["layer", "type", "output shape", "parameters"], "rows": rows}


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == labels).mean())


def train_one(config: Config, seed: int, data, backup: TrainingBackup) -> dict:
    """One seeded run: split, whitening, training, and the final evaluations.

    `backup` saves the state after every epoch; a run with a checkpoint
    continues from it.
    """
    set_seed(seed, deterministic=False)
    (x_train, y_train), (x_val, y_val) = train_val_split(
        data.x_train, data.y_train, config.val_fraction, seed
    )
    if config.train_per_class:
        x_train, y_train = stratified_subset(
            x_train, y_train, config.train_per_class, seed
        )
    if config.val_per_class:
        x_val, y_val = stratified_subset(x_val, y_val, config.val_per_class, seed)
    stem = (
        whitening_kernel(normalise(x_train[: config.whitening_images]))
        if config.whitening
        else None
    )
    model = build_cifar_net(config.widths, separable=config.separable, stem_kernel=stem,
                            batchnorm_momentum=config.batchnorm_momentum)  # fmt: skip
    steps = len(x_train) // config.batch_size
    compile_cifar(model, steps * config.epochs, config.batch_size, config.learning_rate_per_1024,
                  config.momentum, config.weight_decay, config.label_smoothing)  # fmt: skip
    stream = training_dataset(x_train, y_train, config.batch_size, seed=seed,
                              flip=config.flip, translate=config.translate)  # fmt: skip
    pipeline_images_per_second = measure_throughput(stream, batches=20)
    progress = EpochProgress(config.epochs, 60 * config.time_budget_minutes)
    print(f"seed {seed}: {config.variant}, {model.count_params():,} parameters, {len(x_train)} train / "
          f"{len(x_val)} val images, {steps} steps per epoch", flush=True)  # fmt: skip
    run = {key: value for key, value in dataclasses.asdict(config).items()
           if key not in ("seeds", "time_budget_minutes")}  # fmt: skip
    done = backup.restore(model, {**run, "seed": seed}, callbacks=[progress])
    model.fit(stream.skip(done * steps), epochs=config.epochs, initial_epoch=done, steps_per_epoch=steps,
              verbose=0, shuffle=False, validation_data=evaluation_dataset(x_val, y_val),
              callbacks=[progress, backup])  # fmt: skip
    train_seconds = time.perf_counter() - progress.started  # also before a resume

    val_plain, val_tta = (
        predict_logits(model, x_val, flip_tta=t) for t in (False, True)
    )
    test_plain, test_tta = (
        predict_logits(model, data.x_test, flip_tta=t) for t in (False, True)
    )
    final = test_tta if config.flip_tta else test_plain
    matrix = confusion_matrix(
        data.y_test, final.argmax(axis=1), labels=range(len(data.class_names))
    )
    return {
        "seed": seed,
        "parameters": int(model.count_params()),
        "train_images": len(x_train), "val_images": len(x_val), "test_images": len(data.x_test),
        "epochs_completed": len(progress.history), "cut_short": progress.cut_short,
        "history": progress.history,
        "train_seconds": train_seconds,
        "seconds_per_epoch": float(np.mean([r["epoch_seconds"] for r in progress.history])),
        "cpu_seconds_per_epoch": float(np.mean([r["epoch_cpu_seconds"] for r in progress.history])),
        "pipeline_images_per_second": pipeline_images_per_second,
        "val_accuracy": accuracy(val_plain, y_val), "val_accuracy_tta": accuracy(val_tta, y_val),
        "test_accuracy": accuracy(test_plain, data.y_test), "test_accuracy_tta": accuracy(test_tta, data.y_test),
        "confusion_matrix": matrix,
        "architecture": architecture_table(model),
        "per_class_accuracy": dict(zip(data.class_names, (matrix.diagonal() / matrix.sum(axis=1)).tolist())),
    }  # fmt: skip


def spread(values) -> dict:
    values = np.asarray(values, dtype=np.float64)
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "n": len(values)}  # fmt: skip


def summarise(config: Config, runs: list[dict], class_names) -> dict:
    """Means and spreads over seeds, and the tables the set B page shows."""
    keys = ["test_accuracy_tta", "test_accuracy", "val_accuracy_tta", "val_accuracy", "train_seconds",
            "seconds_per_epoch", "cpu_seconds_per_epoch", "pipeline_images_per_second"]  # fmt: skip
    summary = {key: spread([run[key] for run in runs]) for key in keys}
    per_class = {
        name: spread([run["per_class_accuracy"][name] for run in runs])
        for name in class_names
    }
    matrix = np.sum([run["confusion_matrix"] for run in runs], axis=0)
    return {
        "variant": config.variant, "seeds": [run["seed"] for run in runs],
        "parameters": runs[0]["parameters"], "any_cut_short": any(run["cut_short"] for run in runs),
        "epochs_completed": [run["epochs_completed"] for run in runs], "architecture": runs[0]["architecture"],
        **summary,
        "per_class": {"columns": ["class", "test accuracy (mean ± std over seeds)"],
                      "rows": [[name, value] for name, value in per_class.items()]},
        "confusion_matrix": {"columns": ["true \\ predicted", *class_names],
                             "rows": [[name, *row] for name, row in zip(class_names, matrix.tolist())]},
    }  # fmt: skip


def plot_runs(config: Config, runs: list[dict], class_names):
    curves, (ax_acc, ax_loss) = new_figure(ncols=2, width=4.8, height=3.4)
    # A cut-short run has fewer epochs: plot the epochs that all runs have.
    shortest = min(len(run["history"]) for run in runs)
    histories = [run["history"][:shortest] for run in runs]
    plot_curves(
        ax_acc,
        {config.variant: histories},
        keys=("train_accuracy", "val_accuracy"),
        x="epoch",
    )
    plot_curves(ax_loss, {config.variant: histories}, keys=("train_loss", "val_loss"), x="epoch",
                ylabel="label-smoothed cross-entropy")  # fmt: skip
    matrix = np.sum([run["confusion_matrix"] for run in runs], axis=0).astype(float)
    matrix /= matrix.sum(axis=1, keepdims=True)
    confusion, ax = new_figure(width=6.2, height=5.4)
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            f"{100 * v:.0f}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v > 0.5 else "black",
        )
    ax.set_xticks(range(len(class_names)), class_names, rotation=60, fontsize=8)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=8)
    ax.set(
        xlabel="predicted",
        ylabel="true",
        title="test confusion matrix (% of each true class)",
    )
    ax.grid(False)
    return curves, confusion


def resolve_precision(precision: str) -> str:
    """`precision`, with "auto" made mixed_bfloat16 on AMX CPUs and float32 elsewhere."""
    if precision != "auto":
        return precision
    return "mixed_bfloat16" if "amx_bf16" in cpu_flags() else "float32"


def parse_args(argv=None) -> tuple[Config, Path | None, argparse.Namespace]:
    defaults = Config()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--separable", action="store_true", help="depthwise separable 3x3 convs (B2.5)"
    )
    parser.add_argument(
        "--seeds",
        type=non_negative_int,
        nargs="+",
        default=[0],
        help="seeds, one run each (default: 0)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        help="a single seed (same as --seeds S)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=defaults.epochs,
        help=f"epochs (default: {defaults.epochs})",
    )
    parser.add_argument(
        "--widths",
        type=positive_int,
        nargs=3,
        default=list(defaults.widths),
        help=f"filters of the three blocks (default: {' '.join(map(str, defaults.widths))})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=defaults.batch_size,
        help=f"images per step (default: {defaults.batch_size})",
    )
    parser.add_argument(
        "--precision",
        choices=["auto", "mixed_bfloat16", "float32"],
        default="auto",
        help="Keras dtype policy; auto (the default) takes mixed_bfloat16 on a CPU "
        "with AMX matrix units, where it is faster, and float32 elsewhere, where "
        "bfloat16 is emulated and slower",
    )
    parser.add_argument(
        "--time-budget",
        type=positive_float,
        default=defaults.time_budget_minutes,
        help="minutes of training after which a run stops, marked cut short (default: 20)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 epochs on 2,000 training images, written under runs/quick (a smoke run)",
    )
    parser.add_argument("--results-dir", type=writable_dir, default=None,
                        help="where to write (default: docs/results, or runs/quick with --quick)")  # fmt: skip
    add_resume_arguments(parser)
    add_distribute_argument(parser)
    args = parser.parse_args(argv)
    config = Config(separable=args.separable, widths=tuple(args.widths), epochs=args.epochs,
                    batch_size=args.batch_size, precision=resolve_precision(args.precision), time_budget_minutes=args.time_budget,
                    seeds=(args.seed,) if args.seed is not None else tuple(args.seeds), quick=args.quick,
                    distribute=args.distribute)  # fmt: skip
    if args.quick:
        config = dataclasses.replace(config, epochs=2, batch_size=256, train_per_class=200, val_per_class=50,
                                     whitening_images=1000)  # fmt: skip
        return config, args.results_dir or Path("runs/quick"), args
    return config, args.results_dir, args


def finished_run(config: Config, seed: int, results_dir: Path | None) -> dict | None:
    """A seed's result read back, if its file holds this configuration; else None."""
    try:
        stored = read_result(
            config.result_id, f"{config.variant}_seed{seed}", results_dir
        )
    except FileNotFoundError:
        return None
    same = stored["meta"]["config"] == json.loads(
        json.dumps(dataclasses.asdict(config))
    )
    return stored if same else None


def main(argv=None) -> None:
    config, results_dir, args = parse_args(argv)
    # Made before any training, so that a leftover checkpoint stops the script at once.
    backups = {seed: training_backup(args, config.result_id, f"{config.variant}_seed{seed}")
               for seed in config.seeds}  # fmt: skip
    keras.mixed_precision.set_global_policy(config.precision)
    use_strategy(config.distribute)
    started = time.perf_counter()
    data = cached_dataset("cifar10")
    print(
        f"CIFAR-10 from {data.source} (cached) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    runs = []
    for seed in config.seeds:
        run = finished_run(config, seed, results_dir) if args.resume else None
        if run is not None:
            print(f"seed {seed}: finished already, read back", flush=True)
            runs.append(run)
            continue
        run = train_one(config, seed, data, backups[seed])
        runs.append(run)
        path = write_result(config.result_id, f"{config.variant}_seed{seed}", run, config=config, seed=seed,
                            wall_seconds=run["train_seconds"], root=results_dir)  # fmt: skip
        print(f"seed {seed}: test accuracy {run['test_accuracy_tta']:.4f} (flip TTA), "
              f"{run['test_accuracy']:.4f} (plain); val {run['val_accuracy_tta']:.4f}; "
              f"{run['train_seconds'] / 60:.1f} min{' (CUT SHORT)' if run['cut_short'] else ''}; wrote {path}")  # fmt: skip
    summary = summarise(config, runs, data.class_names)
    path = write_result(config.result_id, f"{config.variant}_summary", summary, config=config,
                        wall_seconds=time.perf_counter() - started, root=results_dir)  # fmt: skip
    curves, confusion = plot_runs(config, runs, data.class_names)
    save_figure(curves, config.result_id, f"{config.variant}_curves", root=results_dir)
    save_figure(
        confusion, config.result_id, f"{config.variant}_confusion", root=results_dir
    )
    print(f"test accuracy over seeds {summary['test_accuracy_tta']}; wrote {path}")


if __name__ == "__main__":
    main()
