"""Set B, B2.4 and B2.5: seeded CIFAR-10 runs of the fast network, their summaries and figures.

A run trains `tfcnn.models.cifar.build_cifar_net` (standard 3x3 convs for
B2.4, depthwise separable ones for B2.5) on the training split with flips and
translations, chooses nothing on the test set, and evaluates it once at the
end, with and without flip test-time augmentation. Each seed is written to
`docs/results/<id>/<variant>_seed<S>.json`; over all seeds, the summary
`<variant>_summary.json` and the figures `<variant>_curves.png` and
`<variant>_confusion.png`, where <id> is b2-4 (standard) or b2-5 (separable)
and <variant> is "standard" or "separable", with "_float32" in float32. A
separable summary also compares the network with the standard one of the
same precision, when that summary has been written.
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

from tfcnn.cli import results_root, seeds_of, training_backup
from tfcnn.data import stratified_subset, train_val_split
from tfcnn.data.augment import evaluation_dataset, measure_throughput, training_dataset
from tfcnn.data.folders import cached_dataset
from tfcnn.models.cifar import build_cifar_net, normalise, whitening_kernel
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.samples import plot_confusion
from tfcnn.plots.style import new_figure
from tfcnn.results import (
    cpu_flags,
    machine,
    read_result,
    save_figure,
    set_seed,
    write_result,
)
from tfcnn.results.summary import mean_std
from tfcnn.training.callbacks import EpochProgress
from tfcnn.training.checkpoints import TrainingBackup
from tfcnn.training.devices import use_strategy
from tfcnn.training.fit import compile_cifar, fit
from tfcnn.training.metrics import predict_logits

SUMMARY_KEYS = (
    "test_accuracy_tta",
    "test_accuracy",
    "val_accuracy_tta",
    "val_accuracy",
    "train_seconds",
    "seconds_per_epoch",
    "cpu_seconds_per_epoch",
    "pipeline_images_per_second",
)


def variant_name(separable: bool, precision: str) -> str:
    """ "standard" or "separable", with "_<precision>" unless mixed_bfloat16."""
    name = "separable" if separable else "standard"
    return name if precision == "mixed_bfloat16" else f"{name}_{precision}"


def result_id(separable: bool) -> str:
    """The results folder: b2-5 for the separable network, b2-4 for the standard."""
    return "b2-5" if separable else "b2-4"


def resolve_precision(precision: str) -> str:
    """`precision`, with "auto" made mixed_bfloat16 on AMX CPUs and float32 elsewhere."""
    if precision != "auto":
        return precision
    return "mixed_bfloat16" if "amx_bf16" in cpu_flags() else "float32"


@dataclasses.dataclass
class Config:
    """The network, its training recipe and the seeds of a B2.4/B2.5 run.

    Attributes:
        separable: depthwise separable 3x3 convs (B2.5) instead of standard ones.
        widths: filters of the three blocks.
        epochs, batch_size: the length of training and the images per step.
        learning_rate_per_1024, momentum, weight_decay, label_smoothing: the
            optimiser (Nesterov SGD with a triangular schedule; the rate scales
            with the batch size) and the loss.
        flip, translate: the training augmentation (random flips, translations
            of up to `translate` pixels).
        whitening, whitening_images: a fixed whitening first layer, estimated
            on that many training images.
        batchnorm_momentum: the momentum of the batch-norm statistics.
        flip_tta: the confusion matrix and per-class accuracies average each
            test image's prediction with its mirror's.
        val_fraction: the share of the training set kept for validation.
        precision: the Keras dtype policy ("mixed_bfloat16" or "float32").
        time_budget_minutes: training stops after this long, marked cut short.
        seeds: one run each.
        train_per_class, val_per_class: images per class kept (None: all).
        distribute: "none" or "mirrored" (`tfcnn.training.devices.use_strategy`).
    """

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

    @property
    def variant(self) -> str:
        """The name of the run: standard or separable, with _float32 in float32."""
        return variant_name(self.separable, self.precision)

    @property
    def result_id(self) -> str:
        """The results folder: b2-4 or b2-5."""
        return result_id(self.separable)

    def quick(self) -> Config:
        """The smoke run: 2 epochs on 2,000 training and 500 validation images."""
        return dataclasses.replace(
            self,
            epochs=2,
            batch_size=256,
            train_per_class=200,
            val_per_class=50,
            whitening_images=1000,
        )


def architecture_table(model: keras.Model) -> dict:
    """Every layer with its output shape and Keras' own parameter count."""
    rows = [
        [
            layer.name,
            type(layer).__name__,
            "×".join(str(d) for d in layer.output.shape[1:]),
            layer.count_params(),
        ]
        for layer in model.layers
    ]
    rows.append(["**total**", "", "", model.count_params()])
    return {"columns": ["layer", "type", "output shape", "parameters"], "rows": rows}


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """The share of rows of `logits` whose largest entry is at the label."""
    return float((logits.argmax(axis=1) == labels).mean())


def training_split(config, data, seed: int):
    """`((x_train, y_train), (x_val, y_val))` of a run: a seeded validation split,
    then the per-class subsets of `config.train_per_class` / `val_per_class`."""
    (x_train, y_train), (x_val, y_val) = train_val_split(
        data.x_train, data.y_train, config.val_fraction, seed
    )
    if config.train_per_class:
        x_train, y_train = stratified_subset(
            x_train, y_train, config.train_per_class, seed
        )
    if config.val_per_class:
        x_val, y_val = stratified_subset(x_val, y_val, config.val_per_class, seed)
    return (x_train, y_train), (x_val, y_val)


def train_one(
    config, seed: int, data, backup: TrainingBackup
) -> tuple[dict, keras.Model]:
    """One seeded run: split, whitening, training, and the final evaluations.

    The network has one logit per class of `data`.

    Args:
        config: the script's `Config` (a dataclass).
        seed: the seed of the split, the initial weights and the augmentation.
        data: the CIFAR-10 `ImageDataset`.
        backup: saves the state after every epoch; a run with a checkpoint
            continues from it.

    Returns:
        `(run, model)`: the run's result (accuracies, history, timing,
        confusion matrix, per-class accuracy, the architecture table) and the
        trained model.
    """
    set_seed(seed, deterministic=False)
    num_classes = len(data.class_names)
    (x_train, y_train), (x_val, y_val) = training_split(config, data, seed)
    stem = (
        whitening_kernel(normalise(x_train[: config.whitening_images]))
        if config.whitening
        else None
    )
    model = build_cifar_net(
        config.widths,
        separable=config.separable,
        stem_kernel=stem,
        batchnorm_momentum=config.batchnorm_momentum,
        num_classes=num_classes,
    )
    steps = len(x_train) // config.batch_size
    compile_cifar(
        model,
        steps * config.epochs,
        config.batch_size,
        config.learning_rate_per_1024,
        config.momentum,
        config.weight_decay,
        config.label_smoothing,
    )
    stream = training_dataset(
        x_train,
        y_train,
        config.batch_size,
        seed=seed,
        flip=config.flip,
        translate=config.translate,
        num_classes=num_classes,
    )
    pipeline_images_per_second = measure_throughput(stream, batches=20)
    progress = EpochProgress(config.epochs, 60 * config.time_budget_minutes)
    print(
        f"seed {seed}: {config.variant}, {model.count_params():,} parameters, "
        f"{len(x_train)} train / {len(x_val)} val images, {steps} steps per epoch",
        flush=True,
    )
    run = {
        key: value
        for key, value in dataclasses.asdict(config).items()
        if key not in ("seeds", "time_budget_minutes")
    }
    fit(
        model,
        stream,
        epochs=config.epochs,
        steps_per_epoch=steps,
        validation_data=evaluation_dataset(x_val, y_val, num_classes=num_classes),
        callbacks=[progress, backup],
        run={**run, "seed": seed},
    )
    train_seconds = progress.elapsed_seconds()  # also before a resume

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
    history = progress.history
    return {
        "seed": seed,
        "parameters": int(model.count_params()),
        "train_images": len(x_train),
        "val_images": len(x_val),
        "test_images": len(data.x_test),
        "epochs_completed": len(history),
        "cut_short": progress.cut_short,
        "history": history,
        "train_seconds": train_seconds,
        "seconds_per_epoch": float(np.mean([r["epoch_seconds"] for r in history])),
        "cpu_seconds_per_epoch": float(
            np.mean([r["epoch_cpu_seconds"] for r in history])
        ),
        "pipeline_images_per_second": pipeline_images_per_second,
        "val_accuracy": accuracy(val_plain, y_val),
        "val_accuracy_tta": accuracy(val_tta, y_val),
        "test_accuracy": accuracy(test_plain, data.y_test),
        "test_accuracy_tta": accuracy(test_tta, data.y_test),
        "confusion_matrix": matrix,
        "architecture": architecture_table(model),
        "per_class_accuracy": dict(
            zip(data.class_names, (matrix.diagonal() / matrix.sum(axis=1)).tolist())
        ),
    }, model


def summarise_cifar(variant: str, runs: list[dict], class_names) -> dict:
    """Means and spreads over seeds, and the tables the set B page shows.

    Args:
        variant: the runs' name (`Config.variant`).
        runs: the results of `train_one`, one per seed.
        class_names: a name per class.
    """
    per_class = {
        name: mean_std([run["per_class_accuracy"][name] for run in runs])
        for name in class_names
    }
    matrix = np.sum([run["confusion_matrix"] for run in runs], axis=0)
    return {
        "variant": variant,
        "seeds": [run["seed"] for run in runs],
        "parameters": runs[0]["parameters"],
        "any_cut_short": any(run["cut_short"] for run in runs),
        "epochs_completed": [run["epochs_completed"] for run in runs],
        "architecture": runs[0]["architecture"],
        **{key: mean_std([run[key] for run in runs]) for key in SUMMARY_KEYS},
        "per_class": {
            "columns": ["class", "test accuracy (mean ± std over seeds)"],
            "rows": [[name, value] for name, value in per_class.items()],
        },
        "confusion_matrix": {
            "columns": ["true \\ predicted", *class_names],
            "rows": [[name, *row] for name, row in zip(class_names, matrix.tolist())],
        },
    }


def compare_with_standard(separable: dict, standard: dict) -> dict:
    """How the separable network's summary compares with the standard one's.

    Args:
        separable: a separable summary of `summarise_cifar`, with `meta.machine.cpu`.
        standard: the standard summary of the same precision, as written.

    Returns:
        The standard's variant; ratios separable / standard of the parameters
        and of the mean wall and CPU seconds per epoch; differences separable -
        standard of the mean test accuracy with and without flip TTA (as
        fractions); and whether both ran on the same CPU.
    """

    def mean(summary, key):
        return summary[key]["mean"]

    return {
        "standard": standard["variant"],
        "parameters_ratio": separable["parameters"] / standard["parameters"],
        **{
            f"{key}_ratio": mean(separable, key) / mean(standard, key)
            for key in ("seconds_per_epoch", "cpu_seconds_per_epoch")
        },
        **{
            f"{key}_difference": mean(separable, key) - mean(standard, key)
            for key in ("test_accuracy_tta", "test_accuracy")
        },
        "same_machine": separable["meta"]["machine"]["cpu"]
        == standard["meta"]["machine"]["cpu"],
    }


def standard_comparison(
    summary: dict, precision: str, root: Path | None = None
) -> dict | None:
    """`compare_with_standard` of a separable summary made on this machine, or None.

    Args:
        summary: the separable summary of `summarise_cifar` (without metadata).
        precision: its precision; the standard summary of the same one is read.
        root: the results folder. Defaults to `tfcnn.results.results_dir()`.

    Returns:
        The comparison, or None if the standard summary has not been written.
    """
    name = f"{variant_name(False, precision)}_summary"
    try:
        standard = read_result(result_id(False), name, root)
    except FileNotFoundError:
        return None
    return compare_with_standard({**summary, "meta": {"machine": machine()}}, standard)


def finished_run(config: Config, seed: int, root: Path | None = None) -> dict | None:
    """A seed's result read back, if its file holds this configuration; else None.

    Args:
        config: the configuration the result must have been run with.
        seed: the seed.
        root: the results folder. Defaults to `tfcnn.results.results_dir()`.
    """
    try:
        stored = read_result(config.result_id, f"{config.variant}_seed{seed}", root)
    except FileNotFoundError:
        return None
    # Results of earlier versions record a `quick` field (false), now `Config.quick()`.
    stored_config = {k: v for k, v in stored["meta"]["config"].items() if k != "quick"}
    same = stored_config == json.loads(json.dumps(dataclasses.asdict(config)))
    return stored if same else None


def plot_cifar_runs(variant: str, runs: list[dict], class_names):
    """The training curves over seeds and the test confusion matrix summed over seeds.

    A run cut short has fewer epochs; the curves show the epochs all runs have.

    Args:
        variant: the runs' name, for the legend (e.g. "standard").
        runs: the per-seed results of `train_one`
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


def run_cifar(
    config: Config, backups: dict[int, TrainingBackup], root: Path, resume: bool = False
) -> dict:
    """Trains every seed of `config`, then writes the summary and the figures.

    Args:
        config: the network, recipe and seeds.
        backups: the checkpoint of each seed.
        root: the results folder.
        resume: read back the seeds whose result holds this configuration.
            Defaults to False.

    Returns:
        The summary over seeds.
    """
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
        run = finished_run(config, seed, root) if resume else None
        if run is not None:
            print(f"seed {seed}: finished already, read back", flush=True)
            runs.append(run)
            continue
        run, _ = train_one(config, seed, data, backups[seed])
        runs.append(run)
        path = write_result(
            config.result_id,
            f"{config.variant}_seed{seed}",
            run,
            config=config,
            seed=seed,
            wall_seconds=run["train_seconds"],
            root=root,
        )
        cut = " (CUT SHORT)" if run["cut_short"] else ""
        print(
            f"seed {seed}: test accuracy {run['test_accuracy_tta']:.4f} (flip TTA), "
            f"{run['test_accuracy']:.4f} (plain); val {run['val_accuracy_tta']:.4f}; "
            f"{run['train_seconds'] / 60:.1f} min{cut}; wrote {path}"
        )
    summary = summarise_cifar(config.variant, runs, data.class_names)
    if config.separable:  # beside the standard network of the same precision
        comparison = standard_comparison(summary, config.precision, root)
        if comparison is not None:
            summary["compared_with_standard"] = comparison
    path = write_result(
        config.result_id,
        f"{config.variant}_summary",
        summary,
        config=config,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    curves, confusion = plot_cifar_runs(config.variant, runs, data.class_names)
    figures = [
        save_figure(figure, config.result_id, f"{config.variant}_{name}", root=root)
        for name, figure in (("curves", curves), ("confusion", confusion))
    ]
    print(f"test accuracy over seeds {summary['test_accuracy_tta']}; wrote {path}")
    print("figures: " + ", ".join(map(str, figures)))
    return summary


def main(args: argparse.Namespace) -> None:
    """Runs B2.4 or B2.5 from the options of `scripts/train_cifar10.py`.

    Args:
        args: `separable`, `widths`, `epochs`, `batch_size`, `precision`
            ("auto" allowed), `time_budget`, `seeds`/`seed`, `distribute`,
            `quick`, `results_dir`, `resume` and `checkpoint_dir`.
    """
    config = Config(
        separable=args.separable,
        widths=tuple(args.widths),
        epochs=args.epochs,
        batch_size=args.batch_size,
        precision=resolve_precision(args.precision),
        time_budget_minutes=args.time_budget,
        seeds=seeds_of(args),
        distribute=args.distribute,
    )
    if args.quick:
        config = config.quick()
    # Made before any training, so that a leftover checkpoint stops the run at once.
    backups = {
        seed: training_backup(args, config.result_id, f"{config.variant}_seed{seed}")
        for seed in config.seeds
    }
    run_cifar(config, backups, results_root(args), resume=args.resume)
